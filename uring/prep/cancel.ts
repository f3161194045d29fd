/**
 * Cancelling in-flight requests, by user_data, by file descriptor, or (with `IORING_ASYNC_CANCEL_*` flags) by
 * opcode or all at once.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards. The result is 0 when one request was
 * found and cancelled (it completes with -ECANCELED), -ENOENT when none matched, -EALREADY when it is already running
 * and may still complete; with IORING_ASYNC_CANCEL_ALL or _ANY, how many were cancelled.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_ASYNC_CANCEL_FD, IORING_OP_ASYNC_CANCEL } from "../abi/uapi.ts";
import { prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares the cancellation of the request whose user_data is `userData`. Matches liburing's
 * `io_uring_prep_cancel64` (IORING_OP_ASYNC_CANCEL, Linux 5.5; the flags Linux 5.19, FD_FIXED 6.0, USERDATA and OP
 * 6.6).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param userData The user_data to match (up to 2^53).
 * @param flags `IORING_ASYNC_CANCEL_*` (ALL: every match, ANY: any request), or 0 for the first match.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * prepCancel64(ring.getSqe()!, 42, 0);
 * ```
 */
export function prepCancel64(sqe: Sqe, userData: number, flags: number): void {
  prepRw(IORING_OP_ASYNC_CANCEL, sqe, -1, userData, 0, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares the cancellation of the request whose user_data is `userData`. liburing's `io_uring_prep_cancel` takes a
 * `void *` user_data; here user_data is always a number, so this is {@link prepCancel64}. Matches liburing's
 * `io_uring_prep_cancel` (IORING_OP_ASYNC_CANCEL, Linux 5.5).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param userData The user_data to match (up to 2^53).
 * @param flags `IORING_ASYNC_CANCEL_*` flags, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_ASYNC_CANCEL_ALL } from "ringside-uring/abi";
 * declare const ring: Ring;
 *
 * prepCancel(ring.getSqe()!, 42, IORING_ASYNC_CANCEL_ALL);
 * ```
 */
export function prepCancel(sqe: Sqe, userData: number, flags: number): void {
  prepCancel64(sqe, userData, flags);
}

/**
 * Prepares the cancellation of the requests on file descriptor `fd` (the first one, or all with
 * IORING_ASYNC_CANCEL_ALL). Matches liburing's `io_uring_prep_cancel_fd` (IORING_OP_ASYNC_CANCEL with
 * IORING_ASYNC_CANCEL_FD, Linux 5.19).
 *
 * IORING_ASYNC_CANCEL_FD is added; add IORING_ASYNC_CANCEL_FD_FIXED (Linux 6.0) when `fd` is a direct descriptor.
 * Mark a direct descriptor with that flag, not with IOSQE_FIXED_FILE.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor (or direct descriptor with IORING_ASYNC_CANCEL_FD_FIXED).
 * @param flags `IORING_ASYNC_CANCEL_*` flags, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_ASYNC_CANCEL_ALL } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * prepCancelFd(ring.getSqe()!, sock, IORING_ASYNC_CANCEL_ALL);
 * ```
 */
export function prepCancelFd(sqe: Sqe, fd: number, flags: number): void {
  prepRw(IORING_OP_ASYNC_CANCEL, sqe, fd, 0, 0, 0);
  sqe.u32[W_OP_FLAGS] = flags | IORING_ASYNC_CANCEL_FD;
}
