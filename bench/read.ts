/**
 * Random 4 KiB reads from a file in the page cache at queue depth 32: reads per second (IOPS) of ringside's raw
 * ring (plain and registered buffers), its promise API, node:fs (synchronous at QD 1, and fs/promises), the
 * runtime's own file API, and the same loop in C with liburing (`bench/c/read.c`) as a child process, interleaved.
 *
 * The file: `<os.tmpdir()>/ringside-bench-read-<N>MiB.dat`, 256 MiB by default (`--file-mib N`): eight times the
 * L3 cache of the machines this runs on, a hundredth of their RAM. Every 32-bit word of page `p` holds `p`, so
 * each read is checked (result 4096 and first word = page number) in every variant. It is made once and reused
 * when its size and sampled pages are right. Before measuring, the bench re-caches it by reading it sequentially
 * (1 MiB reads), then reads it again and prints that second pass's rate: a rate of several GB/s says the whole
 * file is in the page cache, so no variant waits for a disk.
 *
 * The offsets: 2^20 page numbers from a 32-bit xorshift (13, 17, 5) seeded with 0x2545F491, each modulo the page
 * count, times 4096. Every sample of every variant starts at the first one; read.c builds the same sequence
 * (checked once per run through `read --checksum`).
 *
 * Variants (baseline `c-liburing`):
 * - `c-liburing` / `c-liburing-fixed`: read.c, O_RDONLY (buffered), a ring of 32 SQEs (CQ 64), `io_uring_prep_read`
 *   (or `_read_fixed` into 32 registered 4 KiB buffers), user_data = buffer slot: prime 32 reads, then
 *   `io_uring_submit_and_wait(1)`, visit every ready CQE, advance the CQ once, queue one read per completion into
 *   the freed buffer; the refills go in with the next submit-and-wait. The clock is read once per 4096
 *   completions; at the deadline the reads in flight are reaped and counted.
 * - `ringside-read` / `ringside-read-fixed`: the same loop, step for step, on {@link Ring} with `prepRead` into
 *   one {@link NativeMemory} mapping (or `prepReadFixed` into a {@link RegisteredBufferPool} of 32 x 4 KiB).
 * - `ringside-loop`: `read(loop, fd, view, offset)` from `uring/fs/` on a default (integrated) {@link Loop},
 *   32 async workers each awaiting one read at a time, into views of native memory (used in place, no bounce).
 * - `fs-promises`: node:fs/promises `FileHandle.read` by 32 async workers.
 * - `node-readSync`: node:fs `readSync` at QD 1 (it blocks).
 * - `bun-file` (Bun, `read_bun.ts`): `Bun.file(path).slice(off, off + 4096).arrayBuffer()` by 32 async workers.
 * - `deno-fsfile` (Deno, `read_deno.ts`): 32 `Deno.FsFile` handles, each worker doing `seek` then `read` on its
 *   own handle (FsFile has no positional read).
 *
 * The async workers share one cursor into the offsets and read the clock once per 256 completions.
 *
 *   bun bench/read.ts [--json] [--quick] [--rounds N] [--ms N] [--cpu N | --no-pin] [--qd N] [--file-mib N]
 *                     [--only c-liburing,ringside-read,...]
 *   deno run -A bench/read.ts ...
 *
 * The process pins its main thread to one CPU (the last by default) and the C child runs on the same CPU. Threads
 * a runtime starts later for its file I/O (fs/promises, Bun.file, Deno.FsFile) inherit that pin; `--no-pin` lets
 * them use every CPU.
 *
 * @module
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from
  "node:fs";
import { type FileHandle, open as openHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  Bench,
  buildC,
  cpuNs,
  measure,
  nowNs,
  runChild,
  runtime,
  type Sample,
  spawnTimed,
  stats,
  type Variant,
} from "./harness.ts";
import { RegisteredBufferPool } from "ringside-uring/buffers";
import { read as loopRead } from "ringside-uring/fs";
import { Loop } from "ringside-uring/loop";
import { NativeMemory } from "ringside-uring/core";
import { prepRead, prepReadFixed } from "ringside-uring/prep";
import { Ring } from "ringside-uring/ring";
import { sqeSetData } from "ringside-uring/ring";

/** Bytes per read, and the page size of the file's layout. */
const BLOCK = 4096; // also in read_bun.ts and read_deno.ts
/** Completions between two readings of the clock in the ring loops and readSync; same constant in read.c. */
const CHUNK = 4096;
/** Completions between two readings of the clock in the async variants (they are slower; samples stay short). */
const ASYNC_CHUNK = 256;
/** Length of the offset sequence (a power of two); same constant in read.c. */
const SEQ = 1 << 20;
/** The xorshift seed, given to read.c on its command line. */
const SEED = 0x2545f491;
const DEFAULT_QD = 32;
const DEFAULT_FILE_MIB = 256;

