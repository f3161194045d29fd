/**
 * The scheduler: turns completions into promises and stream values.
 *
 * Every in-flight request is an {@link Operation} in a slot; its user_data is the slot index plus a generation, so
 * a late CQE for a reused slot is recognised and dropped. A full SQ queues operations in a FIFO that is drained in
 * order as space frees up; CQ overflow is drained through GETEVENTS; every submitted operation completes exactly
 * once. CQEs only settle promises and queue stream values: user code never runs inside reaping.
 *
 * Two ways to run:
 * - **integrated** (the default): the ring signals an eventfd that the runtime's event loop waits on, so timers,
 *   fetch and the runtime's own sockets keep working while operations are pending. SQEs written during a turn of
 *   the event loop are submitted together at its end (one `io_uring_enter` per batch). While completions keep
 *   coming the loop looks at the rings again after each turn of the runtime's loop (no wake-up to pay); after an
 *   empty look it sleeps on the eventfd, using no CPU.
 * - **owning**: `loop.run(main)` blocks in `io_uring_enter` while operations are in flight (SINGLE_ISSUER and
 *   DEFER_TASKRUN where the kernel has them): the fastest path, for programs whose I/O all goes through the ring.
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp } from "ringside-uring/loop";
 * import { prepNop } from "ringside-uring/prep";
 *
 * const loop = new Loop();
 * const res = await loop.submit(new PromiseOp("nop", (sqe) => prepNop(sqe))).promise;
 * console.log(res); // 0
 * await loop.close();
 * ```
 *
 * @module
 */
import process from "node:process";
import { backend, libc } from "../../ffi/mod.ts";
import { type Chunk, NativeArena } from "./_arena.ts";
import { refuse, UringError } from "../core/errors.ts";
import { domError, Operation, OpState } from "./operation.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { prepNop } from "../prep/nop.ts";
import { setImmediate } from "node:timers";
import { Ring, type RingOptions } from "../ring/ring.ts";
import { type Sqe, sqeAddFlags, sqeSetData } from "../ring/sqe.ts";
import { B_FLAGS, H_BUF_INDEX } from "../prep/base.ts";
import { writeTimespecNs } from "../abi/timespec.ts";
import { prepCancel64 } from "../prep/cancel.ts";
import { prepLinkTimeout } from "../prep/timeout.ts";
import { registerEventfd } from "../ring/eventfd.ts";
import {
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_CQE_F_MORE,
  IORING_FEAT_NODROP,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQPOLL,
  IORING_SETUP_TASKRUN_FLAG,
  IOSQE_BUFFER_SELECT,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_IO_LINK,
  io_uring_sqe,
} from "../abi/uapi.ts";
import { setupFlagSupported } from "../ring/probe.ts";
import { Inbox } from "./inbox.ts";
import { EpollRing } from "../epoll/epoll_ring.ts";
import { lastingSetupFailure, wantedBackend, warnFallback } from "./_backend.ts";
import { EOPNOTSUPP } from "../abi/errno.ts";
import { markLoopRing, MESSAGE_BASE, OPERATION_USER_DATA_MIN } from "../ring/_loop_user_data.ts";

/** The byte of an SQE that holds its opcode. */
const SQE_OPCODE = io_uring_sqe.opcode;

/**
 * user_data = generation * SLOTS + slot: 2^24 slots, the generation in 28 more bits, so operations stay below
 * 2^52 and the values above are free for messages from other rings (inbox.ts).
 */
const SLOTS = OPERATION_USER_DATA_MIN; // 2^24: with generations from 1, operations start at 2^24 (inbox.ts)
const GEN_LIMIT = 2 ** 28;
/**
 * The `operation` of the error an operation gets when a closing loop gives up on it: the kernel may still run it
 * (a close among them), so its effects are unknown.
 */
export const LEAKED_OPERATION = "finish the operation";

/** user_data of requests whose completions nobody waits for (cancel requests, linked timeouts). */
const IGNORED_USER_DATA = 2 ** 53 - 1;

const EFD_CLOEXEC = 0x80000;
/** How often owning mode gives the runtime's event loop a full turn (timers, signal listeners, other I/O). */
const FULL_TURN_MS = 100; // a timer turn costs the runtimes' 1-2 ms clamp: at 10 ms owning mode idled 10-20%
/**
 * Owning mode's kernel waits end after FULL_TURN_MS even when nothing completes, so the runtime's timers and signal
 * listeners get their turn while operations sit in the kernel (an idle accept, a recv with no traffic): unbounded,
 * such a wait would keep a `setTimeout` from ever firing. The bound rides on the enter (EXT_ARG, Linux 5.11); before
 * that the ring adds a TIMEOUT SQE to each such wait and hides its CQE (Ring.submitAndWait), as liburing does.
 */
const TURN_WAIT = { timeoutNs: FULL_TURN_MS * 1e6 };
/** How long close() waits for cancelled operations per round before it lets the runtime run. */
const CLOSE_WAIT = { timeoutNs: 10_000_000 };
/**
 * Owning mode after callback-level completions only (see run()): how long it may go without a macrotask, and the
 * bound of its kernel waits meanwhile, so that a timer, or a promise chain deeper than the hops, waits about this
 * long at most.
 */
const QUIET_SPAN_MS = 1;
const QUIET_WAIT = { timeoutNs: QUIET_SPAN_MS * 1e6 };
/**
 * When a short wait ran out and the macrotask after it submitted something, a promise chain was waiting on it
 * (deeper than the hops): the quiet path is then left alone this long, so such a program pays the 1 ms once a
 * second, not once a request.
 */
