/**
 * The non-file, non-socket opcodes on a {@link Loop} as promise functions: NOP with its flags, poll, timeouts,
 * cancellation, messages between rings, futexes, waitid, epoll and legacy provided buffers (pipes and the
 * registered file table from inside the ring are in `fs.ts`). Like `net.ts`, each takes the loop first, returns a
 * promise, and takes `{ signal?, timeoutMs? }`; a failed completion rejects with a {@link UringError} whose `code`
 * is the errno name.
 *
 * Requests another request refers to (a poll to remove or update, a timeout to remove or update, a request to
 * cancel) are started with the `submit*` variants, which return the submitted {@link PromiseOp}: its `promise` is
 * the result and the op itself is the handle (its user_data is read when the referring request is written, so a
 * handle still waiting for SQ space is found all the same).
 *
 * @example
 * ```ts
 * import { Loop } from "../loop/loop.ts";
 * import { nop, pollAdd, POLLIN, timeout } from "./ops.ts";
 *
 * const loop = new Loop();
 * console.log(await nop(loop, { result: 42 })); // 42
 * console.log(await timeout(loop, 10)); // "expired"
 * const revents = await pollAdd(loop, fd, POLLIN); // POLLIN once fd is readable
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { Ring } from "../ring/ring.ts";
import { domError, type Operation, type OpOptions, OpState, PromiseOp } from "../loop/operation.ts";
import { NativeMemory } from "../core/memory.ts";
import { refuse } from "../core/errors.ts";
import { checkMessageUserData } from "../loop/inbox.ts";
import { writeTimespec } from "../abi/timespec.ts";
import type { Sqe } from "../ring/sqe.ts";
import { H_BUF_INDEX, W_LEN, W_OP_FLAGS } from "../prep/base.ts";
import { prepNop } from "../prep/nop.ts";
import { prepPollAdd, prepPollRemove, prepPollUpdate } from "../prep/poll.ts";
import { prepTimeout, prepTimeoutRemove, prepTimeoutUpdate } from "../prep/timeout.ts";
import { prepCancel64, prepCancelFd } from "../prep/cancel.ts";
import { prepMsgRing, prepMsgRingCqeFlags, prepMsgRingFd } from "../prep/msg_ring.ts";
import { prepFutexWait, prepFutexWaitv, prepFutexWake } from "../prep/futex.ts";
import { prepWaitid } from "../prep/waitid.ts";
import { prepEpollCtl, prepEpollWait } from "../prep/epoll.ts";
import { prepProvideBuffers, prepRemoveBuffers } from "../prep/buffers.ts";
import {
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_OP,
  IORING_FILE_INDEX_ALLOC,
  IORING_MSG_RING_CQE_SKIP,
  IORING_NOP_FILE,
  IORING_NOP_FIXED_BUFFER,
  IORING_NOP_FIXED_FILE,
  IORING_NOP_INJECT_RESULT,
  IORING_NOP_TW,
  IORING_POLL_UPDATE_EVENTS,
  IORING_TIMEOUT_ABS,
  IORING_TIMEOUT_BOOTTIME,
  IORING_TIMEOUT_REALTIME,
} from "../abi/uapi.ts";

// ---- Shared plumbing (net.ts uses it too) -----------------------------------------------------------------------

/** What every operation of this module and of `net.ts` accepts. */
export type { OpOptions } from "../loop/operation.ts";

// PromiseOp<T> is invariant in T (it both takes and gives T): `start` accepts any of them.
// deno-lint-ignore no-explicit-any
type AnyPromiseOp = PromiseOp<any>;

/**
 * Submits `op` with the options every call takes and returns it. Synchronous failures (a closed loop, an already
 * aborted signal, bad options) reject `op.promise` instead of throwing, so callers see one failure path.
 *
 * @param loop The loop.
 * @param op A fresh operation.
 * @param options `signal` and `timeoutMs`.
 *
 * @example
 * ```ts
 * const op = start(loop, new PromiseOp("nop", prepNop), { timeoutMs: 100 });
 * await op.promise;
 * ```
 */
