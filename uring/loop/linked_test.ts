/**
 * Operations that write a linked chain of SQEs (sqeCount > 1) and end with their last member's CQE (cqesLeft).
 */
import assert from "node:assert/strict";
import { forEachBackend } from "../../testing/mod.ts";
import { UringError } from "../core/errors.ts";
import { prepNop } from "../prep/nop.ts";
import { type Sqe, sqeAddFlags } from "../ring/sqe.ts";
import { IOSQE_IO_LINK } from "../abi/uapi.ts";
import { type OpHost, PromiseOp } from "./operation.ts";

/** A chain of `n` linked NOPs that records every CQE it is given; `failAt` makes prepLinked throw there. */
class NopChain extends PromiseOp<number[]> {
  readonly seen: number[] = [];
  constructor(n: number, private readonly failAt = -1) {
    super("nop chain", () => {}, { map: (_r, _f, op) => (op as unknown as NopChain).seen });
    this.sqeCount = n;
    this.cqesLeft = n;
  }
  override prep(sqe: Sqe): void {
    prepNop(sqe);
    if (this.sqeCount > 1) sqeAddFlags(sqe, IOSQE_IO_LINK);
  }
  override prepLinked(index: number, sqe: Sqe, _loop: OpHost): void {
    if (index === this.failAt) throw new Error("prep failed on purpose");
    prepNop(sqe);
    if (index < this.sqeCount - 1) sqeAddFlags(sqe, IOSQE_IO_LINK);
  }
  override complete(res: number, flags: number, more: boolean): void {
    this.seen.push(res);
    if (!more) super.complete(0, flags, false);
  }
}

forEachBackend((b) => {
  b.test("a chain of linked SQEs settles once, after the CQE of its last member", async () => {
    await b.withLoop(async (loop) => {
      const results = await Promise.all(Array.from({ length: 20 }, () => loop.submit(new NopChain(3)).promise));
      for (const r of results) assert.deepEqual(r, [0, 0, 0]);
      assert.equal(loop.stats.inFlight, 0);
      assert.equal(loop.stats.stale, 0);
    });
  });

  b.test("chains wait whole for room on a small SQ, and never split across submissions", async () => {
    await b.withLoop(async (loop) => {
      const results = await Promise.all(Array.from({ length: 50 }, () => loop.submit(new NopChain(3)).promise));
      assert.equal(results.length, 50);
      for (const r of results) assert.deepEqual(r, [0, 0, 0]);
      assert.equal(loop.stats.stale, 0);
    }, { entries: 4 });
  });

  b.test("a chain whose prep fails midway is dropped whole: its SQEs become ignored NOPs", async () => {
    await b.withLoop(async (loop) => {
      const ignored = loop.stats.ignored;
      await assert.rejects(loop.submit(new NopChain(3, 2)).promise, /prep failed on purpose/);
      assert.deepEqual(await loop.submit(new NopChain(3)).promise, [0, 0, 0]);
      assert.equal(loop.stats.ignored - ignored, 3, "all three SQEs ran as ignored NOPs");
      assert.equal(loop.stats.inFlight, 0);
    });
  });

  b.test("chains that cannot fit the SQ, or carry a per-operation timeout, are refused", async () => {
    await b.withLoop(async (loop) => {
      assert.throws(() => loop.submit(new NopChain(5)), (e: unknown) => e instanceof UringError && /does not fit/.test(e.message));
      const timed = new NopChain(2);
      timed.timeoutNs = 1_000_000;
      assert.throws(() => loop.submit(timed), (e: unknown) => e instanceof UringError && /timeout/.test(e.message));
    }, { entries: 4 });
  });
});
