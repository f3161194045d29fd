// What `npm start` runs: make the machine ready, then a fixed, ordered list of programs, each under Bun and Deno,
// and write the report of what they measured: report/index.html and report/report.json (scripts/report.mjs).
// Append to STEPS to add a program (a benchmark, an example); a file that does not exist yet is skipped with a
// note. Exits non-zero when any step failed or the report could not be written; later steps still run.
//
// A step's `collect` says what the report takes from it: "doctor" (the doctor runs as usual, then once more with
// `--json` for the report), "bench" (the benchmark runs with `--json`: its result lines are collected, its notes
// still stream to the console, and its table is printed from the collected lines once both runtimes ran), or
// nothing (the program runs as it is).

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { doctorJson, runCaptured } from "./_report/collect.mjs";
import { consoleTables } from "./_report/page.mjs";
import { ensure, isMain, ROOT } from "./ensure.mjs";
import { newReport, noteDoctor, shown, writeReport } from "./report.mjs";
import { runFile, RUNTIMES } from "./run.mjs";

/** @type {{ file: string, args?: string[], runtimes?: string[], collect?: "doctor" | "bench" }[]} files relative to the repo root */
export const STEPS = [
  { file: "uring/doctor/doctor.ts", collect: "doctor" },
  // --floor: also the same loop with no API at all, so the table shows what the runtime itself costs against C.
  { file: "bench/nop.ts", args: ["--floor"], collect: "bench" },
  // 4 KiB random reads at QD 32 from a file in the page cache, against C, fs/promises and the runtime's own.
  { file: "bench/read.ts", args: ["--quick"], collect: "bench" },
  // Whole-file reads and stats of many files against fs/promises and the runtime's own.
  { file: "bench/files.ts", args: ["--quick"], collect: "bench" },
  { file: "bench/echo.ts", args: ["--quick"], collect: "bench" },
  { file: "bench/http.ts", args: ["--quick"], collect: "bench" },
  // Mounts memfs three ways; says why and does nothing unless root with /dev/fuse.
  { file: "bench/fuse.ts", args: ["--quick"], collect: "bench" },
];

/** Runs one step under one runtime, adding what it reports to `report`; resolves to its exit code. */
async function runStep(step, runtime, bin, report) {
  const args = step.args ?? [];
  const t0 = performance.now();
  let r;
  if (step.collect === "bench") {
    r = await runCaptured(runtime, bin, step.file, [...args, "--json"]);
    report.results.push(...r.results);
  } else if (step.collect === "doctor") {
    r = await runCaptured(runtime, bin, step.file, args);
    noteDoctor(report, { ...(await doctorJson(runtime, bin, step.file)), text: r.text.trimEnd() });
    r.results = [];
  } else {
    r = { code: await runFile(runtime, bin, step.file, args), results: [], notes: [] };
  }
  report.steps.push({
    file: step.file,
    args,
    runtime,
    collect: step.collect ?? null,
    exit: r.code,
    results: r.results.length,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    notes: r.notes,
  });
  return r;
}

/** Runs `steps` in order and writes the report; resolves to the exit status (1 when anything failed). */
export async function start(steps = STEPS, reportDir = undefined) {
  const ready = ensure();
  const failed = [];
  const report = newReport("npm start");
  for (const runtime of RUNTIMES) {
    const v = runtime === "bun" ? ready.bunVersion : ready.denoVersion;
    if (v) report.runtimes[runtime] = v.replace(/^deno /, "").split(" ")[0];
  }
  for (const step of steps) {
    if (!existsSync(resolve(ROOT, step.file))) {
      console.error(`\nstart: skipping ${step.file} (it does not exist yet)`);
      report.steps.push({ file: step.file, args: step.args ?? [], skipped: "the file does not exist yet" });
      continue;
    }
    const collected = [];
    for (const runtime of step.runtimes ?? RUNTIMES) {
      const label = `${[step.file, ...(step.args ?? [])].join(" ")} under ${runtime}`;
      if (!ready[runtime]) {
        console.error(`start: node_modules/.bin/${runtime} is unusable (see ensure above)`);
        failed.push(label);
        report.steps.push({ file: step.file, args: step.args ?? [], runtime, skipped: `${runtime} is unusable` });
        continue;
      }
      const r = await runStep(step, runtime, ready[runtime], report);
      collected.push(...r.results);
      if (r.code !== 0) failed.push(`${label} (exit ${r.code})`);
    }
    if (collected.length) console.log(`\n${consoleTables(collected)}`);
  }

  const w = await writeReport(report, reportDir);
  console.log(`\nstart: report data in ${shown(w.json)}`);
  if (w.html) console.log(`start: report page at ${shown(w.html)} (file://${w.html})`);
  else {
    console.error(`start: the report page could not be written: ${w.error}`);
    failed.push("the report page");
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