const QUIET_BACKOFF_MS = 1000;
/** Owning mode: microtask hops in a row with nothing submitted that count as quiet, and the most it yields. */
const QUIET_HOPS = 3;
const QUIET_HOPS_MAX = 32;

/** How a {@link Loop} is set up. */
export interface LoopOptions {
  /**
   * SQ size (default 256, at least 2: an operation with a timeout takes two SQEs). The CQ is four times as large,
   * so bursts of completions rarely overflow.
   */
  entries?: number | undefined;
  /** `"integrated"` (default) shares the runtime's event loop; `"owning"` blocks in the kernel inside `run()`. */
  mode?: "integrated" | "owning" | undefined;
  /**
   * Keep the calling code's stack in the errors of rejected operations (captured as each starts: a few
   * microseconds each, so off by default; the environment variable RINGSIDE_CALLER_STACKS=1 turns it on too).
   */
  callerStacks?: boolean | undefined;
  /** Extra ring options; `flags` are added to those the mode chooses (not IORING_SETUP_SQPOLL: refused). */
  ring?: RingOptions | undefined;
  /**
   * What the loop runs on (default: the environment variable RINGSIDE_BACKEND, else `"auto"`): `"io_uring"`;
   * `"epoll"`, io_uring's contract carried out with epoll, non-blocking system calls and a thread pool for file
   * operations (what only io_uring can do is refused: registered files and buffers, uring_cmd, MSG_RING, zero-copy
   * send); or `"auto"`, io_uring unless it is refused for good here (a seccomp filter, the io_uring_disabled
   * sysctl, a kernel without it or too old), then epoll, said once per process on stderr. {@link Loop.backend}
   * says which it got.
   */
  backend?: "io_uring" | "epoll" | "auto" | undefined;
}

/** Counters that prove nothing is lost: every started operation is eventually completed or dropped once. */
export interface LoopStats {
  /** Operations handed to `submit()`. */
  started: number;
  /** Final completions delivered (including errors). */
  completed: number;
  /** Operations that never reached the kernel (aborted while queued, loop closed). */
  dropped: number;
  /** CQEs that matched no live slot: a late CQE for a reused slot. */
  stale: number;
  /** CQEs of internal requests nobody waits for (cancels, linked timeouts). */
  ignored: number;
  /** Times an operation waited in the FIFO because the SQ was full. */
  queuedForSpace: number;
  /** Operations in flight now. */
  inFlight: number;
}

/**
 * The scheduler over one ring. Single-threaded: a Loop belongs to the thread (or Worker) that made it.
 */
export class Loop {
  /**
   * The ring this loop drives. On the epoll backend an {@link EpollRing}, which has every member of Ring's surface
   * (it is typed as a Ring so that code given `loop.ring` works with either); what needs the kernel's io_uring
   * (registering files or buffers, for instance) throws a {@link UringError} saying so.
   */
  readonly ring: Ring;
  /** What the loop runs on: `"io_uring"`, or `"epoll"` (chosen, or fallen back to: see {@link LoopOptions.backend}). */
  readonly backend: "io_uring" | "epoll";
  /** Native chunks for what operations point the kernel at (timespecs, sockaddrs, paths). */
  readonly arena: NativeArena;
  /** How the loop runs. */
  readonly mode: "integrated" | "owning";
  /** Whether rejected operations' errors carry the stack of the code that started them ({@link LoopOptions}). */
  readonly callerStacks: boolean;
  /**
   * Messages other rings post to this one with MSG_RING (user_data from `messageUserData(tag)`), as an async
   * iterator. The loop stays awake for them while someone waits.
   */
  readonly inbox: Inbox = new Inbox(() => this.arm());

  private readonly ops: (Operation | undefined)[] = [];
  private readonly gens: number[] = [];
  private readonly freeSlots: number[] = [];
  private head: Operation | null = null;
  private tail: Operation | null = null;
  private inflight = 0;
  private flushScheduled = false;
  private pollScheduled = false;
  private closing = false;
  private closedFlag = false;
  private closed_: Promise<void> | undefined;
  private leaked_ = 0;
  // Streams waiting, with no request in flight, for something only their loop's close can end (buffers).
  private readonly parked = new Set<{ loopClosing(): void }>();
  // BUFFER_SELECT requests in flight per buffer group, and what waits for a group to have none (whenGroupIdle).
  private readonly groupUsers = new Map<number, number>();
  private readonly groupIdle = new Map<number, (() => void)[]>();
  private running = false;
  private readonly eventfd: number = -1;
  /** The ring as what it is on the epoll backend, else null. */
  private readonly epoll: EpollRing | null = null;
  private waiting: Promise<void> | null = null;
  private readonly stats_ = { started: 0, completed: 0, dropped: 0, stale: 0, ignored: 0, queuedForSpace: 0 };
  // Owning mode: completions (and noteContinuations calls) that may have queued promise continuations, and the
  // count when run() last yielded microtask hops for them.
  private continuations = 0;
  private continuationsSeen = -1;
  // The count after run()'s last macrotask: unchanged since, only callback-level code ran.
  private continuationsAtMacrotask = -1;
  private readonly visit = (ud: number, res: number, flags: number, word: number) =>
    this.dispatch(ud, res, flags, word);
  // What completions asked to run once the reap delivering them is over (runAfterReap), and whether one is running.
  private readonly afterReapTasks: AfterReapTask[] = [];
  private reaping = false;
  private afterReapRunning = false;
  private afterReapQueued = false;
  private readonly flushTask = () => {
    this.flushScheduled = false;
    if (!this.closedFlag) this.flush();
  };

