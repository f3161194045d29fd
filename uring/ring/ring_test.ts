import { test } from "node:test";
import assert from "node:assert/strict";
import { CqeBatch, Ring } from "./ring.ts";
import { UringError } from "../core/errors.ts";
import { prepNop } from "../prep/nop.ts";
import { prepRw } from "../prep/base.ts";
import { sqeSetData, sqeSetFlags } from "./sqe.ts";
import {
  IORING_REGISTER_RING_FDS,
  IORING_FEAT_MIN_TIMEOUT,
  IORING_OP_TIMEOUT,
  IORING_REGISTER_PROBE,
  IORING_SETUP_ATTACH_WQ,
  IORING_SETUP_CLAMP,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_HYBRID_IOPOLL,
  IORING_SETUP_IOPOLL,
  IORING_SETUP_NO_MMAP,
  IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_R_DISABLED,
  IORING_SETUP_REGISTERED_FD_ONLY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQ_AFF,
  IORING_SETUP_SQE128,
  IORING_SETUP_SQE_MIXED,
  IORING_SETUP_SQPOLL,
  IORING_SETUP_SUBMIT_ALL,
  IORING_SETUP_TASKRUN_FLAG,
  IOSQE_IO_LINK,
} from "../abi/uapi.ts";
import { resizeRefused, skipIf } from "../../testing/mod.ts";
import { kernelVersionAtLeast } from "./kernel_version.ts";
import { setupFlagSupported } from "./probe.ts";
import { registerOpMissing } from "./_since.ts";
import { EINVAL } from "../abi/errno.ts";

/** Submits `n` NOPs with user_data base..base+n-1 and waits for all of them; returns the user_data seen. */
function nopRoundTrip(ring: Ring, n: number, base = 1): number[] {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    const sqe = ring.getSqe();
    assert.ok(sqe, "SQ has room");
    prepNop(sqe);
    sqeSetData(sqe, base + i);
  }
  let reaped = 0;
  ring.submitAndWait(n);
  while (reaped < n) {
    reaped += ring.forEachCqe((ud, res) => {
      assert.equal(res, 0);
      seen.push(ud);
    });
    if (reaped < n) ring.submitAndWait(n - reaped);
  }
  return seen;
}

// Each setup flag with the options it needs. The kernel is asked once at load time, so a flag it refuses with
// EINVAL becomes a skip that names it (skips must be declared when the test is defined).
const FLAG_CASES: { name: string; entries?: number; options: ConstructorParameters<typeof Ring>[1] }[] = [
  { name: "IORING_SETUP_CQSIZE", options: { cqEntries: 64 } },
  { name: "IORING_SETUP_CLAMP", entries: 100000, options: { flags: IORING_SETUP_CLAMP, cqEntries: 1 << 20 } },
  { name: "IORING_SETUP_SQPOLL", options: { flags: IORING_SETUP_SQPOLL, sqThreadIdle: 10 } },
  { name: "IORING_SETUP_SQ_AFF", options: { flags: IORING_SETUP_SQPOLL, sqThreadCpu: 0, sqThreadIdle: 10 } },
  { name: "IORING_SETUP_IOPOLL", options: { flags: IORING_SETUP_IOPOLL } },
  { name: "IORING_SETUP_R_DISABLED", options: { flags: IORING_SETUP_R_DISABLED } },
  { name: "IORING_SETUP_SUBMIT_ALL", options: { flags: IORING_SETUP_SUBMIT_ALL } },
  { name: "IORING_SETUP_COOP_TASKRUN", options: { flags: IORING_SETUP_COOP_TASKRUN } },
  { name: "IORING_SETUP_TASKRUN_FLAG", options: { flags: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG } },
  { name: "IORING_SETUP_SINGLE_ISSUER", options: { flags: IORING_SETUP_SINGLE_ISSUER } },
  {
    name: "IORING_SETUP_DEFER_TASKRUN",
    options: { flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN },
  },
  { name: "IORING_SETUP_SQE128", options: { flags: IORING_SETUP_SQE128 } },
  { name: "IORING_SETUP_CQE32", options: { flags: IORING_SETUP_CQE32 } },
  { name: "IORING_SETUP_CQE_MIXED", options: { flags: IORING_SETUP_CQE_MIXED } },
  { name: "IORING_SETUP_SQE_MIXED", options: { flags: IORING_SETUP_SQE_MIXED } },
  { name: "IORING_SETUP_NO_SQARRAY", options: { flags: IORING_SETUP_NO_SQARRAY } },
  { name: "IORING_SETUP_NO_MMAP", options: { flags: IORING_SETUP_NO_MMAP } },
  {
    name: "IORING_SETUP_REGISTERED_FD_ONLY",
    options: { flags: IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY },
  },
  { name: "IORING_SETUP_HYBRID_IOPOLL", options: { flags: IORING_SETUP_IOPOLL | IORING_SETUP_HYBRID_IOPOLL } },
];

