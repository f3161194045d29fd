/**
 * A Loop on a ring that acts as if the kernel lacked IORING_FEAT_EXT_ARG (before Linux 5.11): its bounded waits
 * (owning mode's turns, close()) go through the ring's TIMEOUT SQEs, whose CQEs it must never see.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Loop, type LoopOptions } from "./loop.ts";
import { recv, send } from "../net/send_recv.ts";
import { IORING_FEAT_EXT_ARG } from "../abi/uapi.ts";
import { libc } from "../../ffi/mod.ts";
import { socketPair, track, withLoop } from "../../testing/mod.ts";
import { checkOperationTimeouts, nopOp, timeoutOp } from "../../testing/loop_ops.ts";

const OLD = { maskFeatures: IORING_FEAT_EXT_ARG };
const MODES = ["integrated", "owning"] as const;

/**
 * Awaits a `ms` timer and checks it fired in time. A 2 s kernel TIMEOUT guards the wait: should the loop block in
 * the kernel without a bound, that ends the wait and the check fails, where the test would otherwise hang.
 */
async function timerFires(loop: Loop, ms: number): Promise<void> {
  const guard = loop.submit(timeoutOp(loop, 2000));
  const started = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const waited = performance.now() - started;
  loop.cancel(guard);
  await guard.promise.catch(() => {});
  assert.ok(waited < 1000, `the ${ms} ms timer fired after ${Math.round(waited)} ms`);
}

/**
 * Counts the CQEs the ring shows the loop with a user_data no loop request carries (2^53 and above: a wait's
 * TIMEOUT has all ones), by watching what `forEachCqe` (which `drain` reads through) hands the loop.
 */
function watchForeignCqes(loop: Loop): () => number {
  const ring = loop.ring;
  const forEachCqe = ring.forEachCqe.bind(ring);
  let foreign = 0;
  ring.forEachCqe = (visit, max) =>
    forEachCqe((ud, res, flags, w) => {
      if (ud >= 2 ** 53) foreign++;
      visit(ud, res, flags, w);
    }, max);
  return () => foreign;
}

/** Runs `fn` on a loop in `mode` without EXT_ARG (inside run() for owning mode), then checks the counts. */
function onOldLoop(mode: LoopOptions["mode"], fn: (loop: Loop) => Promise<void>): Promise<void> {
  return withLoop(async (loop) => {
    assert.equal(loop.ring.features & IORING_FEAT_EXT_ARG, 0, "the ring acts as if EXT_ARG were missing");
    const foreign = watchForeignCqes(loop);
    if (mode === "owning") await loop.run(() => fn(loop));
    else await fn(loop);
    const s = loop.stats;
    assert.equal(s.completed + s.dropped, s.started, "every operation completed once");
    assert.equal(s.stale, 0, "no CQE the loop did not expect reached it");
    assert.equal(foreign(), 0, "no wait's TIMEOUT CQE reached the loop");
  }, { mode, ring: OLD });
}

for (const mode of MODES) {
  test(`${mode} mode without EXT_ARG: timers fire while an operation waits in the kernel`, () =>
    onOldLoop(mode, async (loop) => {
      // A 30 s kernel TIMEOUT keeps the ring busy; the 20 ms timers must fire long before it (owning mode: within
      // the loop's 100 ms bound on its kernel waits, which here is a TIMEOUT SQE of the ring's).
      const long = loop.submit(timeoutOp(loop, 30_000));
      for (let i = 0; i < 3; i++) await timerFires(loop, 20);
      loop.cancel(long);
      await assert.rejects(long.promise, { name: "AbortError" });
      await assert.rejects(loop.submit(timeoutOp(loop, 5)).promise, /ETIME/);
    }));

  test(`${mode} mode without EXT_ARG: a socket echoes, every message once`, () =>
    onOldLoop(mode, async (loop) => {
      const [client, server] = socketPair();
      track(client);
      track(server);
      const enc = new TextEncoder();
      const dec = new TextDecoder();
      const buf = new Uint8Array(64);
      const back = new Uint8Array(64);
      for (let i = 0; i < 50; i++) {
        const msg = `ping ${i}`;
        // The server's recv waits in the kernel first, so some waits end on a CQE and others on their bound.
        const got = recv(loop, server, buf);
        if (i % 10 === 0) await timerFires(loop, 5);
        assert.equal(await send(loop, client, enc.encode(msg)), msg.length);
        const n = await got;
        assert.equal(dec.decode(buf.subarray(0, n)), msg);
        assert.equal(await send(loop, server, buf.subarray(0, n)), n);
        const m = await recv(loop, client, back);
        assert.equal(dec.decode(back.subarray(0, m)), msg);
      }
      assert.equal(loop.stats.inFlight, 0);
    }));

  test(`${mode} mode without EXT_ARG: per-operation timeouts reject with a TimeoutError, others resolve`, () =>
    onOldLoop(mode, async (loop) => {
      await checkOperationTimeouts(loop);
      const [client, server] = socketPair();
      track(client);
      track(server);
      // A timed receive with no data, and a timer the program waits on meanwhile.
      const timed = recv(loop, server, new Uint8Array(8), { timeoutMs: 1200 });
      await timerFires(loop, 20);
      await assert.rejects(timed, { name: "TimeoutError" });
    }));

  test(`${mode} mode without EXT_ARG: close() with operations in flight settles each once and returns`, async () => {
    const loop = new Loop({ mode, ring: OLD });
    const foreign = watchForeignCqes(loop);
    const [client, server] = socketPair();
    const settled: PromiseSettledResult<unknown>[] = [];
    let all: Promise<unknown> = Promise.resolve();
    try {
      const start = async () => {
        const ops = [
          ...Array.from({ length: 4 }, () => loop.submit(timeoutOp(loop, 60_000)).promise),
          recv(loop, server, new Uint8Array(8)),
          recv(loop, client, new Uint8Array(8)),
        ];
        all = Promise.all(ops.map((p) =>
          p.then((value) => settled.push({ status: "fulfilled", value }),
            (reason) => settled.push({ status: "rejected", reason }))
        ));
        // Let them reach the kernel (owning mode: through run()'s bounded waits).
        await timerFires(loop, 20);
        assert.equal(loop.stats.inFlight, 6);
      };
      if (mode === "owning") await loop.run(start);
      else await start();
      // close() cancels the six and waits for their CQEs in bounded waits: TIMEOUT SQEs on this ring.
      const t0 = performance.now();
      await loop.close();
      const ms = performance.now() - t0;
      assert.ok(ms < 1500, `close() took ${ms} ms`);
      await all;
    } finally {
      await loop.close();
      libc().close(client);
      libc().close(server);
    }
    assert.equal(settled.length, 6, "each promise settled once");
    for (const r of settled) assert.equal(r.status, "rejected");
    const s = loop.stats;
    assert.equal(s.inFlight, 0);
    assert.equal(loop.leakedOperations, 0, "the kernel gave every operation back");
    assert.equal(s.completed + s.dropped, s.started);
    assert.equal(s.stale, 0);
    assert.equal(foreign(), 0, "no wait's TIMEOUT CQE reached the loop");
  });
}
