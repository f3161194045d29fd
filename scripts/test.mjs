// What `npm test` runs: the whole suite under `bun test`, then under `deno test`, output streamed live, and one
// total at the end.
//
//   node scripts/test.mjs [--bun-only|--deno-only] [paths...]
//
// Paths are test files or directories (default: the directories in deno.json's test.include). Files named
// *_deno_test.ts / *_deno.ts never go to Bun and *_bun_test.ts / *_bun.ts never go to Deno. The last lines are
//
//   bun: 10 passed, 0 failed, 2 skipped
//   deno: 10 passed, 0 failed, 2 skipped
//   20 passed, 0 failed, 4 skipped
//
// (", N skipped" only when something skipped), and the exit status is non-zero when anything failed. A runner that
// crashes, times out (15 minutes each; RINGSIDE_TEST_TIMEOUT_S overrides) or prints no summary counts as at least
// one failure.
//
// Counting: Bun counts every test() that ran, nested ones included; todo tests count as skipped. Deno counts
// top-level tests (a describe() is one test whose children are steps, and a failing step fails its parent);
// ignored steps are added to skipped so that no skip goes unseen.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { denoFiles } from "./check.mjs";
import { consumerTest } from "./consumer.mjs";
import { ensure, isMain, ROOT } from "./ensure.mjs";

/** A runner that has not finished after this long is killed and counted as failed. */
const TIMEOUT_MS = Number(process.env.RINGSIDE_TEST_TIMEOUT_S ?? 15 * 60) * 1000;
/** How much of each output stream is kept for parsing; the summaries are at the very end. */
const KEEP_CHARS = 1 << 20;

const USAGE = "usage: node scripts/test.mjs [--bun-only|--deno-only] [paths...]";

// --- finding test files ----------------------------------------------------------------------------------------

function isTestFile(name) {
  return name.endsWith("_test.ts");
}

/** Whether `file` may run on `runtime`: the other runtime's files (by name) are left out. */
function runsOn(runtime, file) {
  const other = runtime === "bun" ? "deno" : "bun";
  return !file.endsWith(`_${other}_test.ts`) && !file.endsWith(`_${other}.ts`);
}

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.isFile() && isTestFile(entry.name)) out.push(p);
  }
  return out;
}

function defaultRoots() {
  try {
    const include = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).test?.include;
    if (Array.isArray(include) && include.length) return include;
  } catch {
    // fall through to the folders the suite has always had
  }
  return ["ffi/", "uring/", "examples/", "bench/", "testing/"];
}

/** Absolute paths of the test files under `paths` (files named explicitly are kept whatever their name). */
function collect(paths) {
  const files = [];
  // Under `npm test -- paths`, npm has moved us to the repo root; INIT_CWD is where the paths were typed.
  const typedIn = process.env.npm_lifecycle_event && process.env.INIT_CWD;
  const bases = paths.length ? [...(typedIn ? [typedIn] : []), process.cwd()] : [ROOT];
  const roots = paths.length ? paths : defaultRoots().filter((p) => existsSync(resolve(ROOT, p)));
  for (const p of roots) {
    const abs = bases.map((b) => resolve(b, p)).find((c) => existsSync(c));
    if (!abs) {
      console.error(`test: ${p}: no such file or directory\n${USAGE}`);
      process.exit(2);
    }
    if (statSync(abs).isDirectory()) walk(abs, files);
    else files.push(abs);
  }
  return [...new Set(files)].sort();
}

/** How a file is named on the command line: `./relative` inside the repo (Bun reads a bare word as a filter). */
function arg(file) {
  const rel = relative(ROOT, file);
  return rel.startsWith("..") || isAbsolute(rel) ? file : `./${rel}`;
}

// --- running ---------------------------------------------------------------------------------------------------

// deno-lint-ignore no-control-regex -- ANSI escapes start with ESC on purpose
const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

/**
 * Runs `cmd` in its own process group, copying its stdout and stderr to our stdout as they arrive and keeping the
 * tail of each. Kills the whole group after `timeoutMs`, or when we are interrupted.
 */
