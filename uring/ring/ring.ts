/**
 * An io_uring instance driven from TypeScript: set up through liburing's `io_uring_setup`, its rings mapped once
 * from the offsets the kernel returns, SQEs written and CQEs read through TypedArrays, one `io_uring_enter` per
 * batch. No FFI call and no allocation per SQE or CQE.
 *
 * @example
 * ```ts
 * import { prepNop } from "ringside-uring/prep";
 * import { sqeSetData } from "ringside-uring/ring";
 *
 * const ring = new Ring(8);
 * const sqe = ring.getSqe()!;
 * prepNop(sqe);
 * sqeSetData(sqe, 7);
 * ring.submitAndWait(1);
 * ring.forEachCqe((userData, res) => console.log(userData, res)); // 7 0
 * ring.close();
 * ```
 *
 * @module
 */
import { libc, liburing } from "../../ffi/mod.ts";
import { check, refuse, UringError } from "../core/errors.ts";
import { detach, NativeMemory } from "../core/memory.ts";
import { checkCount, checkInt, checkU32, U32_MAX } from "../core/_validate.ts";
import { loadAcquire32, storeRelease32 } from "../core/barrier.ts";
import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, writeTimespecNs } from "../abi/timespec.ts";
import { TWO_32 } from "../abi/_u64.ts";
import { EAGAIN, EBADFD, EBUSY, EINTR, ETIME } from "../abi/errno.ts";
import { type Sqe, sqeSetFlags } from "./sqe.ts";
import { prepWaitTimeout, WAIT_TIMEOUT_WORD, WaitTimespecs } from "./_wait_timeout.ts";
import { mapRings } from "./_rings.ts";
import { IORING_MAX_ENTRIES } from "./limits.ts";
import { RESIZE_HINTS, resizeParams, setupRing, validateResize } from "./_setup.ts";
import { registerWaitRegionMemory } from "./_wait_region.ts";
import {
  io_cqring_offsets,
  io_uring_clock_register,
  io_uring_getevents_arg,
  io_uring_params,
  io_uring_reg_wait,
  io_uring_rsrc_update,
  IORING_CQ_EVENTFD_DISABLED,
  IORING_CQE_F_32,
  IORING_CQE_F_SKIP,
  IORING_ENTER_ABS_TIMER,
  IORING_ENTER_EXT_ARG,
  IORING_ENTER_EXT_ARG_REG,
  IORING_ENTER_GETEVENTS,
  IORING_ENTER_REGISTERED_RING,
  IORING_ENTER_SQ_WAIT,
  IORING_ENTER_SQ_WAKEUP,
  IORING_FEAT_EXT_ARG,
  IORING_FEAT_MIN_TIMEOUT,
  IORING_REG_WAIT_TS,
  IORING_REGISTER_CLOCK,
  IORING_REGISTER_ENABLE_RINGS,
  IORING_REGISTER_RESIZE_RINGS,
  IORING_REGISTER_RESTRICTIONS,
  IORING_REGISTER_RING_FDS,
  IORING_REGISTER_USE_REGISTERED_RING,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_IOPOLL,
  IORING_SETUP_R_DISABLED,
  IORING_SETUP_REGISTERED_FD_ONLY,
  IORING_SETUP_SQE128,
  IORING_SETUP_SQE_MIXED,
  IORING_SETUP_SQ_REWIND,
  IORING_SETUP_SQPOLL,
  IORING_SQ_CQ_OVERFLOW,
  IORING_SQ_NEED_WAKEUP,
  IORING_SQ_TASKRUN,
  IORING_TIMEOUT_ABS,
  IORING_TIMEOUT_BOOTTIME,
  IORING_UNREGISTER_RING_FDS,
  IOSQE_CQE_SKIP_SUCCESS,
} from "../abi/uapi.ts";

/** What `new Ring()` takes beside the entry count: the fields of `struct io_uring_params` a caller sets. */
export interface RingOptions {
  /** `IORING_SETUP_*` flags. CQSIZE, SQ_AFF and ATTACH_WQ are added for you when their options are given. */
  flags?: number | undefined;
  /** CQ ring size (IORING_SETUP_CQSIZE, Linux 5.5); by default twice the SQ size. */
  cqEntries?: number | undefined;
  /** The CPU the SQPOLL thread is pinned to (IORING_SETUP_SQ_AFF). Needs IORING_SETUP_SQPOLL. */
  sqThreadCpu?: number | undefined;
  /** Milliseconds the SQPOLL thread spins idle before it sleeps and needs a wake-up. Needs IORING_SETUP_SQPOLL. */
  sqThreadIdle?: number | undefined;
  /** Share the async worker pool of this ring (IORING_SETUP_ATTACH_WQ, Linux 5.6). */
  attachWq?: Ring | number | undefined;
  /**
   * Register the ring's fd with the kernel at setup (`registerRingFd()`, Linux 5.18), as every ring does unless
   * this is `false`: each `io_uring_enter` then finds the ring in the thread's own table instead of taking and
   * dropping a reference to its file. A thread has 16 such slots; a ring that finds none free, an older kernel,
   * and a ring given restrictions (which could refuse the unregistration at close) keep using the plain fd; an
   * IORING_SETUP_R_DISABLED ring registers it in `enable()`. `ringIndex` says which.
   */
  registerFd?: boolean | undefined;
  /**
   * Act as if the kernel lacked these `IORING_FEAT_*` bits: `ring.features` leaves them out, so the ring and the
   * layers above take the paths of a kernel without them. For testing fallbacks (IORING_FEAT_EXT_ARG: timed waits
   * through a TIMEOUT SQE, as before Linux 5.11); the kernel itself behaves as it always does.
   */
  maskFeatures?: number | undefined;
}

/** How `submitAndWait` bounds its wait. */
export interface WaitOptions {
  /**
   * Give up after this many nanoseconds (IORING_ENTER_EXT_ARG, Linux 5.11); the call then returns normally. Where
   * the ring lacks IORING_FEAT_EXT_ARG, the bound is an IORING_OP_TIMEOUT request submitted with the wait, as
   * liburing's `io_uring_submit_and_wait_timeout` does: it takes an SQE, and its CQE (user_data all ones, which is
   * reserved then) is consumed by the ring and never shown.
   */
  timeoutNs?: number | undefined;
  /**
   * Treat `timeoutNs` as an absolute time on the ring's clock (IORING_ENTER_ABS_TIMER, Linux 6.12; without
   * IORING_FEAT_EXT_ARG, IORING_TIMEOUT_ABS).
   */
  absolute?: boolean | undefined;
  /**
   * Once this many microseconds have passed and at least one CQE is ready, return even if fewer than `waitNr`
   * are (`min_wait_usec`, IORING_FEAT_MIN_TIMEOUT, Linux 6.12).
   */
  minWaitUsec?: number | undefined;
  /**
   * Wait as the registered wait argument at this index says (IORING_ENTER_EXT_ARG_REG, Linux 6.13): see
   * {@link Ring.registerWaitRegion}. The kernel reads the timeout and minimum wait from the ring's region instead of
   * copying an argument in on every call. Not combined with `timeoutNs` or `minWaitUsec`; `absolute` applies.
   */
  slot?: number | undefined;
}

/** A registered wait argument (see {@link Ring.setWaitSlot}). */
export interface WaitSlot {
  /** Give up after this many nanoseconds (absolute on the ring's clock when the wait says `absolute`). */
  timeoutNs?: number | undefined;
  /** Once this many microseconds have passed and at least one CQE is ready, return (as `WaitOptions.minWaitUsec`). */
  minWaitUsec?: number | undefined;
}

/** Called for each CQE: its user_data, result (`-errno` on failure), flags, and word index in `ring.cqes32`. */
export type CqeVisitor = (userData: number, res: number, flags: number, word: number) => void;