// ---- What the runtime-specific files implement ------------------------------------------------------------------

/** The file and the reads every variant does. */
export interface ReadFixture {
  /** The file's path. */
  readonly path: string;
  /** Its size in 4 KiB pages. */
  readonly pages: number;
  /** Page numbers to read, in order (SEQ of them). */
  readonly seq: Uint32Array;
  /** Reads in flight. */
  readonly qd: number;
}

/**
 * A way to read one page asynchronously, driven by {@link driveAsync}: `qd` workers, worker `w` awaiting
 * `readOne(w, page)` and checking `firstWord(w, result)` against the page number before its next read.
 */
export interface AsyncReader<R> {
  /** The variant's name. */
  readonly name: string;
  /** Starts reading page `page` (file offset page * 4096, 4096 bytes) for worker `w`. */
  readOne(w: number, page: number): Promise<R>;
  /** The first 32-bit word of what worker `w` read, or -1 when it read fewer than 4096 bytes. */
  firstWord(w: number, result: R): number;
  /** Releases handles and buffers. */
  close(): void | Promise<void>;
}

/** What `read_bun.ts` and `read_deno.ts` export. */
interface RuntimeReads {
  nativeReader(f: ReadFixture): AsyncReader<unknown> | Promise<AsyncReader<unknown>>;
}

// ---- The offsets -----------------------------------------------------------------------------------------------

/**
 * The page numbers every variant reads, in order: xorshift32 (Marsaglia's 13, 17, 5) from `seed`, modulo `pages`.
 * read.c's page_sequence() is the same function.
 */
function pageSequence(pages: number, seed: number): Uint32Array {
  const seq = new Uint32Array(SEQ);
  let x = seed >>> 0;
  for (let i = 0; i < SEQ; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    seq[i] = x % pages;
  }
  return seq;
}

// ---- The file --------------------------------------------------------------------------------------------------

/** Whether page `p` of the open file holds `p` in its first and last words. */
function pageLooksRight(fd: number, p: number, scratch: Uint8Array): boolean {
  if (readSync(fd, scratch, 0, BLOCK, p * BLOCK) !== BLOCK) return false;
  const w = new Uint32Array(scratch.buffer, scratch.byteOffset, BLOCK / 4);
  return w[0] === p && w[BLOCK / 4 - 1] === p;
}

