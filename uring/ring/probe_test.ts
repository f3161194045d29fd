import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { errnoNumber } from "../../ffi/mod.ts";
import { UringError } from "../core/errors.ts";
import { Ring } from "./ring.ts";
import { decodeFlags, probeFeatures, probeOpcodes, probeSetupFlag, setupFlagSupported, trySetup } from "./probe.ts";
import { diagnoseSetupFailure, ioUringDisabled, type SetupEnvironment, setupEnvironment } from "./setup_diagnosis.ts";
import { kernelAtLeastSince, kernelRelease, kernelVersionAtLeast, parseKernelVersion } from "./kernel_version.ts";
import { query, queryOpcodes } from "./query.ts";
import { SQE_FLAGS } from "../abi/uapi.ts";
import {
  FEATURES,
  IORING_FEAT_EXT_ARG,
  IORING_FEAT_NODROP,
  IORING_OP_BIND,
  IORING_OP_NOP,
  IORING_OP_PIPE,
  IORING_OP_READ,
  IORING_OP_READ_MULTISHOT,
  IORING_OP_READV,
  IORING_OP_RECV,
  IORING_OP_SEND_ZC,
  IORING_OP_SOCKET,
  IORING_OP_TIMEOUT,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_NO_MMAP,
  IORING_SETUP_REGISTERED_FD_ONLY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQPOLL,
  IORING_SETUP_SUBMIT_ALL,
  OPCODES,
  SETUP_FLAGS,
} from "../abi/uapi.ts";
import { skipIf } from "../../testing/mod.ts";

test("kernelRelease is uname -r and parses into numbers that kernelVersionAtLeast agrees with", () => {
  assert.equal(kernelRelease(), release());
  const v = parseKernelVersion();
  assert.ok(v.major >= 5, `parsed ${kernelRelease()}`);
  assert.ok(kernelVersionAtLeast(v.major, v.minor));
  assert.ok(kernelVersionAtLeast(v.major, 0));
  assert.ok(kernelVersionAtLeast(v.major - 1, 99));
  assert.ok(!kernelVersionAtLeast(v.major, v.minor + 1));
  assert.ok(!kernelVersionAtLeast(v.major + 1, 0));
  assert.deepEqual(parseKernelVersion("6.18.44-fc-v595"), { major: 6, minor: 18, patch: 44 });
  assert.deepEqual(parseKernelVersion("5.15"), { major: 5, minor: 15, patch: 0 });
  assert.deepEqual(parseKernelVersion("6.7?"), { major: 6, minor: 7, patch: 0 });
  assert.deepEqual(parseKernelVersion("nonsense"), { major: 0, minor: 0, patch: 0 });
  assert.equal(kernelAtLeastSince("5.1"), true);
  assert.equal(kernelAtLeastSince(`${v.major + 1}.0?`), false);
});

test("IORING_REGISTER_PROBE reports each opcode as supported on every kernel at least as new as the opcode", () => {
  const probe = probeOpcodes();
  const sample = [IORING_OP_NOP, IORING_OP_READV, IORING_OP_TIMEOUT, IORING_OP_READ, IORING_OP_RECV,
    IORING_OP_SOCKET, IORING_OP_SEND_ZC, IORING_OP_READ_MULTISHOT, IORING_OP_BIND, IORING_OP_PIPE];
  for (const op of sample) {
    const entry = OPCODES[op];
    assert.ok(entry, `opcode ${op} is in OPCODES`);
    const { name, since } = entry;
    if (kernelAtLeastSince(since)) {
      assert.ok(probe.isSupported(op), `${name} (${since}) on Linux ${kernelRelease()}`);
      assert.ok(probe.names.includes(name));
      assert.ok(probe.lastOp >= op, `last_op ${probe.lastOp} covers ${name}`);
    }
  }
  assert.ok(probe.isSupported(IORING_OP_NOP));
  if (kernelVersionAtLeast(6, 16)) assert.ok(probe.lastOp >= IORING_OP_PIPE, `last_op ${probe.lastOp} >= 62`);
  // The kernel fills one entry per opcode it has, and names are the kernel's, in opcode order.
  assert.equal(probe.opsLen, probe.lastOp + 1);
  assert.deepEqual(probe.names, OPCODES.filter((o) => probe.supported.has(o.value)).map((o) => o.name));
  assert.deepEqual(probe.missing.map((o) => o.name), OPCODES.filter((o) => !probe.isSupported(o.value)).map((o) =>
    o.name));
});

