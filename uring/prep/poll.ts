/**
 * Polling a file descriptor for readiness: one-shot, multishot, removal and in-place update.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_POLL_ADD_MULTI } from "../abi/uapi.ts";
import { prepRw, W_LEN, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares a one-shot poll: completes once `fd` has one of the `pollMask` events, with the events as the result.
 * Matches liburing's `io_uring_prep_poll_add` (Linux 5.1).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param pollMask `POLL*` events (POLLIN 1, POLLPRI 2, POLLOUT 4, POLLERR 8, POLLHUP 0x10, POLLRDHUP 0x2000 ...),
 *   stored in the 32-bit poll32_events.
 *
 * @example
 * ```ts
 * const POLLIN = 1;
 * prepPollAdd(ring.getSqe()!, sock, POLLIN);
 * ```
 */
export function prepPollAdd(sqe: Sqe, fd: number, pollMask: number): void {
  prepRw(IORING_OP_POLL_ADD, sqe, fd, 0, 0, 0);
  sqe.u32[W_OP_FLAGS] = pollMask;
}

/**
 * Prepares a multishot poll: a CQE each time `fd` becomes ready, with IORING_CQE_F_MORE while it stays armed.
 * Matches liburing's `io_uring_prep_poll_multishot` (Linux 5.13).
 *
 * @param sqe The SQE to fill.
 * @param fd The file descriptor.
 * @param pollMask `POLL*` events.
 *
 * @example
 * ```ts
 * prepPollMultishot(ring.getSqe()!, sock, 1);
 * ```
 */
export function prepPollMultishot(sqe: Sqe, fd: number, pollMask: number): void {
  prepPollAdd(sqe, fd, pollMask);
  sqe.u32[W_LEN] = IORING_POLL_ADD_MULTI;
}

/**
 * Prepares the removal of the poll request whose user_data is `userData`. Matches liburing's
 * `io_uring_prep_poll_remove` (Linux 5.1).
 *
 * @param sqe The SQE to fill.
 * @param userData The user_data of the poll request (a number up to 2^53).
 *
 * @example
 * ```ts
 * prepPollRemove(ring.getSqe()!, 42);
 * ```
 */
export function prepPollRemove(sqe: Sqe, userData: number): void {
  prepRw(IORING_OP_POLL_REMOVE, sqe, -1, userData, 0, 0);
}

/**
 * Prepares an in-place update of a poll request: its events (with IORING_POLL_UPDATE_EVENTS) and/or its user_data
 * (with IORING_POLL_UPDATE_USER_DATA); IORING_POLL_ADD_MULTI makes it multishot. Matches liburing's
 * `io_uring_prep_poll_update` (Linux 5.13).
 *
 * @param sqe The SQE to fill.
 * @param oldUserData The user_data of the poll request to update.
 * @param newUserData Its new user_data (used with IORING_POLL_UPDATE_USER_DATA).
 * @param pollMask Its new events (used with IORING_POLL_UPDATE_EVENTS).
 * @param flags `IORING_POLL_UPDATE_*` and IORING_POLL_ADD_MULTI, stored in `len`.
 *
 * @example
 * ```ts
 * prepPollUpdate(ring.getSqe()!, 42, 0, 4, IORING_POLL_UPDATE_EVENTS);
 * ```
 */
export function prepPollUpdate(
  sqe: Sqe, oldUserData: number, newUserData: number, pollMask: number, flags: number,
): void {
  prepRw(IORING_OP_POLL_REMOVE, sqe, -1, oldUserData, flags, newUserData);
  sqe.u32[W_OP_FLAGS] = pollMask;
}
