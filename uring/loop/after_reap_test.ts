import assert from "node:assert/strict";
import { forEachBackend } from "../../testing/mod.ts";
import type { Loop } from "./loop.ts";
import { Operation, OpState } from "./operation.ts";
import { prepNop } from "../prep/nop.ts";
import type { Sqe } from "../ring/sqe.ts";

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
