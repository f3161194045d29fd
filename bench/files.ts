/**
 * Whole-file reads and stats of many files: ringside's batch API (`readFiles`, and `statx` kept `concurrency`
 * deep) against `fs/promises` (`readFile`/`stat` kept as deep, as `Promise.all` over a pool) and the runtime's own
 * (`Bun.file().bytes()`, `Deno.readFile`), page cache warm, variants interleaved. Three sets:
 *
 * - `small`: a generated tree of 10 000 files of 1-16 KiB (2 000 with `--quick`);
 * - `large`: 200 files of 1-8 MiB (20 with `--quick`), generated;
 * - `include`: the machine's `/usr/include`, as found.
 *
 * Each sample reads (or stats) every file of the set once; the rate is files per second. Ratios are against
 * `fs-promises`, and the runtime's own variant is printed beside it.
 *
 *   bun bench/files.ts [--json] [--quick] [--rounds N] [--concurrency N] [--sets small,large,include]
 *   deno run -A bench/files.ts ...
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { readFile as fsReadFile, stat as fsStat } from "node:fs/promises";
import { join } from "node:path";
import { Loop, readFiles, statx } from "ringside-uring";
import { Bench, BUILD_DIR, nowNs, runtime, type Sample } from "./harness.ts";

/** What the runtime-specific module gives: its own whole-file read and stat. */
export interface NativeFiles {
  readonly name: string;
  read(path: string): Promise<Uint8Array>;
  stat(path: string): Promise<number>;
}

const bench = new Bench("files", { rounds: 5, warmup: 1, ms: 1 }, process.argv.slice(2), "files_per_s");
const rest = bench.options.rest;
const argAfter = (flag: string): string | undefined => {
  const i = rest.indexOf(flag);
  return i >= 0 ? rest[i + 1] : undefined;
};
const CONCURRENCY = Number(argAfter("--concurrency") ?? 64);
const SETS = (argAfter("--sets") ?? "small,large,include").split(",");
const quick = bench.options.quick;

const which = `./files_${runtime.name}.ts`; // computed, so neither type checker follows the other runtime's file
const native = ((await import(which)) as { native: NativeFiles }).native;

/** Writes `count` files of random sizes in [min, max] bytes under `dir` once (kept between runs). */
function generate(dir: string, count: number, min: number, max: number): string[] {
  const stamp = join(dir, ".complete");
  const paths = Array.from({ length: count }, (_, i) => join(dir, `d${i % 100}`, `f${i}`));
  // The stamp records what was generated: a set made for --quick is not the full one.
  const what = `${count} ${min} ${max}`;
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === what) return paths;
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const block = new Uint8Array(max);
  for (let i = 0; i < block.length; i++) block[i] = i * 131;
  for (let i = 0; i < count; i++) {
    mkdirSync(join(dir, `d${i % 100}`), { recursive: true });
    writeFileSync(paths[i]!, block.subarray(0, min + Math.floor(rand() * (max - min + 1))));
  }
  writeFileSync(stamp, what);
  return paths;
}

/** Every regular file under `dir`. */
function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Runs `one` over every path, `CONCURRENCY` at a time; returns the bytes (or sizes) seen, as a check. */
async function pool<T>(paths: readonly string[], one: (p: string) => Promise<T>, size: (v: T) => number): Promise<number> {
  let next = 0;
  let total = 0;
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, paths.length) }, async () => {
    while (next < paths.length) {
      const v = await one(paths[next++]!); // awaited first: `total += await ...` would read total before the wait
      total += size(v);
    }
  }));
  return total;
}

const loop = new Loop();

async function timed(paths: readonly string[], body: () => Promise<number>, expect: number): Promise<Sample> {
  const t0 = nowNs();
  const seen = await body();
  const ns = nowNs() - t0;
  if (seen !== expect) throw new Error(`files: a variant saw ${seen} bytes, expected ${expect}`);
  return { ops: paths.length, ns };
}

for (const set of SETS) {
  let paths: string[];
  if (set === "small") paths = generate(join(BUILD_DIR, "files-small"), quick ? 2000 : 10000, 1024, 16384);
  else if (set === "large") paths = generate(join(BUILD_DIR, "files-large"), quick ? 20 : 200, 1 << 20, 8 << 20);
  else if (set === "include") paths = existsSync("/usr/include") ? walk("/usr/include") : [];
  else throw new Error(`files: unknown set ${set} (small, large, include)`);
  if (paths.length === 0) {
    bench.note(`files: set ${set} is empty here; skipped`);
    continue;
  }
  const bytes = paths.reduce((n, p) => n + statSync(p).size, 0);
  bench.note(`files: set ${set}: ${paths.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB, concurrency ${CONCURRENCY}`);
  const len = (b: Uint8Array) => b.byteLength;
  await bench.compare({ set, op: "read", concurrency: CONCURRENCY }, "fs-promises", [
    { name: "ringside-readFiles", run: () => timed(paths, async () => (await readFiles(loop, paths, { concurrency: CONCURRENCY })).reduce((n, b) => n + b.byteLength, 0), bytes) },
    { name: "fs-promises", run: () => timed(paths, () => pool(paths, (p) => fsReadFile(p), len), bytes) },
    { name: native.name, run: () => timed(paths, () => pool(paths, native.read, len), bytes) },
  ]);
  await bench.compare({ set, op: "stat", concurrency: CONCURRENCY }, "fs-promises", [
    { name: "ringside-statx", run: () => timed(paths, () => pool(paths, (p) => statx(loop, p), (s) => s.size), bytes) },
    { name: "fs-promises", run: () => timed(paths, () => pool(paths, (p) => fsStat(p), (s) => s.size), bytes) },
    { name: native.name, run: () => timed(paths, () => pool(paths, native.stat, (n) => n), bytes) },
  ]);
}
bench.finish();
await loop.close();