function probeSetup(entries: number, options: ConstructorParameters<typeof Ring>[1]): string | false {
  try {
    new Ring(entries, options).close();
    return false;
  } catch (e) {
    if (e instanceof UringError && e.code === "EINVAL") return `this kernel refuses it with EINVAL`;
    throw e;
  }
}

for (const c of FLAG_CASES) {
  const entries = c.entries ?? 8;
  const refused = probeSetup(entries, c.options);
  test(`setup with ${c.name} gives a working ring`, skipIf(refused && `${c.name}: ${refused}`), () => {
    const ring = new Ring(entries, c.options);
    try {
      const flags = c.options?.flags ?? 0;
      assert.equal(ring.flags & flags, flags, "the kernel reports the flags back");
      if (c.name === "IORING_SETUP_CQSIZE") {
        assert.equal(ring.cqEntries, 64);
        assert.ok(ring.flags & IORING_SETUP_CQSIZE);
      }
      if (c.name === "IORING_SETUP_CLAMP") {
        assert.equal(ring.sqEntries, 32768);
        assert.equal(ring.cqEntries, 65536);
      }
      if (flags & IORING_SETUP_SQE128) assert.equal(ring.sqeSize, 128);
      if (flags & IORING_SETUP_CQE32) assert.equal(ring.cqeSize, 32);
      if (flags & IORING_SETUP_REGISTERED_FD_ONLY) {
        assert.equal(ring.fd, -1);
        assert.ok(ring.ringIndex >= 0);
      }
      if (flags & IORING_SETUP_R_DISABLED) {
        // A disabled ring refuses submissions until enabled (EBADFD).
        const sqe = ring.getSqe()!;
        prepNop(sqe);
        assert.throws(() => ring.submit(), (e: unknown) => e instanceof UringError && e.code === "EBADFD");
        ring.enable();
        ring.submitAndWait(1);
        assert.equal(ring.forEachCqe(() => {}), 1);
      }
      // IOPOLL rings only take pollable operations; NOP is one from 6.0 (Debian's 5.10 answers EINVAL).
      if ((flags & IORING_SETUP_IOPOLL) && !kernelVersionAtLeast(6, 0)) return;
      const seen = nopRoundTrip(ring, 5, 100);
      assert.deepEqual(seen.sort((a, b) => a - b), [100, 101, 102, 103, 104]);
    } finally {
      ring.close();
    }
  });
}

test("a million NOPs across many ring wraps complete with every user_data seen exactly once", () => {
  const ring = new Ring(64);
  try {
    const total = 1_000_000;
    const seen = new Uint8Array(total);
    let next = 0;
    let done = 0;
    const batch = new CqeBatch(256);
    while (done < total) {
      while (next < total) {
        const sqe = ring.getSqe();
        if (!sqe) break;
        prepNop(sqe);
        // High bits set on some values prove the upper half of user_data survives.
        sqeSetData(sqe, next % 7 === 0 ? next + 2 ** 40 : next);
        next++;
      }
      ring.submitAndWait(1);
      const n = ring.copyCqes(batch);
      for (let i = 0; i < n; i++) {
        assert.equal(batch.res[i], 0);
        let ud = batch.userData[i]!; // i < n: copied by copyCqes
        if (ud >= 2 ** 40) ud -= 2 ** 40;
        assert.equal(seen[ud], 0, `user_data ${ud} completed once`);
        seen[ud] = 1;
      }
      done += n;
    }
    assert.equal(seen.indexOf(0), -1);
    assert.equal(ring.cqReady(), 0);
  } finally {
    ring.close();
  }
});