  /**
   * Sets up a ring for the loop. Owning mode adds SINGLE_ISSUER and DEFER_TASKRUN where the kernel has them;
   * integrated mode registers an eventfd for wake-ups (on the epoll backend it waits on the epoll descriptor).
   */
  constructor(options: LoopOptions = {}) {
    this.mode = options.mode ?? "integrated";
    this.callerStacks = options.callerStacks ?? process.env.RINGSIDE_CALLER_STACKS === "1";
    if (this.mode !== "integrated" && this.mode !== "owning") {
      refuse("make a loop", `mode must be "integrated" or "owning", got ${JSON.stringify(this.mode)}`);
    }
    const entries = options.entries ?? 256;
    if (typeof entries === "number" && entries < 2) {
      // An operation with a timeout takes two SQEs (itself and its linked timeout): with one it could never go in.
      refuse("make a loop", `entries must be at least 2, got ${entries}`);
    }
    const flags = options.ring?.flags ?? 0;
    if (flags & IORING_SETUP_SQPOLL) {
      // The loop submits, reaps and queues for SQ space on its own thread; with a kernel thread consuming the SQ
      // behind its back its queue would not drain, and both modes' task-work flags exclude SQPOLL.
      refuse("make a loop", "a Loop does not run on an IORING_SETUP_SQPOLL ring (use a Ring for SQPOLL)");
    }
    const cqEntries = options.ring?.cqEntries ?? Math.min(entries * 4, 65536);
    const wanted = wantedBackend(options.backend);
    let ring: Ring | undefined;
    let fallback: string | undefined;
    if (wanted !== "epoll") {
      try {
        ring = Loop.ioUringRing(this.mode, entries, cqEntries, flags, options.ring);
      } catch (e) {
        fallback = wanted === "auto" ? lastingSetupFailure(e) : undefined;
        if (fallback === undefined) throw e;
      }
      if (ring !== undefined && !(ring.features & IORING_FEAT_NODROP)) {
        // Without NODROP a full CQ drops completions, and exactly-once cannot be kept.
        ring.close();
        ring = undefined;
        fallback = "this kernel lacks IORING_FEAT_NODROP (Linux 5.5): completions could be lost";
        if (wanted !== "auto") refuse("make a loop", fallback);
      }
    }
    if (ring === undefined) {
      this.epoll = new EpollRing(entries, { ...options.ring, flags, cqEntries });
      // The epoll ring has every member of Ring's surface (RingApi): what Loop and the layers above use of it.
      ring = this.epoll as unknown as Ring;
      if (fallback !== undefined) warnFallback(fallback);
    }
    this.ring = ring;
    this.backend = this.epoll ? "epoll" : "io_uring";
    markLoopRing(this.ring);
    this.arena = new NativeArena();
    // The first wake-up wait of an integrated epoll loop should not wait for its thread to start (Bun).
    if (this.mode === "integrated" && this.epoll) backend.prepareWaitReadable();
    if (this.mode === "integrated" && !this.epoll) {
      this.eventfd = libc().eventfd(0, EFD_CLOEXEC);
      if (this.eventfd < 0) throw new UringError("create an eventfd", libc().errno());
      registerEventfd(this.ring, this.eventfd);
    }
  }

  /** The io_uring ring of a loop in `mode`, with the task-work flags the kernel has for it. */
  private static ioUringRing(
    mode: "integrated" | "owning", entries: number, cqEntries: number, flags: number, options: RingOptions | undefined,
  ): Ring {
    if (mode === "owning") {
      const fast = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
      if (setupFlagSupported(fast)) flags |= fast;
    } else {
      // Without COOP_TASKRUN the kernel interrupts this thread for task work (multishot recv completions) even
      // while it runs JavaScript: about one interrupt per three echoed messages, doubling system time. It runs at
      // the next kernel entry instead; a sleeping thread is still woken. Linux 5.19.
      const coop = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
      if (setupFlagSupported(coop)) flags |= coop;
    }
    return new Ring(entries, { ...options, flags, cqEntries });
  }

  /** Counters of started, completed and dropped operations. */
  get stats(): LoopStats {
    return { ...this.stats_, inFlight: this.inflight };
  }

  /** Whether `close()` has finished. */
  get isClosed(): boolean {
    return this.closedFlag;
  }

  /**
   * Operations `close()` gave up on: the kernel had not completed them within the grace period, so their memory,
   * and memory they may draw on (provided buffers), is kept for good.
   */
  get leakedOperations(): number {
    return this.leaked_;
  }

  /**
   * @internal Runs `fn` once no request that selects buffers from `group` (IOSQE_BUFFER_SELECT) is in flight: at
   * once if none is, else after the last one's final CQE. Never, for requests the loop gave up on at close.
   */
  whenGroupIdle(group: number, fn: () => void): void {
    if (!this.groupUsers.get(group)) return fn();
    const list = this.groupIdle.get(group);
    if (list) list.push(fn);
    else this.groupIdle.set(group, [fn]);
  }

  private groupUserDone(group: number): void {
    const n = this.groupUsers.get(group)! - 1;
    if (n > 0) {
      this.groupUsers.set(group, n);
      return;
    }
    this.groupUsers.delete(group);
    const waiting = this.groupIdle.get(group);
    if (!waiting) return;
    this.groupIdle.delete(group);
    for (const fn of waiting) fn();
  }

  /** @internal A stream waits for buffers with no request in flight: `close()` ends it (see closeOnce). */
  park(stream: { loopClosing(): void }): void {
    if (this.closing) stream.loopClosing();
    else this.parked.add(stream);
  }

  /** @internal It armed again (or ended). */
  unpark(stream: { loopClosing(): void }): void {
    this.parked.delete(stream);
  }

  /** Whether `close()` has begun (or finished): nothing more can be submitted. */
  get isClosing(): boolean {
    return this.closing;
  }

  // ---- Submission ------------------------------------------------------------------------------------------

