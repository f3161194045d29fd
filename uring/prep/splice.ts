/**
 * Moving data between file descriptors through a pipe without copying to user space: splice and tee.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_SPLICE, IORING_OP_TEE } from "../abi/uapi.ts";
import { prepRw, W_FILE_INDEX, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares splice(2) of `nbytes` from `fdIn` to `fdOut`; one of them must be a pipe. Matches liburing's
 * `io_uring_prep_splice` (Linux 5.7).
 *
 * An offset of -1 (written as all ones) means "the file's current position"; for a pipe it must be -1.
 *
 * @param sqe The SQE to fill.
 * @param fdIn The source (a direct descriptor with SPLICE_F_FD_IN_FIXED in `spliceFlags`).
 * @param offIn The source offset, or -1 (up to 2^53).
 * @param fdOut The destination (a direct descriptor with IOSQE_FIXED_FILE).
 * @param offOut The destination offset, or -1.
 * @param nbytes How many bytes to move.
 * @param spliceFlags `SPLICE_F_*` (MOVE 1, NONBLOCK 2, MORE 4) and SPLICE_F_FD_IN_FIXED.
 *
 * @example
 * ```ts
 * prepSplice(ring.getSqe()!, fileFd, 0, pipeWrite, -1, 65536, 0);
 * ```
 */
export function prepSplice(
  sqe: Sqe, fdIn: number, offIn: number, fdOut: number, offOut: number, nbytes: number, spliceFlags: number,
): void {
  // splice_off_in shares the addr slot.
  prepRw(IORING_OP_SPLICE, sqe, fdOut, offIn, nbytes, offOut);
  sqe.u32[W_FILE_INDEX] = fdIn; // splice_fd_in
  sqe.u32[W_OP_FLAGS] = spliceFlags;
}

/**
 * Prepares tee(2): duplicates `nbytes` from pipe `fdIn` to pipe `fdOut` without consuming them. Matches liburing's
 * `io_uring_prep_tee` (Linux 5.8).
 *
 * @param sqe The SQE to fill.
 * @param fdIn The source pipe (a direct descriptor with SPLICE_F_FD_IN_FIXED).
 * @param fdOut The destination pipe.
 * @param nbytes How many bytes to duplicate.
 * @param spliceFlags `SPLICE_F_*` flags.
 *
 * @example
 * ```ts
 * prepTee(ring.getSqe()!, pipeA, pipeB, 4096, 0);
 * ```
 */
export function prepTee(sqe: Sqe, fdIn: number, fdOut: number, nbytes: number, spliceFlags: number): void {
  prepRw(IORING_OP_TEE, sqe, fdOut, 0, nbytes, 0);
  sqe.u32[W_FILE_INDEX] = fdIn; // splice_fd_in
  sqe.u32[W_OP_FLAGS] = spliceFlags;
}