test("CQ overflow with a tiny CQ loses nothing: held CQEs come back through getEvents", () => {
  const ring = new Ring(8, { cqEntries: 8 });
  try {
    const total = 200;
    const seen = new Set<number>();
    let next = 0;
    // Submit far more than the CQ holds without reaping: the kernel keeps the extra CQEs on its overflow list.
    while (next < total) {
      for (let i = 0; i < 8 && next < total; i++) {
        const sqe = ring.getSqe()!;
        prepNop(sqe);
        sqeSetData(sqe, next++);
      }
      ring.submit();
    }
    assert.equal(ring.cqReady(), 8, "the CQ is full");
    assert.ok(ring.cqNeedsFlush(), "the kernel says it holds more (IORING_SQ_CQ_OVERFLOW)");
    ring.drain((ud, res) => {
      assert.equal(res, 0);
      assert.ok(!seen.has(ud));
      seen.add(ud);
    });
    assert.equal(seen.size, total);
    assert.equal(ring.cqOverflowCount(), 0, "nothing dropped (IORING_FEAT_NODROP)");
  } finally {
    ring.close();
  }
});

test("a full SQ returns null from getSqe and takes more after a submit", () => {
  const ring = new Ring(4);
  try {
    for (let i = 0; i < 4; i++) prepNop(ring.getSqe()!);
    assert.equal(ring.getSqe(), null);
    assert.equal(ring.sqSpaceLeft(), 0);
    assert.equal(ring.submit(), 4);
    assert.equal(ring.sqSpaceLeft(), 4);
    assert.ok(ring.getSqe());
    ring.submitAndWait(5);
    assert.equal(ring.forEachCqe(() => {}), 5);
  } finally {
    ring.close();
  }
});

for (const c of [
  { name: "a plain ring", flags: 0 },
  { name: "an SQPOLL ring", flags: IORING_SETUP_SQPOLL },
  { name: "an SQE128 ring", flags: IORING_SETUP_SQE128 },
]) {
  const name = `every SQE handed out on ${c.name} is zeroed, also slots the kernel read and gave back`;
  test(name, skipIf(c.flags !== 0 && !setupFlagSupported(c.flags) && `${c.name}: this kernel refuses the flag (probe)`, name), () => {
    const ring = new Ring(8, { flags: c.flags });
    try {
      // Batches of uneven sizes, so the ring wraps in the middle of a batch and slots are handed out again while
      // others the kernel consumed still wait to be cleared (the ring clears them when it runs out: reclaimSqes).
      let n = 0;
      for (const size of [8, 8, 3, 5, 1, 7, 2, 6, 4, 8, 5, 3]) {
        // With SQPOLL the thread commits its head on its own time: wait for it to hand the slots back.
        const deadline = Date.now() + 5000;
        while (ring.sqSpaceLeft() < size && Date.now() < deadline);
        for (let i = 0; i < size; i++, n++) {
          const sqe = ring.getSqe();
          assert.ok(sqe, `SQE ${n} handed out`);
          for (let k = 0; k < sqe.words; k++) assert.equal(sqe.u32[k], 0, `SQE ${n} (slot ${sqe.index}), word ${k}`);
          // Dirty every word, then make it a NOP the kernel answers (EINVAL for the junk fields is fine).
          sqe.u32.fill(0xabababab);
          prepNop(sqe);
          sqeSetFlags(sqe, 0);
          sqeSetData(sqe, n);
        }
        ring.submitAndWait(size);
        let seen = 0;
        while (seen < size) {
          seen += ring.forEachCqe(() => {});
          if (seen < size) ring.submitAndWait(size - seen);
        }
      }
    } finally {
      ring.close();
    }
  });
}

