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

/** A NOP handled the callback way whose completion calls `then` at once (it only submits: no user code). */
class CallbackNopThen extends Operation {
  constructor(private readonly then: () => void) {
    super();
    this.wakesContinuations = false;
  }
  prep(sqe: Sqe): void {
    prepNop(sqe);
  }
  complete(): void {
    this.then();
  }
  drop(): void {}
}

/** `depth` nested async calls with no I/O: an await chain that many hops deep. */
async function deep(depth: number): Promise<void> {
  if (depth > 0) await deep(depth - 1);
}

/** Callback-level traffic: a 0.3 ms timeout resubmitted from its own completion until `stop()`. */
function traffic(loop: Loop, ts: number): { stop(): void; count(): number } {
  let stopped = false;
  let n = 0;
  const again = () => {
    n++;
    if (!stopped) loop.submit(new CallbackTimeout(loop, ts, again));
  };
  loop.submit(new CallbackTimeout(loop, ts, again));
  return { stop: () => void (stopped = true), count: () => n };
}

forEachBackend((be) => {
  // After callback-level completions the owning loop blocks again after microtask hops, not a macrotask, for at most
  // 1 ms: a request that an await chain started by a callback submits must not wait for the wait's 100 ms bound (a
  // long timeout keeps the loop blocking here), however deep the chain, and timers and microtasks must not starve
  // while callback-level completions keep coming.
  be.test("owning: what an await chain resumed by a callback submits goes in before the loop blocks for long", async () => {
    const loop = be.loop({ mode: "owning" });
    const short = timespec(200_000);
    const long = timespec(30e9);
    try {
      const elapsed: number[] = [];
      await loop.run(async () => {
        const guard = loop.submit(new CallbackTimeout(loop, long.address, () => {}));
        for (const depth of [0, 8]) {
          const t0 = performance.now();
          for (let i = 0; i < 60; i++) {
            const res = await new Promise<number>((resolve) => {
              loop.submit(new CallbackTimeout(loop, short.address, resolve));
            });
            assert.equal(res, -62, "ETIME");
            await deep(depth);
          }
          elapsed.push(performance.now() - t0);
        }
        loop.cancel(guard);
      });
      const [shallow, deeper] = elapsed as [number, number];
      assert.ok(shallow < 1500, `60 timeouts of 0.2 ms took ${shallow.toFixed(0)} ms`);
      // A chain deeper than the hops makes one short wait run out; then the loop keeps to macrotasks, and the other
      // round trips cost what the shallow ones do (60 ms more would be a millisecond each).
      assert.ok(
        deeper < 2 * shallow + 30,
        `60 timeouts behind a chain 8 deep took ${deeper.toFixed(0)} ms, ${shallow.toFixed(0)} ms without it`,
      );
    } finally {
      await loop.close();
      short.free();
      long.free();
    }
  });

  be.test("owning: timers and microtasks keep running while callback-level completions keep coming", async () => {
    const loop = be.loop({ mode: "owning" });
    const tick = timespec(300_000);
    try {
      let timerMs = 0;
      let hopsMs = 0;
      let completions = 0;
      await loop.run(async () => {
        const t = traffic(loop, tick.address);
        await new Promise<void>((resolve) => setTimeout(resolve, 20)); // the traffic runs
        let t0 = performance.now();
        await new Promise<void>((resolve) => setTimeout(resolve, 5));
        timerMs = performance.now() - t0;
        t0 = performance.now();
        for (let i = 0; i < 200; i++) await null;
        hopsMs = performance.now() - t0;
        completions = t.count();
        t.stop();
      });
      // (Under emulation only a few 0.3 ms timeouts complete in that time: that it ran is what matters.)
      assert.ok(completions > 0, `the traffic ran (${completions} completions)`);
      // The bound the loop would otherwise fall back on is FULL_TURN_MS, 100 ms.
      assert.ok(timerMs < 60, `a 5 ms timer fired after ${timerMs.toFixed(0)} ms`);
      assert.ok(hopsMs < 60, `200 microtask hops took ${hopsMs.toFixed(0)} ms`);
    } finally {
      await loop.close();
      tick.free();
    }
  });

  be.test("owning: microtasks keep moving while callback-level completions come inline without a pause", async () => {
    const loop = be.loop({ mode: "owning" });
    try {
      let hopsMs = 0;
      let completions = 0;
      await loop.run(async () => {
        // A NOP resubmitted from its own completion: every enter finds a CQE, so the loop never blocks.
        let stopped = false;
        const again = () => {
          completions++;
          if (!stopped) loop.submit(new CallbackNopThen(again));
        };
        loop.submit(new CallbackNopThen(again));
        const t0 = performance.now();
        for (let i = 0; i < 100; i++) await null;
        hopsMs = performance.now() - t0;
        stopped = true;
      });
      assert.ok(completions > 0);
      // Without a hop per pass the chain would move only at the loop's timer turn, every 100 ms.
      assert.ok(hopsMs < 60, `100 microtask hops took ${hopsMs.toFixed(0)} ms beside ${completions} inline completions`);
    } finally {
      await loop.close();
    }
  });
});
