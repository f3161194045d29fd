/**
 * `ringside doctor`: what this machine offers io_uring, asked of the kernel. Runtime and liburing, kernel version,
 * the io_uring_disabled sysctl, whether a ring can be set up (and if not, why and what to do), the feature bits,
 * the setup flags (each probed with a tiny ring), the opcodes with the kernel version that added each, and the
 * masks of `IORING_REGISTER_QUERY` where the kernel has it.
 *
 * Run it with `bun uring/doctor/doctor.ts`, `deno run -A uring/doctor/doctor.ts`, or `npm run doctor` (both runtimes); add
 * `--json` for one JSON object. It exits with status 1 when no ring can be set up. Or import {@link doctor}.
 *
 * @example
 * ```ts
 * import { doctor } from "./doctor.ts";
 * const report = doctor();
 * if (!report.canSetup) console.error(report.problem?.reason);
 * else console.log(report.kernel, report.opcodes.length, "opcodes");
 * ```
 *
 * @module
 */
import process from "node:process";
import { backend, LIBURING_OPTIONAL, liburing } from "../../ffi/mod.ts";
import { decodeFlags, probeOpcodes, probeSetupFlag, trySetup } from "../ring/probe.ts";
import { queryOpcodes } from "../ring/query.ts";
import { kernelRelease } from "../ring/kernel_version.ts";
import { diagnoseSetupFailure, ioUringDisabled, type SetupDiagnosis } from "../ring/setup_diagnosis.ts";
import { fallsBackOn } from "../loop/_backend.ts";
import { FEATURES, OPCODES, SETUP_FLAGS } from "../abi/uapi.ts";

/** A kernel constant with the version that added it. */
export interface Since {
  /** The kernel's name (`"IORING_OP_PIPE"`). */
  readonly name: string;
  /** The kernel version that added it (`"6.16"`). */
  readonly since: string;
}

/** What IORING_REGISTER_QUERY reported, by name. */
export interface QueryReport {
  /** `IORING_OP_LAST`: opcodes 0 to this minus 1 exist. */
  readonly nrRequestOpcodes: number;
  /** `IORING_REGISTER_LAST`. */
  readonly nrRegisterOpcodes: number;
  /** How many query ops exist, when the kernel says. */
  readonly nrQueryOpcodes?: number | undefined;
  /** Every `IORING_FEAT_*` the kernel has. */
  readonly features: readonly string[];
  /** Every `IORING_SETUP_*` the kernel accepts. */
  readonly setupFlags: readonly string[];
  /** Every `IORING_ENTER_*` the kernel accepts. */
  readonly enterFlags: readonly string[];
  /** Every `IOSQE_*` the kernel accepts. */
  readonly sqeFlags: readonly string[];
}

/** Everything `doctor` found. Names are the kernel's full names; JSON-ready (no undefined, no bigint). */
export interface Report {
  /** The runtime this ran on. */
  readonly runtime: { readonly name: "bun" | "deno"; readonly version: string };
  /** The liburing found, or why none could be loaded. */
  readonly liburing:
    | { readonly path: string; readonly version: string; readonly optionalExports: readonly string[] }
    | { readonly error: string };
  /** The kernel release (`uname -r`). */
  readonly kernel: string;
  /** `/proc/sys/kernel/io_uring_disabled` (0, 1, 2), or null when the kernel has no such sysctl. */
  readonly ioUringDisabled: number | null;
  /** Whether this process can set up a ring. */
  readonly canSetup: boolean;
  /**
   * When it cannot: the error, its cause as a stable name for programs (`problem.cause`: `"seccomp"`,
   * `"sysctl-disabled"`, `"memlock"`, ...), why, and what to do.
   */
  readonly problem?: SetupDiagnosis & { readonly error: string } | undefined;
  /** The `IORING_FEAT_*` bits the kernel reports at setup. */
  readonly features: readonly string[];
  /** The setup flags a tiny ring could be set up with. */
  readonly setupFlags: readonly string[];
  /** Known setup flags a tiny ring could not be set up with, and the errno (EINVAL: the kernel lacks it). */
  readonly setupFlagsRefused: readonly (Since & { readonly code: string })[];
  /** The supported opcodes (IORING_REGISTER_PROBE). */
  readonly opcodes: readonly string[];
  /** The kernel's highest opcode number, or null when it could not be probed. */
  readonly lastOp: number | null;
  /** Known opcodes the kernel does not support. */
  readonly opcodesMissing: readonly Since[];
  /** Supported opcode numbers this version of ringside has no name for. */
  readonly opcodesUnknown: readonly number[];
  /** IORING_REGISTER_QUERY's answer, or null when the kernel lacks it (before 6.18) or it failed. */
  readonly query: QueryReport | null;
  /** Anything surprising: probes that disagree with QUERY, probes that failed. */
  readonly notes: readonly string[];
}