test("an SQE that fails prep does not lose the ones after it", () => {
  const ring = new Ring(8);
  try {
    // A TIMEOUT with len 2 is invalid (it takes one timespec): the kernel posts an error CQE for it and, without
    // SUBMIT_ALL, stops there; the NOPs after it stay queued and go with the next submit.
    const bad = ring.getSqe()!;
    prepRw(IORING_OP_TIMEOUT, bad, -1, 0, 2, 0);
    sqeSetData(bad, 1);
    for (let i = 2; i <= 4; i++) {
      const s = ring.getSqe()!;
      prepNop(s);
      sqeSetData(s, i);
    }
    const first = ring.submit();
    assert.ok(first >= 1 && first <= 4);
    const results = new Map<number, number>();
    while (results.size < 4) {
      ring.submitAndWait(1);
      ring.forEachCqe((ud, res) => results.set(ud, res));
    }
    assert.equal(results.get(1), -EINVAL, "the bad SQE fails with EINVAL");
    for (let i = 2; i <= 4; i++) assert.equal(results.get(i), 0);
  } finally {
    ring.close();
  }
});

test("linked NOPs complete in order", () => {
  const ring = new Ring(8);
  try {
    for (let i = 0; i < 4; i++) {
      const sqe = ring.getSqe()!;
      prepNop(sqe);
      sqeSetData(sqe, i);
      if (i < 3) sqeSetFlags(sqe, IOSQE_IO_LINK);
    }
    const order: number[] = [];
    ring.submitAndWait(4);
    ring.forEachCqe((ud) => order.push(ud));
    assert.deepEqual(order, [0, 1, 2, 3]);
  } finally {
    ring.close();
  }
});

test("a wait with a timeout returns when the time passes and nothing completed", () => {
  const ring = new Ring(8);
  try {
    const t0 = performance.now();
    const ready = ring.submitAndWait(1, { timeoutNs: 20_000_000 });
    const ms = performance.now() - t0;
    assert.equal(ready, 0);
    assert.ok(ms >= 15 && ms < 2000, `waited ${ms} ms for a 20 ms timeout`);
    prepNop(ring.getSqe()!);
    assert.equal(ring.submitAndWait(1, { timeoutNs: 1e9 }), 1);
  } finally {
    ring.close();
  }
});

{
  const ring = new Ring(2);
  const hasMin = (ring.features & IORING_FEAT_MIN_TIMEOUT) !== 0;
  ring.close();
  test("a min-wait returns once one CQE is ready and the minimum passed", skipIf(!hasMin && "IORING_FEAT_MIN_TIMEOUT (Linux 6.12) is missing"), () => {
    const r = new Ring(8);
    try {
      prepNop(r.getSqe()!);
      const t0 = performance.now();
      // Ask for 4 with a 5 s timeout; the min-wait of 10 ms lets it return with the 1 that completed.
      const ready = r.submitAndWait(4, { timeoutNs: 5e9, minWaitUsec: 10_000 });
      const ms = performance.now() - t0;
      assert.equal(ready, 1);
      assert.ok(ms < 2000, `returned after ${ms} ms`);
    } finally {
      r.close();
    }
  });
}

test("an SQPOLL ring wakes its sleeping thread on submit", async () => {
  const ring = new Ring(8, { flags: IORING_SETUP_SQPOLL, sqThreadIdle: 1 });
  try {
    assert.deepEqual(nopRoundTrip(ring, 3).sort(), [1, 2, 3]);
    // Let the thread go idle (1 ms) and sleep, then submit again: submit() must wake it.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(nopRoundTrip(ring, 3, 10).sort(), [10, 11, 12]);
  } finally {
    ring.close();
  }
});

