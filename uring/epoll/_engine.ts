/**
 * The epoll backend's request engine: what io_uring's core does with requests once it has read their SQEs (issue,
 * complete, links, drain, cancel, count-based timeouts), over readiness (_readiness.ts), timers (_timers.ts) and a
 * pool of threads for calls that block (ffi/blocking_pool.ts). Opcode handlers (_op_*.ts) do the work and call
 * back {@link Engine.complete}, {@link Engine.post}, {@link Engine.waitFor} or {@link Engine.toPool}.
 *
 * The guarantees the layers above rely on, as the kernel gives them: every request posts exactly one final CQE
 * (none on success with IOSQE_CQE_SKIP_SUCCESS); a cancelled request completes with -ECANCELED; a member of a
 * chain (IOSQE_IO_LINK) starts only after the one before it succeeded, and when one fails the rest complete with
 * -ECANCELED (IOSQE_IO_HARDLINK excepted); a multishot request posts CQEs with IORING_CQE_F_MORE until its final one.
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import { syscalls } from "../../ffi/syscalls.ts";
import { blockingPool } from "../../ffi/blocking_pool.ts";
import type { BlockingCall } from "../../ffi/blocking_calls.ts";
import { UringError } from "../core/errors.ts";
import { EALREADY, ECANCELED, EINVAL, ENOENT, EOPNOTSUPP, ETIME } from "../abi/errno.ts";
import {
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_ASYNC_CANCEL_FD,
  IORING_ASYNC_CANCEL_OP,
  IORING_ASYNC_CANCEL_USERDATA,
  IORING_CQE_F_MORE,
  IORING_OP_LINK_TIMEOUT,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK,
  IOSQE_IO_LINK,
} from "../abi/uapi.ts";
import { CompletionQueue } from "./_cq.ts";
import { Readiness } from "./_readiness.ts";
import { Timers } from "./_timers.ts";
import { BufferGroups } from "./_buffer_groups.ts";
import { Scratch } from "./_scratch.ts";
import { type Req, ReqState } from "./_request.ts";
import { refusal } from "./_refused.ts";
import { FileKinds } from "./_sys.ts";
import { setTimeout as nodeSetTimeout } from "node:timers";

/** Does the work of one opcode: completes `r`, or arranges for it to complete later. */
export type Handler = (e: Engine, r: Req) => void;

const EFD_NONBLOCK = 0x800;
const EFD_CLOEXEC = 0x80000;
const F_DUPFD_CLOEXEC = 1030;
/** How many refusal notes are kept for the loop to read (the oldest go first). */
const REFUSALS_KEPT = 256;

/** The engine of one epoll ring. */
export class Engine {
  readonly cq: CompletionQueue;
  readonly readiness: Readiness;
  readonly timers: Timers;
  readonly groups: BufferGroups = new BufferGroups();
  readonly scratch: Scratch = new Scratch();
  /** What kind of file each descriptor is (how reads and writes are made). */
  readonly kinds: FileKinds = new FileKinds();
  /** An eventfd in the epoll set: pool threads write it when a call finishes, and `wake()` does. */
  readonly wakeFd: number;
  /** CQEs posted (for count-based timeouts: `cached_cq_tail`), and timeouts that fired by time (`cq_timeouts`). */
  posted = 0;
  timeoutsFired = 0;
  private readonly handlers: readonly (Handler | undefined)[];
  private readonly active = new Set<Req>();
  private readonly countTimeouts: Req[] = [];
  private checkingCounts = false;
  private readonly deferred: Req[] = [];
  private drainBarrier: Req | null = null;
  private poolOutstanding = 0;
  private readonly refusals = new Map<number, string>();
  private readonly counter = new Uint8Array(8);
  private closed = false;

  constructor(cqEntries: number, handlers: readonly (Handler | undefined)[]) {
    this.handlers = handlers;
    this.cq = new CompletionQueue(cqEntries);
    this.readiness = new Readiness((r, res) => this.complete(r, res));
    try {
      this.timers = new Timers();
      this.wakeFd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (this.wakeFd < 0) throw new UringError("create an eventfd", libc().errno());
      this.readiness.addInternal(this.wakeFd, () => this.onWake());
      this.readiness.addInternal(this.timers.fd, () => {
        this.timers.acknowledge();
        this.expireTimers();
      });
    } catch (e) {
      this.readiness.close();
      throw e;
    }
  }

