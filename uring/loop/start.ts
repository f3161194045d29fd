/**
 * The one path by which a promise operation starts: its timeout and AbortSignal are applied, it is submitted, and
 * anything that goes wrong before the kernel sees it (a closed loop, an aborted signal, bad input found by the
 * builder or by prep) rejects its promise instead of throwing, so a caller has one failure path.
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import type { Loop } from "./loop.ts";
import { domError, OpState, type OpOptions, type PromiseOp } from "./operation.ts";

// PromiseOp<T> is invariant in T (it both takes and gives T): `start` accepts any of them.
// deno-lint-ignore no-explicit-any
type AnyPromiseOp = PromiseOp<any>;

/**
 * Submits `op` with the options every call takes and returns it; its promise settles exactly once. The signal is
 * bound only while the operation is queued or in flight, so an operation that failed at once leaves no listener.
 *
 * @param loop The loop.
 * @param op A fresh operation.
 * @param options `signal` and `timeoutMs` (`Infinity` or absent: none).
 * @returns `op`.
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp, prepNop } from "../../mod.ts";
 * import { start } from "./start.ts";
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
      if (typeof ms !== "number" || !(ms > 0)) refuse(op.name, `timeoutMs must be a positive number of milliseconds, got ${ms}`);
      op.timeoutNs = Math.max(1, Math.round(ms * 1e6));
    }
    if (signal?.aborted) throw domError("AbortError", `The ${op.name} was aborted`, signal.reason);
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
 * {@link start}, returning the promise. `op` may be a function that builds the operation: what it throws (bad
 * input) becomes the rejection.
 *
 * @param loop The loop.
 * @param op A fresh operation, or a function that builds one.
 * @param options `signal` and `timeoutMs`.
 * @returns The operation's promise.
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp, prepNop } from "../../mod.ts";
 * import { run } from "./start.ts";
 * const loop = new Loop();
 * await run(loop, () => new PromiseOp("nop", (sqe) => prepNop(sqe)), undefined);
 * await loop.close();
 * ```
 */
export function run<T>(loop: Loop, op: PromiseOp<T> | (() => PromiseOp<T>), options: OpOptions | undefined): Promise<T> {
  if (typeof op === "function") {
    try {
      op = op();
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return start(loop, op, options).promise;
}
