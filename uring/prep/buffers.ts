/**
 * Legacy provided buffers (IORING_OP_PROVIDE_BUFFERS): hand a group of buffers to the kernel, or take them back.
 * Operations with IOSQE_BUFFER_SELECT then pick a buffer from the group when data arrives, and each buffer is used
 * once: provide it again after consuming its data. Buffer rings (IORING_REGISTER_PBUF_RING, Linux 5.19; the buffers
 * layer's `BufferRing`) do the same without an SQE per buffer and are faster; a group id is either a ring or legacy
 * buffers, not both.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_PROVIDE_BUFFERS, IORING_OP_REMOVE_BUFFERS } from "../abi/uapi.ts";
import { H_BUF_INDEX, prepRw } from "./base.ts";

/**
 * Prepares handing `nr` buffers of `len` bytes each, laid out back to back from `addr`, to buffer group `bgid`, with
 * ids `bid`, `bid + 1`, ... Matches liburing's `io_uring_prep_provide_buffers` (IORING_OP_PROVIDE_BUFFERS,
 * Linux 5.7).
 *
 * Buffer ids are 16-bit. A CQE that used one names its id in the upper 16 bits of
 * its flags (IORING_CQE_F_BUFFER, IORING_CQE_BUFFER_SHIFT).
 *
 * UNSAFE: the kernel writes into these buffers whenever it picks one; they must stay valid until they are used or
 * removed.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param addr The address of the first buffer.
 * @param len The size of each buffer in bytes.
 * @param nr How many buffers.
 * @param bgid The buffer group id (unsigned 16-bit).
 * @param bid The id of the first buffer.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring;
 *
 * const pool = NativeMemory.allocate(16 * 4096);
 * prepProvideBuffers(ring.getSqe()!, pool.address, 4096, 16, 1, 0); // ids 0..15 in group 1
 * ```
 */
export function prepProvideBuffers(sqe: Sqe, addr: number, len: number, nr: number, bgid: number, bid: number): void {
  // `bid` is a C int passed as the 64-bit offset: sign-extended, as in liburing.
  prepRw(IORING_OP_PROVIDE_BUFFERS, sqe, nr, addr, len, bid | 0);
  sqe.u16[H_BUF_INDEX] = bgid;
}

/**
 * Prepares taking up to `nr` buffers back from group `bgid`; the result is how many were removed. Matches
 * liburing's `io_uring_prep_remove_buffers` (IORING_OP_REMOVE_BUFFERS, Linux 5.7).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param nr How many buffers to remove at most.
 * @param bgid The buffer group id (unsigned 16-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * prepRemoveBuffers(ring.getSqe()!, 16, 1);
 * ```
 */
export function prepRemoveBuffers(sqe: Sqe, nr: number, bgid: number): void {
  prepRw(IORING_OP_REMOVE_BUFFERS, sqe, nr, 0, 0, 0);
  sqe.u16[H_BUF_INDEX] = bgid;
}