export function start<O extends AnyPromiseOp>(loop: Loop, op: O, options: OpOptions | undefined): O {
  const signal = options?.signal;
  const timeoutMs = options?.timeoutMs;
  try {
    if (timeoutMs !== undefined && timeoutMs !== Infinity) {
      if (typeof timeoutMs !== "number" || !(timeoutMs > 0)) {
        refuse(op.name, `timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
      }
      op.timeoutNs = Math.max(1, Math.round(timeoutMs * 1e6));
    }
    if (signal?.aborted) throw domError("AbortError", `The ${op.name} was aborted`, signal.reason);
    loop.submit(op);
  } catch (e) {
    op.state = OpState.Done;
    op.drop(e instanceof Error ? e : new Error(String(e)));
    return op;
  }
  if (signal) op.bindSignal(loop, signal);
  return op;
}

/**
 * {@link start}, returning the promise.
 *
 * @param loop The loop.
 * @param op A fresh operation.
 * @param options `signal` and `timeoutMs`.
 *
 * @example
 * ```ts
 * const res = await run(loop, new PromiseOp("nop", prepNop), {});
 * ```
 */
export function run<T>(loop: Loop, op: PromiseOp<T>, options: OpOptions | undefined): Promise<T> {
  return start(loop, op, options).promise;
}

/**
 * Refuses what cannot be a descriptor or slot index before it reaches the kernel.
 *
 * @param operation What is being done, for the error.
 * @param fd The value.
 * @param what Its name, for the error.
 *
 * @example
 * ```ts
 * checkFd("recv", fd);
 * ```
 */
export function checkFd(operation: string, fd: number, what = "fd"): void {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    refuse(operation, `${what} must be a non-negative integer, got ${fd}`);
  }
}

/**
 * Refuses what is not a u32 flag word.
 *
 * @param operation What is being done, for the error.
 * @param flags The value.
 * @param what Its name, for the error.
 * @returns The flags as an unsigned number.
 *
 * @example
 * ```ts
 * const f = checkU32("send", options.flags ?? 0);
 * ```
 */
export function checkU32(operation: string, flags: number, what = "flags"): number {
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    refuse(operation, `${what} must be a u32, got ${flags}`);
  }
  return flags >>> 0;
}

const TWO_32 = 4294967296;

/**
 * Writes a u64 (a pointer, a size) as two u32 halves, little-endian, from a number up to 2^53.
 *
 * @param v The view.
 * @param at The byte offset.
 * @param value The value.
 *
 * @example
 * ```ts
 * putU64(chunk.view, 0, buffer.address);
 * ```
 */
export function putU64(v: DataView, at: number, value: number): void {
  const lo = value >>> 0;
  v.setUint32(at, lo, true);
  v.setUint32(at + 4, (value - lo) / TWO_32, true);
}

/**
 * Reads a u64 written by the kernel as a number (exact up to 2^53).
 *
 * @param v The view.
 * @param at The byte offset.
 *
 * @example
 * ```ts
 * const len = getU64(chunk.view, 40);
 * ```
 */
export function getU64(v: DataView, at: number): number {
  return v.getUint32(at, true) + v.getUint32(at + 4, true) * TWO_32;
}

const ETIME = 62;

/** Writes a `struct __kernel_timespec` for `ms` milliseconds (fractions down to nanoseconds). */
function putTimespec(v: DataView, at: number, ms: number, operation: string): void {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    refuse(operation, `the time must be a finite number of milliseconds >= 0, got ${ms}`);
  }
  const sec = Math.floor(ms / 1000);
  writeTimespec(v, at, sec, Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6)));
}

const undef = () => undefined;

// ---- NOP ----------------------------------------------------------------------------------------------------------

/** Options of {@link nop}: the NOP flags (`sqe->nop_flags`). */
export interface NopOptions extends OpOptions {
  /** Complete with this result, 0 or a negative errno (IORING_NOP_INJECT_RESULT, Linux 6.10). */
  result?: number;
  /** Look up this file descriptor first, failing with EBADF when it is not open (IORING_NOP_FILE, Linux 6.13). */
  fd?: number;
  /** `fd` is a slot of the registered file table (IORING_NOP_FIXED_FILE, Linux 6.13). */
  fixedFile?: boolean;
  /** Look up this registered buffer first, failing with EFAULT when absent (IORING_NOP_FIXED_BUFFER, Linux 6.13). */
  bufIndex?: number;
  /** Complete through task work instead of inline (IORING_NOP_TW, Linux 6.17). */
  taskWork?: boolean;
}

/**
 * A no-op (IORING_OP_NOP, Linux 5.1): resolves to 0, or to `result` (a negative one rejects with that errno), after
 * checking the file and buffer it is given.
 *
 * @param loop The loop.
 * @param options `result`, `fd`, `fixedFile`, `bufIndex`, `taskWork`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await nop(loop); // 0
 * await nop(loop, { result: 7 }); // 7
 * await nop(loop, { result: -11 }); // rejects: EAGAIN
 * ```
 */
export function nop(loop: Loop, options: NopOptions = {}): Promise<number> {
  return run(loop, new PromiseOp("nop", (sqe: Sqe) => {
    prepNop(sqe);
    let flags = 0;
    if (options.result !== undefined) {
      const r = options.result;
      if (!Number.isInteger(r) || r < -4095 || r > 0x7fffffff) {
        refuse("nop", `result must be an int >= -4095, got ${r}`);
      }
      flags |= IORING_NOP_INJECT_RESULT;
      sqe.u32[W_LEN] = r >>> 0;
    }
    if (options.fd !== undefined) {
      checkFd("nop", options.fd);
      flags |= IORING_NOP_FILE | (options.fixedFile ? IORING_NOP_FIXED_FILE : 0);
      sqe.u32[1] = options.fd;
    } else if (options.fixedFile) refuse("nop", "fixedFile needs fd");
    if (options.bufIndex !== undefined) {
      const b = options.bufIndex;
      // buf_index is a u16 in the SQE: 65536 would name buffer 0.
      if (!Number.isInteger(b) || b < 0 || b > 0xffff) refuse("nop", `bufIndex must be 0 to 65535, got ${b}`);
      flags |= IORING_NOP_FIXED_BUFFER;
      sqe.u16[H_BUF_INDEX] = options.bufIndex;
    }
    if (options.taskWork) flags |= IORING_NOP_TW;
    sqe.u32[W_OP_FLAGS] = flags;
  }), options);
}

// ---- Poll ---------------------------------------------------------------------------------------------------------

/** poll(2) event: data to read. */
export const POLLIN = 0x1;
/** poll(2) event: urgent data. */
export const POLLPRI = 0x2;
/** poll(2) event: writing will not block. */
export const POLLOUT = 0x4;
/** poll(2) event: error (always reported). */
export const POLLERR = 0x8;
/** poll(2) event: hang up (always reported). */
export const POLLHUP = 0x10;
/** poll(2) event: invalid descriptor. */
export const POLLNVAL = 0x20;
/** poll(2) event: normal data to read. */
export const POLLRDNORM = 0x40;
/** poll(2) event: priority band data to read. */
export const POLLRDBAND = 0x80;
/** poll(2) event: normal data may be written. */
export const POLLWRNORM = 0x100;
/** poll(2) event: priority data may be written. */
export const POLLWRBAND = 0x200;
/** poll(2) event: the stream peer shut down writing. */
export const POLLRDHUP = 0x2000;

/**
 * Starts a one-shot poll (IORING_OP_POLL_ADD, Linux 5.1) and returns it: `op.promise` resolves to the events that
 * became ready; `op` is the handle for {@link pollRemove} and {@link pollUpdate}.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param events `POLL*` events to wait for (POLLERR and POLLHUP are always reported).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const poll = submitPoll(loop, fd, POLLIN);
 * await pollRemove(loop, poll); // poll.promise rejects with ECANCELED
 * ```
 */
export function submitPoll(loop: Loop, fd: number, events: number, options: OpOptions = {}): PromiseOp<number> {
  return start(loop, new PromiseOp("poll", (sqe: Sqe) => {
    checkFd("poll", fd);
    prepPollAdd(sqe, fd, checkU32("poll", events, "events"));
  }), options);
}

/**
 * Waits until `fd` has one of `events` (IORING_OP_POLL_ADD, Linux 5.1) and resolves to the ready events.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param events `POLL*` events.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const revents = await pollAdd(loop, sock, POLLIN | POLLRDHUP);
 * ```
 */
export function pollAdd(loop: Loop, fd: number, events: number, options: OpOptions = {}): Promise<number> {
  return submitPoll(loop, fd, events, options).promise;
}

/**
 * Removes a poll started with {@link submitPoll} (IORING_OP_POLL_REMOVE, Linux 5.1): the poll rejects with
 * ECANCELED; this resolves once removed, or rejects with ENOENT when the poll had already completed.
 *
 * @param loop The loop.
 * @param target The poll.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await pollRemove(loop, poll);
 * ```
 */
export function pollRemove(loop: Loop, target: Operation, options: OpOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("poll_remove", (sqe: Sqe) => prepPollRemove(sqe, target.userData), {
    map: undef,
  }), options);
}

/**
 * Changes the events a poll started with {@link submitPoll} waits for, in place (IORING_OP_POLL_REMOVE with
 * IORING_POLL_UPDATE_EVENTS, Linux 5.13). Its user_data stays: the loop keeps tracking it.
 *
 * @param loop The loop.
 * @param target The poll.
 * @param events The new `POLL*` events.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await pollUpdate(loop, poll, POLLOUT);
 * ```
 */
export function pollUpdate(loop: Loop, target: Operation, events: number, options: OpOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("poll_update", (sqe: Sqe) => {
    prepPollUpdate(sqe, target.userData, 0, checkU32("poll_update", events, "events"), IORING_POLL_UPDATE_EVENTS);
  }, { map: undef }), options);
}

// ---- Timeouts -----------------------------------------------------------------------------------------------------

/** Which clock a timeout runs on. */
export type TimeoutClock = "monotonic" | "boottime" | "realtime";

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /** Also complete once this many other requests have completed (resolving `"count"`); 0 (default): time only. */
  count?: number;
  /** `ms` is an absolute time on the clock (IORING_TIMEOUT_ABS, Linux 5.5), in milliseconds. */
  absolute?: boolean;
  /**
   * The clock: `"monotonic"` (default), `"boottime"` (counts suspend, IORING_TIMEOUT_BOOTTIME, Linux 5.15) or
   * `"realtime"` (wall clock: with `absolute`, `ms` is like `Date.now()`; IORING_TIMEOUT_REALTIME, Linux 5.15).
   */
  clock?: TimeoutClock;
  /** Aborting removes the timeout; the promise rejects with an `AbortError`. */
  signal?: AbortSignal;
}

/** How a timeout ended: its time passed (`"expired"`, -ETIME), or `count` completions happened first (`"count"`). */
export type TimeoutResult = "expired" | "count";

/** A timeout whose expiry (-ETIME) is its normal result. */
class TimeoutOp extends PromiseOp<TimeoutResult> {
  override complete(res: number, flags: number, more: boolean): void {
    super.complete(res === -ETIME ? 1 : res, flags, more);
  }
}

function clockFlags(operation: string, options: { absolute?: boolean; clock?: TimeoutClock }): number {
  let flags = options.absolute ? IORING_TIMEOUT_ABS : 0;
  const clock = options.clock ?? "monotonic";
  if (clock === "boottime") flags |= IORING_TIMEOUT_BOOTTIME;
  else if (clock === "realtime") flags |= IORING_TIMEOUT_REALTIME;
  else if (clock !== "monotonic") {
    refuse(operation, `clock must be "monotonic", "boottime" or "realtime", got ${clock}`);
  }
  return flags;
}

/**
 * Starts a timeout (IORING_OP_TIMEOUT, Linux 5.4) and returns it: `op.promise` resolves to `"expired"` when the
 * time passes or `"count"` when `count` other completions came first; `op` is the handle for
 * {@link timeoutRemove} and {@link timeoutUpdate}. The timespec lives in an arena chunk until completion.
 *
 * @param loop The loop.
 * @param ms Milliseconds from now, or the absolute time with `absolute`.
 * @param options `count`, `absolute`, `clock`, `signal`.
 *
 * @example
 * ```ts
 * const t = submitTimeout(loop, 1000);
 * await timeoutUpdate(loop, t, 10); // now expires in 10 ms
 * ```
 */
export function submitTimeout(loop: Loop, ms: number, options: TimeoutOptions = {}): PromiseOp<TimeoutResult> {
  const count = options.count ?? 0;
  const op = new TimeoutOp("timeout", (sqe: Sqe, o) => {
    checkU32("timeout", count, "count");
    const flags = clockFlags("timeout", options);
    const ts = o.chunk(loop, 16);
    putTimespec(ts.view, 0, ms, "timeout");
    prepTimeout(sqe, ts.address, count, flags);
  }, { map: (res) => res === 1 ? "expired" : "count" });
  return start(loop, op, { signal: options.signal });
}

/**
 * Waits `ms` milliseconds in the kernel (IORING_OP_TIMEOUT, Linux 5.4), or until `count` other requests have
 * completed; resolves to `"expired"` or `"count"`.
 *
 * @param loop The loop.
 * @param ms Milliseconds from now, or the absolute time with `absolute`.
 * @param options `count`, `absolute`, `clock`, `signal`.
 *
 * @example
 * ```ts
 * await timeout(loop, 50); // "expired"
 * await timeout(loop, Date.now() + 50, { absolute: true, clock: "realtime" });
 * ```
 */
export function timeout(loop: Loop, ms: number, options: TimeoutOptions = {}): Promise<TimeoutResult> {
  return submitTimeout(loop, ms, options).promise;
}

/**
 * Removes a timeout started with {@link submitTimeout} (IORING_OP_TIMEOUT_REMOVE, Linux 5.5): the timeout rejects
 * with ECANCELED; this rejects with ENOENT when it had already fired, EBUSY when it is firing.
 *
 * @param loop The loop.
 * @param target The timeout.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await timeoutRemove(loop, t);
 * ```
 */
export function timeoutRemove(loop: Loop, target: Operation, options: OpOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("timeout_remove", (sqe: Sqe) => prepTimeoutRemove(sqe, target.userData, 0), {
    map: undef,
  }), options);
}

/**
 * Gives a timeout started with {@link submitTimeout} a new expiry (IORING_OP_TIMEOUT_REMOVE with
 * IORING_TIMEOUT_UPDATE, Linux 5.11), measured from now (or absolute).
 *
 * @param loop The loop.
 * @param target The timeout.
 * @param ms The new time in milliseconds.
 * @param options `absolute`, `clock`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await timeoutUpdate(loop, t, 5);
 * ```
 */
export function timeoutUpdate(
  loop: Loop, target: Operation, ms: number,
  options: OpOptions & { absolute?: boolean; clock?: TimeoutClock } = {},
): Promise<void> {
  return run(loop, new PromiseOp<void>("timeout_update", (sqe: Sqe, o) => {
    const flags = clockFlags("timeout_update", options);
    const ts = o.chunk(loop, 16);
    putTimespec(ts.view, 0, ms, "timeout_update");
    prepTimeoutUpdate(sqe, ts.address, target.userData, flags);
  }, { map: undef }), options);
}

// ---- Cancellation -------------------------------------------------------------------------------------------------

/** Options of the cancel functions. */
export interface CancelOptions extends OpOptions {
  /** Cancel every match, not only the first (IORING_ASYNC_CANCEL_ALL, Linux 5.19). */
  all?: boolean;
}

function cancelOp(name: string, all: boolean, prep: (sqe: Sqe) => void): PromiseOp<number> {
  // Without ALL the kernel answers 0 for the one request cancelled; with ALL/ANY, how many.
  return new PromiseOp(name, prep, { map: (res) => all ? res : 1 });
}

/**
 * Cancels a request by its user_data (IORING_OP_ASYNC_CANCEL, Linux 5.5) and resolves to how many were cancelled
 * (1; with `all`, the count, possibly 0). The target rejects with ECANCELED. Rejects with ENOENT when nothing
 * matched, EALREADY when the request is running and cannot be interrupted (it completes normally).
 *
 * @param loop The loop.
 * @param target The request (an op from a `submit*` function, or any submitted {@link Operation}).
 * @param options `all`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const poll = submitPoll(loop, fd, POLLIN);
 * await cancel(loop, poll); // 1
 * ```
 */
export function cancel(loop: Loop, target: Operation, options: CancelOptions = {}): Promise<number> {
  const all = options.all === true;
  return run(loop, cancelOp("cancel", all, (sqe) => {
    prepCancel64(sqe, target.userData, all ? IORING_ASYNC_CANCEL_ALL : 0);
  }), options);
}

/**
 * Cancels the requests on a file descriptor (IORING_ASYNC_CANCEL_FD, Linux 5.19), or on a registered file slot
 * with `fixed`; resolves to how many were cancelled. The kernel matches the open file, not the number: cancelling
 * by descriptor also cancels requests that reach the same file through a registered slot, and the other way round.
 *
 * @param loop The loop.
 * @param fd The descriptor or slot.
 * @param options `all`, `fixed`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await cancelFd(loop, sock, { all: true }); // every pending recv and send on sock
 * ```
 */
export function cancelFd(loop: Loop, fd: number, options: CancelOptions & { fixed?: boolean } = {}): Promise<number> {
  const all = options.all === true;
  return run(loop, cancelOp("cancel", all, (sqe) => {
    checkFd("cancel", fd);
    prepCancelFd(sqe, fd, (all ? IORING_ASYNC_CANCEL_ALL : 0) | (options.fixed ? IORING_ASYNC_CANCEL_FD_FIXED : 0));
  }), options);
}

/**
 * Cancels the requests with an opcode (IORING_ASYNC_CANCEL_OP, Linux 6.6), such as every IORING_OP_POLL_ADD;
 * resolves to how many were cancelled. It matches every request of that opcode in the ring, whoever made it.
 *
 * @param loop The loop.
 * @param opcode An `IORING_OP_*` value.
 * @param options `all`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await cancelOpcode(loop, IORING_OP_TIMEOUT, { all: true });
 * ```
 */
export function cancelOpcode(loop: Loop, opcode: number, options: CancelOptions = {}): Promise<number> {
  const all = options.all === true;
  return run(loop, cancelOp("cancel", all, (sqe) => {
    if (!Number.isInteger(opcode) || opcode < 0 || opcode > 255) refuse("cancel", `opcode must be a u8, got ${opcode}`);
    prepCancel64(sqe, 0, IORING_ASYNC_CANCEL_OP | (all ? IORING_ASYNC_CANCEL_ALL : 0));
    sqe.u32[W_LEN] = opcode; // io_uring/cancel.c reads the opcode from sqe->len
  }), options);
}

/**
 * Cancels every request in flight on the ring (IORING_ASYNC_CANCEL_ANY, Linux 5.19), its own excepted; resolves
 * to how many were cancelled. Every pending promise of the loop rejects with ECANCELED.
 *
 * @param loop The loop.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const n = await cancelAny(loop);
 * ```
 */
export function cancelAny(loop: Loop, options: OpOptions = {}): Promise<number> {
  return run(loop, cancelOp("cancel", true, (sqe) => prepCancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY)), options);
}

