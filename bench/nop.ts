/**
 * NOP throughput: how many no-op SQEs per second go through the ring, at batch sizes 1, 8, 32 and 128, ringside
 * in this process against the same loop in C with liburing (`bench/c/nop.c`) as a child process, interleaved.
 *
 * Both loops do the same work per batch: get `batch` SQEs, prep a NOP, set user_data to a running sequence number,
 * one `io_uring_enter(batch, batch, GETEVENTS)`, then visit the CQEs checking res 0 and user_data in order, and
 * release them with one store of the CQ head. Ring of 128 SQEs (CQ 256) in both. The clock is read once per 4096
 * operations in both. NOPs complete inline in the submitting task, so each variant is one thread's work.
 *
 *   bun bench/nop.ts [--json] [--quick] [--rounds N] [--ms N] [--cpu N | --no-pin] [--batch B[,B...]]
 *   deno run -A bench/nop.ts ...
 *
 * The process pins its main thread to one CPU (the last by default) and the C child runs on the same CPU.
 *
 * @module
 */
import { Bench, buildC, measure, runChild, type Sample, type Variant } from "./harness.ts";
import { Ring } from "../uring/ring.ts";
import { prepNop } from "../uring/prep/nop.ts";
import { sqeSetData } from "../uring/sqe.ts";

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
const exe = buildC("nop");
if (exe.path === null) bench.note(`c-liburing skipped: ${exe.reason}; running the ringside variant only`);

for (const batch of batches) {
  const ring = new Ring(ENTRIES);
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
    await bench.compare({ batch }, "c-liburing", variants);
  } finally {
    ring.close();
  }
}
bench.finish();
