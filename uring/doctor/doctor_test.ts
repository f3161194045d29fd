import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { backend } from "../../ffi/mod.ts";
import { doctor, formatReport, type Report } from "./doctor.ts";
import { probeFeatures, probeOpcodes, trySetup } from "../ring/probe.ts";
import { OPCODES, SETUP_FLAGS } from "../abi/uapi.ts";

const DOCTOR = fileURLToPath(new URL("./doctor.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs doctor.ts under the runtime running this test (its executable is process.execPath). */
function runDoctor(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = backend.runtime === "deno" ? ["run", "-A", DOCTOR, ...args] : [DOCTOR, ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      timeout: 20_000,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const canSetup = trySetup().ok;

test("doctor --json prints one JSON object with the kernel, features and supported opcodes", async () => {
  const { code, stdout, stderr } = await runDoctor(["--json"]);
  assert.equal(code, canSetup ? 0 : 1, stderr);
  const [line, ...rest] = stdout.trim().split("\n");
  assert.equal(rest.length, 0, "exactly one line of JSON");
  const report = JSON.parse(line ?? "") as Report;
  for (const key of ["kernel", "features", "opcodes", "runtime", "liburing", "setupFlags", "ioUringDisabled",
    "canSetup"]) {
    assert.ok(key in report, `has ${key}`);
  }
  assert.equal(typeof report.kernel, "string");
  assert.ok(Array.isArray(report.features) && Array.isArray(report.opcodes) && Array.isArray(report.setupFlags));
  assert.equal(report.runtime.name, backend.runtime);
  assert.equal(report.canSetup, canSetup);
  if (canSetup) {
    assert.ok(report.opcodes.includes("IORING_OP_NOP"));
    assert.deepEqual(report.opcodes, probeOpcodes().names);
    assert.deepEqual(report.features, probeFeatures().names);
    assert.ok(report.opcodes.every((n) => n.startsWith("IORING_OP_")));
    assert.ok(report.setupFlags.every((n) => n.startsWith("IORING_SETUP_")));
    assert.equal(report.problem, undefined);
  } else {
    assert.ok(report.problem && report.problem.fix.length > 0);
  }
});

test("doctor prints a readable report: facts, then names in columns with the version that added each", async () => {
  const { code, stdout } = await runDoctor([]);
  assert.equal(code, canSetup ? 0 : 1);
  assert.match(stdout, /^ringside doctor\n/);
  assert.match(stdout, new RegExp(`runtime +${backend.runtime} `));
  assert.match(stdout, /kernel +Linux \d+\.\d+/);
  if (canSetup) {
    assert.match(stdout, /ring setup +ok/);
    assert.match(stdout, /opcodes \(IORING_OP_\*\): \d+ supported, last_op \d+/);
    assert.match(stdout, /\bNOP +5\.1\b/);
  } else {
    assert.match(stdout, /ring setup +FAILED/);
  }
});

test("doctor refuses unknown arguments with a usage line", async () => {
  const { code, stderr } = await runDoctor(["--bogus"]);
  assert.equal(code, 2);
  assert.match(stderr, /unknown argument --bogus[\s\S]*usage:/);
});

test("doctor() lists every known setup flag as accepted or refused, and every known opcode as there or missing",
  () => {
    const r = doctor();
    assert.equal(r.canSetup, canSetup);
    if (!canSetup) return;
    assert.equal(r.setupFlags.length + r.setupFlagsRefused.length, SETUP_FLAGS.length);
    assert.ok(r.setupFlags.includes("IORING_SETUP_CQSIZE"));
    assert.equal(r.opcodes.length + r.opcodesMissing.length, OPCODES.length);
    assert.deepEqual(r.notes, [], "probes and QUERY agree");
    JSON.stringify(r); // JSON-ready
  });

test("formatReport fits the width and explains a failed setup", () => {
  const r = doctor();
  for (const line of formatReport(r, 80).split("\n")) assert.ok(line.length <= 80, `too long: ${line}`);
  const failed: Report = {
    ...r,
    canSetup: false,
    problem: {
      code: "EPERM",
      cause: "sysctl-disabled",
      reason: "io_uring is disabled for every process by /proc/sys/kernel/io_uring_disabled (2)",
      fix: ["as root: `sysctl -w kernel.io_uring_disabled=0`"],
      error: "Cannot set up io_uring: EPERM (Operation not permitted)",
    },
  };
  const text = formatReport(failed, 100);
  assert.match(text, /ring setup +FAILED \(EPERM\)/);
  assert.match(text, /why +io_uring is disabled/);
  assert.match(text, /what to do +- as root: `sysctl -w kernel\.io_uring_disabled=0`/);
  assert.doesNotMatch(text, /opcodes \(IORING_OP_\*\)/, "no opcode table without a ring");
});
