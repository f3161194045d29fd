/**
 * Plain operations for the loop's tests (uring/loop): a NOP and a TIMEOUT built straight on PromiseOp, and the
 * check that a per-operation timeout (a linked IORING_OP_LINK_TIMEOUT) rejects the slow one and spares the quick.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Loop } from "../uring/loop/loop.ts";
import { PromiseOp } from "../uring/loop/operation.ts";
import { prepNop } from "../uring/prep/nop.ts";
import { prepTimeout } from "../uring/prep/timeout.ts";
import type { Sqe } from "../uring/ring/sqe.ts";

/**
 * A TIMEOUT operation of `ms` milliseconds (completes with -ETIME); its timespec lives in the operation's chunk.
 *
 * @example
 * ```ts
 * import type { Loop } from "../uring/loop/loop.ts";
 * declare const loop: Loop;
 *
 * await loop.submit(timeoutOp(loop, 5)).promise.catch(() => {}); // -ETIME rejects
 * ```
 */
export function timeoutOp(loop: Loop, ms: number): PromiseOp {
  return new PromiseOp("timeout", (sqe: Sqe, op) => {
    const ts = op.chunk(loop, 16);
    ts.view.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
    ts.view.setBigInt64(8, BigInt((ms % 1000) * 1e6), true);
    prepTimeout(sqe, ts.address, 0, 0);
  });
}

/**
 * A NOP operation (completes with 0).
 *
 * @example
 * ```ts
 * import type { Loop } from "../uring/loop/loop.ts";
 * declare const loop: Loop;
 *
 * console.log(await loop.submit(nopOp()).promise); // 0
 * ```
 */
export function nopOp(): PromiseOp {
  return new PromiseOp("nop", (sqe) => prepNop(sqe));
}

/**
 * Checks per-operation timeouts on `loop`: a 10 s TIMEOUT given 20 ms rejects with a TimeoutError after about
 * that, and a NOP given 1 s beats its timeout and resolves normally.
 *
 * @example
 * ```ts
 * import type { Loop } from "../uring/loop/loop.ts";
 * declare const loop: Loop;
 *
 * await checkOperationTimeouts(loop);
 * ```
 */
export async function checkOperationTimeouts(loop: Loop): Promise<void> {
  const op = timeoutOp(loop, 10_000);
  op.timeoutNs = 20e6;
  loop.submit(op);
  const t0 = performance.now();
  await assert.rejects(op.promise, (e: Error) => e.name === "TimeoutError");
  const ms = performance.now() - t0;
  assert.ok(ms >= 15 && ms < 5000, `timed out after ${ms} ms`);
  const quick = nopOp();
  quick.timeoutNs = 1e9;
  assert.equal(await loop.submit(quick).promise, 0);
}
