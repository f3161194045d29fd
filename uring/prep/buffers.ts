/**
 * Legacy provided buffers (IORING_OP_PROVIDE_BUFFERS): hand a group of buffers to the kernel, or take them back.
 * Buffer rings (`io_uring_buf_ring_*`, registered with IORING_REGISTER_PBUF_RING) are faster and live elsewhere.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_PROVIDE_BUFFERS, IORING_OP_REMOVE_BUFFERS } from "../abi/uapi.ts";
import { H_BUF_INDEX, prepRw } from "./base.ts";

/**
 * Prepares handing `nr` buffers of `len` bytes each, laid out back to back from `addr`, to buffer group `bgid` with
 * ids `bid`, `bid + 1`, ... Matches liburing's `io_uring_prep_provide_buffers` (Linux 5.7).
 *
 * UNSAFE: the kernel writes into these buffers whenever it picks one; they must stay valid until removed or used.
 *
 * @param sqe The SQE to fill.
 * @param addr The address of the first buffer.
 * @param len The size of each buffer.
 * @param nr How many buffers.
 * @param bgid The buffer group id (unsigned 16-bit).
 * @param bid The id of the first buffer.
 *
 * @example
 * ```ts
 * prepProvideBuffers(ring.getSqe()!, pool.address, 4096, 16, 1, 0);
 * ```
 */
export function prepProvideBuffers(sqe: Sqe, addr: number, len: number, nr: number, bgid: number, bid: number): void {
  // `bid` is a C int passed as the 64-bit offset: sign-extended, as in liburing.
  prepRw(IORING_OP_PROVIDE_BUFFERS, sqe, nr, addr, len, bid | 0);
  sqe.u16[H_BUF_INDEX] = bgid;
}

/**
 * Prepares taking up to `nr` buffers back from group `bgid`; the result is how many were removed. Matches
 * liburing's `io_uring_prep_remove_buffers` (Linux 5.7).
 *
 * @param sqe The SQE to fill.
 * @param nr How many buffers to remove at most.
 * @param bgid The buffer group id (unsigned 16-bit).
 *
 * @example
 * ```ts
 * prepRemoveBuffers(ring.getSqe()!, 16, 1);
 * ```
 */
export function prepRemoveBuffers(sqe: Sqe, nr: number, bgid: number): void {
  prepRw(IORING_OP_REMOVE_BUFFERS, sqe, nr, 0, 0, 0);
  sqe.u16[H_BUF_INDEX] = bgid;
}