test("a hot loop polling cqReady() sees what the SQPOLL thread posts (the JIT must not hoist the tail load)", () => {
  // JavaScriptCore hoisted a plain load of the CQ tail out of such a loop once it was optimized (2624 of 3000 spins
  // never ended); V8 does not. core/barrier.ts picks plain loads only where the backend vouches for them.
  const ring = new Ring(8, { flags: IORING_SETUP_SQPOLL, sqThreadIdle: 200 });
  const spin = (limit: number): boolean => {
    for (let n = 0; n < limit; n++) if (ring.cqReady() !== 0) return true;
    return false;
  };
  try {
    let missed = 0;
    for (let i = 0; i < 3000; i++) {
      prepNop(ring.getSqe()!);
      ring.submit();
      if (!spin(2e6)) {
        // The spin gave up: either the SQ thread is slow (the machine is busy) or the loop missed the CQE. A fresh
        // call tells them apart; wait for the CQE either way.
        if (ring.cqReady() !== 0) missed++;
        ring.submitAndWait(1);
      }
      ring.forEachCqe(() => {});
    }
    assert.equal(missed, 0, "spins that missed a posted CQE");
  } finally {
    ring.close();
  }
});

const noResize = resizeRefused();
const DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

for (const c of [{ name: "", flags: 0 }, { name: " (rings in caller memory, NO_MMAP)", flags: IORING_SETUP_NO_MMAP }]) {
  test(`resize carries unsubmitted SQEs and unreaped CQEs over, then the bigger rings work${c.name}`,
    skipIf(noResize), () => {
    const ring = new Ring(4, { flags: DEFER | c.flags, cqEntries: 8 });
    try {
      // Two completions left unreaped, three SQEs got and written but not submitted.
      for (const ud of [100, 101]) {
        const s = ring.getSqe()!;
        prepNop(s);
        sqeSetData(s, ud);
      }
      ring.submitAndWait(2);
      for (const ud of [1, 2, 3]) {
        const s = ring.getSqe()!;
        prepNop(s);
        sqeSetData(s, ud);
      }
      const before = ring.getSqe()!; // one more, never written: a stale object after the resize
      ring.resize(64, { cqEntries: 256 });
      assert.equal(ring.sqEntries, 64);
      assert.equal(ring.cqEntries, 256);
      assert.equal(before.u32.length, 0, "SQE objects from before the resize are detached");
      const seen: number[] = [];
      ring.forEachCqe((ud) => seen.push(ud));
      assert.deepEqual(seen, [100, 101], "unreaped CQEs carried over");
      // The three written SQEs and the blank one (a NOP with user_data 0) go with the next submit.
      ring.submitAndWait(4);
      seen.length = 0;
      ring.forEachCqe((ud, res) => seen.push(res === 0 ? ud : -1));
      assert.deepEqual(seen, [1, 2, 3, 0]);
      // Many ring wraps at the new size, each SQE handed out zeroed.
      for (let lap = 0; lap < 20; lap++) {
        for (let i = 0; i < 64; i++) {
          const s = ring.getSqe();
          assert.ok(s, `lap ${lap}: SQE ${i}`);
          for (let k = 0; k < s.words; k++) assert.equal(s.u32[k], 0, `lap ${lap}, SQE ${i}, word ${k}`);
          prepNop(s);
          sqeSetData(s, lap * 64 + i);
        }
        assert.equal(ring.getSqe(), null, "64 SQEs fill the resized SQ");
        ring.submitAndWait(64);
        let next = lap * 64;
        assert.equal(ring.forEachCqe((ud) => assert.equal(ud, next++)), 64);
      }
    } finally {
      ring.close();
    }
  });
}

test("resize shrinks an idle ring, and refuses what it cannot do with clear errors", skipIf(noResize), () => {
  const ring = new Ring(32, { flags: DEFER });
  const plain = new Ring(4);
  try {
    ring.resize(2, { cqEntries: 4 });
    assert.equal(ring.sqEntries, 2);
    assert.deepEqual(nopRoundTrip(ring, 2, 7).sort(), [7, 8]);
    ring.resize(2, { cqEntries: 4 }); // the sizes it has: nothing to do
    assert.deepEqual(nopRoundTrip(ring, 2, 9).sort((a, b) => a - b), [9, 10]);
    for (const bad of [0, -1, 1.5, 65536]) assert.throws(() => ring.resize(bad), /sqEntries must be/);
    assert.throws(() => ring.resize(4, { cqEntries: 0 }), /cqEntries must be/);
    assert.throws(() => plain.resize(8), (e: unknown) => e instanceof UringError && e.code === "EINVAL" &&
      /DEFER_TASKRUN/.test(e.message));
    ring.close();
    assert.throws(() => ring.resize(4), /closed/);
  } finally {
    ring.close();
    plain.close();
  }
});

