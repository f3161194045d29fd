/**
 * NOP throughput: how many no-op SQEs per second go through the ring, at batch sizes 1, 8, 32 and 128, ringside
 * in this process against the same loop in C with liburing (`bench/c/nop.c`) as a child process, interleaved.
 *
 * Both loops do the same work per batch: get `batch` SQEs, prep a NOP, set user_data to a running sequence number,
 * one `io_uring_enter(batch, batch, GETEVENTS)`, then visit the CQEs checking res 0 and user_data in order, and
 * release them with one store of the CQ head. Ring of 128 SQEs (CQ 256) in both. The clock is read once per 4096
 * operations in both. NOPs complete inline in the submitting task, so each variant is one thread's work.
 *
 *   bun bench/nop.ts [--json] [--quick] [--rounds N] [--ms N] [--cpu N | --no-pin] [--batch B[,B...]] [--floor]
 *   deno run -A bench/nop.ts ...
 *
 * `--floor` adds a third variant, `ts-floor`: the same loop with no SQE objects and no ringside calls at all (see
 * FloorLoop), which says how close any JavaScript loop comes to C on this machine and runtime.
 *
 * The process pins its main thread to one CPU (the last by default) and the C child runs on the same CPU.
 *
 * @module
 */
import { Bench, buildC, measure, runChild, type Sample, type Variant } from "./harness.ts";
import { Ring } from "ringside-uring/ring";
import { prepNop } from "ringside-uring/prep";
import { sqeSetData } from "ringside-uring/ring";
import { loadAcquire32, storeRelease32 } from "ringside-uring/core";
import { IORING_ENTER_GETEVENTS } from "ringside-uring/abi";

/** SQ entries of both rings (the CQ gets twice as many, the kernel's default). */
const ENTRIES = 128;
/** Operations between two readings of the clock; a multiple of every batch size. Same constant in nop.c. */
const CHUNK = 4096;
const BATCHES = [1, 8, 32, 128];

/** The ringside loop over one ring, with the CQE visitor made once. */
class NopLoop {
  private expected = 0;
  private bad = 0;
  private readonly ring: Ring;
  private readonly batch: number;
  /** Checks each CQE as nop.c does: res 0, user_data the next number in sequence. */
  private readonly visit = (userData: number, res: number): void => {
    if (res !== 0 || userData !== this.expected) this.bad++;
    this.expected++;
  };

  constructor(ring: Ring, batch: number) {
    this.ring = ring;
    this.batch = batch;
  }

  /** Runs whole chunks until `ms` have passed; returns the operations done. Throws on any bad completion. */
  run(ms: number): number {
    this.expected = 0;
    this.bad = 0;
    this.seq = 0;
    let ops = 0;
    const deadline = performance.now() + ms;
    do {
      // The work sits in its own method: the harness's full GC before each sample discards V8's on-stack-
      // replacement code, and a hot loop inside one long run() was recompiled several times per run.
      this.chunk();
      ops += CHUNK;
    } while (performance.now() < deadline);
    if (this.bad !== 0) throw new Error(`NOP loop: ${this.bad} bad completions`);
    return ops;
  }

  private seq = 0;

  /** CHUNK operations in batches: get SQEs, prep, one submit-and-wait per batch, reap. */
  private chunk(): void {
    const ring = this.ring;
    const batch = this.batch;
    for (let done = 0; done < CHUNK; done += batch) {
      for (let i = 0; i < batch; i++) {
        const sqe = ring.getSqe();
        if (sqe === null) throw new Error("Cannot get an SQE: the SQ is full");
        prepNop(sqe);
        sqeSetData(sqe, this.seq++);
      }
      ring.submitAndWait(batch);
      if (ring.forEachCqe(this.visit) !== batch) this.bad++;
    }
  }
}

/** The Ring's private fields FloorLoop reaches into (names as in ring.ts). */
interface RingInternals {
  sqeF64: Float64Array;
  sqRing: Uint32Array;
  cqRing: Uint32Array;
  cqI32: Int32Array;
  sqMask: number;
  cqMask: number;
  sqTailIdx: number;
  cqHeadIdx: number;
  cqTailIdx: number;
  cqesWord: number;
  sqeTail: number;
  cqHead: number;
  enterFd: number;
  enterFlags: number;
  fnEnter: (fd: number, toSubmit: number, minComplete: number, flags: number, sig: null) => number;
}

/**
 * The floor: the NOP loop as plain JavaScript over the ring's mappings, with nothing of ringside's API in it. Each
 * SQE's 16 words are stored through one Uint32Array over the SQE array (all of them, as liburing's prep does, so
 * nothing needs zeroing), the SQ tail is published and `io_uring_enter` called through the FFI binding directly, and
 * CQEs are read in place. It reaches into a Ring's private fields, on a ring of its own: a measuring stick, not a
 * way to use ringside. The difference between it and `ringside` is what the API costs; between it and C, what the
 * runtime (JIT code and FFI call) costs.
 */
