/**
 * Moving data between file descriptors through a pipe without copying it to user space: splice and tee.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards. The destination is the SQE's file
 * (IOSQE_FIXED_FILE makes it a direct descriptor); the source travels in `splice_fd_in`, a direct descriptor when
 * SPLICE_F_FD_IN_FIXED is in the flags. The result is the number of bytes moved, 0 at end of input.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_SPLICE, IORING_OP_TEE } from "../abi/uapi.ts";
import { prepRw, W_FILE_INDEX, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares splice(2) of up to `nbytes` from `fdIn` to `fdOut`; at least one of them must be a pipe. Matches liburing's
 * `io_uring_prep_splice` (IORING_OP_SPLICE, Linux 5.7).
 *
 * An offset of -1 (written as all ones) means "the file's current position, advanced"; for a pipe end it must be -1.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fdIn The source (a direct descriptor with SPLICE_F_FD_IN_FIXED in `spliceFlags`).
 * @param offIn The byte offset in the source, up to 2^53, or -1.
 * @param fdOut The destination (a direct descriptor with IOSQE_FIXED_FILE).
 * @param offOut The byte offset in the destination, up to 2^53, or -1.
 * @param nbytes How many bytes to move at most (unsigned 32-bit).
 * @param spliceFlags `SPLICE_F_*` (MOVE 1, NONBLOCK 2, MORE 4) and SPLICE_F_FD_IN_FIXED, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, file: number, pipeWrite: number;
 *
 * prepSplice(ring.getSqe()!, file, 0, pipeWrite, -1, 65536, 0); // file bytes 0..64 KiB into the pipe
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
 * Prepares tee(2): duplicates up to `nbytes` from pipe `fdIn` to pipe `fdOut` without consuming them from `fdIn`.
 * Matches liburing's `io_uring_prep_tee` (IORING_OP_TEE, Linux 5.8).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fdIn The source pipe (a direct descriptor with SPLICE_F_FD_IN_FIXED in `spliceFlags`).
 * @param fdOut The destination pipe (a direct descriptor with IOSQE_FIXED_FILE).
 * @param nbytes How many bytes to duplicate at most (unsigned 32-bit).
 * @param spliceFlags `SPLICE_F_*` flags and SPLICE_F_FD_IN_FIXED, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, pipeA: number, pipeB: number; // the read end of A, the write end of B
 *
 * prepTee(ring.getSqe()!, pipeA, pipeB, 4096, 0);
 * ```
 */
export function prepTee(sqe: Sqe, fdIn: number, fdOut: number, nbytes: number, spliceFlags: number): void {
  prepRw(IORING_OP_TEE, sqe, fdOut, 0, nbytes, 0);
  sqe.u32[W_FILE_INDEX] = fdIn; // splice_fd_in
  sqe.u32[W_OP_FLAGS] = spliceFlags;
}