/** sizeof(struct io_uring_getevents_arg) as io_uring_enter2's size_t (a bigint: see ffi/liburing.ts). */
const EXT_ARG_SIZE = BigInt(io_uring_getevents_arg.SIZE);
/** sizeof(struct io_uring_reg_wait), the size io_uring_enter2 is given with IORING_ENTER_EXT_ARG_REG. */
const REG_WAIT_SIZE = BigInt(io_uring_reg_wait.SIZE);

/**
 * One io_uring instance: the SQ and CQ rings mapped into this process, and the calls that drive them.
 *
 * Single-threaded by design: a Ring belongs to the thread (or Worker) that made it.
 */
export class Ring {
  /** The ring's file descriptor, or -1 when it exists only as a registered index (REGISTERED_FD_ONLY). */
  readonly fd: number;
  /** The flags the ring was set up with (as the kernel reports them back). */
  readonly flags: number;
  /** `IORING_FEAT_*` bits this kernel reports. */
  readonly features: number;
  /** SQ ring size in entries (changed only by {@link resize}). */
  get sqEntries(): number {
    return this.sqCount;
  }
  /** CQ ring size in entries, counted in 16-byte units on a CQE_MIXED ring (changed only by {@link resize}). */
  get cqEntries(): number {
    return this.cqCount;
  }
  /** Size of one SQE in bytes (64, or 128 with IORING_SETUP_SQE128). */
  readonly sqeSize: number;
  /** Size of one CQE in bytes (16, or 32 with IORING_SETUP_CQE32). */
  readonly cqeSize: number;
  /**
   * A 32-bit view over the CQ ring mapping; a CQE's words start at the index a {@link CqeVisitor} receives. A new
   * view after {@link resize}: read it when a CQE is visited, do not keep it.
   */
  get cqes32(): Uint32Array {
    return this.cqRing;
  }

  // What the rings' mappings give (set by mapRings, again on resize). Head, tail and flags words are loaded with
  // acquire and stored with release order (barrier.ts).
  private sqCount!: number;
  private cqCount!: number;
  private sqRing!: Uint32Array;
  private cqRing!: Uint32Array;
  private cqI32!: Int32Array;
  private sqes!: Sqe[];
  private sqeF64!: Float64Array;
  private readonly sqeWords: number;
  // On an SQE_MIXED ring, a 128-byte view of each slot for getSqe128().
  private sqes128: Sqe[] = [];
  private sqHeadIdx!: number;
  private sqTailIdx!: number;
  private sqFlagsIdx!: number;
  private sqDroppedIdx!: number;
  private cqHeadIdx!: number;
  private cqTailIdx!: number;
  private cqOverflowIdx!: number;
  private cqFlagsIdx!: number;
  private cqesWord!: number;
  private readonly cqeShift: number;
  private sqMask!: number;
  private cqMask!: number;
  private readonly sqpoll: boolean;
  // IORING_SETUP_SQ_REWIND (Linux 7.0): the kernel reads each batch from slot 0 and never moves the SQ head or
  // reads the tail, so the batch is slots 0..sqeTail-1 and every submit starts the next one at 0 (rewindSq).
  private readonly rewind: boolean;
  private readonly mixedCqes: boolean;

  // Our side of the SQ: the next slot to hand out, the tail last published, the kernel head last seen.
  // Kept as int32 (`| 0`): V8 and JSC hold small integers unboxed, and the kernel's u32 counters wrap the same way
  // (a store into the Uint32Array takes the value modulo 2^32). `sqZeroed` is how far the slots the kernel consumed
  // have been cleared again (see reclaimSqes); `sqLimit` is the tail at which the SQ is full as of `sqZeroed`, where
  // getSqe() must look at the kernel's head: it advances the tail by one and compares for equality, the only check
  // on its fast path.
  private sqeTail = 0;
  private sqHeadSeen = 0;
  private sqZeroed = 0;
  private sqLimit = 0;
  // Our side of the CQ: the head we have consumed up to.
  private cqHead = 0;

  private enterFd: number;
  private enterFlags = 0;
  private registeredIndex = -1;
  // Register the ring fd (setup, or enable() for a disabled ring), and whether restrictions forbid doing it late.
  private wantsRegisteredFd = false;
  private restricted = false;
  private readonly registeredOnly: boolean;
  private closed = false;
  private readonly closeHooks: (() => void)[] = [];
  private readonly memory: NativeMemory[] = [];
  private readonly fnEnter: (
    fd: number, toSubmit: number, minComplete: number, flags: number, sig: Uint8Array | null,
  ) => number;
  private readonly fnEnter2: (
    fd: number, toSubmit: number, minComplete: number, flags: number, arg: Uint8Array, size: bigint,
  ) => number;
  private readonly fnEnter2Reg: (
    fd: number, toSubmit: number, minComplete: number, flags: number, offset: bigint, size: bigint,
  ) => number;
  private readonly fnRegister: (fd: number, op: number, arg: ArrayBufferView | null, nr: number) => number;
  // The registered wait region (registerWaitRegion): its memory, a view of it, and each slot's offset as the bigint
  // io_uring_enter2 takes.
  private waitRegion: NativeMemory | undefined;
  private waitRegionView: DataView | undefined;
  private waitSlotOffsets: bigint[] = [];
  // Native scratch for io_uring_getevents_arg and its timespec, which the kernel reads during enter.
  private waitArg: NativeMemory | undefined;
  // What `waitArg` holds now (`waitNs` NaN: nothing yet), so a repeated wait writes nothing.
  private waitNs: number | undefined = NaN;
  private waitMinUsec = 0;
  private waitAbsolute = false;
  // Timed waits without EXT_ARG (_wait_timeout.ts): the timespecs of their TIMEOUT SQEs, and how many of those
  // SQEs have a CQE still to be consumed (while any has, CQEs are read on the path that drops them).
  private waitTimespecs: WaitTimespecs | undefined;
  private waitTimeouts = 0;
  // The clock registered for waits (IORING_REGISTER_CLOCK), CLOCK_MONOTONIC until then.
  private waitClock = CLOCK_MONOTONIC;

  /**
   * Sets up a ring with `entries` SQ entries (rounded up to a power of two by the kernel) and maps it.
   * Throws a {@link UringError} naming the errno and what to do: bad input is refused before the kernel sees it.
   *
   * @param entries SQ ring size, 1 to 32768 (larger with IORING_SETUP_CLAMP, which caps it).
   * @param options The other `io_uring_params` fields; `flags` takes `IORING_SETUP_*`.
   */
  constructor(entries: number, options: RingOptions = {}) {
    const mask = checkU32("set up io_uring", options.maskFeatures ?? 0, "maskFeatures");
    const { fd, flags, params: pv, ringsMem, sqesMem } = setupRing(entries, options);
    const u = liburing().fn;
    this.fnEnter = u.io_uring_enter;
    this.fnEnter2 = u.io_uring_enter2;
    this.fnEnter2Reg = u.io_uring_enter2_reg;
    this.fnRegister = u.io_uring_register;

    this.flags = pv.getUint32(io_uring_params.flags, true);
    this.features = (pv.getUint32(io_uring_params.features, true) & ~mask) >>> 0;
    this.sqCount = pv.getUint32(io_uring_params.sq_entries, true);
    this.cqCount = pv.getUint32(io_uring_params.cq_entries, true);
    this.sqeSize = flags & IORING_SETUP_SQE128 ? 128 : 64;
    this.cqeSize = flags & IORING_SETUP_CQE32 ? 32 : 16;
    this.sqpoll = (flags & IORING_SETUP_SQPOLL) !== 0;
    this.rewind = (flags & IORING_SETUP_SQ_REWIND) !== 0;
    this.mixedCqes = (flags & IORING_SETUP_CQE_MIXED) !== 0;
    this.registeredOnly = (flags & IORING_SETUP_REGISTERED_FD_ONLY) !== 0;
    if (this.registeredOnly) {
      // The setup result is an index into the registered ring table, not a file descriptor.
      this.fd = -1;
      this.registeredIndex = fd;
      this.enterFd = fd;
      this.enterFlags = IORING_ENTER_REGISTERED_RING;
    } else {
      this.fd = fd;
      this.enterFd = fd;
    }

    this.sqeWords = this.sqeSize >> 2;
    // A CQE's index in 32-bit words is its ring index times 4 (16 B) or 8 (32 B); mixed rings count 16 B units.
    this.cqeShift = this.cqeSize === 32 ? 3 : 2;
    try {
      this.mapRings(pv, fd, ringsMem, sqesMem, true);
    } catch (e) {
      if (!this.registeredOnly) libc().close(fd);
      throw e;
    }
    // io_uring_enter on a plain fd takes and drops a reference to the ring's file (fget/fput: atomic operations on
    // a shared count) on every call; a registered ring skips both. Measured: 4-8% more NOPs at batch 8.
    this.wantsRegisteredFd = !this.registeredOnly && options.registerFd !== false;
    // A disabled ring registers its fd in enable(), unless restrictions were registered meanwhile.
    if (this.wantsRegisteredFd && !(flags & IORING_SETUP_R_DISABLED)) this.addRegisteredFd();
  }