// ---- Messages between rings ---------------------------------------------------------------------------------------

/** Where a message goes: a loop, a ring, or a ring's file descriptor. */
export type RingTarget = Loop | Ring | number;

function targetFd(operation: string, target: RingTarget): number {
  const fd = typeof target === "number" ? target : "arena" in target ? target.ring.fd : target.fd;
  if (!Number.isInteger(fd) || fd < 0) refuse(operation, "the target ring has no file descriptor");
  return fd;
}

/** The ring (or fd) a message lands on, for checkMessageUserData. */
function messageTarget(target: RingTarget): object | number {
  return typeof target === "number" ? target : "arena" in target ? target.ring : target;
}

/** The CQE {@link msgRing} posts on the target ring. */
export interface RingMessage {
  /** The CQE's `res` (an i32). */
  res: number;
  /** The CQE's `user_data` (up to 2^53). */
  userData: number;
  /** The CQE's `flags` (IORING_MSG_RING_FLAGS_PASS, Linux 6.3); default 0. */
  cqeFlags?: number;
}

/**
 * Posts a CQE on another ring (IORING_OP_MSG_RING with IORING_MSG_DATA, Linux 5.18): the target sees
 * `{ user_data: userData, res, flags: cqeFlags }`. Resolves once posted; rejects with EOVERFLOW when the target's CQ
 * is full, EBADFD when it is disabled.
 *
 * A target that may be a {@link Loop}'s ring (a Loop, its ring, or any ring given by fd) is refused a user_data
 * from 2^24 up to 2^52, where that loop's operations live: it would take the message for the completion of an
 * operation still in the kernel. Use `messageUserData(tag)` to reach a loop's inbox.
 *
 * @param loop The sending loop.
 * @param target The receiving ring.
 * @param message `res`, `userData`, `cqeFlags`.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await msgRing(loop, otherRing, { res: 42, userData: 7 });
 * ```
 */
