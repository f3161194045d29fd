/**
 * Polling a file descriptor for readiness: one-shot, multishot, removal and in-place update.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards; removal and update find a poll request by
 * the user_data it was submitted with.
 *
 * Event masks are `POLL*` bits (POLLIN 1, POLLPRI 2, POLLOUT 4, POLLERR 8, POLLHUP 0x10, POLLRDHUP 0x2000 ...),
 * written to the 32-bit `poll32_events` (IORING_FEAT_POLL_32BITS, Linux 5.9); POLLERR and POLLHUP are reported
 * whether asked for or not.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_POLL_ADD_MULTI } from "../abi/uapi.ts";
import { prepRw, W_LEN, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares a one-shot poll: completes once `fd` has one of the `pollMask` events, with the ready events as the
 * result. Matches liburing's `io_uring_prep_poll_add` (IORING_OP_POLL_ADD, Linux 5.1).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param pollMask The `POLL*` events to wait for.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, sock: number;
 *
 * const POLLIN = 0x1;
 * prepPollAdd(ring.getSqe()!, sock, POLLIN);
 * ```
 */
export function prepPollAdd(sqe: Sqe, fd: number, pollMask: number): void {
  prepRw(IORING_OP_POLL_ADD, sqe, fd, 0, 0, 0);
  sqe.u32[W_OP_FLAGS] = pollMask;
}

/**
 * Prepares a multishot poll: a CQE with the ready events each time `fd` becomes ready, with IORING_CQE_F_MORE while
 * the request stays armed (it is edge-triggered: readiness that persists is not reported again until it changes).
 * Matches liburing's `io_uring_prep_poll_multishot` (IORING_OP_POLL_ADD with IORING_POLL_ADD_MULTI, Linux 5.13).
 *
 * A CQE without IORING_CQE_F_MORE ends it (an error, a removal, or the kernel giving up); submit it again to keep
 * polling.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param pollMask The `POLL*` events to wait for.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, sock: number;
 *
 * const POLLIN = 0x1;
 * prepPollMultishot(ring.getSqe()!, sock, POLLIN);
 * ```
 */
export function prepPollMultishot(sqe: Sqe, fd: number, pollMask: number): void {
  prepPollAdd(sqe, fd, pollMask);
  sqe.u32[W_LEN] = IORING_POLL_ADD_MULTI;
}

/**
 * Prepares the removal of the poll request whose user_data is `userData`: that request completes with -ECANCELED,
 * and this one with 0, or -ENOENT when no such poll is armed. Matches liburing's `io_uring_prep_poll_remove`
 * (IORING_OP_POLL_REMOVE, Linux 5.1).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param userData The user_data the poll request was submitted with (up to 2^53).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * prepPollRemove(ring.getSqe()!, 42);
 * ```
 */
export function prepPollRemove(sqe: Sqe, userData: number): void {
  prepRw(IORING_OP_POLL_REMOVE, sqe, -1, userData, 0, 0);
}

/**
 * Prepares an in-place update of an armed poll request: its events (with IORING_POLL_UPDATE_EVENTS) and/or its
 * user_data (with IORING_POLL_UPDATE_USER_DATA), without removing and re-adding it. Matches liburing's
 * `io_uring_prep_poll_update` (IORING_OP_POLL_REMOVE with update flags in `len`, Linux 5.13).
 *
 * The result is 0, or -ENOENT when no poll with `oldUserData` is armed. IORING_POLL_ADD_MULTI in `flags` makes the
 * request multishot.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param oldUserData The user_data the poll request was submitted with.
 * @param newUserData Its new user_data (read with IORING_POLL_UPDATE_USER_DATA only).
 * @param pollMask Its new `POLL*` events (read with IORING_POLL_UPDATE_EVENTS only).
 * @param flags IORING_POLL_UPDATE_EVENTS, IORING_POLL_UPDATE_USER_DATA and IORING_POLL_ADD_MULTI, or-ed.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_POLL_UPDATE_EVENTS } from "ringside-uring/abi";
 * declare const ring: Ring;
 *
 * const POLLOUT = 0x4;
 * prepPollUpdate(ring.getSqe()!, 42, 0, POLLOUT, IORING_POLL_UPDATE_EVENTS);
 * ```
 */
export function prepPollUpdate(
  sqe: Sqe, oldUserData: number, newUserData: number, pollMask: number, flags: number,
): void {
  prepRw(IORING_OP_POLL_REMOVE, sqe, -1, oldUserData, flags, newUserData);
  sqe.u32[W_OP_FLAGS] = pollMask;
}
