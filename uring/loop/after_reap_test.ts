import assert from "node:assert/strict";
import { forEachBackend } from "../../testing/mod.ts";
import type { Loop } from "./loop.ts";
import { Operation, OpState } from "./operation.ts";
import { prepNop } from "../prep/nop.ts";
import { prepTimeout } from "../prep/timeout.ts";
import type { Sqe } from "../ring/sqe.ts";
import { NativeMemory } from "../core/memory.ts";
import { writeTimespec } from "../abi/mod.ts";

/** A NOP whose completions are handled the callback way: recorded in complete(), acted on after the reap. */
class CallbackNop extends Operation {
  constructor(private readonly owner: Batch) {
    super();
  }
  prep(sqe: Sqe): void {
    prepNop(sqe);
  }
  complete(res: number): void {
    this.owner.completed(res);
  }
  drop(): void {}
}

/** Submits NOPs; after each reap, counts what the reap delivered and submits the next round from there. */
class Batch {
  readonly ops: CallbackNop[];
  delivered = 0;
  queued = false;
  /** What each run of the task saw: CQEs delivered so far, and whether the loop was still inside the reap. */
  readonly runs: number[] = [];
  rounds = 0;
  private readonly loop: Loop;
  private readonly done: () => void;

  constructor(loop: Loop, size: number, rounds: number, done: () => void) {
    this.loop = loop;
    this.ops = Array.from({ length: size }, () => new CallbackNop(this));
    this.rounds = rounds;
    this.done = done;
  }

  submitAll(): void {
    for (const op of this.ops) {
      op.state = OpState.Idle; // reused, as the connection core reuses its requests
      this.loop.submit(op);
    }
  }

  completed(res: number): void {
    assert.equal(res, 0);
    this.delivered++;
    if (this.queued) return;
    this.queued = true;
    this.loop.runAfterReap(this);
  }

  afterReap(): void {
    this.queued = false;
    this.runs.push(this.delivered);
    // Submitting here is allowed (it is not inside the reap): the next round goes in with the next enter.
    if (this.delivered % this.ops.length === 0 && --this.rounds > 0) this.submitAll();
    else if (this.rounds === 0) this.done();
  }
}

/** A timeout handled the callback way (no promise, as the server core's requests): `then` runs after the reap. */
class CallbackTimeout extends Operation {
  private res = 0;
  constructor(private readonly loop: Loop, private readonly ts: number, private readonly then: (res: number) => void) {
    super();
    this.wakesContinuations = false;
  }
  prep(sqe: Sqe): void {
    prepTimeout(sqe, this.ts, 0, 0);
  }
  complete(res: number): void {
    this.res = res;
    this.loop.runAfterReap(this);
  }
  afterReap(): void {
    this.then(this.res);
  }
  drop(): void {}
}

/** A `struct __kernel_timespec` of `ns` nanoseconds in native memory. */
function timespec(ns: number): NativeMemory {
  const m = NativeMemory.allocate(16);
  writeTimespec(new DataView(m.buffer), 0, Math.floor(ns / 1e9), ns % 1e9);
  return m;
}

forEachBackend((be) => {
  for (const mode of ["integrated", "owning"] as const) {
    be.test(`${mode}: runAfterReap runs a task once the reap delivered every CQE, and the task may submit`, async () => {
      const loop = be.loop({ mode });
      try {
        const run = () =>
          new Promise<Batch>((resolve) => {
            const b: Batch = new Batch(loop, 16, 5, () => resolve(b));
            b.submitAll();
          });
        const b = mode === "owning" ? await loop.run(run) : await run();
        assert.equal(b.delivered, 80, "five rounds of 16");
        // NOPs complete inline at submit: each round's 16 CQEs are reaped together, and the task runs after all.
        for (const seen of b.runs) assert.equal(seen % 16, 0, `the task saw ${seen} CQEs: it ran inside a reap`);
        assert.equal(loop.stats.inFlight, 0);
      } finally {
        await loop.close();
      }
    });
  }

  be.test("runAfterReap called outside a reap runs the task in a microtask, once per call", async () => {
    const loop = be.loop();
    try {
      let runs = 0;
      const task = { afterReap: () => void runs++ };
      loop.runAfterReap(task);
      loop.runAfterReap(task);
      assert.equal(runs, 0, "not at once");
      await null;
      await null;
      assert.equal(runs, 2);
    } finally {
      await loop.close();
    }
  });
});

forEachBackend((be) => {
  // After callback-level completions the owning loop blocks again after microtask hops, not a macrotask: a request
  // that an await chain started by a callback submits must still go in before it blocks (a long timeout keeps it
  // blocking here; a request left behind would wait for that wait's 100 ms bound, 40 times).
  be.test("owning: what an await resumed by a callback submits goes in before the loop blocks again", async () => {
    const loop = be.loop({ mode: "owning" });
    const short = timespec(200_000);
    const long = timespec(30e9);
    try {
      let elapsed = 0;
      await loop.run(async () => {
        const guard = loop.submit(new CallbackTimeout(loop, long.address, () => {}));
        const t0 = performance.now();
        for (let i = 0; i < 40; i++) {
          const res = await new Promise<number>((resolve) => {
            loop.submit(new CallbackTimeout(loop, short.address, resolve));
          });
          assert.equal(res, -62, "ETIME");
        }
        elapsed = performance.now() - t0;
        loop.cancel(guard);
      });
      assert.ok(elapsed < 2000, `40 timeouts of 0.2 ms took ${elapsed.toFixed(0)} ms: requests waited for the wait's bound`);
    } finally {
      await loop.close();
      short.free();
      long.free();
    }
  });
});