test("opcodes beyond last_op are reported unsupported", () => {
  const probe = probeOpcodes();
  for (let op = probe.lastOp + 1; op < 256; op++) assert.equal(probe.isSupported(op), false, `opcode ${op}`);
  assert.ok([...probe.supported].every((op) => op <= probe.lastOp));
  for (const o of OPCODES.filter((o) => o.value > probe.lastOp)) {
    assert.ok(probe.missing.includes(o), `${o.name} is listed as missing`);
  }
});

test("probing through a given ring answers like the cached probe", () => {
  const ring = new Ring(4);
  try {
    const mine = probeOpcodes(ring);
    const cached = probeOpcodes();
    assert.notEqual(mine, cached);
    assert.equal(mine.lastOp, cached.lastOp);
    assert.deepEqual([...mine.supported], [...cached.supported]);
    assert.equal(probeOpcodes(), cached, "the ring-less probe is cached");
    assert.deepEqual(probeFeatures(ring).names, probeFeatures().names);
  } finally {
    ring.close();
  }
});

test("feature bits decode by name and agree with the kernel version", () => {
  const f = probeFeatures();
  assert.equal(f.unknownBits, 0, "every feature bit this kernel reports has a name");
  assert.ok(f.names.length > 0);
  for (const name of f.names) assert.ok(FEATURES.some((t) => t.name === name));
  if (kernelVersionAtLeast(5, 5)) assert.ok(f.names.includes("IORING_FEAT_NODROP"));
  if (kernelVersionAtLeast(5, 11)) assert.ok(f.names.includes("IORING_FEAT_EXT_ARG"));
  const d = decodeFlags(IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG | 2 ** 30, FEATURES);
  assert.deepEqual(d.names, ["IORING_FEAT_NODROP", "IORING_FEAT_EXT_ARG"]);
  assert.equal(d.unknownBits, 2 ** 30);
  assert.deepEqual(decodeFlags(0x7f, SQE_FLAGS).names.length, 7);
});

test("setup flags: known flags are accepted, an unknown bit is refused with EINVAL, partners are added", () => {
  for (const flag of [IORING_SETUP_CQSIZE, IORING_SETUP_SUBMIT_ALL, IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_SQPOLL]) {
    const f = SETUP_FLAGS.find((s) => s.value === flag)!;
    if (kernelAtLeastSince(f.since)) assert.ok(setupFlagSupported(flag), `${f.name} (${f.since})`);
  }
  const bogus = probeSetupFlag(2 ** 31);
  assert.deepEqual(bogus, { flags: 2 ** 31, tried: 2 ** 31, supported: false, code: "EINVAL" });
  assert.equal(probeSetupFlag(2 ** 31), bogus, "results are cached");

  const defer = probeSetupFlag(IORING_SETUP_DEFER_TASKRUN);
  assert.equal(defer.tried, IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER);
  if (kernelVersionAtLeast(6, 1)) assert.ok(defer.supported, "DEFER_TASKRUN with SINGLE_ISSUER (6.1)");
  const regOnly = probeSetupFlag(IORING_SETUP_REGISTERED_FD_ONLY);
  assert.equal(regOnly.tried, IORING_SETUP_REGISTERED_FD_ONLY | IORING_SETUP_NO_MMAP);
  if (kernelVersionAtLeast(6, 5)) assert.ok(regOnly.supported, "REGISTERED_FD_ONLY with NO_MMAP (6.5)");
});

const noQuery = !kernelVersionAtLeast(6, 18) && `IORING_REGISTER_QUERY needs Linux 6.18, this is ${kernelRelease()}`;

test("IORING_REGISTER_QUERY reports the opcode count, features and flags the probes see",
  skipIf(noQuery, "IORING_REGISTER_QUERY"), () => {
    const q = queryOpcodes();
    assert.ok(q, "the kernel answers IO_URING_QUERY_OPCODES");
    assert.ok(q.size >= 40, `the kernel filled ${q.size} bytes`);
    const probe = probeOpcodes();
    assert.equal(q.nrRequestOpcodes, probe.lastOp + 1, "IORING_OP_LAST = last_op + 1");
    assert.ok(q.nrRegisterOpcodes >= 36, "IORING_REGISTER_QUERY (35) itself is counted");
    assert.equal(q.features.bits, probeFeatures().bits, "the same IORING_FEAT_FLAGS a ring reports at setup");
    for (const f of SETUP_FLAGS) {
      if (setupFlagSupported(f.value)) assert.ok(q.setupFlags.names.includes(f.name), `${f.name} is in the mask`);
    }
    assert.ok(q.enterFlags.names.includes("IORING_ENTER_GETEVENTS"));
    assert.deepEqual(q.sqeFlags.names, SQE_FLAGS.map((f) => f.name));
  });

