/**
 * Multishot requests on the real kernel, through a raw operation that records every CQE: a multishot poll and a
 * multishot timeout post several CQEs, IORING_CQE_F_MORE on all but the last.
 */
import assert from "node:assert/strict";
import { it, makePipe, readText as read, withLoop, writeText as write } from "../../testing/mod.ts";
import type { Loop } from "../loop/loop.ts";
import { Operation } from "../loop/operation.ts";
import { ECANCELED, ETIME } from "../abi/errno.ts";
import type { Sqe } from "../ring/sqe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { prepPollMultishot } from "../prep/poll.ts";
import { prepTimeout } from "../prep/timeout.ts";
import { writeTimespecNs } from "../abi/timespec.ts";
import { IORING_CQE_F_MORE, IORING_TIMEOUT_MULTISHOT } from "../abi/uapi.ts";
import { POLLIN } from "./mod.ts";

const since = (major: number, minor: number, what: string) =>
  !kernelVersionAtLeast(major, minor) && `${what} needs Linux ${major}.${minor}`;

/** A raw operation that records every CQE it gets (multishot requests, whose CQEs PromiseOp would ignore). */
class Recorder extends Operation {
  readonly cqes: { res: number; flags: number }[] = [];
  readonly done: Promise<void>;
  private resolve!: () => void;
  private waiters: (() => void)[] = [];
  constructor(private readonly fn: (sqe: Sqe, op: Operation) => void) {
    super();
    this.done = new Promise((r) => (this.resolve = r));
  }
  prep(sqe: Sqe): void {
    this.fn(sqe, this);
  }
  complete(res: number, flags: number, more: boolean): void {
    this.cqes.push({ res, flags });
    for (const w of this.waiters.splice(0)) w();
    if (!more) this.resolve();
  }
  drop(): void {
    this.resolve();
  }
  /** Resolves once `n` CQEs have arrived (or rejects after `ms`). */
  async count(n: number, ms = 2000): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.cqes.length < n) {
      if (performance.now() > deadline) throw new Error(`only ${this.cqes.length} of ${n} CQEs arrived`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

/** A `struct __kernel_timespec` of `ms` milliseconds in an arena chunk of `op`. */
function ts(op: Operation, loop: Loop, ms: number): number {
  const c = op.chunk(loop, 16);
  writeTimespecNs(c.view, 0, ms * 1e6);
  return c.address;
}

it("multishot poll (IORING_POLL_ADD_MULTI) posts a CQE with F_MORE each time the pipe becomes readable", false, () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    const op = loop.submit(new Recorder((sqe) => prepPollMultishot(sqe, r, POLLIN)));
    for (let i = 1; i <= 3; i++) {
      write(w, "x");
      await op.count(i);
      assert.equal(read(r), "x");
    }
    assert.equal(op.cqes.length, 3);
    for (const c of op.cqes) {
      assert.equal(c.res & POLLIN, POLLIN);
      assert.ok(c.flags & IORING_CQE_F_MORE, "still armed");
    }
    loop.cancel(op);
    await op.done;
    const last = op.cqes.at(-1)!;
    assert.equal(last.res, -ECANCELED, "the final CQE is the cancellation");
    assert.equal(last.flags & IORING_CQE_F_MORE, 0);
  }));

it("multishot timeout (IORING_TIMEOUT_MULTISHOT) ticks N times, F_MORE on all but the last",
  since(6, 4, "IORING_TIMEOUT_MULTISHOT"), () =>
    withLoop(async (loop) => {
      const t0 = performance.now();
      const op = loop.submit(new Recorder((sqe, o) => prepTimeout(sqe, ts(o, loop, 10), 4, IORING_TIMEOUT_MULTISHOT)));
      await op.done;
      const ms = performance.now() - t0;
      assert.deepEqual(op.cqes.map((c) => [c.res, c.flags & IORING_CQE_F_MORE]),
        [[-ETIME, IORING_CQE_F_MORE], [-ETIME, IORING_CQE_F_MORE], [-ETIME, IORING_CQE_F_MORE], [-ETIME, 0]]);
      assert.ok(ms >= 35 && ms < 2000, `4 ticks of 10 ms took ${ms} ms`);
    }));
