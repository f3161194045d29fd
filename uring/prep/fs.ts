/**
 * Filesystem operations: open, close, statx, the path operations (unlink, rename, mkdir, symlink, link), extended
 * attributes, advice, allocation, syncing and truncation.
 *
 * Paths and other pointers are raw addresses. UNSAFE: the kernel dereferences them after the call returns; the
 * memory (a NUL-terminated path, a `struct statx`, a `struct open_how` ...) must stay valid until the CQE arrives.
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
} from "../abi/uapi.ts";
import { prepRw, setDirectTarget, setTargetFixedFile, setU64, W_ADDR, W_ADDR3, W_OP_FLAGS } from "./base.ts";

/** The `dfd` meaning "relative to the current working directory" (fcntl.h). */
export const AT_FDCWD = -100;

/** `sizeof(struct open_how)` (linux/openat2.h): flags u64, mode u64, resolve u64. */
const OPEN_HOW_SIZE = 24;

/**
 * Prepares openat(2): opens `path` relative to directory `dfd`; the result is the new file descriptor. Matches
 * liburing's `io_uring_prep_openat` (Linux 5.6).
 *
 * UNSAFE: the kernel dereferences `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param dfd The directory descriptor, or {@link AT_FDCWD}.
 * @param path The address of a NUL-terminated path.
 * @param flags `O_*` flags.
 * @param mode The mode bits for a created file.
 *
 * @example
 * ```ts
 * const O_RDONLY = 0;
 * prepOpenat(ring.getSqe()!, AT_FDCWD, path.address, O_RDONLY, 0);
 * ```
 */
