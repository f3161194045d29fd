/**
 * The epoll backend: {@link EpollRing}, io_uring's submission/completion contract carried out with epoll,
 * non-blocking system calls and a thread pool, for where the kernel refuses io_uring. A Loop picks it with
 * `new Loop({ backend: "epoll" })` (or falls back to it with `"auto"`); the raw `Ring` stays io_uring only.
 *
 * @example
 * ```ts
 * import { EpollRing } from "ringside-uring/epoll";
 * const ring = new EpollRing(8);
 * console.log(ring.backend, ring.sqEntries); // "epoll" 8
 * ring.close();
 * ```
 *
 * @module
 */
export { EpollRing, isEpollRing, type RingApi } from "./epoll_ring.ts";
