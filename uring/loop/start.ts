/**
 * The one path by which a promise operation starts: its timeout and AbortSignal are applied, it is submitted, and
 * anything that goes wrong before the kernel sees it (a closed loop, an aborted signal, bad input found by the
 * builder or by prep) rejects its promise instead of throwing, so a caller has one failure path.
 *
 * Every promise-returning call of the library (`read`, `send`, `openat` ...) goes through {@link run}. They are
 * public so that an operation of your own (a {@link PromiseOp} over a prep helper the library does not wrap) takes
 * the same {@link OpOptions} and fails the same way; `loop.submit(op)` alone ignores `signal` and `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop, type OpOptions, PromiseOp, run } from "ringside-uring/loop";
 * import { prepFsync } from "ringside-uring/prep";
 * import { IORING_FSYNC_DATASYNC } from "ringside-uring/abi";
 * declare const fd: number;
 *
 * // fdatasync(2) as a promise, with the options every call takes.
 * function fdatasync(loop: Loop, fd: number, options?: OpOptions): Promise<number> {
 *   return run(loop, () => new PromiseOp("fdatasync", (sqe) => prepFsync(sqe, fd, IORING_FSYNC_DATASYNC)), options);
 * }
 *
 * const loop = new Loop();
 * await fdatasync(loop, fd, { timeoutMs: 1000 });
 * await loop.close();
 * ```
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import type { Loop } from "./loop.ts";
import { domError, type OpOptions, OpState, type PromiseOp } from "./operation.ts";

// PromiseOp<T> is invariant in T (it both takes and gives T): `start` accepts any of them.
// deno-lint-ignore no-explicit-any
type AnyPromiseOp = PromiseOp<any>;

/**
 * Submits `op` with the options every call takes and returns it (never throws); its promise settles exactly once.
 * A `timeoutMs` becomes a linked timeout in the kernel (IORING_OP_LINK_TIMEOUT), rejecting with a `TimeoutError`;
 * aborting `signal` cancels the operation (IORING_OP_ASYNC_CANCEL), rejecting with an `AbortError`. A bad
 * `timeoutMs`, an aborted signal, a closed loop or a prep that throws reject the promise instead. The signal is
 * bound only while the operation is queued or in flight, so an operation that failed at once leaves no listener.
 * Use it rather than {@link run} when the operation itself is needed (to read fields its map set, say).
 *
 * @param loop The loop.
 * @param op A fresh operation (never submitted).
 * @param options `signal` and `timeoutMs` (`Infinity` or absent: none).
 * @returns `op`.
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp } from "ringside-uring/loop";
 * import { prepNop } from "ringside-uring/prep";
 *
 * const loop = new Loop();
 * const op = start(loop, new PromiseOp("nop", (sqe) => prepNop(sqe)), { timeoutMs: 100 });
 * await op.promise;
 * await loop.close();
 * ```
 */
export function start<O extends AnyPromiseOp>(loop: Loop, op: O, options: OpOptions | undefined): O {
  const signal = options?.signal;
  try {
    const ms = options?.timeoutMs;
    if (ms !== undefined && ms !== Infinity) {
      if (typeof ms !== "number" || !(ms > 0)) {
        refuse(op.name, `timeoutMs must be a positive number of milliseconds, got ${ms}`);
      }
      op.timeoutNs = Math.max(1, Math.round(ms * 1e6));
    }
    if (signal?.aborted) throw domError("AbortError", `The ${op.name} was aborted`, signal.reason);
    if (loop.callerStacks) op.callerStack = new Error("started here");
    loop.submit(op);
  } catch (e) {
    if (op.state !== OpState.Done) {
      op.state = OpState.Done;
      op.drop(e instanceof Error ? e : new Error(String(e)));
    }
    return op;
  }
  // Bound after submit: a prep that throws settles the operation at once, and must not leave a listener behind.
  if (signal && (op.state === OpState.Queued || op.state === OpState.InFlight)) op.bindSignal(loop, signal);
  return op;
}

/**
 * {@link start}, returning the promise: how a promise-returning call is written. `op` may be a function that builds
 * the operation: what it throws (bad input found by a check) becomes the rejection, so the call never throws.
 *
 * @param loop The loop.
 * @param op A fresh operation, or a function that builds one.
 * @param options `signal` and `timeoutMs` (see {@link start}).
 * @returns The operation's promise.
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp } from "ringside-uring/loop";
 * import { prepNop } from "ringside-uring/prep";
 *
 * const loop = new Loop();
 * const signal = AbortSignal.timeout(1000);
 * await run(loop, () => new PromiseOp("nop", (sqe) => prepNop(sqe)), { signal });
 * await loop.close();
 * ```
 */
export function run<T>(
  loop: Loop,
  op: PromiseOp<T> | (() => PromiseOp<T>),
  options: OpOptions | undefined,
): Promise<T> {
  if (typeof op === "function") {
    try {
      op = op();
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return start(loop, op, options).promise;
}
