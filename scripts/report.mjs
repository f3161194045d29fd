// The benchmark report `npm start` writes: report/index.html (one self-contained page: the machine, the doctor's
// summary, and per benchmark an SVG chart of each variant's median, spread and ratios, under Bun and Deno side by
// side) and report/report.json (the same data: machine, doctor reports, what ran, every result line). Run alone,
// it writes the report from saved output:
//
//   node scripts/report.mjs [--out DIR] [--doctor FILE]... FILE...
//
// Each FILE holds the JSON lines a benchmark printed with `--json` (bench/harness.ts's format), or is a
// report.json written earlier (re-rendered as it is). Each --doctor FILE holds what `doctor.ts --json` printed.
// DIR defaults to report/ in the repo. Prints the same tables as the page and where the page is.
//
// The charts are drawn by Vega (the `vega` devDependency) while the page is written; see _report/chart.mjs.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { isMain, ROOT } from "./ensure.mjs";
import { machineFacts } from "./_report/collect.mjs";
import { parseLines } from "./_report/model.mjs";
import { consoleTables, renderPage } from "./_report/page.mjs";

/** Where `npm start` writes the report (gitignored). */
export const REPORT_DIR = join(ROOT, "report");

const USAGE = "usage: node scripts/report.mjs [--out DIR] [--doctor FILE]... FILE...";

/**
 * The report's data, to be completed as steps run: `{ format, created, command, machine, runtimes, doctor: [],
 * steps: [], results: [] }`.
 */
export function newReport(command) {
  return {
    format: "ringside-report/1",
    created: new Date().toISOString(),
    command,
    machine: machineFacts(),
    runtimes: {},
    doctor: [],
    steps: [],
    results: [],
  };
}

/** Fills in what the doctor reports found: liburing's version, each runtime's version. */
export function noteDoctor(report, entry) {
  report.doctor.push(entry);
  const d = entry.report;
  if (!d) return;
  if (d.runtime?.name && d.runtime?.version) report.runtimes[d.runtime.name] = d.runtime.version;
  if (d.liburing?.version && !report.machine.liburing) {
    report.machine.liburing = `${d.liburing.version} (${d.liburing.path ?? "liburing.so.2"})`;
  }
}

function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Writes `report` into `dir`: report.json, then index.html. Resolves to `{ json, html, error }`: the paths
 * written, and why the page could not be (html null) when it could not.
 */
export async function writeReport(report, dir = REPORT_DIR) {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "report.json");
  writeAtomic(json, `${JSON.stringify(report, null, 1)}\n`);
  try {
    const html = join(dir, "index.html");
    writeAtomic(html, await renderPage(report));
    return { json, html, error: null };
  } catch (e) {
    return { json, html: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/** A path as people would type it from the repo root. */
export function shown(path) {
  const rel = relative(ROOT, path);
  return rel.startsWith("..") ? path : rel;
}

async function main(argv) {
  let out = REPORT_DIR;
  const doctors = [];
  const inputs = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    } else if (a === "--out" || a === "--doctor") {
      const v = argv[++i];
      if (v === undefined) {
        console.error(`report: ${a} needs a value\n${USAGE}`);
        return 2;
      }
      if (a === "--out") out = resolve(v);
      else doctors.push(v);
    } else if (a.startsWith("-")) {
      console.error(`report: unknown option ${a}\n${USAGE}`);
      return 2;
    } else inputs.push(a);
  }
  if (inputs.length === 0) {
    console.error(USAGE);
    return 2;
  }

  let report = newReport(["node scripts/report.mjs", ...argv].join(" "));
  for (const file of inputs) {
    const text = readFileSync(file, "utf8");
    const whole = tryParse(text);
    if (whole && !Array.isArray(whole) && Array.isArray(whole.results)) {
      report = whole; // an earlier report.json: rendered again as it is
      continue;
    }
    const { results, rest } = parseLines(text);
    if (results.length === 0) {
      console.error(`report: ${file} holds no benchmark result lines`);
      return 1;
    }
    if (rest.length) console.error(`report: ${file}: ${rest.length} line(s) that are not result lines left out`);
    report.results.push(...results);
    report.steps.push({
      file,
      collect: "bench",
      runtime: [...new Set(results.map((r) => r.runtime))].join(", "),
      exit: 0,
      results: results.length,
    });
    for (const r of results) if (r.runtime_version) report.runtimes[r.runtime] ??= String(r.runtime_version);
  }
  for (const file of doctors) {
    const d = tryParse(readFileSync(file, "utf8"));
    if (!d) {
      console.error(`report: ${file} is not the JSON object doctor.ts --json prints`);
      return 1;
    }
    noteDoctor(report, { runtime: d.runtime?.name ?? "?", report: d });
  }

  console.log(consoleTables(report.results));
  const w = await writeReport(report, out);
  console.log(`\nreport: data in ${shown(w.json)}`);
  if (!w.html) {
    console.error(`report: the page could not be written: ${w.error}`);
    return 1;
  }
  console.log(`report: page at ${shown(w.html)}`);
  return 0;
}

function tryParse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
