/**
 * Reads and writes: plain, vectored, into registered (fixed) buffers, and multishot into provided buffers.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`: IOSQE_FIXED_FILE, IOSQE_IO_LINK ...) and the user_data (`sqeSetData`) afterwards.
 *
 * Addresses are plain numbers (`NativeMemory.address`). UNSAFE: the kernel dereferences them, and the buffers an
 * iovec array lists, when the request runs, which may be long after submit returns; the memory must stay valid (and,
 * for reads, untouched) until the CQE arrives.
 *
 * Offsets are byte positions up to 2^53. -1 (written as all ones, as C's `(__u64)-1`) means "the file's current
 * position, advanced by the transfer" (IORING_FEAT_RW_CUR_POS, Linux 5.6); files without a position (pipes,
 * sockets, character devices) take 0 or -1. The result of each CQE is the byte count moved or a negated errno; a
 * short count is not an error.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import {
  IORING_OP_READ,
  IORING_OP_READ_FIXED,
  IORING_OP_READ_MULTISHOT,
  IORING_OP_READV,
  IORING_OP_READV_FIXED,
  IORING_OP_WRITE,
  IORING_OP_WRITE_FIXED,
  IORING_OP_WRITEV,
  IORING_OP_WRITEV_FIXED,
  IOSQE_BUFFER_SELECT,
} from "../abi/uapi.ts";
import { B_FLAGS, H_BUF_INDEX, prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares a read of up to `nbytes` into `buf` from byte `offset`, as pread(2) (read(2) at offset -1). Matches
 * liburing's `io_uring_prep_read` (IORING_OP_READ, Linux 5.6).
 *
 * The result is the number of bytes read, 0 at end of file. With IOSQE_BUFFER_SELECT and a group set by
 * `sqeSetBufGroup`, pass `buf` 0: the kernel picks a provided buffer of at most `nbytes` and reports its id in the
 * CQE flags (IORING_CQE_F_BUFFER).
 *
 * UNSAFE: the kernel writes `buf`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address of the buffer, or 0 with buffer selection.
 * @param nbytes How many bytes to read at most (unsigned 32-bit).
 * @param offset The byte offset in the file, or -1 for the current position.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, fd: number;
 *
 * const buf = NativeMemory.allocate(4096);
 * prepRead(ring.getSqe()!, fd, buf.address, buf.byteLength, 0);
 * ring.submitAndWait(1); // keep `buf` alive until the CQE is reaped
 * ```
 */
