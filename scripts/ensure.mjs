// Makes this machine ready to build, test and run ringside: liburing (the library, and the headers the test-only
// C oracles include), Chromium (the report's page is checked in a headless browser), and the Bun and Deno binaries
// and the chart library pinned in package.json. Idempotent, and silent when everything is already there. Plain
// Node ESM with no dependencies, so it runs before `npm install` has ever happened.
//
//   node scripts/ensure.mjs [-v]      (also imported by test.mjs, run.mjs, check.mjs and start.mjs)
//   node scripts/ensure.mjs --wrk     only wrk, for bench/http.ts (which also calls ensureWrk itself)

import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, realpathSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root (the parent of scripts/). */
export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Where npm puts the pinned runtimes and tools. */
export function binPath(name) {
  return join(ROOT, "node_modules", ".bin", name);
}

const LIB = "liburing.so.2";
const HEADER = "/usr/include/liburing.h";
const APT_PACKAGES = ["liburing2", "liburing-dev"];
const MULTIARCH = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu", riscv64: "riscv64-linux-gnu" }[process.arch];
// The directories ffi/liburing.ts also searches, for machines where ldconfig is absent or its cache is stale.
const LIB_DIRS = [
  ...(MULTIARCH ? [`/usr/lib/${MULTIARCH}`, `/lib/${MULTIARCH}`] : []),
  "/usr/lib64",
  "/lib64",
  "/usr/lib",
  "/lib",
  "/usr/local/lib",
  "/usr/local/lib64",
];

function say(line) {
  console.log(`ensure: ${line}`);
}

/** Runs a command quietly; returns its status and output, or null when it cannot be started (ENOENT). */
function quiet(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000, ...opts });
  if (r.error) return null;
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function ldconfigHasLib() {
  for (const ldconfig of ["ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"]) {
    const r = quiet(ldconfig, ["-p"]);
    if (!r || r.status !== 0) continue;
    const line = r.stdout.split("\n").find((l) => l.trim().startsWith(`${LIB} `));
    if (line) return line.split("=>").pop().trim();
    return null; // ldconfig answered and does not know the library
  }
  return null;
}

/** The path of liburing.so.2 as the loader would find it, or null. LIBURING_PATH (ffi/liburing.ts) wins. */
export function findLiburing() {
  const override = process.env.LIBURING_PATH;
  if (override && existsSync(override)) return override;
  const fromCache = ldconfigHasLib();
  if (fromCache) return fromCache;
  for (const dir of LIB_DIRS) {
    const p = join(dir, LIB);
    if (existsSync(p)) return p;
  }
  return null;
}

function hasCommand(cmd) {
  const r = quiet(cmd, ["--version"]);
  return r !== null && r.status === 0;
}

/** Debian's package, and the names a Chromium build goes by on PATH (Debian's is `chromium`). */
const CHROMIUM_PACKAGE = "chromium";
const CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

/** The path of the executable `name` (a path, or a name looked up on PATH), or null. */
function onPath(name) {
  const dirs = name.includes("/") ? [""] : (process.env.PATH ?? "").split(":").filter((d) => d !== "");
  for (const dir of dirs) {
    const p = dir ? join(dir, name) : name;
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The path of a Chromium on PATH (CHROMIUM, a path or a name, wins), or null. */
export function findChromium() {
  const names = process.env.CHROMIUM ? [process.env.CHROMIUM] : CHROMIUM_NAMES;
  for (const n of names) {
    const p = onPath(n);
    if (p) return p;
  }
  return null;
}

function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** apt-get update (once per process), then install `packages`; says what failed. */
let aptUpdated = false;
function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    aptUpdated = true;
    // Installs reuse cached package lists when update fails (offline mirror, one repository down).
    const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    if (update.status !== 0) say(`apt-get update exited with ${update.status ?? update.signal}; trying the install anyway`);
  }
  const install = spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "inherit", env });
  if (install.status !== 0) say(`apt-get install ${packages.join(" ")} exited with ${install.status ?? install.signal}`);
}

