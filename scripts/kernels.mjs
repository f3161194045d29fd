// Runs ringside's doctor and test suite on Debian's kernels under QEMU: bullseye's 5.10, bookworm's 6.1, trixie's
// 6.12 and sid's newest (7.x), each the current kernel image package of its suite, fetched from this machine's
// Debian mirror and extracted (never installed) into a cache.
//
//   node scripts/kernels.mjs [--kernels 5.10,6.1,6.12,7.x] [--runtimes bun,deno] [--files PATH...]
//                            [--timeout SECONDS] [--json FILE] [--smoke] [--cache-dir DIR] [--fetch-only]
//
// Each kernel boots once (QEMU: KVM when /dev/kvm exists, else TCG) with an initramfs of busybox-static and the
// kernel's own 9p/virtio modules. Its init mounts this machine's root read-only over 9p with a tmpfs overlay on
// top (so the repo and its node_modules/.bin runtimes are at the same paths, and everything is writable), and runs
// the steps: `bun uring/doctor/doctor.ts --json`, then `node scripts/test.mjs --bun-only FILES` and `--deno-only
// FILES`, each with a clean environment and a timeout. Deno does not type check inside (RINGSIDE_DENO_NO_CHECK=1;
// the host checks). Then it prints a matrix (kernel x runtime: passed / failed / skipped and time), writes it as
// JSON with the kernel versions and doctor's summary, and exits non-zero when anything failed.
//
// --smoke is the quick one for `npm test`: doctor and a few small test files, Bun only.
//
// Needs root for the first run on a bare machine (apt-get install qemu-system-x86 busybox-static); fetching
// kernels needs Debian's mirror. Pieces: scripts/_qemu/debian.mjs (fetching), scripts/_qemu/initramfs.mjs and
// scripts/_qemu/init.sh (the initramfs). The console of each boot, the steps' logs and doctor's JSON are kept under
// <cache>/runs/.

import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { debianMirror, fetchKernel, KERNELS } from "./_qemu/debian.mjs";
import { buildInitramfs, findBusybox } from "./_qemu/initramfs.mjs";
import { extractVmlinux, hasPvh } from "./_qemu/vmlinux.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const RUNTIMES = ["bun", "deno"];
/** The small set --smoke runs (Bun only) when --files does not name others. */
const SMOKE_FILES = ["uring/ops/nop_test.ts", "uring/ring/probe_test.ts", "uring/fs/read_write_test.ts", "uring/net/send_recv_test.ts"];
/** Seconds allowed for the boot itself (until init has mounted the root) under TCG; KVM needs far less. */
const BOOT_ALLOWANCE_S = 300;
const KEEP_RUNS = 6;

const USAGE = `usage: node scripts/kernels.mjs [options] [test paths...]

  --kernels LIST     which kernels, comma-separated: ${KERNELS.map((k) => `${k.name} (${k.suite})`).join(", ")}
                     (default: all; --smoke too)
  --runtimes LIST    bun,deno (default: both; --smoke: bun)
  --files PATH...    test files or directories to run (default: deno.json's test.include; --smoke: ${SMOKE_FILES.join(" ")})
  --timeout SECONDS  per run (doctor, each runtime's suite) inside the guest (default 3600; --smoke 600)
  --json FILE        where to write the matrix (default: <cache>/kernel-matrix.json)
  --smoke            doctor and a few small files, Bun only
  --no-doctor        skip doctor
  --no-tests         doctor only
  --cache-dir DIR    kernels, apt state and run logs (default: $RINGSIDE_KERNEL_CACHE or ~/.cache/ringside/kernels)
  --fetch-only       fetch the kernels and build the initramfs images, boot nothing
  --refresh          run apt-get update for each suite now (otherwise its lists are reused for 6 hours, and
                     refreshed when a download fails)
  --bzimage          boot the bzImage through the firmware rather than the extracted ELF kernel through PVH
  --quiet            do not echo the guests' consoles (they are still kept under <cache>/runs/)
  -h, --help`;

function say(line) {
  console.error(`kernels: ${line}`);
}

function fail(message, code = 2) {
  console.error(`kernels: ${message}`);
  process.exit(code);
}

// --- options ---------------------------------------------------------------------------------------------------