export function prepRead(sqe: Sqe, fd: number, buf: number, nbytes: number, offset: number): void {
  prepRw(IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

/**
 * Prepares a write of `nbytes` from `buf` at byte `offset`, as pwrite(2) (write(2) at offset -1). Matches liburing's
 * `io_uring_prep_write` (IORING_OP_WRITE, Linux 5.6).
 *
 * The result is the number of bytes written, which may be short (a full disk, a pipe's capacity). A file opened with
 * O_APPEND is written at its end whatever the offset, as pwrite(2) does on Linux.
 *
 * UNSAFE: the kernel reads `buf`; it must stay valid and unchanged until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address of the data.
 * @param nbytes How many bytes to write (unsigned 32-bit).
 * @param offset The byte offset in the file, or -1 for the current position.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, fd: number;
 *
 * const data = NativeMemory.allocate(5);
 * data.bytes.set(new TextEncoder().encode("hello"));
 * prepWrite(ring.getSqe()!, fd, data.address, data.byteLength, -1);
 * ```
 */
export function prepWrite(sqe: Sqe, fd: number, buf: number, nbytes: number, offset: number): void {
  prepRw(IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

/**
 * Prepares a vectored read, as preadv(2): fills the buffers an array of `struct iovec` lists, in order. Matches
 * liburing's `io_uring_prep_readv` (IORING_OP_READV, Linux 5.1).
 *
 * The result is the total number of bytes read. For flags (`RWF_*`) use {@link prepReadv2}.
 *
 * UNSAFE: the kernel dereferences `iovecs` and writes every buffer it lists; all must stay valid until the CQE
 * arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param iovecs The address of an array of `struct iovec` (`IOVEC_SIZE`, 16 bytes each).
 * @param nrVecs How many iovecs the array holds (at most `UIO_MAXIOV`, 1024).
 * @param offset The byte offset in the file, or -1 for the current position.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { IOVEC_SIZE } from "ringside-uring/abi";
 * declare const ring: Ring, fd: number;
 *
 * const header = NativeMemory.allocate(4096), body = NativeMemory.allocate(65536);
 * const iov = NativeMemory.allocate(2 * IOVEC_SIZE);
 * const v = new DataView(iov.buffer); // struct iovec: u64 iov_base, u64 iov_len
 * v.setBigUint64(0, BigInt(header.address), true);
 * v.setBigUint64(8, BigInt(header.byteLength), true);
 * v.setBigUint64(IOVEC_SIZE, BigInt(body.address), true);
 * v.setBigUint64(IOVEC_SIZE + 8, BigInt(body.byteLength), true);
 * prepReadv(ring.getSqe()!, fd, iov.address, 2, 0);
 * ```
 */
export function prepReadv(sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number): void {
  prepRw(IORING_OP_READV, sqe, fd, iovecs, nrVecs, offset);
}

/**
 * Prepares a vectored read with preadv2(2) flags. Matches liburing's `io_uring_prep_readv2` (IORING_OP_READV with
 * rw_flags, Linux 5.1).
 *
 * RWF_NOWAIT makes a read that would block on I/O complete with -EAGAIN instead; RWF_HIPRI belongs to
 * IORING_SETUP_IOPOLL rings (polled O_DIRECT I/O).
 *
 * UNSAFE: the kernel dereferences `iovecs` and writes every buffer it lists; all must stay valid until the CQE
 * arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param iovecs The address of an array of `struct iovec` (16 bytes each).
 * @param nrVecs How many iovecs the array holds (at most 1024).
 * @param offset The byte offset in the file, or -1 for the current position.
 * @param flags `RWF_*` flags (RWF_HIPRI 1, RWF_DSYNC 2, RWF_SYNC 4, RWF_NOWAIT 8, RWF_APPEND 16), or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number, iovecs: number; // the address of two struct iovec
 *
 * const RWF_NOWAIT = 8;
 * prepReadv2(ring.getSqe()!, fd, iovecs, 2, 0, RWF_NOWAIT);
 * ```
 */
export function prepReadv2(sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number): void {
  prepRw(IORING_OP_READV, sqe, fd, iovecs, nrVecs, offset);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a vectored write, as pwritev(2): writes the buffers an array of `struct iovec` lists, in order. Matches
 * liburing's `io_uring_prep_writev` (IORING_OP_WRITEV, Linux 5.1).
 *
 * The result is the total number of bytes written, which may be short. For flags (`RWF_*`) use {@link prepWritev2}.
 *
 * UNSAFE: the kernel dereferences `iovecs` and reads every buffer it lists; all must stay valid until the CQE
 * arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param iovecs The address of an array of `struct iovec` (16 bytes each).
 * @param nrVecs How many iovecs the array holds (at most 1024).
 * @param offset The byte offset in the file, or -1 for the current position.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number, iovecs: number; // the address of two struct iovec
 *
 * prepWritev(ring.getSqe()!, fd, iovecs, 2, -1);
 * ```
 */
export function prepWritev(sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number): void {
  prepRw(IORING_OP_WRITEV, sqe, fd, iovecs, nrVecs, offset);
}

/**
 * Prepares a vectored write with pwritev2(2) flags. Matches liburing's `io_uring_prep_writev2` (IORING_OP_WRITEV
 * with rw_flags, Linux 5.1).
 *
 * RWF_DSYNC / RWF_SYNC make this one write durable as O_DSYNC / O_SYNC would; RWF_APPEND writes at the end of the
 * file whatever the offset.
 *
 * UNSAFE: the kernel dereferences `iovecs` and reads every buffer it lists; all must stay valid until the CQE
 * arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param iovecs The address of an array of `struct iovec` (16 bytes each).
 * @param nrVecs How many iovecs the array holds (at most 1024).
 * @param offset The byte offset in the file, or -1 for the current position.
 * @param flags `RWF_*` flags (RWF_HIPRI 1, RWF_DSYNC 2, RWF_SYNC 4, RWF_NOWAIT 8, RWF_APPEND 16), or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number, iovecs: number; // the address of two struct iovec
 *
 * const RWF_DSYNC = 2;
 * prepWritev2(ring.getSqe()!, fd, iovecs, 2, 0, RWF_DSYNC);
 * ```
 */
export function prepWritev2(sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number): void {
  prepRw(IORING_OP_WRITEV, sqe, fd, iovecs, nrVecs, offset);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a read into a registered buffer: `buf` to `buf + nbytes` must lie inside buffer `bufIndex` of the table
 * registered with IORING_REGISTER_BUFFERS (else the CQE carries -EFAULT). Matches liburing's
 * `io_uring_prep_read_fixed` (IORING_OP_READ_FIXED, Linux 5.1).
 *
 * The kernel pinned the registered memory once, so each request skips mapping the user pages: the fast path for
 * O_DIRECT and block devices.
 *
 * UNSAFE: the kernel writes at `buf`; the registered memory must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address to read into, inside the registered buffer (any offset in it, not only its start).
 * @param nbytes How many bytes to read at most (unsigned 32-bit).
 * @param offset The byte offset in the file, or -1 for the current position.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import type { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, fd: number, registered: NativeMemory; // buffer 0 of the registered table
 *
 * prepReadFixed(ring.getSqe()!, fd, registered.address, 4096, 0, 0);
 * ```
 */
export function prepReadFixed(
  sqe: Sqe, fd: number, buf: number, nbytes: number, offset: number, bufIndex: number,
): void {
  prepRw(IORING_OP_READ_FIXED, sqe, fd, buf, nbytes, offset);
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares a write from a registered buffer: `buf` to `buf + nbytes` must lie inside buffer `bufIndex` (else
 * -EFAULT). Matches liburing's `io_uring_prep_write_fixed` (IORING_OP_WRITE_FIXED, Linux 5.1).
 *
 * UNSAFE: the kernel reads at `buf`; the registered memory must stay valid and unchanged until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address of the data, inside the registered buffer.
 * @param nbytes How many bytes to write (unsigned 32-bit).
 * @param offset The byte offset in the file, or -1 for the current position.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import type { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, fd: number, registered: NativeMemory; // buffer 0 of the registered table
 *
 * prepWriteFixed(ring.getSqe()!, fd, registered.address + 4096, 4096, 4096, 0);
 * ```
 */
export function prepWriteFixed(
  sqe: Sqe, fd: number, buf: number, nbytes: number, offset: number, bufIndex: number,
): void {
  prepRw(IORING_OP_WRITE_FIXED, sqe, fd, buf, nbytes, offset);
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares a vectored read into registered buffer `bufIndex`: every iovec must describe memory inside that buffer.
 * Matches liburing's `io_uring_prep_readv_fixed` (IORING_OP_READV_FIXED, Linux 6.15).
 *
 * UNSAFE: the kernel dereferences `iovecs` and writes the memory they describe; all must stay valid until the CQE
 * arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param iovecs The address of an array of `struct iovec` (16 bytes each).
 * @param nrVecs How many iovecs the array holds (at most 1024).
 * @param offset The byte offset in the file, or -1 for the current position.
 * @param flags `RWF_*` flags, or 0.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number, iovecs: number; // two struct iovec inside registered buffer 0
 *
 * prepReadvFixed(ring.getSqe()!, fd, iovecs, 2, 0, 0, 0);
 * ```
 */
export function prepReadvFixed(
  sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number, bufIndex: number,
): void {
  prepRw(IORING_OP_READV_FIXED, sqe, fd, iovecs, nrVecs, offset);
  sqe.u32[W_OP_FLAGS] = flags;
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares a vectored write from registered buffer `bufIndex`: every iovec must describe memory inside that buffer.
 * Matches liburing's `io_uring_prep_writev_fixed` (IORING_OP_WRITEV_FIXED, Linux 6.15).
 *
 * UNSAFE: the kernel dereferences `iovecs` and reads the memory they describe; all must stay valid until the CQE
 * arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param iovecs The address of an array of `struct iovec` (16 bytes each).
 * @param nrVecs How many iovecs the array holds (at most 1024).
 * @param offset The byte offset in the file, or -1 for the current position.
 * @param flags `RWF_*` flags, or 0.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number, iovecs: number; // two struct iovec inside registered buffer 0
 *
 * prepWritevFixed(ring.getSqe()!, fd, iovecs, 2, 0, 0, 0);
 * ```
 */
export function prepWritevFixed(
  sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number, bufIndex: number,
): void {
  prepRw(IORING_OP_WRITEV_FIXED, sqe, fd, iovecs, nrVecs, offset);
  sqe.u32[W_OP_FLAGS] = flags;
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares a multishot read: each time data arrives the kernel takes a buffer from provided-buffer group
 * `bufGroup`, fills it and posts a CQE (IORING_CQE_F_BUFFER with the buffer id, IORING_CQE_F_MORE while it stays
 * armed). Matches liburing's `io_uring_prep_read_multishot` (IORING_OP_READ_MULTISHOT, Linux 6.7).
 *
 * Only for files that can be polled (pipes, sockets, eventfds, ttys); a regular file fails. The request ends with a
 * CQE without IORING_CQE_F_MORE: at end of file (res 0), on an error, or with -ENOBUFS when the group runs out of
 * buffers (provide more, then arm it again).
 *
 * Unlike the other helpers this one sets IOSQE_BUFFER_SELECT in the flags (as liburing does); `sqeSetFlags`
 * replaces the flags, so include IOSQE_BUFFER_SELECT in anything set afterwards.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index with IOSQE_FIXED_FILE (plus IOSQE_BUFFER_SELECT).
 * @param nbytes The most to read per completion, or 0 for the size of each provided buffer.
 * @param offset 0 or -1 (such files have no position).
 * @param bufGroup The provided-buffer group id (unsigned 16-bit), of a buffer ring or legacy provided buffers.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, pipeRead: number; // and buffer group 1 registered
 *
 * prepReadMultishot(ring.getSqe()!, pipeRead, 0, 0, 1);
 * ```
 */
export function prepReadMultishot(sqe: Sqe, fd: number, nbytes: number, offset: number, bufGroup: number): void {
  prepRw(IORING_OP_READ_MULTISHOT, sqe, fd, 0, nbytes, offset);
  sqe.u16[H_BUF_INDEX] = bufGroup;
  sqe.u8[B_FLAGS] = IOSQE_BUFFER_SELECT;
}
