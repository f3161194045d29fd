/**
 * An epoll set driven through the ring, on a {@link Loop}: `epollCtl` (IORING_OP_EPOLL_CTL) adds, changes and
 * removes descriptors, `epollWait` (IORING_OP_EPOLL_WAIT) waits for their events.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, epfd: number, sock: number;
 * await epollCtl(loop, epfd, EPOLL_CTL_ADD, sock, { events: EPOLLIN, data: 1 });
 * for (const { events, data } of await epollWait(loop, epfd)) console.log(data, events);
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type OpOptions, PromiseOp } from "../loop/operation.ts";
import type { Chunk } from "../loop/_arena.ts";
import { run } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, checkU32 } from "../core/_validate.ts";
import { getU64, putU64 } from "../abi/_u64.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepEpollCtl, prepEpollWait } from "../prep/epoll.ts";

/** epoll_ctl op: add a descriptor. */
export const EPOLL_CTL_ADD = 1;
/** epoll_ctl op: remove a descriptor. */
export const EPOLL_CTL_DEL = 2;
/** epoll_ctl op: change a descriptor's events. */
export const EPOLL_CTL_MOD = 3;
/** epoll event: readable. */
export const EPOLLIN = 0x1;
/** epoll event: urgent data. */
export const EPOLLPRI = 0x2;
/** epoll event: writable. */
export const EPOLLOUT = 0x4;
/** epoll event: error. */
export const EPOLLERR = 0x8;
/** epoll event: hang up. */
export const EPOLLHUP = 0x10;
/** epoll event: the stream peer shut down writing. */
export const EPOLLRDHUP = 0x2000;
/** epoll flag: wake one of several epoll instances. */
export const EPOLLEXCLUSIVE = 1 << 28;
/** epoll flag: disarm after one event. */
export const EPOLLONESHOT = 1 << 30;
/** epoll flag: edge-triggered. */
export const EPOLLET = 0x80000000;

/**
 * sizeof(struct epoll_event): 12 on x86-64, where the struct is packed, 16 elsewhere (u32 events, padding, u64
 * data; include/uapi/linux/eventpoll.h, EPOLL_PACKED).
 */
export const EPOLL_EVENT_SIZE: number = (globalThis as { process?: { arch?: string } }).process?.arch === "x64" ? 12 : 16;
const EPOLL_DATA_AT = EPOLL_EVENT_SIZE === 12 ? 4 : 8;

/** One `struct epoll_event`. */
export interface EpollEvent {
  /** `EPOLL*` events (with epoll_ctl: wanted, with flags; from epoll_wait: ready). */
  events: number;
  /** The user data registered with the descriptor (a u64, exact up to 2^53). */
  data: number;
}

/**
 * Adds, changes or removes a descriptor of an epoll set (IORING_OP_EPOLL_CTL, Linux 5.6).
 *
 * @param loop The loop.
 * @param epfd The epoll instance.
 * @param op EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL.
 * @param fd The descriptor.
 * @param event The events and data (ignored for EPOLL_CTL_DEL).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, epfd: number, sock: number;
 * await epollCtl(loop, epfd, EPOLL_CTL_ADD, sock, { events: EPOLLIN, data: 7 });
 * ```
 */
export function epollCtl(
  loop: Loop, epfd: number, op: number, fd: number, event?: EpollEvent, options: OpOptions = {},
): Promise<void> {
  return run(loop, new PromiseOp<void>("epoll_ctl", (sqe: Sqe, o) => {
    checkFd("epoll_ctl", epfd, "epfd");
    checkFd("epoll_ctl", fd);
    let addr = 0;
    if (event) {
      const c = o.chunk(loop, EPOLL_EVENT_SIZE);
      c.view.setUint32(0, checkU32("epoll_ctl", event.events, "events"), true);
      const data = event.data ?? 0;
      if (!Number.isSafeInteger(data) || data < 0) refuse("epoll_ctl", "data must be an integer 0-2^53");
      putU64(c.view, EPOLL_DATA_AT, data);
      addr = c.address;
    } else if (op !== EPOLL_CTL_DEL) refuse("epoll_ctl", "EPOLL_CTL_ADD and EPOLL_CTL_MOD need an event");
    prepEpollCtl(sqe, epfd, fd, op, addr);
  }, { map: () => undefined }), options);
}

/**
 * Waits for events on an epoll set (IORING_OP_EPOLL_WAIT, Linux 6.15) and resolves to them (at least one). The
 * event array lives in an arena chunk.
 *
 * @param loop The loop.
 * @param epfd The epoll instance.
 * @param maxEvents The most events to return (default 64, at most 65536 / 12).
 * @param options `signal`, `timeoutMs`.
 * @returns The ready events.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, epfd: number;
 * declare function handle(data: number, events: number): void;
 * for (const { events, data } of await epollWait(loop, epfd)) handle(data, events);
 * ```
 */
export function epollWait(loop: Loop, epfd: number, maxEvents = 64, options: OpOptions = {}): Promise<EpollEvent[]> {
  let out: Chunk;
  return run(loop, new PromiseOp<EpollEvent[]>("epoll_wait", (sqe: Sqe, o) => {
    checkFd("epoll_wait", epfd, "epfd");
    if (!Number.isInteger(maxEvents) || maxEvents < 1 || maxEvents * EPOLL_EVENT_SIZE > 65536) {
      refuse("epoll_wait", `maxEvents must be 1-${Math.floor(65536 / EPOLL_EVENT_SIZE)}, got ${maxEvents}`);
    }
    out = o.chunk(loop, maxEvents * EPOLL_EVENT_SIZE);
    prepEpollWait(sqe, epfd, out.address, maxEvents, 0);
  }, {
    map: (res) => {
      const list: EpollEvent[] = [];
      for (let i = 0; i < res; i++) {
        const at = i * EPOLL_EVENT_SIZE;
        list.push({ events: out.view.getUint32(at, true), data: getU64(out.view, at + EPOLL_DATA_AT) });
      }
      return list;
    },
  }), options);
}