/** Chromium for the report's browser test: installed from Debian when root; otherwise said what to do. */
function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  if (isRoot() && hasCommand("apt-get")) {
    say(`installing ${CHROMIUM_PACKAGE} with apt-get: the report's page is checked in headless Chromium`);
    aptInstall([CHROMIUM_PACKAGE]);
    const now = findChromium();
    if (!now) say("chromium is still not found after installing; the report's browser test will skip");
    return now;
  }
  say("chromium not found: the report's browser test will skip (run `apt-get install chromium` as root)");
  return null;
}

function ensureLiburing() {
  let lib = findLiburing();
  let headers = existsSync(HEADER);
  if (lib && headers) return { lib, headers };

  const why = [
    ...(lib ? [] : [`${LIB} not found`]),
    ...(headers ? [] : [`${HEADER} missing (test-only C oracles need it)`]),
  ].join("; ");
  const hasApt = hasCommand("apt-get");

  if (isRoot() && hasApt) {
    say(`installing ${APT_PACKAGES.join(" ")} with apt-get: ${why}`);
    aptInstall(APT_PACKAGES);
    lib = findLiburing();
    headers = existsSync(HEADER);
    if (!lib) say(`${LIB} is still not found after installing; tests that open io_uring will fail and say why`);
    else if (!headers) say(`${HEADER} is still missing; tests with C oracles will skip`);
  } else {
    // Not root, or not Debian-like: say what to install and carry on; the tests report what they cannot do.
    const libHow = hasApt ? "run `apt-get install liburing2` as root" : "install liburing 2.3 or newer";
    const devHow = hasApt ? "run `apt-get install liburing-dev` as root" : "install liburing's development package";
    if (!lib) say(`${LIB} not found: ${libHow} (or set LIBURING_PATH); tests that open io_uring will fail and say why`);
    if (!headers) say(`${HEADER} missing: ${devHow}; tests with C oracles will skip`);
  }
  return { lib, headers };
}

function runtimeWorks(name) {
  const p = binPath(name);
  if (!existsSync(p)) return { ok: false, why: `node_modules/.bin/${name} missing` };
  const r = quiet(p, ["--version"]);
  if (!r) return { ok: false, why: `node_modules/.bin/${name} cannot be started` };
  if (r.status !== 0) return { ok: false, why: `node_modules/.bin/${name} --version exited with ${r.status}` };
  return { ok: true, version: r.stdout.split("\n")[0].trim() };
}

function npm(args) {
  say(`running npm ${args.join(" ")} in ${ROOT}`);
  // Under `npm test`, npm_execpath names the npm that launched us; otherwise rely on PATH.
  const execpath = process.env.npm_execpath;
  const [cmd, pre] = execpath && /npm-cli\.js$/.test(execpath) ? [process.execPath, [execpath]] : ["npm", []];
  const r = spawnSync(cmd, [...pre, ...args], { cwd: ROOT, stdio: "inherit" });
  if (r.error) say(`cannot run npm: ${r.error.message}`);
  return r.status === 0;
}

/** The report's chart library (scripts/_report/chart.mjs), a devDependency like the runtimes. */
function chartsInstalled() {
  return existsSync(join(ROOT, "node_modules", "vega", "package.json"));
}

function ensureRuntimes() {
  let bun = runtimeWorks("bun");
  let deno = runtimeWorks("deno");
  if (bun.ok && deno.ok && chartsInstalled()) return { bun, deno };

  const why = [bun, deno].filter((r) => !r.ok).map((r) => r.why);
  if (!chartsInstalled()) why.push("node_modules/vega missing");
  say(`installing the pinned Bun, Deno and chart library: ${why.join("; ")}`);
  const flags = ["--no-audit", "--no-fund"];
  if (existsSync(join(ROOT, "package-lock.json"))) {
    if (!npm(["ci", ...flags])) {
      say("npm ci failed (package-lock.json out of date with package.json?); falling back to npm install");
      npm(["install", ...flags]);
    }
  } else {
    npm(["install", ...flags]);
  }
  bun = runtimeWorks("bun");
  deno = runtimeWorks("deno");
  for (const [name, r] of [["bun", bun], ["deno", deno]]) {
    if (!r.ok) say(`${name} is still unusable after npm install: ${r.why}`);
  }
  if (!chartsInstalled()) say("node_modules/vega is still missing after npm install: npm start writes no report page");
  return { bun, deno };
}