export function prepOpenat(sqe: Sqe, dfd: number, path: number, flags: number, mode: number): void {
  prepRw(IORING_OP_OPENAT, sqe, dfd, path, mode, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares openat(2) into the registered file table: the file becomes direct descriptor `fileIndex` (or, with
 * `IORING_FILE_INDEX_ALLOC`, a free slot the kernel returns as the result). Matches liburing's
 * `io_uring_prep_openat_direct` (Linux 5.15; ALLOC 5.19).
 *
 * UNSAFE: the kernel dereferences `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param dfd The directory descriptor, or {@link AT_FDCWD}.
 * @param path The address of a NUL-terminated path.
 * @param flags `O_*` flags (O_CLOEXEC is not allowed for direct descriptors).
 * @param mode The mode bits for a created file.
 * @param fileIndex The slot in the registered file table, or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * prepOpenatDirect(ring.getSqe()!, AT_FDCWD, path.address, 0, 0, IORING_FILE_INDEX_ALLOC);
 * ```
 */
export function prepOpenatDirect(
  sqe: Sqe, dfd: number, path: number, flags: number, mode: number, fileIndex: number,
): void {
  prepOpenat(sqe, dfd, path, flags, mode);
  setDirectTarget(sqe, fileIndex);
}

/**
 * Prepares open(2): {@link prepOpenat} relative to the current directory. Matches liburing's `io_uring_prep_open`
 * (Linux 5.6).
 *
 * UNSAFE: the kernel dereferences `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param path The address of a NUL-terminated path.
 * @param flags `O_*` flags.
 * @param mode The mode bits for a created file.
 *
 * @example
 * ```ts
 * const O_WRONLY = 1, O_CREAT = 0o100;
 * prepOpen(ring.getSqe()!, path.address, O_WRONLY | O_CREAT, 0o644);
 * ```
 */
export function prepOpen(sqe: Sqe, path: number, flags: number, mode: number): void {
  prepOpenat(sqe, AT_FDCWD, path, flags, mode);
}

/**
 * Prepares open(2) into the registered file table (see {@link prepOpenatDirect}). Matches liburing's
 * `io_uring_prep_open_direct` (Linux 5.15).
 *
 * UNSAFE: the kernel dereferences `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param path The address of a NUL-terminated path.
 * @param flags `O_*` flags.
 * @param mode The mode bits for a created file.
 * @param fileIndex The slot in the registered file table, or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * prepOpenDirect(ring.getSqe()!, path.address, 0, 0, 3);
 * ```
 */
export function prepOpenDirect(sqe: Sqe, path: number, flags: number, mode: number, fileIndex: number): void {
  prepOpenatDirect(sqe, AT_FDCWD, path, flags, mode, fileIndex);
}

/**
 * Prepares openat2(2), whose options come in a `struct open_how` (24 bytes: flags, mode, resolve). Matches
 * liburing's `io_uring_prep_openat2` (Linux 5.6).
 *
 * UNSAFE: the kernel dereferences `path` and `how`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param dfd The directory descriptor, or {@link AT_FDCWD}.
 * @param path The address of a NUL-terminated path.
 * @param how The address of a `struct open_how`.
 *
 * @example
 * ```ts
 * prepOpenat2(ring.getSqe()!, AT_FDCWD, path.address, how.address);
 * ```
 */
export function prepOpenat2(sqe: Sqe, dfd: number, path: number, how: number): void {
  prepRw(IORING_OP_OPENAT2, sqe, dfd, path, OPEN_HOW_SIZE, how);
}

/**
 * Prepares openat2(2) into the registered file table (see {@link prepOpenatDirect}). Matches liburing's
 * `io_uring_prep_openat2_direct` (Linux 5.15).
 *
 * UNSAFE: the kernel dereferences `path` and `how`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param dfd The directory descriptor, or {@link AT_FDCWD}.
 * @param path The address of a NUL-terminated path.
 * @param how The address of a `struct open_how`.
 * @param fileIndex The slot in the registered file table, or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * prepOpenat2Direct(ring.getSqe()!, AT_FDCWD, path.address, how.address, IORING_FILE_INDEX_ALLOC);
 * ```
 */
export function prepOpenat2Direct(sqe: Sqe, dfd: number, path: number, how: number, fileIndex: number): void {
  prepOpenat2(sqe, dfd, path, how);
  setDirectTarget(sqe, fileIndex);
}

/**
 * Prepares close(2) of a file descriptor. Matches liburing's `io_uring_prep_close` (Linux 5.6).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor to close.
 *
 * @example
 * ```ts
 * prepClose(ring.getSqe()!, fd);
 * ```
 */
export function prepClose(sqe: Sqe, fd: number): void {
  prepRw(IORING_OP_CLOSE, sqe, fd, 0, 0, 0);
}

/**
 * Prepares closing direct descriptor `fileIndex` (emptying that slot of the registered file table). Matches
 * liburing's `io_uring_prep_close_direct` (Linux 5.15).
 *
 * @param sqe The SQE to fill.
 * @param fileIndex The slot in the registered file table.
 *
 * @example
 * ```ts
 * prepCloseDirect(ring.getSqe()!, 3);
 * ```
 */
export function prepCloseDirect(sqe: Sqe, fileIndex: number): void {
  prepRw(IORING_OP_CLOSE, sqe, 0, 0, 0, 0);
  setTargetFixedFile(sqe, fileIndex);
}

/**
 * Prepares statx(2): fills the `struct statx` (256 bytes) at `statxbuf`. Matches liburing's `io_uring_prep_statx`
 * (Linux 5.6).
 *
 * UNSAFE: the kernel dereferences `path` and writes `statxbuf`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param dfd The directory descriptor, or {@link AT_FDCWD}.
 * @param path The address of a NUL-terminated path (an empty string with AT_EMPTY_PATH stats `dfd` itself).
 * @param flags `AT_*` flags (AT_EMPTY_PATH 0x1000, AT_SYMLINK_NOFOLLOW 0x100, AT_STATX_* ...).
 * @param mask `STATX_*` fields wanted (STATX_BASIC_STATS 0x7ff, STATX_ALL 0xfff ...).
 * @param statxbuf The address of a `struct statx` to fill.
 *
 * @example
 * ```ts
 * const STATX_BASIC_STATS = 0x7ff;
 * prepStatx(ring.getSqe()!, AT_FDCWD, path.address, 0, STATX_BASIC_STATS, stx.address);
 * ```
 */
export function prepStatx(sqe: Sqe, dfd: number, path: number, flags: number, mask: number, statxbuf: number): void {
  prepRw(IORING_OP_STATX, sqe, dfd, path, mask, statxbuf);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares unlinkat(2). Matches liburing's `io_uring_prep_unlinkat` (Linux 5.11).
 *
 * UNSAFE: the kernel dereferences `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param dfd The directory descriptor, or {@link AT_FDCWD}.
 * @param path The address of a NUL-terminated path.
 * @param flags 0, or AT_REMOVEDIR (0x200) to remove a directory.
 *
 * @example
 * ```ts
 * prepUnlinkat(ring.getSqe()!, dirFd, name.address, 0);
 * ```
 */
export function prepUnlinkat(sqe: Sqe, dfd: number, path: number, flags: number): void {
  prepRw(IORING_OP_UNLINKAT, sqe, dfd, path, 0, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares unlink(2) (or rmdir(2) with AT_REMOVEDIR) relative to the current directory. Matches liburing's
 * `io_uring_prep_unlink` (Linux 5.11).
 *
 * UNSAFE: the kernel dereferences `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param path The address of a NUL-terminated path.
 * @param flags 0, or AT_REMOVEDIR (0x200).
 *
 * @example
 * ```ts
 * prepUnlink(ring.getSqe()!, path.address, 0);
 * ```
 */
export function prepUnlink(sqe: Sqe, path: number, flags: number): void {
  prepUnlinkat(sqe, AT_FDCWD, path, flags);
}

/**
 * Prepares renameat2(2). Matches liburing's `io_uring_prep_renameat` (Linux 5.11).
 *
 * UNSAFE: the kernel dereferences both paths; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param olddfd The directory of the old path, or {@link AT_FDCWD}.
 * @param oldpath The address of the NUL-terminated old path.
 * @param newdfd The directory of the new path, or {@link AT_FDCWD}.
 * @param newpath The address of the NUL-terminated new path.
 * @param flags `RENAME_*` flags (RENAME_NOREPLACE 1, RENAME_EXCHANGE 2, RENAME_WHITEOUT 4).
 *
 * @example
 * ```ts
 * prepRenameat(ring.getSqe()!, AT_FDCWD, from.address, AT_FDCWD, to.address, 0);
 * ```
 */
export function prepRenameat(
  sqe: Sqe, olddfd: number, oldpath: number, newdfd: number, newpath: number, flags: number,
): void {
  prepRw(IORING_OP_RENAMEAT, sqe, olddfd, oldpath, newdfd, newpath);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares rename(2) relative to the current directory. Matches liburing's `io_uring_prep_rename` (Linux 5.11).
 *
 * UNSAFE: the kernel dereferences both paths; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param oldpath The address of the NUL-terminated old path.
 * @param newpath The address of the NUL-terminated new path.
 *
 * @example
 * ```ts
 * prepRename(ring.getSqe()!, from.address, to.address);
 * ```
 */
export function prepRename(sqe: Sqe, oldpath: number, newpath: number): void {
  prepRenameat(sqe, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

/**
 * Prepares mkdirat(2). Matches liburing's `io_uring_prep_mkdirat` (Linux 5.15).
 *
 * UNSAFE: the kernel dereferences `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param dfd The directory descriptor, or {@link AT_FDCWD}.
 * @param path The address of a NUL-terminated path.
 * @param mode The mode bits of the new directory.
 *
 * @example
 * ```ts
 * prepMkdirat(ring.getSqe()!, dirFd, name.address, 0o755);
 * ```
 */
export function prepMkdirat(sqe: Sqe, dfd: number, path: number, mode: number): void {
  prepRw(IORING_OP_MKDIRAT, sqe, dfd, path, mode, 0);
}

/**
 * Prepares mkdir(2) relative to the current directory. Matches liburing's `io_uring_prep_mkdir` (Linux 5.15).
 *
 * UNSAFE: the kernel dereferences `path`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param path The address of a NUL-terminated path.
 * @param mode The mode bits of the new directory.
 *
 * @example
 * ```ts
 * prepMkdir(ring.getSqe()!, path.address, 0o755);
 * ```
 */
export function prepMkdir(sqe: Sqe, path: number, mode: number): void {
  prepMkdirat(sqe, AT_FDCWD, path, mode);
}

/**
 * Prepares symlinkat(2): creates `linkpath` (relative to `newdirfd`) pointing at `target`. Matches liburing's
 * `io_uring_prep_symlinkat` (Linux 5.15).
 *
 * UNSAFE: the kernel dereferences both strings; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param target The address of the NUL-terminated link target.
 * @param newdirfd The directory of `linkpath`, or {@link AT_FDCWD}.
 * @param linkpath The address of the NUL-terminated path of the new link.
 *
 * @example
 * ```ts
 * prepSymlinkat(ring.getSqe()!, target.address, AT_FDCWD, link.address);
 * ```
 */
export function prepSymlinkat(sqe: Sqe, target: number, newdirfd: number, linkpath: number): void {
  prepRw(IORING_OP_SYMLINKAT, sqe, newdirfd, target, 0, linkpath);
}

/**
 * Prepares symlink(2) relative to the current directory. Matches liburing's `io_uring_prep_symlink` (Linux 5.15).
 *
 * UNSAFE: the kernel dereferences both strings; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param target The address of the NUL-terminated link target.
 * @param linkpath The address of the NUL-terminated path of the new link.
 *
 * @example
 * ```ts
 * prepSymlink(ring.getSqe()!, target.address, link.address);
 * ```
 */
export function prepSymlink(sqe: Sqe, target: number, linkpath: number): void {
  prepSymlinkat(sqe, target, AT_FDCWD, linkpath);
}

/**
 * Prepares linkat(2): a new hard link `newpath` to `oldpath`. Matches liburing's `io_uring_prep_linkat`
 * (Linux 5.15).
 *
 * UNSAFE: the kernel dereferences both paths; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param olddfd The directory of `oldpath`, or {@link AT_FDCWD}.
 * @param oldpath The address of the NUL-terminated existing path.
 * @param newdfd The directory of `newpath`, or {@link AT_FDCWD}.
 * @param newpath The address of the NUL-terminated new path.
 * @param flags `AT_*` flags (AT_SYMLINK_FOLLOW 0x400, AT_EMPTY_PATH 0x1000).
 *
 * @example
 * ```ts
 * prepLinkat(ring.getSqe()!, AT_FDCWD, from.address, AT_FDCWD, to.address, 0);
 * ```
 */
export function prepLinkat(
  sqe: Sqe, olddfd: number, oldpath: number, newdfd: number, newpath: number, flags: number,
): void {
  prepRw(IORING_OP_LINKAT, sqe, olddfd, oldpath, newdfd, newpath);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares link(2) relative to the current directory. Matches liburing's `io_uring_prep_link` (Linux 5.15).
 *
 * UNSAFE: the kernel dereferences both paths; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param oldpath The address of the NUL-terminated existing path.
 * @param newpath The address of the NUL-terminated new path.
 * @param flags `AT_*` flags.
 *
 * @example
 * ```ts
 * prepLink(ring.getSqe()!, from.address, to.address, 0);
 * ```
 */
export function prepLink(sqe: Sqe, oldpath: number, newpath: number, flags: number): void {
  prepLinkat(sqe, AT_FDCWD, oldpath, AT_FDCWD, newpath, flags);
}

/**
 * Prepares getxattr(2) on a path. Matches liburing's `io_uring_prep_getxattr` (Linux 5.19).
 *
 * UNSAFE: the kernel dereferences `name` and `path` and writes `value`; all must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param name The address of the NUL-terminated attribute name.
 * @param value The address of the buffer receiving the value.
 * @param path The address of the NUL-terminated path.
 * @param len The size of the value buffer.
 *
 * @example
 * ```ts
 * prepGetxattr(ring.getSqe()!, name.address, value.address, path.address, 256);
 * ```
 */
export function prepGetxattr(sqe: Sqe, name: number, value: number, path: number, len: number): void {
  prepRw(IORING_OP_GETXATTR, sqe, 0, name, len, value);
  setU64(sqe.u32, W_ADDR3, path);
}

/**
 * Prepares setxattr(2) on a path. Matches liburing's `io_uring_prep_setxattr` (Linux 5.19).
 *
 * UNSAFE: the kernel dereferences `name`, `value` and `path`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param name The address of the NUL-terminated attribute name.
 * @param value The address of the value.
 * @param path The address of the NUL-terminated path.
 * @param flags XATTR_CREATE (1) or XATTR_REPLACE (2), or 0.
 * @param len The length of the value.
 *
 * @example
 * ```ts
 * prepSetxattr(ring.getSqe()!, name.address, value.address, path.address, 0, 5);
 * ```
 */
export function prepSetxattr(
  sqe: Sqe, name: number, value: number, path: number, flags: number, len: number,
): void {
  prepRw(IORING_OP_SETXATTR, sqe, 0, name, len, value);
  setU64(sqe.u32, W_ADDR3, path);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares fgetxattr(2) on an open file. Matches liburing's `io_uring_prep_fgetxattr` (Linux 5.19).
 *
 * UNSAFE: the kernel dereferences `name` and writes `value`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param name The address of the NUL-terminated attribute name.
 * @param value The address of the buffer receiving the value.
 * @param len The size of the value buffer.
 *
 * @example
 * ```ts
 * prepFgetxattr(ring.getSqe()!, fd, name.address, value.address, 256);
 * ```
 */
export function prepFgetxattr(sqe: Sqe, fd: number, name: number, value: number, len: number): void {
  prepRw(IORING_OP_FGETXATTR, sqe, fd, name, len, value);
}

/**
 * Prepares fsetxattr(2) on an open file. Matches liburing's `io_uring_prep_fsetxattr` (Linux 5.19).
 *
 * UNSAFE: the kernel dereferences `name` and `value`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param name The address of the NUL-terminated attribute name.
 * @param value The address of the value.
 * @param flags XATTR_CREATE (1) or XATTR_REPLACE (2), or 0.
 * @param len The length of the value.
 *
 * @example
 * ```ts
 * prepFsetxattr(ring.getSqe()!, fd, name.address, value.address, 0, 5);
 * ```
 */
export function prepFsetxattr(sqe: Sqe, fd: number, name: number, value: number, flags: number, len: number): void {
  prepRw(IORING_OP_FSETXATTR, sqe, fd, name, len, value);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares posix_fadvise(2) with a 32-bit length. Matches liburing's `io_uring_prep_fadvise` (Linux 5.6).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param offset The start of the range.
 * @param len The length of the range (unsigned 32-bit; 0 means to the end of the file).
 * @param advice `POSIX_FADV_*` (NORMAL 0, RANDOM 1, SEQUENTIAL 2, WILLNEED 3, DONTNEED 4, NOREUSE 5).
 *
 * @example
 * ```ts
 * const POSIX_FADV_SEQUENTIAL = 2;
 * prepFadvise(ring.getSqe()!, fd, 0, 0, POSIX_FADV_SEQUENTIAL);
 * ```
 */
export function prepFadvise(sqe: Sqe, fd: number, offset: number, len: number, advice: number): void {
  prepRw(IORING_OP_FADVISE, sqe, fd, 0, len, offset);
  sqe.u32[W_OP_FLAGS] = advice;
}

/**
 * Prepares posix_fadvise(2) with a 64-bit length (carried in `addr`; kernels before 6.12 read only the 32-bit
 * `len`, which this leaves 0, meaning "to the end of the file"). Matches liburing's `io_uring_prep_fadvise64`
 * (Linux 5.6; 64-bit length 6.12).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param offset The start of the range.
 * @param len The length of the range, up to 2^53.
 * @param advice `POSIX_FADV_*`.
 *
 * @example
 * ```ts
 * const POSIX_FADV_DONTNEED = 4;
 * prepFadvise64(ring.getSqe()!, fd, 0, 8 * 2 ** 30, POSIX_FADV_DONTNEED);
 * ```
 */
export function prepFadvise64(sqe: Sqe, fd: number, offset: number, len: number, advice: number): void {
  prepRw(IORING_OP_FADVISE, sqe, fd, len, 0, offset);
  sqe.u32[W_OP_FLAGS] = advice;
}

/**
 * Prepares madvise(2) with a 32-bit length. Matches liburing's `io_uring_prep_madvise` (Linux 5.6).
 *
 * UNSAFE: the kernel acts on the mapping at `addr`.
 *
 * @param sqe The SQE to fill.
 * @param addr The start of the range (page-aligned).
 * @param length The length of the range (unsigned 32-bit).
 * @param advice `MADV_*` (MADV_NORMAL 0, MADV_RANDOM 1, MADV_SEQUENTIAL 2, MADV_WILLNEED 3, MADV_DONTNEED 4 ...).
 *
 * @example
 * ```ts
 * const MADV_WILLNEED = 3;
 * prepMadvise(ring.getSqe()!, mem.address, mem.byteLength, MADV_WILLNEED);
 * ```
 */
export function prepMadvise(sqe: Sqe, addr: number, length: number, advice: number): void {
  prepRw(IORING_OP_MADVISE, sqe, -1, addr, length, 0);
  sqe.u32[W_OP_FLAGS] = advice;
}

/**
 * Prepares madvise(2) with a 64-bit length (carried in `off`; kernels before 6.12 read only the 32-bit `len`,
 * which this leaves 0). Matches liburing's `io_uring_prep_madvise64` (Linux 5.6; 64-bit length 6.12).
 *
 * UNSAFE: the kernel acts on the mapping at `addr`.
 *
 * @param sqe The SQE to fill.
 * @param addr The start of the range (page-aligned).
 * @param length The length of the range, up to 2^53.
 * @param advice `MADV_*`.
 *
 * @example
 * ```ts
 * const MADV_DONTNEED = 4;
 * prepMadvise64(ring.getSqe()!, mem.address, mem.byteLength, MADV_DONTNEED);
 * ```
 */
export function prepMadvise64(sqe: Sqe, addr: number, length: number, advice: number): void {
  prepRw(IORING_OP_MADVISE, sqe, -1, addr, 0, length);
  sqe.u32[W_OP_FLAGS] = advice;
}

/**
 * Prepares fallocate(2). Matches liburing's `io_uring_prep_fallocate` (Linux 5.6).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param mode `FALLOC_FL_*` flags (KEEP_SIZE 1, PUNCH_HOLE 2, ZERO_RANGE 0x10 ...), or 0.
 * @param offset The start of the range, up to 2^53.
 * @param len The length of the range, up to 2^53.
 *
 * @example
 * ```ts
 * prepFallocate(ring.getSqe()!, fd, 0, 0, 1 << 20);
 * ```
 */
export function prepFallocate(sqe: Sqe, fd: number, mode: number, offset: number, len: number): void {
  prepRw(IORING_OP_FALLOCATE, sqe, fd, 0, mode, offset);
  setU64(sqe.u32, W_ADDR, len);
}

/**
 * Prepares fsync(2), or fdatasync(2) with IORING_FSYNC_DATASYNC. Matches liburing's `io_uring_prep_fsync`
 * (Linux 5.1).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param fsyncFlags 0 or IORING_FSYNC_DATASYNC.
 *
 * @example
 * ```ts
 * prepFsync(ring.getSqe()!, fd, IORING_FSYNC_DATASYNC);
 * ```
 */
export function prepFsync(sqe: Sqe, fd: number, fsyncFlags: number): void {
  prepRw(IORING_OP_FSYNC, sqe, fd, 0, 0, 0);
  sqe.u32[W_OP_FLAGS] = fsyncFlags;
}

/**
 * Prepares sync_file_range(2). Matches liburing's `io_uring_prep_sync_file_range` (Linux 5.2).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param len The length of the range (unsigned 32-bit; 0 means to the end of the file).
 * @param offset The start of the range.
 * @param flags `SYNC_FILE_RANGE_*` (WAIT_BEFORE 1, WRITE 2, WAIT_AFTER 4).
 *
 * @example
 * ```ts
 * const SYNC_FILE_RANGE_WRITE = 2;
 * prepSyncFileRange(ring.getSqe()!, fd, 0, 0, SYNC_FILE_RANGE_WRITE);
 * ```
 */
export function prepSyncFileRange(sqe: Sqe, fd: number, len: number, offset: number, flags: number): void {
  prepRw(IORING_OP_SYNC_FILE_RANGE, sqe, fd, 0, len, offset);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares ftruncate(2). Matches liburing's `io_uring_prep_ftruncate` (Linux 6.9).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param len The new length, up to 2^53.
 *
 * @example
 * ```ts
 * prepFtruncate(ring.getSqe()!, fd, 0);
 * ```
 */
export function prepFtruncate(sqe: Sqe, fd: number, len: number): void {
  prepRw(IORING_OP_FTRUNCATE, sqe, fd, 0, 0, len);
}