function options(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kernels: { type: "string" },
        runtimes: { type: "string" },
        files: { type: "string", multiple: true },
        timeout: { type: "string" },
        json: { type: "string" },
        smoke: { type: "boolean", default: false },
        "no-doctor": { type: "boolean", default: false },
        "no-tests": { type: "boolean", default: false },
        "cache-dir": { type: "string" },
        "fetch-only": { type: "boolean", default: false },
        refresh: { type: "boolean", default: false },
        bzimage: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const list = (s) => s.split(/[,\s]+/).filter(Boolean);

  const kernelNames = v.kernels ? list(v.kernels) : KERNELS.map((k) => k.name);
  const kernels = kernelNames.map((n) => {
    const k = KERNELS.find((k) => k.name === n || k.suite === n || (n.startsWith("7") && k.name === "7.x"));
    if (!k) fail(`unknown kernel ${n}: pick from ${KERNELS.map((k) => k.name).join(", ")}\n${USAGE}`);
    return k;
  });

  const runtimes = v.runtimes ? list(v.runtimes) : v.smoke ? ["bun"] : RUNTIMES;
  for (const r of runtimes) if (!RUNTIMES.includes(r)) fail(`unknown runtime ${r}\n${USAGE}`);

  // `--files a b c`: the first path is the option's value, the rest are positionals.
  const typed = [...(v.files ?? []).flatMap(list), ...parsed.positionals];
  const typedIn = (process.env.npm_lifecycle_event && process.env.INIT_CWD) || process.cwd();
  let files;
  if (typed.length) {
    files = typed.map((p) => {
      const abs = [resolve(typedIn, p), resolve(ROOT, p)].find((c) => existsSync(c));
      if (!abs) fail(`${p}: no such file or directory`);
      return abs;
    });
  } else if (v.smoke) {
    files = SMOKE_FILES.map((p) => join(ROOT, p)).filter((p) => existsSync(p));
  } else {
    let include = ["ffi/", "uring/", "examples/", "bench/", "testing/"];
    try {
      include = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).test?.include ?? include;
    } catch {
      // keep the default
    }
    // Named explicitly so that test.mjs runs only the tests (no tsc, no doc check: the host does those).
    files = include.map((p) => join(ROOT, p)).filter((p) => existsSync(p));
  }

  const timeout = Number(v.timeout ?? (v.smoke ? 600 : 3600));
  if (!Number.isFinite(timeout) || timeout <= 0) fail(`--timeout wants seconds, not ${v.timeout}`);

  const cacheDir = resolve(v["cache-dir"] ?? process.env.RINGSIDE_KERNEL_CACHE ??
    join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "ringside", "kernels"));
  return {
    kernels,
    runtimes,
    files,
    timeout,
    cacheDir,
    json: resolve(v.json ?? join(cacheDir, "kernel-matrix.json")),
    doctor: !v["no-doctor"],
    tests: !v["no-tests"],
    smoke: v.smoke,
    fetchOnly: v["fetch-only"],
    refresh: v.refresh,
    bzimage: v.bzimage,
    quiet: v.quiet,
  };
}

// --- what we need from Debian ----------------------------------------------------------------------------------

function has(cmd, args = ["--version"]) {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return !r.error;
}

function ensureTools() {
  const need = [];
  if (!has("qemu-system-x86_64")) need.push("qemu-system-x86");
  if (!findBusybox()) need.push("busybox-static");
  if (!has("xz")) need.push("xz-utils");
  if (!has("zstd")) need.push("zstd");
  if (!has("apt-get") || !has("dpkg-deb")) fail("apt-get and dpkg-deb are needed (a Debian machine) to fetch Debian's kernels");
  if (!need.length) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) fail(`missing ${need.join(" ")}: run \`apt-get install ${need.join(" ")}\` as root`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...need], { stdio: ["ignore", "inherit", "inherit"], env }).status === 0;
  say(`installing ${need.join(" ")} with apt-get`);
  if (!install()) {
    say("apt-get install failed; running apt-get update once and trying again");
    spawnSync("apt-get", ["update", "-q"], { stdio: ["ignore", "inherit", "inherit"], env });
    if (!install()) fail(`apt-get install ${need.join(" ")} failed`, 1);
  }
  if (!has("qemu-system-x86_64") || !findBusybox()) fail("qemu-system-x86_64 or a static busybox is still missing after apt-get install", 1);
}