  /**
   * Maps the rings (see mapRings in _rings.ts) and takes their views into this ring's fields: at setup (`fresh`), and
   * again after a resize. With `ringsMem`/`sqesMem` (NO_MMAP) the rings are in that caller memory.
   */
  private mapRings(
    pv: DataView, fd: number, ringsMem: NativeMemory | undefined, sqesMem: NativeMemory | undefined, fresh: boolean,
  ): void {
    const m = mapRings(pv, fd, {
      flags: this.flags,
      features: this.features,
      sqCount: this.sqCount,
      cqCount: this.cqCount,
      sqeSize: this.sqeSize,
      cqeSize: this.cqeSize,
    }, ringsMem, sqesMem, fresh);
    this.memory.push(...m.memory);
    this.sqRing = m.sqRing;
    this.cqRing = m.cqRing;
    this.cqI32 = m.cqI32;
    this.sqHeadIdx = m.sqHeadIdx;
    this.sqTailIdx = m.sqTailIdx;
    this.sqFlagsIdx = m.sqFlagsIdx;
    this.sqDroppedIdx = m.sqDroppedIdx;
    this.sqMask = m.sqMask;
    this.cqHeadIdx = m.cqHeadIdx;
    this.cqTailIdx = m.cqTailIdx;
    this.cqOverflowIdx = m.cqOverflowIdx;
    this.cqFlagsIdx = m.cqFlagsIdx;
    this.cqMask = m.cqMask;
    this.cqesWord = m.cqesWord;
    this.sqeF64 = m.sqeF64;
    this.sqes = m.sqes;
    this.sqes128 = m.sqes128;
    // Counters continue across a resize: the kernel keeps head and tail values (and copied what lies between).
    this.sqHeadSeen = loadAcquire32(this.sqRing, this.sqHeadIdx) | 0;
    this.sqZeroed = this.sqHeadSeen;
    if (fresh) this.sqeTail = loadAcquire32(this.sqRing, this.sqTailIdx) | 0;
    this.sqLimit = (this.sqHeadSeen + this.sqCount) | 0;
    this.cqHead = loadAcquire32(this.cqRing, this.cqHeadIdx);
  }

  /** Whether `close()` has run. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- Submission ------------------------------------------------------------------------------------------

  /**
   * The next free SQE, zeroed, or null when the SQ is full (submit, then try again). The SQE is not seen by the
   * kernel until the next `submit()`. Matches liburing's `io_uring_get_sqe`.
   */
  getSqe(): Sqe | null {
    const tail = this.sqeTail;
    if (tail === this.sqLimit && !this.refreshSqLimit()) return null;
    // Already zeroed: a slot is cleared when the kernel gives it back (see reclaimSqes), not here.
    const sqe = this.sqes[tail & this.sqMask]!;
    this.sqeTail = (tail + 1) | 0;
    return sqe;
  }

  /** The slow path of getSqe(): the cached limit was met, so look at the kernel's head (or throw when closed). */
  private refreshSqLimit(): boolean {
    if (this.closed) this.throwClosed("get an SQE");
    this.reclaimSqes(loadAcquire32(this.sqRing, this.sqHeadIdx) | 0);
    return this.sqeTail !== this.sqLimit;
  }

  /**
   * Records the kernel's SQ head and zeroes the slots it consumed since they were last cleared, so getSqe() hands
   * out zeroed SQEs without writing them one by one. The kernel has read an SQE once its head is past it (the
   * liburing contract that lets a slot be reused after submit; with SQPOLL the head is committed after the batch is
   * read), so clearing it here is no different from overwriting it when it is reused. Called only when getSqe()
   * has run out of cleared slots (and by getSqe128), so the ring is cleared in one fill per lap rather than one per
   * submit: a `fill()` call costs as much as clearing a few dozen SQEs (~30 ns), more than the whole fill of eight.
   */
  private reclaimSqes(head: number): void {
    this.sqHeadSeen = head;
    const from = this.sqZeroed;
    let count = (head - from) >>> 0;
    if (count === 0) return;
    this.sqZeroed = head;
    this.sqLimit = (head + this.sqEntries) | 0;
    if (count > this.sqEntries) count = this.sqEntries;
    const start = from & this.sqMask;
    const first = count < this.sqEntries - start ? count : this.sqEntries - start;
    const perSqe = this.sqeWords >> 1;
    zeroSqes(this.sqeF64, start * perSqe, first * perSqe);
    if (count > first) zeroSqes(this.sqeF64, 0, (count - first) * perSqe);
  }

  /**
   * A 128-byte SQE on an IORING_SETUP_SQE_MIXED ring (Linux 6.19): two consecutive slots. When only the ring's last
   * slot is left before the wrap, it is filled with a NOP whose success CQE is skipped, as liburing does. Returns
   * null when the SQ has no room. On an SQE128 ring every SQE is 128 bytes: use `getSqe()`.
   */
  getSqe128(): Sqe | null {
    if (this.closed) this.throwClosed("get an SQE");
    if (!(this.flags & IORING_SETUP_SQE_MIXED)) {
      refuse("get a 128-byte SQE", "the ring was not set up with IORING_SETUP_SQE_MIXED (on SQE128 rings use getSqe)");
    }
    this.reclaimSqes(loadAcquire32(this.sqRing, this.sqHeadIdx) | 0);
    const free = this.sqEntries - ((this.sqeTail - this.sqHeadSeen) >>> 0);
    const atEnd = (this.sqeTail & this.sqMask) === this.sqMask;
    if (free < (atEnd ? 3 : 2)) return null;
    if (atEnd) {
      const pad = this.getSqe()!;
      // A zeroed SQE is IORING_OP_NOP; with IOSQE_CQE_SKIP_SUCCESS it consumes the slot and posts nothing.
      sqeSetFlags(pad, IOSQE_CQE_SKIP_SUCCESS);
    }
    const first = this.sqes[this.sqeTail & this.sqMask]!;
    this.sqeTail = (this.sqeTail + 2) | 0;
    // Both slots were zeroed when the kernel last gave them back (reclaimSqes).
    return this.sqes128[first.index]!;
  }

  /** SQEs handed out by `getSqe()` that the kernel has not consumed yet. */
  sqPending(): number {
    if (this.closed) this.throwClosed("read the SQ");
    return (this.sqeTail - loadAcquire32(this.sqRing, this.sqHeadIdx)) >>> 0;
  }

  /** Free SQ slots: how many `getSqe()` calls succeed before the next submit. */
  sqSpaceLeft(): number {
    return this.sqEntries - this.sqPending();
  }

  /** SQEs the kernel dropped as invalid (the SQ ring's `dropped` counter). */
  sqDropped(): number {
    if (this.closed) this.throwClosed("read the SQ");
    return loadAcquire32(this.sqRing, this.sqDroppedIdx);
  }

