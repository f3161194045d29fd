/**
 * FUSE over io_uring against classic /dev/fuse: 4 KiB random reads (requests per second), 1 MiB sequential
 * reads (MB/s), and metadata operations (files created, stat'ed, unlinked per second; entries `find` walks per
 * second) through examples/memfs.ts, the same filesystem code behind both transports.
 *
 * The bench mounts three memfs servers as child processes (this runtime, `--direct-io --max-write 1048576
 * --timeout 0`):
 *
 * - `classic` (the baseline): `--classic --blocking-reads`, the classic FUSE server: requests read from /dev/fuse by
 *   a read that blocks (here in an io-wq worker, through the ring), replies written with write(2);
 * - `classic-poll`: `--classic`, ringside's default /dev/fuse transport: the device opened O_NONBLOCK, so the ring
 *   polls it and reads a request in the server's own task when one arrives;
 * - `io_uring`: FUSE over io_uring (`/sys/module/fuse/parameters/enable_uring` set to Y while it mounts, then put
 *   back): requests and replies through ring entries, COMMIT_AND_FETCH.
 * memfs opens files with FOPEN_DIRECT_IO, so every read is a FUSE_READ round trip to the server, with
 * no page cache in between; max_write 1 MiB makes max_pages 256, so a 1 MiB read is one request. A 64 MiB file
 * (`--file-mib N`) is written into each mount first.
 *
 * The client is the same C program for both (`bench/c/fuse_read.c`): pread(2) one block at a time (queue depth 1,
 * the server sees one request after another), every read checked, random offsets from a fixed xorshift sequence.
 * It times itself after a warm-up and reports getrusage CPU times. Variants run interleaved (classic, io_uring,
 * classic-poll, io_uring, ...), medians over the rounds; ratios are over `classic`.
 *
 * The metadata rows: `--timeout 0` keeps the kernel from caching names and attributes, so each operation reaches
 * the server. `create`, `stat` and `unlink` are `bench/c/fuse_meta.c` doing that to `--files N` (10 000) files in
 * a fresh directory, one call at a time (on Linux 6.18 a stat is 3 FUSE requests, a file created and unlinked 11);
 * a sample is one pass over the files, however long it takes (`--ms` does not apply). `find` is find(1) printing
 * the type and size of every entry of a tree of 10 x 10 directories holding the files (READDIRPLUS, then a stat
 * of each entry), timed from spawn to exit.
 *
 *   bun bench/fuse.ts [--json] [--quick] [--rounds N] [--ms N] [--cpu N | --no-pin] [--loop integrated|owning]
 *                     [--file-mib N] [--files N] [--only rand4k,seq1m,create,stat,unlink,find]
 *   deno run -A bench/fuse.ts ...
 *
 * `--loop owning` runs both servers' loops in owning mode (blocking in io_uring_enter between requests). The
 * bench pins itself, and so its children (both servers and the client), to one CPU (the last by default): each
 * request is then a hand-off between two tasks on one CPU, without cross-CPU wake-ups; `--no-pin` lets the
 * scheduler place them. Needs root, /dev/fuse, gcc, and for the io_uring variant Linux 6.14 with
 * CONFIG_FUSE_IO_URING; the find row needs find(1).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Bench, buildC, runChild, runtime, type Sample, spawnTimed, stats, type Variant } from "./harness.ts";
import { ENABLE_URING_PATH, findMount, MNT_DETACH, setFuseUringEnabled, umount2Sync } from "ringside-uring/fuse";

const MEMFS = join(dirname(fileURLToPath(import.meta.url)), "..", "examples", "memfs.ts");
const SEED = "0x2545F491";

/** The workloads: name, block size, and how to read. */
const WORKLOADS = [
  { name: "rand4k", block: 4096, mode: "rand", threads: 1 },
  { name: "rand4k-4t", block: 4096, mode: "rand", threads: 4 },
  { name: "seq1m", block: 1 << 20, mode: "seq", threads: 1 },
] as const;

/** The metadata workloads: fuse_meta's modes, and find(1) over a tree. */
const META_WORKLOADS = ["create", "stat", "unlink", "find"] as const;

/** The servers compared: the variant's name, memfs's transport, and its extra arguments. */
const VARIANTS = [
  { name: "classic", transport: "classic", args: ["--blocking-reads"] },
  { name: "classic-poll", transport: "classic", args: [] },
  { name: "io_uring", transport: "io_uring", args: [] },
] as const;

