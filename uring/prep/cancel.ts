/**
 * Cancelling in-flight requests, by user_data or by file descriptor.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_ASYNC_CANCEL_FD, IORING_OP_ASYNC_CANCEL } from "../abi/uapi.ts";
import { prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares the cancellation of the request whose user_data is `userData`; the result is 0, -ENOENT or -EALREADY
 * (or a count with IORING_ASYNC_CANCEL_ALL). Matches liburing's `io_uring_prep_cancel64` (Linux 5.5).
 *
 * @param sqe The SQE to fill.
 * @param userData The user_data to match (up to 2^53).
 * @param flags `IORING_ASYNC_CANCEL_*` (ALL, ANY, FD, FD_FIXED, USERDATA, OP).
 *
 * @example
 * ```ts
 * prepCancel64(ring.getSqe()!, 42, 0);
 * ```
 */
export function prepCancel64(sqe: Sqe, userData: number, flags: number): void {
  prepRw(IORING_OP_ASYNC_CANCEL, sqe, -1, userData, 0, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares the cancellation of the request whose user_data is `userData`. liburing's `io_uring_prep_cancel` takes a
 * pointer; user_data here is always a number, so this is {@link prepCancel64}. Matches liburing's
 * `io_uring_prep_cancel` (Linux 5.5).
 *
 * @param sqe The SQE to fill.
 * @param userData The user_data to match (up to 2^53).
 * @param flags `IORING_ASYNC_CANCEL_*` flags.
 *
 * @example
 * ```ts
 * prepCancel(ring.getSqe()!, 42, IORING_ASYNC_CANCEL_ALL);
 * ```
 */
export function prepCancel(sqe: Sqe, userData: number, flags: number): void {
  prepCancel64(sqe, userData, flags);
}

/**
 * Prepares the cancellation of requests on file descriptor `fd` (IORING_ASYNC_CANCEL_FD is added; add
 * IORING_ASYNC_CANCEL_FD_FIXED for a direct descriptor, IORING_ASYNC_CANCEL_ALL for all of them). Matches
 * liburing's `io_uring_prep_cancel_fd` (Linux 5.19).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor (or direct descriptor).
 * @param flags `IORING_ASYNC_CANCEL_*` flags.
 *
 * @example
 * ```ts
 * prepCancelFd(ring.getSqe()!, sock, IORING_ASYNC_CANCEL_ALL);
 * ```
 */
export function prepCancelFd(sqe: Sqe, fd: number, flags: number): void {
  prepRw(IORING_OP_ASYNC_CANCEL, sqe, fd, 0, 0, 0);
  sqe.u32[W_OP_FLAGS] = flags | IORING_ASYNC_CANCEL_FD;
}
