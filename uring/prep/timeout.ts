/**
 * Timeouts: standalone (after a time, or after a number of completions), linked to the request before, removed,
 * and updated in place.
 *
 * The time is a `struct __kernel_timespec` (16 bytes: i64 tv_sec, i64 tv_nsec) given by address. UNSAFE: the
 * kernel reads it when the request is issued, which may happen after the call returns; keep it valid until the CQE.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_LINK_TIMEOUT, IORING_OP_TIMEOUT, IORING_OP_TIMEOUT_REMOVE, IORING_TIMEOUT_UPDATE } from "../abi/uapi.ts";
import { prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares a timeout that completes with -ETIME when `ts` passes, or with 0 once `count` other requests have
 * completed. Matches liburing's `io_uring_prep_timeout` (Linux 5.4).
 *
 * UNSAFE: the kernel reads `ts`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param ts The address of a `struct __kernel_timespec`.
 * @param count Completions to wait for (0: time only).
 * @param flags `IORING_TIMEOUT_*` (ABS, BOOTTIME, REALTIME, ETIME_SUCCESS, MULTISHOT).
 *
 * @example
 * ```ts
 * prepTimeout(ring.getSqe()!, ts.address, 0, 0);
 * ```
 */
export function prepTimeout(sqe: Sqe, ts: number, count: number, flags: number): void {
  prepRw(IORING_OP_TIMEOUT, sqe, -1, ts, 1, count >>> 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares the removal of the timeout whose user_data is `userData`. Matches liburing's
 * `io_uring_prep_timeout_remove` (Linux 5.5).
 *
 * @param sqe The SQE to fill.
 * @param userData The user_data of the timeout (up to 2^53).
 * @param flags `IORING_TIMEOUT_*` flags, usually 0.
 *
 * @example
 * ```ts
 * prepTimeoutRemove(ring.getSqe()!, 7, 0);
 * ```
 */
export function prepTimeoutRemove(sqe: Sqe, userData: number, flags: number): void {
  prepRw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, userData, 0, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a new expiry for the timeout whose user_data is `userData` (IORING_TIMEOUT_UPDATE is added; add
 * IORING_LINK_TIMEOUT_UPDATE to update a linked timeout). Matches liburing's `io_uring_prep_timeout_update`
 * (Linux 5.11).
 *
 * UNSAFE: the kernel reads `ts`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param ts The address of a `struct __kernel_timespec`.
 * @param userData The user_data of the timeout to update.
 * @param flags `IORING_TIMEOUT_*` flags.
 *
 * @example
 * ```ts
 * prepTimeoutUpdate(ring.getSqe()!, ts.address, 7, 0);
 * ```
 */
export function prepTimeoutUpdate(sqe: Sqe, ts: number, userData: number, flags: number): void {
  prepRw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, userData, 0, ts);
  sqe.u32[W_OP_FLAGS] = flags | IORING_TIMEOUT_UPDATE;
}

/**
 * Prepares a timeout for the request linked before it (that one needs IOSQE_IO_LINK): if `ts` passes first, that
 * request is cancelled. Matches liburing's `io_uring_prep_link_timeout` (Linux 5.5).
 *
 * UNSAFE: the kernel reads `ts`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param ts The address of a `struct __kernel_timespec`.
 * @param flags `IORING_TIMEOUT_*` flags.
 *
 * @example
 * ```ts
 * prepLinkTimeout(ring.getSqe()!, ts.address, 0);
 * ```
 */
export function prepLinkTimeout(sqe: Sqe, ts: number, flags: number): void {
  prepRw(IORING_OP_LINK_TIMEOUT, sqe, -1, ts, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}
