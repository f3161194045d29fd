/**
 * The benchmark report `npm start` writes (scripts/report.mjs), built from a real benchmark run and opened in a
 * real browser: a short NOP benchmark and the doctor run under this runtime, the report is written from their
 * JSON by Node, and headless Chromium loads the page. Its DOM, after the page's own check measured each chart
 * through the browser's layout, must show every chart with a drawn bar, whisker and label per result, and the
 * ratios and variants of the benchmark's output written on it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { backend } from "../ffi/mod.ts";
import { skipIf, tempDir } from "./mod.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** One result line of `bench/*.ts --json` (bench/harness.ts), the fields this test reads. */
interface ResultLine {
  bench: string;
  runtime: string;
  variant: string;
  metric: string;
  value: number;
  min?: number;
  max?: number;
  ratio?: number;
  batch?: number;
}

/** Node, which runs the report's generator as `npm start` does, and the Chromium ensure.mjs finds or installs. */
function tools(): { chromium: string | null; why: string } {
  // The module's path goes by environment: as argv[1] it would look like the program (ensure.mjs's isMain).
  const r = spawnSync("node", [
    "--input-type=module",
    "-e",
    "const m = await import(process.env.ENSURE_MJS); console.log(m.findChromium() ?? '')",
  ], {
    encoding: "utf8",
    env: { ...process.env, ENSURE_MJS: join(ROOT, "scripts", "ensure.mjs") },
  });
  if (r.error || r.status !== 0) return { chromium: null, why: "node is not on PATH (the report is written by Node)" };
  const chromium = r.stdout.trim();
  return chromium
    ? { chromium, why: "" }
    : { chromium: null, why: "chromium not found (apt-get install chromium; npm test installs it when root)" };
}

const found = tools();
const chromium = found.chromium;
// Under QEMU without KVM (scripts/kernels.mjs sets this in its guests) Chromium alone takes minutes to start: the
// report is a host feature, checked there.
const why = process.env.RINGSIDE_QEMU_GUEST === "tcg"
  ? "inside an emulated QEMU guest (TCG) a headless browser cannot start within the test's time; run on the host"
  : found.why;
const tmp = tempDir("ringside-report-");

/** Runs `file args` from the repo root under this runtime; returns its stdout, failing with its stderr. */
function runHere(file: string, args: string[]): string {
  const argv = backend.runtime === "deno" ? ["run", "-A", "--config=deno.json", file, ...args] : [file, ...args];
  const r = spawnSync(process.execPath, argv, {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  assert.equal(r.status, 0, `${file} ${args.join(" ")} failed: ${r.error ?? ""}${r.stderr}`);
  return r.stdout;
}

/** `name="value"` attributes of an HTML start tag. */
function attributes(tag: string): Map<string, string> {
  return new Map([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

const name = "npm start's report page shows every benchmark chart with its data in headless Chromium";
// A benchmark, the doctor, Node and a browser start one after the other: several seconds (Bun's default is 5).
test(name, { ...skipIf(why, name), timeout: 120_000 }, () => {
  // A real NOP run, as short as it goes: 2 rounds of 20 ms per variant at two batch sizes, C and the floor too.
  const lines = runHere("bench/nop.ts", [
    "--json",
    "--rounds",
    "2",
    "--warmup",
    "0",
    "--ms",
    "20",
    "--batch",
    "8,32",
    "--floor",
  ]);
  const results = lines.trim().split("\n").map((l) => JSON.parse(l) as ResultLine);
  const charted = results.filter((r) => typeof r.min === "number" && typeof r.max === "number");
  assert.ok(charted.length >= 4, `expected at least ringside and ts-floor at 2 batch sizes: ${lines}`);
  const benchFile = tmp.path("nop.jsonl");
  writeFileSync(benchFile, lines);
  const doctorFile = tmp.path("doctor.json");
  writeFileSync(doctorFile, runHere("uring/doctor/doctor.ts", ["--json"]));

  const out = tmp.path("report");
  const gen = spawnSync(
    "node",
    [join(ROOT, "scripts", "report.mjs"), "--out", out, "--doctor", doctorFile, benchFile],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  assert.equal(gen.status, 0, `report.mjs failed: ${gen.stderr}`);
  assert.match(gen.stdout, /^scenario +variant +\w+ median +min-max/m, "the console shows the table");
  assert.match(gen.stdout, /report: page at .*index\.html$/m, "the console says where the page is");
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { results: ResultLine[] };
  assert.equal(report.results.length, results.length, "report.json holds every result line");

  const page = join(out, "index.html");
  const b = spawnSync(chromium!, [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    `--user-data-dir=${tmp.path("chromium-profile")}`,
    "--dump-dom",
    `file://${page}`,
  ], { encoding: "utf8", timeout: 90_000 });
  assert.equal(b.status, 0, `chromium failed: ${b.error ?? ""}${b.stderr}`);
  const dom = b.stdout;
  assert.match(dom, /<html[^>]* data-checked="yes"/, "the page's check ran in the browser");

  // Machine and doctor.
  assert.ok(dom.includes(release()), "the kernel release is on the page");
  assert.match(dom, /kernel [^;<]+; liburing [\d.]+; ring setup ok/, "the doctor's summary is on the page");

  // One chart per benchmark metric that has a spread: here NOP's ops/s.
  const figures = [...dom.matchAll(/(<figure [^>]*>)([\s\S]*?)<\/figure>/g)];
  const ids = figures.map((f) => attributes(f[1]!).get("data-chart"));
  const metrics = [...new Set(charted.map((r) => `${r.bench}/${r.metric}`))];
  assert.deepEqual(ids, metrics);
  for (const [, tag, body] of figures) {
    const a = attributes(tag!);
    const id = a.get("data-chart")!;
    const mine = charted.filter((r) => `${r.bench}/${r.metric}` === id);
    assert.equal(Number(a.get("data-points")), mine.length, `${id}: one bar per result line`);
    assert.equal(Number(a.get("data-drawn")), mine.length, `${id}: every bar drawn with a size in the browser`);
    assert.equal(Number(a.get("data-labels")), mine.length, `${id}: every bar labelled`);
    assert.ok(Number(a.get("data-whiskers")) > 0, `${id}: spreads drawn`);
    const texts = [...body!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    for (const r of mine) {
      assert.ok(texts.includes(r.variant), `${id}: variant ${r.variant} named`);
      assert.ok(
        texts.some((t) => t.startsWith(`${r.runtime} · batch ${r.batch}`)),
        `${id}: cell ${r.runtime} batch ${r.batch}`,
      );
      if (typeof r.ratio === "number") {
        const want = `${r.ratio.toFixed(2)}x`;
        assert.ok(texts.some((t) => t.includes(want)), `${id}: ${r.variant} at batch ${r.batch} labelled ${want}`);
      }
    }
  }
});
