/**
 * Opening and closing files on a {@link Loop}: `open`/`openat` (openat(2)), `openat2` with `RESOLVE_*`
 * restrictions, their `Direct` forms that open straight into the ring's registered file table, `close` and
 * `closeDirect`. O_CLOEXEC is added to normal descriptors unless `{ inherit: true }`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * const loop = new Loop();
 * const fd = await open(loop, "/tmp/open-close-example.txt", "w");
 * await close(loop, fd);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { AT_FDCWD, checkDirFd, checkFd, checkPath, checkSlot, checkU32 } from "../core/_validate.ts";
import { IORING_FILE_INDEX_ALLOC, open_how } from "../abi/uapi.ts";
import {
  prepClose,
  prepCloseDirect,
  prepOpenat,
  prepOpenat2,
  prepOpenat2Direct,
  prepOpenatDirect,
} from "../prep/fs.ts";
import { FsOp, show, toVoid } from "./_fs_op.ts";
import {
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_SYNC,
  O_TMPFILE,
  O_TRUNC,
  O_WRONLY,
} from "./constants.ts";
import type { PathLike } from "./types.ts";

/** Options of `openat2`: `struct open_how`. */
export interface OpenHow {
  /** `O_*` flags or Node-style flags (`"r"`, `"w+"` ...). O_CLOEXEC is added unless `inherit` (not for direct). */
  flags?: number | string | undefined;
  /** Mode bits for a created file (default 0o666 with O_CREAT or O_TMPFILE; must be 0 otherwise). */
  mode?: number | undefined;
  /** `RESOLVE_*` restrictions on path resolution. */
  resolve?: number | undefined;
}

/** Options of the open functions (and of `pipe`). */
export interface OpenOptions extends OpOptions {
  /** Leave O_CLOEXEC off, so programs started with exec inherit the descriptor (default false). */
  inherit?: boolean | undefined;
}

/**
 * Open flags as a number: a number is used as is; a string is read like Node's `fs.open` flags: `"r"`, `"r+"`,
 * `"w"`, `"w+"`, `"a"`, `"a+"`, with `x` for O_EXCL (`"wx"`) and `s` for O_SYNC (`"rs+"`).
 *
 * @param flags `O_*` bits or a Node-style string.
 * @returns The `O_*` bits.
 *
 * @example
 * ```ts
 * import { O_CREAT, O_RDWR, O_TRUNC } from "ringside-uring/fs";
 * console.log(openFlags("w+") === (O_RDWR | O_CREAT | O_TRUNC)); // true
 * ```
 */
export function openFlags(flags: number | string): number {
  if (typeof flags === "number") {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0x7fffffff) {
      refuse("open", `flags must be a non-negative integer of O_* bits, got ${flags}`);
    }
    return flags;
  }
  const m = /^([rwa])([xs]?)(\+?)$/.exec(flags.replace(/^([rwa])\+([xs])$/, "$1$2+"));
  if (!m) refuse("open", `unknown flags ${JSON.stringify(flags)} (use r, r+, w, w+, a, a+, wx ...)`);
  const [, kind, extra, plus] = m;
  let f = plus ? O_RDWR : kind === "r" ? O_RDONLY : O_WRONLY;
  if (kind === "w") f |= O_CREAT | O_TRUNC;
  if (kind === "a") f |= O_CREAT | O_APPEND;
  if (extra === "x") {
    if (kind === "r") refuse("open", `"x" needs "w" or "a", got ${JSON.stringify(flags)}`);
    f |= O_EXCL;
  }
  if (extra === "s") f |= O_SYNC;
  return f;
}

function creates(flags: number): boolean {
  return (flags & O_CREAT) !== 0 || (flags & O_TMPFILE) === O_TMPFILE;
}

/** Whether `slot` asks the kernel for any free slot. */
function isAlloc(slot: number): boolean {
  return slot === IORING_FILE_INDEX_ALLOC || slot === -1;
}

/**
 * Opens `path` relative to directory `dirfd`, like openat(2). O_CLOEXEC is added unless `{ inherit: true }`.
 * Resolves to the new file descriptor. IORING_OP_OPENAT, Linux 5.6.
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or {@link AT_FDCWD}.
 * @param path The path.
 * @param flags `O_*` flags or Node-style flags (`"r"`, `"w+"` ...); default read-only.
 * @param mode Mode bits for a created file (default 0o666, less the umask).
 * @param options `inherit`, `signal`, `timeoutMs`.
 * @returns The file descriptor.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { AT_FDCWD, O_RDONLY } from "ringside-uring/fs";
 * declare const loop: Loop;
 * const fd = await openat(loop, AT_FDCWD, "data.bin", O_RDONLY);
 * ```
 */
