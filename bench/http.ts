/**
 * HTTP/1.1 hello-world servers under wrk: requests per second and the server's CPU time per request (user and
 * system, whole process, from /proc), for ringside's server (examples/http_server.ts, owning and integrated on
 * io_uring, and `ringside-epoll`: integrated on the epoll backend, started with RINGSIDE_BACKEND=epoll), the
 * runtime's own server (Bun.serve or Deno.serve), node:http under the same runtime, and a C reference with
 * liburing (bench/c/http_server.c).
 *
 * Scenarios: `--connections` (64) keep-alive connections with one request in flight each, and the same connections
 * pipelining `--depth` (16) requests (bench/http_pipeline.lua: wrk writes 16 requests at once and waits for the 16
 * responses). Every variant answers `GET /` with the same status, body and Content-Type (the runtimes add a Date
 * header, node:http also Connection and Keep-Alive: column `B/resp`).
 *
 * Modes: `free`, the server pinned to CPU 0 and wrk (`-t1`) to CPU 1, each with a core; and `bound` (root and a
 * cgroup cpu controller needed, skipped with the reason otherwise): the server also in a cgroup capped at `--quota`
 * percent of one CPU (40: `cpu.max` "40000 100000"), so the server, not wrk, sets the pace and requests per second
 * measure what a server does with a fixed CPU budget.
 *
 * CPU per request: the server's utime and stime (/proc/PID/stat: every thread, those that exited included) read
 * just before and just after the measured wrk run, over the requests wrk counted; warm-up runs before, on the same
 * server process, are not counted. See bench/_cpu.ts for what the kernel's split of user and system time is worth.
 *
 * A round: for each variant in turn (each round starts one variant later), a fresh server; per mode and scenario a
 * warm-up run (`--warm-ms`, 2000) then a measured run (`--ms`, 5000; wrk takes whole seconds); then the server is
 * stopped. Results are medians over rounds (`--rounds`, 3) with min and max; ratios are of medians, against the
 * runtime's own server (`baseline`) and against the C reference (`ratio_c_uring`); ringside's io_uring rows also
 * against `ringside-epoll` (`ratio_epoll`: the same program on the other backend). Every ringside server is started
 * with RINGSIDE_BACKEND set to the backend its row names, and checked in /proc to hold an io_uring or not.
 *
 *   bun bench/http.ts [--json] [--quick] [--rounds N] [--ms N] [--warm-ms N] [--connections 64] [--depth 16]
 *                     [--quota 40] [--only ringside-owning,c-uring,...] [--no-pin]
 *   deno run -A bench/http.ts ...
 *
 * `--quick`: 1 round, 1 s warm-up and 1 s measured per scenario: about a minute per runtime. `--quota 0` leaves the
 * bound mode out, `--depth 1` the pipelined scenario.
 *
 * wrk: Debian's package, installed by scripts/ensure.mjs (apt-get, as root) when missing; without it the bench says
 * why and exits.
 *
 * @module
 */
import { connect } from "node:net";
import { Buffer } from "node:buffer";
import { cpus } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Bench, BENCH_DIR, buildC, fmtRate, hasTaskset, pooledStats, runtime, type Stats, stats } from "./harness.ts";
import { cpuDelta, CpuQuota, cpuQuotaUnavailable, cpuQuotaWhere, procCpu } from "./_cpu.ts";
import { findWrk, runWrk } from "./_wrk.ts";
import { holdsIoUring, killAll, runtimeCommand, type ServerProcess, startServer, stopServer } from "./_server_process.ts";

const VARIANTS = ["ringside-owning", "ringside-integrated", "ringside-epoll", "bun-serve", "deno-serve", "node-http", "c-uring"] as const;
type Variant = (typeof VARIANTS)[number];
const NATIVE: Variant = runtime.name === "bun" ? "bun-serve" : "deno-serve";
const C_REF: Variant = "c-uring";
/** ringside's server on the epoll backend, and the backend each ringside variant must run on. */
const RS_EPOLL: Variant = "ringside-epoll";
const RS_BACKEND: Partial<Record<Variant, "io_uring" | "epoll">> = {
  "ringside-owning": "io_uring",
  "ringside-integrated": "io_uring",
  "ringside-epoll": "epoll",
};

