/**
 * Input checks that run before anything reaches the kernel: one vocabulary (`check<What>(operation, value,
 * name)`) and one error style. Every refusal is a {@link UringError} with code `ERINGSIDE` and a message of the
 * form `Cannot <operation>: <name> must be <rule>, got <value>`, so a caller catches one class whether the kernel
 * or ringside said no. Each check returns the value it accepted (normalised where it says so).
 *
 * @example
 * ```ts
 * import { checkFd, checkU32 } from "./_validate.ts";
 * const fd = checkFd("recv", 3);
 * const flags = checkU32("recv", 0x40, "flags");
 * console.log(fd, flags);
 * ```
 *
 * @module
 */
import { refuse } from "./errors.ts";

/** `AT_FDCWD` (include/uapi/linux/fcntl.h): a dirfd meaning "the current working directory". */
export const AT_FDCWD = -100;
/** The largest u32. */
export const U32_MAX = 0xffffffff;
/** The kernel's PATH_MAX, counting the terminating NUL (include/uapi/linux/limits.h). */
export const PATH_MAX = 4096;
/** Slots of a registered file table (IORING_MAX_FIXED_FILES, io_uring/rsrc.c). */
export const MAX_FIXED_FILES = 1 << 20;

const encoder = new TextEncoder();

/**
 * A short description of a value for an error message: `null`, a type name, or a constructor's name.
 *
 * @param v Anything.
 * @returns Its description.
 *
 * @example
 * ```ts
 * import { describe } from "./_validate.ts";
 * console.log(describe([])); // "Array"
 * ```
 */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  return (v as { constructor?: { name?: string } }).constructor?.name ?? "an object";
}

/**
 * Accepts an integer from `min` to `max`.
 *
 * @param operation What is being done, for the error (`"recv"`).
 * @param value The value.
 * @param min The smallest value allowed.
 * @param max The largest value allowed.
 * @param name What the value is, for the error.
 * @returns `value`.
 *
 * @example
 * ```ts
 * import { checkInt } from "./_validate.ts";
 * checkInt("listen", 128, 0, 65535, "backlog");
 * ```
 */