function stream(label, cmd, args, env, timeoutMs) {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const kept = { stdout: "", stderr: "" };
    let timedOut = false;
    let exit = null;
    let finished = false;

    const killGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const onSignal = (signal) => {
      killGroup(signal);
      setTimeout(() => killGroup("SIGKILL"), 3000).unref();
      process.exitCode = 130;
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    const timer = setTimeout(() => {
      timedOut = true;
      process.stdout.write(`\ntest: ${label} did not finish in ${timeoutMs / 1000} s; killing it\n`);
      killGroup("SIGTERM");
      setTimeout(() => killGroup("SIGKILL"), 10_000).unref();
    }, timeoutMs);

    for (const name of ["stdout", "stderr"]) {
      const decoder = new TextDecoder();
      child[name].on("data", (chunk) => {
        process.stdout.write(chunk);
        kept[name] += decoder.decode(chunk, { stream: true });
        if (kept[name].length > 2 * KEEP_CHARS) kept[name] = kept[name].slice(-KEEP_CHARS);
      });
    }

    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      // Anything still in the group (a test's leaked child process) must not outlive the run.
      killGroup("SIGKILL");
      done({ ...exit, timedOut, stdout: kept.stdout, stderr: kept.stderr });
    };
    child.on("error", (error) => {
      exit = { code: null, signal: null, error };
      finish();
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      // A grandchild holding the pipes open must not keep us waiting for "close".
      setTimeout(finish, 5000).unref();
    });
    child.on("close", finish);
  });
}

// --- parsing the summaries -------------------------------------------------------------------------------------

/**
 * Bun (to stderr): `Ran 12 tests across 3 files. [80.00ms]`, preceded by lines such as ` 9 pass`, ` 2 skip`,
 * ` 1 todo`, ` 0 fail`, ` 1 error`, ` 20 expect() calls`.
 */
export function parseBun(text) {
  const lines = text.replace(ANSI, "").split("\n");
  let ran = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^Ran \d+ tests? across \d+ files?\b/.test(lines[i].trim())) {
      ran = i;
      break;
    }
  }
  if (ran < 0) return null;
  const n = {};
  for (let i = ran - 1; i >= 0; i--) {
    const m = /^\s*(\d+) ([a-z].*?)\s*$/.exec(lines[i]);
    if (!m) break;
    n[m[2]] = Number(m[1]);
  }
  if (!("pass" in n) && !("fail" in n)) return null;
  return {
    passed: n.pass ?? 0,
    failed: n.fail ?? 0,
    skipped: (n.skip ?? 0) + (n.todo ?? 0),
    errors: n.error ?? n.errors ?? 0,
  };
}

/** Deno (to stdout): `ok | 3 passed (1 step) | 0 failed | 1 ignored (2 steps) | 4 filtered out (26ms)`. */
export function parseDeno(text) {
  const lines = text.replace(ANSI, "").split("\n");
  const line = lines.findLast((l) => /^(ok|FAILED) \| \d+ passed/.test(l.trim()));
  if (!line) return null;
  const n = {};
  const steps = {};
  for (const part of line.trim().split(" | ").slice(1)) {
    const m = /^(\d+) (passed|failed|ignored|measured|filtered out)(?: \((\d+) steps?\))?/.exec(part);
    if (!m) continue;
    n[m[2]] = Number(m[1]);
    steps[m[2]] = Number(m[3] ?? 0);
  }
  return {
    passed: n.passed ?? 0,
    failed: n.failed ?? 0,
    skipped: (n.ignored ?? 0) + (steps.ignored ?? 0),
    errors: 0,
    ok: line.trim().startsWith("ok "),
  };
}

