// Writes the README's "Tested kernels" table from the JSON that `npm run test:kernels` writes (one or more files:
// later files win for the same kernel and runtime), between the markers
//   <!-- kernel-table:begin --> ... <!-- kernel-table:end -->
//
//   node scripts/kernel_table.mjs [matrix.json ...]    (default: the cache's kernel-matrix.json)
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { isMain, ROOT } from "./ensure.mjs";

const BEGIN = "<!-- kernel-table:begin -->";
const END = "<!-- kernel-table:end -->";

/** Rows of kernel x runtime from matrix files. */
export function rowsOf(files) {
  const rows = new Map();
  for (const f of files) {
    const j = JSON.parse(readFileSync(f, "utf8"));
    const when = (j.generatedAt ?? "").slice(0, 10);
    for (const k of j.kernels ?? []) {
      for (const [runtime, r] of Object.entries(k.runs ?? {})) {
        rows.set(`${k.name} ${runtime}`, {
          kernel: k.name,
          release: `${k.release ?? k.uname ?? "?"} (Debian ${k.suite ?? "?"}, ${k.packageVersion ?? "?"})`,
          runtime,
          passed: r.passed,
          failed: r.failed,
          skipped: r.skipped,
          minutes: (r.seconds / 60).toFixed(1),
          opcodes: k.doctor?.summary?.opcodes,
          when,
        });
      }
    }
  }
  const order = (v) => v.split(".").map((n) => Number.parseInt(n, 10) || 99);
  return [...rows.values()].sort((a, b) => {
    const x = order(a.kernel), y = order(b.kernel);
    return x[0] - y[0] || x[1] - y[1] || a.runtime.localeCompare(b.runtime);
  });
}

export function table(rows) {
  const lines = [
    "| kernel | runtime | passed | failed | skipped | minutes (TCG) | opcodes | run |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.release} | ${r.runtime} | ${r.passed} | ${r.failed} | ${r.skipped} | ${r.minutes} | ${r.opcodes ?? "?"} | ${r.when} |`
    ),
  ];
  return lines.join("\n");
}

function main(argv) {
  const files = argv.length ? argv : [join(homedir(), ".cache", "ringside", "kernels", "kernel-matrix.json")];
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) {
    console.error(`kernel_table: no such file: ${missing.join(", ")} (run npm run test:kernels first)`);
    return 2;
  }
  const readme = join(ROOT, "README.md");
  const text = readFileSync(readme, "utf8");
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    console.error(`kernel_table: README.md has no ${BEGIN} ... ${END} section`);
    return 2;
  }
  const out = `${text.slice(0, a + BEGIN.length)}\n${table(rowsOf(files))}\n${text.slice(b)}`;
  writeFileSync(readme, out);
  console.log(table(rowsOf(files)));
  return 0;
}

if (isMain(import.meta.url)) process.exitCode = main(process.argv.slice(2));
