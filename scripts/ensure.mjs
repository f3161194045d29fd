// Makes this machine ready to build, test and run ringside: liburing (the library, and the headers the test-only
// C oracles include), and the Bun and Deno binaries pinned in package.json. Idempotent, and silent when everything
// is already there. Plain Node ESM with no dependencies, so it runs before `npm install` has ever happened.
//
//   node scripts/ensure.mjs [-v]      (also imported by test.mjs, run.mjs, check.mjs and start.mjs)

import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
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

function ensureLiburing() {
  let lib = findLiburing();
  let headers = existsSync(HEADER);
  if (lib && headers) return { lib, headers };

  const why = [
    ...(lib ? [] : [`${LIB} not found`]),
    ...(headers ? [] : [`${HEADER} missing (test-only C oracles need it)`]),
  ].join("; ");
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = hasCommand("apt-get");

  if (isRoot && hasApt) {
    say(`installing ${APT_PACKAGES.join(" ")} with apt-get: ${why}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    // Installs reuse cached package lists when update fails (offline mirror, one repository down).
    const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    if (update.status !== 0) say(`apt-get update exited with ${update.status ?? update.signal}; trying the install anyway`);
    const install = spawnSync("apt-get", ["install", "-y", "-qq", ...APT_PACKAGES], { stdio: "inherit", env });
    if (install.status !== 0) say(`apt-get install ${APT_PACKAGES.join(" ")} exited with ${install.status ?? install.signal}`);
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

function ensureRuntimes() {
  let bun = runtimeWorks("bun");
  let deno = runtimeWorks("deno");
  if (bun.ok && deno.ok) return { bun, deno };

  say(`installing the pinned Bun and Deno: ${[bun, deno].filter((r) => !r.ok).map((r) => r.why).join("; ")}`);
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
  return { bun, deno };
}

/**
 * Makes the machine ready and reports what it has. Prints nothing when everything is already there.
 *
 * @param {{ liburing?: boolean, runtimes?: boolean }} [want] which parts to check (both by default; type checking
 *   needs only the runtimes)
 * @returns {{ bun: string | null, deno: string | null, liburing: string | null, headers: boolean, gcc: boolean }}
 *   absolute paths of the usable runtime binaries (null when unusable), the path of liburing.so.2 (null when not
 *   found), whether liburing.h is installed and whether gcc is on PATH
 */
export function ensure(want = {}) {
  const { liburing = true, runtimes = true } = want;
  const out = { bun: null, deno: null, liburing: null, headers: false, gcc: false };
  if (liburing) {
    const { lib, headers } = ensureLiburing();
    out.liburing = lib;
    out.headers = headers;
    out.gcc = hasCommand("gcc");
    if (!out.gcc) say("gcc not found; tests with C oracles will skip (install gcc to run them)");
  }
  if (runtimes) {
    const { bun, deno } = ensureRuntimes();
    out.bun = bun.ok ? binPath("bun") : null;
    out.deno = deno.ok ? binPath("deno") : null;
    out.bunVersion = bun.version ?? null;
    out.denoVersion = deno.version ?? null;
  }
  return out;
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

if (isMain(import.meta.url)) {
  const r = ensure();
  if (process.argv.includes("-v") || process.argv.includes("--verbose")) {
    say(`liburing: ${r.liburing ?? "not found"}; headers: ${r.headers ? HEADER : "missing"}; gcc: ${r.gcc ? "yes" : "no"}`);
    say(`bun: ${r.bunVersion ?? "unusable"}; deno: ${r.denoVersion ?? "unusable"}`);
  }
  process.exit(r.bun && r.deno ? 0 : 1);
}
