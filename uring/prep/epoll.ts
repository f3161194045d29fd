/**
 * epoll from the ring: changing an epoll set, and waiting on one (to bring code built on epoll into a ring's event
 * loop).
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards.
 *
 * `struct epoll_event` is a u32 `events` and a u64 `data`: 12 bytes, packed, on x86-64; 16 bytes, the u64 aligned
 * to 8, on other architectures.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_EPOLL_CTL, IORING_OP_EPOLL_WAIT } from "../abi/uapi.ts";
import { prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares epoll_ctl(2): adds, modifies or removes `fd` in the epoll set `epfd`. Matches liburing's
 * `io_uring_prep_epoll_ctl` (IORING_OP_EPOLL_CTL, Linux 5.6).
 *
 * UNSAFE: the kernel reads `ev`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param epfd The epoll instance.
 * @param fd The file descriptor to add, modify or remove.
 * @param op EPOLL_CTL_ADD (1), EPOLL_CTL_DEL (2) or EPOLL_CTL_MOD (3).
 * @param ev The address of a `struct epoll_event` (0 for EPOLL_CTL_DEL).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, epfd: number, sock: number;
 *
 * const EPOLL_CTL_ADD = 1, EPOLLIN = 0x1;
 * const ev = NativeMemory.allocate(16);
 * new DataView(ev.buffer).setUint32(0, EPOLLIN, true); // data: 0
 * prepEpollCtl(ring.getSqe()!, epfd, sock, EPOLL_CTL_ADD, ev.address);
 * ```
 */
export function prepEpollCtl(sqe: Sqe, epfd: number, fd: number, op: number, ev: number): void {
  // fd travels in the 64-bit offset as an unsigned 32-bit value, as in liburing.
  prepRw(IORING_OP_EPOLL_CTL, sqe, epfd, ev, op, fd >>> 0);
}

/**
 * Prepares epoll_wait(2): completes when events are ready in the epoll set, with their count as the result and the
 * events written at `events`. Matches liburing's `io_uring_prep_epoll_wait` (IORING_OP_EPOLL_WAIT, Linux 6.15).
 *
 * There is no timeout argument: link an IORING_OP_LINK_TIMEOUT ({@link prepLinkTimeout}) to bound the wait.
 *
 * UNSAFE: the kernel writes up to `maxevents` events at `events`; the array must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The epoll instance.
 * @param events The address of a `struct epoll_event` array.
 * @param maxevents Its capacity in entries (at least 1).
 * @param flags Reserved by the kernel: pass 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, epfd: number;
 *
 * const events = NativeMemory.allocate(64 * 12); // 64 events of 12 bytes on x86-64
 * prepEpollWait(ring.getSqe()!, epfd, events.address, 64, 0);
 * ```
 */
export function prepEpollWait(sqe: Sqe, fd: number, events: number, maxevents: number, flags: number): void {
  prepRw(IORING_OP_EPOLL_WAIT, sqe, fd, events, maxevents, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}
