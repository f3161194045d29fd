/**
 * futex2 waits and wakes from the ring.
 *
 * The futex word is given by address. UNSAFE: the kernel reads (and, for waits, keeps watching) it after the call
 * returns; it must stay valid until the CQE arrives.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_FUTEX_WAIT, IORING_OP_FUTEX_WAITV, IORING_OP_FUTEX_WAKE } from "../abi/uapi.ts";
import { prepRw, setU64, W_ADDR3, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares a futex2 wait: completes when the futex at `futex` is woken (with a matching bitset), or at once with
 * -EAGAIN if it does not hold `val`. Matches liburing's `io_uring_prep_futex_wait` (Linux 6.7).
 *
 * UNSAFE: the kernel watches `futex`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param futex The address of the futex word.
 * @param val The value the futex must hold to wait (64-bit field, up to 2^53).
 * @param mask The wake bitset (FUTEX_BITSET_MATCH_ANY 0xffffffff matches every wake).
 * @param futexFlags `FUTEX2_*` (FUTEX2_SIZE_U32 2, FUTEX2_PRIVATE 128 ...), stored in `fd`.
 * @param flags io_uring futex flags: none are defined, pass 0.
 *
 * @example
 * ```ts
 * const FUTEX2_SIZE_U32 = 2, FUTEX2_PRIVATE = 128;
 * prepFutexWait(ring.getSqe()!, word.address, 0, 0xffffffff, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0);
 * ```
 */
export function prepFutexWait(
  sqe: Sqe, futex: number, val: number, mask: number, futexFlags: number, flags: number,
): void {
  prepRw(IORING_OP_FUTEX_WAIT, sqe, futexFlags, futex, 0, val);
  sqe.u32[W_OP_FLAGS] = flags;
  setU64(sqe.u32, W_ADDR3, mask);
}

/**
 * Prepares a futex2 wake of up to `val` waiters whose bitset matches `mask`; the result is how many were woken.
 * Matches liburing's `io_uring_prep_futex_wake` (Linux 6.7).
 *
 * UNSAFE: the kernel dereferences `futex`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param futex The address of the futex word.
 * @param val How many waiters to wake at most (64-bit field, up to 2^53).
 * @param mask The wake bitset (FUTEX_BITSET_MATCH_ANY 0xffffffff).
 * @param futexFlags `FUTEX2_*` flags, stored in `fd`.
 * @param flags io_uring futex flags: none are defined, pass 0.
 *
 * @example
 * ```ts
 * prepFutexWake(ring.getSqe()!, word.address, 1, 0xffffffff, 2 | 128, 0);
 * ```
 */
export function prepFutexWake(
  sqe: Sqe, futex: number, val: number, mask: number, futexFlags: number, flags: number,
): void {
  prepRw(IORING_OP_FUTEX_WAKE, sqe, futexFlags, futex, 0, val);
  sqe.u32[W_OP_FLAGS] = flags;
  setU64(sqe.u32, W_ADDR3, mask);
}

/**
 * Prepares futex_waitv(2): waits on any of `nrFutex` futexes described by an array of `struct futex_waitv`
 * (24 bytes each: u64 val, u64 uaddr, u32 flags, u32 reserved); the result is the index of the one woken. Matches
 * liburing's `io_uring_prep_futex_waitv` (Linux 6.7).
 *
 * UNSAFE: the kernel reads the array and watches each futex; all must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param futex The address of the `struct futex_waitv` array.
 * @param nrFutex How many entries (at most 128).
 * @param flags io_uring futex flags: none are defined, pass 0.
 *
 * @example
 * ```ts
 * prepFutexWaitv(ring.getSqe()!, waitv.address, 2, 0);
 * ```
 */
export function prepFutexWaitv(sqe: Sqe, futex: number, nrFutex: number, flags: number): void {
  prepRw(IORING_OP_FUTEX_WAITV, sqe, 0, futex, nrFutex, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}
