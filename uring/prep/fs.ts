/**
 * Filesystem operations: open, close, statx, the path operations (unlink, rename, mkdir, symlink, link), extended
 * attributes, advice, allocation, syncing and truncation.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards.
 *
 * Paths and other pointers are raw addresses (`NativeMemory.address`). UNSAFE: the kernel dereferences them when the
 * request runs, possibly after submit returns; the memory (a NUL-terminated path, a `struct statx`, a
 * `struct open_how` ...) must stay valid until the CQE arrives. Directory descriptors take `AT_FDCWD` (-100) for
 * "relative to the current working directory"; the helpers without `at` (`prepOpen`, `prepUnlink` ...) pass it.
 *
 * The `_direct` helpers put the new file into the ring's registered file table instead of the process's descriptor
 * table: pass a slot index (written as `slot + 1` in `file_index`) or `IORING_FILE_INDEX_ALLOC` for a free slot,
 * whose index becomes the result. Direct descriptors take no O_CLOEXEC and are used with IOSQE_FIXED_FILE.
 *
 * 64-bit offsets and lengths are numbers up to 2^53; negative numbers are written as their two's complement.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import {
  IORING_OP_CLOSE,
  IORING_OP_FADVISE,
  IORING_OP_FALLOCATE,
  IORING_OP_FGETXATTR,
  IORING_OP_FSETXATTR,
  IORING_OP_FSYNC,
  IORING_OP_FTRUNCATE,
  IORING_OP_GETXATTR,
  IORING_OP_LINKAT,
  IORING_OP_MADVISE,
  IORING_OP_MKDIRAT,
  IORING_OP_OPENAT,
  IORING_OP_OPENAT2,
  IORING_OP_RENAMEAT,
  IORING_OP_SETXATTR,
  IORING_OP_STATX,
  IORING_OP_SYMLINKAT,
  IORING_OP_SYNC_FILE_RANGE,
  IORING_OP_UNLINKAT,
  open_how,
} from "../abi/uapi.ts";
import { AT_FDCWD } from "../core/_validate.ts";
import { prepRw, setDirectTarget, setTargetFixedFile, W_ADDR, W_ADDR3, W_OP_FLAGS } from "./base.ts";
import { setU64Words } from "../abi/_u64.ts";

/**
 * Prepares openat(2): opens `path` relative to directory `dfd`; the result is the new file descriptor. Matches
 * liburing's `io_uring_prep_openat` (IORING_OP_OPENAT, Linux 5.6).
 *
 * `mode` is used only when `flags` create a file (O_CREAT, O_TMPFILE) and is masked by the umask, as for open(2).
 *
 * UNSAFE: the kernel reads `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param dfd The directory `path` is relative to, or `AT_FDCWD` (ignored for an absolute path).
 * @param path The address of a NUL-terminated path.
 * @param flags `O_*` flags (O_RDONLY 0, O_WRONLY 1, O_RDWR 2, O_CREAT 0o100, O_TRUNC 0o1000, O_CLOEXEC 0o2000000 ...).
 * @param mode The permission bits of a created file (0o644 ...), else 0.
 *
 * @example
 * ```ts
 * import { AT_FDCWD } from "ringside-uring/fs";
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring;
 *
 * const O_RDONLY = 0, O_CLOEXEC = 0o2000000;
 * const path = NativeMemory.allocate(64);
 * new TextEncoder().encodeInto("/etc/hostname\0", path.bytes);
 * prepOpenat(ring.getSqe()!, AT_FDCWD, path.address, O_RDONLY | O_CLOEXEC, 0);
 * ```
 */