// ---- Command line -------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const given = (flag: string) => argv.includes(flag);
const bench = new Bench("http", { rounds: 3, warmup: 0, ms: 5000 }, [
  ...argv,
  ...(given("--quick") && !given("--rounds") ? ["--rounds", "1"] : []),
  ...(given("--quick") && !given("--ms") ? ["--ms", "1000"] : []),
]);
const opts = bench.options;
const rest = [...opts.rest];

function take(flag: string): string | null {
  const i = rest.indexOf(flag);
  if (i < 0) return null;
  const v = rest[i + 1];
  if (v === undefined) throw new Error(`${flag} needs a value`);
  rest.splice(i, 2);
  return v;
}
function intList(flag: string, fallback: number[], min: number): number[] {
  const v = take(flag);
  if (v === null) return fallback;
  return v.split(",").map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new Error(`Bad ${flag}: ${s} is not an integer >= ${min}`);
    return n;
  });
}

const connectionCounts = intList("--connections", [64], 1);
const [depth = 16] = intList("--depth", [16], 1);
const [quotaPct = 40] = intList("--quota", [40], 0);
const [warmMs = opts.quick ? 1000 : 2000] = intList("--warm-ms", [opts.quick ? 1000 : 2000], 0);
const only = take("--only")?.split(",") ?? null;
if (rest.length > 0) {
  throw new Error(`Unknown argument(s): ${rest.join(" ")}; http.ts also takes --connections 64 --depth 16 ` +
    "--quota 40 --warm-ms N --only A,B");
}
for (const v of only ?? []) {
  if (!VARIANTS.includes(v as Variant)) throw new Error(`Bad --only: ${v} is not one of ${VARIANTS.join(", ")}`);
}

const pinned = bench.cpu !== null && cpus().length >= 2 && hasTaskset();
const serverCpu = pinned ? (bench.cpu === 0 ? 1 : 0) : null;
const clientCpu = pinned ? bench.cpu : null;
const seconds = Math.max(1, Math.round(opts.ms / 1000));
const warmSeconds = warmMs > 0 ? Math.max(1, Math.round(warmMs / 1000)) : 0;

// ---- Variants -----------------------------------------------------------------------------------------------

type Command = { cmd: string; args: string[]; env?: Record<string, string> };

const cBuild = buildC("http_server");
const example = join(BENCH_DIR, "..", "examples", "http_server.ts");

/** How to start `v`, or why it cannot run here; ringside's servers get the backend their row names. */
function commandOf(v: Variant): Command | string {
  const c = baseCommandOf(v);
  const rs = RS_BACKEND[v];
  return typeof c === "string" || !rs ? c : { ...c, env: { ...c.env, RINGSIDE_BACKEND: rs } };
}

function baseCommandOf(v: Variant): Command | string {
  switch (v) {
    case "ringside-owning":
      return runtimeCommand(example, ["0", "--owning"]);
    case "ringside-integrated":
    case "ringside-epoll":
      return runtimeCommand(example, ["0"]);
    case "bun-serve":
    case "deno-serve":
      return v === NATIVE ? runtimeCommand(join(BENCH_DIR, `http_server_${runtime.name}.ts`), ["0"]) : "";
    case "node-http":
      return runtimeCommand(join(BENCH_DIR, "http_server_node.ts"), ["0"]);
    case "c-uring":
      return cBuild.path ? { cmd: cBuild.path, args: ["0"] } : `not built: ${cBuild.reason}`;
  }
}

// ---- Samples ------------------------------------------------------------------------------------------------

interface Scenario {
  connections: number;
  depth: number;
  mode: "free" | "bound";
}

interface Sample {
  rps: number;
  /** Server CPU time over wall time, percent of one CPU. */
  cpuPct: number;
  bytesPerResponse: number;
  errors: number;
  /** The measured run's requests and the server's CPU microseconds in it (NaN when unknown), for pooledStats. */
  requests: number;
  userUsTotal: number;
  sysUsTotal: number;
}

const key = (s: Scenario) => `${s.connections}/${s.depth}/${s.mode}`;

