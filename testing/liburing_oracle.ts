/**
 * Test support, not part of the library: builds `liburing_oracle.c` (next to this file) with gcc against the
 * installed liburing.h and runs it, so tests can compare the prep helpers (uring/prep/prep_test.ts) and the
 * RECVMSG multishot parser (uring/abi/recvmsg_out_test.ts) with liburing's own inline helpers, byte for byte.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HEADER = "/usr/include/liburing.h";
const SOURCE = decodeURIComponent(new URL("./liburing_oracle.c", import.meta.url).pathname);

/**
 * Why the oracle cannot run on this machine, or undefined when it can. Cheap enough to call when tests are defined.
 */
export function oracleUnavailable(): string | undefined {
  if (!existsSync(HEADER)) return `${HEADER} is missing (apt-get install liburing-dev)`;
  const gcc = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  if (gcc.error || gcc.status !== 0) return "gcc is missing (apt-get install gcc)";
  return undefined;
}

/** Compiles the oracle into a fresh temporary directory; the caller removes the directory. */
function build(dir: string): string {
  const out = join(dir, "oracle");
  const cc = spawnSync("gcc", ["-O1", "-Wall", "-Werror", "-Wno-unused-parameter", "-o", out, SOURCE], {
    encoding: "utf8",
  });
  if (cc.status !== 0) {
    throw new Error(`Cannot build the liburing oracle: gcc exited with ${cc.status}: ${cc.stderr || cc.error}`);
  }
  return out;
}

/**
 * Builds the oracle, runs it once over `lines` (see liburing_oracle.c for the commands) and returns one output line per
 * input line. Throws when the build fails, the oracle exits abnormally, or a command is unknown.
 */
export function runOracle(lines: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "ringside-oracle-"));
  let run;
  try {
    run = spawnSync(build(dir), [], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 28 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = (run.stdout ?? "").split("\n");
  out.pop();
  if (run.status !== 0 || out.length !== lines.length) {
    const unknown = lines.filter((_, i) => out[i] === "?").slice(0, 5);
    throw new Error(
      `The liburing oracle failed (exit ${run.status}, ${out.length} of ${lines.length} lines)` +
        (unknown.length ? `: unknown commands: ${unknown.join("; ")}` : `: ${run.stderr || run.error}`),
    );
  }
  return out;
}
