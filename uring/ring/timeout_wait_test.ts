/**
 * Timed waits where the kernel lacks IORING_FEAT_EXT_ARG (before Linux 5.11), forced on this kernel with
 * `maskFeatures`: the ring bounds the wait with an IORING_OP_TIMEOUT SQE and hides that request's CQE.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ring } from "./ring.ts";
import { type Sqe, sqeSetData } from "./sqe.ts";
import { registerClock } from "./clock.ts";
import { prepNop } from "../prep/nop.ts";
import { prepTimeout } from "../prep/timeout.ts";
import { NativeMemory } from "../core/memory.ts";
import { CLOCK_BOOTTIME, writeTimespecNs } from "../abi/timespec.ts";
import { EINVAL, ETIME } from "../abi/errno.ts";
import {
  IORING_FEAT_EXT_ARG,
  IORING_FEAT_NODROP,
  IORING_REGISTER_CLOCK,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_IOPOLL,
  IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQ_REWIND,
  IORING_SETUP_SQPOLL,
  IOSQE_ASYNC,
} from "../abi/uapi.ts";
import { setupFlagSupported } from "./probe.ts";
import { ioUringOlderThan, needs, registerOpMissing } from "./_since.ts";
import { sqeSetFlags } from "./sqe.ts";
import { prepRw } from "../prep/base.ts";
import { resizeRefused, skipIf } from "../../testing/mod.ts";

const OLD = { maskFeatures: IORING_FEAT_EXT_ARG };

/** The CQEs `drain` shows, as [user_data, res]. */
function drained(ring: Ring): [number, number][] {
  const out: [number, number][] = [];
  ring.drain((ud, res) => out.push([ud, res]));
  return out;
}

/** Runs `fn`, returning its result and the milliseconds it took. */
function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

/** Blocks the thread for `ms` (the CQEs of interest are posted by the kernel meanwhile). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The words of the CQ entry `after` entries past the one a visitor saw at word `w` (a fresh ring's CQEs lie one
 * after the other): user_data low and high, res, flags. How a test looks at a CQE the ring does not show.
 */
function rawCqe(ring: Ring, w: number, after: number): [number, number, number, number] {
  const at = w + after * (ring.cqeSize >> 2);
  const c = ring.cqes32;
  return [c[at]!, c[at + 1]!, c[at + 2]! | 0, c[at + 3]!];
}

/** Puts a NOP with user_data `ud` in the SQ (not submitted yet); returns its SQE. */
function putNop(ring: Ring, ud: number): Sqe {
  const sqe = ring.getSqe()!;
  prepNop(sqe);
  sqeSetData(sqe, ud);
  return sqe;
}

/** Submits a NOP with `ud` and returns the word index of its CQE (the ring's first, on a fresh ring). */
function firstNop(ring: Ring, ud: number): number {
  putNop(ring, ud);
  assert.equal(ring.submitAndWait(1), 1);
  let word = -1;
  ring.forEachCqe((_ud, _res, _flags, w) => (word = w));
  return word;
}

test("maskFeatures leaves the masked IORING_FEAT_* bits out of ring.features, and is checked", () => {
  const plain = new Ring(4);
  // NODROP (Linux 5.5) too, which every kernel ringside runs on has: the check holds on kernels without EXT_ARG.
  const masked = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP;
  const old = new Ring(4, { maskFeatures: masked });
  try {
    assert.ok(plain.features & IORING_FEAT_NODROP, "this kernel has NODROP (Linux 5.5)");
    assert.equal(old.features, (plain.features & ~masked) >>> 0);
  } finally {
    plain.close();
    old.close();
  }
  assert.throws(() => new Ring(4, { maskFeatures: -1 }), /maskFeatures must be an integer/);
  assert.throws(() => new Ring(4, { maskFeatures: 2 ** 32 }), /maskFeatures must be an integer/);
});