test("IORING_REGISTER_QUERY answers an unknown query op in the entry's result, not the call's",
  skipIf(noQuery, "IORING_REGISTER_QUERY unknown op"), () => {
    const a = query(200, 16);
    assert.ok(a);
    assert.equal(a.result, -errnoNumber("EOPNOTSUPP"));
    assert.equal(a.size, 0);
    assert.throws(() => query(0, 0), /answer size/);
  });

test("ioUringDisabled reads the sysctl, or is undefined where the kernel has none", () => {
  const path = "/proc/sys/kernel/io_uring_disabled";
  if (existsSync(path)) assert.equal(ioUringDisabled(), Number(readFileSync(path, "utf8").trim()));
  else assert.equal(ioUringDisabled(), undefined);
});

test("setupEnvironment reads this process's groups, seccomp mode and locked-memory limit", () => {
  const env = setupEnvironment();
  assert.equal(env.kernelRelease, kernelRelease());
  assert.ok(env.groups.length >= 1);
  assert.ok(env.seccomp === undefined || [0, 1, 2].includes(env.seccomp));
  assert.ok(env.memlock === undefined || env.memlock.soft <= env.memlock.hard);
  assert.equal(typeof env.capSysAdmin, "boolean");
  // Where a ring can be set up, nothing refuses the call itself: zero entries reach the kernel's own check.
  if (trySetup().ok) assert.equal(env.setupGate, "EINVAL");
});

// ---- diagnoseSetupFailure on synthetic errors ----------------------------------------------------------------

const ENV: SetupEnvironment = {
  kernelRelease: "6.18.0",
  ioUringDisabled: 0,
  ioUringGroup: -1,
  groups: [1000],
  capSysAdmin: false,
  capIpcLock: false,
  seccomp: 0,
  memlock: { soft: 65536, hard: 65536 },
  setupGate: undefined,
};
const setupError = (code: string) => new UringError("set up io_uring", errnoNumber(code));

test("EPERM with io_uring_disabled=2 says the sysctl disables it and how to turn it back on", () => {
  const d = diagnoseSetupFailure(setupError("EPERM"), { ...ENV, ioUringDisabled: 2 });
  assert.equal(d.code, "EPERM");
  assert.equal(d.cause, "sysctl-disabled");
  assert.match(d.reason, /io_uring_disabled \(2\)/);
  assert.match(d.fix.join("\n"), /sysctl -w kernel\.io_uring_disabled=0/);
});

test("EPERM with io_uring_disabled=1 blames the group unless the process has CAP_SYS_ADMIN or the group", () => {
  const d = diagnoseSetupFailure(setupError("EPERM"), { ...ENV, ioUringDisabled: 1, ioUringGroup: 42 });
  assert.equal(d.cause, "sysctl-group");
  assert.match(d.reason, /io_uring_disabled \(1\).*gid 42/);
  assert.match(d.fix[0] ?? "", /gid 42/);
  const unset = diagnoseSetupFailure(setupError("EPERM"), { ...ENV, ioUringDisabled: 1 });
  assert.match(unset.fix.join("\n"), /kernel\.io_uring_group=/);
  // In the group (or with CAP_SYS_ADMIN) the sysctl is not the cause: the seccomp filter is.
  for (const who of [{ groups: [42] }, { capSysAdmin: true }]) {
    const d2 = diagnoseSetupFailure(setupError("EPERM"),
      { ...ENV, ioUringDisabled: 1, ioUringGroup: 42, seccomp: 2, ...who });
    assert.match(d2.reason, /seccomp/);
  }
});

test("EPERM under a seccomp filter points at the container's profile", () => {
  const d = diagnoseSetupFailure(setupError("EPERM"), { ...ENV, seccomp: 2 });
  assert.equal(d.cause, "seccomp");
  assert.match(d.reason, /seccomp filter/);
  assert.match(d.fix[0] ?? "", /io_uring_setup.*seccomp/);
  // Zero entries answered EPERM: the call is refused at the door, so the filter is no guess.
  assert.match(diagnoseSetupFailure(setupError("EPERM"), { ...ENV, seccomp: 2, setupGate: "EPERM" }).reason,
    /seccomp filter refuses io_uring_setup/);
});