export function msgRing(loop: Loop, target: RingTarget, message: RingMessage, options: OpOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("msg_ring", (sqe: Sqe) => {
    const fd = targetFd("msg_ring", target);
    const { res, userData } = message;
    if (!Number.isInteger(res) || res < -0x80000000 || res > 0x7fffffff) refuse("msg_ring", `res must be an i32`);
    if (!Number.isSafeInteger(userData) || userData < 0) refuse("msg_ring", "userData must be an integer 0-2^53");
    checkMessageUserData("msg_ring", messageTarget(target), userData);
    if (message.cqeFlags) {
      prepMsgRingCqeFlags(sqe, fd, res >>> 0, userData, 0, checkU32("msg_ring", message.cqeFlags, "cqeFlags"));
    } else prepMsgRing(sqe, fd, res >>> 0, userData, 0);
  }, { map: undef }), options);
}

/** Options of {@link msgRingFd}. */
export interface MsgRingFdOptions extends OpOptions {
  /** The slot in the target's file table, or IORING_FILE_INDEX_ALLOC (default) for a free one. */
  targetSlot?: number;
  /** user_data of the CQE the target gets (default 0). */
  userData?: number;
  /** Post no CQE on the target (IORING_MSG_RING_CQE_SKIP). */
  skipCqe?: boolean;
}

