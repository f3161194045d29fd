// The report as one self-contained HTML page: the machine, the doctor's summary per runtime, what ran, and per
// benchmark metric a chart (SVG drawn at build time, see chart.mjs) and the same table `npm start` prints. No
// external resource: styles inline, charts inline, nothing fetched when it is viewed.
//
// A few lines of script run when the page loads: they measure, through the browser's own layout (getBBox), how
// many bars and labels each chart really drew, and write that on the chart's <figure> (`data-drawn`,
// `data-labels`) beside what it should show (`data-points`), so a headless browser's DOM says whether every chart
// rendered (testing/report_test.ts reads it).

import { chartData, chartSvg } from "./chart.mjs";
import { formatTable, group, tableRows, tableTitle } from "./model.mjs";

/** `s` with HTML's special characters escaped. */
export function esc(s) {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #111; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .6rem 0; font-size: 13px; }
th, td { padding: .15rem .6rem; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f6f6f6; } td.l, th.l { text-align: left; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; } dl.facts dt { color: #555; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
figure svg { max-width: 100%; height: auto; } .scroll { overflow-x: auto; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: 12px; }
.bad { color: #b00; } .note { color: #555; }
`;

/** Counts what each chart drew, in the browser's layout, and writes it on its figure. */
const CHECK = `
for (const f of document.querySelectorAll("figure[data-chart]")) {
  // An area (bar, label) is drawn when both sides have a size; a line (whisker) when either has.
  const drawn = (sel, area) => [...f.querySelectorAll(sel)].filter((e) => {
    const b = e.getBBox();
    return area ? b.width > 0 && b.height > 0 : b.width > 0 || b.height > 0;
  });
  f.dataset.drawn = String(drawn("g.role-mark.median > path", true).length);
  f.dataset.whiskers = String(drawn("g.role-mark.range > line", false).length);
  f.dataset.labels = String(drawn("g.role-mark.label > text", true).length);
}
document.documentElement.dataset.checked = "yes";
`;

function gib(bytes) {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function machineFacts(report) {
  const m = report.machine ?? {};
  const rows = [
    ["CPU", m.cpu],
    ["cores", m.cores],
    ["memory", typeof m.memoryBytes === "number" ? gib(m.memoryBytes) : undefined],
    ["kernel", m.uname ?? m.kernel],
    ["system", m.os],
    ["liburing", m.liburing],
    ...Object.entries(report.runtimes ?? {}).map(([rt, v]) => [rt, v]),
    ["node (report)", m.node],
  ].filter(([, v]) => v !== undefined && v !== null && v !== "");
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
}

/** The doctor's report in one line: setup, and how much of io_uring this kernel offers. */
export function doctorSummary(d) {
  if (!d) return "not run";
  const parts = [];
  parts.push(`kernel ${d.kernel}`);
  if (d.liburing?.version) parts.push(`liburing ${d.liburing.version}`);
  parts.push(d.canSetup ? "ring setup ok" : "ring setup FAILED");
  if (d.ioUringDisabled !== undefined && d.ioUringDisabled !== null) {
    parts.push(`io_uring_disabled ${d.ioUringDisabled}`);
  }
  const list = (name, have, refused) =>
    Array.isArray(have)
      ? `${have.length} ${name}${
        refused?.length ? ` (${refused.length} not here: ${refused.map((x) => x.name ?? x).join(", ")})` : ""
      }`
      : null;
  for (
    const x of [
      list("features", d.features),
      list("setup flags", d.setupFlags, d.setupFlagsRefused),
      list("opcodes", d.opcodes, d.opcodesMissing),
    ]
  ) if (x) parts.push(x);
  return parts.join("; ");
}

function doctorSection(report) {
  const entries = report.doctor ?? [];
  if (entries.length === 0) return "<p class=note>The doctor did not run.</p>";
  return entries.map((e) => {
    const head = `<h3>${esc(e.runtime)}</h3>`;
    if (!e.report) return `${head}<p class=bad>no report: ${esc(e.error ?? "the doctor printed no JSON")}</p>`;
    const notes = (e.report.notes ?? []).map((n) => `<li>${esc(typeof n === "string" ? n : JSON.stringify(n))}</li>`)
      .join("");
    return `${head}<p>${esc(doctorSummary(e.report))}</p>${notes ? `<ul>${notes}</ul>` : ""}` +
      (e.text ? `<details><summary>the doctor's full output</summary><pre>${esc(e.text)}</pre></details>` : "");
  }).join("\n");
}

