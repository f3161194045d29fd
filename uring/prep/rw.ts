/**
 * Reads and writes: plain, vectored, into registered (fixed) buffers, and multishot into provided buffers.
 *
 * Every address here is raw. UNSAFE: the kernel dereferences it (and the buffers an iovec array points at) after
 * the call returns; the memory must stay valid until the CQE arrives.
 *
 * Offsets are numbers up to 2^53; -1 (written as all ones) means "the file's current position" on files that have
 * one, as in liburing.
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
 * Prepares a read of `nbytes` into `buf` at `offset`, like pread(2). Matches liburing's `io_uring_prep_read`
 * (Linux 5.6).
 *
 * UNSAFE: the kernel dereferences `buf`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor (or direct descriptor with IOSQE_FIXED_FILE).
 * @param buf The address of the buffer.
 * @param nbytes How many bytes to read (unsigned 32-bit).
 * @param offset The file offset, or -1 for the current position.
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepRead(sqe, fd, mem.address, mem.byteLength, 0);
 * ```
 */
export function prepRead(sqe: Sqe, fd: number, buf: number, nbytes: number, offset: number): void {
  prepRw(IORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

/**
 * Prepares a write of `nbytes` from `buf` at `offset`, like pwrite(2). Matches liburing's `io_uring_prep_write`
 * (Linux 5.6).
 *
 * UNSAFE: the kernel dereferences `buf`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor (or direct descriptor with IOSQE_FIXED_FILE).
 * @param buf The address of the data.
 * @param nbytes How many bytes to write (unsigned 32-bit).
 * @param offset The file offset, or -1 for the current position (appending files ignore it).
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepWrite(sqe, fd, mem.address, 5, 0);
 * ```
 */
export function prepWrite(sqe: Sqe, fd: number, buf: number, nbytes: number, offset: number): void {
  prepRw(IORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

/**
 * Prepares a vectored read, like preadv(2). Matches liburing's `io_uring_prep_readv` (Linux 5.1).
 *
 * UNSAFE: the kernel dereferences `iovecs` and every buffer it lists; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param iovecs The address of an array of `struct iovec` (16 bytes each).
 * @param nrVecs How many iovecs the array holds.
 * @param offset The file offset, or -1 for the current position.
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepReadv(sqe, fd, iov.address, 2, 0);
 * ```
 */
export function prepReadv(sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number): void {
  prepRw(IORING_OP_READV, sqe, fd, iovecs, nrVecs, offset);
}

/**
 * Prepares a vectored read with preadv2(2) flags (`RWF_*`). Matches liburing's `io_uring_prep_readv2` (Linux 5.1).
 *
 * UNSAFE: the kernel dereferences `iovecs` and every buffer it lists; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param iovecs The address of an array of `struct iovec`.
 * @param nrVecs How many iovecs the array holds.
 * @param offset The file offset, or -1 for the current position.
 * @param flags `RWF_*` flags (RWF_HIPRI 1, RWF_DSYNC 2, RWF_SYNC 4, RWF_NOWAIT 8, RWF_APPEND 16, ...).
 *
 * @example
 * ```ts
 * const RWF_NOWAIT = 8;
 * prepReadv2(ring.getSqe()!, fd, iov.address, 2, 0, RWF_NOWAIT);
 * ```
 */
export function prepReadv2(sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number): void {
  prepRw(IORING_OP_READV, sqe, fd, iovecs, nrVecs, offset);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a vectored write, like pwritev(2). Matches liburing's `io_uring_prep_writev` (Linux 5.1).
 *
 * UNSAFE: the kernel dereferences `iovecs` and every buffer it lists; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param iovecs The address of an array of `struct iovec`.
 * @param nrVecs How many iovecs the array holds.
 * @param offset The file offset, or -1 for the current position.
 *
 * @example
 * ```ts
 * prepWritev(ring.getSqe()!, fd, iov.address, 2, 0);
 * ```
 */
export function prepWritev(sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number): void {
  prepRw(IORING_OP_WRITEV, sqe, fd, iovecs, nrVecs, offset);
}

/**
 * Prepares a vectored write with pwritev2(2) flags (`RWF_*`). Matches liburing's `io_uring_prep_writev2`
 * (Linux 5.1).
 *
 * UNSAFE: the kernel dereferences `iovecs` and every buffer it lists; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param iovecs The address of an array of `struct iovec`.
 * @param nrVecs How many iovecs the array holds.
 * @param offset The file offset, or -1 for the current position.
 * @param flags `RWF_*` flags.
 *
 * @example
 * ```ts
 * const RWF_DSYNC = 2;
 * prepWritev2(ring.getSqe()!, fd, iov.address, 2, 0, RWF_DSYNC);
 * ```
 */
export function prepWritev2(sqe: Sqe, fd: number, iovecs: number, nrVecs: number, offset: number, flags: number): void {
  prepRw(IORING_OP_WRITEV, sqe, fd, iovecs, nrVecs, offset);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a read into a registered buffer (IORING_REGISTER_BUFFERS): `buf` must lie inside buffer `bufIndex`.
 * Matches liburing's `io_uring_prep_read_fixed` (Linux 5.1).
 *
 * UNSAFE: the kernel writes at `buf`; it must lie within the registered buffer and stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param buf The address to read into, inside the registered buffer.
 * @param nbytes How many bytes to read.
 * @param offset The file offset, or -1 for the current position.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * prepReadFixed(ring.getSqe()!, fd, mem.address, 4096, 0, 0);
 * ```
 */
export function prepReadFixed(
  sqe: Sqe, fd: number, buf: number, nbytes: number, offset: number, bufIndex: number,
): void {
  prepRw(IORING_OP_READ_FIXED, sqe, fd, buf, nbytes, offset);
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares a write from a registered buffer: `buf` must lie inside buffer `bufIndex`. Matches liburing's
 * `io_uring_prep_write_fixed` (Linux 5.1).
 *
 * UNSAFE: the kernel reads at `buf`; it must lie within the registered buffer and stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param buf The address of the data, inside the registered buffer.
 * @param nbytes How many bytes to write.
 * @param offset The file offset, or -1 for the current position.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * prepWriteFixed(ring.getSqe()!, fd, mem.address, 4096, 0, 0);
 * ```
 */
export function prepWriteFixed(
  sqe: Sqe, fd: number, buf: number, nbytes: number, offset: number, bufIndex: number,
): void {
  prepRw(IORING_OP_WRITE_FIXED, sqe, fd, buf, nbytes, offset);
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares a vectored read into registered buffer `bufIndex`: every iovec must fall inside that buffer. Matches
 * liburing's `io_uring_prep_readv_fixed` (Linux 6.15).
 *
 * UNSAFE: the kernel dereferences `iovecs` and the memory they describe; they must stay valid until the CQE
 * arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param iovecs The address of an array of `struct iovec`.
 * @param nrVecs How many iovecs the array holds.
 * @param offset The file offset, or -1 for the current position.
 * @param flags `RWF_*` flags.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * prepReadvFixed(ring.getSqe()!, fd, iov.address, 2, 0, 0, 0);
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
 * Prepares a vectored write from registered buffer `bufIndex`: every iovec must fall inside that buffer. Matches
 * liburing's `io_uring_prep_writev_fixed` (Linux 6.15).
 *
 * UNSAFE: the kernel dereferences `iovecs` and the memory they describe; they must stay valid until the CQE
 * arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param iovecs The address of an array of `struct iovec`.
 * @param nrVecs How many iovecs the array holds.
 * @param offset The file offset, or -1 for the current position.
 * @param flags `RWF_*` flags.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * prepWritevFixed(ring.getSqe()!, fd, iov.address, 2, 0, 0, 0);
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
 * `bufGroup`, fills it and posts a CQE with IORING_CQE_F_BUFFER (and IORING_CQE_F_MORE while it keeps going).
 * Sets IOSQE_BUFFER_SELECT itself. For pipes, sockets, eventfds and other files without a position. Matches
 * liburing's `io_uring_prep_read_multishot` (Linux 6.7).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param nbytes The most to read per completion, or 0 for the size of each provided buffer.
 * @param offset The file offset; must be 0 or -1 for files without a position.
 * @param bufGroup The provided-buffer group id (unsigned 16-bit).
 *
 * @example
 * ```ts
 * prepReadMultishot(ring.getSqe()!, pipeFd, 0, 0, 1);
 * ```
 */
export function prepReadMultishot(sqe: Sqe, fd: number, nbytes: number, offset: number, bufGroup: number): void {
  prepRw(IORING_OP_READ_MULTISHOT, sqe, fd, 0, nbytes, offset);
  sqe.u16[H_BUF_INDEX] = bufGroup;
  sqe.u8[B_FLAGS] = IOSQE_BUFFER_SELECT;
}