  /**
   * Publishes the SQEs written since the last call (store-release of the SQ tail) and returns how many the kernel
   * has yet to consume.
   */
  private flushSq(): number {
    // SQ_REWIND: the head and tail must stay 0 (io_uring.h); the batch size goes to the kernel as to_submit only.
    if (this.rewind) return this.sqeTail;
    storeRelease32(this.sqRing, this.sqTailIdx, this.sqeTail);
    // Without SQPOLL the kernel moves the SQ head only inside io_uring_enter, after which `afterEnter` records
    // it: the cached value is exact, and the kernel clamps to_submit to what the ring holds in any case.
    return (this.sqeTail - this.sqHeadSeen) >>> 0;
  }

  /**
   * Submits the SQEs written since the last submit. Returns how many the kernel took (with SQPOLL, how many were
   * published; the thread is woken when it sleeps). Returns 0 when the kernel answers EAGAIN or EBUSY (no memory
   * for requests, or CQ overflow it cannot flush yet): reap completions, then submit again.
   * Matches liburing's `io_uring_submit`.
   */
  submit(): number {
    if (this.closed) this.throwClosed("submit");
    const pending = this.flushSq();
    if (this.sqpoll) {
      if (loadAcquire32(this.sqRing, this.sqFlagsIdx) & IORING_SQ_NEED_WAKEUP) {
        this.enterChecked(0, 0, IORING_ENTER_SQ_WAKEUP);
      }
      return pending;
    }
    if (pending === 0 && !this.cqNeedsFlush()) return 0;
    const flags = pending === 0 ? IORING_ENTER_GETEVENTS : 0;
    return this.enterChecked(pending, 0, flags);
  }

  /**
   * Submits what is pending and waits until at least `waitNr` CQEs are ready, or the timeout passes. Returns the
   * number of CQEs ready (possibly fewer than `waitNr` after a timeout or a signal). Matches liburing's
   * `io_uring_submit_and_wait` and, with options, `io_uring_submit_and_wait_timeout`/`_min_timeout`.
   */
  submitAndWait(waitNr = 1, options?: WaitOptions): number {
    if (this.closed) this.throwClosed("submit and wait");
    const pending = this.flushSq();
    let flags = IORING_ENTER_GETEVENTS;
    let toSubmit = pending;
    if (this.sqpoll) {
      toSubmit = 0;
      if (loadAcquire32(this.sqRing, this.sqFlagsIdx) & IORING_SQ_NEED_WAKEUP) flags |= IORING_ENTER_SQ_WAKEUP;
    }
    if (options?.slot !== undefined) {
      this.enterWithSlot(toSubmit, waitNr, flags, options);
    } else if (options && (options.timeoutNs !== undefined || options.minWaitUsec !== undefined)) {
      this.enterWithArg(toSubmit, waitNr, flags, options);
    } else {
      this.enterChecked(toSubmit, this.waitTimeouts === 0 ? waitNr : this.kernelWaitNr(waitNr), flags);
    }
    // Right after the enter call returned, as in afterEnter: a plain load of the CQ tail.
    const ready = (this.cqRing[this.cqTailIdx]! - this.cqHead) >>> 0;
    return this.waitTimeouts === 0 ? ready : ready - this.waitTimeoutCqes(ready);
  }

  /**
   * Enters the kernel only to collect completions: runs deferred task work (DEFER_TASKRUN) and flushes CQEs the
   * kernel held back when the CQ was full. Matches liburing's `io_uring_get_events`.
   */
  getEvents(): number {
    if (this.closed) this.throwClosed("get events");
    this.enterChecked(0, 0, IORING_ENTER_GETEVENTS);
    return this.cqReady();
  }

  /** Waits (SQPOLL rings) until the SQ has a free slot: IORING_ENTER_SQ_WAIT. Matches `io_uring_sqring_wait`. */
  sqWait(): void {
    if (this.closed) this.throwClosed("wait for SQ space");
    if (!this.sqpoll) return;
    if (this.sqSpaceLeft() > 0) return;
    this.enterChecked(0, 0, IORING_ENTER_SQ_WAIT);
  }

  /**
   * Raw `io_uring_enter(2)` on this ring: returns the kernel's result (`-errno` on failure) without interpreting
   * it. The ring's registered-fd flag is added. UNSAFE only in that it bypasses ringside's bookkeeping of what
   * was submitted.
   */
  enter(toSubmit: number, minComplete: number, flags: number): number {
    if (this.closed) this.throwClosed("enter");
    const r = this.fnEnter(this.enterFd, toSubmit, minComplete, flags | this.enterFlags, null);
    // On an SQ_REWIND ring the count consumed is all that says which slots the kernel has read.
    this.afterEnter(r > 0 ? r : 0);
    return r;
  }

  private enterChecked(toSubmit: number, minComplete: number, flags: number): number {
    const r = this.fnEnter(this.enterFd, toSubmit, minComplete, flags | this.enterFlags, null);
    return r >= 0 ? this.afterEnter(r) : this.enterError(r);
  }

  private afterEnter(consumed: number): number {
    // A plain load is enough here: it follows an FFI call, which no JIT moves a memory access across, and x86 and
    // arm64 order this load after the kernel's store to the head (the kernel's own barrier on exit). The slots it
    // consumed are cleared later, when getSqe() needs them (reclaimSqes).
    this.sqHeadSeen = this.sqRing[this.sqHeadIdx]! | 0;
    if (this.rewind && consumed > 0) this.rewindSq(consumed);
    return consumed;
  }

  /**
   * After a submit on an SQ_REWIND ring: the kernel read slots 0..consumed-1 (io_submit_sqes() starts at slot 0 and
   * io_commit_sqring() resets its cached head to 0), so the next batch starts at slot 0 again, as liburing's
   * `__io_uring_flush_sq` rewinds its tail. SQEs the kernel did not take (it stops at the first one that fails to
   * prepare, without IORING_SETUP_SUBMIT_ALL) are moved to the front, where the next submit reads them: the same
   * promise as a circular SQ, where they stay between head and tail. The slots given back are zeroed for getSqe().
   */
  private rewindSq(consumed: number): void {
    const pending = this.sqeTail;
    const done = consumed < pending ? consumed : pending;
    const left = pending - done;
    const perSqe = this.sqeWords >> 1;
    if (left > 0) {
      // Bytes, not float64 elements: an SQE is not a double, and its bits must move unchanged.
      const f = this.sqeF64;
      new Uint8Array(f.buffer, f.byteOffset, pending * perSqe * 8).copyWithin(0, done * perSqe * 8);
      // A wait's TIMEOUT among them must not keep the timespec of the slot it left (_wait_timeout.ts).
      const ts = this.waitTimespecs;
      if (ts !== undefined && this.waitTimeouts !== 0) {
        for (let i = 0; i < left; i++) ts.moved(this.sqes[i]!, i + done, i);
      }
    }
    zeroSqes(this.sqeF64, left * perSqe, done * perSqe);
    this.sqeTail = left;
  }

  private enterError(r: number): number {
    // EINTR: a signal arrived while waiting; ETIME: the EXT_ARG timeout passed; EAGAIN/EBUSY: the kernel could not
    // take more now (reap, then retry). None loses an SQE: unconsumed ones stay in the ring.
    if (r === -EINTR || r === -ETIME || r === -EAGAIN || r === -EBUSY) return 0;
    throw new UringError("io_uring_enter", -r, r === -EBADFD ? "the ring is in a bad state" : undefined);
  }