class FloorLoop {
  private readonly r: RingInternals;
  private readonly sqe32: Uint32Array;
  private readonly batch: number;
  private bad = 0;

  constructor(ring: Ring, batch: number) {
    this.r = ring as unknown as RingInternals;
    this.sqe32 = new Uint32Array(this.r.sqeF64.buffer);
    this.batch = batch;
  }

  /** Runs whole chunks until `ms` have passed; returns the operations done. Throws on any bad completion. */
  run(ms: number): number {
    this.bad = 0;
    let ops = 0;
    const deadline = performance.now() + ms;
    do {
      this.chunk(ops);
      ops += CHUNK;
    } while (performance.now() < deadline);
    if (this.bad !== 0) throw new Error(`NOP floor loop: ${this.bad} bad completions`);
    return ops;
  }

  /** CHUNK operations, user_data counting on from `seq`; the Ring's tail and head fields are kept current. */
  private chunk(seq: number): void {
    const r = this.r;
    const s = this.sqe32;
    const batch = this.batch;
    const sq = r.sqRing;
    const cq = r.cqRing;
    const cqRes = r.cqI32;
    const sqMask = r.sqMask;
    const cqMask = r.cqMask;
    const cqes = r.cqesWord;
    const enter = r.fnEnter;
    const flags = IORING_ENTER_GETEVENTS | r.enterFlags;
    let tail = r.sqeTail;
    let head = r.cqHead;
    let expected = seq;
    for (let done = 0; done < CHUNK; done += batch) {
      for (let i = 0; i < batch; i++) {
        const w = (tail & sqMask) << 4;
        s[w] = 0; // IORING_OP_NOP, no flags, ioprio 0
        s[w + 1] = 0xffffffff; // fd -1
        s[w + 2] = 0;
        s[w + 3] = 0;
        s[w + 4] = 0;
        s[w + 5] = 0;
        s[w + 6] = 0;
        s[w + 7] = 0;
        s[w + 8] = seq++; // user_data (below 2^32 here)
        s[w + 9] = 0;
        s[w + 10] = 0;
        s[w + 11] = 0;
        s[w + 12] = 0;
        s[w + 13] = 0;
        s[w + 14] = 0;
        s[w + 15] = 0;
        tail = (tail + 1) | 0;
      }
      storeRelease32(sq, r.sqTailIdx, tail);
      if (enter(r.enterFd, batch, batch, flags, null) !== batch) this.bad++;
      const end = loadAcquire32(cq, r.cqTailIdx);
      for (; head !== end; head = (head + 1) >>> 0) {
        const w = cqes + ((head & cqMask) << 2);
        if (cqRes[w + 2] !== 0 || cq[w] !== expected) this.bad++;
        expected++;
      }
      storeRelease32(cq, r.cqHeadIdx, head);
    }
    r.sqeTail = tail;
    r.cqHead = head;
  }
}

function parseBatches(rest: readonly string[]): number[] {
  const i = rest.indexOf("--batch");
  if (i < 0) return BATCHES;
  const list = (rest[i + 1] ?? "").split(",").map(Number);
  for (const b of list) {
    if (!Number.isInteger(b) || b < 1 || b > ENTRIES || CHUNK % b !== 0) {
      throw new Error(`Bad --batch: each batch must divide ${CHUNK} and be at most ${ENTRIES}, got ${rest[i + 1]}`);
    }
  }
  return list;
}

const bench = new Bench("nop");
const batches = parseBatches(bench.options.rest);
const floor = bench.options.rest.includes("--floor");
const exe = buildC("nop");
if (exe.path === null) bench.note(`c-liburing skipped: ${exe.reason}; running the ringside variant only`);

for (const batch of batches) {
  const ring = new Ring(ENTRIES);
  const floorRing = floor ? new Ring(ENTRIES) : null;
  try {
    const loop = new NopLoop(ring, batch);
    const variants: Variant[] = [];
    if (exe.path !== null) {
      const path = exe.path;
      variants.push({
        name: "c-liburing",
        run: (ms: number): Sample => runChild(path, [String(batch), String(ms), String(ENTRIES)], bench.cpu),
      });
    }
    variants.push({ name: "ringside", run: (ms: number): Sample => measure(() => loop.run(ms)) });
    if (floorRing !== null) {
      const floorLoop = new FloorLoop(floorRing, batch);
      variants.push({ name: "ts-floor", run: (ms: number): Sample => measure(() => floorLoop.run(ms)) });
    }
    await bench.compare({ batch }, "c-liburing", variants);
  } finally {
    ring.close();
    floorRing?.close();
  }
}
bench.finish();
