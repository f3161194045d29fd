/**
 * epoll from the ring: changing an epoll set, and waiting on one.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_EPOLL_CTL, IORING_OP_EPOLL_WAIT } from "../abi/uapi.ts";
import { prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares epoll_ctl(2). Matches liburing's `io_uring_prep_epoll_ctl` (Linux 5.6).
 *
 * UNSAFE: the kernel reads `ev` (a 12-byte packed `struct epoll_event`); it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param epfd The epoll instance.
 * @param fd The file descriptor to add, modify or remove.
 * @param op EPOLL_CTL_ADD (1), EPOLL_CTL_DEL (2) or EPOLL_CTL_MOD (3).
 * @param ev The address of a `struct epoll_event` (0 for EPOLL_CTL_DEL).
 *
 * @example
 * ```ts
 * const EPOLL_CTL_ADD = 1;
 * prepEpollCtl(ring.getSqe()!, epfd, sock, EPOLL_CTL_ADD, ev.address);
 * ```
 */
export function prepEpollCtl(sqe: Sqe, epfd: number, fd: number, op: number, ev: number): void {
  // fd travels in the 64-bit offset as an unsigned 32-bit value, as in liburing.
  prepRw(IORING_OP_EPOLL_CTL, sqe, epfd, ev, op, fd >>> 0);
}

/**
 * Prepares epoll_wait(2): completes when events are ready, with their count as the result. Matches liburing's
 * `io_uring_prep_epoll_wait` (Linux 6.15).
 *
 * UNSAFE: the kernel writes up to `maxevents` events (12 bytes each) at `events`; the array must stay valid until
 * the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The epoll instance.
 * @param events The address of a `struct epoll_event` array.
 * @param maxevents Its capacity.
 * @param flags Reserved by the kernel: pass 0.
 *
 * @example
 * ```ts
 * prepEpollWait(ring.getSqe()!, epfd, events.address, 64, 0);
 * ```
 */
export function prepEpollWait(sqe: Sqe, fd: number, events: number, maxevents: number, flags: number): void {
  prepRw(IORING_OP_EPOLL_WAIT, sqe, fd, events, maxevents, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}