const noRingFds = registerOpMissing(IORING_REGISTER_RING_FDS) ?? false;

test("a ring registers its fd at setup unless told not to, and falls back to the fd when the table is full", skipIf(noRingFds), () => {
  const rings: Ring[] = [];
  try {
    const plain = new Ring(8, { registerFd: false });
    rings.push(plain);
    assert.equal(plain.ringIndex, -1);
    assert.equal(nopRoundTrip(plain, 2).length, 2);
    const disabled = new Ring(8, { flags: IORING_SETUP_R_DISABLED });
    rings.push(disabled);
    assert.equal(disabled.ringIndex, -1, "a disabled ring registers its fd only when enabled");
    disabled.enable();
    assert.ok(disabled.ringIndex >= 0, "registered by enable()");
    assert.equal(nopRoundTrip(disabled, 1).length, 1);
    // A thread has 16 registered-ring slots (IO_RINGFD_REG_MAX); other rings of this process may hold some.
    const indexes = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const r = new Ring(4);
      rings.push(r);
      if (r.ringIndex >= 0) indexes.add(r.ringIndex);
      assert.equal(nopRoundTrip(r, 1).length, 1, `ring ${i} (index ${r.ringIndex}) works`);
    }
    assert.ok(indexes.size >= 1 && indexes.size <= 16, `${indexes.size} distinct registered indexes`);
    assert.equal(rings.at(-1)!.ringIndex, -1, "the 20th ring found no free slot and uses its fd");
    assert.throws(() => rings.at(-1)!.registerRingFd(), (e: unknown) => e instanceof UringError && e.code === "EBUSY");
  } finally {
    for (const r of rings) r.close();
  }
  // Closing released every slot: a new ring registers again.
  const again = new Ring(4);
  try {
    assert.ok(again.ringIndex >= 0);
  } finally {
    again.close();
  }
});

test("a visitor that throws releases the CQEs it consumed, so none is delivered twice", () => {
  const ring = new Ring(8);
  try {
    for (let i = 1; i <= 4; i++) {
      const sqe = ring.getSqe()!;
      prepNop(sqe);
      sqeSetData(sqe, i);
    }
    assert.equal(ring.submitAndWait(4), 4);
    const seen: number[] = [];
    assert.throws(() => ring.forEachCqe((ud) => {
      seen.push(ud);
      if (ud === 2) throw new Error("handler failed");
    }), /handler failed/);
    assert.equal(ring.cqReady(), 2);
    ring.forEachCqe((ud) => seen.push(ud));
    assert.deepEqual(seen, [1, 2, 3, 4]);
  } finally {
    ring.close();
  }
});

test("a registered ring fd drives the ring", skipIf(noRingFds), () => {
  const ring = new Ring(8, { registerFd: false });
  try {
    const index = ring.registerRingFd();
    assert.ok(index >= 0);
    assert.equal(nopRoundTrip(ring, 4).length, 4);
    ring.unregisterRingFd();
    assert.equal(ring.ringIndex, -1);
    assert.equal(nopRoundTrip(ring, 2).length, 2);
  } finally {
    ring.close();
  }
});

test("ATTACH_WQ shares another ring's worker pool", () => {
  const a = new Ring(8);
  const b = new Ring(8, { attachWq: a });
  try {
    assert.ok(b.flags & IORING_SETUP_ATTACH_WQ);
    assert.equal(nopRoundTrip(b, 2).length, 2);
  } finally {
    b.close();
    a.close();
  }
  assert.throws(() => new Ring(8, { attachWq: a }), /closed/);
});

