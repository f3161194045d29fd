/**
 * Waiting for descriptors to become ready: the epoll set of one epoll ring, and per descriptor the requests that got
 * EAGAIN and wait to be retried (what io_uring's internal poll, io_uring/poll.c, does for a request that cannot
 * complete yet).
 *
 * Each descriptor is registered once with EPOLLONESHOT and the union of what its waiters want, re-armed (one
 * EPOLL_CTL_MOD) only while requests still wait after an event. One-shot rather than level-triggered: an armed
 * registration reports at most once, so a registration left behind for a file that was closed behind the ring's
 * back (and so can no longer be modified: epoll keys it by descriptor and file) cannot report for ever, and a MOD
 * that fails with ENOENT reveals that the number now names another file, which is then registered anew. Requests
 * retry their system call first and wait only after EAGAIN, so one-shot readiness loses nothing: data that arrived
 * before the re-arm is reported by the MOD itself (epoll checks the file's state when it arms).
 *
 * A multishot poll wants io_uring's semantics of one CQE per wake-up, not per look, so it gets a registration of
 * its own, edge-triggered, on a duplicate of the descriptor (the duplicate also keeps the file open while it waits,
 * as the kernel's request holds its file).
 *
 * The ring's own descriptors (its wake-up eventfd, its timerfd) sit in the same set, level-triggered, with token 0.
 *
 * @module
 */
import { EPOLL_DATA_OFFSET, EPOLL_EVENT_SIZE, syscalls } from "../../ffi/syscalls.ts";
import { UringError } from "../core/errors.ts";
import { EINTR, ENOENT, EEXIST, EPERM } from "../abi/errno.ts";
import { NOT_POLLABLE, type Req, ReqState } from "./_request.ts";

export const EPOLLIN = 0x1;
export const EPOLLPRI = 0x2;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;
export const EPOLLRDHUP = 0x2000;
export const EPOLLONESHOT = 1 << 30;
export const EPOLLET = 1 << 31;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLL_CLOEXEC = 0x80000;
/** Events one epoll_wait collects. */
const MAX_EVENTS = 256;

/** The waiters of one descriptor and its registration. */
class FdWait {
  /** The registration's token (in the event's data beside the fd), 0 while not registered. */
  token = 0;
  /** The events armed now; 0 once a one-shot registration reported. */
  armed = 0;
  readonly waiters: Req[] = [];
  /** In the list of registrations to (re-)arm. */
  queued = false;
  /**
   * @param fd The descriptor.
   * @param edge Edge-triggered and persistent (a multishot poll's), else one-shot.
   * @param owned A registration of one request's own descriptor (a multishot poll's duplicate).
   */
  constructor(readonly fd: number, readonly edge: boolean, readonly owned: boolean) {}
}

/** The epoll set and the waits on it. */
export class Readiness {
  /** The epoll descriptor. */
  readonly epfd: number;
  /** Requests waiting on a descriptor now. */
  waiting = 0;
  private readonly fds = new Map<number, FdWait>();
  private readonly internal = new Map<number, () => void>();
  private readonly dirty: FdWait[] = [];
  private nextToken = 1;
  private readonly events = new Uint8Array(MAX_EVENTS * EPOLL_EVENT_SIZE);
  private readonly eventsView = new DataView(this.events.buffer);
  private readonly ctlEvent = new Uint8Array(16);
  private readonly ctlView = new DataView(this.ctlEvent.buffer);

  /**
   * @param fail Completes a request with an error its registration ran into (EBADF, ENOMEM, ENOSPC).
   */
  constructor(private readonly fail: (r: Req, res: number) => void) {
    const s = syscalls();
    this.epfd = s.epoll_create1(EPOLL_CLOEXEC);
    if (this.epfd < 0) throw new UringError("create an epoll instance", s.errno());
  }

  /** Adds one of the ring's own descriptors, level-triggered: `onReady` runs whenever it is readable. */
  addInternal(fd: number, onReady: () => void): void {
    this.internal.set(fd, onReady);
    if (this.ctl(EPOLL_CTL_ADD, fd, EPOLLIN, 0) < 0) {
      throw new UringError("add a descriptor to the epoll set", syscalls().errno());
    }
  }

  /** `r` waits until `fd` reports one of `events` (or an error or hang-up): then `r.retry` runs. */
  wait(r: Req, fd: number, events: number): void {
    let st = this.fds.get(fd);
    if (st === undefined) {
      st = new FdWait(fd, false, false);
      this.fds.set(fd, st);
    }
    r.state = ReqState.Polling;
    r.waitFd = fd;
    r.waitEvents = events;
    st.waiters.push(r);
    this.waiting++;
    this.queue(st);
  }

  /**
   * `r` waits for each wake-up of `dupFd` (a descriptor of its own) reporting `events`: `r.retry` runs per event,
   * and `r` stays registered until {@link unwait}. Edge-triggered unless `level`.
   */
  watch(r: Req, dupFd: number, events: number, level: boolean): void {
    const st = new FdWait(dupFd, !level, true);
    this.fds.set(dupFd, st);
    r.state = ReqState.Polling;
    r.waitFd = dupFd;
    r.waitEvents = events;
    st.waiters.push(r);
    this.waiting++;
    this.queue(st);
  }

  /** Takes `r` off its descriptor's waiters (cancelled, or ended); a private registration is removed. */
  unwait(r: Req): void {
    const st = this.fds.get(r.waitFd);
    r.waitFd = -1;
    if (st === undefined) return;
    const i = st.waiters.indexOf(r);
    if (i < 0) return;
    st.waiters.splice(i, 1);
    this.waiting--;
    if (st.owned) {
      this.fds.delete(st.fd);
      if (st.token !== 0) this.ctl(EPOLL_CTL_DEL, st.fd, 0, 0);
    }
  }