  private enterWithArg(toSubmit: number, waitNr: number, flags: number, options: WaitOptions): number {
    if (options.minWaitUsec !== undefined && !(this.features & IORING_FEAT_MIN_TIMEOUT)) {
      refuse("wait with a minimum timeout", "this kernel lacks IORING_FEAT_MIN_TIMEOUT (Linux 6.12)");
    }
    const ns = options.timeoutNs;
    if (ns !== undefined && (!Number.isFinite(ns) || ns < 0)) {
      refuse("wait with a timeout", `the timeout must be a non-negative number of nanoseconds, got ${ns}`);
    }
    if (!(this.features & IORING_FEAT_EXT_ARG)) {
      if (options.minWaitUsec !== undefined) {
        refuse("wait with a minimum timeout", "this kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11), which carries it");
      }
      return this.enterWithTimeoutSqe(waitNr, flags, ns!, options.absolute === true);
    }
    const mem = this.waitArg ??= NativeMemory.allocate(64);
    const minWait = options.minWaitUsec ?? 0;
    const absolute = ns !== undefined && options.absolute === true;
    if (absolute) flags |= IORING_ENTER_ABS_TIMER;
    // A loop waits with the same bound again and again: rewrite the argument only when the wait differs.
    if (ns !== this.waitNs || minWait !== this.waitMinUsec || absolute !== this.waitAbsolute) {
      this.waitNs = ns;
      this.waitMinUsec = minWait;
      this.waitAbsolute = absolute;
      const v = new DataView(mem.buffer);
      const tsAt = 32;
      v.setBigUint64(io_uring_getevents_arg.sigmask, 0n, true);
      v.setUint32(io_uring_getevents_arg.sigmask_sz, 8, true);
      v.setUint32(io_uring_getevents_arg.min_wait_usec, minWait, true);
      if (ns !== undefined) {
        writeTimespecNs(v, tsAt, ns);
        v.setBigUint64(io_uring_getevents_arg.ts, BigInt(mem.address + tsAt), true);
      } else {
        v.setBigUint64(io_uring_getevents_arg.ts, 0n, true);
      }
    }
    const r = this.fnEnter2(this.enterFd, toSubmit, waitNr, flags | IORING_ENTER_EXT_ARG | this.enterFlags,
      mem.bytes, EXT_ARG_SIZE);
    return r >= 0 ? this.afterEnter(r) : this.enterError(r);
  }

  /**
   * A timed wait on a ring without IORING_FEAT_EXT_ARG, as liburing's `__io_uring_submit_timeout` does it (see
   * _wait_timeout.ts): an IORING_OP_TIMEOUT after the caller's SQEs, counting `waitNr` completions, submitted with
   * a plain wait for `waitNr`. Its CQE is consumed unseen when the CQ is read (forEachCqeSlow).
   */
  private enterWithTimeoutSqe(waitNr: number, flags: number, ns: number, absolute: boolean): number {
    if (this.flags & IORING_SETUP_IOPOLL) {
      // io_init_req fails an opcode without iopoll support (IORING_OP_TIMEOUT among them) on an IOPOLL ring.
      refuse("wait with a timeout", "this kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11), and an IORING_SETUP_IOPOLL " +
        "ring takes no IORING_OP_TIMEOUT to bound the wait with");
    }
    // A wait the CQ already satisfies (or one for no CQE) returns at once (io_cqring_wait): nothing to bound.
    if (waitNr <= this.cqReady()) return this.enterChecked(this.publishSq(), 0, flags);
    let sqe = this.getSqe();
    if (sqe === null) {
      // The SQ is full: submit what it holds to make room, as liburing does.
      this.submit();
      if (this.sqpoll) this.sqWait();
      sqe = this.getSqe();
      // Still none (the kernel answered EAGAIN or EBUSY): collect without waiting, as the EXT_ARG path returns at
      // once on those answers; the caller reaps and waits again.
      if (sqe === null) return this.enterChecked(this.publishSq(), 0, flags);
    }
    const ts = (this.waitTimespecs ??= new WaitTimespecs(this.sqEntries)).write(sqe.index, this.sqEntries, ns);
    // The ring's wait clock (registerClock, Linux 6.12) for the TIMEOUT too: IORING_TIMEOUT_BOOTTIME is Linux 5.15.
    const clock = this.waitClock === CLOCK_BOOTTIME ? IORING_TIMEOUT_BOOTTIME : 0;
    prepWaitTimeout(sqe, ts, waitNr, (absolute ? IORING_TIMEOUT_ABS : 0) | clock);
    const kernelWaitNr = this.kernelWaitNr(waitNr);
    this.waitTimeouts++;
    return this.enterChecked(this.publishSq(), kernelWaitNr, flags);
  }

  /** Publishes the SQEs written, returning how many enter must submit (none on SQPOLL rings: the thread takes them). */
  private publishSq(): number {
    const pending = this.flushSq();
    return this.sqpoll ? 0 : pending;
  }

  /**
   * `waitNr` as the kernel must be given it: the CQEs of waits' TIMEOUTs still in the CQ, which no caller sees,
   * count for its min_complete (io_cqring_wait compares the CQ's tail with its head). A TIMEOUT whose CQE is posted
   * during the wait still ends it early, as a signal can: when it fires, and when its count is met, the kernel
   * bumps `cq_timeouts`, which wakes every waiter (io_should_wake).
   */
  private kernelWaitNr(waitNr: number): number {
    if (waitNr === 0) return 0;
    return waitNr + this.waitTimeoutCqes((loadAcquire32(this.cqRing, this.cqTailIdx) - this.cqHead) >>> 0);
  }

  private enterWithSlot(toSubmit: number, waitNr: number, flags: number, options: WaitOptions): number {
    const slot = options.slot!;
    if (options.timeoutNs !== undefined || options.minWaitUsec !== undefined) {
      refuse("wait with a registered wait argument", "give either a slot or timeoutNs/minWaitUsec, not both");
    }
    if (!(this.features & IORING_FEAT_EXT_ARG)) {
      refuse("wait with a registered wait argument", "this kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11); " +
        "registered wait arguments need Linux 6.13");
    }
    const offset = this.waitSlotOffsets[slot];
    if (offset === undefined) {
      refuse("wait with a registered wait argument", this.waitRegion === undefined
        ? "the ring has no wait region (registerWaitRegion)"
        : `slot must be an integer from 0 to ${this.waitSlotOffsets.length - 1}, got ${slot}`);
    }
    if (options.absolute === true) flags |= IORING_ENTER_ABS_TIMER;
    const r = this.fnEnter2Reg(this.enterFd, toSubmit, waitNr,
      flags | IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG | this.enterFlags, offset, REG_WAIT_SIZE);
    return r >= 0 ? this.afterEnter(r) : this.enterError(r);
  }


  // ---- Completion ------------------------------------------------------------------------------------------

  /**
   * CQEs ready to be read (load-acquire of the CQ tail). Matches liburing's `io_uring_cq_ready`, except that the
   * CQEs of the TIMEOUTs that bound waits where the kernel lacks IORING_FEAT_EXT_ARG are not counted (nor visited).
   */
  cqReady(): number {
    if (this.closed) this.throwClosed("read the CQ");
    const ready = (loadAcquire32(this.cqRing, this.cqTailIdx) - this.cqHead) >>> 0;
    return this.waitTimeouts === 0 ? ready : ready - this.waitTimeoutCqes(ready);
  }

  /** How many of the `ready` CQ entries from the head are waits' TIMEOUT CQEs, which no caller is shown. */
  private waitTimeoutCqes(ready: number): number {
    const ring = this.cqRing;
    const mixed = this.mixedCqes;
    let hidden = 0;
    for (let head = this.cqHead, left = ready; left > 0 && hidden < this.waitTimeouts;) {
      const w = this.cqesWord + ((head & this.cqMask) << this.cqeShift);
      const flags = ring[w + 3]!;
      const units = mixed && flags & IORING_CQE_F_32 ? 2 : 1;
      head = (head + units) >>> 0;
      left -= units;
      if (mixed && flags & IORING_CQE_F_SKIP) continue;
      if (ring[w] === WAIT_TIMEOUT_WORD && ring[w + 1] === WAIT_TIMEOUT_WORD) hidden++;
    }
    return hidden;
  }