/** Makes the bench file (every word of page p holds p) unless a right one exists. Returns what it did. */
function ensureFile(path: string, pages: number): string {
  const scratch = new Uint8Array(BLOCK);
  if (existsSync(path) && statSync(path).size === pages * BLOCK) {
    const fd = openSync(path, "r");
    try {
      const probes = [0, pages - 1, pages >>> 1, 12345 % pages, 987654 % pages];
      if (probes.every((p) => pageLooksRight(fd, p, scratch))) return "reused";
    } finally {
      closeSync(fd);
    }
  }
  // Written under a temporary name and renamed, so a concurrent run never sees half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  const pagesPerChunk = 256;
  const chunk = new Uint32Array(pagesPerChunk * BLOCK / 4);
  const bytes = new Uint8Array(chunk.buffer);
  const fd = openSync(tmp, "w", 0o644);
  try {
    for (let p = 0; p < pages; p += pagesPerChunk) {
      const n = Math.min(pagesPerChunk, pages - p);
      for (let i = 0; i < n; i++) chunk.fill(p + i, i * BLOCK / 4, (i + 1) * BLOCK / 4);
      let off = 0;
      while (off < n * BLOCK) off += writeSync(fd, bytes, off, n * BLOCK - off, p * BLOCK + off);
    }
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  return "created";
}

/** Reads the whole file sequentially in 1 MiB reads; returns the nanoseconds it took. */
function readWhole(path: string): number {
  const buf = new Uint8Array(1 << 20);
  const fd = openSync(path, "r");
  const t0 = nowNs();
  try {
    const size = fstatSync(fd).size;
    for (let off = 0; off < size;) {
      const n = readSync(fd, buf, 0, buf.length, off);
      if (n <= 0) throw new Error(`Cannot re-cache ${path}: read returned ${n} at offset ${off}`);
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return nowNs() - t0;
}

// ---- Raw ring loops (the same loop as read.c) -------------------------------------------------------------------

/** `qd` reads kept in flight on a raw ring, refilled one per completion; read.c's run(), step for step. */
class RingReads {
  private readonly ring: Ring;
  private readonly fd: number;
  private readonly qd: number;
  private readonly seq: Uint32Array;
  private readonly fixed: boolean;
  /** Native address of slot 0's buffer; slot s is `base + s * BLOCK`. */
  private readonly base: number;
  /** Registered index of slot 0's buffer (fixed mode). */
  private readonly baseIndex: number;
  /** The buffers' memory as 32-bit words, to check what each read brought. */
  private readonly words: Uint32Array;
  /** The page each slot's read in flight is reading. */
  private readonly slotPage: Uint32Array;
  /** Slots completed in the current batch of CQEs. */
  private readonly done: Uint32Array;
  private n = 0;
  private bad = 0;
  private idx = 0;
  private inflight = 0;
  private readonly mem: NativeMemory | null = null;
  private readonly pool: RegisteredBufferPool | null = null;
  /** Checks each CQE as read.c does and notes its slot; refills happen after the CQ head is released. */
  private readonly visit = (userData: number, res: number): void => {
    if (res !== BLOCK || this.words[userData * (BLOCK / 4)] !== this.slotPage[userData]) this.bad++;
    this.done[this.n++] = userData;
  };

  constructor(fd: number, qd: number, seq: Uint32Array, fixed: boolean) {
    this.ring = new Ring(qd);
    this.fd = fd;
    this.qd = qd;
    this.seq = seq;
    this.fixed = fixed;
    this.slotPage = new Uint32Array(qd);
    this.done = new Uint32Array(qd);
    if (fixed) {
      const pool = RegisteredBufferPool.create(this.ring, { count: qd, size: BLOCK });
      // Take every buffer: slot s uses the pool's buffer s (consecutive, BLOCK apart, indexes baseIndex + s).
      for (let s = 0; s < qd; s++) pool.acquire();
      this.pool = pool;
      this.base = pool.get(pool.baseIndex).address;
      this.baseIndex = pool.baseIndex;
      this.words = new Uint32Array(pool.memory.buffer);
    } else {
      const mem = NativeMemory.allocate(qd * BLOCK);
      this.mem = mem;
      this.base = mem.address;
      this.baseIndex = 0;
      this.words = new Uint32Array(mem.buffer);
    }
  }

  /** Queues a read of the next page in the sequence into `slot`'s buffer. */
  private queue(slot: number): void {
    const sqe = this.ring.getSqe();
    if (sqe === null) throw new Error("Cannot get an SQE: the SQ is full");
    const page = this.seq[this.idx]!;
    this.idx = (this.idx + 1) & (SEQ - 1);
    if (this.fixed) prepReadFixed(sqe, this.fd, this.base + slot * BLOCK, BLOCK, page * BLOCK, this.baseIndex + slot);
    else prepRead(sqe, this.fd, this.base + slot * BLOCK, BLOCK, page * BLOCK);
    sqeSetData(sqe, slot);
    this.slotPage[slot] = page;
  }

  /**
   * Keeps `qd` reads in flight until `ms` have passed, then reaps the rest. Returns the reads done.
   *
   * The work is in {@link step}, called once per batch of CQEs rather than looping here: the harness collects
   * garbage before each sample, and a full GC drops V8's on-stack-replacement code, so a loop that lives in one
   * long call would start every sample interpreted and be compiled again while it is measured.
   */
  run(ms: number): number {
    this.idx = 0;
    this.bad = 0;
    let ops = 0;
    let nextCheck = CHUNK;
    let refill = true;
    const deadline = performance.now() + ms;
    for (let s = 0; s < this.qd; s++) this.queue(s);
    this.inflight = this.qd;
    while (this.inflight > 0) {
      ops += this.step(refill);
      if (ops >= nextCheck) {
        nextCheck += CHUNK;
        if (performance.now() >= deadline) refill = false;
      }
    }
    if (this.bad !== 0) {
      throw new Error(`${this.fixed ? "ringside-read-fixed" : "ringside-read"}: ${this.bad} failed or wrong reads`);
    }
    return ops;
  }

  /**
   * One io_uring_enter that submits the refills queued so far and waits for a completion; then every ready CQE is
   * checked, the CQ head released once, and (when `refill`) one read queued per completion. Returns the completions.
   */
  private step(refill: boolean): number {
    this.ring.submitAndWait(1);
    this.n = 0;
    this.ring.forEachCqe(this.visit);
    const n = this.n;
    this.inflight -= n;
    if (refill) {
      const done = this.done;
      for (let k = 0; k < n; k++) this.queue(done[k]!);
      this.inflight += n;
    }
    return n;
  }

  close(): void {
    if (this.pool) {
      for (let s = 0; s < this.qd; s++) this.pool.release(this.baseIndex + s);
      this.pool.close();
    }
    this.ring.close();
    this.mem?.free();
  }
}

// ---- Synchronous and asynchronous drivers --------------------------------------------------------------------

/** node:fs readSync at QD 1 through the same offsets, CHUNK reads per call of {@link readSyncChunk}. */
function readSyncLoop(fd: number, seq: Uint32Array, ms: number): number {
  const buf = new Uint8Array(BLOCK);
  const words = new Uint32Array(buf.buffer);
  let idx = 0;
  let ops = 0;
  let bad = 0;
  const deadline = performance.now() + ms;
  do {
    bad += readSyncChunk(fd, buf, words, seq, idx);
    idx = (idx + CHUNK) & (SEQ - 1);
    ops += CHUNK;
  } while (performance.now() < deadline);
  if (bad !== 0) throw new Error(`node-readSync: ${bad} failed or wrong reads`);
  return ops;
}

/** CHUNK reads from `seq[idx]` on; returns how many failed or brought the wrong page. */
function readSyncChunk(fd: number, buf: Uint8Array, words: Uint32Array, seq: Uint32Array, idx: number): number {
  let bad = 0;
  for (let i = 0; i < CHUNK; i++) {
    const page = seq[(idx + i) & (SEQ - 1)]!;
    if (readSync(fd, buf, 0, BLOCK, page * BLOCK) !== BLOCK || words[0] !== page) bad++;
  }
  return bad;
}

/**
 * Runs `qd` async workers over `reader` for about `ms` milliseconds: each takes the next page of the shared
 * sequence, awaits its read and checks it. Returns the sample (wall and CPU time up to the last worker's end).
 */
async function driveAsync(reader: AsyncReader<unknown>, f: ReadFixture, ms: number): Promise<Sample> {
  const seq = f.seq;
  let idx = 0;
  let ops = 0;
  let bad = 0;
  let nextCheck = ASYNC_CHUNK;
  let stopping = false;
  const worker = async (w: number): Promise<void> => {
    while (!stopping) {
      const page = seq[idx]!;
      idx = (idx + 1) & (SEQ - 1);
      const r = await reader.readOne(w, page);
      if (reader.firstWord(w, r) !== page) bad++;
      if (++ops >= nextCheck) {
        nextCheck += ASYNC_CHUNK;
        if (performance.now() >= deadline) stopping = true;
      }
    }
  };
  const c0 = cpuNs();
  const t0 = nowNs();
  const deadline = performance.now() + ms;
  const workers: Promise<void>[] = [];
  for (let w = 0; w < f.qd; w++) workers.push(worker(w));
  await Promise.all(workers);
  const ns = nowNs() - t0;
  const c1 = cpuNs();
  if (bad !== 0) throw new Error(`${reader.name}: ${bad} failed or wrong reads`);
  return { ops, ns, userNs: c1.userNs - c0.userNs, sysNs: c1.sysNs - c0.sysNs };
}

/** node:fs/promises: one FileHandle, `qd` reads in flight. */
async function fsPromisesReader(f: ReadFixture): Promise<AsyncReader<{ bytesRead: number }>> {
  const fh: FileHandle = await openHandle(f.path, "r");
  const bufs = Array.from({ length: f.qd }, () => new Uint8Array(BLOCK));
  const words = bufs.map((b) => new Uint32Array(b.buffer));
  return {
    name: "fs-promises",
    readOne: (w, page) => fh.read(bufs[w]!, 0, BLOCK, page * BLOCK),
    firstWord: (w, r) => (r.bytesRead === BLOCK ? words[w]![0]! : -1),
    close: () => fh.close(),
  };
}

/** ringside's promise API: `read(loop, fd, view, offset)` into views of one native mapping. */
function loopReader(f: ReadFixture, fd: number): AsyncReader<number> {
  const loop = new Loop();
  const mem = NativeMemory.allocate(f.qd * BLOCK);
  const views = Array.from({ length: f.qd }, (_, w) => mem.bytes.subarray(w * BLOCK, (w + 1) * BLOCK));
  const words = new Uint32Array(mem.buffer);
  return {
    name: "ringside-loop",
    readOne: (w, page) => loopRead(loop, fd, views[w]!, page * BLOCK),
    firstWord: (w, n) => (n === BLOCK ? words[w * (BLOCK / 4)]! : -1),
    close: async () => {
      await loop.close();
      mem.free();
    },
  };
}

// ---- Options ---------------------------------------------------------------------------------------------------

function intOption(rest: string[], name: string, dflt: number, min: number, max: number): number {
  const i = rest.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(rest[i + 1]);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new Error(`Bad ${name}: expected an integer from ${min} to ${max}, got ${rest[i + 1]}`);
  }
  rest.splice(i, 2);
  return v;
}

// ---- Main ------------------------------------------------------------------------------------------------------

const bench = new Bench("read", {}, undefined, "iops");
const rest = [...bench.options.rest];
const qd = intOption(rest, "--qd", DEFAULT_QD, 1, 1024);
const fileMib = intOption(rest, "--file-mib", DEFAULT_FILE_MIB, 1, 8192);
const onlyAt = rest.indexOf("--only");
const only = onlyAt < 0 ? null : new Set(rest.splice(onlyAt, 2)[1]?.split(",") ?? []);
if (rest.length > 0) {
  throw new Error(`Unknown argument(s): ${rest.join(" ")}; read.ts also takes --qd N --file-mib N --only A,B`);
}

const pages = fileMib * 256;
const path = join(tmpdir(), `ringside-bench-read-${fileMib}MiB.dat`);
const made = ensureFile(path, pages);
const firstNs = readWhole(path);
const secondNs = readWhole(path);
const gbps = (ns: number): number => (pages * BLOCK) / ns;
const cached = gbps(secondNs) >= 2 ? "in the page cache" : "below 2 GB/s: it may not all be cached";
bench.note(`file: ${path} (${fileMib} MiB, ${made}); re-cached by reading it sequentially: ` +
  `${(firstNs / 1e6).toFixed(0)} ms (${gbps(firstNs).toFixed(1)} GB/s), then again ${(secondNs / 1e6).toFixed(0)} ` +
  `ms (${gbps(secondNs).toFixed(1)} GB/s, ${cached})`);

const seq = pageSequence(pages, SEED);
const fixture: ReadFixture = { path, pages, seq, qd };
const seedHex = SEED.toString(16);
bench.note(`4 KiB reads at ${qd} in flight (node-readSync: 1); offsets: xorshift32 from 0x${seedHex} ` +
  `modulo ${pages} pages`);

const exe = buildC("read");
if (exe.path !== null) {
  // The C program must read the same pages in the same order.
  let sum = 0;
  for (let i = 0; i < SEQ; i++) sum = (sum + seq[i]!) >>> 0;
  const r = spawnTimed(exe.path, ["--checksum", String(pages), String(SEED)]);
  if (r.status !== 0 || Number(r.stdout.trim()) !== sum) {
    throw new Error(`read.c builds a different offset sequence (checksum ${r.stdout.trim()} vs ${sum}): ${r.stderr}`);
  }
} else {
  bench.note(`c-liburing skipped: ${exe.reason}; running the TypeScript variants only`);
}

const fd = openSync(path, "r"); // a real OS descriptor in both Bun and Deno
const plain = new RingReads(fd, qd, seq, false);
const fixed = new RingReads(fd, qd, seq, true);
const which = `./read_${runtime.name}.ts`; // computed, so neither type checker follows the other runtime's file
const native = await ((await import(which)) as RuntimeReads).nativeReader(fixture);
const asyncReaders: AsyncReader<unknown>[] = [loopReader(fixture, fd), await fsPromisesReader(fixture), native];

// Every sample each variant gives the harness, warm-up rounds included, for the target ratios below.
const seen = new Map<string, Sample[]>();
function recorded(name: string, run: (ms: number) => Sample | Promise<Sample>): Variant {
  const list: Sample[] = [];
  seen.set(name, list);
  return {
    name,
    run: async (ms: number): Promise<Sample> => {
      const s = await run(ms);
      list.push(s);
      return s;
    },
  };
}

const variants: Variant[] = [];
if (exe.path !== null) {
  const p = exe.path;
  const args = [path, String(pages), String(SEED), String(qd)];
  variants.push(recorded("c-liburing", (ms) => runChild(p, [...args, String(ms), "read"], bench.cpu)));
  variants.push(recorded("c-liburing-fixed", (ms) => runChild(p, [...args, String(ms), "fixed"], bench.cpu)));
}
variants.push(recorded("ringside-read", (ms) => measure(() => plain.run(ms))));
variants.push(recorded("ringside-read-fixed", (ms) => measure(() => fixed.run(ms))));
for (const r of asyncReaders) variants.push(recorded(r.name, (ms) => driveAsync(r, fixture, ms)));
variants.push(recorded("node-readSync", (ms) => measure(() => readSyncLoop(fd, seq, ms))));

const unknown = [...(only ?? [])].filter((name) => !variants.some((v) => v.name === name));
if (unknown.length > 0) {
  throw new Error(`Bad --only: no variant ${unknown.join(", ")}; there are ${variants.map((v) => v.name).join(", ")}`);
}

try {
  const chosen = only ? variants.filter((v) => only.has(v.name)) : variants;
  await bench.compare({ qd, file_mib: fileMib }, "c-liburing", chosen);
} finally {
  plain.close();
  fixed.close();
  for (const r of asyncReaders) await r.close();
  closeSync(fd);
}
bench.finish();

// The targets of this bench, as ratios of median IOPS over the measured rounds.
const median = (name: string): number => {
  const ss = seen.get(name)?.slice(bench.options.warmup) ?? [];
  return stats(ss.map((s) => s.ops / (s.ns / 1e9))).median;
};
const targets: [string, string, number, string][] = [
  ["ringside-read", "c-liburing", 0.95, "within 5% of C"],
  ["ringside-read-fixed", "c-liburing-fixed", 0.95, "within 5% of C"],
  ["ringside-read", "fs-promises", runtime.name === "bun" ? 1.8 : NaN, "on Bun"],
  ["ringside-read", native.name, runtime.name === "deno" ? 10 : NaN, "on Deno"],
  ["ringside-loop", "fs-promises", NaN, ""],
];
bench.note("ratios of medians:");
for (const [a, b, want, why] of targets) {
  const x = median(a) / median(b);
  if (!Number.isFinite(x)) continue;
  const verdict = Number.isNaN(want) ? "" : `  target >= ${want}x (${why}): ${x >= want ? "met" : "MISSED"}`;
  bench.note(`  ${a} / ${b} = ${x.toFixed(3)}x${verdict}`);
}
