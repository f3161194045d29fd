/**
 * IORING_SETUP_SQ_REWIND (Linux 7.0): the kernel reads every batch from SQE slot 0 and leaves the SQ head and tail
 * at 0, so the ring must hand out slot 0 again after each submit, move SQEs the kernel did not take to the front,
 * and carry a pending batch over a resize itself.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Ring } from "./ring.ts";
import { UringError } from "../core/errors.ts";
import { prepNop } from "../prep/nop.ts";
import { prepRw } from "../prep/base.ts";
import { sqeSetData } from "./sqe.ts";
import {
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQ_REWIND,
  IORING_SETUP_SQPOLL,
} from "../abi/uapi.ts";
import { EINVAL } from "../abi/errno.ts";
import { skipIf } from "../../testing/mod.ts";
import { setupFlagSupported } from "./probe.ts";
import { ioUringOlderThan, needs } from "./_since.ts";

const REWIND = IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY;
const noRewind = !setupFlagSupported(IORING_SETUP_SQ_REWIND) &&
  (ioUringOlderThan("7.0") ? needs("IORING_SETUP_SQ_REWIND", "7.0") : "this kernel refuses IORING_SETUP_SQ_REWIND");
const noResize = noRewind ||
  (!setupFlagSupported(REWIND | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) &&
    "this kernel refuses SQ_REWIND with DEFER_TASKRUN");

/** Reaps until `n` CQEs were seen; returns [user_data, res] in completion order. */
function reap(ring: Ring, n: number): [number, number][] {
  const seen: [number, number][] = [];
  while (seen.length < n) {
    ring.submitAndWait(n - seen.length);
    ring.forEachCqe((ud, res) => void seen.push([ud, res]));
  }
  return seen;
}

test("SQ_REWIND without NO_SQARRAY, or with SQPOLL, is refused before the kernel sees it", () => {
  const refused = (flags: number, why: RegExp) =>
    assert.throws(() => new Ring(8, { flags }), (e: unknown) => e instanceof UringError && e.code === "ERINGSIDE" &&
      why.test(e.message));
  refused(IORING_SETUP_SQ_REWIND, /IORING_SETUP_SQ_REWIND needs IORING_SETUP_NO_SQARRAY/);
  refused(REWIND | IORING_SETUP_SQPOLL, /IORING_SETUP_SQ_REWIND cannot be combined with IORING_SETUP_SQPOLL/);
});

const batches = "an SQ_REWIND ring submits NOP batches from slot 0, again and again, past the ring's size";
test(batches, skipIf(noRewind, batches), () => {
  const ring = new Ring(8, { flags: REWIND });
  try {
    assert.ok(ring.flags & IORING_SETUP_SQ_REWIND, "the kernel reports the flag back");
    let ud = 1;
    // 3 + 5 + 8 + 1 + 8 + 8 = 33 NOPs through 8 slots: a circular SQ would have wrapped four times.
    for (const size of [3, 5, 8, 1, 8, 8]) {
      const first = ud;
      for (let i = 0; i < size; i++) {
        const sqe = ring.getSqe();
        assert.ok(sqe, `slot ${i} of a batch of ${size}`);
        assert.equal(sqe.index, i, "every batch starts at slot 0");
        prepNop(sqe);
        sqeSetData(sqe, ud++);
      }
      if (size === 8) assert.equal(ring.getSqe(), null, "a full batch leaves no slot");
      assert.equal(ring.sqPending(), size);
      assert.equal(ring.submit(), size, "the kernel takes the whole batch");
      assert.equal(ring.sqPending(), 0);
      assert.equal(ring.sqSpaceLeft(), 8);
      const seen = reap(ring, size);
      assert.deepEqual(seen.map(([u]) => u).sort((a, b) => a - b), Array.from({ length: size }, (_, i) => first + i));
      assert.ok(seen.every(([, res]) => res === 0));
    }
  } finally {
    ring.close();
  }
});

const partial = "SQEs an SQ_REWIND ring's kernel did not take go with the next submit";
test(partial, skipIf(noRewind, partial), () => {
  const ring = new Ring(8, { flags: REWIND });
  try {
    // The kernel stops a batch at an SQE that fails to prepare (an unknown opcode: EINVAL) without SUBMIT_ALL: it
    // takes that one (its CQE carries the error) and leaves the rest, which the ring moves back to slot 0.
    for (const [ud, op] of [[1, -1], [2, 200], [3, -1], [4, -1]] as const) {
      const sqe = ring.getSqe()!;
      if (op < 0) prepNop(sqe);
      else prepRw(op, sqe, -1, 0, 0, 0);
      sqeSetData(sqe, ud);
    }
    assert.equal(ring.submit(), 2, "the NOP and the refused SQE");
    assert.equal(ring.sqPending(), 2, "two SQEs wait");
    const next = ring.getSqe()!;
    assert.equal(next.index, 2, "the waiting SQEs took slots 0 and 1");
    prepNop(next);
    sqeSetData(next, 5);
    assert.equal(ring.submit(), 3, "the two that waited and the new one");
    assert.deepEqual(reap(ring, 5).sort((a, b) => a[0] - b[0]), [[1, 0], [2, -EINVAL], [3, 0], [4, 0], [5, 0]],
      "each SQE ran once");
    ring.getEvents();
    assert.equal(ring.cqReady(), 0, "and no SQE ran twice");
  } finally {
    ring.close();
  }
});

const resized = "resizing an SQ_REWIND ring carries the pending batch into the new SQE array";
test(resized, skipIf(noResize, resized), () => {
  const ring = new Ring(4, { flags: REWIND | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN });
  try {
    for (let ud = 1; ud <= 3; ud++) {
      const sqe = ring.getSqe()!;
      prepNop(sqe);
      sqeSetData(sqe, ud);
    }
    assert.throws(() => ring.resize(2), (e: unknown) => e instanceof UringError && e.code === "ERINGSIDE" &&
      /3 SQEs are waiting/.test(e.message));
    ring.resize(16);
    assert.equal(ring.sqEntries, 16);
    assert.equal(ring.sqPending(), 3);
    assert.equal(ring.getSqe()!.index, 3, "the batch kept its slots");
    assert.equal(ring.submit(), 4);
    assert.deepEqual(reap(ring, 4).map(([u]) => u).sort((a, b) => a - b), [0, 1, 2, 3],
      "the three NOPs and the zeroed SQE after them (user_data 0)");
  } finally {
    ring.close();
  }
});