  /**
   * Whether the kernel holds CQEs it could not post (the CQ was full) or has task work for us: then
   * `getEvents()` moves them into the CQ. Matches liburing's `io_uring_cq_has_overflow` plus the TASKRUN flag.
   */
  cqNeedsFlush(): boolean {
    if (this.closed) this.throwClosed("read the ring's flags");
    return (loadAcquire32(this.sqRing, this.sqFlagsIdx) & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) !== 0;
  }

  /**
   * Turns the registered eventfd's notifications off or on (IORING_CQ_EVENTFD_DISABLED in the CQ ring's flags,
   * Linux 5.8). A loop turns them off while it is awake and reaping anyway, so completions it will see by itself
   * do not wake a waiting thread for nothing; it turns them back on, then reaps once more, before it sleeps.
   */
  setEventfdEnabled(enabled: boolean): void {
    if (this.closed) return;
    const f = this.cqRing[this.cqFlagsIdx]!;
    const next = enabled ? f & ~IORING_CQ_EVENTFD_DISABLED : f | IORING_CQ_EVENTFD_DISABLED;
    if (next === f) return;
    if (enabled) {
      // Before sleeping the loop turns notifications on, then looks at the CQ tail once more; the kernel posts a
      // CQE (tail store), fences, then reads these flags. Each side stores then loads: only a full fence between
      // our store and our next load keeps both from missing the other (a lost wake-up). Atomics.store is
      // sequentially consistent; a plain store, even where plainRingOrder allows one, is not (x86 reorders a
      // store before a later load).
      Atomics.store(this.cqRing, this.cqFlagsIdx, next);
    } else {
      storeRelease32(this.cqRing, this.cqFlagsIdx, next);
    }
  }

  /** CQEs the kernel dropped because the CQ was full (only on kernels without IORING_FEAT_NODROP). */
  cqOverflowCount(): number {
    if (this.closed) this.throwClosed("read the CQ");
    return loadAcquire32(this.cqRing, this.cqOverflowIdx);
  }

  /**
   * Calls `visit` for each ready CQE, up to `max`, then releases them all to the kernel with one store of the CQ
   * head. Returns the number visited. No FFI call is made. `visit` must not submit or reap on this ring. If `visit`
   * throws, the CQEs visited so far (the one it threw on included) are released and the error propagates. The CQEs
   * of the TIMEOUTs that bound waits where the kernel lacks IORING_FEAT_EXT_ARG are released without a visit (as
   * liburing's `io_uring_wait_cqes` skips them). Matches liburing's `io_uring_for_each_cqe` followed by
   * `io_uring_cq_advance`.
   */
  forEachCqe(visit: CqeVisitor, max = U32_MAX): number {
    if (this.closed) this.throwClosed("reap CQEs");
    if (this.mixedCqes || this.waitTimeouts !== 0) return this.forEachCqeSlow(visit, max);
    const ring = this.cqRing;
    const res = this.cqI32;
    const head = this.cqHead;
    const ready = (loadAcquire32(ring, this.cqTailIdx) - head) >>> 0;
    // An integer loop bound: comparing against the default `max` (a double) on every CQE cost V8 measurably.
    const n = ready < max ? ready : max;
    if (n === 0) return 0;
    const mask = this.cqMask;
    const base = this.cqesWord;
    const shift = this.cqeShift;
    let i = 0;
    try {
      for (; i < n; i++) {
        const w = base + (((head + i) & mask) << shift);
        const hi = ring[w + 1]!;
        // user_data below 2^32 (the common case) needs no floating-point arithmetic.
        visit(hi === 0 ? ring[w]! : ring[w]! + hi * TWO_32, res[w + 2]!, ring[w + 3]!, w);
      }
    } finally {
      // A visitor that threw has still consumed its CQE and those before it: release them, or the next reap would
      // deliver them again (an accepted fd twice, a completion for a slot already reused).
      const done = i < n ? i + 1 : n;
      this.cqHead = (head + done) >>> 0;
      storeRelease32(ring, this.cqHeadIdx, this.cqHead);
    }
    return n;
  }

  // CQE_MIXED rings (Linux 6.18: 16-byte units; a CQE flagged IORING_CQE_F_32 takes two, and IORING_CQE_F_SKIP
  // marks padding the kernel posts so a 32-byte CQE never wraps), and any ring while a wait's TIMEOUT CQE is due
  // (_wait_timeout.ts). Padding and those CQEs are consumed without being visited.
  private forEachCqeSlow(visit: CqeVisitor, max: number): number {
    const ring = this.cqRing;
    const mixed = this.mixedCqes;
    const tail = loadAcquire32(ring, this.cqTailIdx);
    let head = this.cqHead;
    let n = 0;
    try {
      while (head !== tail && n < max) {
        const w = this.cqesWord + ((head & this.cqMask) << this.cqeShift);
        const flags = ring[w + 3]!;
        // Past this CQE before visiting it: if the visitor throws, it is released with those before it.
        head = (head + (mixed && flags & IORING_CQE_F_32 ? 2 : 1)) >>> 0;
        if (mixed && flags & IORING_CQE_F_SKIP) continue;
        const lo = ring[w]!;
        const hi = ring[w + 1]!;
        if (hi === WAIT_TIMEOUT_WORD && lo === WAIT_TIMEOUT_WORD && this.waitTimeouts > 0) {
          this.waitTimeouts--;
          continue;
        }
        visit(lo + hi * TWO_32, this.cqI32[w + 2]!, flags, w);
        n++;
      }
    } finally {
      if (head !== this.cqHead) {
        this.cqHead = head;
        storeRelease32(ring, this.cqHeadIdx, head);
      }
    }
    return n;
  }

  /**
   * Copies up to `batch.capacity` ready CQEs into `batch` and releases them to the kernel at once, so the caller
   * can run completions after reaping (never inside it). Returns the number copied.
   */
  copyCqes(batch: CqeBatch): number {
    batch.count = 0;
    return this.forEachCqe(batch.push, batch.capacity);
  }

  /**
   * Reaps every CQE, including those the kernel held back when the CQ was full: drain, and while the kernel says
   * it holds more (IORING_SQ_CQ_OVERFLOW) or has task work, enter with GETEVENTS and drain again. Returns the
   * number visited.
   */
  drain(visit: CqeVisitor): number {
    let total = this.forEachCqe(visit);
    while (this.cqNeedsFlush()) {
      this.getEvents();
      const head = this.cqHead;
      total += this.forEachCqe(visit);
      // Nothing came out (a wait's TIMEOUT CQE, consumed unseen, counts as something).
      if (this.cqHead === head) break;
    }
    return total;
  }

  // ---- Registration ----------------------------------------------------------------------------------------

  /**
   * Raw `io_uring_register(2)`: returns the kernel's result (`-errno` on failure). `arg` is read or written by the
   * kernel only during the call; memory the kernel keeps (buffers, rings) must be {@link NativeMemory} whose address
   * the caller writes into `arg`. UNSAFE for opcodes that take such addresses: prefer the typed `register*` functions
   * (`registerFiles`, `registerBuffers`, `registerBufRing` ...), which keep such memory pinned.
   */
  register(opcode: number, arg: ArrayBufferView | null, nrArgs: number): number {
    if (this.closed) this.throwClosed("register");
    if (opcode === IORING_REGISTER_RESTRICTIONS) this.restricted = true;
    const r = this.registeredOnly
      ? this.fnRegister(this.registeredIndex, (opcode | IORING_REGISTER_USE_REGISTERED_RING) >>> 0, arg, nrArgs)
      : this.fnRegister(this.fd, opcode, arg, nrArgs);
    // The clock of timed waits, which a wait's TIMEOUT SQE (where EXT_ARG is missing) then runs on too.
    if (opcode === IORING_REGISTER_CLOCK && r === 0 && arg !== null) {
      this.waitClock = new DataView(arg.buffer, arg.byteOffset).getUint32(io_uring_clock_register.clockid, true);
    }
    return r;
  }