test("without EXT_ARG, a timed wait with nothing in flight returns after the time, showing no CQE", () => {
  const ring = new Ring(8, OLD);
  try {
    const w = firstNop(ring, 1);
    const { value: ready, ms } = timed(() => ring.submitAndWait(1, { timeoutNs: 30_000_000 }));
    assert.equal(ready, 0);
    assert.ok(ms >= 25 && ms < 2000, `waited ${ms} ms for a 30 ms timeout`);
    assert.equal(ring.cqReady(), 0);
    assert.deepEqual(drained(ring), []);
    // The kernel did post the TIMEOUT's CQE, right after the NOP's: user_data all ones, -ETIME.
    assert.deepEqual(rawCqe(ring, w, 1).slice(0, 3), [0xffffffff, 0xffffffff, -ETIME]);
    // And a NOP afterwards is the one CQE a wait sees.
    putNop(ring, 2);
    assert.equal(ring.submitAndWait(1, { timeoutNs: 1e9 }), 1);
    assert.deepEqual(drained(ring), [[2, 0]]);
  } finally {
    ring.close();
  }
});

test("without EXT_ARG, a CQE that comes first ends the wait, and the TIMEOUT's later CQE is never shown", () => {
  const ring = new Ring(8, OLD);
  try {
    const w = firstNop(ring, 1);
    putNop(ring, 7);
    const { value: ready, ms } = timed(() => ring.submitAndWait(1, { timeoutNs: 150_000_000 }));
    assert.equal(ready, 1);
    assert.ok(ms < 140, `returned after ${ms} ms, before the 150 ms timeout`);
    // The NOP completed while it was submitted, before the TIMEOUT went in: the TIMEOUT stays armed and fires
    // later. Wait past it, let the kernel post everything, then read the CQ every way there is.
    sleepSync(250);
    ring.getEvents();
    assert.equal(ring.cqReady(), 1);
    const copied: number[] = [];
    ring.forEachCqe((ud) => copied.push(ud), 1);
    assert.deepEqual(copied, [7]);
    assert.equal(ring.cqReady(), 0);
    assert.deepEqual(drained(ring), []);
    const [lo, hi, res] = rawCqe(ring, w, 2);
    assert.deepEqual([lo, hi], [0xffffffff, 0xffffffff], "the TIMEOUT's CQE came after the NOP's");
    assert.ok(res === -ETIME || res === 0, `the TIMEOUT ended with ${res}`);
    // Nothing stale is left to end the next wait early.
    const next = timed(() => ring.submitAndWait(1, { timeoutNs: 30_000_000 }));
    assert.equal(next.value, 0);
    assert.ok(next.ms >= 25, `the next wait lasted ${next.ms} ms of 30`);
  } finally {
    ring.close();
  }
});

test("without EXT_ARG, a TIMEOUT's CQE left in the CQ does not end a later wait", () => {
  const ring = new Ring(8, OLD);
  const ts = NativeMemory.allocate(16);
  try {
    assert.equal(ring.submitAndWait(1, { timeoutNs: 1_000_000 }), 0);
    // The TIMEOUT's CQE is in the CQ, unread; the kernel counts it for a wait's min_complete, the caller does not.
    writeTimespecNs(new DataView(ts.buffer), 0, 50_000_000);
    const sqe = ring.getSqe()!;
    prepTimeout(sqe, ts.address, 0, 0);
    sqeSetData(sqe, 40);
    const plain = timed(() => ring.submitAndWait(1));
    assert.equal(plain.value, 1, "a plain wait returns with the CQE it waited for");
    assert.ok(plain.ms >= 40, `returned after ${plain.ms} ms, before the 50 ms TIMEOUT`);
    assert.deepEqual(drained(ring), [[40, -ETIME]]);
    assert.equal(ring.submitAndWait(1, { timeoutNs: 1_000_000 }), 0);
    // The wait may end before its TIMEOUT does (an interrupted enter returns 0): then that TIMEOUT's CQE, posted
    // during the next wait, ends it early, as the ring documents (once under QEMU). Let it be in the CQ first, the
    // case this test is about.
    sleepSync(20);
    sqeSetFlags(putNop(ring, 41), IOSQE_ASYNC);
    const timedWait = timed(() => ring.submitAndWait(1, { timeoutNs: 5e9 }));
    assert.equal(timedWait.value, 1, "a timed wait returns with the CQE it waited for");
    assert.deepEqual(drained(ring), [[41, 0]]);
  } finally {
    ring.close();
    ts.free();
  }
});

