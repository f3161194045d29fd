// The report's data: benchmark result lines (the JSON lines `bench/*.ts --json` prints, see bench/harness.ts)
// grouped into benchmarks, metrics, scenarios and variants, with both runtimes side by side, and the text table
// `npm start` prints and the page shows.
//
// A result line is an object with `bench`, `runtime`, `variant`, `metric` and a finite `value`. Its scenario is
// the fields written between `variant` and `metric` (the harness spreads a comparison's params there, e.g.
// `batch`, `connections`, `workload`); its spread is `min`, `max`, `q1`, `q3` when present; `baseline` and `ratio`
// are the ratio of medians against the baseline variant, `ratio_min`/`ratio_max` the range of the per-round
// ratios, and any other `ratio_<name>` a ratio against the variant `<name>` (underscores read as dashes, e.g.
// echo's `ratio_epoll_ffi`).

/** The fields that are not a scenario's params even when written before `metric`. */
const NOT_PARAMS = new Set(["bench", "runtime", "variant", "metric", "value"]);
/** The `ratio_*` fields that describe the main ratio rather than name another variant. */
const RATIO_SPREAD = new Set(["ratio_paired_median", "ratio_min", "ratio_max"]);

/** Names of the metrics the benches print, for people. */
const METRIC_NAMES = {
  ops_per_s: "operations per second",
  iops: "reads per second (IOPS)",
  files_per_s: "files per second",
  msgs_per_s: "messages per second",
  server_cpu_us_per_msg: "server CPU time per message, µs (lower is better)",
  server_cpu_us_per_req: "server CPU time per request, µs (lower is better)",
  user_ns_per_op: "user CPU ns per operation (lower is better)",
  sys_ns_per_op: "system CPU ns per operation (lower is better)",
  mb_per_s: "MB per second",
  requests_per_s: "requests per second",
  reqs_per_s: "requests per second",
};

/** A metric's name for people. */
export function metricName(metric) {
  return METRIC_NAMES[metric] ?? metric.replaceAll("_", " ");
}

/** Whether `x` is a benchmark result line. */
export function isResult(x) {
  return x !== null && typeof x === "object" && !Array.isArray(x) && typeof x.bench === "string" &&
    typeof x.runtime === "string" && typeof x.variant === "string" && typeof x.metric === "string" &&
    typeof x.value === "number" && Number.isFinite(x.value);
}

/** The result lines among `text`'s lines; `rest` gets every other line. */
export function parseLines(text) {
  const results = [];
  const rest = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t === "") continue;
    let x;
    if (t.startsWith("{")) {
      try {
        x = JSON.parse(t);
      } catch {
        x = undefined;
      }
    }
    if (isResult(x)) results.push(x);
    else rest.push(line);
  }
  return { results, rest };
}

/** A result's scenario params: the fields between `variant` and `metric`, in their order. */
export function paramsOf(r) {
  const out = [];
  for (const k of Object.keys(r)) {
    if (k === "metric") break;
    if (!NOT_PARAMS.has(k)) out.push([k, r[k]]);
  }
  return out;
}

/** A scenario's label: `batch 8`, `workload rand4k, block 4096`; `all` when it has no params. */
export function scenarioLabel(params) {
  return params.length ? params.map(([k, v]) => `${k.replaceAll("_", " ")} ${v}`).join(", ") : "all";
}

/** Ratios against other variants than the baseline: `[[variant, ratio], ...]`. */
export function otherRatios(r) {
  const out = [];
  for (const [k, v] of Object.entries(r)) {
    if (k.startsWith("ratio_") && !RATIO_SPREAD.has(k) && typeof v === "number" && Number.isFinite(v)) {
      out.push([k.slice("ratio_".length).replaceAll("_", "-"), v]);
    }
  }
  return out;
}

const finite = (x) => typeof x === "number" && Number.isFinite(x);

/** Whether a result carries its spread over the rounds (what a chart needs). */
export function hasSpread(r) {
  return finite(r.min) && finite(r.max);
}

function getOr(map, key, make) {
  let v = map.get(key);
  if (v === undefined) map.set(key, v = make());
  return v;
}

/**
 * Groups `results` into tables, one per benchmark and metric, in the order they first appear:
 * `{ bench, metric, name, runtimes, baselines, charted, scenarios: [{ label, params, variants: [{ variant,
 * cells: { [runtime]: result } }] }] }`. `charted` is true when some result has its spread.
 */