  /** `register()` that throws a {@link UringError} named after `what` on failure and returns the result. */
  registerOrThrow(opcode: number, arg: ArrayBufferView | null, nrArgs: number, what: string): number {
    return check(this.register(opcode, arg, nrArgs), what);
  }

  /**
   * Registers the ring's own fd with itself (IORING_REGISTER_RING_FDS, Linux 5.18) so each `io_uring_enter` skips
   * the fd table lookup. Returns the registered index. Matches liburing's `io_uring_register_ring_fd`.
   */
  registerRingFd(): number {
    if (this.registeredIndex >= 0) return this.registeredIndex;
    const r = this.addRegisteredFd();
    if (r !== 1) throw new UringError("register the ring fd", r < 0 ? -r : 0, r >= 0 ? `registered ${r}` : undefined);
    return this.registeredIndex;
  }

  /** IORING_REGISTER_RING_FDS for this ring's fd; on success enter calls use the index. Returns the kernel's answer. */
  private addRegisteredFd(): number {
    if (this.closed) this.throwClosed("register the ring fd");
    const upd = rsrcUpdate(U32_MAX, this.fd); // offset -1: let the kernel pick a free index
    const r = this.fnRegister(this.fd, IORING_REGISTER_RING_FDS, upd, 1);
    if (r !== 1) return r;
    this.registeredIndex = upd[io_uring_rsrc_update.offset / 4]!; // in bounds: rsrcUpdate sized it
    this.enterFd = this.registeredIndex;
    this.enterFlags |= IORING_ENTER_REGISTERED_RING;
    return r;
  }

  /** Undoes `registerRingFd()`. Matches liburing's `io_uring_unregister_ring_fd`. */
  unregisterRingFd(): void {
    if (this.registeredIndex < 0 || this.registeredOnly) return;
    const r = this.register(IORING_UNREGISTER_RING_FDS, rsrcUpdate(this.registeredIndex, 0), 1);
    if (r !== 1) throw new UringError("unregister the ring fd", r < 0 ? -r : 0);
    this.registeredIndex = -1;
    this.enterFd = this.fd;
    this.enterFlags &= ~IORING_ENTER_REGISTERED_RING;
  }

  /** The registered index of the ring fd, or -1. */
  get ringIndex(): number {
    return this.registeredIndex;
  }

  /** Enables a ring set up with IORING_SETUP_R_DISABLED (Linux 5.10). Matches `io_uring_enable_rings`. */
  enable(): void {
    if (!(this.flags & IORING_SETUP_R_DISABLED)) refuse("enable the ring", "it was not set up with R_DISABLED");
    this.registerOrThrow(IORING_REGISTER_ENABLE_RINGS, null, 0, "enable the ring");
    // Restrictions could refuse the unregistration at close: a restricted ring keeps its plain fd.
    if (this.wantsRegisteredFd && !this.restricted && this.registeredIndex < 0) this.addRegisteredFd();
  }

  /**
   * Registers `slots` wait arguments with the kernel (IORING_REGISTER_MEM_REGION with
   * IORING_MEM_REGION_REG_WAIT_ARG, Linux 6.13), in memory the ring owns and frees when it closes. A wait then
   * names a slot (`submitAndWait(n, { slot })`) and the kernel reads its timeout and minimum wait from that memory,
   * where a plain timed wait has it copy an argument and a timespec in on every call. The kernel takes the region
   * only from a ring set up with IORING_SETUP_R_DISABLED, before `enable()`, and only once. Slots start with no
   * timeout (a wait on one blocks as a plain wait does); set them with {@link setWaitSlot}. Matches liburing's
   * `io_uring_register_region` with a wait-argument region.
   *
   * @param slots How many wait arguments, 1 to 1024 (64 bytes each).
   *
   * @example
   * ```ts
   * import { IORING_SETUP_R_DISABLED } from "ringside-uring/abi";
   * const ring = new Ring(64, { flags: IORING_SETUP_R_DISABLED });
   * ring.registerWaitRegion(4);
   * ring.enable();
   * ring.setWaitSlot(0, { timeoutNs: 100_000_000 });
   * ring.submitAndWait(1, { slot: 0 }); // at most 100 ms
   * ```
   */
  registerWaitRegion(slots: number): void {
    const op = "register a wait region (IORING_REGISTER_MEM_REGION)";
    if (this.closed) this.throwClosed(op);
    checkInt(op, slots, 1, 1024, "slots");
    if (this.waitRegion !== undefined) refuse(op, "the ring already has one (the kernel takes one per ring)");
    if (!(this.flags & IORING_SETUP_R_DISABLED)) {
      refuse(op, "the kernel takes a wait region only from a ring set up with IORING_SETUP_R_DISABLED, before enable()");
    }
    const mem = registerWaitRegionMemory((opcode, arg, nr) => this.register(opcode, arg, nr), slots, op);
    this.waitRegion = mem;
    this.waitRegionView = new DataView(mem.buffer);
    this.waitSlotOffsets = Array.from({ length: slots }, (_, i) => BigInt(i * io_uring_reg_wait.SIZE));
  }

  /**
   * Writes wait argument `slot` of the ring's wait region ({@link registerWaitRegion}): the kernel reads it at each
   * wait that names the slot, so a slot can be set once and used for every wait, or changed between waits.
   *
   * @param slot The slot, from 0.
   * @param wait Its timeout and minimum wait; both absent means no timeout.
   */
  setWaitSlot(slot: number, wait: WaitSlot): void {
    const op = "set a registered wait argument";
    if (this.closed) this.throwClosed(op);
    const v = this.waitRegionView;
    if (v === undefined) refuse(op, "the ring has no wait region (registerWaitRegion)");
    checkInt(op, slot, 0, this.waitSlotOffsets.length - 1, "slot");
    const ns = wait.timeoutNs;
    if (ns !== undefined && (!Number.isFinite(ns) || ns < 0)) {
      refuse(op, `the timeout must be a non-negative number of nanoseconds, got ${ns}`);
    }
    const minWait = wait.minWaitUsec ?? 0;
    checkU32(op, minWait, "minWaitUsec");
    if (minWait !== 0 && !(this.features & IORING_FEAT_MIN_TIMEOUT)) {
      refuse(op, "this kernel lacks IORING_FEAT_MIN_TIMEOUT (Linux 6.12)");
    }
    const at = slot * io_uring_reg_wait.SIZE;
    // The kernel reads the slot only during a wait that names it, and waits run on this thread: no ordering needed.
    writeTimespecNs(v, at + io_uring_reg_wait.ts, ns ?? 0);
    v.setUint32(at + io_uring_reg_wait.min_wait_usec, minWait, true);
    v.setUint32(at + io_uring_reg_wait.flags, ns === undefined ? 0 : IORING_REG_WAIT_TS, true);
  }

  // ---- Resizing ------------------------------------------------------------------------------------------------