test("without EXT_ARG, a wait for a CQE already in the CQ takes no TIMEOUT", () => {
  const ring = new Ring(8, OLD);
  try {
    putNop(ring, 3);
    ring.submit();
    const { value: ready, ms } = timed(() => ring.submitAndWait(1, { timeoutNs: 5e9 }));
    assert.equal(ready, 1);
    assert.ok(ms < 1000, `returned after ${ms} ms`);
    assert.deepEqual(drained(ring), [[3, 0]]);
  } finally {
    ring.close();
  }
});

test("without EXT_ARG, a timed wait on a full SQ submits first to make room for its TIMEOUT", () => {
  const ring = new Ring(2, OLD);
  try {
    assert.equal(ring.sqEntries, 2);
    // A TIMEOUT of our own that fires after 600 ms fills the SQ with a NOP; the wait must still end at 30 ms.
    const ts = NativeMemory.allocate(16);
    writeTimespecNs(new DataView(ts.buffer), 0, 600_000_000);
    const a = ring.getSqe()!;
    prepTimeout(a, ts.address, 0, 0);
    sqeSetData(a, 10);
    sqeSetData(ring.getSqe()!, 11); // a zeroed SQE is a NOP
    assert.equal(ring.getSqe(), null, "the SQ is full");
    const { value: ready, ms } = timed(() => ring.submitAndWait(2, { timeoutNs: 30_000_000 }));
    assert.ok(ms < 500, `returned after ${ms} ms`);
    assert.equal(ready, 1);
    assert.deepEqual(drained(ring), [[11, 0]]);
    sleepSync(700);
    ring.getEvents();
    assert.deepEqual(drained(ring), [[10, -ETIME]]);
    ts.free();
  } finally {
    ring.close();
  }
});

test("without EXT_ARG, a wait for several CQEs goes on until they all came or the time passed", () => {
  const ring = new Ring(8, OLD);
  try {
    // A NOP through the async workers (IOSQE_ASYNC) completes after it was submitted, most likely after the
    // wait's TIMEOUT went in: that TIMEOUT counts the 2 CQEs asked for, not 1, so the wait goes on to its time.
    sqeSetFlags(putNop(ring, 20), IOSQE_ASYNC);
    const r = timed(() => ring.submitAndWait(2, { timeoutNs: 200_000_000 }));
    assert.ok(r.ms >= 180 && r.ms < 3000, `waited ${r.ms} ms of 200`);
    assert.equal(r.value, 1);
    assert.deepEqual(drained(ring), [[20, 0]]);
    // Both NOPs complete while they are submitted: the wait ends at once.
    for (const ud of [21, 22]) putNop(ring, ud);
    const both = timed(() => ring.submitAndWait(2, { timeoutNs: 5e9 }));
    assert.equal(both.value, 2);
    assert.ok(both.ms < 1000, `returned after ${both.ms} ms`);
    assert.deepEqual(drained(ring), [[21, 0], [22, 0]]);
  } finally {
    ring.close();
  }
});

test("without EXT_ARG, a timed wait on an SQPOLL ring hands its TIMEOUT to the kernel's thread",
  skipIf(!setupFlagSupported(IORING_SETUP_SQPOLL) && "this kernel refuses IORING_SETUP_SQPOLL rings here"), () => {
    const ring = new Ring(8, { ...OLD, flags: IORING_SETUP_SQPOLL });
    const ts = NativeMemory.allocate(16);
    try {
      // A TIMEOUT of our own ends the wait after 2 s should the wait's own never reach the kernel.
      writeTimespecNs(new DataView(ts.buffer), 0, 2e9);
      const guard = ring.getSqe()!;
      prepTimeout(guard, ts.address, 0, 0);
      sqeSetData(guard, 50);
      const r = timed(() => ring.submitAndWait(1, { timeoutNs: 30_000_000 }));
      assert.equal(r.value, 0, "the wait's TIMEOUT ended it, not the 2 s guard");
      assert.ok(r.ms >= 25 && r.ms < 1500, `waited ${r.ms} ms of 30`);
      putNop(ring, 51);
      assert.equal(ring.submitAndWait(1, { timeoutNs: 1e9 }), 1);
      assert.deepEqual(drained(ring), [[51, 0]]);
    } finally {
      ring.close();
      ts.free();
    }
  });