function stepsSection(report) {
  const rows = (report.steps ?? []).map((s) => {
    const what = [s.file, ...(s.args ?? [])].join(" ");
    const status = s.skipped ? `skipped: ${s.skipped}` : s.exit === 0 ? "ok" : `exit ${s.exit}`;
    const notes = (s.notes ?? []).map(esc).join("<br>");
    return `<tr><td class=l>${esc(what)}</td><td class=l>${esc(s.runtime ?? "")}</td>` +
      `<td class="l${s.exit ? " bad" : ""}">${esc(status)}</td><td>${s.results ?? ""}</td>` +
      `<td>${typeof s.seconds === "number" ? s.seconds.toFixed(1) : ""}</td><td class="l note">${notes}</td></tr>`;
  });
  if (rows.length === 0) return "";
  return `<table><tr><th class=l>program</th><th class=l>runtime</th><th class=l>status</th><th>results</th>` +
    `<th>seconds</th><th class=l>notes</th></tr>${rows.join("")}</table>`;
}

function htmlTable(t) {
  const [head, ...rows] = tableRows(t);
  const cell = (tag, c, i) => `<${tag}${i < 2 ? " class=l" : ""}>${esc(c)}</${tag}>`;
  return `<div class=scroll><table><tr>${head.map((c, i) => cell("th", c, i)).join("")}</tr>` +
    rows.map((r) => `<tr>${r.map((c, i) => cell("td", c, i)).join("")}</tr>`).join("") + "</table></div>";
}

/** The id of table `t`'s chart: `bench/metric`. */
export function chartId(t) {
  return `${t.bench}/${t.metric}`;
}

/** The page for `report` (see report.mjs for its fields), as a string. */
export async function renderPage(report) {
  const tables = group(report.results ?? []);
  const benches = [...new Set(tables.map((t) => t.bench))];
  const sections = [];
  for (const bench of benches) {
    const parts = [`<h2 id="${esc(bench)}">${esc(bench)}</h2>`];
    for (const t of tables.filter((x) => x.bench === bench)) {
      if (t.charted) {
        const svg = await chartSvg(t);
        parts.push(
          `<figure data-chart="${esc(chartId(t))}" data-points="${chartData(t).length}">` +
            `<figcaption>${esc(tableTitle(t))}</figcaption>${svg}</figure>`,
        );
      } else {
        parts.push(`<h4>${esc(tableTitle(t))}</h4>`);
      }
      parts.push(htmlTable(t));
    }
    sections.push(`<section>${parts.join("\n")}</section>`);
  }
  const missing = (report.steps ?? []).filter((s) => s.results === 0 && !s.skipped && s.collect === "bench");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ringside report ${esc(report.created ?? "")}</title><style>${STYLE}</style></head>
<body>
<h1>ringside: io_uring for Bun and Deno, measured on this machine</h1>
<p class=sub>Written ${esc(report.created ?? "")} by <code>${esc(report.command ?? "npm start")}</code>.
Each chart: one row per scenario, one column per runtime; a bar is a variant's median over the measured rounds,
the thin line spans min to max, the thick one q1 to q3, and the label gives the median and its ratio to the
baseline's median measured in the same run (the grey bar). Numbers compare only within one run.</p>
<h2>Machine</h2>
${machineFacts(report)}
<h2>Doctor</h2>
${doctorSection(report)}
<h2>What ran</h2>
${stepsSection(report)}
${
    missing.length
      ? `<p class=note>No results from: ${
        missing.map((s) => esc(`${s.file} (${s.runtime})`)).join(", ")
      }; see the notes above.</p>`
      : ""
  }
${sections.join("\n")}
<script>${CHECK}</script>
</body></html>
`;
}

/** The console's version of the tables: the same rows as the page, one block per benchmark metric. */
export function consoleTables(results) {
  return group(results).map(formatTable).join("\n\n");
}