export function group(results, runtimeOrder = ["bun", "deno"]) {
  const tables = new Map();
  for (const r of results) {
    const t = getOr(tables, `${r.bench}\u0000${r.metric}`, () => ({
      bench: r.bench,
      metric: r.metric,
      name: metricName(r.metric),
      runtimes: new Set(),
      baselines: new Set(),
      charted: false,
      scenarios: new Map(),
    }));
    t.runtimes.add(r.runtime);
    if (typeof r.baseline === "string") t.baselines.add(r.baseline);
    if (hasSpread(r)) t.charted = true;
    const params = paramsOf(r);
    const label = scenarioLabel(params);
    const s = getOr(t.scenarios, label, () => ({ label, params, variants: new Map() }));
    const v = getOr(s.variants, r.variant, () => ({ variant: r.variant, cells: {} }));
    v.cells[r.runtime] = r; // a repeated line (same runtime, variant, scenario) replaces the earlier one
  }
  const rank = (rt) => {
    const i = runtimeOrder.indexOf(rt);
    return i < 0 ? runtimeOrder.length : i;
  };
  return [...tables.values()].map((t) => ({
    ...t,
    runtimes: [...t.runtimes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)),
    baselines: [...t.baselines],
    scenarios: [...t.scenarios.values()].map((s) => ({ ...s, variants: [...s.variants.values()] })),
  }));
}

// ---- Numbers as text -------------------------------------------------------------------------------------------

/** 12800000 -> "12.80M", 5600 -> "5.6k", 412 -> "412", 5.314 -> "5.31", 0.0912 -> "0.0912". */
export function fmtValue(x) {
  if (!finite(x)) return "-";
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(2)}k`;
  if (a >= 100) return x.toFixed(0);
  if (a === 0) return "0";
  return String(Number(x.toPrecision(3)));
}

/** 0.9812 -> "0.98x". */
export function fmtRatio(x) {
  return finite(x) ? `${x.toFixed(2)}x` : "";
}

/** What a chart writes beside a variant's bar: its median, then its ratios (or `baseline`). */
export function barLabel(r, isBaseline) {
  const parts = [fmtValue(r.value)];
  if (finite(r.ratio)) parts.push(fmtRatio(r.ratio));
  else if (isBaseline) parts.push("baseline");
  for (const [name, x] of otherRatios(r)) parts.push(`${fmtRatio(x)} vs ${name}`);
  return parts.join("  ");
}

/**
 * The table of `t` as rows of cells: the scenario, the variant, then per runtime the median, the spread
 * (min-max over the rounds), the ratio of medians against the baseline (and against other variants) and the
 * range of the per-round ratios. The first row is the header; columns empty in every row are left out.
 */
export function tableRows(t) {
  const head = ["scenario", "variant"];
  for (const rt of t.runtimes) head.push(`${rt} median`, "min-max", "ratio", "ratio range");
  const rows = [head];
  for (const s of t.scenarios) {
    for (const v of s.variants) {
      const row = [s.label, v.variant];
      for (const rt of t.runtimes) {
        const r = v.cells[rt];
        if (!r) {
          row.push("", "", "", "");
          continue;
        }
        const spread = hasSpread(r) ? `${fmtValue(r.min)}-${fmtValue(r.max)}` : "";
        const ratios = [fmtRatio(r.ratio), ...otherRatios(r).map(([n, x]) => `${fmtRatio(x)} vs ${n}`)]
          .filter((x) => x !== "").join(", ");
        const range = finite(r.ratio_min) && finite(r.ratio_max)
          ? `${r.ratio_min.toFixed(2)}-${r.ratio_max.toFixed(2)}`
          : "";
        row.push(fmtValue(r.value), spread, ratios, range);
      }
      rows.push(row);
    }
  }
  // Columns empty in every row (no spread or no ratio in this metric) are left out; medians always stay.
  const keep = head.map((h, i) => i < 2 || h.endsWith(" median") || rows.slice(1).some((r) => r[i] !== ""));
  return rows.map((r) => r.filter((_, i) => keep[i]));
}

/** The line above a table: which benchmark and metric, and what the ratios are against. */
export function tableTitle(t) {
  const against = t.baselines.length ? `; ratio = median / ${t.baselines.join(" or ")}'s median` : "";
  return `${t.bench}: ${t.name} (median over the rounds${against})`;
}

/** `t` as aligned text: title, header and rows (scenario and variant left-aligned, numbers right-aligned). */
export function formatTable(t) {
  const rows = tableRows(t);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")
      .trimEnd();
  return [tableTitle(t), ...rows.map(line)].join("\n");
}