  /**
   * Resizes the SQ and CQ rings in place (IORING_REGISTER_RESIZE_RINGS, Linux 6.13; the kernel resizes only rings
   * set up with IORING_SETUP_DEFER_TASKRUN). SQEs got and not yet submitted and CQEs not yet reaped are carried
   * over, in order; in-flight requests are untouched. The rings are then mapped anew: Sqe objects and `cqes32`
   * views taken before are detached (a write to one goes nowhere), so get SQEs again after the call. Matches
   * liburing's `io_uring_resize_rings`; a CQ that outgrew its size under load is the usual reason.
   *
   * @param sqEntries The new SQ size (rounded up to a power of two), 1 to 32768.
   * @param options `cqEntries`: the new CQ size (default twice the SQ's); `clamp`: cap sizes at the kernel's
   *   maximum instead of failing (IORING_SETUP_CLAMP).
   *
   * @example
   * ```ts
   * import { IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER } from "ringside-uring/abi";
   * const ring = new Ring(64, { flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN });
   * ring.resize(64, { cqEntries: 4096 }); // more room for completions
   * ```
   */
  resize(sqEntries: number, options: { cqEntries?: number; clamp?: boolean } = {}): void {
    const op = "resize the rings";
    if (this.closed) this.throwClosed(op);
    validateResize(op, sqEntries, options);
    if (loadAcquire32(this.sqRing, this.sqFlagsIdx) & IORING_SQ_CQ_OVERFLOW) {
      refuse(op, "the kernel holds completions the CQ had no room for: reap them first (drain())");
    }
    // The kernel carries over what lies between its head and the published tail: publish SQEs got but not
    // submitted, which then go with the next submit as they would have.
    const pending = this.flushSq();
    // An SQ_REWIND ring's head and tail stay 0, so the kernel carries nothing over: the pending batch is copied
    // into the new SQE array below, which must have room for it (the kernel's own check answers EOVERFLOW).
    if (this.rewind && pending > resizedSqEntries(sqEntries)) {
      refuse(op, `${pending} SQEs are waiting to be submitted, more than ${resizedSqEntries(sqEntries)} entries hold`);
    }
    const oldSqes = this.sqeF64;
    // Rings in caller memory: the new rings go into new caller memory.
    const { bytes, params: pv, ringsMem, sqesMem } = resizeParams(sqEntries, options, this.flags);
    const r = this.register(IORING_REGISTER_RESIZE_RINGS, bytes, 1);
    // Sizes the ring already has: the kernel returns at once and fills in nothing.
    if (r < 0 || pv.getUint32(io_uring_params.cq_off + io_cqring_offsets.cqes, true) === 0) {
      ringsMem?.free();
      sqesMem?.free();
      check(r, op, RESIZE_HINTS);
      return;
    }

    // Map the new rings, then drop the old mappings, views first (a stale Sqe or view reads as empty).
    const old = this.memory.splice(0);
    this.sqCount = pv.getUint32(io_uring_params.sq_entries, true);
    this.cqCount = pv.getUint32(io_uring_params.cq_entries, true);
    const dropOld = () => {
      for (const m of old) {
        detach(m.buffer);
        m.unpin();
        m.free();
      }
    };
    try {
      this.mapRings(pv, this.fd, ringsMem, sqesMem, false);
    } catch (e) {
      // The kernel already moved to the new rings: without their mappings the ring cannot be driven.
      dropOld();
      this.close();
      throw e;
    }
    if (this.rewind && pending > 0) {
      const n = pending * this.sqeSize;
      new Uint8Array(this.sqeF64.buffer, this.sqeF64.byteOffset, n)
        .set(new Uint8Array(oldSqes.buffer, oldSqes.byteOffset, n));
    }
    dropOld();
  }

  // ---- Teardown --------------------------------------------------------------------------------------------

  /**
   * Closes the ring: every view over its memory is detached first (a stale view reads as empty instead of touching
   * unmapped memory), then the fd is closed and the rings unmapped. Idempotent; any later call throws a
   * {@link UringError} saying the ring is closed. In-flight operations are cancelled by the kernel.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // getSqe() checks only this limit on its fast path: meeting it sends the next call to the check that throws.
    this.sqLimit = this.sqeTail;
    for (const m of this.memory) detach(m.buffer);
    // A registered ring fd holds its own reference to the ring (per task): closing the fd alone would leave the
    // ring, its registrations and its requests alive until the thread exits.
    if (this.registeredIndex >= 0 && !this.registeredOnly) {
      this.fnRegister(this.fd, IORING_UNREGISTER_RING_FDS, rsrcUpdate(this.registeredIndex, 0), 1);
      this.registeredIndex = -1;
    }
    if (this.registeredOnly) {
      this.fnRegister(this.registeredIndex, (IORING_UNREGISTER_RING_FDS | IORING_REGISTER_USE_REGISTERED_RING) >>> 0,
        rsrcUpdate(this.registeredIndex, 0), 1);
    } else {
      libc().close(this.fd);
    }
    for (const m of this.memory) {
      m.unpin();
      m.free();
    }
    this.waitArg?.free();
    // The kernel copied each wait TIMEOUT's timespec when it consumed the SQE (__io_timeout_prep).
    this.waitTimespecs?.free();
    this.waitTimespecs = undefined;
    // The kernel pinned the region's pages; with the fd closed it lets them go (its references keep them meanwhile).
    this.waitRegion?.unpin();
    this.waitRegion?.free();
    this.waitRegion = this.waitRegionView = undefined;
    this.waitSlotOffsets = [];
    for (const hook of this.closeHooks.splice(0)) hook();
  }

  /**
   * Runs `hook` once the ring is closed (at once if it already is): how layers above release what they tracked
   * for this ring, such as the pins of registered buffers.
   */
  onClose(hook: () => void): void {
    if (this.closed) hook();
    else this.closeHooks.push(hook);
  }

  private throwClosed(what: string): never {
    throw new UringError(what, 0, "the ring is closed");
  }
}

/**
 * A reusable array of CQEs copied out of the ring, for processing after reaping.
 *
 * @example
 * ```ts
 * declare const ring: Ring;
 * const batch = new CqeBatch(256);
 * ring.submitAndWait(1);
 * const n = ring.copyCqes(batch);
 * for (let i = 0; i < n; i++) console.log(batch.userData[i], batch.res[i]);
 * ```
 */
export class CqeBatch {
  /** Most CQEs one copy takes. */
  readonly capacity: number;
  /** user_data of each copied CQE. */
  readonly userData: Float64Array;
  /** res of each copied CQE. */
  readonly res: Int32Array;
  /** flags of each copied CQE. */
  readonly flags: Uint32Array;
  /** How many entries the last copy filled. */
  count = 0;
  /** The visitor `Ring.copyCqes` passes to `forEachCqe`; bound once. */
  readonly push: CqeVisitor;

  constructor(capacity: number) {
    checkCount("make a CQE batch", capacity, U32_MAX, "capacity");
    this.capacity = capacity;
    this.userData = new Float64Array(capacity);
    this.res = new Int32Array(capacity);
    this.flags = new Uint32Array(capacity);
    this.push = (userData, res, flags) => {
      const i = this.count++;
      this.userData[i] = userData;
      this.res[i] = res;
      this.flags[i] = flags;
    };
  }
}

/** The SQ size IORING_REGISTER_RESIZE_RINGS makes of `sqEntries` (checked by validateResize): a power of two. */
function resizedSqEntries(sqEntries: number): number {
  let n = 1;
  while (n < sqEntries && n < IORING_MAX_ENTRIES) n *= 2;
  return n;
}

/** A `struct io_uring_rsrc_update` for IORING_(UN)REGISTER_RING_FDS: the index `offset`, the ring fd in `data`. */
function rsrcUpdate(offset: number, data: number): Uint32Array {
  const upd = new Uint32Array(io_uring_rsrc_update.SIZE / 4);
  upd[io_uring_rsrc_update.offset / 4] = offset;
  upd[io_uring_rsrc_update.data / 4] = data;
  return upd;
}

/**
 * Zeroes `n` 64-bit words of the SQE array from index `d` (an SQE is 8 of them, 16 on SQE128 rings). Short runs are
 * stored word by word; from four SQEs on, one `fill()` (a memset in both runtimes, whose call costs about as much
 * as 30 single stores) is cheaper.
 *
 * @param f A Float64Array over the SQE array.
 * @param d The first 64-bit index: an SQE's word index divided by 2.
 * @param n How many 64-bit words to zero.
 */
function zeroSqes(f: Float64Array, d: number, n: number): void {
  if (n >= 32) {
    f.fill(0, d, d + n);
    return;
  }
  // +0.0 has all bits zero.
  for (let i = d, end = d + n; i < end; i++) f[i] = 0;
}