test("register passes through to the kernel and returns -errno on failure", () => {
  const ring = new Ring(8);
  try {
    const probe = new Uint8Array(16 + 256 * 8);
    assert.equal(ring.register(IORING_REGISTER_PROBE, probe, 256), 0);
    assert.ok((probe[0] ?? 0) >= 30, "last_op is reported (5.10 already has 36)");
    assert.equal(ring.register(9999, null, 0), -EINVAL);
    assert.throws(() => ring.registerOrThrow(9999, null, 0, "register nonsense"), /EINVAL/);
  } finally {
    ring.close();
  }
});

test("a closed ring throws a clear error on every use, and close is idempotent", () => {
  const ring = new Ring(8);
  const sqe = ring.getSqe()!;
  ring.close();
  ring.close();
  assert.ok(ring.isClosed);
  for (const use of [() => ring.getSqe(), () => ring.submit(), () => ring.submitAndWait(1), () => ring.getEvents(),
    () => ring.forEachCqe(() => {}), () => ring.register(IORING_REGISTER_PROBE, null, 0), () => ring.cqReady(),
    () => ring.sqPending(), () => ring.sqSpaceLeft(), () => ring.sqDropped(), () => ring.cqNeedsFlush(),
    () => ring.cqOverflowCount()]) {
    assert.throws(use, (e: unknown) => e instanceof UringError && /the ring is closed/.test(e.message));
  }
  // A stale SQE's views are detached: writes go nowhere instead of into unmapped memory.
  assert.equal(sqe.u32.length, 0);
  prepNop(sqe);
});

test("bad setup input is refused with a clear error before the kernel sees it", () => {
  const cases: [number, ConstructorParameters<typeof Ring>[1], RegExp][] = [
    [0, {}, /entries must be a positive integer/],
    [-1, {}, /entries must be a positive integer/],
    [1.5, {}, /entries must be a positive integer/],
    [65536, {}, /at most 32768.*CLAMP/],
    [8, { cqEntries: 4 }, /cqEntries \(4\) must be at least entries/],
    [8, { cqEntries: 1 << 20 }, /cqEntries must be at most 65536/],
    [8, { flags: IORING_SETUP_DEFER_TASKRUN }, /DEFER_TASKRUN needs IORING_SETUP_SINGLE_ISSUER/],
    [8, { flags: IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN }, /SQPOLL/],
    [8, { flags: IORING_SETUP_TASKRUN_FLAG }, /TASKRUN_FLAG needs/],
    [8, { flags: IORING_SETUP_SQ_AFF }, /need IORING_SETUP_SQPOLL/],
    [8, { sqThreadIdle: 5 }, /need IORING_SETUP_SQPOLL/],
    [8, { flags: IORING_SETUP_REGISTERED_FD_ONLY }, /needs IORING_SETUP_NO_MMAP/],
    [8, { flags: IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED }, /exclude each other/],
    [8, { flags: IORING_SETUP_SQE128 | IORING_SETUP_SQE_MIXED }, /exclude each other/],
    [8, { flags: 2 ** 33 }, /flags must be a u32/],
  ];
  for (const [entries, options, pattern] of cases) {
    assert.throws(() => new Ring(entries, options), (e: unknown) => {
      assert.ok(e instanceof UringError, `${entries} ${JSON.stringify(options)} throws UringError`);
      assert.equal(e.code, "ERINGSIDE");
      assert.match(e.message, /^Cannot set up io_uring: /);
      assert.match(e.message, pattern);
      return true;
    });
  }
});

test("a flag the kernel does not know comes back as EINVAL with the flags named", () => {
  assert.throws(() => new Ring(8, { flags: 1 << 30 }), (e: unknown) => {
    assert.ok(e instanceof UringError);
    assert.equal(e.code, "EINVAL");
    assert.equal(e.errno, 22);
    assert.match(e.message, /flags 0x40000000/);
    return true;
  });
});

test("closing a ring with a registered fd releases the ring (enter on the old index fails)", skipIf(noRingFds), () => {
  const ring = new Ring(8);
  const index = ring.registerRingFd();
  ring.close();
  // A second ring registering now gets the freed index back only if the first was unregistered.
  const other = new Ring(8);
  try {
    assert.equal(other.registerRingFd(), index);
  } finally {
    other.close();
  }
});
