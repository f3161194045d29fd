/**
 * Extended attributes on a {@link Loop}: `setxattr`/`getxattr` by path (following symbolic links) and
 * `fsetxattr`/`fgetxattr` by descriptor. Values are bytes (a string is UTF-8 encoded), at most
 * `XATTR_SIZE_MAX`; a read resolves to a copy of the value.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { close, open } from "ringside-uring/fs";
 * const loop = new Loop();
 * const path = "/tmp/xattr-example.txt";
 * await close(loop, await open(loop, path, "w"));
 * await setxattr(loop, path, "user.origin", "https://example.com");
 * console.log(new TextDecoder().decode(await getxattr(loop, path, "user.origin")));
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { checkBytes, checkFd, checkInt, checkPath, checkU32 } from "../core/_validate.ts";
import { prepFgetxattr, prepFsetxattr, prepGetxattr, prepSetxattr } from "../prep/fs.ts";
import { FsOp, setFixed, show, toVoid } from "./_fs_op.ts";
import { XATTR_SIZE_MAX } from "./constants.ts";
import type { BufferLike, FdOptions, PathLike } from "./types.ts";

/** Options of the getxattr functions. */
export interface GetxattrOptions extends OpOptions {
  /** The largest value expected (default and maximum `XATTR_SIZE_MAX`); a larger one fails with ERANGE. */
  size?: number | undefined;
}

const encoder = new TextEncoder();

function xattrName(what: string, name: string): Uint8Array {
  if (typeof name !== "string" || name.length === 0) {
    refuse(what, `the attribute name must be a non-empty string such as "user.comment"`);
  }
  return checkPath(what, name, "attribute name");
}

function xattrValue(what: string, value: BufferLike | string): Uint8Array {
  const bytes = typeof value === "string" ? encoder.encode(value) : checkBytes(what, value, undefined, "value");
  if (bytes.byteLength > XATTR_SIZE_MAX) {
    refuse(what, `the value is ${bytes.byteLength} bytes; the kernel takes at most ${XATTR_SIZE_MAX}`);
  }
  return bytes;
}

function xattrSize(what: string, options?: GetxattrOptions): number {
  return checkInt(what, options?.size ?? XATTR_SIZE_MAX, 1, XATTR_SIZE_MAX, "size");
}

/**
 * Sets extended attribute `name` of `path` (following symbolic links), like setxattr(2). IORING_OP_SETXATTR,
 * Linux 5.19.
 *
 * @param loop The loop.
 * @param path The file.
 * @param name The attribute's name, with its namespace (`"user.origin"`).
 * @param value The value: bytes, or a string (UTF-8).
 * @param flags `XATTR_CREATE`, `XATTR_REPLACE`, or 0.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await setxattr(loop, "/tmp/f", "user.origin", "https://example.com");
 * ```
 */
export function setxattr(
  loop: Loop, path: PathLike, name: string, value: BufferLike | string, flags = 0, options?: OpOptions,
): Promise<void> {
  return run(loop, () => {
    const what = `setxattr ${name} on ${show(path)}`;
    const p = checkPath(what, path);
    const n = xattrName(what, name);
    const v = xattrValue(what, value);
    checkU32(what, flags, "flags");
    return new FsOp<void>(what, (sqe, op) =>
      prepSetxattr(sqe, op.cstring(loop, n), op.address(loop, v, false), op.cstring(loop, p), flags, v.byteLength),
      toVoid);
  }, options);
}

/**
 * Reads extended attribute `name` of `path`, like getxattr(2). Resolves to a copy of the value.
 * IORING_OP_GETXATTR, Linux 5.19.
 *
 * @param loop The loop.
 * @param path The file.
 * @param name The attribute's name.
 * @param options `size`, `signal`, `timeoutMs`.
 * @returns The value.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const v = await getxattr(loop, "/tmp/f", "user.origin");
 * console.log(new TextDecoder().decode(v));
 * ```
 */
export function getxattr(loop: Loop, path: PathLike, name: string, options?: GetxattrOptions): Promise<Uint8Array> {
  return run(loop, () => {
    const what = `getxattr ${name} on ${show(path)}`;
    const p = checkPath(what, path);
    const n = xattrName(what, name);
    const size = xattrSize(what, options);
    let value: Uint8Array | undefined;
    return new FsOp(what, (sqe, op) => {
      const c = op.chunk(loop, size);
      value = c.bytes;
      prepGetxattr(sqe, op.cstring(loop, n), c.address, op.cstring(loop, p), size);
    }, (res) => value!.slice(0, res));
  }, options);
}

/**
 * Sets extended attribute `name` of an open file, like fsetxattr(2). IORING_OP_FSETXATTR, Linux 5.19.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param name The attribute's name.
 * @param value The value: bytes, or a string (UTF-8).
 * @param flags `XATTR_CREATE`, `XATTR_REPLACE`, or 0.
 * @param options `fixed`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number, sha256Bytes: Uint8Array;
 * await fsetxattr(loop, fd, "user.checksum", sha256Bytes);
 * ```
 */
export function fsetxattr(
  loop: Loop, fd: number, name: string, value: BufferLike | string, flags = 0, options?: FdOptions,
): Promise<void> {
  return run(loop, () => {
    const what = `fsetxattr ${name}`;
    checkFd(what, fd);
    const n = xattrName(what, name);
    const v = xattrValue(what, value);
    checkU32(what, flags, "flags");
    return new FsOp<void>(what, (sqe, op) => {
      prepFsetxattr(sqe, fd, op.cstring(loop, n), op.address(loop, v, false), flags, v.byteLength);
      setFixed(sqe, options?.fixed);
    }, toVoid);
  }, options);
}

/**
 * Reads extended attribute `name` of an open file, like fgetxattr(2). Resolves to a copy of the value.
 * IORING_OP_FGETXATTR, Linux 5.19.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param name The attribute's name.
 * @param options `size`, `fixed`, `signal`, `timeoutMs`.
 * @returns The value.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * const sum = await fgetxattr(loop, fd, "user.checksum");
 * ```
 */
export function fgetxattr(
  loop: Loop, fd: number, name: string, options?: GetxattrOptions & { fixed?: boolean },
): Promise<Uint8Array> {
  return run(loop, () => {
    const what = `fgetxattr ${name}`;
    checkFd(what, fd);
    const n = xattrName(what, name);
    const size = xattrSize(what, options);
    let value: Uint8Array | undefined;
    return new FsOp(what, (sqe, op) => {
      const c = op.chunk(loop, size);
      value = c.bytes;
      prepFgetxattr(sqe, fd, op.cstring(loop, n), c.address, size);
      setFixed(sqe, options?.fixed);
    }, (res) => value!.slice(0, res));
  }, options);
}