const QUERY_FAILED = "IORING_REGISTER_QUERY failed";

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Probes this machine and returns what it found. Sets up a few dozen one-entry rings (one per setup flag, a few
 * milliseconds in all) and closes them. Never throws: what fails is in `problem` and `notes`.
 *
 * @returns The report that `bun uring/doctor/doctor.ts --json` prints.
 * @example
 * ```ts
 * const r = doctor();
 * console.log(r.opcodes.includes("IORING_OP_RECV_ZC") ? "zero-copy receive available" : "no RECV_ZC");
 * ```
 */
export function doctor(): Report {
  const notes: string[] = [];
  let lib: Report["liburing"];
  try {
    const l = liburing();
    lib = { path: l.path, version: l.version, optionalExports: [...l.optionalPresent] };
  } catch (e) {
    lib = { error: message(e) };
  }

  let query: QueryReport | null = null;
  try {
    const q = lib && "path" in lib ? queryOpcodes() : undefined;
    if (q) {
      query = {
        nrRequestOpcodes: q.nrRequestOpcodes,
        nrRegisterOpcodes: q.nrRegisterOpcodes,
        ...(q.nrQueryOpcodes !== undefined ? { nrQueryOpcodes: q.nrQueryOpcodes } : {}),
        features: q.features.names,
        setupFlags: q.setupFlags.names,
        enterFlags: q.enterFlags.names,
        sqeFlags: q.sqeFlags.names,
      };
    }
  } catch (e) {
    notes.push(`${QUERY_FAILED}: ${message(e)}`);
  }

  const setup = trySetup();
  const base = {
    runtime: { name: backend.runtime, version: backend.version },
    liburing: lib,
    kernel: kernelRelease(),
    ioUringDisabled: ioUringDisabled() ?? null,
    query,
  };
  if (!setup.ok) {
    const d = diagnoseSetupFailure(setup.error);
    if (query && d.code === "ENOSYS") {
      notes.push("IORING_REGISTER_QUERY answered, so this kernel has io_uring: something (a seccomp filter) " +
        "answers ENOSYS for io_uring_setup");
    }
    return {
      ...base,
      canSetup: false,
      problem: { ...d, error: setup.error.message },
      features: [],
      setupFlags: [],
      setupFlagsRefused: [],
      opcodes: [],
      lastOp: null,
      opcodesMissing: [],
      opcodesUnknown: [],
      notes,
    };
  }

  const features = decodeFlags(setup.features, FEATURES);
  if (features.unknownBits) notes.push(`unknown feature bits 0x${features.unknownBits.toString(16)}`);

  const setupFlags: string[] = [];
  const setupFlagsRefused: (Since & { code: string })[] = [];
  for (const f of SETUP_FLAGS) {
    try {
      const r = probeSetupFlag(f.value);
      if (r.supported) setupFlags.push(f.name);
      else setupFlagsRefused.push({ name: f.name, since: f.since, code: r.code ?? "UNKNOWN" });
    } catch (e) {
      setupFlagsRefused.push({ name: f.name, since: f.since, code: "UNKNOWN" });
      notes.push(`probing ${f.name} failed: ${message(e)}`);
    }
  }

  let opcodes: string[] = [];
  let lastOp: number | null = null;
  let opcodesMissing: Since[] = [];
  let opcodesUnknown: number[] = [];
  try {
    const p = probeOpcodes();
    opcodes = [...p.names];
    lastOp = p.lastOp;
    opcodesMissing = p.missing.map((o) => ({ name: o.name, since: o.since }));
    opcodesUnknown = [...p.unknown];
  } catch (e) {
    notes.push(`IORING_REGISTER_PROBE failed: ${message(e)}`);
  }

  if (query) {
    if (lastOp !== null && query.nrRequestOpcodes !== lastOp + 1) {
      notes.push(`QUERY reports ${query.nrRequestOpcodes} opcodes but PROBE's last_op is ${lastOp}`);
    }
    const qf = new Set(query.features);
    if (features.names.length !== qf.size || features.names.some((n) => !qf.has(n))) {
      notes.push("QUERY's feature bits differ from those a ring reports at setup");
    }
    for (const r of setupFlagsRefused) {
      if (query.setupFlags.includes(r.name)) {
        notes.push(`the kernel knows ${r.name} (QUERY) but a ring with it could not be set up here: ${r.code}`);
      }
    }
  }

  return {
    ...base,
    canSetup: true,
    features: features.names,
    setupFlags,
    setupFlagsRefused,
    opcodes,
    lastOp,
    opcodesMissing,
    opcodesUnknown,
    notes,
  };
}