// --- QEMU ------------------------------------------------------------------------------------------------------

/** QEMU processes still running; killed on exit, on SIGINT/SIGTERM, and on a timeout. */
const live = new Set();

function killAll() {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
process.on("exit", killAll);
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
  process.on(signal, () => {
    say(`${signal}: killing ${live.size} QEMU process${live.size === 1 ? "" : "es"}`);
    killAll();
    process.exit(code);
  });
}

function kvmUsable() {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * The script the guest runs (chrooted into the host's root): each step with a clean environment and a timeout,
 * its output in <out>/<name>.log (doctor's stdout in doctor.json), its exit status in <name>.rc, and marker lines
 * on the console.
 */
function runScript(steps, timeoutS) {
  const env = {
    PATH: `${join(ROOT, "node_modules", ".bin")}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: "/root",
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    TERM: "dumb",
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
    // Deno's type check is slow under emulation; the host checks. Honoured by scripts/test.mjs.
    RINGSIDE_DENO_NO_CHECK: "1",
    // Tests that cannot finish under emulation (a headless browser under TCG) skip by this, and say so.
    RINGSIDE_QEMU_GUEST: kvmUsable() ? "kvm" : "tcg",
    // test.mjs's own per-runner timeout, inside ours.
    RINGSIDE_TEST_TIMEOUT_S: String(Math.max(60, timeoutS - 30)),
    ...(process.env.LIBURING_PATH ? { LIBURING_PATH: process.env.LIBURING_PATH } : {}),
  };
  const envArgs = Object.entries(env).map(([k, v]) => q(`${k}=${v}`)).join(" ");
  const lines = [
    "#!/bin/sh",
    "# Written by scripts/kernels.mjs for one boot; run by scripts/_qemu/init.sh inside the guest.",
    "OUT=/run/ringside",
    `cd ${q(ROOT)} || { echo "RINGSIDE-FATAL ${ROOT} is not visible in the guest"; exit 97; }`,
    `uname -r > "$OUT/uname"`,
    "up() { cut -d' ' -f1 /proc/uptime; }",
    "status=0",
  ];
  for (const s of steps) {
    const cmd = s.argv.map(q).join(" ");
    const run = `timeout -k 20 ${timeoutS} env -i ${envArgs} ${cmd}`;
    lines.push(`echo "RINGSIDE-STEP-BEGIN ${s.name} $(up)"`);
    if (s.stdoutFile) {
      // doctor: stdout is the JSON report, stderr goes to the console.
      lines.push(`${run} > "$OUT/${s.stdoutFile}" 2> "$OUT/${s.name}.log"; rc=$?`);
      lines.push(`cat "$OUT/${s.name}.log"`);
    } else {
      lines.push(`{ ${run} 2>&1; echo $? > "$OUT/${s.name}.rc"; } | tee "$OUT/${s.name}.log"`);
      lines.push(`rc=$(cat "$OUT/${s.name}.rc" 2>/dev/null || echo 99)`);
    }
    lines.push(`echo "$rc" > "$OUT/${s.name}.rc"`);
    lines.push(`[ "$rc" = 0 ] || status=1`);
    lines.push(`echo "RINGSIDE-STEP-END ${s.name} $rc $(up)"`);
  }
  lines.push("exit $status", "");
  return lines.join("\n");
}

/** Boots one kernel with its initramfs, runs `steps`, and resolves to what the console and the out dir said. */
function boot(kernel, image, initrd, outDir, steps, o) {
  writeFileSync(join(outDir, "run.sh"), runScript(steps, o.timeout));
  const kvm = kvmUsable();
  const args = [
    "-nodefaults", "-no-reboot", "-display", "none", "-monitor", "none", "-serial", "stdio",
    "-accel", kvm ? "kvm" : "tcg,thread=multi",
    "-cpu", "max", "-m", "4G", "-smp", "2",
    "-kernel", image, "-initrd", initrd,
    "-append", "console=ttyS0 rdinit=/init panic=-1 loglevel=4 mitigations=off",
    "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
    "-virtfs", `local,path=${outDir},mount_tag=ringsideout,security_model=none,multidevs=remap`,
  ];
  writeFileSync(join(outDir, "qemu.args"), ["qemu-system-x86_64", ...args].map(q).join(" ") + "\n");
  const deadlineS = (kvm ? 120 : BOOT_ALLOWANCE_S) + steps.length * (o.timeout + 40);
  const t0 = Date.now();
  const seconds = () => (Date.now() - t0) / 1000;
  const tag = `[${kernel.name}] `;
  return new Promise((done) => {
    const child = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    const r = { accel: kvm ? "kvm" : "tcg", image, started: null, booted: null, guestBootUptime: null, result: null, fatal: null, steps: {}, timedOut: false, console: [] };
    let pending = "";
    const onLine = (line) => {
      line = line.replace(/\r$/, "");
      r.console.push(line);
      if (r.console.length > 4000) r.console.splice(0, 2000);
      if (!o.quiet) process.stdout.write(tag + line + "\n");
      let m;
      if (/^RINGSIDE-INIT /.test(line)) {
        r.started = seconds();
      } else if ((m = /^RINGSIDE-BOOTED (\S+)/.exec(line))) {
        r.booted = seconds();
        r.guestBootUptime = Number(m[1]);
      } else if ((m = /^RINGSIDE-STEP-BEGIN (\S+) (\S+)/.exec(line))) {
        r.steps[m[1]] = { start: seconds(), guestStart: Number(m[2]) };
      } else if ((m = /^RINGSIDE-STEP-END (\S+) (\S+) (\S+)/.exec(line))) {
        const s = (r.steps[m[1]] ??= {});
        Object.assign(s, { end: seconds(), rc: Number(m[2]), guestEnd: Number(m[3]) });
        s.seconds = s.end - (s.start ?? s.end);
        s.guestSeconds = s.guestEnd - (s.guestStart ?? s.guestEnd);
      } else if ((m = /^RINGSIDE-RESULT (\S+)/.exec(line))) {
        r.result = Number(m[1]);
      } else if ((m = /^RINGSIDE-(FATAL|WARN) (.*)/.exec(line))) {
        if (m[1] === "FATAL") r.fatal = m[2];
      }
    };
    const log = [];
    child.stdout.on("data", (chunk) => {
      const text = pending + chunk.toString("utf8");
      log.push(chunk);
      const lines = text.split("\n");
      pending = lines.pop();
      for (const l of lines) onLine(l);
    });
    let stderr = "";
    child.stderr.on("data", (c) => {
      stderr += c;
      if (!o.quiet) process.stderr.write(tag + c);
    });
    const timer = setTimeout(() => {
      r.timedOut = true;
      say(`${kernel.name}: no power-off after ${deadlineS} s; killing QEMU`);
      child.kill("SIGKILL");
    }, deadlineS * 1000);
    child.on("error", (e) => {
      r.fatal = `cannot start qemu-system-x86_64: ${e.message}`;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (pending) onLine(pending);
      writeFileSync(join(outDir, "console.log"), Buffer.concat(log));
      r.seconds = seconds();
      r.qemuExit = signal ?? code;
      r.qemuStderr = stderr.trim();
      done(r);
    });
  });
}

// --- results ---------------------------------------------------------------------------------------------------

function readIf(p) {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return null;
  }
}

/** The "bun: 10 passed, 0 failed, 2 skipped" line test.mjs ends with, for `runtime`. */
function parseCounts(text, runtime) {
  const re = new RegExp(`^${runtime}: (\\d+) passed, (\\d+) failed(?:, (\\d+) skipped)?\\s*$`, "gm");
  let last = null;
  for (const m of (text ?? "").matchAll(re)) last = m;
  return last ? { passed: Number(last[1]), failed: Number(last[2]), skipped: Number(last[3] ?? 0) } : null;
}

function doctorSummary(report) {
  if (!report) return null;
  return {
    kernel: report.kernel,
    runtime: report.runtime ? `${report.runtime.name} ${report.runtime.version}` : null,
    liburing: report.liburing?.version ?? report.liburing?.error ?? null,
    ioUringDisabled: report.ioUringDisabled ?? null,
    canSetup: report.canSetup,
    problem: report.problem ? (report.problem.reason ?? report.problem.error) : null,
    features: report.features?.length ?? null,
    setupFlags: report.setupFlags?.length ?? null,
    opcodes: report.opcodes?.length ?? null,
    opcodesMissing: report.opcodesMissing?.length ?? null,
    query: report.query ? true : false,
  };
}

function collect(kernel, initramfs, outDir, r, plan) {
  const row = {
    name: kernel.name,
    suite: kernel.suite,
    package: kernel.image,
    packages: kernel.packages,
    packageVersion: kernel.version,
    release: kernel.abi,
    uname: (readIf(join(outDir, "uname")) ?? "").trim() || null,
    accel: r.accel,
    bootImage: r.image,
    bootSeconds: r.booted,
    guestBootUptime: r.guestBootUptime,
    totalSeconds: r.seconds,
    modules: initramfs.modules,
    builtinModules: initramfs.builtin,
    logs: outDir,
    // What the kernel itself complained about (a WARN or an oops while the tests ran is worth a look).
    kernelMessages: r.console.filter((l) => /^\[\s*\d+\.\d+\] .*(BUG:|Oops|WARNING:|general protection|Kernel panic|Call Trace|hung_task|blocked for more than)/.test(l)),
    errors: [],
    doctor: null,
    runs: {},
  };
  if (r.fatal) row.errors.push(`guest: ${r.fatal}`);
  if (r.timedOut) row.errors.push("QEMU was killed: the guest did not power off in time");
  if (r.booted === null) {
    row.errors.push(`the guest never mounted the host root (QEMU exit ${r.qemuExit}); console tail:\n` +
      r.console.slice(-25).join("\n") + (r.qemuStderr ? `\nqemu: ${r.qemuStderr}` : ""));
  }
  for (const step of plan) {
    const s = r.steps[step.name];
    const rcText = readIf(join(outDir, `${step.name}.rc`));
    const rc = s?.rc ?? (rcText === null ? null : Number(rcText.trim()));
    const log = readIf(join(outDir, `${step.name}.log`));
    const timing = { seconds: s?.seconds ?? null, guestSeconds: s?.guestSeconds ?? null };
    if (step.kind === "doctor") {
      let report = null;
      let parseError = null;
      try {
        report = JSON.parse(readIf(join(outDir, "doctor.json")) ?? "");
      } catch (e) {
        parseError = e.message;
      }
      const ok = rc === 0 && report !== null;
      row.doctor = { runtime: step.runtime, rc, ok, ...timing, summary: doctorSummary(report), report };
      if (!ok) {
        row.errors.push(`doctor: ${rc === null ? "did not run" : rc === 124 ? "timed out" : `exit ${rc}`}` +
          (report ? (report.canSetup === false ? ` (no ring: ${row.doctor.summary.problem})` : "") : ` (no JSON report: ${parseError})`));
      }
    } else {
      const counts = parseCounts(log, step.runtime);
      const notes = [];
      let res;
      if (rc === null) {
        notes.push("did not run");
        res = { passed: 0, failed: 1, skipped: 0 };
      } else if (!counts) {
        notes.push(rc === 124 ? `timed out after ${plan.timeout ?? ""}s` : `exit ${rc} without a summary line; counted as 1 failure`);
        res = { passed: 0, failed: 1, skipped: 0 };
      } else {
        res = { ...counts };
        if (rc !== 0 && res.failed === 0) {
          notes.push(`exit ${rc} but no failed test; counted as 1 failure`);
          res.failed = 1;
        }
      }
      // The failed tests by name, as test.mjs's runners print them.
      const failedTests = [...new Set([...(log ?? "").matchAll(/^\(fail\) (.+?)(?: \[[\d.]+m?s\])?$/gm)].map((m) => m[1]))];
      const denoFailed = [...(log ?? "").matchAll(/^(.+?) => \.\/(\S+)$/gm)].map((m) => `${m[2]}: ${m[1]}`);
      row.runs[step.runtime] = { ...res, rc, ...timing, notes, failedTests: [...new Set([...failedTests, ...denoFailed])] };
    }
  }
  return row;
}

function fmtTime(s) {
  if (s === null || s === undefined) return "-";
  return s >= 120 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(0)}s`;
}

function printMatrix(rows, o) {
  const header = ["kernel", "release", "boot", "doctor", ...o.runtimes];
  const table = [header];
  for (const row of rows) {
    const d = row.doctor;
    const doctor = !o.doctor ? "-" : !d ? "not run" : d.ok
      ? `ok, ${d.summary?.opcodes} ops (${fmtTime(d.seconds)})`
      : `FAIL${d.summary?.canSetup === false ? ": no ring" : d.rc !== null ? ` (exit ${d.rc})` : ""}`;
    const cells = o.runtimes.map((rt) => {
      const r = row.runs[rt];
      if (!o.tests) return "-";
      if (!r) return "not run";
      return `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${fmtTime(r.seconds)})`;
    });
    table.push([row.name, row.uname ?? row.release ?? "?", fmtTime(row.bootSeconds), doctor, ...cells]);
  }
  const widths = header.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  console.log("");
  for (const r of table) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join("  ").trimEnd());
  console.log("");
  for (const row of rows) {
    for (const e of row.errors) console.log(`${row.name}: ${e}`);
    for (const m of (row.kernelMessages ?? []).slice(0, 10)) console.log(`${row.name}: kernel: ${m}`);
    for (const [rt, r] of Object.entries(row.runs)) {
      for (const n of r.notes) console.log(`${row.name} ${rt}: ${n}`);
      for (const t of r.failedTests.slice(0, 40)) console.log(`${row.name} ${rt}: failed: ${t}`);
      if (r.failedTests.length > 40) console.log(`${row.name} ${rt}: ... and ${r.failedTests.length - 40} more failed`);
    }
  }
}

// --- main ------------------------------------------------------------------------------------------------------

/** Marks a run directory finished: only finished runs (or ones untouched for a day, left by a killed run) are pruned,
 *  so a run in progress (npm test's smoke beside a full matrix, say) never loses its logs under it. */
const RUN_DONE = "finished";
const STALE_MS = 24 * 3600_000;

function pruneRuns(runsDir, current) {
  if (!existsSync(runsDir)) return;
  const all = readdirSync(runsDir).filter((n) => n !== current && statSync(join(runsDir, n)).isDirectory()).sort();
  const prunable = all.filter((n) =>
    existsSync(join(runsDir, n, RUN_DONE)) || Date.now() - statSync(join(runsDir, n)).mtimeMs > STALE_MS
  );
  for (const n of prunable.slice(0, Math.max(0, prunable.length - KEEP_RUNS))) {
    rmSync(join(runsDir, n), { recursive: true, force: true });
  }
}

async function main() {
  const o = options(process.argv.slice(2));
  if (process.platform !== "linux" || process.arch !== "x64") fail("kernels.mjs boots x86_64 Debian kernels: run it on x86_64 Linux");
  ensureTools();
  mkdirSync(o.cacheDir, { recursive: true });
  const mirror = debianMirror();
  say(`mirror ${mirror.archive.uri}${mirror.security ? ` (+ ${mirror.security.uri})` : ""}; cache ${o.cacheDir}`);

  const testMjs = readIf(join(ROOT, "scripts", "test.mjs")) ?? "";
  if (o.tests && o.runtimes.includes("deno") && !testMjs.includes("RINGSIDE_DENO_NO_CHECK")) {
    say("scripts/test.mjs does not honour RINGSIDE_DENO_NO_CHECK yet: Deno will type check inside the guest (slow under TCG)");
  }

  // The steps each boot runs.
  const plan = [];
  const bunBin = join(ROOT, "node_modules", ".bin", "bun");
  const denoBin = join(ROOT, "node_modules", ".bin", "deno");
  if (o.doctor) {
    const rt = o.runtimes.includes("bun") || !o.runtimes.length ? "bun" : "deno";
    const argv = rt === "bun"
      ? [bunBin, join(ROOT, "uring/doctor/doctor.ts"), "--json"]
      : [denoBin, "run", "-A", "--no-check", "--config=deno.json", join(ROOT, "uring/doctor/doctor.ts"), "--json"];
    plan.push({ name: "doctor", kind: "doctor", runtime: rt, argv, stdoutFile: "doctor.json" });
  }
  if (o.tests) {
    for (const rt of o.runtimes) {
      plan.push({ name: `test-${rt}`, kind: "test", runtime: rt, argv: [process.execPath, join(ROOT, "scripts/test.mjs"), `--${rt}-only`, ...o.files] });
    }
  }
  plan.timeout = o.timeout;
  if (!o.fetchOnly) {
    say(`steps: ${plan.map((s) => s.argv.map((a) => (isAbsolute(a) && a.startsWith(ROOT) ? relative(ROOT, a) || "." : a)).join(" ")).join("; ")}`);
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runsDir = join(o.cacheDir, "runs");
  const rows = [];
  for (const k of o.kernels) {
    let kernel;
    let initramfs;
    const t0 = Date.now();
    try {
      kernel = fetchKernel(o.cacheDir, k, mirror, { refresh: o.refresh });
      initramfs = buildInitramfs(kernel, join(kernel.dir, "initramfs.gz"));
    } catch (e) {
      say(`${k.name}: ${e.message}`);
      rows.push({ name: k.name, suite: k.suite, release: null, uname: null, errors: [`fetch: ${e.message}`], doctor: null, runs: {} });
      continue;
    }
    say(`${k.name}: ${kernel.image} ${kernel.version} (${((Date.now() - t0) / 1000).toFixed(1)} s to resolve/fetch); initramfs ` +
      `${(initramfs.size / 1024).toFixed(0)} KiB with ${initramfs.modules.join(" ") || "no modules"}` +
      (initramfs.builtin.length ? ` (built in: ${initramfs.builtin.join(" ")})` : ""));
    if (o.fetchOnly) {
      rows.push({ name: k.name, suite: k.suite, package: kernel.image, packageVersion: kernel.version, release: kernel.abi, uname: null, errors: [], doctor: null, runs: {}, modules: initramfs.modules });
      continue;
    }
    const outDir = join(runsDir, stamp, k.name);
    mkdirSync(outDir, { recursive: true });
    say(`${k.name}: booting ${kernel.abi} (${kvmUsable() ? "KVM" : "TCG"}); logs in ${outDir}`);
    // The ELF kernel boots through PVH, skipping firmware and decompression (~10 s less under TCG); the bzImage is
    // the fallback.
    const config = [join(kernel.dir, "root", "boot", `config-${kernel.abi}`), join(kernel.modules, "config")];
    const vmlinux = !o.bzimage && hasPvh(config) ? extractVmlinux(kernel.vmlinuz, join(kernel.dir, "vmlinux")) : null;
    let r = await boot(kernel, vmlinux ?? kernel.vmlinuz, initramfs.path, outDir, plan, o);
    if (vmlinux && r.started === null && !r.timedOut) {
      say(`${k.name}: the PVH boot of ${vmlinux} never reached init; booting the bzImage instead`);
      r = await boot(kernel, kernel.vmlinuz, initramfs.path, outDir, plan, o);
    }
    const row = collect(kernel, initramfs, outDir, r, plan);
    say(`${k.name}: powered off after ${fmtTime(r.seconds)} (root mounted after ${fmtTime(r.booted)})`);
    rows.push(row);
  }
  if (existsSync(join(runsDir, stamp))) writeFileSync(join(runsDir, stamp, RUN_DONE), new Date().toISOString() + "\n");
  pruneRuns(runsDir, stamp);

  const failed = rows.some((row) =>
    row.errors.length || (o.doctor && !o.fetchOnly && !row.doctor?.ok) || Object.values(row.runs).some((r) => r.failed > 0)
  );
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const row of rows) {
    for (const r of Object.values(row.runs)) {
      total.passed += r.passed;
      total.failed += r.failed;
      total.skipped += r.skipped;
    }
  }
  if (!o.fetchOnly) printMatrix(rows, o);
  const qemuVersion = (spawnSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" }).stdout ?? "").split("\n")[0];
  const out = {
    generatedAt: new Date().toISOString(),
    host: { kernel: readIf("/proc/sys/kernel/osrelease")?.trim() ?? null, qemu: qemuVersion, accel: kvmUsable() ? "kvm" : "tcg" },
    mirror: mirror.archive.uri,
    options: { kernels: o.kernels.map((k) => k.name), runtimes: o.runtimes, files: o.files.map((f) => relative(ROOT, f) || "."), timeout: o.timeout, smoke: o.smoke },
    ok: !failed,
    total,
    kernels: rows,
  };
  mkdirSync(dirname(o.json), { recursive: true });
  writeFileSync(o.json, JSON.stringify(out, null, 2) + "\n");
  console.log(`kernels: matrix written to ${o.json}`);
  const errors = rows.reduce((n, row) => n + row.errors.length, 0);
  // One closing line a CI reader understands; kernels that could not boot or whose doctor failed count as failures.
  if (!o.fetchOnly) console.log(`${total.passed} passed, ${total.failed + errors} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  },
);