/** One GET /: the response's head, to check the variant answers and note its headers (once per variant). */
function probe(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error("no response to GET / within 5 s"));
    }, 5000);
    s.on("connect", () => s.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    s.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const text = got.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (!len || text.length < end + 4 + Number(len[1])) return;
      clearTimeout(t);
      s.destroy();
      if (!text.startsWith("HTTP/1.1 200 ") || text.slice(end + 4) !== "Hello, World!\n") {
        reject(new Error(`GET / answered ${JSON.stringify(text)}`));
      } else {
        resolve(text.slice(0, end));
      }
    });
    s.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

async function measure(wrk: string, server: ServerProcess, sc: Scenario): Promise<Sample> {
  const run = (secs: number) =>
    runWrk(wrk, {
      url: `http://127.0.0.1:${server.port}/`,
      connections: sc.connections,
      seconds: secs,
      depth: sc.depth,
      cpu: clientCpu,
    });
  if (warmSeconds > 0) await run(warmSeconds);
  const before = procCpu(server.pid);
  const r = await run(seconds);
  const cpu = cpuDelta(before, procCpu(server.pid));
  if (r.requests <= 0) throw new Error("wrk completed no request");
  if (server.gone()) throw new Error(`the server exited: ${server.stderr() || "(no stderr)"}`);
  return {
    rps: r.requestsPerS,
    cpuPct: cpu ? ((cpu.userNs + cpu.sysNs) / 1e9 / r.seconds) * 100 : NaN,
    bytesPerResponse: r.bytes / r.requests,
    errors: r.socketErrors + r.non2xx,
    requests: r.requests,
    userUsTotal: cpu ? cpu.userNs / 1000 : NaN,
    sysUsTotal: cpu ? cpu.sysNs / 1000 : NaN,
  };
}

let failures = 0;
const heads = new Map<Variant, string>();