/**
 * Makes the machine ready and reports what it has. Prints nothing when everything is already there.
 *
 * @param {{ liburing?: boolean, runtimes?: boolean, chromium?: boolean }} [want] which parts to check (all by
 *   default; type checking needs only the runtimes; chromium defaults to what liburing is)
 * @returns {{ bun: string | null, deno: string | null, liburing: string | null, headers: boolean, gcc: boolean,
 *   chromium: string | null }} absolute paths of the usable runtime binaries (null when unusable), the path of
 *   liburing.so.2 (null when not found), whether liburing.h is installed, whether gcc is on PATH, and the path of
 *   Chromium (null when none, or not checked)
 */
export function ensure(want = {}) {
  const { liburing = true, runtimes = true } = want;
  const { chromium = liburing } = want;
  const out = { bun: null, deno: null, liburing: null, headers: false, gcc: false, chromium: null };
  if (liburing) {
    const { lib, headers } = ensureLiburing();
    out.liburing = lib;
    out.headers = headers;
    out.gcc = hasCommand("gcc");
    if (!out.gcc) say("gcc not found; tests with C oracles will skip (install gcc to run them)");
  }
  if (chromium) out.chromium = ensureChromium();
  if (runtimes) {
    const { bun, deno } = ensureRuntimes();
    out.bun = bun.ok ? binPath("bun") : null;
    out.deno = deno.ok ? binPath("deno") : null;
    out.bunVersion = bun.version ?? null;
    out.denoVersion = deno.version ?? null;
  }
  return out;
}

/**
 * wrk, the HTTP load generator bench/http.ts drives (Debian's package): its path, installed with apt-get when it is
 * missing and we are root on a Debian-like system. Not part of ensure(): only that benchmark needs it.
 *
 * @returns {{ path: string | null, reason?: string }} the path of wrk, or null and why not
 */
export function ensureWrk() {
  const where = () => {
    const r = quiet("sh", ["-c", "command -v wrk"]);
    return r && r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  };
  let path = where();
  if (path) return { path };
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !hasCommand("apt-get")) {
    return { path: null, reason: "wrk is not installed (as root: apt-get install wrk)" };
  }
  // On stderr: a bench's stdout may be JSON lines.
  console.error("ensure: installing wrk with apt-get (bench/http.ts's load generator)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const stdio = ["ignore", 2, 2];
  let install = spawnSync("apt-get", ["install", "-y", "-qq", "wrk"], { stdio, env });
  if (install.status !== 0) {
    // The package lists may be stale or missing: update them once and try again.
    spawnSync("apt-get", ["update", "-qq"], { stdio, env });
    install = spawnSync("apt-get", ["install", "-y", "-qq", "wrk"], { stdio, env });
  }
  path = where();
  return path ? { path } : { path: null, reason: `apt-get install wrk exited with ${install.status ?? install.signal}` };
}

/** True when `importMetaUrl` is the script Node was started with. */
export function isMain(importMetaUrl) {
  if (!process.argv[1]) return false;
  try {
    return importMetaUrl === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain(import.meta.url) && process.argv.includes("--wrk")) {
  const w = ensureWrk();
  say(w.path ? `wrk: ${w.path}` : `wrk: ${w.reason}`);
  process.exit(w.path ? 0 : 1);
}

if (isMain(import.meta.url)) {
  const r = ensure();
  if (process.argv.includes("-v") || process.argv.includes("--verbose")) {
    say(`liburing: ${r.liburing ?? "not found"}; headers: ${r.headers ? HEADER : "missing"}; gcc: ${r.gcc ? "yes" : "no"}; ` +
      `chromium: ${r.chromium ?? "not found"}`);
    say(`bun: ${r.bunVersion ?? "unusable"}; deno: ${r.denoVersion ?? "unusable"}`);
  }
  process.exit(r.bun && r.deno ? 0 : 1);
}
