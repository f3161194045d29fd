/**
 * Timeouts in the kernel on a {@link Loop}: `timeout` (IORING_OP_TIMEOUT) relative or absolute, on the monotonic,
 * boot-time or wall clock, optionally completing after a count of other completions; `submitTimeout`, whose
 * returned operation is the handle `timeoutRemove` and `timeoutUpdate` take.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * const loop = new Loop();
 * console.log(await timeout(loop, 10)); // "expired"
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type Operation, type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run, start } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { checkU32 } from "../core/_validate.ts";
import { ETIME } from "../abi/errno.ts";
import { writeTimespec } from "../abi/timespec.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepTimeout, prepTimeoutRemove, prepTimeoutUpdate } from "../prep/timeout.ts";
import { IORING_TIMEOUT_ABS, IORING_TIMEOUT_BOOTTIME, IORING_TIMEOUT_REALTIME } from "../abi/uapi.ts";

/** sizeof(struct __kernel_timespec). */
const TIMESPEC_SIZE = 16;

/** Which clock a timeout runs on. */
export type TimeoutClock = "monotonic" | "boottime" | "realtime";

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /** Also complete once this many other requests have completed (resolving `"count"`); 0 (default): time only. */
  count?: number | undefined;
  /** `ms` is an absolute time on the clock (IORING_TIMEOUT_ABS, Linux 5.5), in milliseconds. */
  absolute?: boolean | undefined;
  /**
   * The clock: `"monotonic"` (default), `"boottime"` (counts suspend, IORING_TIMEOUT_BOOTTIME, Linux 5.15) or
   * `"realtime"` (wall clock: with `absolute`, `ms` is like `Date.now()`; IORING_TIMEOUT_REALTIME, Linux 5.15).
   */
  clock?: TimeoutClock | undefined;
  /** Aborting removes the timeout; the promise rejects with an `AbortError`. */
  signal?: AbortSignal | undefined;
}

/** Options of {@link timeoutUpdate}. */
export interface TimeoutUpdateOptions extends OpOptions {
  /** The new time is absolute on the clock. */
  absolute?: boolean | undefined;
  /** The clock the new time is on (see {@link TimeoutOptions}). */
  clock?: TimeoutClock | undefined;
}

/** How a timeout ended: its time passed (`"expired"`, -ETIME), or `count` completions happened first (`"count"`). */
export type TimeoutResult = "expired" | "count";

/** A timeout whose expiry (-ETIME) is its normal result. */
class TimeoutOp extends PromiseOp<TimeoutResult> {
  override complete(res: number, flags: number, more: boolean): void {
    super.complete(res === -ETIME ? 1 : res, flags, more);
  }
}

/** Writes a `struct __kernel_timespec` for `ms` milliseconds (fractions down to nanoseconds). */
function putTimespec(v: DataView, at: number, ms: number, operation: string): void {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    refuse(operation, `the time must be a finite number of milliseconds >= 0, got ${ms}`);
  }
  const sec = Math.floor(ms / 1000);
  writeTimespec(v, at, sec, Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6)));
}

function clockFlags(operation: string, options: { absolute?: boolean | undefined; clock?: TimeoutClock | undefined }): number {
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
 * @returns The timeout operation.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const t = submitTimeout(loop, 1000);
 * await timeoutUpdate(loop, t, 10); // now expires in 10 ms
 * ```
 */
export function submitTimeout(loop: Loop, ms: number, options: TimeoutOptions = {}): PromiseOp<TimeoutResult> {
  const count = options.count ?? 0;
  const op = new TimeoutOp("timeout", (sqe: Sqe, o) => {
    checkU32("timeout", count, "count");
    const flags = clockFlags("timeout", options);
    const ts = o.chunk(loop, TIMESPEC_SIZE);
    putTimespec(ts.view, 0, ms, "timeout");
    prepTimeout(sqe, ts.address, count, flags);
  }, { map: (res) => res === 1 ? "expired" : "count" });
  return start(loop, op, options.signal === undefined ? undefined : { signal: options.signal });
}

/**
 * Waits `ms` milliseconds in the kernel (IORING_OP_TIMEOUT, Linux 5.4), or until `count` other requests have
 * completed; resolves to `"expired"` or `"count"`.
 *
 * @param loop The loop.
 * @param ms Milliseconds from now, or the absolute time with `absolute`.
 * @param options `count`, `absolute`, `clock`, `signal`.
 * @returns How the timeout ended.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
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
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const t = submitTimeout(loop, 60_000);
 * await timeoutRemove(loop, t);
 * ```
 */
export function timeoutRemove(loop: Loop, target: Operation, options: OpOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("timeout_remove", (sqe: Sqe) => prepTimeoutRemove(sqe, target.userData, 0), {
    map: () => undefined,
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
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const t = submitTimeout(loop, 60_000);
 * await timeoutUpdate(loop, t, 5);
 * ```
 */
export function timeoutUpdate(
  loop: Loop, target: Operation, ms: number, options: TimeoutUpdateOptions = {},
): Promise<void> {
  return run(loop, new PromiseOp<void>("timeout_update", (sqe: Sqe, o) => {
    const flags = clockFlags("timeout_update", options);
    const ts = o.chunk(loop, TIMESPEC_SIZE);
    putTimespec(ts.view, 0, ms, "timeout_update");
    prepTimeoutUpdate(sqe, ts.address, target.userData, flags);
  }, { map: () => undefined }), options);
}