/**
 * Passes direct descriptor `sourceSlot` of this loop's ring into the file table of another ring (IORING_OP_MSG_RING
 * with IORING_MSG_SEND_FD, Linux 6.0); resolves to the target slot. The target gets a CQE with the given user_data
 * and res 0 (the slot chosen, with IORING_FILE_INDEX_ALLOC) unless `skipCqe`.
 *
 * @param loop The sending loop (its ring has a registered file table).
 * @param target The receiving ring (with a registered file table).
 * @param sourceSlot The slot in this ring's table.
 * @param options `targetSlot`, `userData`, `skipCqe`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const slot = await msgRingFd(loop, otherRing, 0, { targetSlot: 3, userData: 99 }); // 3
 * ```
 */
export function msgRingFd(
  loop: Loop, target: RingTarget, sourceSlot: number, options: MsgRingFdOptions = {},
): Promise<number> {
  const slot = options.targetSlot ?? IORING_FILE_INDEX_ALLOC;
  const alloc = slot >>> 0 === IORING_FILE_INDEX_ALLOC;
  return run(loop, new PromiseOp("msg_ring", (sqe: Sqe) => {
    const fd = targetFd("msg_ring", target);
    checkFd("msg_ring", sourceSlot, "sourceSlot");
    if (!alloc) checkFd("msg_ring", slot, "targetSlot");
    const ud = options.userData ?? 0;
    if (!Number.isSafeInteger(ud) || ud < 0) refuse("msg_ring", "userData must be an integer 0-2^53");
    if (!options.skipCqe) checkMessageUserData("msg_ring", messageTarget(target), ud);
    prepMsgRingFd(sqe, fd, sourceSlot, slot, ud, options.skipCqe ? IORING_MSG_RING_CQE_SKIP : 0);
  }, { map: (res) => alloc ? res : slot }), options);
}