  /**
   * The descriptor `fd` is being closed by a request of this ring: its waiters can no longer be reached through it
   * (the kernel's would hold the file and wait on; these wait, orphaned, until cancelled), and its registration goes.
   */
  forget(fd: number): void {
    const st = this.fds.get(fd);
    if (st === undefined || st.owned) return;
    this.fds.delete(fd);
    for (const r of st.waiters) {
      r.state = ReqState.Orphaned;
      r.waitFd = -1;
      this.waiting--;
    }
    st.waiters.length = 0;
    if (st.token !== 0) this.ctl(EPOLL_CTL_DEL, fd, 0, 0);
  }

  /** Arms the registrations whose waiters changed: one epoll_ctl per descriptor per batch. */
  flush(): void {
    while (this.dirty.length > 0) {
      const st = this.dirty.pop()!;
      st.queued = false;
      if (st.waiters.length === 0) continue;
      let mask = 0;
      for (const r of st.waiters) mask |= r.waitEvents;
      if (st.edge) {
        if (st.token === 0) this.register(st, mask | EPOLLET);
        continue;
      }
      // Armed for everything wanted already: nothing to do until it reports.
      if (st.armed !== 0 && (st.armed & mask) === mask) continue;
      this.register(st, mask | EPOLLONESHOT);
    }
  }

  /**
   * Waits up to `timeoutMs` (-1: no limit, 0: just look) for events and hands them out. Returns how many events
   * arrived (0 after a signal).
   */
  collect(timeoutMs: number): number {
    this.flush();
    const n = syscalls().epoll_wait(this.epfd, this.events, MAX_EVENTS, timeoutMs);
    if (n < 0) {
      const errno = syscalls().errno();
      if (errno === EINTR) return 0;
      throw new UringError("wait for events (epoll_wait)", errno);
    }
    const v = this.eventsView;
    for (let i = 0; i < n; i++) {
      const at = i * EPOLL_EVENT_SIZE;
      const revents = v.getUint32(at, true);
      const fd = v.getInt32(at + EPOLL_DATA_OFFSET, true);
      const token = v.getUint32(at + EPOLL_DATA_OFFSET + 4, true);
      if (token === 0) {
        this.internal.get(fd)?.();
        continue;
      }
      const st = this.fds.get(fd);
      // A registration of a file this number no longer names (closed and reused), or one already forgotten.
      if (st === undefined || st.token !== token) continue;
      this.dispatch(st, revents);
    }
    this.flush();
    return n;
  }

  /** Closes the epoll descriptor. Waiters are the caller's to complete first. */
  close(): void {
    syscalls().close(this.epfd);
  }

  private dispatch(st: FdWait, revents: number): void {
    if (st.edge) {
      const r = st.waiters[0];
      if (r !== undefined) r.retry!(r, revents);
      return;
    }
    st.armed = 0;
    const everyone = (revents & (EPOLLERR | EPOLLHUP)) !== 0;
    // In arrival order; a retry may wait again (it goes to the back) or complete.
    const list = st.waiters.splice(0);
    const ready: Req[] = [];
    for (const r of list) {
      if (everyone || (r.waitEvents & revents) !== 0) ready.push(r);
      else st.waiters.push(r);
    }
    for (const r of ready) {
      this.waiting--;
      r.waitFd = -1;
      r.state = ReqState.Running;
      r.retry!(r, revents);
    }
    this.queue(st);
  }

  private queue(st: FdWait): void {
    if (st.queued) return;
    st.queued = true;
    this.dirty.push(st);
  }

  /** MOD (or ADD when not registered, or when MOD finds another file under the number) with `events`. */
  private register(st: FdWait, events: number): void {
    let op = st.token === 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = op === EPOLL_CTL_ADD ? this.nextToken : st.token;
      if (this.ctl(op, st.fd, events, token) === 0) {
        if (op === EPOLL_CTL_ADD) {
          st.token = token;
          this.nextToken = this.nextToken === 0xffffffff ? 1 : this.nextToken + 1;
        }
        st.armed = events & ~(EPOLLONESHOT | EPOLLET);
        return;
      }
      const errno = syscalls().errno();
      if (op === EPOLL_CTL_MOD && errno === ENOENT) {
        // The number names another file now (the old one was closed behind our back): register that one.
        op = EPOLL_CTL_ADD;
        continue;
      }
      if (op === EPOLL_CTL_ADD && errno === EEXIST) {
        // Registered already under a token we lost: take it over.
        op = EPOLL_CTL_MOD;
        st.token = this.nextToken++;
        continue;
      }
      const waiters = st.waiters.splice(0);
      this.waiting -= waiters.length;
      this.fds.delete(st.fd);
      st.token = 0;
      for (const r of waiters) {
        r.waitFd = -1;
        r.state = ReqState.Running;
        // A file that cannot be polled (a regular file, a directory): its request decides what that means.
        if (errno === EPERM) r.retry!(r, NOT_POLLABLE);
        else this.fail(r, -errno);
      }
      return;
    }
  }

  private ctl(op: number, fd: number, events: number, token: number): number {
    const v = this.ctlView;
    v.setUint32(0, events >>> 0, true);
    v.setInt32(EPOLL_DATA_OFFSET, fd, true);
    v.setUint32(EPOLL_DATA_OFFSET + 4, token, true);
    return syscalls().epoll_ctl(this.epfd, op, fd, this.ctlEvent);
  }
}
