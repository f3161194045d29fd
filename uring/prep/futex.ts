/**
 * futex2 waits and wakes from the ring: a thread can wait on a futex word together with its I/O, and wake waiters
 * without a syscall of its own.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards. Futex flags are the futex2 ones
 * (FUTEX2_SIZE_U8 0, U16 1, U32 2, U64 3, or-ed with FUTEX2_PRIVATE 128 for a futex not shared between
 * processes), carried in the SQE's `fd` field; waker and waiter must agree on them.
 *
 * The futex word is given by address. UNSAFE: the kernel reads (and, for waits, keeps watching) it after the call
 * returns; it must stay valid until the CQE arrives.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_FUTEX_WAIT, IORING_OP_FUTEX_WAITV, IORING_OP_FUTEX_WAKE } from "../abi/uapi.ts";
import { prepRw, W_ADDR3, W_OP_FLAGS } from "./base.ts";
import { setU64Words } from "../abi/_u64.ts";

/**
 * Prepares a futex2 wait: completes with 0 when the futex at `futex` is woken by a wake whose bitset shares a bit
 * with `mask`, or at once with -EAGAIN if the word does not hold `val` when the request runs. Matches liburing's
 * `io_uring_prep_futex_wait` (IORING_OP_FUTEX_WAIT, Linux 6.7).
 *
 * UNSAFE: the kernel watches `futex`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param futex The address of the futex word (aligned to its size).
 * @param val The value the word must hold for the wait to start (64-bit field, up to 2^53).
 * @param mask The wait's bitset (FUTEX_BITSET_MATCH_ANY 0xffffffff matches every wake).
 * @param futexFlags futex2 flags (FUTEX2_SIZE_U32 2 | FUTEX2_PRIVATE 128 ...).
 * @param flags io_uring futex flags: none are defined, pass 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring;
 *
 * const FUTEX2_SIZE_U32 = 2, FUTEX2_PRIVATE = 128;
 * const word = NativeMemory.allocate(4);
 * prepFutexWait(ring.getSqe()!, word.address, 0, 0xffffffff, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0);
 * ```
 */
export function prepFutexWait(
  sqe: Sqe, futex: number, val: number, mask: number, futexFlags: number, flags: number,
): void {
  prepRw(IORING_OP_FUTEX_WAIT, sqe, futexFlags, futex, 0, val);
  sqe.u32[W_OP_FLAGS] = flags;
  setU64Words(sqe.u32, W_ADDR3, mask);
}

/**
 * Prepares a futex2 wake of up to `val` waiters whose bitset shares a bit with `mask`; the result is how many were
 * woken. Matches liburing's `io_uring_prep_futex_wake` (IORING_OP_FUTEX_WAKE, Linux 6.7).
 *
 * Store the new value in the word before the wake; a waiter checks it when its wait starts.
 *
 * UNSAFE: the kernel dereferences `futex`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param futex The address of the futex word.
 * @param val How many waiters to wake at most (64-bit field, up to 2^53).
 * @param mask The wake's bitset (FUTEX_BITSET_MATCH_ANY 0xffffffff).
 * @param futexFlags futex2 flags, as the waiters passed them.
 * @param flags io_uring futex flags: none are defined, pass 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, word: number; // the address of the futex word
 *
 * const FUTEX2_SIZE_U32 = 2, FUTEX2_PRIVATE = 128;
 * prepFutexWake(ring.getSqe()!, word, 1, 0xffffffff, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0);
 * ```
 */
export function prepFutexWake(
  sqe: Sqe, futex: number, val: number, mask: number, futexFlags: number, flags: number,
): void {
  prepRw(IORING_OP_FUTEX_WAKE, sqe, futexFlags, futex, 0, val);
  sqe.u32[W_OP_FLAGS] = flags;
  setU64Words(sqe.u32, W_ADDR3, mask);
}

/**
 * Prepares futex_waitv(2): waits on any of `nrFutex` futexes described by an array of `struct futex_waitv`
 * (24 bytes each: u64 val, u64 uaddr, u32 flags, u32 reserved 0); the result is the index of the one woken. Matches
 * liburing's `io_uring_prep_futex_waitv` (IORING_OP_FUTEX_WAITV, Linux 6.7).
 *
 * Each entry carries its own futex2 flags; as with {@link prepFutexWait}, an entry whose word does not hold its
 * `val` ends the wait at once with -EAGAIN.
 *
 * UNSAFE: the kernel reads the array and watches each futex; all must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param futex The address of the `struct futex_waitv` array.
 * @param nrFutex How many entries (1 to 128).
 * @param flags io_uring futex flags: none are defined, pass 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, waitv: number; // the address of two struct futex_waitv
 *
 * prepFutexWaitv(ring.getSqe()!, waitv, 2, 0);
 * ```
 */
export function prepFutexWaitv(sqe: Sqe, futex: number, nrFutex: number, flags: number): void {
  prepRw(IORING_OP_FUTEX_WAITV, sqe, 0, futex, nrFutex, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}
