// Type checking in both worlds: `deno check --doc` (the code and every JSDoc example) on every .ts file under the source directories except the Bun-only
// ones, then `tsc --noEmit -p .` (tsconfig.json leaves out the Deno-only ones). Both always run; exits non-zero
// when either fails.
//
//   node scripts/check.mjs

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { binPath, ensure, isMain, ROOT } from "./ensure.mjs";

const DIRS = ["ffi", "uring", "examples", "bench", "testing"];

/** Files only Bun can type-check: they import `bun:ffi` or `bun:test`. */
function bunOnly(rel) {
  return rel === "ffi/bun.ts" || rel.endsWith("_bun.ts") || rel.endsWith("_bun_test.ts");
}

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.isFile() && entry.name.endsWith(".ts")) out.push(relative(ROOT, p));
  }
  return out;
}

/** The files `deno check` is given, relative to the repo root. */
export function denoFiles() {
  const files = existsSync(join(ROOT, "mod.ts")) ? ["mod.ts"] : [];
  for (const d of DIRS) if (existsSync(join(ROOT, d))) walk(join(ROOT, d), files);
  return files.filter((f) => !bunOnly(f)).sort();
}

function run(cmd, args, env = process.env) {
  console.log(`\n$ ${[relative(ROOT, cmd), ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: "inherit" });
  if (r.error) console.log(`check: cannot run ${cmd}: ${r.error.message}`);
  return r.status === 0;
}

function main() {
  const ready = ensure({ liburing: false });
  const results = [];

  const files = denoFiles();
  if (!ready.deno) results.push(["deno check", false]);
  else if (files.length === 0) console.log("check: no .ts files for deno check");
  else {
    const env = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" };
    results.push(["deno check", run(ready.deno, ["check", "--doc", "--config=deno.json", ...files], env)]);
  }

  const tsc = binPath("tsc");
  if (!existsSync(tsc)) {
    console.log("check: node_modules/.bin/tsc missing (npm install)");
    results.push(["tsc", false]);
  } else {
    results.push(["tsc", run(tsc, ["--noEmit", "-p", "."])]);
  }

  console.log("");
  for (const [name, ok] of results) console.log(`${name}: ${ok ? "ok" : "FAILED"}`);
  return results.every(([, ok]) => ok) ? 0 : 1;
}

if (isMain(import.meta.url)) {
  process.exitCode = main();
}
