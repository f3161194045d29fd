/**
 * Test support, not part of the library: builds `liburing_oracle.c` (next to this file) with gcc against the
 * installed liburing.h (testing/cc.ts caches the build) and runs it, so tests can compare the prep helpers
 * (uring/prep/prep_test.ts) and the RECVMSG multishot parser (uring/abi/recvmsg_out_test.ts) with liburing's own
 * inline helpers, byte for byte.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { buildC, ccUnavailable } from "./cc.ts";

const HEADER = "/usr/include/liburing.h";
const SOURCE = decodeURIComponent(new URL("./liburing_oracle.c", import.meta.url).pathname);

/**
 * Why the oracle cannot run on this machine, or undefined when it can. Cheap enough to call when tests are defined.
 */
export function oracleUnavailable(): string | undefined {
  if (!existsSync(HEADER)) return `${HEADER} is missing (apt-get install liburing-dev)`;
  return ccUnavailable();
}

/**
 * Builds the oracle, runs it once over `lines` (see liburing_oracle.c for the commands) and returns one output line per
 * input line. Throws when the build fails, the oracle exits abnormally, or a command is unknown.
 */
export function runOracle(lines: readonly string[]): string[] {
  const oracle = buildC(SOURCE, ["-O1", "-Wall", "-Werror", "-Wno-unused-parameter"], [HEADER]);
  const run = spawnSync(oracle, [], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 28 });
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
