/**
 * The benchmark harness every `bench/*.ts` file shares: command-line options, interleaved rounds, medians and
 * ratios against a baseline variant of the same run, a table for people and JSON lines for machines, child
 * processes (C baselines built once with gcc), and CPU pinning.
 *
 * Runtime-neutral: it uses only `node:` modules both runtimes ship and the FFI facade's `backend` for the
 * runtime's name and version. Applications import it as `ringside-uring/bench` to compare their own variants the
 * same way (examples/versus_epoll.ts: one application on the io_uring and the epoll backend); the C baselines
 * ({@link buildC}) exist only in the repository.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { Bench, buildC, runChild, type Sample } from "ringside-uring/bench";
 *
 * const bench = new Bench("nop");
 * const exe = buildC("nop");
 * await bench.compare({ batch: 8 }, "c-liburing", [
 *   ...(exe.path ? [{ name: "c-liburing", run: (ms: number): Sample => runChild(exe.path!, ["8", String(ms)]) }] : []),
 *   { name: "ringside", run: (ms: number): Sample => runChild(process.execPath, ["bench/nop.ts", "8", String(ms)]) },
 * ]);
 * bench.finish();
 * ```
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { backend } from "../ffi/mod.ts";

/** The directory of the bench files (this file's directory). */
export const BENCH_DIR: string = dirname(fileURLToPath(import.meta.url));
/** Where C baselines are built (gitignored). */
export const BUILD_DIR: string = join(BENCH_DIR, ".build");

/** Which runtime runs the benchmark, from the FFI facade. */
export const runtime: { readonly name: "bun" | "deno"; readonly version: string } = {
  name: backend.runtime,
  version: backend.version,
};

// ---- Options ---------------------------------------------------------------------------------------------------

/** What the command line sets. */
export interface BenchOptions {
  /** `--json`: one JSON object per result line on stdout, notes on stderr, no table. */
  json: boolean;
  /** `--quick`: few short rounds, for checking that a bench runs rather than for numbers. */
  quick: boolean;
  /** `--rounds N`: measured rounds per variant. */
  rounds: number;
  /** `--warmup N`: unmeasured rounds before them. */
  warmup: number;
  /** `--ms N`: the length of one sample in milliseconds. */
  ms: number;
  /** `--cpu N`: the CPU to pin to; `--no-pin` leaves scheduling alone (null). */
  cpu: number | null;
  /** Arguments the harness does not know, left for the bench (e.g. `--batch 8`). */
  rest: string[];
}

/** Defaults a bench may change before parsing. */
export interface OptionDefaults {
  rounds?: number;
  warmup?: number;
  ms?: number;
}

const USAGE = "options: --json --quick --rounds N --warmup N --ms N --cpu N --no-pin";

/**
 * Parses the harness's options: `--json`, `--quick`, `--rounds N`, `--warmup N`, `--ms N`, `--cpu N`, `--no-pin`.
 * `--quick` means 3 rounds of 100 ms unless given explicitly. Unknown arguments are returned in `rest`.
 *
 * @param argv the arguments after the script name
 * @param defaults the bench's own defaults (7 rounds of 300 ms and 1 warm-up round otherwise)
 * @returns the parsed options
 * @example
 * ```ts
 * const opts = parseOptions(["--quick", "--json"]); // { json: true, quick: true, rounds: 3, ms: 100, ... }
 * ```
 */