// ---- Futexes ------------------------------------------------------------------------------------------------------

/** futex2 flag: the futex word is 8 bits. */
export const FUTEX2_SIZE_U8 = 0x00;
/** futex2 flag: the futex word is 16 bits. */
export const FUTEX2_SIZE_U16 = 0x01;
/** futex2 flag: the futex word is 32 bits. */
export const FUTEX2_SIZE_U32 = 0x02;
/** futex2 flag: the futex word is 64 bits. */
export const FUTEX2_SIZE_U64 = 0x03;
/** futex2 flag: process-private futex (no cross-process sharing; faster). */
export const FUTEX2_PRIVATE = 128;
/** A wake bitset matching every waiter. */
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

/** Options of the futex calls. */
export interface FutexOptions extends OpOptions {
  /** The bitset: a wake reaches waiters whose mask shares a bit (default FUTEX_BITSET_MATCH_ANY). */
  mask?: number;
  /** Shared with other processes (the memory is MAP_SHARED): drop FUTEX2_PRIVATE. Default false. */
  shared?: boolean;
}

/** A 32-bit futex word: element 0 of a Uint32Array or Int32Array over NativeMemory. */
export type FutexWord = Uint32Array | Int32Array;

function futexAddress(operation: string, op: Operation, loop: Loop, word: FutexWord): number {
  if (!(word instanceof Uint32Array || word instanceof Int32Array) || word.length < 1) {
    refuse(operation, "the futex word must be a Uint32Array or Int32Array of at least one element");
  }
  if (!NativeMemory.of(word)) {
    refuse(operation, "the futex word must lie in NativeMemory: the kernel watches its address until woken");
  }
  // Pinned until the completion; a u32 view is 4-aligned by construction.
  return op.kernelAddress(loop, word.subarray(0, 1), false);
}

function futexValue(operation: string, v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    refuse(operation, `the expected value must be a 32-bit integer, got ${v}`);
  }
  return v >>> 0;
}

function futexFlags(options: FutexOptions): number {
  return FUTEX2_SIZE_U32 | (options.shared ? 0 : FUTEX2_PRIVATE);
}

/**
 * Waits on a futex (IORING_OP_FUTEX_WAIT, Linux 6.7) while `word[0]` holds `expected`; resolves when woken
 * ({@link futexWake}, FUTEX_WAKE from another thread). Rejects at once with EAGAIN when the word differs.
 *
 * @param loop The loop.
 * @param word The futex word (in NativeMemory; pinned while waiting).
 * @param expected The value to wait on.
 * @param options `mask`, `shared`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const mem = NativeMemory.allocate(4);
 * const word = new Uint32Array(mem.buffer, 0, 1);
 * const waiting = futexWait(loop, word, 0);
 * word[0] = 1;
 * await futexWake(loop, word); // 1
 * await waiting;
 * ```
 */
export function futexWait(loop: Loop, word: FutexWord, expected: number, options: FutexOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("futex_wait", (sqe: Sqe, o) => {
    const addr = futexAddress("futex_wait", o, loop, word);
    prepFutexWait(sqe, addr, futexValue("futex_wait", expected),
      checkU32("futex_wait", options.mask ?? FUTEX_BITSET_MATCH_ANY, "mask"), futexFlags(options), 0);
  }, { keep: word, map: undef }), options);
}

/**
 * Wakes up to `count` waiters of a futex (IORING_OP_FUTEX_WAKE, Linux 6.7) and resolves to how many woke.
 *
 * @param loop The loop.
 * @param word The futex word (in NativeMemory).
 * @param count How many to wake at most (default 1).
 * @param options `mask`, `shared`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await futexWake(loop, word, Infinity); // wake all
 * ```
 */
export function futexWake(loop: Loop, word: FutexWord, count = 1, options: FutexOptions = {}): Promise<number> {
  return run(loop, new PromiseOp("futex_wake", (sqe: Sqe, o) => {
    const addr = futexAddress("futex_wake", o, loop, word);
    const n = count === Infinity ? 0x7fffffff : count;
    if (!Number.isInteger(n) || n < 1) refuse("futex_wake", `count must be a positive integer, got ${count}`);
    prepFutexWake(sqe, addr, n, checkU32("futex_wake", options.mask ?? FUTEX_BITSET_MATCH_ANY, "mask"),
      futexFlags(options), 0);
  }, { keep: word }), options);
}

/** One futex of {@link futexWaitv}. */
export interface FutexWaiter {
  /** The futex word (in NativeMemory). */
  word: FutexWord;
  /** The value to wait on. */
  expected: number;
}

/** sizeof(struct futex_waitv): u64 val, u64 uaddr, u32 flags, u32 __reserved. */
const FUTEX_WAITV_SIZE = 24;

/**
 * Waits on several futexes at once (IORING_OP_FUTEX_WAITV, Linux 6.7) and resolves to the index of the one woken.
 * Rejects with EAGAIN when one of them does not hold its expected value.
 *
 * @param loop The loop.
 * @param waiters Up to 128 futexes and their expected values.
 * @param options `shared`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const which = await futexWaitv(loop, [{ word: a, expected: 0 }, { word: b, expected: 0 }]);
 * ```
 */