  /**
   * Starts an operation: writes its SQE now when the SQ has room, or queues it in order until it does. Returns the
   * operation (for chaining `.promise`). In integrated mode the SQEs of one event-loop turn are submitted together
   * in a microtask; in owning mode `run()` submits them.
   */
  submit<T extends Operation>(op: T): T {
    if (this.closing) refuse("submit an operation", "the loop is closed");
    if (op.state !== OpState.Idle) refuse("submit an operation", "it was already submitted");
    if (op.sqeCount !== 1) {
      // A chain is placed whole or not at all: it must fit the SQ, and a linked timeout would sit inside it.
      if (!Number.isInteger(op.sqeCount) || op.sqeCount < 1 || op.sqeCount > this.ring.sqEntries) {
        refuse("submit an operation", `a chain of ${op.sqeCount} SQEs does not fit an SQ of ${this.ring.sqEntries}`);
      }
      if (op.timeoutNs) refuse("submit an operation", "a chain of SQEs takes no per-operation timeout");
      // Its memory is released at the last CQE it counts: counting fewer than its members post would free memory
      // a later member still uses.
      if (!Number.isInteger(op.cqesLeft) || op.cqesLeft < 1 || op.cqesLeft > op.sqeCount) {
        refuse("submit an operation", `a chain of ${op.sqeCount} SQEs cannot end after ${op.cqesLeft} CQEs`);
      }
    }
    this.stats_.started++;
    if (this.head !== null || !this.place(op)) this.enqueue(op);
    this.scheduleFlush();
    return op;
  }

  /**
   * Cancels an operation: a queued one is dropped with an AbortError; an in-flight one gets an ASYNC_CANCEL and
   * completes with -ECANCELED (reported as an AbortError), or with its result if it finished first.
   */
  cancel(op: Operation): void {
    op.cancelRequested = true;
    if (op.state === OpState.Queued) {
      this.unqueue(op);
      this.stats_.dropped++;
      op.finish(this);
      op.drop(domError("AbortError", "The operation was aborted before it was submitted"));
    } else if (op.state === OpState.InFlight && !this.closing) {
      // (While closing, close() has cancelled everything in flight already.)
      this.submitInternal((sqe) => prepCancel64(sqe, op.userData, 0));
    }
  }

  /**
   * Writes an internal request whose completion nobody waits for (a cancel, say), skipping the SQ-full FIFO only
   * when there is room; otherwise it waits its turn like any operation.
   */
  private submitInternal(prep: (sqe: Sqe) => void): void {
    const sqe = this.ring.getSqe() ?? (this.ring.submit(), this.ring.getSqe());
    if (sqe) {
      prep(sqe);
      sqeSetData(sqe, IGNORED_USER_DATA);
      this.scheduleFlush();
      return;
    }
    this.submit(new InternalOp(prep));
  }

  /** Writes `op`'s SQE(s) if there is room; false when the SQ is full. */
  private place(op: Operation): boolean {
    const need = op.timeoutNs ? 2 : op.sqeCount;
    if (this.ring.sqSpaceLeft() < need) {
      // Publish what is written so far; the kernel consumes it and frees slots (not under SQPOLL, which consumes
      // on its own).
      this.ring.submit();
      if (this.ring.sqSpaceLeft() < need) return false;
    }
    const sqe = this.ring.getSqe()!;
    const slot = this.allocSlot(op);
    let ts: Chunk | null = null;
    try {
      // The linked timeout's timespec first: should it fail (no memory, a time no timespec holds), the operation's
      // SQE is not written yet (written with IOSQE_IO_LINK, it would link whatever SQE came next to it).
      if (op.timeoutNs) {
        ts = op.chunk(this, 16);
        writeTimespecNs(ts.view, 0, op.timeoutNs);
      }
      op.prep(sqe, this);
      if (op.sqeCount > 1) this.placeLinked(op);
    } catch (e) {
      // The SQE is already taken from the ring: turn it into an ignored NOP and fail the operation instead.
      prepNop(sqe);
      sqeSetData(sqe, IGNORED_USER_DATA);
      // A chain's other SQEs too (the tail is not published yet, so the kernel has seen none of them; prepNop
      // clears their link flags).
      for (const s of this.chainSqes) {
        prepNop(s);
        sqeSetData(s, IGNORED_USER_DATA);
      }
      this.chainSqes.length = 0;
      this.releaseSlot(slot);
      this.stats_.dropped++;
      this.continuations++; // drop() may reject a promise
      op.finish(this);
      op.drop(e instanceof Error ? e : new Error(String(e)));
      return true;
    }
    sqeSetData(sqe, op.userData);
    op.opcode = sqe.u8[SQE_OPCODE]!; // for the error of an -EINVAL (operation.ts cqeError)
    op.bufferGroup = -1;
    if (sqe.u8[B_FLAGS]! & IOSQE_BUFFER_SELECT) {
      // It may pick a provided buffer of this group and still fill it after the buffers were removed from the group
      // (a blocking read in io-wq): memory given with provideBuffers is let go only when no such request is left.
      const g = sqe.u16[H_BUF_INDEX]!; // buf_group
      op.bufferGroup = g;
      this.groupUsers.set(g, (this.groupUsers.get(g) ?? 0) + 1);
    }
    if (ts !== null) {
      // A linked timeout: if `op` is still running after timeoutNs, the kernel cancels it (-ECANCELED) and the
      // timeout completes with -ETIME. Its timespec lives in an arena chunk until `op` finishes.
      sqeAddFlags(sqe, IOSQE_IO_LINK);
      const t = this.ring.getSqe()!;
      prepLinkTimeout(t, ts.address, 0);
      // A timeout that fires reports -ETIME; one beaten by its operation reports -ECANCELED: neither is wanted.
      sqeSetData(t, IGNORED_USER_DATA);
    }
    op.state = OpState.InFlight;
    this.inflight++;
    return true;
  }

