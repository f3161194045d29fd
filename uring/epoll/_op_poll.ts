/**
 * The epoll backend's POLL_ADD (one-shot, multishot with IORING_POLL_ADD_MULTI, level-triggered multishot with
 * IORING_POLL_ADD_LEVEL) and POLL_REMOVE (removal, and updates of events or user_data), as io_uring/poll.c has
 * them. The result is the mask of ready events among those asked for, errors and hang-ups always included; a file
 * that cannot be polled is always ready for reading and writing (the kernel's DEFAULT_POLLMASK for a file without
 * a poll method).
 *
 * @module
 */
import { syscalls } from "../../ffi/syscalls.ts";
import { EALREADY, EINVAL, ENOENT } from "../abi/errno.ts";
import {
  IORING_OP_POLL_ADD,
  IORING_OP_POLL_REMOVE,
  IORING_POLL_ADD_LEVEL,
  IORING_POLL_ADD_MULTI,
  IORING_POLL_UPDATE_EVENTS,
  IORING_POLL_UPDATE_USER_DATA,
  IOSQE_CQE_SKIP_SUCCESS,
} from "../abi/uapi.ts";
import { TWO_32 } from "../abi/_u64.ts";
import type { Engine, Handler } from "./_engine.ts";
import { NOT_POLLABLE, type Req, ReqState } from "./_request.ts";
import { EPOLLERR, EPOLLHUP } from "./_readiness.ts";
import { res } from "./_sys.ts";

/** EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM: what a file without a poll method always reports. */
const DEFAULT_POLLMASK = 0x1 | 0x4 | 0x40 | 0x100;
/** The event bits a poll may ask for (the rest of poll32_events, EPOLLEXCLUSIVE and the like, are not events). */
const EVENT_BITS = 0xffff;
const F_DUPFD_CLOEXEC = 1030;

function pollAdd(e: Engine, r: Req): void {
  // io_uring/poll.c io_poll_add_prep: the flags in `len`, the events in poll32_events.
  if (r.bufIndex !== 0 || r.off !== 0 || r.addr !== 0) return e.complete(r, -EINVAL);
  const flags = r.len;
  if (flags & ~(IORING_POLL_ADD_MULTI | IORING_POLL_ADD_LEVEL)) return e.complete(r, -EINVAL);
  if (flags & IORING_POLL_ADD_MULTI && r.sqeFlags & IOSQE_CQE_SKIP_SUCCESS) return e.complete(r, -EINVAL);
  r.multishot = (flags & IORING_POLL_ADD_MULTI) !== 0;
  arm(e, r);
}

/** Arms `r` for its events: a shared one-shot wait, or for a multishot poll a registration of its own. */
function arm(e: Engine, r: Req): void {
  const want = r.opFlags & EVENT_BITS;
  const mask = want | EPOLLERR | EPOLLHUP;
  if (!r.multishot) {
    const ready = (q: Req, revents: number): void => {
      if (revents === NOT_POLLABLE) return e.complete(q, DEFAULT_POLLMASK & mask);
      const m = revents & mask;
      if (m === 0) return e.waitFor(q, q.fd, want, ready);
      e.complete(q, m);
    };
    return e.waitFor(r, r.fd, want, ready);
  }
  // A duplicate of its own: an edge-triggered registration reports once per wake-up, as the kernel's multishot poll
  // posts once per wake-up of the file's wait queue; and the duplicate keeps the file open meanwhile.
  const dup = res(syscalls().fcntl(r.fd, F_DUPFD_CLOEXEC, 0));
  if (dup < 0) return e.complete(r, dup);
  r.auxFd = dup;
  r.cleanup = (q) => {
    if (q.auxFd >= 0) syscalls().close(q.auxFd);
    q.auxFd = -1;
  };
  const level = (r.len & IORING_POLL_ADD_LEVEL) !== 0;
  r.retry = (q, revents) => {
    if (revents === NOT_POLLABLE) {
      // Ready for good and never woken again: one CQE, then it waits for a cancel.
      e.post(q, DEFAULT_POLLMASK & mask, 0);
      q.state = ReqState.Orphaned;
      return;
    }
    const m = revents & mask;
    if (m !== 0) e.post(q, m, 0);
    // Level-triggered: look again (a one-shot re-arm reports at once while the condition holds).
    if (level && q.state !== ReqState.Done) e.readiness.wait(q, q.auxFd, want);
  };
  e.readiness.watch(r, dup, want, level);
}

function pollRemove(e: Engine, r: Req): void {
  // io_uring/poll.c io_poll_remove_prep/io_poll_remove: the target's user_data in `addr`, the update flags in
  // `len`, new events in poll32_events, a new user_data in `off`.
  if (r.bufIndex !== 0 || r.fileIndex !== 0) return e.complete(r, -EINVAL);
  const flags = r.len;
  if (flags & ~(IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA | IORING_POLL_ADD_MULTI)) {
    return e.complete(r, -EINVAL);
  }
  const target = e.find((q) => q.opcode === IORING_OP_POLL_ADD && q.hasUserData(r.addrLo, r.addrHi));
  if (target === undefined) return e.complete(r, -ENOENT);
  if (!(flags & (IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA))) {
    return e.complete(r, e.tryCancel(target));
  }
  if (target.state !== ReqState.Polling && target.state !== ReqState.Orphaned) return e.complete(r, -EALREADY);
  // Disarmed without a CQE, changed, armed again (it may complete at once).
  if (target.state === ReqState.Polling) e.readiness.unwait(target);
  if (target.cleanup !== null) {
    target.cleanup(target);
    target.cleanup = null;
  }
  if (flags & IORING_POLL_UPDATE_EVENTS) {
    target.opFlags = r.opFlags;
    target.multishot = (flags & IORING_POLL_ADD_MULTI) !== 0;
  }
  if (flags & IORING_POLL_UPDATE_USER_DATA) {
    const lo = r.off >>> 0;
    target.udLo = lo;
    target.udHi = (r.off - lo) / TWO_32;
  }
  target.state = ReqState.Running;
  arm(e, target);
  e.complete(r, 0);
}

/** The handlers of this file, by opcode. */
export const POLL_HANDLERS: readonly (readonly [number, Handler])[] = [
  [IORING_OP_POLL_ADD, pollAdd],
  [IORING_OP_POLL_REMOVE, pollRemove],
];
