// One benchmark metric as an SVG chart, drawn by Vega (https://vega.github.io/vega/, the `vega` devDependency)
// here, when the report is written: the page carries finished SVG and needs neither the library nor a network
// when it is viewed. Vega's headless View renders SVG without a browser or a canvas (text widths are estimated).
//
// The chart is a grid: one row per scenario (e.g. batch 8), one column per runtime, so Bun and Deno sit side by
// side on the same scale. In each cell a horizontal bar per variant is its median; a thin line with end ticks
// spans min to max over the rounds, a thicker one q1 to q3; the label beside it is the median and the ratio
// against the baseline (whose bar is grey).

import { barLabel, hasSpread } from "./model.mjs";

const CELL_WIDTH = 330;
const BAR_STEP = 22;
/** Room on the right of each cell for the labels. */
const LABEL_ROOM = 150;

/** The rows Vega draws for table `t` (results with their spread only). */
export function chartData(t) {
  const data = [];
  t.scenarios.forEach((s, si) => {
    let rowMax = 0;
    for (const v of s.variants) {
      for (const rt of t.runtimes) {
        if (v.cells[rt] && hasSpread(v.cells[rt])) rowMax = Math.max(rowMax, v.cells[rt].max);
      }
    }
    s.variants.forEach((v, order) => {
      for (const rt of t.runtimes) {
        const r = v.cells[rt];
        if (!r || !hasSpread(r)) continue;
        const isBaseline = r.baseline === undefined && t.baselines.includes(v.variant);
        data.push({
          si,
          scenario: s.label,
          runtime: rt,
          cell: `${rt} · ${s.label}`,
          variant: v.variant,
          order,
          value: r.value,
          min: r.min,
          max: r.max,
          q1: typeof r.q1 === "number" ? r.q1 : r.min,
          q3: typeof r.q3 === "number" ? r.q3 : r.max,
          rowMax,
          baseline: isBaseline,
          label: barLabel(r, isBaseline),
        });
      }
    });
  });
  return data;
}

/** The Vega spec of table `t`'s chart. */
export function chartSpec(t) {
  const data = chartData(t);
  const variantsPerCell = Math.max(1, ...t.scenarios.map((s) => s.variants.length));
  const cellHeight = variantsPerCell * BAR_STEP;
  const band = { scale: "y", field: "variant" };
  const mid = { scale: "y", field: "variant", band: 0.5 };
  return {
    $schema: "https://vega.github.io/schema/vega/v6.json",
    description: `${t.bench}: ${t.name}`,
    padding: 8,
    background: "white",
    layout: { columns: t.runtimes.length, padding: { row: 18, column: 24 }, bounds: "full", align: "all" },
    data: [{ name: "results", values: data }],
    marks: [{
      type: "group",
      name: "cell",
      from: { facet: { name: "cell_data", data: "results", groupby: ["si", "scenario", "runtime", "cell"] } },
      sort: { field: ["datum.si", "datum.runtime"], order: ["ascending", "ascending"] },
      title: { text: { signal: "parent.cell" }, anchor: "start", fontSize: 12, fontWeight: "bold", offset: 4 },
      encode: {
        enter: {
          width: { value: CELL_WIDTH },
          height: { value: cellHeight },
        },
      },
      scales: [
        {
          name: "y",
          type: "band",
          domain: { data: "cell_data", field: "variant", sort: { field: "order", op: "min" } },
          range: [0, cellHeight],
          paddingInner: 0.25,
          paddingOuter: 0.15,
        },
        {
          name: "x",
          type: "linear",
          domain: { data: "cell_data", field: "rowMax" },
          zero: true,
          nice: true,
          range: [0, CELL_WIDTH - LABEL_ROOM],
        },
      ],
      axes: [
        {
          orient: "bottom",
          scale: "x",
          tickCount: 4,
          labelFontSize: 10,
          grid: true,
          gridColor: "#eee",
          encode: { labels: { update: { text: { signal: "datum.value === 0 ? '0' : format(datum.value, '~s')" } } } },
        },
        { orient: "left", scale: "y", labelFontSize: 11, ticks: false, domain: false },
      ],
      marks: [
        {
          type: "rect",
          name: "median",
          from: { data: "cell_data" },
          encode: {
            enter: {
              y: band,
              height: { scale: "y", band: 1 },
              x: { scale: "x", value: 0 },
              x2: { scale: "x", field: "value" },
              fill: { signal: "datum.baseline ? '#b8b8b8' : '#5b8fd6'" },
              tooltip: { signal: "datum.variant + ': ' + datum.label" },
            },
          },
        },
        {
          type: "rule",
          name: "range",
          from: { data: "cell_data" },
          encode: {
            enter: {
              y: mid,
              x: { scale: "x", field: "min" },
              x2: { scale: "x", field: "max" },
              stroke: { value: "#222" },
              strokeWidth: { value: 1 },
            },
          },
        },
        ...["min", "max"].map((f) => ({
          type: "rule",
          name: `range_${f}`,
          from: { data: "cell_data" },
          encode: {
            enter: {
              x: { scale: "x", field: f },
              y: { scale: "y", field: "variant", band: 0.25 },
              y2: { scale: "y", field: "variant", band: 0.75 },
              stroke: { value: "#222" },
              strokeWidth: { value: 1 },
            },
          },
        })),
        {
          type: "rule",
          name: "quartiles",
          from: { data: "cell_data" },
          encode: {
            enter: {
              y: mid,
              x: { scale: "x", field: "q1" },
              x2: { scale: "x", field: "q3" },
              stroke: { value: "#222" },
              strokeWidth: { value: 4 },
            },
          },
        },
        {
          type: "text",
          name: "label",
          from: { data: "cell_data" },
          encode: {
            enter: {
              y: mid,
              x: { signal: `max(scale('x', datum.max), scale('x', datum.value)) + 5` },
              text: { field: "label" },
              baseline: { value: "middle" },
              fontSize: { value: 11 },
              fill: { value: "#111" },
            },
          },
        },
      ],
    }],
  };
}

let vegaModule;

/** Vega, loaded once; throws with what to do when it is not installed. */
async function vega() {
  if (!vegaModule) {
    try {
      vegaModule = await import("vega");
    } catch (e) {
      throw new Error(`cannot load vega (npm install puts it in node_modules): ${e.message}`, { cause: e });
    }
  }
  return vegaModule;
}

/** Table `t`'s chart as an SVG document (a string). */
export async function chartSvg(t) {
  const { View, parse } = await vega();
  const view = new View(parse(chartSpec(t)), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
