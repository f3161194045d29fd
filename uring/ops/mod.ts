/**
 * The non-file, non-socket opcodes on a `Loop` as promise functions: NOP with its flags, poll, timeouts,
 * cancellation, messages between rings, futexes, waitid, epoll and legacy provided buffers (pipes and the
 * registered file table from inside the ring are in `ringside-uring/fs`). Like the file and socket functions, each
 * takes the loop first, returns a promise, and takes `{ signal?, timeoutMs? }`; a failed completion rejects with a
 * `UringError` whose `code` is the errno name.
 *
 * Requests another request refers to (a poll to remove or update, a timeout to remove or update, a request to
 * cancel) are started with the `submit*` variants, which return the submitted `PromiseOp`: its `promise` is the
 * result and the op itself is the handle (its user_data is read when the referring request is written, so a
 * handle still waiting for SQ space is found all the same).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { cancel, nop, POLLIN, submitPoll, timeout } from "ringside-uring/ops";
 *
 * const loop = new Loop();
 * console.log(await nop(loop)); // 0
 * console.log(await timeout(loop, 10)); // "expired"
 * const poll = submitPoll(loop, 0, POLLIN); // stdin readable
 * await cancel(loop, poll);
 * await poll.promise.catch(() => {}); // ECANCELED (or the events, had stdin been readable)
 * await loop.close();
 * ```
 *
 * @module
 */
export type { OpOptions } from "../loop/operation.ts";
export { nop, type NopOptions } from "./nop.ts";
export {
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  POLLRDBAND,
  POLLRDHUP,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
  pollAdd,
  pollRemove,
  pollUpdate,
  submitPoll,
} from "./poll.ts";
export {
  submitTimeout,
  timeout,
  type TimeoutClock,
  type TimeoutOptions,
  timeoutRemove,
  type TimeoutResult,
  timeoutUpdate,
  type TimeoutUpdateOptions,
} from "./timeout.ts";
export { cancel, cancelAny, cancelFd, type CancelFdOptions, cancelOpcode, type CancelOptions } from "./cancel.ts";
export { msgRing, msgRingFd, type MsgRingFdOptions, type RingMessage, type RingTarget } from "./msg_ring.ts";
export {
  FUTEX2_PRIVATE,
  FUTEX2_SIZE_U16,
  FUTEX2_SIZE_U32,
  FUTEX2_SIZE_U64,
  FUTEX2_SIZE_U8,
  FUTEX_BITSET_MATCH_ANY,
  type FutexOptions,
  futexWait,
  type FutexWaiter,
  futexWaitv,
  futexWake,
  type FutexWord,
} from "./futex.ts";
export {
  CLD_CONTINUED,
  CLD_DUMPED,
  CLD_EXITED,
  CLD_KILLED,
  CLD_STOPPED,
  CLD_TRAPPED,
  P_ALL,
  P_PGID,
  P_PID,
  P_PIDFD,
  waitid,
  type WaitidResult,
  WCONTINUED,
  WEXITED,
  WNOHANG,
  WNOWAIT,
  WSTOPPED,
} from "./waitid.ts";
export {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLL_EVENT_SIZE,
  epollCtl,
  type EpollEvent,
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDHUP,
  epollWait,
} from "./epoll.ts";
export { provideBuffers, type ProvideBuffersOptions, removeBuffers } from "./provided_buffers.ts";