function describeExit(r) {
  if (r.error) return `could not be started (${r.error.message})`;
  if (r.timedOut) return `timed out after ${TIMEOUT_MS / 1000} s and was killed`;
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with code ${r.code}`;
}

/** Counts for one runner, plus notes explaining any failure that is not a failed test. */
export function judge(runtime, r) {
  const counts = runtime === "bun" ? parseBun(r.stderr) ?? parseBun(r.stdout) : parseDeno(r.stdout) ?? parseDeno(r.stderr);
  const notes = [];
  if (!counts) {
    notes.push(`${runtime}: ${describeExit(r)} without a summary I could read; counted as 1 failure`);
    return { passed: 0, failed: 1, skipped: 0, notes };
  }
  if (r.timedOut) {
    notes.push(`${runtime}: ${describeExit(r)}; counted as a failure`);
    counts.failed = Math.max(counts.failed, 1);
  } else if ((r.code !== 0 || r.signal) && counts.failed === 0) {
    const extra = counts.errors ? ` (${counts.errors} error${counts.errors === 1 ? "" : "s"} outside tests)` : "";
    notes.push(`${runtime}: ${describeExit(r)} but reported no failed test${extra}; counted as 1 failure`);
    counts.failed = 1;
  } else if (counts.errors) {
    notes.push(`${runtime}: ${counts.errors} error${counts.errors === 1 ? "" : "s"} outside tests (see above)`);
  }
  return { passed: counts.passed, failed: counts.failed, skipped: counts.skipped, notes };
}

/**
 * Tests per file as Bun reports them: a `path:` heading, then `(pass)`/`(fail)`/`(skip)`/`(todo)` lines, until
 * the closing lists of failed and skipped tests.
 */
export function perFileBun(text) {
  const counts = new Map();
  let file = null;
  for (const raw of text.replace(ANSI, "").split("\n")) {
    const line = raw.trimEnd();
    const heading = /^(\S+_test\.ts):$/.exec(line);
    if (heading) {
      file = heading[1].replace(/^\.\//, "");
      counts.set(file, counts.get(file) ?? 0);
    } else if (/^\d+ tests? (failed|skipped|todo):$/.test(line.trim())) {
      file = null;
    } else if (file && /^\((pass|fail|skip|todo)\) /.test(line)) {
      counts.set(file, counts.get(file) + 1);
    }
  }
  return counts;
}

/** Tests per file as Deno announces them: `running N tests from ./path`. */
export function perFileDeno(text) {
  const counts = new Map();
  for (const m of text.replace(ANSI, "").matchAll(/^running (\d+) tests? from (\S+)$/gm)) {
    const file = m[2].replace(/^\.\//, "");
    counts.set(file, (counts.get(file) ?? 0) + Number(m[1]));
  }
  return counts;
}

/**
 * Files whose test counts differ between the runtimes. Deno's node:test swallows an exception thrown while a file
 * loads once that file has defined its first test, and reports the tests defined before it as the whole file;
 * comparing with Bun's count catches that.
 */
export function countMismatches(bunCounts, denoCounts) {
  const out = [];
  for (const [file, n] of bunCounts) {
    const d = denoCounts.get(file);
    if (d !== undefined && d !== n) out.push(`${file}: bun ran ${n} tests, deno ${d}`);
  }
  return out;
}

export function format({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

function commandFor(runtime, bin, files) {
  if (runtime === "bun") {
    return { cmd: bin, args: ["test", "--timeout", "120000", ...files.map(arg)], env: { ...process.env } };
  }
  return {
    cmd: bin,
    // RINGSIDE_DENO_NO_CHECK=1 (scripts/kernels.mjs sets it inside QEMU, where type checking is slow; the host
    // checks) runs the tests without `deno test`'s type check.
    args: ["test", "-A", "--v8-flags=--expose-gc", "--config=deno.json",
      ...(process.env.RINGSIDE_DENO_NO_CHECK === "1" ? ["--no-check"] : []), ...files.map(arg)],
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
  };
}

/**
 * Type checks the Bun world with tsc (the Deno world is checked by `deno test` itself), counted as one test so a
 * type error fails the suite in CI.
 */
async function typecheck() {
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  if (!existsSync(tsc)) return { runtime: "tsc", passed: 0, failed: 1, skipped: 0, notes: ["tsc: node_modules/.bin/tsc is missing"] };
  console.log("\n== tsc: tsc --noEmit -p . (bun-types)");
  const r = await stream("tsc", tsc, ["--noEmit", "-p", "."], { ...process.env }, 5 * 60 * 1000);
  const ok = r.code === 0;
  return { runtime: "tsc", passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, notes: ok ? [] : ["tsc: type errors (see above)"] };
}

/**
 * Type checks every JSDoc example (`deno check --doc`: each fenced ts block is checked as a module of its own),
 * counted as one test: an example that does not compile fails the suite.
 */
async function docCheck(deno) {
  if (!deno) return { runtime: "docs", passed: 0, failed: 1, skipped: 0, notes: ["docs: deno is unusable (see ensure above)"] };
  const files = denoFiles();
  console.log(`\n== docs: deno check --doc <${files.length} files>`);
  const env = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" };
  const r = await stream("docs", deno, ["check", "--doc", "--quiet", "--config=deno.json", ...files], env, 5 * 60 * 1000);
  const ok = r.code === 0;
  return { runtime: "docs", passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, notes: ok ? [] : ["docs: an example does not type-check (see above)"] };
}

/** The files the old-kernel smoke runs: the scheduler, the streams and the server. */
const SMOKE_FILES = ["uring/loop", "uring/streams", "uring/server"];

/**
 * One old kernel kept honest: Debian's 5.10 under QEMU (scripts/kernels.mjs), doctor and the scheduler, stream and
 * server tests under Bun, its counts added to the total. RINGSIDE_SKIP_KERNEL_SMOKE=1 leaves it out (counted as
 * one skip, said so).
 */
async function kernelSmoke() {
  if (process.env.RINGSIDE_SKIP_KERNEL_SMOKE === "1") {
    return { runtime: "kernel 5.10", passed: 0, failed: 0, skipped: 1, notes: ["kernel 5.10: skipped (RINGSIDE_SKIP_KERNEL_SMOKE=1)"] };
  }
  const json = join(ROOT, "node_modules", ".cache", "ringside-smoke-5.10.json");
  const args = [join(ROOT, "scripts", "kernels.mjs"), "--kernels", "5.10", "--runtimes", "bun", "--json", json,
    "--timeout", "900", "--files", ...SMOKE_FILES];
  console.log(`\n== kernel 5.10: node scripts/kernels.mjs ${args.slice(1).join(" ")}`);
  const r = await stream("kernel 5.10", process.execPath, args, { ...process.env }, 20 * 60 * 1000);
  try {
    const run = JSON.parse(readFileSync(json, "utf8")).kernels?.[0]?.runs?.bun;
    if (run && typeof run.passed === "number") {
      const failed = run.failed + (r.code === 0 || run.failed > 0 ? 0 : 1);
      return {
        runtime: "kernel 5.10",
        passed: run.passed,
        failed,
        skipped: run.skipped,
        notes: failed ? ["kernel 5.10: failures in the old-kernel smoke (see above)"] : [],
      };
    }
  } catch {
    // no JSON: counted below
  }
  return { runtime: "kernel 5.10", passed: 0, failed: 1, skipped: 0, notes: ["kernel 5.10: the smoke gave no result (see above)"] };
}

/** The package as a user installs it (scripts/consumer.mjs): each step counted as one test. */
function packageCheck() {
  console.log("\n== package: npm pack, install into a fresh project, run, type-check and compile there");
  const steps = consumerTest();
  const failed = steps.filter((s) => !s.ok);
  return {
    runtime: "package",
    passed: steps.length - failed.length,
    failed: failed.length,
    skipped: 0,
    notes: failed.map((s) => `package: ${s.name} failed (see above)`),
  };
}

async function main(argv) {
  let bunOnly = false;
  let denoOnly = false;
  const paths = [];
  for (const a of argv) {
    if (a === "--bun-only") bunOnly = true;
    else if (a === "--deno-only") denoOnly = true;
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith("-")) {
      console.error(`test: unknown option ${a}\n${USAGE}`);
      return 2;
    } else paths.push(a);
  }
  const runtimes = bunOnly ? ["bun"] : denoOnly ? ["deno"] : ["bun", "deno"];
  if (bunOnly && denoOnly) {
    console.error(`test: --bun-only and --deno-only together leave nothing to run\n${USAGE}`);
    return 2;
  }

  const ready = ensure();
  const files = collect(paths);
  const results = [];
  if (paths.length === 0) results.push(await typecheck(), await docCheck(ready.deno), packageCheck(), await kernelSmoke());
  const perFile = {};
  for (const runtime of runtimes) {
    const mine = files.filter((f) => runsOn(runtime, f));
    const bin = ready[runtime];
    let result;
    if (!bin) {
      result = { passed: 0, failed: 1, skipped: 0, notes: [`${runtime}: node_modules/.bin/${runtime} is unusable (see ensure above); counted as 1 failure`] };
    } else if (mine.length === 0) {
      console.log(`\n== ${runtime}: no test files${paths.length ? ` in ${paths.join(" ")}` : ""}`);
      result = { passed: 0, failed: 0, skipped: 0, notes: [] };
    } else {
      const { cmd, args, env } = commandFor(runtime, bin, mine);
      const shown = [relative(ROOT, cmd), ...args.slice(0, args.length - mine.length)].join(" ");
      console.log(`\n== ${runtime}: ${shown} <${mine.length} test file${mine.length === 1 ? "" : "s"}>`);
      const r = await stream(runtime, cmd, args, env, TIMEOUT_MS);
      if (process.exitCode === 130) return 130;
      result = judge(runtime, r);
      perFile[runtime] = runtime === "bun" ? perFileBun(r.stderr + "\n" + r.stdout) : perFileDeno(r.stdout);
    }
    results.push({ runtime, ...result });
  }

  if (perFile.bun && perFile.deno) {
    const mismatches = countMismatches(perFile.bun, perFile.deno);
    if (mismatches.length) {
      const deno = results.find((r) => r.runtime === "deno");
      deno.failed += mismatches.length;
      for (const m of mismatches) {
        deno.notes.push(`deno: ${m} (a file that throws while loading loses its later tests silently in Deno); counted as a failure`);
      }
    }
  }

  const total = { passed: 0, failed: 0, skipped: 0 };
  console.log("");
  for (const r of results) for (const note of r.notes) console.log(note);
  for (const r of results) {
    console.log(`${r.runtime}: ${format(r)}`);
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
  }
  console.log(format(total));
  return total.failed ? 1 : 0;
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