/** One variant's part of a round: a fresh server, every scenario in every mode, the server stopped. */
async function serverRound(wrk: string, v: Variant, command: Command, scenarios: Scenario[]): Promise<Map<string, Sample>> {
  const out = new Map<string, Sample>();
  let server: ServerProcess;
  try {
    server = await startServer(v, command, serverCpu);
  } catch (e) {
    failures += scenarios.length;
    bench.note(`${v}: ${e instanceof Error ? e.message : String(e)}`);
    return out;
  }
  let quota: CpuQuota | null = null;
  try {
    heads.set(v, await probe(server.port));
    const rs = RS_BACKEND[v];
    const uring = rs ? holdsIoUring(server.pid) : null;
    if (uring !== null && uring !== (rs === "io_uring")) {
      throw new Error(`meant to run on ${rs}, but it ${uring ? "holds" : "holds no"} io_uring instance`);
    }
    for (const sc of scenarios) {
      try {
        if (sc.mode === "bound" && quota === null) {
          quota = CpuQuota.create(quotaPct);
          quota.add(server.pid);
        } else if (sc.mode === "free" && quota !== null) {
          quota.remove();
          quota = null;
        }
        out.set(key(sc), await measure(wrk, server, sc));
      } catch (e) {
        failures++;
        bench.note(`${v} at ${key(sc)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } catch (e) {
    failures += scenarios.length;
    bench.note(`${v}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    quota?.remove();
    await stopServer(server);
  }
  return out;
}

// ---- Results ------------------------------------------------------------------------------------------------

interface Row {
  sc: Scenario;
  variant: Variant;
  rate: Stats;
  rates: number[];
  cpu: Stats;
  user: Stats;
  sys: Stats;
  cpuPct: Stats;
  bytes: number;
  errors: number;
  rounds: number;
}

const rows: Row[] = [];
const finite = (xs: number[]) => xs.filter((x) => Number.isFinite(x));
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const rowOf = (sc: Scenario, v: Variant) => rows.find((r) => key(r.sc) === key(sc) && r.variant === v);
const ratio = (a: Row | undefined, b: Row | undefined, pick: (r: Row) => Stats) =>
  a && b && a !== b ? pick(a).median / pick(b).median : NaN;

function jsonLines(row: Row): object[] {
  const native = rowOf(row.sc, NATIVE);
  const cref = rowOf(row.sc, C_REF);
  const rsEpoll = RS_BACKEND[row.variant] === "io_uring" ? rowOf(row.sc, RS_EPOLL) : undefined;
  const common = {
    bench: "http",
    runtime: runtime.name,
    variant: row.variant,
    connections: row.sc.connections,
    depth: row.sc.depth,
    mode: row.sc.mode,
    ...(row.sc.mode === "bound" ? { quota_pct: quotaPct, cgroup: cpuQuotaWhere() } : {}),
  };
  const tail = {
    rounds: row.rounds,
    ms: seconds * 1000,
    warm_ms: warmSeconds * 1000,
    server_cpu: serverCpu,
    client_cpu: clientCpu,
    runtime_version: runtime.version,
  };
  const spread = (s: Stats, f: (x: number) => number) => ({ min: f(s.min), max: f(s.max), q1: f(s.q1), q3: f(s.q3) });
  const ratios = (pick: (r: Row) => Stats) => {
    const o: Record<string, string | number> = {};
    const n = ratio(row, native, pick);
    const c = ratio(row, cref, pick);
    if (Number.isFinite(n)) Object.assign(o, { baseline: NATIVE, ratio: round3(n) });
    if (Number.isFinite(c)) o.ratio_c_uring = round3(c);
    const b = ratio(row, rsEpoll, pick);
    if (Number.isFinite(b)) o.ratio_epoll = round3(b);
    return o;
  };
  const paired = native && native !== row
    ? finite(row.rates.map((x, i) => x / native.rates[i]!))
    : [];
  const p = paired.length ? stats(paired) : null;
  return [
    {
      ...common,
      metric: "requests_per_s",
      value: Math.round(row.rate.median),
      ...spread(row.rate, Math.round),
      ...ratios((r) => r.rate),
      ...(p ? { ratio_paired_median: round3(p.median), ratio_min: round3(p.min), ratio_max: round3(p.max) } : {}),
      errors: row.errors,
      ...tail,
    },
    {
      ...common,
      metric: "server_cpu_us_per_req",
      value: round3(row.cpu.median),
      ...spread(row.cpu, round3),
      ...ratios((r) => r.cpu),
      server_user_us_per_req: round3(row.user.median),
      server_sys_us_per_req: round3(row.sys.median),
      server_cpu_pct: Math.round(row.cpuPct.median),
      bytes_per_response: Math.round(row.bytes),
      ...tail,
    },
  ];
}

function printTable(): void {
  const head = ["conns", "depth", "mode", "variant", "req/s", "min", "max", `vs ${NATIVE}`, "vs c-uring", "vs rs-epoll",
    "srv us/req", "vs rs-epoll", "user+sys", "srv CPU%", "B/resp", "errors"];
  const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(3)}x` : "");
  const f = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : "-");
  const rsEpoll = (r: Row) => (RS_BACKEND[r.variant] === "io_uring" ? rowOf(r.sc, RS_EPOLL) : undefined);
  const body = rows.map((r) => [
    String(r.sc.connections),
    String(r.sc.depth),
    r.sc.mode === "bound" ? `bound ${quotaPct}%` : "free",
    r.variant,
    fmtRate(r.rate.median),
    fmtRate(r.rate.min),
    fmtRate(r.rate.max),
    x(ratio(r, rowOf(r.sc, NATIVE), (q) => q.rate)),
    x(ratio(r, rowOf(r.sc, C_REF), (q) => q.rate)),
    x(ratio(r, rsEpoll(r), (q) => q.rate)),
    f(r.cpu.median, 2),
    x(ratio(r, rsEpoll(r), (q) => q.cpu)),
    `${f(r.user.median, 2)}+${f(r.sys.median, 2)}`,
    f(r.cpuPct.median, 0),
    String(Math.round(r.bytes)),
    String(r.errors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 2 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  console.log(line(head));
  for (const b of body) console.log(line(b));
}

/**
 * The backends under one application (issue #15), per scenario: ringside's io_uring rows over `ringside-epoll`,
 * requests per second (target >= 1.1x) and server CPU per request (target <= 0.85x), with the per-round range.
 */
function backendNotes(): void {
  for (const r of rows) {
    if (RS_BACKEND[r.variant] !== "io_uring") continue;
    const e = rowOf(r.sc, RS_EPOLL);
    if (!e) continue;
    const per = finite(r.rates.map((x, i) => x / e.rates[i]!));
    const range = per.length ? ` (rounds ${Math.min(...per).toFixed(2)}-${Math.max(...per).toFixed(2)})` : "";
    const rr = ratio(r, e, (q) => q.rate);
    const cr = ratio(r, e, (q) => q.cpu);
    const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
    bench.note(`${key(r.sc)} ${r.variant} / ${RS_EPOLL}: req/s ${rr.toFixed(3)}x${range} target >= 1.1x: ` +
      `${verdict(rr >= 1.1)}; server CPU per request ${cr.toFixed(3)}x target <= 0.85x: ${verdict(cr <= 0.85)}`);
  }
}

// ---- Main ---------------------------------------------------------------------------------------------------

const wrk = await findWrk();
if (!wrk.path) {
  bench.note(`http: skipped: ${wrk.reason}`);
  process.exit(0);
}
const wrkPath = wrk.path;

const variants: { v: Variant; command: Command }[] = [];
for (const v of VARIANTS) {
  if (only !== null && !only.includes(v)) continue;
  const c = commandOf(v);
  if (typeof c === "string") {
    if (c) bench.note(`http: ${v} skipped: ${c}`);
    continue;
  }
  variants.push({ v, command: c });
}

const quotaWhy = quotaPct === 0 ? "--quota 0" : cpuQuotaUnavailable();
if (quotaWhy) bench.note(`http: bound mode skipped: ${quotaWhy}`);
const scenarios: Scenario[] = [];
for (const mode of quotaWhy ? ["free"] as const : ["free", "bound"] as const) {
  for (const connections of connectionCounts) {
    scenarios.push({ connections, depth: 1, mode });
    if (depth > 1) scenarios.push({ connections, depth, mode });
  }
}

bench.note(`http: wrk -t1 at ${connectionCounts.join(", ")} connection(s)${depth > 1 ? `, also pipelining ${depth}` : ""}; ` +
  `per round and variant a fresh server, per scenario ${warmSeconds} s warm-up and ${seconds} s measured; ` +
  (pinned ? `server pinned to CPU ${serverCpu}, wrk to CPU ${clientCpu}` : "server and wrk not pinned") +
  (quotaWhy ? "" : `; bound mode: the server capped at ${quotaPct}% of a CPU (${cpuQuotaWhere()})`));

const runs = new Map<string, Map<Variant, (Sample | null)[]>>(
  scenarios.map((sc) => [key(sc), new Map(variants.map(({ v }) => [v, []]))]),
);
try {
  for (let round = 0; round < opts.warmup + opts.rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const { v, command } = variants[(k + round) % variants.length]!;
      const got = await serverRound(wrkPath, v, command, scenarios);
      if (round < opts.warmup) continue;
      for (const sc of scenarios) runs.get(key(sc))!.get(v)!.push(got.get(key(sc)) ?? null);
    }
  }
} finally {
  killAll();
}

for (const sc of scenarios) {
  for (const { v } of variants) {
    const ss = runs.get(key(sc))!.get(v)!;
    const ok = ss.filter((s): s is Sample => s !== null);
    if (ok.length === 0) continue;
    rows.push({
      sc,
      variant: v,
      rate: stats(ok.map((s) => s.rps)),
      rates: ss.map((s) => (s ? s.rps : NaN)),
      // CPU per request over all rounds' runs together (pooledStats), the spread from each run.
      cpu: pooledStats(ok.map((s) => ({ amount: s.userUsTotal + s.sysUsTotal, count: s.requests }))),
      user: pooledStats(ok.map((s) => ({ amount: s.userUsTotal, count: s.requests }))),
      sys: pooledStats(ok.map((s) => ({ amount: s.sysUsTotal, count: s.requests }))),
      cpuPct: stats(finite(ok.map((s) => s.cpuPct))),
      bytes: stats(ok.map((s) => s.bytesPerResponse)).median,
      errors: ok.reduce((n, s) => n + s.errors, 0),
      rounds: ok.length,
    });
  }
}

for (const [v, head] of heads) bench.note(`${v} answers GET / with: ${head.split("\r\n").join(" | ")}`);
if (opts.json) for (const r of rows) for (const line of jsonLines(r)) console.log(JSON.stringify(line));
else printTable();
backendNotes();
if (rows.some((r) => r.errors > 0)) bench.note("http: some runs had socket errors or non-2xx responses (column errors)");
if (failures > 0) {
  bench.note(`http: ${failures} sample(s) failed (see above)`);
  process.exitCode = 1;
}