export function checkInt(operation: string, value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    refuse(operation, `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * Accepts a file descriptor (or a direct descriptor's slot): an integer from 0 to 2^31 - 1.
 *
 * @param operation What is being done, for the error.
 * @param fd The value.
 * @param name What the value is, for the error.
 * @returns `fd`.
 *
 * @example
 * ```ts
 * import { checkFd } from "./_validate.ts";
 * checkFd("read", 0);
 * ```
 */
export function checkFd(operation: string, fd: number, name = "fd"): number {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    refuse(operation, `${name} must be a file descriptor (an integer from 0), got ${fd}`);
  }
  return fd;
}

/**
 * Accepts a directory descriptor for the `*at` calls: {@link AT_FDCWD} or a file descriptor.
 *
 * @param operation What is being done, for the error.
 * @param fd The value.
 * @returns `fd`.
 *
 * @example
 * ```ts
 * import { AT_FDCWD, checkDirFd } from "./_validate.ts";
 * checkDirFd("openat", AT_FDCWD);
 * ```
 */
export function checkDirFd(operation: string, fd: number): number {
  return fd === AT_FDCWD ? fd : checkFd(operation, fd, "dirfd");
}

/**
 * Accepts a u32 (flags, a count, a length) up to `max`.
 *
 * @param operation What is being done, for the error.
 * @param value The value.
 * @param name What the value is, for the error.
 * @param max The largest value allowed (default 2^32 - 1).
 * @returns `value` as an unsigned number.
 *
 * @example
 * ```ts
 * import { checkU32 } from "./_validate.ts";
 * const flags = checkU32("send", 0, "flags");
 * ```
 */
export function checkU32(operation: string, value: number, name = "flags", max = U32_MAX): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    refuse(operation, `${name} must be an integer from 0 to ${max}, got ${value}`);
  }
  return value >>> 0;
}

/**
 * Accepts a u64 the caller gives as a number: a safe integer from 0 to 2^53 - 1 (a length, an offset, an address).
 *
 * @param operation What is being done, for the error.
 * @param value The value.
 * @param name What the value is, for the error.
 * @returns `value`.
 *
 * @example
 * ```ts
 * import { checkU53 } from "./_validate.ts";
 * checkU53("fallocate", 1 << 20, "length");
 * ```
 */
export function checkU53(operation: string, value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    refuse(operation, `${name} must be an integer from 0 to 2^53 - 1, got ${value}`);
  }
  return value;
}

/**
 * Accepts a u64 given as a number (up to 2^53 - 1) or a bigint (up to 2^64 - 1): a tag, a user_data.
 *
 * @param operation What is being done, for the error.
 * @param value The value.
 * @param name What the value is, for the error.
 * @returns `value`.
 *
 * @example
 * ```ts
 * import { checkU64 } from "./_validate.ts";
 * checkU64("IORING_REGISTER_FILES2", 2n ** 60n, "tag");
 * ```
 */
export function checkU64(operation: string, value: number | bigint, name: string): number | bigint {
  const ok = typeof value === "bigint" ? value >= 0n && value < 1n << 64n : Number.isSafeInteger(value) && value >= 0;
  if (!ok) refuse(operation, `${name} must be an integer from 0 to 2^53 - 1 (or a bigint below 2^64), got ${value}`);
  return value;
}

/**
 * Accepts a count from 1 to `max`.
 *
 * @param operation What is being done, for the error.
 * @param value The value.
 * @param max The largest count allowed.
 * @param name What is counted, for the error.
 * @returns `value`.
 *
 * @example
 * ```ts
 * import { checkCount } from "./_validate.ts";
 * checkCount("IORING_REGISTER_BUFFERS", 4, 16384, "the number of buffers");
 * ```
 */
export function checkCount(operation: string, value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > max) refuse(operation, `${name} must be from 1 to ${max}, got ${value}`);
  return value;
}

/**
 * Accepts a file offset: an integer from 0, or -1 for "the file position" (as `read(2)` uses it).
 *
 * @param operation What is being done, for the error.
 * @param value The value.
 * @param name What the value is, for the error.
 * @returns `value`.
 *
 * @example
 * ```ts
 * import { checkOffset } from "./_validate.ts";
 * checkOffset("read", -1);
 * ```
 */
export function checkOffset(operation: string, value: number, name = "offset"): number {
  if (!Number.isSafeInteger(value) || value < -1) {
    refuse(operation, `${name} must be an integer from 0 (or -1 for the current position), got ${value}`);
  }
  return value;
}

/**
 * Accepts a slot of the registered file table, or (when `allowAlloc`) IORING_FILE_INDEX_ALLOC / -1 for "any free
 * slot".
 *
 * @param operation What is being done, for the error.
 * @param slot The value.
 * @param allowAlloc Whether "any free slot" is allowed.
 * @param allocValue The value that stands for "any free slot" (IORING_FILE_INDEX_ALLOC).
 * @returns `slot`.
 *
 * @example
 * ```ts
 * import { checkSlot } from "./_validate.ts";
 * checkSlot("close_direct", 3, false, 0xffffffff);
 * ```
 */
export function checkSlot(operation: string, slot: number, allowAlloc: boolean, allocValue: number): number {
  if (allowAlloc && (slot === allocValue || slot === -1)) return slot;
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_FIXED_FILES) {
    refuse(
      operation,
      `the slot must be an index of the registered file table (0 to ${MAX_FIXED_FILES - 1})` +
        `${allowAlloc ? " or IORING_FILE_INDEX_ALLOC" : ""}, got ${slot}`,
    );
  }
  return slot;
}

/**
 * Accepts a TypedArray or DataView.
 *
 * @param operation What is being done, for the error.
 * @param view The value.
 * @param name What the value is, for the error.
 * @returns `view`.
 *
 * @example
 * ```ts
 * import { checkView } from "./_validate.ts";
 * checkView("send", new Uint8Array(4), "the data");
 * ```
 */
export function checkView(operation: string, view: unknown, name = "the buffer"): ArrayBufferView {
  if (!ArrayBuffer.isView(view)) refuse(operation, `${name} must be a TypedArray or DataView, got ${describe(view)}`);
  return view;
}

/**
 * Accepts a view and returns its first `length` bytes (all of them by default) as a Uint8Array over the same
 * memory: at most one request's worth (u32).
 *
 * @param operation What is being done, for the error.
 * @param view The value.
 * @param length How many bytes, from the start.
 * @param name What the value is, for the error.
 * @returns The bytes.
 *
 * @example
 * ```ts
 * import { checkBytes } from "./_validate.ts";
 * const head = checkBytes("write", new Uint32Array(4), 8);
 * console.log(head.byteLength); // 8
 * ```
 */
export function checkBytes(operation: string, view: unknown, length?: number, name = "buffer"): Uint8Array {
  const v = checkView(operation, view, `the ${name}`);
  const max = v.byteLength;
  const len = length ?? max;
  if (!Number.isInteger(len) || len < 0 || len > max) {
    refuse(operation, `length must be an integer from 0 to the ${name}'s ${max} bytes, got ${len}`);
  }
  if (len > U32_MAX) refuse(operation, `${len} bytes is more than one request moves (at most ${U32_MAX})`);
  return new Uint8Array(v.buffer, v.byteOffset, len);
}

/**
 * Accepts a path (a string, UTF-8 encoded, or raw bytes) and returns it NUL-terminated: no NUL inside, shorter
 * than PATH_MAX.
 *
 * @param operation What is being done, for the error.
 * @param path The value.
 * @param name What the value is, for the error.
 * @returns The path's bytes with a NUL after them.
 *
 * @example
 * ```ts
 * import { checkPath } from "./_validate.ts";
 * console.log(checkPath("open", "/tmp").byteLength); // 5
 * ```
 */
export function checkPath(operation: string, path: unknown, name = "path"): Uint8Array {
  let bytes: Uint8Array;
  if (typeof path === "string") bytes = encoder.encode(path);
  else if (path instanceof Uint8Array) bytes = path;
  else refuse(operation, `the ${name} must be a string or a Uint8Array, got ${describe(path)}`);
  if (bytes.includes(0)) refuse(operation, `the ${name} contains a NUL byte`);
  if (bytes.byteLength >= PATH_MAX) {
    refuse(operation, `the ${name} is ${bytes.byteLength} bytes (the kernel allows ${PATH_MAX - 1})`);
  }
  const out = new Uint8Array(bytes.byteLength + 1);
  out.set(bytes);
  return out;
}