test("EPERM where zero entries get EINVAL blames the flags, not a filter; without a filter a security module", () => {
  const flags = diagnoseSetupFailure(setupError("EPERM"), { ...ENV, seccomp: 2, setupGate: "EINVAL" });
  assert.equal(flags.cause, "privilege");
  assert.match(flags.fix.join("\n"), /SQPOLL/);
  const old = diagnoseSetupFailure(setupError("EPERM"), { ...ENV, kernelRelease: "5.10.0", setupGate: "EINVAL" });
  assert.match(old.fix[0] ?? "", /CAP_SYS_ADMIN before Linux 5\.11/);
  const lsm = diagnoseSetupFailure(setupError("EPERM"), { ...ENV, setupGate: "EPERM" });
  assert.equal(lsm.cause, "security-module");
  assert.match(lsm.fix.join("\n"), /SELinux/);
});

test("ENOSYS explains a kernel without io_uring, or a seccomp filter", () => {
  const old = diagnoseSetupFailure(setupError("ENOSYS"), { ...ENV, kernelRelease: "4.19.0" });
  assert.equal(old.code, "ENOSYS");
  assert.match(old.reason, /arrived in Linux 5\.1/);
  const noConfig = diagnoseSetupFailure(setupError("ENOSYS"), ENV);
  assert.match(noConfig.reason, /CONFIG_IO_URING/);
  assert.equal(old.cause, "kernel-too-old");
  assert.equal(noConfig.cause, "kernel-without-io-uring");
  const filtered = diagnoseSetupFailure(setupError("ENOSYS"), { ...ENV, seccomp: 2 });
  assert.equal(filtered.cause, "seccomp");
  assert.match(filtered.reason, /seccomp/);
  assert.match(filtered.fix[0] ?? "", /seccomp/);
});

test("ENOMEM names RLIMIT_MEMLOCK and its value, unless the process has CAP_IPC_LOCK", () => {
  const d = diagnoseSetupFailure(setupError("ENOMEM"), ENV);
  assert.equal(d.code, "ENOMEM");
  assert.equal(d.cause, "memlock");
  assert.match(d.reason, /RLIMIT_MEMLOCK is 64 KiB/);
  assert.match(d.fix[0] ?? "", /ulimit -l/);
  const unlimited = diagnoseSetupFailure(setupError("ENOMEM"), { ...ENV, memlock: { soft: Infinity, hard: Infinity } });
  assert.match(unlimited.reason, /RLIMIT_MEMLOCK is unlimited, so the locked-memory limit is not the cause/);
  assert.equal(unlimited.cause, "memory");
  const cgroup = diagnoseSetupFailure(setupError("ENOMEM"), { ...ENV, kernelRelease: "6.6.0" });
  assert.equal(cgroup.cause, "memory", "5.12 to 6.14 charge the rings to the memory cgroup");
  assert.match(cgroup.fix.join("\n"), /memory\.max/);
  const old = diagnoseSetupFailure(setupError("ENOMEM"), { ...ENV, kernelRelease: "5.10.0-46-amd64" });
  assert.equal(old.cause, "memlock");
  assert.match(old.fix.at(-1) ?? "", /if a higher limit does not help, check the memory cgroup/);
  const locked = diagnoseSetupFailure(setupError("ENOMEM"), { ...ENV, capIpcLock: true });
  assert.equal(locked.cause, "memory");
  assert.match(locked.reason, /CAP_IPC_LOCK/);
  assert.doesNotMatch(locked.fix.join("\n"), /ulimit -l/);
});

test("a missing liburing and other errors are diagnosed without throwing", () => {
  const missing = new Error("Cannot load liburing: tried x (no such file). Install it");
  missing.name = "LiburingNotFoundError";
  const d = diagnoseSetupFailure(missing, ENV);
  assert.equal(d.code, "ELIBURING");
  assert.equal(d.cause, "liburing-missing");
  assert.match(d.fix[0] ?? "", /apt-get install liburing2/);
  assert.equal(diagnoseSetupFailure("weird", ENV).code, "UNKNOWN");
  assert.equal(diagnoseSetupFailure(setupError("EINVAL"), ENV).code, "EINVAL");
});
