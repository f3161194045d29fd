// What `npm start` runs: make the machine ready, then a fixed, ordered list of programs, each under Bun and Deno.
// Append to STEPS to add a program (the echo benchmark, an example); a file that does not exist yet is skipped
// with a note. Exits non-zero when any step failed; later steps still run.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ensure, isMain, ROOT } from "./ensure.mjs";
import { RUNTIMES, runFile } from "./run.mjs";

/** @type {{ file: string, args?: string[], runtimes?: string[] }[]} files relative to the repo root */
export const STEPS = [
  { file: "uring/doctor/doctor.ts" },
  // --floor: also the same loop with no API at all, so the table shows what the runtime itself costs against C.
  { file: "bench/nop.ts", args: ["--floor"] },
  { file: "bench/echo.ts", args: ["--quick"] },
  // Whole-file reads and stats of many files against fs/promises and the runtime's own.
  { file: "bench/files.ts", args: ["--quick"] },
];

/** Runs `steps` in order; resolves to the exit status (1 when any step failed). */
export async function start(steps = STEPS) {
  const ready = ensure();
  const failed = [];
  for (const step of steps) {
    if (!existsSync(resolve(ROOT, step.file))) {
      console.error(`\nstart: skipping ${step.file} (it does not exist yet)`);
      continue;
    }
    for (const runtime of step.runtimes ?? RUNTIMES) {
      const label = `${[step.file, ...(step.args ?? [])].join(" ")} under ${runtime}`;
      if (!ready[runtime]) {
        console.error(`start: node_modules/.bin/${runtime} is unusable (see ensure above)`);
        failed.push(label);
        continue;
      }
      const code = await runFile(runtime, ready[runtime], step.file, step.args ?? []);
      if (code !== 0) failed.push(`${label} (exit ${code})`);
    }
  }
  if (failed.length) {
    console.error(`\nstart: failed: ${failed.join("; ")}`);
    return 1;
  }
  return 0;
}

if (isMain(import.meta.url)) {
  process.exitCode = await start();
}
