/**
 * The epoll backend: io_uring's submission/completion contract carried out in userspace, for where the kernel
 * refuses io_uring (a seccomp filter, the io_uring_disabled sysctl, a kernel without it or too old for the loop).
 *
 * An {@link EpollRing} has the surface of a {@link Ring} that a Loop drives: SQEs are handed out by `getSqe()` and
 * written by the same prep functions; `submit()` reads them (opcode, flags, fd, addr, len, off, op flags, buffer
 * group, multishot bits...) and performs them, with non-blocking system calls retried on epoll readiness for
 * sockets, pipes and eventfds, timers on a timerfd, and a pool of threads for calls that block on storage (files);
 * completions come back as CQEs with the kernel's `user_data`, `res` and `flags` (IORING_CQE_F_MORE,
 * IORING_CQE_F_BUFFER with the buffer id), through `drain(visit)`. Provided buffer rings are registered with it
 * (IORING_REGISTER_PBUF_RING through `register()`) and consumed exactly as the kernel consumes them, so a
 * {@link BufferRing} works unchanged.
 *
 * What only io_uring can do (registered files and buffers, direct descriptors, uring_cmd, MSG_RING, zero-copy
 * send, futex and waitid requests, 128-byte SQEs and 32-byte CQEs) is refused: such a request completes with
 * -EOPNOTSUPP (its note, from {@link EpollRing.takeRefusal}, says what needs the io_uring backend), and such a
 * register call or ring method throws.
 *
 * @example
 * ```ts
 * import { prepNop } from "ringside-uring/prep";
 * import { sqeSetData } from "ringside-uring/ring";
 *
 * const ring = new EpollRing(8);
 * const sqe = ring.getSqe()!;
 * prepNop(sqe);
 * sqeSetData(sqe, 7);
 * ring.submitAndWait(1);
 * ring.drain((userData, res) => console.log(userData, res)); // 7 0
 * ring.close();
 * ```
 *
 * @module
 */
import { UringError, refuse } from "../core/errors.ts";
import { checkInt } from "../core/_validate.ts";
import { EEXIST, EINVAL, ENOENT, EOPNOTSUPP } from "../abi/errno.ts";
import {
  io_uring_buf_reg,
  io_uring_buf_status,
  IORING_FEAT_CQE_SKIP,
  IORING_FEAT_EXT_ARG,
  IORING_FEAT_FAST_POLL,
  IORING_FEAT_NODROP,
  IORING_FEAT_POLL_32BITS,
  IORING_FEAT_RW_CUR_POS,
  IORING_FEAT_SUBMIT_STABLE,
  IORING_REGISTER_PBUF_RING,
  IORING_REGISTER_PBUF_STATUS,
  IORING_SETUP_CLAMP,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SUBMIT_ALL,
  IORING_SETUP_TASKRUN_FLAG,
  IORING_UNREGISTER_PBUF_RING,
  IOU_PBUF_RING_INC,
  IOU_PBUF_RING_MMAP,
  SETUP_FLAGS,
} from "../abi/uapi.ts";
import { TWO_32 } from "../abi/_u64.ts";
import { Sqe } from "../ring/sqe.ts";
import type { CqeBatch, CqeVisitor, Ring, RingOptions, WaitOptions } from "../ring/ring.ts";
import { REGISTER_OPCODES } from "../ring/_since.ts";
import { Engine, type Handler } from "./_engine.ts";
import { parseSqe, type Req } from "./_request.ts";
import { ListGroup, RingGroup } from "./_buffer_groups.ts";
import { MISC_HANDLERS } from "./_op_misc.ts";
import { TIME_HANDLERS } from "./_op_time.ts";
import { NET_HANDLERS } from "./_op_net.ts";
import { RW_HANDLERS } from "./_op_rw.ts";
import { FILE_HANDLERS } from "./_op_files.ts";
import { POLL_HANDLERS } from "./_op_poll.ts";

/** Every public member of {@link Ring}: what an EpollRing provides, so a Loop (and code given `loop.ring`) can use either. */
export type RingApi = { [K in keyof Ring]: Ring[K] };