// ---- Human output -------------------------------------------------------------------------------------------

function strip(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** Lays `cells` out in columns, top to bottom then left to right (like `ls`), within `width` characters. */
function columns(cells: readonly string[], width: number, indent = "  "): string[] {
  if (cells.length === 0) return [`${indent}(none)`];
  const cellWidth = Math.max(...cells.map((c) => c.length)) + 2;
  const perRow = Math.max(1, Math.floor((width - indent.length + 2) / cellWidth));
  const rows = Math.ceil(cells.length / perRow);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = indent;
    for (let c = 0; c < perRow; c++) {
      const cell = cells[c * rows + r];
      if (cell !== undefined) line += cell.padEnd(cellWidth);
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

/** `label word word ...` wrapped within `width`, continuation lines indented under the first word. */
function wrap(label: string, words: readonly string[], width: number): string[] {
  const head = `  ${label.padEnd(30)} `;
  const lines: string[] = [];
  let line = head;
  for (const w of words) {
    if (line.length > head.length && line.length + 1 + w.length > width) {
      lines.push(line.trimEnd());
      line = " ".repeat(head.length);
    }
    line += (line.length > head.length ? " " : "") + w;
  }
  lines.push(line.trimEnd());
  return lines;
}

/** `text` wrapped within `width` after `head`, continuation lines indented to the same column. */
function wrapText(head: string, text: string, width: number): string[] {
  // A "- " bullet's continuation lines line up with the text after the bullet.
  const indent = " ".repeat(head.length + (text.startsWith("- ") ? 2 : 0));
  const lines: string[] = [];
  let line = head;
  let empty = true;
  for (const w of text.split(" ")) {
    if (!empty && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += (empty ? "" : " ") + w;
    empty = false;
  }
  lines.push(line.trimEnd());
  return lines;
}

/**
 * `head` then `items` separated by ", ", wrapped within `width` between items (an item longer than a line keeps its
 * own line), continuation lines indented to the first item.
 */
function wrapList(head: string, items: readonly string[], width: number): string[] {
  const indent = " ".repeat(head.length);
  const lines: string[] = [];
  let line = head;
  items.forEach((item, i) => {
    const cell = i < items.length - 1 ? `${item},` : item;
    if (line.length > indent.length && line.length + 1 + cell.length > width) {
      lines.push(line);
      line = indent;
    }
    line += (line.length > indent.length ? " " : "") + cell;
  });
  lines.push(line.trimEnd());
  return lines;
}

/** The terminal's width, or `COLUMNS`, or 100 when the output is not a terminal. */
function terminalWidth(): number {
  return Number(process.stdout.columns) || Number(process.env.COLUMNS) || 100;
}

/** `NAME  5.1` cells with the versions aligned. */
function withSince(items: readonly Since[], prefix: string): string[] {
  const rows = items.map((i) => ({ name: strip(i.name, prefix), since: i.since }));
  const w = Math.max(0, ...rows.map((r) => r.name.length));
  return rows.map((r) => `${r.name.padEnd(w)} ${r.since}`);
}

const DISABLED_MEANING = [
  "every process may use io_uring",
  "only CAP_SYS_ADMIN and kernel.io_uring_group may use io_uring",
  "io_uring is disabled for every process",
];

/**
 * Formats a {@link Report} for people: a few aligned lines of facts, then the names in columns.
 *
 * @param report What {@link doctor} returned.
 * @param width The line width to fit (the terminal's by default).
 * @returns The text, ending without a newline.
 * @example
 * ```ts
 * console.log(formatReport(doctor(), 100));
 * ```
 */
export function formatReport(report: Report, width: number = terminalWidth()): string {
  const out: string[] = ["ringside doctor", ""];
  const fact = (k: string, v: string) => out.push(...wrapText(`  ${k.padEnd(20)} `, v, width));
  fact("runtime", `${report.runtime.name} ${report.runtime.version}`);
  if ("path" in report.liburing) {
    const l = report.liburing;
    const optional = Object.keys(LIBURING_OPTIONAL);
    fact("liburing", `${l.version} (${l.path})`);
    fact("  optional exports", l.optionalExports.length
      ? `${l.optionalExports.join(", ")} (${l.optionalExports.length} of ${optional.length})`
      : `none of ${optional.length} (newer liburing adds them; ringside needs none)`);
  } else {
    fact("liburing", "MISSING (see ring setup)");
  }
  fact("kernel", `Linux ${report.kernel}`);
  fact("io_uring_disabled", report.ioUringDisabled === null
    ? "no such sysctl (before Linux 6.6)"
    : `${report.ioUringDisabled} (${DISABLED_MEANING[report.ioUringDisabled] ?? "unknown value"})`);
  if (report.canSetup) {
    fact("ring setup", "ok");
  } else {
    const p = report.problem!;
    fact("ring setup", `FAILED (${p.code})`);
    // The setup error's message holds the diagnosis too (the Ring constructor puts it there): show its head only.
    const at = p.error.indexOf(p.reason);
    if (p.code !== "ELIBURING") fact("  error", at > 0 ? p.error.slice(0, at).replace(/[:\s]+$/, "") : p.error);
    fact("  cause", p.cause);
    fact("  why", p.reason);
    p.fix.forEach((f, i) => fact(i === 0 ? "  what to do" : "", `- ${f}`));
  }
  // Which backend `new Loop()` ("auto") gets here: io_uring, or the epoll backend it falls back to.
  fact("loops", report.canSetup
    ? "io_uring (RINGSIDE_BACKEND=epoll or new Loop({ backend: \"epoll\" }) picks the epoll backend)"
    : fallsBackOn(report.problem!.cause)
    ? "the epoll backend: new Loop() falls back to it (and warns once); what only io_uring does is refused"
    : "none: new Loop() fails with the error above");
  const q = report.query;
  const queryFailed = report.notes.some((n) => n.startsWith(QUERY_FAILED));
  fact("register query", !("path" in report.liburing) ? "not asked (no liburing)" : q
    ? `yes: ${q.nrRequestOpcodes} request opcodes, ${q.nrRegisterOpcodes} register opcodes` +
      (q.nrQueryOpcodes !== undefined ? `, ${q.nrQueryOpcodes} query op${q.nrQueryOpcodes === 1 ? "" : "s"}` : "")
    : queryFailed ? "failed (see the notes)" : "no (IORING_REGISTER_QUERY needs Linux 6.18)");

  if (report.canSetup) {
    out.push("", `features (IORING_FEAT_*): ${report.features.length} of ${FEATURES.length} known`);
    const feat = new Set(report.features);
    out.push(...columns(withSince(FEATURES.filter((f) => feat.has(f.name)), "IORING_FEAT_"), width));
    const lacking = FEATURES.filter((f) => !feat.has(f.name));
    if (lacking.length) {
      out.push(...wrapList("  missing: ", lacking.map((f) => `${strip(f.name, "IORING_FEAT_")} (${f.since})`), width));
    }

    out.push("", `setup flags (IORING_SETUP_*): ${report.setupFlags.length} of ${SETUP_FLAGS.length} known, ` +
      "each probed with a tiny ring");
    const flags = new Set(report.setupFlags);
    out.push(...columns(withSince(SETUP_FLAGS.filter((f) => flags.has(f.name)), "IORING_SETUP_"), width));
    if (report.setupFlagsRefused.length) {
      out.push(...wrapList("  refused: ", report.setupFlagsRefused.map((r) =>
        `${strip(r.name, "IORING_SETUP_")} (${r.since}, ${r.code})`), width));
    }

    out.push("", `opcodes (IORING_OP_*): ${report.opcodes.length} supported` +
      (report.lastOp !== null ? `, last_op ${report.lastOp}` : ""));
    const ops = new Set(report.opcodes);
    out.push(...columns(withSince(OPCODES.filter((o) => ops.has(o.name)), "IORING_OP_"), width));
    if (report.opcodesMissing.length) {
      const missing = report.opcodesMissing.map((o) => `${strip(o.name, "IORING_OP_")} (${o.since})`);
      out.push(...wrapList("  missing: ", missing, width));
    }
    if (report.opcodesUnknown.length) {
      out.push(...wrapList("  supported but unknown to ringside: ", report.opcodesUnknown.map(String), width));
    }
  }

  if (q) {
    out.push("", "from IORING_REGISTER_QUERY (what the kernel accepts)");
    const list = (label: string, names: readonly string[], prefix: string) =>
      out.push(...wrap(`${label}:`, names.map((n) => strip(n, prefix)), width));
    list("enter flags (IORING_ENTER_*)", q.enterFlags, "IORING_ENTER_");
    list("sqe flags (IOSQE_*)", q.sqeFlags, "IOSQE_");
    if (!report.canSetup) {
      list("setup flags (IORING_SETUP_*)", q.setupFlags, "IORING_SETUP_");
      list("features (IORING_FEAT_*)", q.features, "IORING_FEAT_");
    }
  }

  if (report.notes.length) {
    out.push("", "notes");
    for (const n of report.notes) out.push(...wrapText("  ", `- ${n}`, width));
  }
  return out.join("\n");
}

// ---- Main ---------------------------------------------------------------------------------------------------

const USAGE = "usage: bun uring/doctor/doctor.ts [--json]   |   deno run -A uring/doctor/doctor.ts [--json]";

/**
 * Runs the doctor as a program: prints the report (as one JSON object with `--json`) and returns the exit status,
 * 1 when no ring can be set up.
 *
 * @param args The command-line arguments after the script.
 * @returns The exit status.
 * @example
 * ```ts
 * process.exitCode = main(["--json"]);
 * ```
 */
export function main(args: readonly string[]): number {
  let json = false;
  for (const a of args) {
    if (a === "--json") json = true;
    else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`doctor: unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  const report = doctor();
  console.log(json ? JSON.stringify(report) : formatReport(report));
  return report.canSetup ? 0 : 1;
}

// `import.meta.main` is true in the entry module under both runtimes.
if (import.meta.main) {
  process.exitCode = main(process.argv.slice(2));
}