export function openat(
  loop: Loop, dirfd: number, path: PathLike, flags: number | string = O_RDONLY, mode = 0o666, options?: OpenOptions,
): Promise<number> {
  return run(loop, () => {
    const name = `open ${show(path)}`;
    checkDirFd(name, dirfd);
    checkU32(name, mode, "mode", 0o7777); // permission bits: the kernel would mask the rest away silently
    const f = openFlags(flags) | (options?.inherit ? 0 : O_CLOEXEC);
    const p = checkPath(name, path);
    return new FsOp(name, (sqe, op) => prepOpenat(sqe, dirfd, op.cstring(loop, p), f, mode));
  }, options);
}

/**
 * Opens `path` (relative to the current directory), like open(2); see {@link openat}. IORING_OP_OPENAT, Linux 5.6.
 *
 * @param loop The loop.
 * @param path The path.
 * @param flags `O_*` flags or Node-style flags; default read-only.
 * @param mode Mode bits for a created file (default 0o666, less the umask).
 * @param options `inherit`, `signal`, `timeoutMs`.
 * @returns The file descriptor.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const fd = await open(loop, "/tmp/out.txt", "w");
 * ```
 */
export function open(
  loop: Loop, path: PathLike, flags: number | string = O_RDONLY, mode = 0o666, options?: OpenOptions,
): Promise<number> {
  return openat(loop, AT_FDCWD, path, flags, mode, options);
}

/** `struct open_how`'s fields, checked. */
interface How {
  flags: number;
  mode: number;
  resolve: number;
}

function howOf(name: string, how: OpenHow, cloexec: boolean): How {
  const flags = openFlags(how.flags ?? O_RDONLY) | (cloexec ? O_CLOEXEC : 0);
  const mode = checkU32(name, how.mode ?? (creates(flags) ? 0o666 : 0), "mode");
  const resolve = checkU32(name, how.resolve ?? 0, "resolve");
  return { flags, mode, resolve };
}

function writeHow(op: FsOp<number>, loop: Loop, h: How): number {
  const c = op.chunk(loop, open_how.SIZE);
  c.view.setUint32(open_how.flags, h.flags, true);
  c.view.setUint32(open_how.mode, h.mode, true);
  c.view.setUint32(open_how.resolve, h.resolve, true);
  return c.address;
}

/**
 * Opens `path` with openat2(2): flags, mode and `RESOLVE_*` restrictions in a `struct open_how` (unknown flags
 * are refused with EINVAL instead of ignored). Resolves to the new file descriptor. IORING_OP_OPENAT2, Linux 5.6.
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or {@link AT_FDCWD}.
 * @param path The path.
 * @param how Flags, mode and resolve restrictions.
 * @param options `inherit`, `signal`, `timeoutMs`.
 * @returns The file descriptor.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { O_RDONLY, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS } from "ringside-uring/fs";
 * declare const loop: Loop, dirFd: number;
 * // Refuse to follow any symbolic link on the way: ELOOP if there is one.
 * const fd = await openat2(loop, dirFd, "conf/app.json", { flags: O_RDONLY, resolve: RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH });
 * ```
 */
export function openat2(
  loop: Loop, dirfd: number, path: PathLike, how: OpenHow = {}, options?: OpenOptions,
): Promise<number> {
  return run(loop, () => {
    const name = `openat2 ${show(path)}`;
    checkDirFd(name, dirfd);
    const h = howOf(name, how, !options?.inherit);
    const p = checkPath(name, path);
    return new FsOp(name, (sqe, op) => prepOpenat2(sqe, dirfd, op.cstring(loop, p), writeHow(op, loop, h)));
  }, options);
}

