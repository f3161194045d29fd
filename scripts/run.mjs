// Runs one TypeScript file under Bun, then under Deno (or under one of them), after making the machine ready.
// Used by `npm start`, `npm run doctor` and the benchmarks.
//
//   node scripts/run.mjs [--runtime=bun|deno] FILE [args...]
//
// Everything after FILE goes to the program. The `== bun: FILE` headers go to stderr, so a program's stdout (a
// benchmark's --json lines) stays clean. Exits non-zero when the program failed under any runtime.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { ensure, isMain, ROOT } from "./ensure.mjs";

export const RUNTIMES = ["bun", "deno"];

const USAGE = "usage: node scripts/run.mjs [--runtime=bun|deno] FILE [args...]";

/** The command line that runs `file` with `args` under `runtime`, given the runtime's binary. */
export function commandFor(runtime, bin, file, args = []) {
  // Both get a global gc() so a benchmark can collect between rounds the same way on each.
  if (runtime === "bun") return { cmd: bin, args: ["run", "--expose-gc", file, ...args], env: process.env };
  return {
    cmd: bin,
    args: ["run", "-A", "--v8-flags=--expose-gc", "--config=deno.json", file, ...args],
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
  };
}

/**
 * Runs `file` (relative to the repo root, or absolute) under `runtime` with output inherited, and resolves to its
 * exit code (1 when it was killed by a signal or could not start).
 */
export function runFile(runtime, bin, file, args = []) {
  const c = commandFor(runtime, bin, file, args);
  const rel = relative(ROOT, resolve(ROOT, file));
  const shown = rel.startsWith("..") || isAbsolute(rel) ? file : rel;
  console.error(`\n== ${runtime}: ${[shown, ...args].join(" ")}`);
  return new Promise((done) => {
    const child = spawn(c.cmd, c.args, { cwd: ROOT, env: c.env, stdio: "inherit" });
    // Ctrl-C reaches the child too (same process group); wait for it to finish rather than dying first.
    const ignore = () => {};
    process.on("SIGINT", ignore);
    const finish = (code) => {
      process.off("SIGINT", ignore);
      done(code);
    };
    child.on("error", (e) => {
      console.error(`run: cannot start ${runtime}: ${e.message}`);
      finish(1);
    });
    child.on("exit", (code, signal) => {
      if (signal) console.error(`run: ${runtime} was killed by ${signal}`);
      finish(code ?? 1);
    });
  });
}

async function main(argv) {
  let runtimes = RUNTIMES;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith("-"); i++) {
    const m = /^--runtime=(bun|deno)$/.exec(argv[i]);
    if (argv[i] === "-h" || argv[i] === "--help") {
      console.log(USAGE);
      return 0;
    }
    if (!m) {
      console.error(`run: unknown option ${argv[i]}\n${USAGE}`);
      return 2;
    }
    runtimes = [m[1]];
  }
  const [file, ...args] = argv.slice(i);
  if (!file) {
    console.error(USAGE);
    return 2;
  }
  // Files named in package.json are relative to the root, where npm runs scripts; a file typed after
  // `npm run x --` is relative to where it was typed (INIT_CWD).
  const bases = [process.cwd(), ...(process.env.npm_lifecycle_event && process.env.INIT_CWD ? [process.env.INIT_CWD] : [])];
  const abs = bases.map((b) => resolve(b, file)).find((p) => existsSync(p));
  if (!abs) {
    console.error(`run: ${file}: no such file`);
    return 2;
  }

  const ready = ensure();
  let status = 0;
  for (const runtime of runtimes) {
    if (!ready[runtime]) {
      console.error(`run: node_modules/.bin/${runtime} is unusable (see ensure above)`);
      status ||= 1;
      continue;
    }
    const code = await runFile(runtime, ready[runtime], abs, args);
    if (code !== 0) {
      console.error(`run: ${file} exited with ${code} under ${runtime}`);
      status ||= code;
    }
  }
  return status;
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