/** One memfs child process and what it printed. */
interface Server {
  variant: string;
  transport: "io_uring" | "classic";
  dir: string;
  child: ReturnType<typeof spawn>;
  stdout: string;
  stderr: string;
  exited: Promise<void>;
}

/** Starts memfs on `dir` and resolves once it printed its mounted line. */
async function startServer(v: (typeof VARIANTS)[number], dir: string, owning: boolean): Promise<Server> {
  const transport = v.transport;
  const args = [MEMFS, dir, "--direct-io", "--max-write", String(1 << 20), "--timeout", "0", ...v.args];
  if (transport === "classic") args.push("--classic");
  if (owning) args.push("--owning");
  const argv = runtime.name === "deno" ? ["run", "-A", ...args] : args;
  const child = spawn(process.execPath, argv, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  const s: Server = { variant: v.name, transport, dir, child, stdout: "", stderr: "", exited: new Promise((r) => child.on("exit", r)) };
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (s.stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (s.stderr += d));
  const t0 = Date.now();
  while (!s.stdout.includes("memfs: mounted")) {
    if (child.exitCode !== null || Date.now() - t0 > 20_000) {
      throw new Error(`memfs (${transport}) did not come up: ${s.stdout}${s.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!s.stdout.includes(`over ${transport}`)) throw new Error(`memfs came up over the wrong transport: ${s.stdout}`);
  return s;
}

/** Stops a server (SIGTERM: it unmounts) and makes sure the mount is gone. */
async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) {
    s.child.kill("SIGTERM");
    const timer = setTimeout(() => s.child.kill("SIGKILL"), 10_000);
    await s.exited;
    clearTimeout(timer);
  }
  // The server is gone: nothing can wait for it any more.
  if (findMount(s.dir)) umount2Sync(s.dir, MNT_DETACH);
}

function parseRest(rest: string[]): { owning: boolean; fileMib: number; files: number; only: Set<string> } {
  const names: string[] = [...WORKLOADS.map((w) => w.name), ...META_WORKLOADS];
  const o = { owning: false, fileMib: 64, files: 10_000, only: new Set<string>(names) };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--loop" && (rest[i + 1] === "owning" || rest[i + 1] === "integrated")) o.owning = rest[++i] === "owning";
    else if (a === "--file-mib" && Number(rest[i + 1]) >= 8) o.fileMib = Number(rest[++i]);
    else if (a === "--files" && Number.isSafeInteger(Number(rest[i + 1])) && Number(rest[i + 1]) >= 100) {
      o.files = Number(rest[++i]);
    } else if (a === "--only" && rest[i + 1] !== undefined) o.only = new Set(rest[++i]!.split(","));
    else {
      throw new Error(`Unknown argument ${a}; fuse.ts also takes --loop integrated|owning --file-mib N --files N ` +
        "--only A,B");
    }
  }
  for (const w of o.only) {
    if (!names.includes(w)) throw new Error(`Bad --only: no workload ${w} (${names.join(", ")})`);
  }
  return o;
}

/** The tree `find` walks: TREE_FANOUT x TREE_FANOUT leaf directories sharing `--files` files. */
const TREE_FANOUT = 10;

/** One walk of `tree` by find(1), printing each entry's type and size (a stat of each): a sample of entries. */
function findTree(tree: string): Sample {
  const r = spawnTimed("find", [tree, "-printf", "%y %s\n"], bench.cpu);
  if (r.status !== 0) throw new Error(`find ${tree} failed (status ${r.status}): ${r.stderr.trim()}`);
  return { ops: r.stdout.split("\n").length - 1, ns: r.wallNs };
}

const bench = new Bench("fuse", { rounds: 7, ms: 300, warmup: 1 });
const opts = parseRest(bench.options.rest);
const exe = buildC("fuse_read");
const meta = buildC("fuse_meta");
const why = (process.getuid?.() ?? 0) !== 0
  ? "mounting FUSE needs root"
  : !existsSync("/dev/fuse")
  ? "/dev/fuse is missing (modprobe fuse)"
  : exe.path === null
  ? `the C client cannot be built: ${exe.reason}`
  : meta.path === null
  ? `the C client cannot be built: ${meta.reason}`
  : "";
if (why) {
  bench.note(`fuse: skipped: ${why}`);
  process.exit(0);
}
const uringWhy = existsSync(ENABLE_URING_PATH)
  ? ""
  : `${ENABLE_URING_PATH} is missing (FUSE over io_uring needs Linux 6.14 with CONFIG_FUSE_IO_URING)`;
if (uringWhy) bench.note(`fuse: io_uring variant skipped: ${uringWhy}; running classic only`);

const base = mkdtempSync(join(tmpdir(), "ringside-bench-fuse-"));
const servers: Server[] = [];
let restore: boolean | undefined;
const cleanup = async () => {
  if (restore !== undefined) setFuseUringEnabled(restore);
  restore = undefined;
  await Promise.all(servers.map(stopServer));
};
const onSignal = () => {
  void cleanup().finally(() => process.exit(130));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

try {
  for (const v of VARIANTS) {
    if (v.transport === "io_uring" && uringWhy) continue;
    const dir = join(base, v.name);
    mkdirSync(dir);
    if (v.transport === "io_uring") restore = setFuseUringEnabled(true);
    servers.push(await startServer(v, dir, opts.owning));
    if (restore !== undefined) {
      // The connection keeps its ring once registered: put the switch back at once.
      setFuseUringEnabled(restore);
      restore = undefined;
    }
    const made = spawnTimed(exe.path!, ["--create", join(dir, "f"), String(opts.fileMib)]);
    if (made.status !== 0) throw new Error(`Cannot write the bench file in ${dir}: ${made.stderr}`);
    if (opts.only.has("find")) {
      const perDir = String(Math.ceil(opts.files / TREE_FANOUT ** 2));
      const tree = spawnTimed(meta.path!, [dir, "tree", String(TREE_FANOUT), perDir]);
      if (tree.status !== 0) throw new Error(`Cannot make the tree in ${dir}: ${tree.stderr}`);
    }
  }
  bench.note(`fuse: memfs on ${runtime.name} ${runtime.version}, ${opts.owning ? "owning" : "integrated"} loop, ` +
    `${opts.fileMib} MiB file, FOPEN_DIRECT_IO, client bench/c/fuse_read.c (pread, queue depth 1); metadata: ` +
    `${opts.files} files, --timeout 0, client bench/c/fuse_meta.c and find(1)`);

  for (const w of WORKLOADS) {
    if (!opts.only.has(w.name)) continue;
    const samples = new Map<string, Sample[]>();
    const variants: Variant[] = servers.map((s) => ({
      name: s.variant,
      run: (ms: number): Sample => {
        const r = runChild(exe.path!, [join(s.dir, "f"), w.mode, String(w.block), String(ms), SEED, String(w.threads)],
          bench.cpu);
        const list = samples.get(s.variant) ?? [];
        list.push(r);
        samples.set(s.variant, list);
        return r;
      },
    }));
    await bench.compare({ workload: w.name, block: w.block, threads: w.threads }, "classic", variants);
    // MB/s from the same samples (the warm-up rounds left out), for the people reading the table.
    const mbps = (v: string) => {
      const ss = (samples.get(v) ?? []).slice(bench.options.warmup);
      return stats(ss.map((s) => s.ops * w.block / (s.ns / 1e9) / 1e6)).median;
    };
    for (const s of servers) {
      const value = Math.round(mbps(s.variant) * 10) / 10;
      if (bench.options.json) {
        console.log(JSON.stringify({
          bench: "fuse", runtime: runtime.name, variant: s.variant, workload: w.name, block: w.block,
          metric: "mb_per_s", value, runtime_version: runtime.version,
        }));
      } else {
        bench.note(`fuse: ${w.name} ${s.variant}: ${value} MB/s median`);
      }
    }
  }
  for (const w of META_WORKLOADS) {
    if (!opts.only.has(w)) continue;
    const variants: Variant[] = servers.map((s) => ({
      name: s.variant,
      run: (): Sample =>
        w === "find"
          ? findTree(join(s.dir, "tree"))
          : runChild(meta.path!, [s.dir, w, String(opts.files)], bench.cpu),
    }));
    await bench.compare({ workload: w, block: 0, threads: 1 }, "classic", variants);
  }
} finally {
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  await cleanup();
  for (const s of servers) {
    const closing = /memfs: unmounted.*/.exec(s.stderr)?.[0] ?? `no closing line: ${s.stderr.trim()}`;
    bench.note(`fuse: ${s.variant} server: ${closing}`);
  }
  rmSync(base, { recursive: true, force: true });
}
bench.finish();