/**
 * Opens `path` straight into the ring's registered file table: the file becomes direct descriptor `slot`
 * (replacing what was there), or with {@link IORING_FILE_INDEX_ALLOC} a free slot the kernel picks. Resolves to
 * the slot. Use it with `{ fixed: true }`, close it with {@link closeDirect}; `fixedFdInstall` turns it into a
 * normal descriptor. Needs a registered table (`registerFilesSparse`). IORING_OP_OPENAT with file_index,
 * Linux 5.15 (ALLOC 5.19).
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or {@link AT_FDCWD}.
 * @param path The path.
 * @param flags `O_*` flags or Node-style flags (O_CLOEXEC is not allowed).
 * @param mode Mode bits for a created file.
 * @param slot The slot, or IORING_FILE_INDEX_ALLOC (the default).
 * @param options `signal`, `timeoutMs`.
 * @returns The slot.
 *
 * @example
 * ```ts
 * import { Loop, registerFilesSparse } from "ringside-uring";
 * import { AT_FDCWD, O_RDONLY, read } from "ringside-uring/fs";
 * declare const loop: Loop;
 * registerFilesSparse(loop.ring, 8);
 * const slot = await openatDirect(loop, AT_FDCWD, "data.bin", O_RDONLY, 0, 3); // 3
 * const n = await read(loop, slot, new Uint8Array(4096), 0, { fixed: true });
 * await closeDirect(loop, slot);
 * ```
 */
export function openatDirect(
  loop: Loop, dirfd: number, path: PathLike, flags: number | string = O_RDONLY, mode = 0o666,
  slot: number = IORING_FILE_INDEX_ALLOC, options?: OpOptions,
): Promise<number> {
  return run(loop, () => {
    const name = `open ${show(path)} direct`;
    checkDirFd(name, dirfd);
    checkU32(name, mode, "mode", 0o7777);
    checkSlot(name, slot, true, IORING_FILE_INDEX_ALLOC);
    const f = openFlags(flags);
    const p = checkPath(name, path);
    const alloc = isAlloc(slot);
    return new FsOp(name, (sqe, op) => prepOpenatDirect(sqe, dirfd, op.cstring(loop, p), f, mode, slot),
      (res) => (alloc ? res : slot));
  }, options);
}

/**
 * {@link openat2} into the registered file table (see {@link openatDirect}). Resolves to the slot.
 * IORING_OP_OPENAT2 with file_index, Linux 5.15 (ALLOC 5.19).
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or {@link AT_FDCWD}.
 * @param path The path.
 * @param how Flags, mode and resolve restrictions (O_CLOEXEC is not allowed).
 * @param slot The slot, or IORING_FILE_INDEX_ALLOC (the default).
 * @param options `signal`, `timeoutMs`.
 * @returns The slot.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { AT_FDCWD, RESOLVE_NO_SYMLINKS } from "ringside-uring/fs";
 * declare const loop: Loop;
 * const slot = await openat2Direct(loop, AT_FDCWD, "data.bin", { resolve: RESOLVE_NO_SYMLINKS });
 * ```
 */
export function openat2Direct(
  loop: Loop, dirfd: number, path: PathLike, how: OpenHow = {}, slot: number = IORING_FILE_INDEX_ALLOC,
  options?: OpOptions,
): Promise<number> {
  return run(loop, () => {
    const name = `openat2 ${show(path)} direct`;
    checkDirFd(name, dirfd);
    checkSlot(name, slot, true, IORING_FILE_INDEX_ALLOC);
    const h = howOf(name, how, false);
    const p = checkPath(name, path);
    const alloc = isAlloc(slot);
    return new FsOp(name, (sqe, op) => prepOpenat2Direct(sqe, dirfd, op.cstring(loop, p), writeHow(op, loop, h), slot),
      (res) => (alloc ? res : slot));
  }, options);
}

/**
 * Closes a file descriptor, like close(2). IORING_OP_CLOSE, Linux 5.6.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * await close(loop, fd);
 * ```
 */
export function close(loop: Loop, fd: number, options?: OpOptions): Promise<void> {
  return run(loop, () => {
    checkFd("close", fd);
    return new FsOp<void>("close", (sqe) => prepClose(sqe, fd), toVoid);
  }, options);
}

/**
 * Closes direct descriptor `slot`, emptying that slot of the registered file table. IORING_OP_CLOSE with
 * file_index, Linux 5.15.
 *
 * @param loop The loop.
 * @param slot The slot.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, slot: number;
 * await closeDirect(loop, slot);
 * ```
 */
export function closeDirect(loop: Loop, slot: number, options?: OpOptions): Promise<void> {
  return run(loop, () => {
    checkSlot("close direct", slot, false, IORING_FILE_INDEX_ALLOC);
    return new FsOp<void>("close direct", (sqe) => prepCloseDirect(sqe, slot), toVoid);
  }, options);
}
