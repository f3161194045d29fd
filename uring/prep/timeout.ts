/**
 * Timeouts: standalone (after a time, or after a number of completions), linked to the request before, removed,
 * and updated in place.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards; removal and update find a timeout by the
 * user_data it was submitted with.
 *
 * The time is a `struct __kernel_timespec` (16 bytes: i64 tv_sec, i64 tv_nsec; `writeTimespec` in the abi layer
 * fills one) given by address: a relative duration, or an absolute time with IORING_TIMEOUT_ABS, on CLOCK_MONOTONIC
 * unless IORING_TIMEOUT_BOOTTIME or IORING_TIMEOUT_REALTIME picks another clock. UNSAFE: the kernel reads it when
 * the request is issued, which may be after submit returns; keep it valid until the CQE.
 *
 * The `*Immediate` helpers put the time in the SQE itself, in nanoseconds (IORING_TIMEOUT_IMMEDIATE_ARG, Linux 7.1):
 * nothing outside the SQE to keep alive. Older kernels refuse the flag with EINVAL.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import {
  IORING_OP_LINK_TIMEOUT,
  IORING_OP_TIMEOUT,
  IORING_OP_TIMEOUT_REMOVE,
  IORING_TIMEOUT_IMMEDIATE_ARG,
  IORING_TIMEOUT_UPDATE,
} from "../abi/uapi.ts";
import { prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares a timeout: completes with -ETIME when `ts` passes, or with 0 once `count` other requests have completed,
 * whichever comes first (and with -ECANCELED when removed). Matches liburing's `io_uring_prep_timeout`
 * (IORING_OP_TIMEOUT, Linux 5.4).
 *
 * With IORING_TIMEOUT_MULTISHOT (Linux 6.4) it fires every `ts`, `count` times (0: until removed), each CQE with
 * IORING_CQE_F_MORE but the last. IORING_TIMEOUT_ETIME_SUCCESS (Linux 5.16) reports expiry as a success.
 *
 * UNSAFE: the kernel reads `ts`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param ts The address of a `struct __kernel_timespec`.
 * @param count Completions to wait for (unsigned 32-bit; 0: the time alone), or repetitions with MULTISHOT.
 * @param flags `IORING_TIMEOUT_*`: ABS, BOOTTIME, REALTIME, ETIME_SUCCESS, MULTISHOT, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { writeTimespec } from "ringside-uring/abi";
 * declare const ring: Ring;
 *
 * const ts = NativeMemory.allocate(16);
 * writeTimespec(new DataView(ts.buffer), 0, 1, 500_000_000); // 1.5 s
 * prepTimeout(ring.getSqe()!, ts.address, 0, 0);
 * ```
 */