export function prepOpenat(sqe: Sqe, dfd: number, path: number, flags: number, mode: number): void {
  prepRw(IORING_OP_OPENAT, sqe, dfd, path, mode, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares openat(2) into the registered file table: the file becomes direct descriptor `fileIndex`, or, with
 * `IORING_FILE_INDEX_ALLOC`, a free slot whose index is the result (otherwise the result is 0). Matches liburing's
 * `io_uring_prep_openat_direct` (IORING_OP_OPENAT with file_index, Linux 5.15; IORING_FILE_INDEX_ALLOC 5.19).
 *
 * The slot must exist in a table registered before (a sparse one is fine); an occupied slot is replaced. O_CLOEXEC
 * is refused: a direct descriptor is not in the process's table.
 *
 * UNSAFE: the kernel reads `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param dfd The directory `path` is relative to, or `AT_FDCWD`.
 * @param path The address of a NUL-terminated path.
 * @param flags `O_*` flags, without O_CLOEXEC.
 * @param mode The permission bits of a created file, else 0.
 * @param fileIndex The slot in the registered file table (0-based), or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * import { AT_FDCWD } from "ringside-uring/fs";
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_FILE_INDEX_ALLOC } from "ringside-uring/abi";
 * declare const ring: Ring, path: number; // the address of a NUL-terminated path
 *
 * prepOpenatDirect(ring.getSqe()!, AT_FDCWD, path, 0, 0, IORING_FILE_INDEX_ALLOC);
 * ```
 */
export function prepOpenatDirect(
  sqe: Sqe, dfd: number, path: number, flags: number, mode: number, fileIndex: number,
): void {
  prepOpenat(sqe, dfd, path, flags, mode);
  setDirectTarget(sqe, fileIndex);
}

/**
 * Prepares open(2): {@link prepOpenat} relative to the current working directory. Matches liburing's
 * `io_uring_prep_open` (IORING_OP_OPENAT, Linux 5.6).
 *
 * UNSAFE: the kernel reads `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param path The address of a NUL-terminated path.
 * @param flags `O_*` flags.
 * @param mode The permission bits of a created file, else 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, path: number; // the address of a NUL-terminated path
 *
 * const O_WRONLY = 1, O_CREAT = 0o100, O_TRUNC = 0o1000;
 * prepOpen(ring.getSqe()!, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
 * ```
 */
export function prepOpen(sqe: Sqe, path: number, flags: number, mode: number): void {
  prepOpenat(sqe, AT_FDCWD, path, flags, mode);
}

/**
 * Prepares open(2) into the registered file table: {@link prepOpenatDirect} relative to the current working
 * directory. Matches liburing's `io_uring_prep_open_direct` (IORING_OP_OPENAT with file_index, Linux 5.15).
 *
 * UNSAFE: the kernel reads `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param path The address of a NUL-terminated path.
 * @param flags `O_*` flags, without O_CLOEXEC.
 * @param mode The permission bits of a created file, else 0.
 * @param fileIndex The slot in the registered file table (0-based), or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, path: number; // the address of a NUL-terminated path
 *
 * prepOpenDirect(ring.getSqe()!, path, 0, 0, 3); // the file becomes direct descriptor 3
 * ```
 */
export function prepOpenDirect(sqe: Sqe, path: number, flags: number, mode: number, fileIndex: number): void {
  prepOpenatDirect(sqe, AT_FDCWD, path, flags, mode, fileIndex);
}

/**
 * Prepares openat2(2), whose options come in a `struct open_how` (`open_how.SIZE`, 24 bytes: u64 flags, u64 mode,
 * u64 resolve). Matches liburing's `io_uring_prep_openat2` (IORING_OP_OPENAT2, Linux 5.6).
 *
 * Unlike openat(2), unknown flags and a mode without O_CREAT/O_TMPFILE are refused with -EINVAL, and `resolve`
 * (`RESOLVE_*`) restricts how the path is walked (no symlinks, stay beneath `dfd` ...).
 *
 * UNSAFE: the kernel reads `path` and `how`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param dfd The directory `path` is relative to, or `AT_FDCWD`.
 * @param path The address of a NUL-terminated path.
 * @param how The address of a `struct open_how`.
 *
 * @example
 * ```ts
 * import { AT_FDCWD } from "ringside-uring/fs";
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { open_how } from "ringside-uring/abi";
 * declare const ring: Ring, path: number; // the address of a NUL-terminated path
 *
 * const RESOLVE_NO_SYMLINKS = 0x04;
 * const how = NativeMemory.allocate(open_how.SIZE);
 * new DataView(how.buffer).setBigUint64(open_how.resolve, BigInt(RESOLVE_NO_SYMLINKS), true);
 * prepOpenat2(ring.getSqe()!, AT_FDCWD, path, how.address);
 * ```
 */
export function prepOpenat2(sqe: Sqe, dfd: number, path: number, how: number): void {
  prepRw(IORING_OP_OPENAT2, sqe, dfd, path, open_how.SIZE, how);
}

/**
 * Prepares openat2(2) into the registered file table (see {@link prepOpenatDirect} for the slot and the result).
 * Matches liburing's `io_uring_prep_openat2_direct` (IORING_OP_OPENAT2 with file_index, Linux 5.15).
 *
 * UNSAFE: the kernel reads `path` and `how`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param dfd The directory `path` is relative to, or `AT_FDCWD`.
 * @param path The address of a NUL-terminated path.
 * @param how The address of a `struct open_how` (no O_CLOEXEC in its flags).
 * @param fileIndex The slot in the registered file table (0-based), or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * import { AT_FDCWD } from "ringside-uring/fs";
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_FILE_INDEX_ALLOC } from "ringside-uring/abi";
 * declare const ring: Ring, path: number, how: number; // addresses of a path and a struct open_how
 *
 * prepOpenat2Direct(ring.getSqe()!, AT_FDCWD, path, how, IORING_FILE_INDEX_ALLOC);
 * ```
 */
export function prepOpenat2Direct(sqe: Sqe, dfd: number, path: number, how: number, fileIndex: number): void {
  prepOpenat2(sqe, dfd, path, how);
  setDirectTarget(sqe, fileIndex);
}

/**
 * Prepares close(2) of a file descriptor. Matches liburing's `io_uring_prep_close` (IORING_OP_CLOSE, Linux 5.6).
 *
 * For a direct descriptor use {@link prepCloseDirect}; do not set IOSQE_FIXED_FILE here.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor to close.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number;
 *
 * prepClose(ring.getSqe()!, fd);
 * ```
 */
export function prepClose(sqe: Sqe, fd: number): void {
  prepRw(IORING_OP_CLOSE, sqe, fd, 0, 0, 0);
}

/**
 * Prepares closing direct descriptor `fileIndex`, emptying that slot of the registered file table (the slot stays
 * usable). Matches liburing's `io_uring_prep_close_direct` (IORING_OP_CLOSE with file_index, Linux 5.15).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fileIndex The slot in the registered file table (0-based).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * prepCloseDirect(ring.getSqe()!, 3);
 * ```
 */
export function prepCloseDirect(sqe: Sqe, fileIndex: number): void {
  prepRw(IORING_OP_CLOSE, sqe, 0, 0, 0, 0);
  setTargetFixedFile(sqe, fileIndex);
}

/**
 * Prepares statx(2): fills the `struct statx` (256 bytes) at `statxbuf` with the fields `mask` asks for (the
 * returned `stx_mask` says which the filesystem filled). Matches liburing's `io_uring_prep_statx` (IORING_OP_STATX,
 * Linux 5.6).
 *
 * To stat an open file, pass an empty path ("\0") with AT_EMPTY_PATH and the file as `dfd`.
 *
 * UNSAFE: the kernel reads `path` and writes `statxbuf`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param dfd The directory `path` is relative to, `AT_FDCWD`, or the file itself with AT_EMPTY_PATH.
 * @param path The address of a NUL-terminated path.
 * @param flags `AT_*` flags (AT_SYMLINK_NOFOLLOW 0x100, AT_EMPTY_PATH 0x1000, AT_STATX_SYNC_AS_STAT 0 ...).
 * @param mask `STATX_*` fields wanted (STATX_BASIC_STATS 0x7ff, STATX_BTIME 0x800 ...).
 * @param statxbuf The address of 256 bytes receiving the `struct statx`.
 *
 * @example
 * ```ts
 * import { AT_FDCWD } from "ringside-uring/fs";
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, path: number; // the address of a NUL-terminated path
 *
 * const STATX_BASIC_STATS = 0x7ff;
 * const stx = NativeMemory.allocate(256);
 * prepStatx(ring.getSqe()!, AT_FDCWD, path, 0, STATX_BASIC_STATS, stx.address);
 * ```
 */
export function prepStatx(sqe: Sqe, dfd: number, path: number, flags: number, mask: number, statxbuf: number): void {
  prepRw(IORING_OP_STATX, sqe, dfd, path, mask, statxbuf);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares unlinkat(2): removes a file, or an empty directory with AT_REMOVEDIR. Matches liburing's
 * `io_uring_prep_unlinkat` (IORING_OP_UNLINKAT, Linux 5.11).
 *
 * UNSAFE: the kernel reads `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param dfd The directory `path` is relative to, or `AT_FDCWD`.
 * @param path The address of a NUL-terminated path.
 * @param flags 0, or AT_REMOVEDIR (0x200) to remove a directory.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, dirFd: number, name: number; // name: the address of a NUL-terminated name
 *
 * prepUnlinkat(ring.getSqe()!, dirFd, name, 0);
 * ```
 */
export function prepUnlinkat(sqe: Sqe, dfd: number, path: number, flags: number): void {
  prepRw(IORING_OP_UNLINKAT, sqe, dfd, path, 0, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares unlink(2), or rmdir(2) with AT_REMOVEDIR, relative to the current working directory. Matches liburing's
 * `io_uring_prep_unlink` (IORING_OP_UNLINKAT, Linux 5.11).
 *
 * UNSAFE: the kernel reads `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param path The address of a NUL-terminated path.
 * @param flags 0, or AT_REMOVEDIR (0x200).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, path: number; // the address of a NUL-terminated path
 *
 * const AT_REMOVEDIR = 0x200;
 * prepUnlink(ring.getSqe()!, path, AT_REMOVEDIR);
 * ```
 */
export function prepUnlink(sqe: Sqe, path: number, flags: number): void {
  prepUnlinkat(sqe, AT_FDCWD, path, flags);
}

/**
 * Prepares renameat2(2). Matches liburing's `io_uring_prep_renameat` (IORING_OP_RENAMEAT, Linux 5.11).
 *
 * UNSAFE: the kernel reads both paths; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param olddfd The directory `oldpath` is relative to, or `AT_FDCWD`.
 * @param oldpath The address of the NUL-terminated old path.
 * @param newdfd The directory `newpath` is relative to, or `AT_FDCWD`.
 * @param newpath The address of the NUL-terminated new path.
 * @param flags `RENAME_*` flags (RENAME_NOREPLACE 1, RENAME_EXCHANGE 2, RENAME_WHITEOUT 4), or 0.
 *
 * @example
 * ```ts
 * import { AT_FDCWD } from "ringside-uring/fs";
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, from: number, to: number; // addresses of NUL-terminated paths
 *
 * const RENAME_NOREPLACE = 1;
 * prepRenameat(ring.getSqe()!, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
 * ```
 */
export function prepRenameat(
  sqe: Sqe, olddfd: number, oldpath: number, newdfd: number, newpath: number, flags: number,
): void {
  prepRw(IORING_OP_RENAMEAT, sqe, olddfd, oldpath, newdfd, newpath);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares rename(2) relative to the current working directory (an existing `newpath` is replaced). Matches
 * liburing's `io_uring_prep_rename` (IORING_OP_RENAMEAT, Linux 5.11).
 *
 * UNSAFE: the kernel reads both paths; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param oldpath The address of the NUL-terminated old path.
 * @param newpath The address of the NUL-terminated new path.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, from: number, to: number; // addresses of NUL-terminated paths
 *
 * prepRename(ring.getSqe()!, from, to);
 * ```
 */
export function prepRename(sqe: Sqe, oldpath: number, newpath: number): void {
  prepRenameat(sqe, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

/**
 * Prepares mkdirat(2). Matches liburing's `io_uring_prep_mkdirat` (IORING_OP_MKDIRAT, Linux 5.15).
 *
 * UNSAFE: the kernel reads `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param dfd The directory `path` is relative to, or `AT_FDCWD`.
 * @param path The address of a NUL-terminated path.
 * @param mode The permission bits of the new directory (0o755 ...), masked by the umask.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, dirFd: number, name: number; // name: the address of a NUL-terminated name
 *
 * prepMkdirat(ring.getSqe()!, dirFd, name, 0o755);
 * ```
 */
export function prepMkdirat(sqe: Sqe, dfd: number, path: number, mode: number): void {
  prepRw(IORING_OP_MKDIRAT, sqe, dfd, path, mode, 0);
}

/**
 * Prepares mkdir(2) relative to the current working directory. Matches liburing's `io_uring_prep_mkdir`
 * (IORING_OP_MKDIRAT, Linux 5.15).
 *
 * UNSAFE: the kernel reads `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param path The address of a NUL-terminated path.
 * @param mode The permission bits of the new directory, masked by the umask.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, path: number; // the address of a NUL-terminated path
 *
 * prepMkdir(ring.getSqe()!, path, 0o755);
 * ```
 */
export function prepMkdir(sqe: Sqe, path: number, mode: number): void {
  prepMkdirat(sqe, AT_FDCWD, path, mode);
}

/**
 * Prepares symlinkat(2): creates `linkpath` (relative to `newdirfd`) pointing at `target`. The target is stored as
 * given, not resolved, and need not exist. Matches liburing's `io_uring_prep_symlinkat` (IORING_OP_SYMLINKAT,
 * Linux 5.15).
 *
 * UNSAFE: the kernel reads both strings; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param target The address of the NUL-terminated link target.
 * @param newdirfd The directory `linkpath` is relative to, or `AT_FDCWD`.
 * @param linkpath The address of the NUL-terminated path of the new link.
 *
 * @example
 * ```ts
 * import { AT_FDCWD } from "ringside-uring/fs";
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, target: number, link: number; // addresses of NUL-terminated paths
 *
 * prepSymlinkat(ring.getSqe()!, target, AT_FDCWD, link);
 * ```
 */
export function prepSymlinkat(sqe: Sqe, target: number, newdirfd: number, linkpath: number): void {
  prepRw(IORING_OP_SYMLINKAT, sqe, newdirfd, target, 0, linkpath);
}

/**
 * Prepares symlink(2) relative to the current working directory. Matches liburing's `io_uring_prep_symlink`
 * (IORING_OP_SYMLINKAT, Linux 5.15).
 *
 * UNSAFE: the kernel reads both strings; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param target The address of the NUL-terminated link target.
 * @param linkpath The address of the NUL-terminated path of the new link.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, target: number, link: number; // addresses of NUL-terminated paths
 *
 * prepSymlink(ring.getSqe()!, target, link);
 * ```
 */
export function prepSymlink(sqe: Sqe, target: number, linkpath: number): void {
  prepSymlinkat(sqe, target, AT_FDCWD, linkpath);
}

/**
 * Prepares linkat(2): a new hard link `newpath` to the file at `oldpath`. A symlink at `oldpath` is linked itself
 * unless AT_SYMLINK_FOLLOW is given. Matches liburing's `io_uring_prep_linkat` (IORING_OP_LINKAT, Linux 5.15).
 *
 * UNSAFE: the kernel reads both paths; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param olddfd The directory `oldpath` is relative to, or `AT_FDCWD`.
 * @param oldpath The address of the NUL-terminated existing path.
 * @param newdfd The directory `newpath` is relative to, or `AT_FDCWD`.
 * @param newpath The address of the NUL-terminated new path.
 * @param flags `AT_*` flags (AT_SYMLINK_FOLLOW 0x400, AT_EMPTY_PATH 0x1000), or 0.
 *
 * @example
 * ```ts
 * import { AT_FDCWD } from "ringside-uring/fs";
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, from: number, to: number; // addresses of NUL-terminated paths
 *
 * prepLinkat(ring.getSqe()!, AT_FDCWD, from, AT_FDCWD, to, 0);
 * ```
 */
export function prepLinkat(
  sqe: Sqe, olddfd: number, oldpath: number, newdfd: number, newpath: number, flags: number,
): void {
  prepRw(IORING_OP_LINKAT, sqe, olddfd, oldpath, newdfd, newpath);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares link(2) relative to the current working directory. Matches liburing's `io_uring_prep_link`
 * (IORING_OP_LINKAT, Linux 5.15).
 *
 * UNSAFE: the kernel reads both paths; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param oldpath The address of the NUL-terminated existing path.
 * @param newpath The address of the NUL-terminated new path.
 * @param flags `AT_*` flags (AT_SYMLINK_FOLLOW 0x400), or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, from: number, to: number; // addresses of NUL-terminated paths
 *
 * prepLink(ring.getSqe()!, from, to, 0);
 * ```
 */
export function prepLink(sqe: Sqe, oldpath: number, newpath: number, flags: number): void {
  prepLinkat(sqe, AT_FDCWD, oldpath, AT_FDCWD, newpath, flags);
}

/**
 * Prepares getxattr(2): reads extended attribute `name` of the file at `path` (symlinks followed); the result is
 * the value's length. Matches liburing's `io_uring_prep_getxattr` (IORING_OP_GETXATTR, Linux 5.19).
 *
 * The path travels in `addr3`, the value buffer in `off` and the name in `addr`: the argument order follows
 * liburing, not the syscall.
 *
 * UNSAFE: the kernel reads `name` and `path` and writes `value`; all must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param name The address of the NUL-terminated attribute name ("user.comment" ...).
 * @param value The address of the buffer receiving the value.
 * @param path The address of the NUL-terminated path.
 * @param len The size of the value buffer in bytes (a larger value fails with -ERANGE).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, name: number, path: number; // addresses of NUL-terminated strings
 *
 * const value = NativeMemory.allocate(256);
 * prepGetxattr(ring.getSqe()!, name, value.address, path, value.byteLength);
 * ```
 */
export function prepGetxattr(sqe: Sqe, name: number, value: number, path: number, len: number): void {
  prepRw(IORING_OP_GETXATTR, sqe, 0, name, len, value);
  setU64Words(sqe.u32, W_ADDR3, path);
}

/**
 * Prepares setxattr(2): sets extended attribute `name` of the file at `path`. Matches liburing's
 * `io_uring_prep_setxattr` (IORING_OP_SETXATTR, Linux 5.19).
 *
 * UNSAFE: the kernel reads `name`, `value` and `path`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param name The address of the NUL-terminated attribute name.
 * @param value The address of the value (bytes, not necessarily NUL-terminated).
 * @param path The address of the NUL-terminated path.
 * @param flags XATTR_CREATE (1: fail if it exists), XATTR_REPLACE (2: fail if it does not), or 0.
 * @param len The length of the value in bytes.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, name: number, value: number, path: number; // addresses
 *
 * prepSetxattr(ring.getSqe()!, name, value, path, 0, 5);
 * ```
 */
export function prepSetxattr(
  sqe: Sqe, name: number, value: number, path: number, flags: number, len: number,
): void {
  prepRw(IORING_OP_SETXATTR, sqe, 0, name, len, value);
  setU64Words(sqe.u32, W_ADDR3, path);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares fgetxattr(2): reads extended attribute `name` of an open file; the result is the value's length. Matches
 * liburing's `io_uring_prep_fgetxattr` (IORING_OP_FGETXATTR, Linux 5.19).
 *
 * UNSAFE: the kernel reads `name` and writes `value`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param name The address of the NUL-terminated attribute name.
 * @param value The address of the buffer receiving the value.
 * @param len The size of the value buffer in bytes.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, fd: number, name: number; // name: the address of a NUL-terminated string
 *
 * const value = NativeMemory.allocate(256);
 * prepFgetxattr(ring.getSqe()!, fd, name, value.address, value.byteLength);
 * ```
 */
export function prepFgetxattr(sqe: Sqe, fd: number, name: number, value: number, len: number): void {
  prepRw(IORING_OP_FGETXATTR, sqe, fd, name, len, value);
}

/**
 * Prepares fsetxattr(2): sets extended attribute `name` of an open file. Matches liburing's
 * `io_uring_prep_fsetxattr` (IORING_OP_FSETXATTR, Linux 5.19).
 *
 * UNSAFE: the kernel reads `name` and `value`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param name The address of the NUL-terminated attribute name.
 * @param value The address of the value.
 * @param flags XATTR_CREATE (1), XATTR_REPLACE (2), or 0.
 * @param len The length of the value in bytes.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number, name: number, value: number; // addresses
 *
 * const XATTR_CREATE = 1;
 * prepFsetxattr(ring.getSqe()!, fd, name, value, XATTR_CREATE, 5);
 * ```
 */
export function prepFsetxattr(sqe: Sqe, fd: number, name: number, value: number, flags: number, len: number): void {
  prepRw(IORING_OP_FSETXATTR, sqe, fd, name, len, value);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares posix_fadvise(2) with a 32-bit length: advice about how a range of the file will be read. Matches
 * liburing's `io_uring_prep_fadvise` (IORING_OP_FADVISE, Linux 5.6).
 *
 * For ranges of 4 GiB and more use {@link prepFadvise64}.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param offset The start of the range in bytes, up to 2^53.
 * @param len The length of the range in bytes (unsigned 32-bit); 0 means "to the end of the file".
 * @param advice `POSIX_FADV_*` (NORMAL 0, RANDOM 1, SEQUENTIAL 2, WILLNEED 3, DONTNEED 4, NOREUSE 5).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number;
 *
 * const POSIX_FADV_SEQUENTIAL = 2;
 * prepFadvise(ring.getSqe()!, fd, 0, 0, POSIX_FADV_SEQUENTIAL);
 * ```
 */
export function prepFadvise(sqe: Sqe, fd: number, offset: number, len: number, advice: number): void {
  prepRw(IORING_OP_FADVISE, sqe, fd, 0, len, offset);
  sqe.u32[W_OP_FLAGS] = advice;
}

/**
 * Prepares posix_fadvise(2) with a 64-bit length. Matches liburing's `io_uring_prep_fadvise64` (IORING_OP_FADVISE,
 * Linux 5.6; the 64-bit length in `addr` 6.12).
 *
 * Kernels before 6.12 refuse it with EINVAL (they take the length from the 32-bit `len` and reject a non-zero
 * `addr`, found on Debian's 5.10 and 6.1): use `prepFadvise` there, in pieces under 4 GiB.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param offset The start of the range in bytes, up to 2^53.
 * @param len The length of the range in bytes, up to 2^53; 0 means "to the end of the file".
 * @param advice `POSIX_FADV_*` (NORMAL 0, RANDOM 1, SEQUENTIAL 2, WILLNEED 3, DONTNEED 4, NOREUSE 5).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number;
 *
 * const POSIX_FADV_DONTNEED = 4;
 * prepFadvise64(ring.getSqe()!, fd, 0, 8 * 2 ** 30, POSIX_FADV_DONTNEED);
 * ```
 */
export function prepFadvise64(sqe: Sqe, fd: number, offset: number, len: number, advice: number): void {
  prepRw(IORING_OP_FADVISE, sqe, fd, len, 0, offset);
  sqe.u32[W_OP_FLAGS] = advice;
}

/**
 * Prepares madvise(2) with a 32-bit length: advice about a range of this process's memory. Matches liburing's
 * `io_uring_prep_madvise` (IORING_OP_MADVISE, Linux 5.6).
 *
 * UNSAFE: the kernel acts on the mapping at `addr` (MADV_DONTNEED, say, drops its contents).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param addr The start of the range (page-aligned).
 * @param length The length of the range in bytes (unsigned 32-bit).
 * @param advice `MADV_*` (NORMAL 0, RANDOM 1, SEQUENTIAL 2, WILLNEED 3, DONTNEED 4 ...).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring;
 *
 * const MADV_WILLNEED = 3;
 * const mem = NativeMemory.allocate(1 << 20);
 * prepMadvise(ring.getSqe()!, mem.address, mem.byteLength, MADV_WILLNEED);
 * ```
 */
export function prepMadvise(sqe: Sqe, addr: number, length: number, advice: number): void {
  prepRw(IORING_OP_MADVISE, sqe, -1, addr, length, 0);
  sqe.u32[W_OP_FLAGS] = advice;
}

/**
 * Prepares madvise(2) with a 64-bit length. Matches liburing's `io_uring_prep_madvise64` (IORING_OP_MADVISE,
 * Linux 5.6; the 64-bit length in `off` 6.12).
 *
 * Kernels before 6.12 read only the 32-bit `len`, which this leaves 0 (an empty range).
 *
 * UNSAFE: the kernel acts on the mapping at `addr`.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param addr The start of the range (page-aligned).
 * @param length The length of the range in bytes, up to 2^53.
 * @param advice `MADV_*` (NORMAL 0, RANDOM 1, SEQUENTIAL 2, WILLNEED 3, DONTNEED 4 ...).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import type { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, mem: NativeMemory;
 *
 * const MADV_DONTNEED = 4;
 * prepMadvise64(ring.getSqe()!, mem.address, mem.byteLength, MADV_DONTNEED);
 * ```
 */
export function prepMadvise64(sqe: Sqe, addr: number, length: number, advice: number): void {
  prepRw(IORING_OP_MADVISE, sqe, -1, addr, 0, length);
  sqe.u32[W_OP_FLAGS] = advice;
}

/**
 * Prepares fallocate(2): allocates (or, with `FALLOC_FL_*` modes, punches or zeroes) a range of the file. Matches
 * liburing's `io_uring_prep_fallocate` (IORING_OP_FALLOCATE, Linux 5.6).
 *
 * The fields differ from the call's order: the mode travels in `len` and the length in `addr`, as liburing writes
 * them.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param mode 0 to allocate (and extend the file), or `FALLOC_FL_*` flags (KEEP_SIZE 1, PUNCH_HOLE 2 with KEEP_SIZE,
 *   ZERO_RANGE 0x10 ...).
 * @param offset The start of the range in bytes, up to 2^53.
 * @param len The length of the range in bytes, up to 2^53.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number;
 *
 * prepFallocate(ring.getSqe()!, fd, 0, 0, 1 << 20); // reserve the first MiB
 * ```
 */
export function prepFallocate(sqe: Sqe, fd: number, mode: number, offset: number, len: number): void {
  prepRw(IORING_OP_FALLOCATE, sqe, fd, 0, mode, offset);
  setU64Words(sqe.u32, W_ADDR, len);
}

/**
 * Prepares fsync(2), or fdatasync(2) with IORING_FSYNC_DATASYNC. Matches liburing's `io_uring_prep_fsync`
 * (IORING_OP_FSYNC, Linux 5.1).
 *
 * It syncs what was written before it runs, not what was submitted before it: requests in flight may complete
 * after it. To order it after a write, link them (IOSQE_IO_LINK on the write) or wait for the write's CQE.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param fsyncFlags 0 for fsync, or IORING_FSYNC_DATASYNC for fdatasync.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_FSYNC_DATASYNC } from "ringside-uring/abi";
 * declare const ring: Ring, fd: number;
 *
 * prepFsync(ring.getSqe()!, fd, IORING_FSYNC_DATASYNC);
 * ```
 */
export function prepFsync(sqe: Sqe, fd: number, fsyncFlags: number): void {
  prepRw(IORING_OP_FSYNC, sqe, fd, 0, 0, 0);
  sqe.u32[W_OP_FLAGS] = fsyncFlags;
}

/**
 * Prepares sync_file_range(2): starts and/or waits for writeback of a range, without syncing metadata. Matches
 * liburing's `io_uring_prep_sync_file_range` (IORING_OP_SYNC_FILE_RANGE, Linux 5.2).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param len The length of the range in bytes (unsigned 32-bit); 0 means "to the end of the file".
 * @param offset The start of the range in bytes, up to 2^53.
 * @param flags `SYNC_FILE_RANGE_*` (WAIT_BEFORE 1, WRITE 2, WAIT_AFTER 4).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number;
 *
 * const SYNC_FILE_RANGE_WRITE = 2;
 * prepSyncFileRange(ring.getSqe()!, fd, 0, 0, SYNC_FILE_RANGE_WRITE);
 * ```
 */
export function prepSyncFileRange(sqe: Sqe, fd: number, len: number, offset: number, flags: number): void {
  prepRw(IORING_OP_SYNC_FILE_RANGE, sqe, fd, 0, len, offset);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares ftruncate(2): sets the length of an open file, cutting or extending it with zeros. Matches liburing's
 * `io_uring_prep_ftruncate` (IORING_OP_FTRUNCATE, Linux 6.9).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor (open for writing), or a registered-file index with IOSQE_FIXED_FILE.
 * @param len The new length in bytes, up to 2^53.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number;
 *
 * prepFtruncate(ring.getSqe()!, fd, 0);
 * ```
 */
export function prepFtruncate(sqe: Sqe, fd: number, len: number): void {
  prepRw(IORING_OP_FTRUNCATE, sqe, fd, 0, 0, len);
}