  /** Requests issued and not complete (timers and link timeouts included). */
  get inFlight(): number {
    return this.active.size;
  }

  /** Whether anything waits on epoll, a timer or the pool: only then can an epoll_wait deliver something. */
  get waiting(): boolean {
    return this.active.size > 0 || this.deferred.length > 0;
  }

  // ---- Submission ----------------------------------------------------------------------------------------

  /**
   * Takes the requests of one submission in SQ order: builds chains (a LINK_TIMEOUT attaches to the request before
   * it), refuses what this backend cannot do, then issues each chain's head.
   */
  submit(reqs: readonly Req[]): void {
    const chain: Req[] = [];
    let last: Req | null = null;
    for (const r of reqs) {
      const note = refusal(r);
      if (note !== undefined) this.noteRefusal(r, note);
      if (last !== null && r.opcode === IORING_OP_LINK_TIMEOUT && last.opcode !== IORING_OP_LINK_TIMEOUT &&
        last.linked === null) {
        last.linked = r;
        r.linked = last;
      } else {
        // A LINK_TIMEOUT with no request before it in its chain (io_uring/timeout.c __io_timeout_prep).
        if (r.opcode === IORING_OP_LINK_TIMEOUT && r.prepError === 0) r.prepError = -EINVAL;
        if (last !== null) last.next = r;
        last = r;
      }
      chain.push(r);
      if (!(r.sqeFlags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK))) {
        this.startChain(chain);
        chain.length = 0;
        last = null;
      }
    }
    // A chain whose last SQE still says IOSQE_IO_LINK ends with the submission, as in the kernel.
    if (chain.length > 0) this.startChain(chain);
    this.readiness.flush();
  }

  /**
   * Issues a chain's head; or, when a member failed at submission, completes the whole chain without running any of
   * it: that member with its error, the others with -ECANCELED (io_uring/io_uring.c io_submit_fail_init).
   */
  private startChain(chain: readonly Req[]): void {
    const head = chain[0]!;
    if (chain.some((r) => r.prepError !== 0)) {
      for (const r of chain) {
        r.next = null;
        r.linked = null;
        this.active.add(r);
        this.complete(r, r.prepError !== 0 ? r.prepError : -ECANCELED);
      }
      return;
    }
    if (this.deferred.length > 0 || (head.sqeFlags & IOSQE_IO_DRAIN && this.busy())) {
      this.deferred.push(head);
      return;
    }
    if (head.sqeFlags & IOSQE_IO_DRAIN) this.drainBarrier = head;
    this.issue(head);
  }

  /** Issues the chains IOSQE_IO_DRAIN held back, as far as the drain allows. */
  private startDeferred(): void {
    while (this.deferred.length > 0 && !this.closed) {
      const head = this.deferred[0]!;
      if (head.sqeFlags & IOSQE_IO_DRAIN ? this.busy() : this.drainBarrier !== null) return;
      this.deferred.shift();
      if (head.sqeFlags & IOSQE_IO_DRAIN) this.drainBarrier = head;
      this.issue(head);
    }
  }

  /** Whether requests other than link timeouts are in flight (what a drain waits for). */
  private busy(): boolean {
    for (const r of this.active) if (r.opcode !== IORING_OP_LINK_TIMEOUT) return true;
    return false;
  }

  private issue(r: Req): void {
    if (this.closed) return;
    this.active.add(r);
    r.state = ReqState.Running;
    const lt = r.linked;
    if (lt !== null && r.opcode !== IORING_OP_LINK_TIMEOUT) {
      // The linked timeout runs from the moment its request is issued (io_uring/timeout.c io_queue_linked_timeout).
      this.active.add(lt);
      lt.state = ReqState.Running;
      this.handler(lt)(this, lt);
      if ((lt.state as ReqState) === ReqState.Done) {
        // The timeout was refused (a bad timespec, say): its request does not run unguarded, as in the kernel,
        // where the failed link cancels it.
        r.linked = null;
        this.complete(r, -ECANCELED);
        return;
      }
    }
    this.handler(r)(this, r);
  }

  private handler(r: Req): Handler {
    const h = this.handlers[r.opcode];
    if (h !== undefined) return h;
    // Past the last opcode: what the kernel answers (io_uring/io_uring.c io_init_req).
    return (e, q) => e.complete(q, -EINVAL);
  }

  // ---- Completion -----------------------------------------------------------------------------------------

  /** Posts a CQE of a multishot request that goes on (IORING_CQE_F_MORE is added). */
  post(r: Req, res: number, cflags: number): void {
    this.cq.push(r.udLo, r.udHi, res, cflags | IORING_CQE_F_MORE);
    this.posted++;
    if (this.countTimeouts.length > 0) this.checkCountTimeouts();
  }

  /**
   * Ends `r` with `res` (and `cflags`): posts its final CQE (unless it succeeded with IOSQE_CQE_SKIP_SUCCESS),
   * settles its linked timeout, and goes on with its chain (or cancels the rest after a failure).
   */
  complete(r: Req, res: number, cflags = 0): void {
    if (r.state === ReqState.Done) return;
    r.state = ReqState.Done;
    this.active.delete(r);
    if (r.ticket !== null) r.ticket = null;
    if (r.heldFds !== null) releaseHeld(r);
    if (r.scratch >= 0) {
      this.scratch.release(r.scratch);
      r.scratch = -1;
    }
    if (r.cleanup !== null) {
      const c = r.cleanup;
      r.cleanup = null;
      c(r);
    }
    if (!(res >= 0 && r.sqeFlags & IOSQE_CQE_SKIP_SUCCESS)) {
      this.cq.push(r.udLo, r.udHi, res, cflags);
      this.posted++;
    }
    const failed = r.failed || (res < 0 && !(res === -ETIME && r.etimeSucceeds));
    const lt = r.linked;
    if (lt !== null && r.opcode !== IORING_OP_LINK_TIMEOUT) {
      // Its request finished first: the timeout is cancelled (and its CQE says so).
      r.linked = null;
      lt.linked = null;
      if (lt.state === ReqState.Timed) this.timers.remove(lt);
      this.complete(lt, -ECANCELED);
    }
    const next = r.next;
    if (next !== null) {
      r.next = null;
      if (failed && !(r.sqeFlags & IOSQE_IO_HARDLINK)) this.failChain(next, -ECANCELED);
      else if (!this.closed) this.issue(next);
    }
    if (this.countTimeouts.length > 0) this.checkCountTimeouts();
    if (r === this.drainBarrier) this.drainBarrier = null;
    if (this.deferred.length > 0) this.startDeferred();
  }

  /** Completes a chain that never ran: `head` with `res`, the members after it with -ECANCELED. */
  private failChain(head: Req, res: number): void {
    this.active.add(head);
    const lt = head.linked;
    if (lt !== null) this.active.add(lt);
    this.complete(head, res);
  }

  /** A request that waits for `events` on `fd`: `r.retry(r, revents)` runs when the descriptor reports. */
  waitFor(r: Req, fd: number, events: number, retry: (r: Req, revents: number) => void): void {
    r.retry = retry;
    this.readiness.wait(r, fd, events);
  }

  /**
   * Runs `call(...args)` on a pool thread; `done(res, errno)` runs on this thread once it returned (unless `r` was
   * cancelled before a thread took it). Memory the call uses is `r`'s (its operation keeps it until the CQE).
   * `fdArgs`: the positions in `args` of descriptors (dirfds included) the call works on.
   */
  toPool(
    r: Req, call: BlockingCall, args: readonly number[], done: (res: number, errno: number) => void,
    fdArgs: readonly number[] = [],
  ): void {
    let a = args;
    for (const i of fdArgs) {
      const fd = a[i]!;
      // AT_FDCWD, or no descriptor.
      if (fd < 0) continue;
      // io_uring holds the request's file from its issue (io_uring/io_uring.c io_assign_file), so a close made
      // through the ring after that, and the number's reuse, leave the request on its file. A thread may take the
      // call later: it gets a duplicate of the descriptor, closed once the call returned. Without a duplicate (a
      // number that names nothing, as a dirfd beside an absolute path may; no descriptors left) it gets the number.
      const dup = syscalls().fcntl(fd, F_DUPFD_CLOEXEC, 0);
      if (dup < 0) continue;
      if (a === args) a = args.slice();
      (a as number[])[i] = dup;
      (r.heldFds ??= []).push(dup);
    }
    r.state = ReqState.Pooled;
    this.poolOutstanding++;
    r.ticket = blockingPool().submit(call, a, this.wakeFd, (res, errno) => {
      this.poolOutstanding--;
      if (this.closed) {
        // Its ring went while a thread was in the call: only the memory and descriptors it held are left to give.
        if (r.scratch >= 0) this.scratch.release(r.scratch);
        r.scratch = -1;
        if (r.heldFds !== null) releaseHeld(r);
        return;
      }
      if (r.state !== ReqState.Pooled) return;
      r.ticket = null;
      r.state = ReqState.Running;
      done(res, errno);
    });
  }

  /** The first request in flight that `match` accepts. */
  find(match: (r: Req) => boolean): Req | undefined {
    for (const r of this.active) if (r.state !== ReqState.Done && match(r)) return r;
    return undefined;
  }

  // ---- Cancellation --------------------------------------------------------------------------------------

  /**
   * Cancels `r` if it can be: 0 (it completes with -ECANCELED, or `res` when given), -EALREADY when it cannot be
   * stopped (a pool thread is in its call), -ENOENT when it is not in flight.
   */
  tryCancel(r: Req, res = -ECANCELED): number {
    switch (r.state) {
      case ReqState.Polling:
        this.readiness.unwait(r);
        this.complete(r, res);
        return 0;
      case ReqState.Orphaned:
        this.complete(r, res);
        return 0;
      case ReqState.Timed:
        this.timers.remove(r);
        this.complete(r, res);
        return 0;
      case ReqState.Pooled:
        if (r.ticket !== null && r.ticket.withdraw()) {
          this.poolOutstanding--;
          r.ticket = null;
          this.complete(r, res);
          return 0;
        }
        return -EALREADY;
      case ReqState.Running:
        return -EALREADY;
      default:
        return -ENOENT;
    }
  }

  /**
   * IORING_OP_ASYNC_CANCEL's match and count (io_uring/cancel.c io_cancel_req_match, __io_async_cancel): by
   * user_data (the default, or IORING_ASYNC_CANCEL_USERDATA), by descriptor (FD), by opcode (OP, `sqe->len`), or
   * any (ANY); the first match, or all of them (ALL, whose result is the count). Linked timeouts are not matched.
   */
  cancelMatching(c: Req): number {
    const flags = c.opFlags;
    const all = (flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY)) !== 0;
    const byUserData = !(flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP)) ||
      (flags & IORING_ASYNC_CANCEL_USERDATA) !== 0;
    const matches: Req[] = [];
    for (const r of this.active) {
      if (r === c || r.opcode === IORING_OP_LINK_TIMEOUT || r.state === ReqState.Done) continue;
      if (!(flags & IORING_ASYNC_CANCEL_ANY)) {
        if (flags & IORING_ASYNC_CANCEL_FD && r.fd !== c.fd) continue;
        if (flags & IORING_ASYNC_CANCEL_OP && r.opcode !== c.len) continue;
        if (byUserData && !r.hasUserData(c.addrLo, c.addrHi)) continue;
      }
      matches.push(r);
      if (!all) break;
    }
    if (!all) return matches.length === 0 ? -ENOENT : this.tryCancel(matches[0]!);
    for (const r of matches) this.tryCancel(r);
    return matches.length;
  }

  // ---- Timers ---------------------------------------------------------------------------------------------

  /** Arms `r` as a timer firing at `deadline` (monotonic ns); `fire(r)` runs then. */
  arm(r: Req, deadline: number, fire: (r: Req) => void): void {
    r.retry = fire as (r: Req, revents: number) => void;
    r.state = ReqState.Timed;
    this.timers.add(r, deadline);
  }

  /** Fires every timer that is due. */
  expireTimers(): void {
    this.timers.expire((r) => {
      r.state = ReqState.Running;
      r.retry!(r, 0);
    });
  }

  /** A TIMEOUT with a completion count: ended with 0 once that many CQEs were posted after it. */
  watchCount(r: Req): void {
    this.countTimeouts.push(r);
  }

  /** Takes `r` off the count watch (it ended otherwise). */
  unwatchCount(r: Req): void {
    const i = this.countTimeouts.indexOf(r);
    if (i >= 0) this.countTimeouts.splice(i, 1);
  }

  private checkCountTimeouts(): void {
    if (this.checkingCounts) return;
    this.checkingCounts = true;
    try {
      for (let i = 0; i < this.countTimeouts.length;) {
        const r = this.countTimeouts[i]!;
        if (this.posted - this.timeoutsFired >= r.targetSeq) {
          this.countTimeouts.splice(i, 1);
          this.tryCancel(r, 0);
          i = 0;
        } else {
          i++;
        }
      }
    } finally {
      this.checkingCounts = false;
    }
  }

  // ---- Waiting --------------------------------------------------------------------------------------------

  /** Waits up to `timeoutMs` (-1: no limit) for events and handles them. Returns the number of events. */
  poll(timeoutMs: number): number {
    if (this.closed) return 0;
    const n = this.readiness.collect(timeoutMs);
    // The timerfd may not have reported yet for a deadline that has just passed: look at the heap too.
    if (this.timers.size > 0) this.expireTimers();
    this.readiness.flush();
    return n;
  }

  /** Makes the epoll descriptor readable (ends a wait on it, on any thread). */
  wake(): void {
    const one = new Uint8Array(8);
    one[0] = 1;
    libc().write(this.wakeFd, one, 8);
  }

  private onWake(): void {
    libc().read(this.wakeFd, this.counter, 8);
    if (this.poolOutstanding > 0) blockingPool().harvest();
  }

  // ---- Refusals -------------------------------------------------------------------------------------------

  /** Why `r` completes with -EOPNOTSUPP here: kept by user_data for the loop to put in its error. */
  private noteRefusal(r: Req, note: string): void {
    r.prepError = -EOPNOTSUPP;
    const ud = r.udLo + r.udHi * 2 ** 32;
    if (this.refusals.size >= REFUSALS_KEPT) this.refusals.delete(this.refusals.keys().next().value!);
    this.refusals.set(ud, note);
  }

  /** The note of a request refused with -EOPNOTSUPP (read once), or undefined. */
  takeRefusal(userData: number): string | undefined {
    const note = this.refusals.get(userData);
    if (note !== undefined) this.refusals.delete(userData);
    return note;
  }

  // ---- Teardown -------------------------------------------------------------------------------------------

  /**
   * Stops everything: waits and timers are dropped without CQEs (the ring is going away, as a kernel ring's
   * requests go with it), calls not yet taken by a pool thread are withdrawn, and the descriptors are closed. The
   * wake-up eventfd outlives calls a pool thread is still making (it writes it when done).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.active) {
      if (r.state === ReqState.Polling) this.readiness.unwait(r);
      if (r.state === ReqState.Timed) this.timers.remove(r);
      if (r.state === ReqState.Pooled && r.ticket?.withdraw()) {
        // No thread took it and none will: its scratch chunk can go back, so the blocks are freed below.
        this.poolOutstanding--;
        if (r.heldFds !== null) releaseHeld(r);
        if (r.scratch >= 0) this.scratch.release(r.scratch);
        r.scratch = -1;
      }
      if (r.cleanup !== null) r.cleanup(r);
      r.cleanup = null;
      r.state = ReqState.Done;
    }
    this.active.clear();
    this.readiness.close();
    this.timers.close();
    const closeWake = () => {
      blockingPool().quiesce();
      libc().close(this.wakeFd);
      this.scratch.close();
    };
    if (this.poolOutstanding === 0) {
      closeWake();
      return;
    }
    // Calls in progress write the eventfd when they return: close it only after, looking now and then.
    const look = () => {
      blockingPool().harvest();
      if (this.poolOutstanding > 0) nodeSetTimeout(look, 10).unref();
      else closeWake();
    };
    look();
  }
}

/** Closes the duplicates a pool call held (it returned, or no thread took it). */
function releaseHeld(r: Req): void {
  for (const fd of r.heldFds!) syscalls().close(fd);
  r.heldFds = null;
}