export function prepTimeout(sqe: Sqe, ts: number, count: number, flags: number): void {
  prepRw(IORING_OP_TIMEOUT, sqe, -1, ts, 1, count >>> 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares the removal of the timeout whose user_data is `userData`: it completes with -ECANCELED, and this one
 * with 0, -ENOENT when no such timeout is armed, or -EALREADY when it is already firing. Matches liburing's
 * `io_uring_prep_timeout_remove` (IORING_OP_TIMEOUT_REMOVE, Linux 5.5).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param userData The user_data the timeout was submitted with (up to 2^53).
 * @param flags `IORING_TIMEOUT_*` flags, usually 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * prepTimeoutRemove(ring.getSqe()!, 7, 0);
 * ```
 */
export function prepTimeoutRemove(sqe: Sqe, userData: number, flags: number): void {
  prepRw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, userData, 0, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a new expiry for the armed timeout whose user_data is `userData`, counted from now (or absolute with
 * IORING_TIMEOUT_ABS). Matches liburing's `io_uring_prep_timeout_update` (IORING_OP_TIMEOUT_REMOVE with
 * IORING_TIMEOUT_UPDATE, Linux 5.11).
 *
 * IORING_TIMEOUT_UPDATE is added; add IORING_LINK_TIMEOUT_UPDATE (Linux 5.15) to update a linked timeout instead.
 * The result is 0, or -ENOENT when no such timeout is armed.
 *
 * UNSAFE: the kernel reads `ts`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param ts The address of a `struct __kernel_timespec` with the new time.
 * @param userData The user_data the timeout was submitted with (up to 2^53).
 * @param flags `IORING_TIMEOUT_*` flags (ABS, a clock, IORING_LINK_TIMEOUT_UPDATE), or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, ts: number; // the address of a struct __kernel_timespec
 *
 * prepTimeoutUpdate(ring.getSqe()!, ts, 7, 0);
 * ```
 */
export function prepTimeoutUpdate(sqe: Sqe, ts: number, userData: number, flags: number): void {
  prepRw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, userData, 0, ts);
  sqe.u32[W_OP_FLAGS] = flags | IORING_TIMEOUT_UPDATE;
}

/**
 * Prepares a timeout for the request just before it in the SQ, which must carry IOSQE_IO_LINK: if `ts` passes first,
 * that request is cancelled (-ECANCELED) and this one completes with -ETIME; if the request completes first, this
 * one completes with -ECANCELED. Matches liburing's `io_uring_prep_link_timeout` (IORING_OP_LINK_TIMEOUT,
 * Linux 5.5).
 *
 * Get both SQEs before submitting: the pair must reach the kernel in the same submission.
 *
 * UNSAFE: the kernel reads `ts`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`), right after the linked request's.
 * @param ts The address of a `struct __kernel_timespec`.
 * @param flags `IORING_TIMEOUT_*` flags (ABS, a clock), or 0.
 *
 * @example
 * ```ts
 * import { prepRecv } from "ringside-uring/prep";
 * import { type Ring, sqeSetFlags } from "ringside-uring/ring";
 * import { IOSQE_IO_LINK } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number, buf: number, ts: number; // addresses of a buffer and a timespec
 *
 * const recv = ring.getSqe()!;
 * prepRecv(recv, sock, buf, 4096, 0);
 * sqeSetFlags(recv, IOSQE_IO_LINK);
 * prepLinkTimeout(ring.getSqe()!, ts, 0);
 * ring.submit();
 * ```
 */
export function prepLinkTimeout(sqe: Sqe, ts: number, flags: number): void {
  prepRw(IORING_OP_LINK_TIMEOUT, sqe, -1, ts, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a timeout of `ns` nanoseconds held in the SQE itself: {@link prepTimeout} with
 * IORING_TIMEOUT_IMMEDIATE_ARG (Linux 7.1), so the kernel reads the time from `sqe->addr` instead of a
 * `struct __kernel_timespec` it points to, and nothing has to outlive the submit. With IORING_TIMEOUT_ABS, `ns` is
 * a time on the timeout's clock. liburing has no helper for it (its tests set `addr` and the flag after
 * `io_uring_prep_timeout(sqe, NULL, ...)`, which this does). Kernels before 7.1 complete it with -EINVAL.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param ns The time in nanoseconds (up to 2^53; the kernel refuses values past 2^63 with EINVAL).
 * @param count Completions to wait for (unsigned 32-bit; 0: the time alone), or repetitions with MULTISHOT.
 * @param flags `IORING_TIMEOUT_*` besides IMMEDIATE_ARG (added): ABS, BOOTTIME, REALTIME, ETIME_SUCCESS,
 *   MULTISHOT, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * prepTimeoutImmediate(ring.getSqe()!, 1_500_000_000, 0, 0); // 1.5 s, no timespec to keep alive
 * ring.submit();
 * ```
 */
export function prepTimeoutImmediate(sqe: Sqe, ns: number, count: number, flags: number): void {
  prepRw(IORING_OP_TIMEOUT, sqe, -1, ns, 1, count >>> 0);
  sqe.u32[W_OP_FLAGS] = flags | IORING_TIMEOUT_IMMEDIATE_ARG;
}

/**
 * Prepares a timeout of `ns` nanoseconds for the request just before it in the SQ (which carries IOSQE_IO_LINK), the
 * time held in the SQE: {@link prepLinkTimeout} with IORING_TIMEOUT_IMMEDIATE_ARG (Linux 7.1; kernels before
 * complete it with -EINVAL, and the linked request with -ECANCELED).
 *
 * @param sqe The SQE (from `ring.getSqe()`), right after the linked request's.
 * @param ns The time in nanoseconds (up to 2^53).
 * @param flags `IORING_TIMEOUT_*` besides IMMEDIATE_ARG (added): ABS, a clock, or 0.
 *
 * @example
 * ```ts
 * import { prepRecv } from "ringside-uring/prep";
 * import { type Ring, sqeSetFlags } from "ringside-uring/ring";
 * import { IOSQE_IO_LINK } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number, buf: number; // the address of a buffer
 *
 * const recv = ring.getSqe()!;
 * prepRecv(recv, sock, buf, 4096, 0);
 * sqeSetFlags(recv, IOSQE_IO_LINK);
 * prepLinkTimeoutImmediate(ring.getSqe()!, 100_000_000, 0); // give up after 100 ms
 * ring.submit();
 * ```
 */
export function prepLinkTimeoutImmediate(sqe: Sqe, ns: number, flags: number): void {
  prepRw(IORING_OP_LINK_TIMEOUT, sqe, -1, ns, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags | IORING_TIMEOUT_IMMEDIATE_ARG;
}

/**
 * Prepares a new expiry of `ns` nanoseconds for the armed timeout whose user_data is `userData`, the time held in the
 * SQE (`sqe->addr2`): {@link prepTimeoutUpdate} with IORING_TIMEOUT_IMMEDIATE_ARG (Linux 7.1; kernels before answer
 * -EINVAL). Add IORING_LINK_TIMEOUT_UPDATE to update a linked timeout instead.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param ns The new time in nanoseconds (up to 2^53), counted from now unless IORING_TIMEOUT_ABS.
 * @param userData The user_data the timeout was submitted with (up to 2^53).
 * @param flags `IORING_TIMEOUT_*` flags (ABS, IORING_LINK_TIMEOUT_UPDATE), or 0; UPDATE and IMMEDIATE_ARG are added.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * prepTimeoutUpdateImmediate(ring.getSqe()!, 2_000_000_000, 7, 0); // timeout 7 now fires in 2 s
 * ```
 */
export function prepTimeoutUpdateImmediate(sqe: Sqe, ns: number, userData: number, flags: number): void {
  prepRw(IORING_OP_TIMEOUT_REMOVE, sqe, -1, userData, 0, ns);
  sqe.u32[W_OP_FLAGS] = flags | IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_IMMEDIATE_ARG;
}
