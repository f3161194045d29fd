import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { forEachBackend, resizeRefused, skipIf } from "../../testing/mod.ts";
import { checkOperationTimeouts, nopOp, timeoutOp } from "../../testing/loop_ops.ts";
import { PromiseOp } from "./operation.ts";
import { UringError } from "../core/errors.ts";
import { IORING_SETUP_SQPOLL } from "../abi/uapi.ts";

forEachBackend((b) => {
  b.test("every operation completes exactly once under a random mix with a tiny SQ and CQ", async () => {
    const loop = b.loop({ entries: 4, ring: { cqEntries: 4 } });
    try {
      let seed = 12345;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      const settled = new Uint8Array(3000);
      const promises: Promise<void>[] = [];
      for (let i = 0; i < settled.length; i++) {
        const r = rand();
        let op: PromiseOp;
        let expect: "ok" | "etime" | "abort";
        if (r < 0.6) {
          op = nopOp();
          expect = "ok";
        } else if (r < 0.8) {
          op = timeoutOp(loop, 1);
          expect = "etime";
        } else {
          op = timeoutOp(loop, 10_000);
          const ac = new AbortController();
          op.bindSignal(loop, ac.signal);
          setTimeout(() => ac.abort(), 1 + Math.floor(rand() * 5));
          expect = "abort";
        }
        loop.submit(op);
        promises.push(op.promise.then(
          (res) => {
            assert.equal(expect, "ok");
            assert.equal(res, 0);
            settled[i]!++; // i < settled.length
          },
          (e) => {
            if (expect === "etime") assert.equal((e as UringError).code, "ETIME");
            else assert.equal((e as Error).name, "AbortError");
            settled[i]!++;
          },
        ));
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 0));
      }
      await Promise.all(promises);
      assert.ok(settled.every((n) => n === 1), "each promise settled once");
      const s = loop.stats;
      assert.equal(s.started, settled.length);
      assert.equal(s.completed + s.dropped, s.started);
      assert.equal(s.inFlight, 0);
      assert.equal(s.stale, 0);
    } finally {
      await loop.close();
    }
  });

  b.test("a full SQ queues operations and submits them later in order", async () => {
    const loop = b.loop({ entries: 2 });
    try {
      const order: number[] = [];
      const ops = Array.from({ length: 50 }, (_, i) => {
        const op = loop.submit(nopOp());
        op.promise.then(() => order.push(i));
        return op.promise;
      });
      await Promise.all(ops);
      assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i));
    } finally {
      await loop.close();
    }
  });

  b.test("an AbortSignal cancels an in-flight operation with an AbortError carrying the reason", async () => {
    const loop = b.loop();
    try {
      const ac = new AbortController();
      const op = timeoutOp(loop, 10_000);
      op.bindSignal(loop, ac.signal);
      loop.submit(op);
      const t0 = performance.now();
      setTimeout(() => ac.abort(new Error("enough")), 10);
      await assert.rejects(op.promise, (e: Error) => {
        assert.equal(e.name, "AbortError");
        assert.equal((e.cause as Error).message, "enough");
        return true;
      });
      assert.ok(performance.now() - t0 < 5000);
    } finally {
      await loop.close();
    }
  });

  b.test("a per-operation timeout uses a linked timeout and rejects with a TimeoutError", async () => {
    const loop = b.loop();
    try {
      await checkOperationTimeouts(loop);
    } finally {
      await loop.close();
    }
  });

  b.test("closing the loop with operations in flight and queued settles every promise", async () => {
    const loop = b.loop({ entries: 2 });
    const ops = Array.from({ length: 6 }, () => loop.submit(timeoutOp(loop, 60_000)));
    const results = Promise.allSettled(ops.map((o) => o.promise));
    await new Promise((r) => setTimeout(r, 5));
    await loop.close();
    const settled = await results;
    assert.equal(settled.length, 6);
    for (const s of settled) assert.equal(s.status, "rejected");
    assert.equal(loop.stats.inFlight, 0);
    assert.throws(() => loop.submit(nopOp()), /the loop is closed/);
  });

  b.test("integrated mode: a setTimeout fires while a ring operation is pending", async () => {
    const loop = b.loop();
    try {
      const op = loop.submit(timeoutOp(loop, 200));
      // The 20 ms timer must fire well before the 200 ms ring timeout: a JS thread held by the ring would not.
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 20));
      const ms = performance.now() - t0;
      assert.ok(ms < 150, `the timer fired after ${ms} ms`);
      assert.equal(loop.stats.inFlight, 1, "the ring operation is still pending");
      await assert.rejects(op.promise, /ETIME/);
    } finally {
      await loop.close();
    }
  });

  b.test("owning mode runs operations to completion inside run()", async () => {
    const loop = b.loop({ mode: "owning" });
    try {
      const result = await loop.run(async () => {
        let sum = 0;
        for (let i = 0; i < 1000; i++) sum += await loop.submit(nopOp()).promise;
        await assert.rejects(loop.submit(timeoutOp(loop, 5)).promise, /ETIME/);
        // A timer still fires: the loop yields to the runtime when the ring is idle.
        await new Promise((r) => setTimeout(r, 5));
        return sum + 7;
      });
      assert.equal(result, 7);
      assert.equal(loop.stats.completed, 1001);
    } finally {
      await loop.close();
    }
  });

  b.test("owning mode: a timer fires while an operation waits in the kernel", async () => {
    const loop = b.loop({ mode: "owning" });
    try {
      await loop.run(async () => {
        // A 3 s kernel timeout keeps the ring busy: run() waits in io_uring_enter, yet the 20 ms timer must fire
        // within the loop's 100 ms wait bound, long before the kernel has anything to say.
        const long = loop.submit(timeoutOp(loop, 3000));
        const started = performance.now();
        await new Promise((r) => setTimeout(r, 20));
        const waited = performance.now() - started;
        assert.ok(waited < 1000, `the timer fired after ${Math.round(waited)} ms`);
        loop.cancel(long);
        await assert.rejects(long.promise, { name: "AbortError" });
      });
    } finally {
      await loop.close();
    }
  });

  b.test("owning mode: operations that complete inline go back to back, without a macrotask turn each", async () => {
    const loop = b.loop({ mode: "owning" });
    try {
      await loop.run(async () => {
        // A ticker counts the runtime's macrotask turns while 1000 NOPs run one after another. NOPs complete inside
        // the submitting enter, so run() has no reason to yield a macrotask between them (it did, once per op).
        let turns = 0;
        let ticking = true;
        const tick = () => {
          turns++;
          if (ticking) setImmediate(tick);
        };
        setImmediate(tick);
        for (let i = 0; i < 1000; i++) assert.equal(await loop.submit(nopOp()).promise, 0);
        ticking = false;
        assert.ok(turns < 200, `${turns} macrotask turns for 1000 sequential NOPs`);
      });
    } finally {
      await loop.close();
    }
  });

  b.test("owning mode: the ring resized while an operation is in flight keeps it and goes on", skipIf(b.needsIoUring("resizing the ring (IORING_REGISTER_RESIZE_RINGS)") || resizeRefused()),
    async () => {
      const loop = b.loop({ mode: "owning", entries: 4, ring: { cqEntries: 8 } });
      try {
        await loop.run(async () => {
          const waiting = loop.submit(timeoutOp(loop, 30));
          loop.ring.resize(64, { cqEntries: 512 });
          assert.equal(loop.ring.cqEntries, 512);
          const nops = [];
          for (let i = 0; i < 200; i++) nops.push(loop.submit(nopOp()).promise);
          assert.deepEqual(new Set(await Promise.all(nops)), new Set([0]));
          await assert.rejects(waiting.promise, /ETIME/);
        });
      } finally {
        await loop.close();
      }
    });

  b.test("an operation whose linked timeout cannot be allocated fails alone, linking nothing to the next", async () => {
    const loop = b.loop();
    try {
      // The arena refuses the timeout's timespec once (as mmap's ENOMEM would).
      const alloc = loop.arena.alloc.bind(loop.arena);
      let fail = true;
      loop.arena.alloc = (size: number) => {
        if (fail) {
          fail = false;
          throw new UringError("allocate native memory", 12);
        }
        return alloc(size);
      };
      // A NOP allocates nothing itself: the one allocation that fails is its linked timeout's timespec.
      const first = nopOp();
      first.timeoutNs = 1e9;
      loop.submit(first);
      await assert.rejects(first.promise, (e: unknown) => e instanceof UringError && e.code === "ENOMEM");
      // The next operation runs on its own: not linked to a timeout SQE that was never written.
      const t0 = performance.now();
      assert.equal(await loop.submit(nopOp()).promise, 0);
      assert.ok(performance.now() - t0 < 1000);
      assert.equal(loop.stats.inFlight, 0);
    } finally {
      await loop.close();
    }
  });

  b.test("an operation whose prep throws fails alone and leaves the ring usable", async () => {
    const loop = b.loop();
    try {
      const bad = loop.submit(new PromiseOp("bad", () => {
        throw new RangeError("bad argument");
      }));
      await assert.rejects(bad.promise, /bad argument/);
      assert.equal(await loop.submit(nopOp()).promise, 0);
    } finally {
      await loop.close();
    }
  });

  b.test("a loop refuses a ring it could not run: fewer than 2 entries, or SQPOLL", () => {
    // With one SQ entry an operation with a timeout (two SQEs) could never go in, and everything behind it waited.
    assert.throws(() => b.loop({ entries: 1 }), /entries must be at least 2/);
    assert.throws(() => b.loop({ ring: { flags: IORING_SETUP_SQPOLL } }), /does not run on an IORING_SETUP_SQPOLL/);
  });

  b.test("integrated mode: SQEs the kernel refused to take (EAGAIN) are submitted again, not left to sleep on",
    skipIf(b.needsIoUring("a refused io_uring_enter (the ring's fnEnter)")), async () => {
    const loop = b.loop();
    try {
      // The kernel answers EAGAIN to a submit when it cannot allocate requests: make it do so once.
      const ring = loop.ring as unknown as { fnEnter: (...a: unknown[]) => number };
      const enter = ring.fnEnter;
      let refuse = 1;
      ring.fnEnter = (fd: unknown, toSubmit: unknown, ...rest: unknown[]) => {
        if ((toSubmit as number) > 0 && refuse > 0) {
          refuse--;
          return -11;
        }
        return enter(fd, toSubmit, ...rest);
      };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("the NOP was never submitted again")), 2000);
      });
      try {
        assert.equal(await Promise.race([loop.submit(nopOp()).promise, hung]), 0);
      } finally {
        clearTimeout(timer);
      }
      assert.equal(refuse, 0, "the refusal happened");
    } finally {
      await loop.close();
    }
  });

  b.test("a second close() waits for the first to finish", async () => {
    const loop = b.loop();
    const first = loop.close();
    assert.equal(loop.close(), first);
    await first;
    assert.ok(loop.isClosed);
  });
});