const HANDLERS: (Handler | undefined)[] = new Array(256);
for (const table of [MISC_HANDLERS, TIME_HANDLERS, NET_HANDLERS, RW_HANDLERS, FILE_HANDLERS, POLL_HANDLERS]) {
  for (const [opcode, h] of table) HANDLERS[opcode] = h;
}

/** Setup flags that change nothing here (they tune the kernel's task work and SQ handling), so they are accepted. */
const HARMLESS_FLAGS = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN |
  IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL |
  IORING_SETUP_NO_SQARRAY;
/** What the epoll backend does as the kernel's features promise. */
const FEATURES = IORING_FEAT_NODROP | IORING_FEAT_SUBMIT_STABLE | IORING_FEAT_RW_CUR_POS | IORING_FEAT_FAST_POLL |
  IORING_FEAT_POLL_32BITS | IORING_FEAT_EXT_ARG | IORING_FEAT_CQE_SKIP;
const NEEDS = "needs the io_uring backend (this ring is the epoll backend's)";

function roundUp(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * A ring with the {@link Ring} surface over epoll, non-blocking system calls and a thread pool. Single-threaded
 * like a Ring: it belongs to the thread that made it.
 */
export class EpollRing implements RingApi {
  /** -1: there is no io_uring file descriptor (see {@link epollFd}). */
  readonly fd: number = -1;
  /** The setup flags kept (those that change nothing here); 0 in practice. */
  readonly flags: number = 0;
  /** `IORING_FEAT_*` bits this backend honours: NODROP, EXT_ARG, CQE_SKIP, POLL_32BITS and the like. */
  readonly features: number = FEATURES;
  /** 64: SQEs are the kernel's 64-byte layout. */
  readonly sqeSize: number = 64;
  /** 16: CQEs are the kernel's 16-byte layout. */
  readonly cqeSize: number = 16;
  /** Always -1: there is no ring fd to register. */
  readonly ringIndex: number = -1;
  /** Which backend this ring is. */
  readonly backend = "epoll" as const;

  private readonly engine: Engine;
  private readonly sqCount: number;
  private readonly cqCount: number;
  private readonly sqes: Sqe[];
  private sqHead = 0;
  private sqTail = 0;
  private submitting = false;
  private closed = false;
  private readonly closeHooks: (() => void)[] = [];

  /**
   * Sets up an epoll ring with `entries` SQ entries (rounded up to a power of two, 1 to 32768). Of
   * {@link RingOptions} it takes `cqEntries` (the CQ's starting size: it grows rather than drop) and the setup
   * flags that only tune the kernel (SINGLE_ISSUER, DEFER_TASKRUN, COOP_TASKRUN ...); others are refused.
   */
  constructor(entries: number, options: RingOptions = {}) {
    const op = "set up an epoll ring";
    checkInt(op, entries, 1, 32768, "entries");
    const flags = options.flags ?? 0;
    const refused = flags & ~HARMLESS_FLAGS;
    if (refused !== 0) {
      const names = SETUP_FLAGS.filter((f) => refused & f.value).map((f) => f.name).join(", ") || `0x${refused.toString(16)}`;
      refuse(op, `${names} ${NEEDS}`);
    }
    if (options.sqThreadCpu !== undefined || options.sqThreadIdle !== undefined || options.attachWq !== undefined) {
      refuse(op, `SQPOLL and a shared io-wq ${NEEDS}`);
    }
    this.sqCount = roundUp(entries);
    this.cqCount = roundUp(options.cqEntries ?? this.sqCount * 2);
    const memory = new ArrayBuffer(this.sqCount * 64);
    this.sqes = Array.from({ length: this.sqCount }, (_, i) => new Sqe(memory, i * 64, 64, i));
    this.engine = new Engine(this.cqCount, HANDLERS);
  }

  /** The epoll descriptor: readable whenever the ring has something to reap or do (see `Loop` integrated mode). */
  get epollFd(): number {
    return this.engine.readiness.epfd;
  }

  /** SQ size in entries. */
  get sqEntries(): number {
    return this.sqCount;
  }

  /** The CQ's starting size (it grows rather than drop completions). */
  get cqEntries(): number {
    return this.cqCount;
  }

  /** The CQ's entries as 32-bit words; a visitor's `word` indexes it. Read it while visiting, do not keep it. */
  get cqes32(): Uint32Array {
    return this.engine.cq.words;
  }

  /** Whether `close()` has run. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests submitted and not yet complete. */
  get inFlight(): number {
    return this.engine.inFlight;
  }

  // ---- Submission ------------------------------------------------------------------------------------------

  /** The next free SQE, zeroed, or null when the SQ is full (submit, then try again). */
  getSqe(): Sqe | null {
    if (this.closed) this.throwClosed("get an SQE");
    if (this.sqTail - this.sqHead >= this.sqCount) return null;
    return this.sqes[this.sqTail++ & (this.sqCount - 1)]!;
  }

  /** Refused: 128-byte SQEs need the io_uring backend. */
  getSqe128(): Sqe | null {
    refuse("get a 128-byte SQE", `128-byte SQEs ${NEEDS}`);
  }

  /** SQEs handed out and not yet submitted. */
  sqPending(): number {
    if (this.closed) this.throwClosed("read the SQ");
    return this.sqTail - this.sqHead;
  }

  /** Free SQ slots. */
  sqSpaceLeft(): number {
    return this.sqCount - this.sqPending();
  }

  /** Always 0: no SQE is dropped. */
  sqDropped(): number {
    return 0;
  }

  /**
   * Submits the SQEs written since the last submit: each is read into a request and issued (many complete at once:
   * NOPs, reads with data waiting, sends with room). Returns how many were submitted.
   */
  submit(): number {
    if (this.closed) this.throwClosed("submit");
    if (this.submitting) return 0;
    const n = this.sqTail - this.sqHead;
    if (n === 0) return 0;
    this.submitting = true;
    try {
      const reqs: Req[] = [];
      const mask = this.sqCount - 1;
      for (; this.sqHead !== this.sqTail; this.sqHead++) {
        const sqe = this.sqes[this.sqHead & mask]!;
        reqs.push(parseSqe(sqe));
        // The request has what it needs: the slot is free again, zeroed for the next getSqe().
        sqe.clear();
      }
      this.engine.submit(reqs);
    } finally {
      this.submitting = false;
    }
    return n;
  }

  /**
   * Submits, then waits until at least `waitNr` CQEs are ready or `timeoutNs` passed (blocking in epoll_wait).
   * Returns the number of CQEs ready. `minWaitUsec`, `absolute` and `slot` are refused.
   */
  submitAndWait(waitNr = 1, options?: WaitOptions): number {
    if (this.closed) this.throwClosed("submit and wait");
    if (options?.slot !== undefined || options?.minWaitUsec !== undefined || options?.absolute) {
      refuse("wait", `registered wait arguments, minimum and absolute waits ${NEEDS}`);
    }
    const ns = options?.timeoutNs;
    if (ns !== undefined && (!Number.isFinite(ns) || ns < 0)) {
      refuse("wait with a timeout", `the timeout must be a non-negative number of nanoseconds, got ${ns}`);
    }
    this.submit();
    const cq = this.engine.cq;
    if (waitNr <= 0 || cq.ready >= waitNr) {
      if (this.engine.waiting) this.engine.poll(0);
      return cq.ready;
    }
    const deadline = ns === undefined ? Infinity : performance.now() + ns / 1e6;
    while (cq.ready < waitNr) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.engine.poll(0);
        break;
      }
      // epoll_wait counts milliseconds: round up, so a wait never ends early.
      const n = this.engine.poll(left === Infinity ? -1 : Math.ceil(left));
      // A signal (n 0 before the deadline): return, as io_uring_enter does on EINTR.
      if (n === 0 && performance.now() < deadline && cq.ready < waitNr) break;
    }
    return cq.ready;
  }

  /** Handles what is ready (epoll events, due timers, finished pool calls) without waiting. Returns CQEs ready. */
  getEvents(): number {
    if (this.closed) this.throwClosed("get events");
    this.engine.poll(0);
    return this.engine.cq.ready;
  }

  /** Nothing to wait for: the SQ never fills behind the caller's back. */
  sqWait(): void {}

  /** Refused: there is no io_uring_enter. */
  enter(toSubmit: number, minComplete: number, flags: number): number {
    void toSubmit, minComplete, flags;
    refuse("enter", `io_uring_enter(2) ${NEEDS}`);
  }

  // ---- Completion ------------------------------------------------------------------------------------------

  /** CQEs ready to be read. */
  cqReady(): number {
    if (this.closed) this.throwClosed("read the CQ");
    return this.engine.cq.ready;
  }

  /**
   * Whether completions may be waiting in epoll (or a finished timer or pool call) while the CQ is empty: looks
   * (one epoll_wait that does not wait) when anything is in flight, and says whether that posted CQEs. The
   * kernel's answer is two loads; this one is a system call, which a loop still prefers to a wake-up round trip.
   */
  cqNeedsFlush(): boolean {
    if (this.closed) this.throwClosed("read the ring's flags");
    if (!this.engine.waiting) return false;
    this.engine.poll(0);
    return this.engine.cq.ready > 0;
  }

  /** Nothing to do: an epoll ring has no eventfd registered (its epoll descriptor wakes a waiter). */
  setEventfdEnabled(enabled: boolean): void {
    void enabled;
  }

  /** Always 0: the CQ grows instead of overflowing. */
  cqOverflowCount(): number {
    return 0;
  }

  /** Calls `visit` for each ready CQE, up to `max`, and releases them. No system call. */
  forEachCqe(visit: CqeVisitor, max = 0xffffffff): number {
    if (this.closed) this.throwClosed("reap CQEs");
    return this.engine.cq.forEach(visit, max);
  }

  /** Copies up to `batch.capacity` ready CQEs into `batch` and releases them. */
  copyCqes(batch: CqeBatch): number {
    batch.count = 0;
    return this.forEachCqe(batch.push, batch.capacity);
  }

  /** Handles what is ready without waiting, then visits every ready CQE. Returns the number visited. */
  drain(visit: CqeVisitor): number {
    if (this.closed) this.throwClosed("reap CQEs");
    if (this.engine.waiting) this.engine.poll(0);
    let total = 0;
    // Visiting may submit (a loop's cancel of a chain member): deliver what that completed too.
    for (let n = this.engine.cq.forEach(visit, 0xffffffff); n > 0; n = this.engine.cq.forEach(visit, 0xffffffff)) {
      total += n;
    }
    return total;
  }

  // ---- The loop's extras -----------------------------------------------------------------------------------

  /** Makes {@link epollFd} readable from any thread's point of view: ends a wait on it (a loop closing). */
  wake(): void {
    if (!this.closed) this.engine.wake();
  }

  /** The note of a request completed with -EOPNOTSUPP because it needs io_uring (read once), or undefined. */
  takeRefusal(userData: number): string | undefined {
    return this.engine.takeRefusal(userData);
  }

  // ---- Registration ----------------------------------------------------------------------------------------

  /**
   * `io_uring_register(2)` as far as this backend has it: IORING_REGISTER_PBUF_RING (a buffer ring of caller
   * memory, with or without IOU_PBUF_RING_INC), IORING_UNREGISTER_PBUF_RING and IORING_REGISTER_PBUF_STATUS, with the
   * kernel's results (-EEXIST, -ENOENT, -EINVAL). Every other opcode throws: it needs the io_uring backend.
   */
  register(opcode: number, arg: ArrayBufferView | null, nrArgs: number): number {
    if (this.closed) this.throwClosed("register");
    const groups = this.engine.groups;
    const bytes = arg === null ? null : new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
    switch (opcode) {
      case IORING_REGISTER_PBUF_RING: {
        if (bytes === null || nrArgs !== 1 || bytes.byteLength < io_uring_buf_reg.SIZE) return -EINVAL;
        const addr = bytes.getUint32(io_uring_buf_reg.ring_addr, true) +
          bytes.getUint32(io_uring_buf_reg.ring_addr + 4, true) * TWO_32;
        const entries = bytes.getUint32(io_uring_buf_reg.ring_entries, true);
        const bgid = bytes.getUint16(io_uring_buf_reg.bgid, true);
        const flags = bytes.getUint16(io_uring_buf_reg.flags, true);
        // The kernel maps an IOU_PBUF_RING_MMAP ring from the ring's fd; there is none here.
        if (flags & IOU_PBUF_RING_MMAP) refuse("register a buffer ring", `IOU_PBUF_RING_MMAP ${NEEDS}`);
        if (flags & ~IOU_PBUF_RING_INC || addr === 0 || entries === 0 || entries > 32768 || entries & (entries - 1)) {
          return -EINVAL;
        }
        if (groups.get(bgid) !== undefined) return -EEXIST;
        groups.set(new RingGroup(bgid, entries, (flags & IOU_PBUF_RING_INC) !== 0, addr));
        return 0;
      }
      case IORING_UNREGISTER_PBUF_RING: {
        if (bytes === null || nrArgs !== 1) return -EINVAL;
        const bgid = bytes.getUint16(io_uring_buf_reg.bgid, true);
        const g = groups.get(bgid);
        if (g === undefined) return -ENOENT;
        if (g instanceof ListGroup) return -EINVAL;
        groups.delete(bgid);
        return 0;
      }
      case IORING_REGISTER_PBUF_STATUS: {
        if (bytes === null || nrArgs !== 1) return -EINVAL;
        const g = groups.get(bytes.getUint32(io_uring_buf_status.buf_group, true));
        if (g === undefined) return -ENOENT;
        if (!(g instanceof RingGroup)) return -EINVAL;
        bytes.setUint32(io_uring_buf_status.head, g.head, true);
        return 0;
      }
    }
    const name = REGISTER_OPCODES[opcode]?.name ?? `io_uring_register opcode ${opcode}`;
    throw new UringError(`use ${name}`, EOPNOTSUPP, NEEDS);
  }

  /** `register()` that throws a {@link UringError} named after `what` on failure. */
  registerOrThrow(opcode: number, arg: ArrayBufferView | null, nrArgs: number, what: string): number {
    const r = this.register(opcode, arg, nrArgs);
    if (r < 0) throw new UringError(what, -r);
    return r;
  }

  /** Refused: there is no ring fd. */
  registerRingFd(): number {
    refuse("register the ring fd", `a registered ring fd ${NEEDS}`);
  }

  /** Nothing to undo. */
  unregisterRingFd(): void {}

  /** Refused: an epoll ring is never disabled. */
  enable(): void {
    refuse("enable the ring", `IORING_SETUP_R_DISABLED ${NEEDS}`);
  }

  /** Refused: registered wait arguments need io_uring. */
  registerWaitRegion(slots: number): void {
    void slots;
    refuse("register a wait region", `IORING_REGISTER_MEM_REGION ${NEEDS}`);
  }

  /** Refused: registered wait arguments need io_uring. */
  setWaitSlot(slot: number, wait: { timeoutNs?: number | undefined; minWaitUsec?: number | undefined }): void {
    void slot, wait;
    refuse("set a registered wait argument", `registered wait arguments ${NEEDS}`);
  }

  /** Refused: the CQ grows by itself and the SQ size is fixed. */
  resize(sqEntries: number, options?: { cqEntries?: number; clamp?: boolean }): void {
    void sqEntries, options;
    refuse("resize the rings", `IORING_REGISTER_RESIZE_RINGS ${NEEDS}`);
  }

  // ---- Teardown --------------------------------------------------------------------------------------------

  /**
   * Closes the ring: requests still in flight are dropped without CQEs (as the kernel drops a closed ring's), the
   * epoll, timer and wake-up descriptors are closed (the wake-up eventfd only once no pool thread still works for
   * this ring). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.engine.close();
    for (const hook of this.closeHooks.splice(0)) hook();
  }

  /** Runs `hook` once the ring is closed (at once if it already is). */
  onClose(hook: () => void): void {
    if (this.closed) hook();
    else this.closeHooks.push(hook);
  }

  private throwClosed(what: string): never {
    throw new UringError(what, 0, "the ring is closed");
  }
}

/**
 * Whether `ring` (a Loop's `ring`, say) is the epoll backend's rather than a kernel ring.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * const loop = new Loop();
 * console.log(isEpollRing(loop.ring) ? "epoll" : "io_uring");
 * await loop.close();
 * ```
 */
export function isEpollRing(ring: unknown): ring is EpollRing {
  return ring instanceof EpollRing;
}