const noClock = registerOpMissing(IORING_REGISTER_CLOCK);

test("without EXT_ARG, an absolute wait ends at that time (IORING_TIMEOUT_ABS), on the ring's clock",
  skipIf(noClock && `registerClock: ${noClock}`), () => {
    const ring = new Ring(8, OLD);
    const ts = NativeMemory.allocate(16);
    try {
      // 1 ns after the clock's epoch: long gone, so the wait ends at once.
      const past = timed(() => ring.submitAndWait(1, { timeoutNs: 1, absolute: true }));
      assert.equal(past.value, 0);
      assert.ok(past.ms < 1000, `waited ${past.ms} ms`);
      // On CLOCK_BOOTTIME, which /proc/uptime reads (to 10 ms): 100 ms from now. A TIMEOUT of our own ends the
      // wait after 3 s should the time be taken as relative (years).
      registerClock(ring, CLOCK_BOOTTIME);
      writeTimespecNs(new DataView(ts.buffer), 0, 3e9);
      const guard = ring.getSqe()!;
      prepTimeout(guard, ts.address, 0, 0);
      sqeSetData(guard, 30);
      // Timed from before the clock is read: under emulation the read and the call's first run take tens of ms.
      const t0 = performance.now();
      const uptimeNs = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1e9;
      const at = timed(() => ring.submitAndWait(1, { timeoutNs: uptimeNs + 100_000_000, absolute: true }));
      const ms = performance.now() - t0;
      assert.equal(at.value, 0, "the absolute time ended the wait, not the 3 s guard");
      // /proc/uptime is truncated to 10 ms: the time asked for is 90 to 100 ms after the read.
      assert.ok(ms >= 85 && ms < 2000, `waited ${ms} ms for 100 ms`);
      assert.deepEqual(drained(ring), []);
    } finally {
      ring.close();
      ts.free();
    }
  });

test("without EXT_ARG, minimum waits, registered wait arguments and IOPOLL rings are refused", () => {
  const ring = new Ring(4, OLD);
  try {
    assert.throws(() => ring.submitAndWait(1, { timeoutNs: 1e6, minWaitUsec: 10 }),
      /(IORING_FEAT_EXT_ARG|IORING_FEAT_MIN_TIMEOUT)/);
    assert.throws(() => ring.submitAndWait(1, { slot: 0 }), /IORING_FEAT_EXT_ARG \(Linux 5\.11\)/);
    assert.throws(() => ring.submitAndWait(1, { timeoutNs: -1 }), /non-negative/);
  } finally {
    ring.close();
  }
  let iopoll: Ring | undefined;
  try {
    iopoll = new Ring(4, { ...OLD, flags: IORING_SETUP_IOPOLL });
  } catch {
    return; // no IOPOLL rings here
  }
  try {
    assert.throws(() => iopoll.submitAndWait(1, { timeoutNs: 1e6 }), /IORING_SETUP_IOPOLL/);
  } finally {
    iopoll.close();
  }
});

const wideCqes = [
  ["CQE32", IORING_SETUP_CQE32, "IORING_SETUP_CQE32 needs Linux 5.19"],
  ["CQE_MIXED", IORING_SETUP_CQE_MIXED, "IORING_SETUP_CQE_MIXED needs Linux 6.18"],
] as const;
for (const [name, flag, why] of wideCqes) {
  const title = `without EXT_ARG, an IORING_SETUP_${name} ring hides its waits' TIMEOUT CQEs and shows each NOP once`;
  test(title, skipIf(!setupFlagSupported(flag) && why, title), () => {
    // CQEs of 32 bytes (or 16-byte units of either size): the reads that skip a TIMEOUT's CQE must step as the
    // kernel posts them, or they would read user_data from the middle of an entry.
    const ring = new Ring(4, { ...OLD, flags: flag });
    try {
      for (let round = 0; round < 6; round++) {
        assert.equal(ring.submitAndWait(1, { timeoutNs: 1_000_000 }), 0, `round ${round}: the time passed`);
        putNop(ring, 100 + round);
        assert.equal(ring.submitAndWait(1, { timeoutNs: 1e9 }), 1);
        assert.equal(ring.cqReady(), 1);
        assert.deepEqual(drained(ring), [[100 + round, 0]]);
      }
    } finally {
      ring.close();
    }
  });
}