export function futexWaitv(loop: Loop, waiters: readonly FutexWaiter[], options: FutexOptions = {}): Promise<number> {
  return run(loop, new PromiseOp("futex_waitv", (sqe: Sqe, o) => {
    if (!Array.isArray(waiters) || waiters.length < 1 || waiters.length > 128) {
      refuse("futex_waitv", "give 1 to 128 futexes");
    }
    const c = o.chunk(loop, waiters.length * FUTEX_WAITV_SIZE);
    waiters.forEach((w, i) => {
      const at = i * FUTEX_WAITV_SIZE;
      putU64(c.view, at, futexValue("futex_waitv", w.expected));
      putU64(c.view, at + 8, futexAddress("futex_waitv", o, loop, w.word));
      c.view.setUint32(at + 16, futexFlags(options), true);
    });
    prepFutexWaitv(sqe, c.address, waiters.length, 0);
  }, { keep: waiters }), options);
}

// ---- waitid -------------------------------------------------------------------------------------------------------

/** waitid idtype: any child. */
export const P_ALL = 0;
/** waitid idtype: the child with this pid. */
export const P_PID = 1;
/** waitid idtype: any child in this process group. */
export const P_PGID = 2;
/** waitid idtype: the child this pidfd refers to (Linux 5.4). */
export const P_PIDFD = 3;
/** waitid option: return at once when no child changed state. */
export const WNOHANG = 0x1;
/** waitid option: report stopped children. */
export const WSTOPPED = 0x2;
/** waitid option: report terminated children. */
export const WEXITED = 0x4;
/** waitid option: report children continued by SIGCONT. */
export const WCONTINUED = 0x8;
/** waitid option: leave the child waitable (a zombie stays a zombie). */
export const WNOWAIT = 0x1000000;
/** siginfo si_code: the child exited (si_status is its exit code). */
export const CLD_EXITED = 1;
/** siginfo si_code: the child was killed (si_status is the signal). */
export const CLD_KILLED = 2;
/** siginfo si_code: the child was killed and dumped core. */
export const CLD_DUMPED = 3;
/** siginfo si_code: a traced child trapped. */
export const CLD_TRAPPED = 4;
/** siginfo si_code: the child stopped (si_status is the signal). */
export const CLD_STOPPED = 5;
/** siginfo si_code: the child continued. */
export const CLD_CONTINUED = 6;

/** The `siginfo_t` fields waitid fills for SIGCHLD. */
export interface WaitidResult {
  /** si_signo: SIGCHLD (17). */
  signo: number;
  /** si_code: CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED ... */
  code: number;
  /** si_pid: the child. */
  pid: number;
  /** si_uid: its real user id. */
  uid: number;
  /** si_status: the exit code (CLD_EXITED) or the signal. */
  status: number;
}

/** sizeof(siginfo_t). */
const SIGINFO_SIZE = 128;

/**
 * Waits for a child process to change state (IORING_OP_WAITID, Linux 6.7), as waitid(2); resolves to the parsed
 * `siginfo_t`, or null with WNOHANG when no child had changed state. The siginfo lives in an arena chunk.
 *
 * @param loop The loop.
 * @param idtype P_PID, P_PGID, P_PIDFD or P_ALL.
 * @param id The pid, process group or pidfd (ignored for P_ALL).
 * @param waitOptions WEXITED (default), WSTOPPED, WCONTINUED, optionally WNOHANG and WNOWAIT.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const info = await waitid(loop, P_PID, child.pid, WEXITED);
 * if (info?.code === CLD_EXITED) console.log("exit code", info.status);
 * ```
 */
export function waitid(
  loop: Loop, idtype: number, id: number, waitOptions = WEXITED, options: OpOptions = {},
): Promise<WaitidResult | null> {
  let info: import("../loop/_arena.ts").Chunk;
  return run(loop, new PromiseOp<WaitidResult | null>("waitid", (sqe: Sqe, o) => {
    checkU32("waitid", idtype, "idtype");
    checkU32("waitid", id, "id");
    info = o.chunk(loop, SIGINFO_SIZE);
    prepWaitid(sqe, idtype, id, info.address, checkU32("waitid", waitOptions, "waitOptions"), 0);
  }, {
    map: () => {
      const v = info.view;
      const pid = v.getInt32(16, true);
      if (pid === 0) return null; // WNOHANG and nothing to report: the kernel zeroed si_pid
      return { signo: v.getInt32(0, true), code: v.getInt32(8, true), pid, uid: v.getUint32(20, true),
        status: v.getInt32(24, true) };
    },
  }), options);
}

// ---- epoll --------------------------------------------------------------------------------------------------------

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
 * data).
 */
export const EPOLL_EVENT_SIZE = (globalThis as { process?: { arch?: string } }).process?.arch === "x64" ? 12 : 16;
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
  }, { map: undef }), options);
}

/**
 * Waits for events on an epoll set (IORING_OP_EPOLL_WAIT, Linux 6.15) and resolves to them (at least one). The
 * event array lives in an arena chunk.
 *
 * @param loop The loop.
 * @param epfd The epoll instance.
 * @param maxEvents The most events to return (default 64, at most 65536 / 12).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * for (const { events, data } of await epollWait(loop, epfd)) handle(data, events);
 * ```
 */