  /** The SQEs of the chain being written, so that a failing prep can turn them all into NOPs. */
  private readonly chainSqes: Sqe[] = [];

  /** Writes SQEs 1 to sqeCount - 1 of a chain, each with the operation's user_data. */
  private placeLinked(op: Operation): void {
    this.chainSqes.length = 0;
    for (let i = 1; i < op.sqeCount; i++) {
      const s = this.ring.getSqe()!; // place() made sure of the room
      this.chainSqes.push(s);
      op.prepLinked(i, s, this);
      sqeSetData(s, op.userData);
    }
    this.chainSqes.length = 0;
  }

  private allocSlot(op: Operation): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.ops.length;
      if (slot >= SLOTS) refuse("submit an operation", `more than ${SLOTS} operations in flight`);
      this.ops.push(undefined);
      this.gens.push(1);
    }
    this.ops[slot] = op;
    op.slot = slot;
    op.userData = this.gens[slot]! * SLOTS + slot; // gens has an entry for every slot
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.ops[slot] = undefined;
    const g = this.gens[slot]! + 1;
    this.gens[slot] = g >= GEN_LIMIT ? 1 : g;
    this.freeSlots.push(slot);
  }

  private enqueue(op: Operation): void {
    op.state = OpState.Queued;
    op.next = null;
    if (this.tail) this.tail.next = op;
    else this.head = op;
    this.tail = op;
    this.stats_.queuedForSpace++;
  }

  private unqueue(op: Operation): void {
    let prev: Operation | null = null;
    for (let cur = this.head; cur; prev = cur, cur = cur.next) {
      if (cur !== op) continue;
      if (prev) prev.next = cur.next;
      else this.head = cur.next;
      if (this.tail === cur) this.tail = prev;
      cur.next = null;
      return;
    }
  }

  /** Moves queued operations into the SQ, in order, while there is room. */
  private drainQueue(): void {
    while (this.head) {
      const op = this.head;
      if (!this.place(op)) return;
      this.head = op.next;
      if (!this.head) this.tail = null;
      op.next = null;
    }
  }

  private scheduleFlush(): void {
    if (this.mode === "owning" || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushTask);
  }

  /**
   * Submits every written SQE and as much of the FIFO as fits, and (integrated mode) makes sure a wake-up is
   * armed while operations are in flight. Called for you at the end of each turn; call it to submit at once.
   */
  flush(): void {
    this.flushAfter(0);
  }

  /** flush(), knowing that `reaped` completions were delivered just before (a busy wake-up). */
  private flushAfter(reaped: number): void {
    if (this.closedFlag) return;
    const integrated = this.mode === "integrated";
    // While awake we reap by ourselves: completions posted meanwhile (inline ones, and task work run as the enter
    // returns) need not signal the eventfd and wake its reader thread for nothing.
    if (integrated) this.ring.setEventfdEnabled(false);
    this.drainQueue();
    this.ring.submit();
    // Many requests complete inline during the submit (NOPs, page-cache reads, sends with room): deliver those
    // now rather than after an eventfd round trip.
    if (this.completionsWaiting()) reaped += this.reap();
    if (this.head) {
      // Still queued: the kernel refused more (EBUSY/EAGAIN) or the queue outgrew the SQ. Reap to make room.
      reaped += this.reap();
      this.drainQueue();
      this.ring.submit();
    }
    if (!integrated || this.pollScheduled) return; // a scheduled look decides whether to sleep
    if (this.ring.sqPending() > 0) {
      // The kernel refused to take SQEs now (EAGAIN/EBUSY: no memory for requests, or a CQ overflow to flush):
      // nothing would signal the eventfd for them, so look again after the runtime's next turn and submit again.
      this.schedulePoll();
      return;
    }
    if (reaped > 0 && this.inflight > 0) {
      // Busy: completions keep coming, so look again after the runtime's next turn (its timers and I/O run first)
      // instead of sleeping on the eventfd, whose wake-up costs a thread hop per turn.
      this.schedulePoll();
      return;
    }
    this.sleepOnEventfd();
  }

  /** Notifications back on, one more look (a CQE posted while they were off is ours), then the eventfd wait. */
  private sleepOnEventfd(): void {
    this.ring.setEventfdEnabled(true);
    if (this.completionsWaiting()) this.reap();
    this.arm();
  }

  /** CQEs to reap, or CQEs and task work the kernel holds until we enter: two loads, no system call. */
  private completionsWaiting(): boolean {
    return this.ring.cqReady() > 0 || this.ring.cqNeedsFlush();
  }

  private schedulePoll(): void {
    if (this.pollScheduled) return;
    this.pollScheduled = true;
    setImmediate(this.pollTask);
  }

  // Integrated mode while busy: a look at the rings after a turn of the runtime's loop, no system call unless
  // there is something to reap or submit. An empty look puts the loop to sleep on the eventfd.
  private readonly pollTask = () => {
    this.pollScheduled = false;
    if (this.closedFlag) return;
    if (this.completionsWaiting() || this.head !== null || this.ring.sqPending() > 0) {
      this.flush();
    } else {
      this.sleepOnEventfd();
    }
  };

  // ---- Completion ------------------------------------------------------------------------------------------

  /**
   * Reaps every ready CQE (including those held back on overflow) and delivers them. Returns how many were
   * reaped. Called for you on wake-ups; safe to call any time.
   */
  reap(): number {
    if (this.closedFlag) return 0;
    const n = this.drainRing();
    if (this.head) this.drainQueue();
    return n;
  }

  /**
   * Runs `task.afterReap()` once the reap in progress has delivered all its CQEs, before the loop submits or
   * waits again: how callback-level code (uring/server's connection core) runs handlers in the same turn as their
   * completions without running them inside the reap, where nothing may submit or reap. Called from an
   * operation's `complete()`; called at any other time, the task runs in a microtask. A task queued twice runs
   * twice: the caller keeps a flag. Errors thrown by a task are reported as uncaught, as a completion's are.
   *
   * @param task What to run.
   *
   * @example
   * ```ts
   * import { Operation } from "ringside-uring/loop";
   * import { prepNop } from "ringside-uring/prep";
   *
   * const loop = new Loop();
   * class Nop extends Operation {
   *   prep(sqe: Parameters<Operation["prep"]>[0]) { prepNop(sqe); }
   *   complete() { loop.runAfterReap(this); } // no user code here
   *   drop() {}
   *   afterReap() { console.log("completed; may submit again"); }
   * }
   * loop.submit(new Nop());
   * ```
   */
  runAfterReap(task: AfterReapTask): void {
    this.afterReapTasks.push(task);
    if (this.reaping || this.afterReapRunning || this.afterReapQueued) return;
    this.afterReapQueued = true;
    queueMicrotask(this.afterReapLater);
  }

  private readonly afterReapLater = () => {
    this.afterReapQueued = false;
    this.runAfterReapTasks();
  };

  /**
   * @internal Says that callback-level code (an operation with `wakesContinuations` false, or a runAfterReap
   * task) settled a promise: owning mode then lets its continuations run, and submit, before its next enter.
   */
  noteContinuations(): void {
    this.continuations++;
  }

  /** Delivers every ready CQE (ring.drain), then runs what the completions queued with runAfterReap. */
  private drainRing(): number {
    this.reaping = true;
    try {
      return this.ring.drain(this.visit);
    } finally {
      this.reaping = false;
      // Also when the drain threw: what was delivered before has its tasks.
      if (this.afterReapTasks.length > 0) this.runAfterReapTasks();
    }
  }

  private runAfterReapTasks(): void {
    // A task that reaps (loop.flush()) queues more tasks: this loop runs them, in order.
    if (this.afterReapRunning) return;
    this.afterReapRunning = true;
    const tasks = this.afterReapTasks;
    try {
      for (let i = 0; i < tasks.length; i++) {
        try {
          tasks[i]!.afterReap(); // i < tasks.length
        } catch (e) {
          reportLater(e);
        }
      }
    } finally {
      tasks.length = 0;
      this.afterReapRunning = false;
    }
  }

  private dispatch(ud: number, res: number, flags: number, word: number): void {
    if (ud >= MESSAGE_BASE) {
      if (ud === IGNORED_USER_DATA) {
        this.stats_.ignored++;
      } else {
        this.continuations++; // a message may settle a receiver's promise
        this.inbox.deliver(ud - MESSAGE_BASE, res, flags);
      }
      return;
    }
    const slot = ud % SLOTS;
    const op = this.ops[slot];
    if (op === undefined || op.userData !== ud) {
      this.stats_.stale++;
      return;
    }
    if (op.wakesContinuations) this.continuations++;
    let more = (flags & IORING_CQE_F_MORE) !== 0;
    if (!more && op.cqesLeft > 1) {
      // A chain whose members each post a CQE: the last one ends the operation.
      op.cqesLeft--;
      more = true;
      // A cancel finds only the member running when it arrives; the next one is issued after this CQE (task work),
      // so a chain whose cancellation was asked for is asked again, until its last member.
      if (op.cancelRequested) this.submitInternal((sqe) => prepCancel64(sqe, op.userData, 0));
    }
    if (more) {
      try {
        op.complete(res, flags, true, this, word);
      } catch (e) {
        reportLater(e);
      }
      return;
    }
    // The epoll backend's refusal of something only io_uring does: the note goes into the operation's error.
    if (res === -EOPNOTSUPP && this.epoll) op.refusal = this.epoll.takeRefusal(ud);
    this.releaseSlot(slot);
    this.inflight--;
    this.stats_.completed++;
    if (op.bufferGroup >= 0) this.groupUserDone(op.bufferGroup);
    // complete() copies bounce buffers back and settles; finish() then releases the memory the kernel used.
    try {
      op.complete(res, flags, false, this, word);
    } catch (e) {
      reportLater(e);
    } finally {
      op.finish(this);
    }
  }

  // Integrated mode: one pending eventfd wait while anything is in flight. The ring signals the eventfd when it
  // posts CQEs; the wait resolves on the JS thread, where we reap and submit again.
  private arm(): void {
    // Owning loops have no eventfd (run() waits in the kernel and looks at the inbox itself).
    if (this.mode !== "integrated") return;
    if (this.waiting || this.closedFlag || (this.inflight === 0 && !this.inbox.waiting)) return;
    // On the epoll backend the epoll descriptor is readable whenever one of its descriptors (including its timer and
    // the eventfd its pool threads write) has an event.
    const wait = this.epoll ? backend.waitReadable(this.epoll.epollFd) : backend.waitEventfd(this.eventfd);
    this.waiting = wait.then(this.onWake, this.onWakeError);
  }

  private readonly onWake = () => {
    this.waiting = null;
    if (this.closedFlag) return;
    this.ring.setEventfdEnabled(false);
    this.flushAfter(this.reap());
  };

  private readonly onWakeError = (e: unknown) => {
    this.waiting = null;
    if (!this.closedFlag) reportLater(e);
  };

  // ---- Owning mode -----------------------------------------------------------------------------------------

  /**
   * Owning mode: runs `main` and drives the ring until its promise settles, blocking in the kernel while
   * operations are in flight. A wait lasts at most 100 ms, so the runtime's timers and signal listeners run within
   * that while operations sit in the kernel.
   *
   * After delivering completions it lets their continuations run (microtask hops until one passes with nothing
   * new submitted), submits what they asked for and delivers what completed inline, without waiting; only when
   * nothing is ready does it yield a macrotask, so every continuation has surely run, and then block.
   *
   * Callback-level completions (the server core's, `serveCallbacks`) queue no continuations: after them the loop
   * yields one microtask hop instead of several, and when nothing but such completions came since its last
   * macrotask, less than 1 ms ago, it blocks after a few hops instead of a macrotask (which costs 1.5-3 us in the
   * runtimes, as much as the rest of an echo), for at most 1 ms. So timers run, and a promise chain a callback
   * starts on its own submits, within about 1 ms; chains through the loop's promise operations are not delayed.
   * When such a 1 ms wait ran out and the macrotask after it submitted something, the loop keeps to macrotasks for
   * a second: a program whose callbacks start deep chains pays that millisecond once a second, not per request.
   *
   * @example
   * ```ts
   * import { PromiseOp } from "ringside-uring/loop";
   * import { prepNop } from "ringside-uring/prep";
   *
   * const loop = new Loop({ mode: "owning" });
   * await loop.run(async () => {
   *   for (let i = 0; i < 3; i++) await loop.submit(new PromiseOp("nop", prepNop)).promise;
   * });
   * await loop.close();
   * ```
   */
  async run<T>(main: () => Promise<T>): Promise<T> {
    if (this.mode !== "owning") refuse("run the loop", "run() is for owning mode; integrated mode runs by itself");
    if (this.running) refuse("run the loop", "it is already running");
    this.running = true;
    let settled = false;
    const result = main();
    result.then(() => (settled = true), () => (settled = true));
    try {
      let turn = performance.now();
      // Whether a macrotask (or a timer turn) has passed since completions were last delivered: only then is every
      // continuation known to have run, and blocking in the kernel cannot leave a request unsubmitted. (Or, after
      // callback-level completions only, a few quiet hops did: then the wait is bounded by QUIET_SPAN_MS.)
      let settledTurn = false;
      let quietWait = false;
      let quietTimedOut = false;
      let quietOffUntil = 0;
      let lastMacrotask = turn;
      this.continuationsSeen = -1;
      this.continuationsAtMacrotask = -1;
      while (!settled && !this.closedFlag) {
        // Every FULL_TURN_MS a turn through a timer: Deno runs signal listeners (and other async ops) only in a full
        // turn of its event loop, never between setImmediate callbacks; a timer on every wait would cost the
        // runtimes' timer clamping (1-4 ms) each time.
        const now = performance.now();
        if (now - turn >= FULL_TURN_MS) {
          turn = now;
          await sleep(0);
          lastMacrotask = performance.now();
          this.continuationsAtMacrotask = this.continuations;
          quietWait = false;
          settledTurn = true;
        } else if (!settledTurn) {
          if (this.continuations !== this.continuationsSeen) {
            this.continuationsSeen = this.continuations;
            await this.quietMicrotasks();
          } else {
            // Callback-level completions only (the server core's): they queued no continuations, and their
            // handlers have run. One hop still moves every pending microtask chain a step on.
            await null;
          }
        }
        if (settled || this.closedFlag) break;
        this.drainQueue();
        if (this.inflight === 0 && !this.inbox.waiting) {
          // Nothing in the ring: `main` waits on something else (a timer, another API). Let the runtime run.
          this.ring.submit();
          this.drainRing();
          if (this.inflight === 0) await sleep(1);
          settledTurn = false;
          continue;
        }
        if (!settledTurn) {
          // Submit and collect without waiting, in one enter (GETEVENTS runs deferred task work): many requests
          // complete inline (NOPs, page-cache reads, sends with room), and others may have finished meanwhile.
          this.ring.submitAndWait(0);
          if (this.drainRing() > 0) continue;
          const t = performance.now();
          if (
            this.continuations === this.continuationsAtMacrotask && t - lastMacrotask < QUIET_SPAN_MS &&
            t >= quietOffUntil
          ) {
            // Nothing settled a promise since a recent macrotask: what callbacks queued runs in a few hops, and the
            // wait is short, for what needs more (a deeper chain, a timer).
            await this.quietMicrotasks();
            if (this.continuations !== this.continuationsAtMacrotask) continue; // noted meanwhile: the full way
            quietWait = true;
          } else {
            // Nothing ready: one macrotask lets every continuation run before the loop blocks.
            const started = this.stats_.started;
            await macrotask();
            lastMacrotask = performance.now();
            if (quietTimedOut && this.stats_.started !== started) quietOffUntil = lastMacrotask + QUIET_BACKOFF_MS;
            quietTimedOut = false;
            this.continuationsAtMacrotask = this.continuations;
            quietWait = false;
          }
          settledTurn = true;
          continue;
        }
        settledTurn = false;
        this.ring.submitAndWait(1, quietWait ? QUIET_WAIT : TURN_WAIT);
        if (this.drainRing() === 0 && quietWait) quietTimedOut = true;
      }
    } finally {
      this.running = false;
    }
    return result;
  }

  /**
   * Yields microtask hops until one passes with nothing new submitted (at most QUIET_HOPS_MAX): the continuations of
   * just-delivered completions run a few hops deep (an `await` in a `for await` body, a return through an async
   * function) and submit their next requests, which then go to the kernel in one enter.
   */
  private async quietMicrotasks(): Promise<void> {
    let started = this.stats_.started;
    let quiet = 0;
    for (let i = 0; i < QUIET_HOPS_MAX && quiet < QUIET_HOPS; i++) {
      await null;
      if (this.stats_.started === started) {
        quiet++;
      } else {
        started = this.stats_.started;
        quiet = 0;
      }
    }
  }

  // ---- Teardown --------------------------------------------------------------------------------------------

  /**
   * Closes the loop: queued operations are dropped (their promises reject), in-flight ones are cancelled and their
   * completions awaited (up to `graceMs`), then the ring and the arena are released. An operation the kernel
   * could not cancel in time keeps its memory mapped (leaked, never freed under the kernel). Every promise settles.
   */
  close(graceMs = 2000): Promise<void> {
    // A second call waits for the first to finish.
    return this.closed_ ??= this.closeOnce(graceMs);
  }

  /**
   * Closes the loop as {@link Loop.close} does: `await using loop = new Loop()` closes it at the end of the block.
   *
   * @example
   * ```ts
   * import { Loop, nop } from "ringside-uring";
   * {
   *   await using loop = new Loop();
   *   await nop(loop);
   * } // closed here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async closeOnce(graceMs: number): Promise<void> {
    this.closing = true;
    // Streams waiting for buffers have no request in flight to cancel: end them now, or their pulls would wait on.
    for (const s of this.parked) s.loopClosing();
    this.parked.clear();
    const closedError = () => new UringError("run the operation", 0, "the loop was closed");
    for (let op = this.head; op; op = op.next) {
      op.state = OpState.Idle;
      this.stats_.dropped++;
      op.finish(this);
      op.drop(closedError());
    }
    this.head = this.tail = null;
    if (this.inflight > 0) {
      for (const op of this.ops) if (op) op.cancelRequested = true;
      // One cancel for everything (IORING_ASYNC_CANCEL_ANY | ALL, Linux 5.19); before that, one per operation by
      // its user_data (5.5). If the SQ has no room yet (the kernel refused SQEs), try again each round.
      let cancelQueued = false;
      const cancelled = new Set<Operation>();
      const queueCancel = () => {
        if (this.epoll || kernelVersionAtLeast(5, 19)) {
          const sqe = this.ring.getSqe() ?? (this.ring.submit(), this.ring.getSqe());
          if (!sqe) return;
          prepCancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
          sqeSetData(sqe, IGNORED_USER_DATA);
          sqeAddFlags(sqe, IOSQE_CQE_SKIP_SUCCESS);
          cancelQueued = true;
          return;
        }
        for (const op of this.ops) {
          if (!op || cancelled.has(op)) continue;
          const sqe = this.ring.getSqe() ?? (this.ring.submit(), this.ring.getSqe());
          if (!sqe) return;
          prepCancel64(sqe, op.userData, 0);
          sqeSetData(sqe, IGNORED_USER_DATA);
          cancelled.add(op);
        }
        cancelQueued = true;
      };
      queueCancel();
      const deadline = performance.now() + graceMs;
      while (this.inflight > 0 && performance.now() < deadline) {
        if (!cancelQueued) queueCancel();
        this.ring.submitAndWait(1, CLOSE_WAIT);
        this.drainRing();
        if (this.inflight > 0) await macrotask();
      }
    }
    const leaked = this.inflight;
    for (let slot = 0; slot < this.ops.length; slot++) {
      const op = this.ops[slot];
      if (!op) continue;
      // Uncancellable: settle the promise, but keep the op's memory (its chunks stay allocated in the arena), and
      // let layers above see that the kernel may still use it (OpState.Leaked, abandon(): not Done, not drop()).
      this.ops[slot] = undefined;
      op.leak();
      op.state = OpState.Leaked;
      op.abandon(new UringError(LEAKED_OPERATION, 0, `the loop was closed before the kernel completed it`));
    }
    this.leaked_ = leaked;
    this.closedFlag = true;
    this.inbox.close();
    if (this.epoll && this.waiting) {
      // The wake-up wait is a poll of the epoll descriptor on another thread: make it readable, and close the ring
      // (the descriptor) only once the poll returned.
      const wait = this.waiting;
      this.epoll.wake();
      await wait;
    }
    this.ring.close();
    if (leaked === 0) this.arena.close();
    if (this.eventfd >= 0) {
      // A pending wake-up wait is a read() on another thread: end it with a write, and close the fd only after it
      // returned, so the read can never land on a reused descriptor number.
      const wait = this.waiting;
      if (wait) {
        const one = new Uint8Array(8);
        one[0] = 1;
        libc().write(this.eventfd, one, 8);
        await wait;
      }
      libc().close(this.eventfd);
    }
  }
}

/** What {@link Loop.runAfterReap} runs. */
export interface AfterReapTask {
  /** Runs once the reap that queued it has delivered every CQE. */
  afterReap(): void;
}

/** An internal request waiting for SQ space; its completion is ignored. */
class InternalOp extends Operation {
  private readonly fn: (sqe: Sqe) => void;
  constructor(fn: (sqe: Sqe) => void) {
    super();
    this.fn = fn;
    this.wakesContinuations = false;
  }
  prep(sqe: Sqe): void {
    this.fn(sqe);
  }
  complete(): void {}
  drop(): void {}
}

/**
 * An error thrown while a completion was delivered (a bug in a completion handler or in a layer above): it must not
 * stop the reaping of the other CQEs or leave the loop's bookkeeping half done (close() would never finish), so it
 * is rethrown on its own, as an uncaught error the runtime reports.
 */
function reportLater(e: unknown): void {
  queueMicrotask(() => {
    throw e;
  });
}

/** Resolves after the current macrotask: every queued microtask (promise continuation) has run by then. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
