/**
 * Where io_uring is refused, `doctor` says why and what to do, and `doctor --json` carries the cause as a stable
 * name (`problem.cause`). Each way is made real for a doctor run by this runtime: a seccomp filter answering EPERM
 * (Docker's default profile), `kernel.io_uring_disabled = 2`, and a small RLIMIT_MEMLOCK.
 */
import assert from "node:assert/strict";
import { it } from "../../testing/mod.ts";
import {
  type Confinement,
  helperUnavailable,
  ioUringDisabledNow,
  memlockUnavailable,
  type Run,
  runScript,
  sysctlUnavailable,
  withIoUringDisabled,
} from "../../testing/refused.ts";
import type { Report } from "./doctor.ts";

const DOCTOR = "uring/doctor/doctor.ts";

/** `doctor --json` and `doctor` (run concurrently, to keep a sysctl's window short). */
function runDoctor(confine?: Confinement): Promise<[Run, Run]> {
  return Promise.all([runScript(DOCTOR, ["--json"], confine), runScript(DOCTOR, [], confine)]);
}

/** Both runs failed with status 1; the JSON names `cause` and `code`; the text shows the same diagnosis. */
function assertDoctorRefused([json, text]: [Run, Run], code: string, cause: string): Report {
  assert.equal(json.code, 1, json.stderr);
  const report = JSON.parse(json.stdout.trim()) as Report;
  assert.equal(report.canSetup, false);
  const p = report.problem;
  assert.ok(p, "a problem is reported");
  assert.equal(p.code, code);
  assert.equal(p.cause, cause);
  assert.ok(p.reason.length > 0 && p.fix.length > 0);
  // The setup error's own message holds the same diagnosis.
  assert.match(p.error, new RegExp(`^Cannot set up io_uring: ${code} \\(`));
  assert.ok(p.error.includes(p.reason) && p.fix.every((f) => p.error.includes(f)), p.error);
  assert.deepEqual(report.opcodes, []);

  assert.equal(text.code, 1, text.stderr);
  const flat = text.stdout.replace(/\s+/g, " ");
  assert.match(text.stdout, new RegExp(`ring setup +FAILED \\(${code}\\)`));
  assert.match(text.stdout, new RegExp(`cause +${cause}\\n`));
  assert.match(text.stdout, new RegExp(`error +Cannot set up io_uring: ${code} \\([^)]*\\)\\n`), "the error's head");
  assert.ok(flat.includes(`why ${p.reason}`), flat);
  assert.ok(flat.includes(`what to do - ${p.fix[0]}`), flat);
  return report;
}

it("doctor under a seccomp filter answering EPERM reports cause \"seccomp\" and the profile to change",
  helperUnavailable(), async () => {
    const report = assertDoctorRefused(await runDoctor({ seccomp: true }), "EPERM", "seccomp");
    assert.match(report.problem?.reason ?? "", /seccomp filter refuses io_uring_setup/);
    assert.match(report.problem?.fix[0] ?? "", /allow the io_uring_setup, io_uring_enter and io_uring_register/);
  });

it("doctor with kernel.io_uring_disabled = 2 reports cause \"sysctl-disabled\" and the sysctl to set",
  sysctlUnavailable(), async () => {
    const before = ioUringDisabledNow();
    const runs = await withIoUringDisabled(2, () => runDoctor());
    assert.equal(ioUringDisabledNow(), before, "the sysctl is restored");
    const report = assertDoctorRefused(runs, "EPERM", "sysctl-disabled");
    assert.equal(report.ioUringDisabled, 2);
    assert.match(report.problem?.fix[0] ?? "", /sysctl -w kernel\.io_uring_disabled=0/);
    assert.match(runs[1].stdout, /io_uring_disabled +2 \(io_uring is disabled for every process\)/);
  });

it("doctor with a small RLIMIT_MEMLOCK and no CAP_IPC_LOCK reports cause \"memlock\" and the limit to raise",
  memlockUnavailable(), async () => {
    const report = assertDoctorRefused(await runDoctor({ seccomp: false, memlock: 4096 }), "ENOMEM", "memlock");
    assert.match(report.problem?.reason ?? "", /RLIMIT_MEMLOCK is 4 KiB/);
    assert.match(report.problem?.fix[0] ?? "", /ulimit -l/);
  });
