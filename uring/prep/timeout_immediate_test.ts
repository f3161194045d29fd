/**
 * Timeouts with the time in the SQE (IORING_TIMEOUT_IMMEDIATE_ARG, Linux 7.1) against the kernel: they fire, count
 * completions, cancel a linked request and update an armed timeout, with no timespec anywhere; kernels before 7.1
 * refuse the flag with EINVAL.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { NativeMemory } from "../core/memory.ts";
import { Ring } from "../ring/ring.ts";
import { sqeSetData, sqeSetFlags } from "../ring/sqe.ts";
import { ioUringOlderThan, needs } from "../ring/_since.ts";
import { ECANCELED, EINVAL, ETIME } from "../abi/errno.ts";
import { IOSQE_IO_LINK } from "../abi/uapi.ts";
import { closeTracked, makePipe, skipIf } from "../../testing/mod.ts";
import { prepNop } from "./nop.ts";
import { prepRead } from "./rw.ts";
import { prepLinkTimeoutImmediate, prepTimeoutImmediate, prepTimeoutUpdateImmediate } from "./timeout.ts";

const noImmediate = ioUringOlderThan("7.1") && needs("IORING_TIMEOUT_IMMEDIATE_ARG", "7.1");
const hasImmediate = !noImmediate && "this kernel has IORING_TIMEOUT_IMMEDIATE_ARG (Linux 7.1)";

/** Reaps until `n` CQEs were seen: user_data to res. */
function reap(ring: Ring, n: number): Map<number, number> {
  const seen = new Map<number, number>();
  while (seen.size < n) {
    ring.submitAndWait(n - seen.size);
    ring.forEachCqe((ud, res) => void seen.set(ud, res));
  }
  return seen;
}

function withRing(fn: (ring: Ring) => void): void {
  const ring = new Ring(8);
  try {
    fn(ring);
  } finally {
    ring.close();
    closeTracked();
  }
}

const fires = "prepTimeoutImmediate fires after the nanoseconds held in the SQE (-ETIME)";
test(fires, skipIf(noImmediate, fires), () =>
  withRing((ring) => {
    const start = performance.now();
    const sqe = ring.getSqe()!;
    prepTimeoutImmediate(sqe, 30_000_000, 0, 0);
    sqeSetData(sqe, 1);
    assert.deepEqual([...reap(ring, 1)], [[1, -ETIME]]);
    assert.ok(performance.now() - start >= 25, "not before the 30 ms it was given");
  }));

const counts = "prepTimeoutImmediate with a count completes with 0 once that many requests completed";
test(counts, skipIf(noImmediate, counts), () =>
  withRing((ring) => {
    const timeout = ring.getSqe()!;
    prepTimeoutImmediate(timeout, 60_000_000_000, 1, 0);
    sqeSetData(timeout, 1);
    const nop = ring.getSqe()!;
    prepNop(nop);
    sqeSetData(nop, 2);
    assert.deepEqual([...reap(ring, 2)].sort(), [[1, 0], [2, 0]]);
  }));

const linked = "prepLinkTimeoutImmediate cancels the linked read when its time passes";
test(linked, skipIf(noImmediate, linked), () =>
  withRing((ring) => {
    const [r] = makePipe();
    const buf = NativeMemory.allocate(64);
    const read = ring.getSqe()!;
    prepRead(read, r, buf.address, 64, -1); // an empty pipe: waits until the timeout cancels it
    sqeSetFlags(read, IOSQE_IO_LINK);
    sqeSetData(read, 1);
    const timeout = ring.getSqe()!;
    prepLinkTimeoutImmediate(timeout, 20_000_000, 0);
    sqeSetData(timeout, 2);
    const seen = reap(ring, 2);
    assert.equal(seen.get(1), -ECANCELED);
    assert.equal(seen.get(2), -ETIME);
    buf.free(); // both CQEs are in: the kernel is done with it
  }));

const updated = "prepTimeoutUpdateImmediate moves an armed timeout's expiry to the nanoseconds in the SQE";
test(updated, skipIf(noImmediate, updated), () =>
  withRing((ring) => {
    const start = performance.now();
    const timeout = ring.getSqe()!;
    prepTimeoutImmediate(timeout, 60_000_000_000, 0, 0);
    sqeSetData(timeout, 7);
    ring.submit();
    const update = ring.getSqe()!;
    prepTimeoutUpdateImmediate(update, 1_000_000, 7, 0);
    sqeSetData(update, 8);
    const seen = reap(ring, 2);
    assert.equal(seen.get(8), 0, "the update found the timeout");
    assert.equal(seen.get(7), -ETIME, "the timeout fired");
    assert.ok(performance.now() - start < 30_000, "after 1 ms, not the 60 s it was armed with");
  }));

const refused = "kernels before 7.1 refuse IORING_TIMEOUT_IMMEDIATE_ARG with EINVAL";
test(refused, skipIf(hasImmediate, refused), () =>
  withRing((ring) => {
    const sqe = ring.getSqe()!;
    prepTimeoutImmediate(sqe, 1_000_000, 0, 0);
    sqeSetData(sqe, 1);
    assert.deepEqual([...reap(ring, 1)], [[1, -EINVAL]]);
  }));
