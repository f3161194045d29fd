/**
 * NOP: an operation that does nothing and completes at once with res 0. The cheapest request there is, used to
 * measure the ring itself, to wake a waiter, or as a placeholder in a linked chain.
 *
 * Like every prep helper, these take the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Set user_data
 * and flags (`sqeSetData`, `sqeSetFlags`) after preparing.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_NOP, IORING_OP_NOP128 } from "../abi/uapi.ts";

/**
 * Prepares a no-op, which completes with res 0 without touching any file. Matches liburing's `io_uring_prep_nop`
 * (IORING_OP_NOP, Linux 5.1).
 *
 * Writes opcode 0 and fd -1 as liburing's `io_uring_prep_rw(IORING_OP_NOP, sqe, -1, NULL, 0, 0)` does, clearing
 * the flags byte; every other field stays zero, so no `IORING_NOP_*` behaviour (injected results, file lookups) is
 * asked for.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 *
 * @example
 * ```ts
 * import { Ring, sqeSetData } from "ringside-uring/ring";
 * const ring = new Ring(8);
 * const sqe = ring.getSqe()!;
 * prepNop(sqe);
 * sqeSetData(sqe, 1);
 * ring.submitAndWait(1);
 * ring.close();
 * ```
 */
export function prepNop(sqe: Sqe): void {
  // prep_rw(NOP, sqe, -1, NULL, 0, 0): opcode 0 with fd -1, everything else zero in a fresh SQE.
  sqe.u32[0] = IORING_OP_NOP;
  sqe.u32[1] = 0xffffffff;
}

/**
 * Prepares a no-op that occupies a 128-byte SQE (two slots) on a ring set up with IORING_SETUP_SQE_MIXED. Matches
 * liburing's `io_uring_prep_nop128` (IORING_OP_NOP128, Linux 6.19).
 *
 * Take the SQE from `ring.getSqe128()`, which refuses on rings without SQE_MIXED; on an SQE128 ring every SQE is
 * already 128 bytes and {@link prepNop} is the one to use.
 *
 * @param sqe A 128-byte SQE (from `ring.getSqe128()`).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring; // set up with IORING_SETUP_SQE_MIXED
 * prepNop128(ring.getSqe128()!);
 * ```
 */
export function prepNop128(sqe: Sqe): void {
  sqe.u32[0] = IORING_OP_NOP128;
  sqe.u32[1] = 0xffffffff;
}