export function parseOptions(argv: readonly string[] = process.argv.slice(2), defaults: OptionDefaults = {}):
  BenchOptions {
  const o: BenchOptions = {
    json: false,
    quick: false,
    rounds: defaults.rounds ?? 7,
    warmup: defaults.warmup ?? 1,
    ms: defaults.ms ?? 300,
    cpu: defaultCpu(),
    rest: [],
  };
  let rounds: number | undefined;
  let ms: number | undefined;
  const int = (i: number, min: number): number => {
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < min) throw new Error(`Bad ${argv[i]}: expected an integer >= ${min}; ${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") o.json = true;
    else if (a === "--quick") o.quick = true;
    else if (a === "--no-pin") o.cpu = null;
    else if (a === "--rounds") rounds = int(i++, 1);
    else if (a === "--warmup") o.warmup = int(i++, 0);
    else if (a === "--ms") ms = int(i++, 1);
    else if (a === "--cpu") o.cpu = int(i++, 0);
    else o.rest.push(a);
  }
  o.rounds = rounds ?? (o.quick ? 3 : o.rounds);
  o.ms = ms ?? (o.quick ? 100 : o.ms);
  return o;
}

/** The last CPU: on a two-core machine the one less likely to take the boot CPU's interrupts. */
function defaultCpu(): number {
  const n = cpus().length;
  return n > 0 ? n - 1 : 0;
}

// ---- Samples and statistics ------------------------------------------------------------------------------------

/** What one run of a variant measured. `ns` is the measured time; CPU times are optional. */
export interface Sample {
  /** Operations done. */
  ops: number;
  /** Wall-clock nanoseconds they took. */
  ns: number;
  /** User CPU nanoseconds over the same interval, when known. */
  userNs?: number | undefined;
  /** System CPU nanoseconds over the same interval, when known. */
  sysNs?: number | undefined;
}

/** One contender: called once per round with the sample length in milliseconds. */
export interface Variant {
  /** Its name in the output (`variant` field). */
  readonly name: string;
  /** Runs for about `ms` milliseconds and says what it did. May be async. */
  run(ms: number): Sample | Promise<Sample>;
}

/** Median, extremes and quartiles of a set of numbers. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
}

/**
 * Median, min, max and quartiles (linear interpolation between closest ranks) of `values`.
 *
 * @example
 * ```ts
 * stats([5, 1, 3]); // { median: 3, min: 1, max: 5, q1: 2, q3: 4 }
 * ```
 */
export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, q1: NaN, q3: NaN };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => {
    const x = p * (s.length - 1);
    const lo = Math.floor(x);
    const hi = Math.ceil(x);
    return s[lo]! + (s[hi]! - s[lo]!) * (x - lo); // 0 <= lo <= hi < s.length
  };
  return { median: q(0.5), min: s[0]!, max: s[s.length - 1]!, q1: q(0.25), q3: q(0.75) };
}

/**
 * A cost per operation over several samples taken together: `median` is the sum of the amounts over the sum of the
 * counts (the figure of one long measurement made of all the samples), `min`, `max` and the quartiles are the
 * spread of the per-sample ratios. Samples whose amount is not a finite number are left out. For costs read in
 * coarse units (CPU times from /proc come in 10 ms ticks) the pooled figure is the one to report: a median of short
 * samples keeps each sample's rounding.
 *
 * @param samples each sample's amount (e.g. CPU microseconds) and count (e.g. requests)
 * @returns the pooled ratio as `median`, and the spread
 * @example
 * ```ts
 * pooledStats([{ amount: 30, count: 10 }, { amount: 50, count: 10 }]); // median 4, min 3, max 5
 * ```
 */
export function pooledStats(samples: readonly { amount: number; count: number }[]): Stats {
  const known = samples.filter((s) => Number.isFinite(s.amount) && s.count > 0);
  const spread = stats(known.map((s) => s.amount / s.count));
  const count = known.reduce((n, s) => n + s.count, 0);
  return { ...spread, median: count > 0 ? known.reduce((n, s) => n + s.amount, 0) / count : NaN };
}

/**
 * Monotonic nanoseconds, as a number (good to 2^53 ns, about 104 days of uptime).
 *
 * @example
 * ```ts
 * const t0 = nowNs();
 * console.log(`${(nowNs() - t0) / 1e3} us`);
 * ```
 */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * User and system CPU time of this whole process (all threads) in nanoseconds.
 *
 * @example
 * ```ts
 * const before = cpuNs();
 * const after = cpuNs();
 * console.log(`user ${after.userNs - before.userNs} ns, system ${after.sysNs - before.sysNs} ns`);
 * ```
 */
export function cpuNs(): { userNs: number; sysNs: number } {
  const u = process.cpuUsage();
  return { userNs: u.user * 1000, sysNs: u.system * 1000 };
}

/**
 * Measures `body` as one sample: wall time and this process's CPU time around it. `body` returns the operations
 * it did. For an asynchronous body, take {@link nowNs} and {@link cpuNs} around it the same way.
 *
 * @example
 * ```ts
 * const s = measure(() => {
 *   let x = 0;
 *   for (let i = 0; i < 1e6; i++) x += i;
 *   return 1e6;
 * });
 * console.log(s.ops / (s.ns / 1e9), "ops/s");
 * ```
 */
export function measure(body: () => number): Sample {
  const c0 = cpuNs();
  const t0 = nowNs();
  const ops = body();
  const ns = nowNs() - t0;
  const c1 = cpuNs();
  return { ops, ns, userNs: c1.userNs - c0.userNs, sysNs: c1.sysNs - c0.sysNs };
}

// ---- Child processes -------------------------------------------------------------------------------------------

/** What a child process did. */
export interface ChildResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in nanoseconds (includes process start-up). */
  wallNs: number;
}

/**
 * Runs `cmd args` to completion, pinned to `cpu` with `taskset -c` when given and taskset exists, and times it.
 * Throws when it cannot be started.
 *
 * @example
 * ```ts
 * const r = spawnTimed("true", [], 0);
 * console.log(r.status, r.wallNs / 1e6, "ms");
 * ```
 */
export function spawnTimed(cmd: string, args: readonly string[], cpu: number | null = null): ChildResult {
  const pinned = cpu !== null && hasTaskset();
  const argv = pinned ? ["-c", String(cpu), cmd, ...args] : [...args];
  const t0 = nowNs();
  const r = spawnSync(pinned ? "taskset" : cmd, argv, { encoding: "utf8", maxBuffer: 16 << 20 });
  const wallNs = nowNs() - t0;
  if (r.error) throw new Error(`Cannot run ${cmd}: ${r.error.message}`, { cause: r.error });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", wallNs };
}

/**
 * Runs a C benchmark that prints `{"ops":N,"ns":N,"user_ns":N,"sys_ns":N}` as its last stdout line, and returns
 * that as a {@link Sample} (its own measurement, without process start-up). Throws with the child's stderr when it
 * fails.
 *
 * @example
 * ```ts
 * const exe = buildC("nop");
 * if (exe.path) console.log(runChild(exe.path, ["8", "100"]));
 * ```
 */
export function runChild(path: string, args: readonly string[], cpu: number | null = null): Sample {
  const r = spawnTimed(path, args, cpu);
  const last = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !last.startsWith("{")) {
    throw new Error(`${path} ${args.join(" ")} failed (status ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  const j = JSON.parse(last) as { ops: number; ns: number; user_ns?: number; sys_ns?: number };
  return { ops: j.ops, ns: j.ns, userNs: j.user_ns, sysNs: j.sys_ns };
}

// ---- Pinning -------------------------------------------------------------------------------------------------

let tasksetKnown: boolean | undefined;

/**
 * Whether `taskset` (util-linux) can be run.
 *
 * @example
 * ```ts
 * if (!hasTaskset()) console.log("runs unpinned");
 * ```
 */
export function hasTaskset(): boolean {
  if (tasksetKnown === undefined) {
    const r = spawnSync("taskset", ["--version"], { encoding: "utf8" });
    tasksetKnown = !r.error && r.status === 0;
  }
  return tasksetKnown;
}

/** The outcome of {@link pinSelf}. */
export interface PinInfo {
  /** The CPU this process's main thread now runs on, or null. */
  cpu: number | null;
  /** What was done, or why not, in a few words. */
  note: string;
}

/**
 * Pins this process's main thread to `cpu` with `taskset -p -c` on its own pid. Only the main thread (whose tid is
 * the pid) moves: threads the runtime already started (GC, JIT, I/O) keep running anywhere, as a C program's
 * kernel workers would; threads started later by the main thread inherit the pin. Children spawned from the main
 * thread inherit it too. `null` leaves scheduling alone.
 *
 * @example
 * ```ts
 * console.log(pinSelf(null).note); // "not pinned (--no-pin)"
 * ```
 */
export function pinSelf(cpu: number | null): PinInfo {
  if (cpu === null) return { cpu: null, note: "not pinned (--no-pin)" };
  if (cpu >= cpus().length) return { cpu: null, note: `not pinned: no CPU ${cpu}` };
  if (!hasTaskset()) return { cpu: null, note: "not pinned: taskset not found (util-linux)" };
  const r = spawnSync("taskset", ["-p", "-c", String(cpu), String(process.pid)], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    return { cpu: null, note: `not pinned: taskset -p failed: ${(r.stderr ?? "").trim() || r.error?.message}` };
  }
  return { cpu, note: `main thread and children pinned to cpu ${cpu}` };
}

// ---- C baselines ---------------------------------------------------------------------------------------------

/** The outcome of {@link buildC}: the executable's path, or why there is none. */
export interface CBuild {
  path: string | null;
  reason?: string;
}

/**
 * Builds `bench/c/<name>.c` into `bench/.build/<name>` with `gcc -O2 ... -luring`, unless the executable is newer
 * than the source and the shared headers beside it. Returns `{ path: null, reason }` when gcc or liburing.h is missing or the build fails, so the
 * bench can run its TypeScript variants alone and say why.
 *
 * @example
 * ```ts
 * const exe = buildC("echo_client");
 * console.log(exe.path ?? `no C client: ${exe.reason}`);
 * ```
 */
export function buildC(name: string, extraFlags: readonly string[] = []): CBuild {
  const src = join(BENCH_DIR, "c", `${name}.c`);
  const out = join(BUILD_DIR, name);
  if (!existsSync(src)) return { path: null, reason: `${src} is missing` };
  // Rebuild when the source or a shared header (bench/c/*.h) is newer than the executable.
  const headers = readdirSync(join(BENCH_DIR, "c")).filter((f) => f.endsWith(".h")).map((f) => join(BENCH_DIR, "c", f));
  const inputs = [src, ...headers];
  if (existsSync(out) && inputs.every((f) => statSync(out).mtimeMs >= statSync(f).mtimeMs)) return { path: out };
  const gcc = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  if (gcc.error || gcc.status !== 0) return { path: null, reason: "gcc not found (apt-get install gcc)" };
  if (!existsSync("/usr/include/liburing.h")) {
    return { path: null, reason: "liburing.h not found (apt-get install liburing-dev)" };
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  // Build under a temporary name and rename, so a concurrent run never executes a half-written file.
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync("gcc", ["-O2", "-Wall", ...extraFlags, "-o", tmp, src, "-luring"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    return { path: null, reason: `gcc failed on ${src}: ${(r.stderr ?? "").trim() || r.error?.message}` };
  }
  renameSync(tmp, out);
  return { path: out };
}

// ---- Running and reporting -------------------------------------------------------------------------------------

/** One reported number: the JSON line's fields, plus the spread behind it. */
export interface Result {
  bench: string;
  runtime: string;
  variant: string;
  metric: string;
  value: number;
  [field: string]: unknown;
}

/** Parameters that identify a comparison (e.g. `{ batch: 8 }`); they become fields of each result line. */
export type Params = Readonly<Record<string, string | number | boolean>>;

interface Row {
  params: Params;
  variant: string;
  ops: Stats;
  ratio: number | null;
  ratioSpread: Stats | null;
  userNsPerOp: number | null;
  sysNsPerOp: number | null;
  rounds: number;
}

/**
 * One benchmark run: parses the options, pins the process, runs comparisons, and prints the results.
 *
 * @example
 * ```ts
 * const bench = new Bench("sum", { rounds: 3, ms: 50 }, ["--no-pin"]);
 * const loop = (step: number): Variant => ({
 *   name: `step-${step}`,
 *   run: (ms) => {
 *     const t0 = nowNs();
 *     let ops = 0;
 *     while (nowNs() - t0 < ms * 1e6) ops += step;
 *     return { ops, ns: nowNs() - t0 };
 *   },
 * });
 * await bench.compare({ size: 1 }, "step-1", [loop(1), loop(2)]);
 * bench.finish();
 * ```
 */
export class Bench {
  /** The bench's name (`bench` field). */
  readonly name: string;
  /** The parsed command line. */
  readonly options: BenchOptions;
  /** What pinning did. */
  readonly pin: PinInfo;
  /** The rate's metric name in JSON (`ops_per_s` by default; `iops` for I/O benches). */
  readonly metric: string;
  private readonly rows: Row[] = [];

  /**
   * @param name the bench's name in the output
   * @param defaults the bench's defaults for rounds, warm-up and sample length
   * @param argv the arguments after the script name
   * @param metric the rate's metric name in JSON and the table (default `ops_per_s`)
   */
  constructor(
    name: string, defaults: OptionDefaults = {}, argv: readonly string[] = process.argv.slice(2),
    metric = "ops_per_s",
  ) {
    this.name = name;
    this.metric = metric;
    this.options = parseOptions(argv, defaults);
    this.pin = pinSelf(this.options.cpu);
    const o = this.options;
    this.note(`${name}: ${runtime.name} ${runtime.version}, ${o.rounds} rounds of ${o.ms} ms after ${o.warmup} ` +
      `warm-up round(s), variants interleaved; ${this.pin.note}`);
  }

  /** The CPU children should be pinned to (the one this process is pinned to), or null. */
  get cpu(): number | null {
    return this.pin.cpu;
  }

  /** Prints a line for people (stderr with `--json`, so stdout stays JSON). */
  note(line: string): void {
    if (this.options.json) console.error(line);
    else console.log(line);
  }

  /**
   * Runs `variants` interleaved (A, B, C, A, B, C, ...): `warmup` unmeasured rounds, then `rounds` measured ones of
   * `ms` each. Records the median ops/s of each variant and its ratio to `baseline` (when that variant is present),
   * and with `--json` prints the result lines at once.
   *
   * @param params what identifies this comparison (e.g. `{ batch: 8 }`)
   * @param baseline the variant the others are compared with
   * @param variants the contenders
   */
  async compare(params: Params, baseline: string, variants: readonly Variant[]): Promise<void> {
    const { rounds, warmup, ms } = this.options;
    const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
    for (let r = 0; r < warmup + rounds; r++) {
      for (const v of variants) {
        // Collect garbage before each sample, not during it (a full GC where the runtime allows it).
        backend.gc();
        const s = await v.run(ms);
        if (r >= warmup) samples.get(v.name)!.push(s);
      }
    }
    const rate = (s: Sample): number => s.ops / (s.ns / 1e9);
    const base = samples.get(baseline);
    const baseRates = base?.map(rate);
    const baseMedian = baseRates ? stats(baseRates).median : NaN;
    for (const v of variants) {
      const ss = samples.get(v.name)!;
      const rates = ss.map(rate);
      const ops = stats(rates);
      const isBase = v.name === baseline;
      const perOp = (pick: (s: Sample) => number | undefined): number | null => {
        if (ss.some((s) => pick(s) === undefined)) return null;
        return stats(ss.map((s) => pick(s)! / s.ops)).median;
      };
      const row: Row = {
        params,
        variant: v.name,
        ops,
        // Ratio of medians; the spread comes from the per-round ratios (each round's pair ran back to back).
        ratio: baseRates && !isBase ? ops.median / baseMedian : null,
        ratioSpread: baseRates && !isBase ? stats(rates.map((x, i) => x / baseRates[i]!)) : null,
        userNsPerOp: perOp((s) => s.userNs),
        sysNsPerOp: perOp((s) => s.sysNs),
        rounds: ss.length,
      };
      this.rows.push(row);
      if (this.options.json) for (const line of this.resultsOf(row, baseline)) console.log(JSON.stringify(line));
    }
  }

  private resultsOf(row: Row, baseline: string): Result[] {
    const common = {
      bench: this.name,
      runtime: runtime.name,
      variant: row.variant,
      ...row.params,
    };
    const tail = { runtime_version: runtime.version };
    const out: Result[] = [{
      ...common,
      metric: this.metric,
      value: Math.round(row.ops.median),
      min: Math.round(row.ops.min),
      max: Math.round(row.ops.max),
      q1: Math.round(row.ops.q1),
      q3: Math.round(row.ops.q3),
      rounds: row.rounds,
      ms: this.options.ms,
      pinned_cpu: this.pin.cpu,
      ...(row.ratio !== null ? { baseline, ratio: round3(row.ratio) } : {}),
      ...(row.ratioSpread
        ? {
          ratio_paired_median: round3(row.ratioSpread.median),
          ratio_min: round3(row.ratioSpread.min),
          ratio_max: round3(row.ratioSpread.max),
        }
        : {}),
      ...tail,
    }];
    if (row.userNsPerOp !== null) {
      out.push({ ...common, metric: "user_ns_per_op", value: round3(row.userNsPerOp), rounds: row.rounds, ...tail });
    }
    if (row.sysNsPerOp !== null) {
      out.push({ ...common, metric: "sys_ns_per_op", value: round3(row.sysNsPerOp), rounds: row.rounds, ...tail });
    }
    return out;
  }

  /** Prints the table (without `--json`). Call once at the end. */
  finish(): void {
    const [first] = this.rows;
    if (this.options.json || !first) return;
    const keys = Object.keys(first.params);
    const head = [...keys, "variant", `${this.metric === "ops_per_s" ? "ops/s" : this.metric} median`, "min", "max", "ratio", "ratio range", "user ns/op", "sys ns/op"];
    const body = this.rows.map((r) => [
      ...keys.map((k) => String(r.params[k])),
      r.variant,
      fmtRate(r.ops.median),
      fmtRate(r.ops.min),
      fmtRate(r.ops.max),
      r.ratio === null ? "" : `${r.ratio.toFixed(3)}x`,
      r.ratioSpread ? `${r.ratioSpread.min.toFixed(2)}-${r.ratioSpread.max.toFixed(2)}` : "",
      r.userNsPerOp === null ? "" : r.userNsPerOp.toFixed(1),
      r.sysNsPerOp === null ? "" : r.sysNsPerOp.toFixed(1),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < keys.length + 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ").trimEnd();
    console.log(line(head));
    for (const b of body) console.log(line(b));
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * A rate for a table: 12800000 -> "12.80M", 4500 -> "4.5k".
 *
 * @example
 * ```ts
 * fmtRate(12_800_000); // "12.80M"
 * ```
 */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return "-";
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}