/** How many entries of the whole CQ array carry a wait TIMEOUT's user_data and -ETIME (fired). */
function firedWaitTimeouts(ring: Ring): number {
  const c = ring.cqes32;
  const step = ring.cqeSize >> 2;
  let n = 0;
  for (let w = 0; w + 3 < c.length; w += step) {
    if (c[w] === 0xffffffff && c[w + 1] === 0xffffffff && (c[w + 2]! | 0) === -ETIME) n++;
  }
  return n;
}

const noResize = resizeRefused();
const resized = "without EXT_ARG, a wait's TIMEOUT carried over a resize keeps its own time";
test(resized, skipIf(noResize, resized), () => {
  const ring = new Ring(2, { ...OLD, flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN });
  const ts = NativeMemory.allocate(16);
  try {
    // Two NOPs take SQ positions 0 and 1; then an SQE the kernel refuses (position 2) ends the next batch before
    // the wait's TIMEOUT (position 3, slot 1 of 2), which stays in the SQ with its 5 s.
    for (const ud of [1, 2]) putNop(ring, ud);
    ring.submit();
    assert.deepEqual(drained(ring), [[1, 0], [2, 0]]);
    const bad = ring.getSqe()!;
    prepRw(200, bad, -1, 0, 0, 0);
    sqeSetData(bad, 3);
    assert.equal(ring.submitAndWait(8, { timeoutNs: 5e9 }), 1, "the refused SQE's CQE, no wait");
    assert.deepEqual(drained(ring), [[3, -EINVAL]]);
    assert.equal(ring.sqPending(), 1, "the TIMEOUT waits in the SQ");
    // The kernel carries it over to slot 3 of 4. A TIMEOUT of our own (10 s, no CQE meanwhile) takes position 4;
    // the next wait's TIMEOUT takes position 5, slot 1 again: its 30 ms must not become the first one's.
    ring.resize(4);
    assert.equal(ring.sqPending(), 1);
    writeTimespecNs(new DataView(ts.buffer), 0, 10e9);
    const own = ring.getSqe()!;
    prepTimeout(own, ts.address, 0, 0);
    sqeSetData(own, 4);
    assert.equal(ring.submitAndWait(1, { timeoutNs: 30_000_000 }), 0);
    sleepSync(300);
    ring.getEvents();
    assert.deepEqual(drained(ring), []);
    assert.equal(firedWaitTimeouts(ring), 1, "only the 30 ms TIMEOUT fired; the 5 s one is still armed");
  } finally {
    ring.close();
    ts.free();
  }
});

const noRewind = !setupFlagSupported(IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY) &&
  (ioUringOlderThan("7.0") ? needs("IORING_SETUP_SQ_REWIND", "7.0") : "this kernel refuses IORING_SETUP_SQ_REWIND");
const rewound = "without EXT_ARG, a wait's TIMEOUT an SQ_REWIND ring moves to the front keeps its own time";
test(rewound, skipIf(noRewind, rewound), () => {
  const ring = new Ring(8, { ...OLD, flags: IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY });
  try {
    // An SQE the kernel refuses (slot 0) ends the batch before the wait's TIMEOUT (slot 1, 5 s), which the ring
    // moves to slot 0 for the next submit.
    const bad = ring.getSqe()!;
    prepRw(200, bad, -1, 0, 0, 0);
    sqeSetData(bad, 1);
    assert.equal(ring.submitAndWait(8, { timeoutNs: 5e9 }), 1, "the refused SQE's CQE, no wait");
    assert.deepEqual(drained(ring), [[1, -EINVAL]]);
    assert.equal(ring.sqPending(), 1, "the TIMEOUT waits in slot 0");
    // The next wait's TIMEOUT takes slot 1, where the first one was written: its 30 ms must not become the first's.
    assert.equal(ring.submitAndWait(1, { timeoutNs: 30_000_000 }), 0);
    sleepSync(300);
    ring.getEvents();
    assert.deepEqual(drained(ring), []);
    assert.equal(firedWaitTimeouts(ring), 1, "only the 30 ms TIMEOUT fired; the 5 s one is still armed");
  } finally {
    ring.close();
  }
});