export function epollWait(loop: Loop, epfd: number, maxEvents = 64, options: OpOptions = {}): Promise<EpollEvent[]> {
  let out: import("../loop/_arena.ts").Chunk;
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

// ---- Legacy provided buffers ------------------------------------------------------------------------------------

/** The most buffers one group holds (MAX_BIDS_PER_BGID). */
const MAX_BIDS = 1 << 16;

// Memory handed to the kernel as provided buffers stays pinned until the group is emptied by removeBuffers or the
// ring closes: the kernel may write into any of it whenever a request picks a buffer.
const providedPins = new WeakMap<Loop, Map<number, NativeMemory[]>>();

function pinsOf(loop: Loop): Map<number, NativeMemory[]> {
  let m = providedPins.get(loop);
  if (!m) {
    const groups = new Map<number, NativeMemory[]>();
    m = groups;
    providedPins.set(loop, groups);
    loop.ring.onClose(() => {
      // A request the loop gave up on (uncancellable at close) may still pick a buffer: keep the memory for good.
      if (loop.leakedOperations > 0) return;
      for (const list of groups.values()) for (const mem of list) mem.unpin();
      groups.clear();
    });
  }
  return m;
}

/** Options of {@link provideBuffers}. */
export interface ProvideBuffersOptions extends OpOptions {
  /** The size of each buffer in bytes. */
  size: number;
  /** How many buffers (default: as many as fit in the view). */
  count?: number;
  /** The buffer group id (0-65535). */
  group: number;
  /** The id of the first buffer (default 0); the others follow. */
  startId?: number;
}

/**
 * Hands `count` buffers of `size` bytes, back to back in `memory`, to buffer group `group` with ids `startId`,
 * `startId + 1`, ... (IORING_OP_PROVIDE_BUFFERS, Linux 5.7). A request with IOSQE_BUFFER_SELECT and this group then
 * picks one and reports its id in the CQE flags (`cqeBufferId`). The memory must be NativeMemory; it stays pinned
 * until {@link removeBuffers} empties the group or the ring closes. Buffer rings (`registerBufRing`) are faster.
 *
 * @param loop The loop.
 * @param memory A view of NativeMemory holding the buffers.
 * @param options `size`, `count`, `group`, `startId`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const pool = NativeMemory.allocate(16 * 4096);
 * await provideBuffers(loop, pool.bytes, { size: 4096, group: 1 });
 * ```
 */
export function provideBuffers(loop: Loop, memory: ArrayBufferView, options: ProvideBuffersOptions): Promise<void> {
  const mem = ArrayBuffer.isView(memory) ? NativeMemory.of(memory) : undefined;
  return run(loop, new PromiseOp<void>("provide_buffers", (sqe: Sqe, o) => {
    if (!mem) refuse("provide_buffers", "the buffers must lie in NativeMemory: the kernel writes them at any time");
    const { size, group } = options ?? {};
    if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) refuse("provide_buffers", "size must be >= 1");
    const count = options.count ?? Math.floor(memory.byteLength / size);
    const startId = options.startId ?? 0;
    if (!Number.isInteger(group) || group < 0 || group > 0xffff) refuse("provide_buffers", "group must be a u16");
    if (!Number.isInteger(count) || count < 1 || count > MAX_BIDS) {
      refuse("provide_buffers", `count must be 1-${MAX_BIDS}, got ${count}`);
    }
    if (!Number.isInteger(startId) || startId < 0 || startId + count > MAX_BIDS) {
      refuse("provide_buffers", `buffer ids must stay below ${MAX_BIDS}`);
    }
    if (count * size > memory.byteLength) {
      refuse("provide_buffers", `${count} buffers of ${size} bytes do not fit in ${memory.byteLength} bytes`);
    }
    prepProvideBuffers(sqe, o.kernelAddress(loop, memory, true), size, count, group, startId);
  }, {
    map: () => {
      // The kernel now holds the memory beyond this request: pin it for the group's lifetime.
      mem!.pin();
      const groups = pinsOf(loop);
      const list = groups.get(options.group) ?? [];
      list.push(mem!);
      groups.set(options.group, list);
    },
  }), options);
}

/**
 * Takes up to `count` unused buffers back from group `group` (IORING_OP_REMOVE_BUFFERS, Linux 5.7) and resolves to
 * how many were removed; rejects with ENOENT when the group has none. When fewer than `count` come back the group
 * is empty and the memory given to it is unpinned.
 *
 * @param loop The loop.
 * @param group The buffer group id.
 * @param count The most to remove (default 65536: all).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const n = await removeBuffers(loop, 1);
 * ```
 */
export function removeBuffers(loop: Loop, group: number, count = MAX_BIDS, options: OpOptions = {}): Promise<number> {
  const release = () => {
    const groups = pinsOf(loop);
    const list = groups.get(group) ?? [];
    groups.delete(group);
    // The group is empty, but a request may have picked a buffer before and still fill it (a read blocking in
    // io-wq): the memory is let go once no BUFFER_SELECT request of this group is in flight.
    loop.whenGroupIdle(group, () => {
      for (const mem of list) mem.unpin();
    });
  };
  const removed = run(loop, new PromiseOp("remove_buffers", (sqe: Sqe) => {
    if (!Number.isInteger(group) || group < 0 || group > 0xffff) refuse("remove_buffers", "group must be a u16");
    if (!Number.isInteger(count) || count < 1 || count > MAX_BIDS) {
      refuse("remove_buffers", `count must be 1-${MAX_BIDS}`);
    }
    prepRemoveBuffers(sqe, count, group);
  }, {
    map: (res) => {
      if (res < count) release();
      return res;
    },
  }), options);
  // ENOENT: the group holds no buffer at all, so none of its memory is in the kernel's hands either.
  return removed.catch((e) => {
    if ((e as { code?: string }).code === "ENOENT") release();
    throw e;
  });
}
