/**
 * Timed waits on kernels without IORING_FEAT_EXT_ARG (before Linux 5.11), done as liburing's
 * `__io_uring_submit_timeout` does them: an IORING_OP_TIMEOUT SQE goes in with the wait, and its CQE ends the wait.
 * io_uring_enter then waits as it does without a timeout; the kernel's `io_should_wake` also wakes a waiter when
 * `cq_timeouts` moved since it began to wait, which a TIMEOUT does when it fires (`io_timeout_fn`) and when its
 * count is met (`io_kill_timeout` from `io_flush_timeouts`). Its CQE carries a user_data of all ones (liburing's
 * `LIBURING_UDATA_TIMEOUT`), which the ring consumes and never shows. Internal to the ring layer: `submitAndWait`
 * with `timeoutNs` is the way in.
 *
 * What comes with it, as with liburing: when the wait ends on CQEs posted before the TIMEOUT was issued (requests
 * that completed while they were submitted), the TIMEOUT stays armed until `waitNr` more CQEs come or its time
 * passes, and its CQE then ends whatever wait is in progress, early, as a signal would; a request flagged
 * IOSQE_IO_DRAIN submitted meanwhile waits for it as for any earlier request.
 *
 * @module
 */
import { NativeMemory } from "../core/memory.ts";
import { setU64Words, TWO_32 } from "../abi/_u64.ts";
import { writeTimespecNs } from "../abi/timespec.ts";
import { io_uring_sqe, IORING_OP_TIMEOUT } from "../abi/uapi.ts";
import type { Sqe } from "./sqe.ts";

/**
 * Each 32-bit half of the user_data of a wait's TIMEOUT: all ones, liburing's `LIBURING_UDATA_TIMEOUT`. Above
 * 2^53, so `sqeSetData` cannot write it and a Loop's layout (operations below 2^52, messages and its ignored
 * requests below 2^53) never meets it.
 */
export const WAIT_TIMEOUT_WORD = 0xffffffff;

/** Size of a `struct __kernel_timespec`. */
const TIMESPEC = 16;

/**
 * The timespecs of waits' TIMEOUT SQEs, one per SQ slot, in memory the ring owns. The kernel copies the timespec
 * when it prepares the request (`__io_timeout_prep` calls `get_timespec64` on `sqe->addr`), which it does while it
 * consumes the SQE, before it moves the SQ head past it; a slot is handed out again only after that. So slot `i`'s
 * timespec stays as written for as long as the kernel may read it, whenever the SQE is consumed (a later enter
 * after EAGAIN, an SQPOLL thread) — one shared timespec rewritten by the next wait could not promise that. An
 * SQ_REWIND ring moves SQEs the kernel did not take to the front, and a TIMEOUT among them takes its new slot's
 * timespec ({@link WaitTimespecs.moved}); after a resize, fresh memory.
 */
export class WaitTimespecs {
  private mem: NativeMemory;
  private view: DataView;
  // Memory of the SQ before a resize, which SQEs carried over to the new rings may still point into.
  private readonly retired: NativeMemory[] = [];

  constructor(slots: number) {
    this.mem = NativeMemory.allocate(slots * TIMESPEC);
    this.view = new DataView(this.mem.buffer);
  }

  /** Writes `ns` as the timespec of SQ slot `slot` (of `slots`, the SQ's size) and returns its address. */
  write(slot: number, slots: number, ns: number): number {
    const at = slot * TIMESPEC;
    if (slots * TIMESPEC !== this.mem.byteLength) {
      // The SQ was resized (Ring.resize): fresh memory for its slots; the old stays until the ring closes. Not only
      // when it grew past the old memory: the kernel moved the SQEs it carried over to slot `position & new mask`
      // (io_register_resize_rings), so one still pointing at old slot i may now sit in another slot, and a new
      // TIMEOUT in slot i rewriting that timespec would change the waiting one's time before the kernel reads it.
      this.retired.push(this.mem);
      this.mem = NativeMemory.allocate(slots * TIMESPEC);
      this.view = new DataView(this.mem.buffer);
    }
    writeTimespecNs(this.view, at, ns);
    return this.mem.address + at;
  }

  /**
   * An SQ_REWIND ring moved `sqe` from slot `from` to slot `to` (Ring.rewindSq): if it is a wait's TIMEOUT whose
   * timespec is slot `from`'s, it takes slot `to`'s, so the next TIMEOUT written in slot `from` cannot change its time
   * before the kernel reads it. Called in slot order: slot `to` then holds no waiting SQE's timespec (the SQE that
   * was there was consumed, or moved first). One pointing into memory retired by a resize is left alone: that memory
   * is never written again.
   */
  moved(sqe: Sqe, from: number, to: number): void {
    const u32 = sqe.u32;
    const ud = io_uring_sqe.user_data >> 2;
    if (u32[ud] !== WAIT_TIMEOUT_WORD || u32[ud + 1] !== WAIT_TIMEOUT_WORD) return;
    if ((u32[0]! & 0xff) !== IORING_OP_TIMEOUT) return;
    const addr = io_uring_sqe.addr >> 2;
    if (u32[addr]! + u32[addr + 1]! * TWO_32 !== this.mem.address + from * TIMESPEC) return;
    this.mem.bytes.copyWithin(to * TIMESPEC, from * TIMESPEC, (from + 1) * TIMESPEC);
    setU64Words(u32, addr, this.mem.address + to * TIMESPEC);
  }

  /** Frees the memory (the ring is closed: the kernel reads no SQE of it again). */
  free(): void {
    this.mem.free();
    for (const m of this.retired.splice(0)) m.free();
  }
}

/**
 * Fills a zeroed SQE as liburing's `io_uring_prep_timeout` does, with the wait-timeout user_data: the request
 * completes with -ETIME when `ts` passes, or with 0 once `count` other CQEs were posted after it was issued.
 *
 * @param sqe A zeroed SQE (from `getSqe()`).
 * @param ts The timespec's address (from {@link WaitTimespecs.write}).
 * @param count CQEs to wait for (the wait's `waitNr`).
 * @param flags `IORING_TIMEOUT_*` (ABS for an absolute time, a clock bit).
 */
export function prepWaitTimeout(sqe: Sqe, ts: number, count: number, flags: number): void {
  const u32 = sqe.u32;
  u32[0] = IORING_OP_TIMEOUT; // opcode; flags and ioprio 0
  u32[io_uring_sqe.fd >> 2] = 0xffffffff; // fd -1
  setU64Words(u32, io_uring_sqe.off >> 2, count >>> 0);
  setU64Words(u32, io_uring_sqe.addr >> 2, ts);
  u32[io_uring_sqe.len >> 2] = 1; // one timespec: __io_timeout_prep refuses any other len
  u32[io_uring_sqe.timeout_flags >> 2] = flags;
  u32[io_uring_sqe.user_data >> 2] = WAIT_TIMEOUT_WORD;
  u32[(io_uring_sqe.user_data >> 2) + 1] = WAIT_TIMEOUT_WORD;
}
