/**
 * NOP: completes at once with res 0. The cheapest operation, used to measure the ring itself.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_NOP, IORING_OP_NOP128 } from "../abi/uapi.ts";

/**
 * Prepares a no-op. Matches liburing's `io_uring_prep_nop` (Linux 5.1).
 *
 * @param sqe The SQE to fill.
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepNop(sqe);
 * ```
 */
export function prepNop(sqe: Sqe): void {
  // prep_rw(NOP, sqe, -1, NULL, 0, 0): opcode 0 with fd -1, everything else zero in a fresh SQE.
  sqe.u32[0] = IORING_OP_NOP;
  sqe.u32[1] = 0xffffffff;
}

/**
 * Prepares a no-op that occupies a 128-byte SQE, for rings set up with IORING_SETUP_SQE_MIXED (take the SQE from
 * `ring.getSqe128()`). Matches liburing's `io_uring_prep_nop128` (Linux 6.19).
 *
 * @param sqe The 128-byte SQE to fill.
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe128()!;
 * prepNop128(sqe);
 * ```
 */
export function prepNop128(sqe: Sqe): void {
  sqe.u32[0] = IORING_OP_NOP128;
  sqe.u32[1] = 0xffffffff;
}
