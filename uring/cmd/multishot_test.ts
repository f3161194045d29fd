import { closeTracked, it, pipePair, rawSqe, track, withLoop } from "../../testing/mod.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { libc } from "../../ffi/mod.ts";
import { Loop } from "../loop/loop.ts";
import { Ring } from "../ring/ring.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { UringError } from "../core/errors.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { prepUringCmd } from "../prep/cmd.ts";
import { W_OP_FLAGS } from "../prep/base.ts";
import { sqeSetBufGroup } from "../ring/sqe.ts";
import { open } from "../fs/mod.ts";
import { probeOpcodes, setupFlagSupported } from "../ring/probe.ts";
import {
  BLOCK_URING_CMD_DISCARD,
  IORING_OP_URING_CMD,
  IORING_SETUP_CQE32,
  IORING_URING_CMD_FIXED,
  IORING_URING_CMD_MULTISHOT,
  IOSQE_BUFFER_SELECT,
  SOCKET_URING_OP_SIOCINQ,
} from "../abi/uapi.ts";
import { AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_STREAM } from "../abi/sockaddr.ts";
import { classifyCharDevice, cmdDriver, devMajor, devMinor } from "./driver.ts";
import {
  checkMultishotCommand,
  checkUringCmdFlags,
  KNOWN_URING_CMDS,
  knownUringCmd,
  multishotUringCmdSupported,
  probeMultishotUringCmd,
  UringCmdStream,
} from "./multishot.ts";
import { uringCmd } from "./uring_cmd.ts";
import { NVME_URING_CMD_ADMIN, NVME_URING_CMD_IO } from "./nvme.ts";

// Socket commands need IORING_OP_URING_CMD (5.19) and the socket's uring_cmd hook (6.7), which no probe lists.
const noSocketCmd = (!probeOpcodes().isSupported(IORING_OP_URING_CMD) && "IORING_OP_URING_CMD needs Linux 5.19") ||
  (!setupFlagSupported(IORING_SETUP_CQE32) && "IORING_SETUP_CQE32 needs Linux 5.19") ||
  (!kernelVersionAtLeast(6, 7) && "SOCKET_URING_OP_SIOCINQ (a socket's uring_cmd) needs Linux 6.7");

const probe = probeMultishotUringCmd();
const noMultishot = !probe.supported && `multishot uring_cmd is missing: ${probe.reason}`;

/** A command number no socket has: if a check let a request through, the kernel would answer EOPNOTSUPP. */
const UNKNOWN_SOCKET_CMD = 0x7777;

function udp(): number {
  const fd = libc().socket(AF_INET, SOCK_DGRAM, 0);
  assert.ok(fd >= 0, "socket(2)");
  return track(fd);
}

/** {@link withLoop} with buffer group 9 (4 buffers of 256 bytes) on the loop's ring, held by no request at the end. */
function withBuffers(fn: (loop: Loop, buffers: BufferRing) => Promise<void>): Promise<void> {
  return withLoop(async (loop) => {
    const buffers = BufferRing.create(loop.ring, { bgid: 9, entries: 4, bufferSize: 256 });
    try {
      await fn(loop, buffers);
      assert.equal(buffers.users, 0, "no request holds the buffer group");
    } finally {
      buffers.close();
    }
  });
}

/**
 * Runs a uring_cmd SQE on a private ring, going around ringside's checks, and returns the CQE's res. The command
 * is one no socket has, so a request that got past prep would still complete (EOPNOTSUPP), never hang.
 */
function rawCmd(fd: number, cmdFlags: number, bufferSelect: boolean): number {
  return rawSqe((sqe) => {
    prepUringCmd(sqe, UNKNOWN_SOCKET_CMD, fd);
    sqe.u32[W_OP_FLAGS] = cmdFlags;
    if (bufferSelect) {
      sqe.u8[1]! |= IOSQE_BUFFER_SELECT;
      sqeSetBufGroup(sqe, 9);
    }
  });
}

const refused = (pattern: RegExp) => (e: unknown) =>
  e instanceof UringError && e.code === "ERINGSIDE" && pattern.test(e.message);

// ---- The probe --------------------------------------------------------------------------------------------------

test("the multishot uring_cmd probe answers without risking a request that never completes", () => {
  const p = probeMultishotUringCmd();
  assert.equal(probeMultishotUringCmd(), p, "probed once, cached");
  assert.equal(multishotUringCmdSupported(), p.supported);
  if (p.supported) {
    assert.equal(p.res, -92, "the bogus SETSOCKOPT failed with ENOPROTOOPT: prep accepted MULTISHOT");
    assert.equal(p.reason, "");
  } else {
    assert.ok([-22, -95].includes(p.res) || p.res === 0, `an old kernel refuses at prep: ${p.res}`);
    assert.match(p.reason, /6\.18|unavailable|did not complete/);
  }
  if (kernelVersionAtLeast(6, 18)) assert.ok(p.supported, "Linux 6.18 merged IORING_URING_CMD_MULTISHOT");
});

// ---- The kernel's flag rules: refused by ringside first, and EINVAL from the kernel ----------------------------

const RULES = [
  {
    rule: "MULTISHOT without IOSQE_BUFFER_SELECT",
    cmdFlags: IORING_URING_CMD_MULTISHOT,
    select: false,
    message: /MULTISHOT needs IOSQE_BUFFER_SELECT/,
  },
  {
    rule: "IOSQE_BUFFER_SELECT without MULTISHOT",
    cmdFlags: 0,
    select: true,
    message: /BUFFER_SELECT on a uring_cmd is allowed only with IORING_URING_CMD_MULTISHOT/,
  },
  {
    rule: "MULTISHOT with IORING_URING_CMD_FIXED",
    cmdFlags: IORING_URING_CMD_MULTISHOT | IORING_URING_CMD_FIXED,
    select: true,
    message: /cannot be combined with IORING_URING_CMD_FIXED/,
  },
  {
    rule: "unknown uring_cmd_flags bits",
    cmdFlags: 1 << 2,
    select: false,
    message: /unknown uring_cmd_flags bits 0x4/,
  },
  {
    rule: "unknown uring_cmd_flags bits with MULTISHOT",
    cmdFlags: IORING_URING_CMD_MULTISHOT | 0x8000_0000,
    select: true,
    message: /unknown uring_cmd_flags bits 0x80000000/,
  },
] as const;

for (const r of RULES) {
  it(`${r.rule}: ringside refuses it before the kernel, and the kernel answers EINVAL`, noMultishot, () =>
    withBuffers(async (loop, buffers) => {
      const fd = udp();
      const sqeFlags = r.select ? IOSQE_BUFFER_SELECT : 0;
      assert.throws(() => checkUringCmdFlags("check", r.cmdFlags, sqeFlags), refused(r.message));

      const started = loop.stats.started;
      await assert.rejects(uringCmd(loop, fd, UNKNOWN_SOCKET_CMD, { cmdFlags: r.cmdFlags, sqeFlags }),
        refused(r.message));
      if (r.cmdFlags & IORING_URING_CMD_MULTISHOT) {
        // The stream always selects buffers; its extra flags go through the same rules.
        const extra = r.cmdFlags & ~IORING_URING_CMD_MULTISHOT;
        if (r.select) {
          assert.throws(() =>
            new UringCmdStream(loop, fd, UNKNOWN_SOCKET_CMD, { buffers, cmdFlags: extra, unsafeAllowUnknown: true }),
          refused(r.message));
        }
      }
      assert.equal(loop.stats.started, started, "nothing was submitted");

      assert.equal(rawCmd(fd, r.cmdFlags, r.select), -22, "the kernel's io_uring_cmd_prep answers EINVAL");
    }));
}

it("the same request with both MULTISHOT and IOSQE_BUFFER_SELECT passes the kernel's prep", noMultishot, () => {
  const fd = udp();
  try {
    // Prep accepts it; the socket has no command 0x7777 and fails it, which completes even a multishot request.
    assert.equal(rawCmd(fd, IORING_URING_CMD_MULTISHOT, true), -95);
  } finally {
    closeTracked();
  }
});

// ---- The hazard: commands without multishot support -------------------------------------------------------------

test("every command ringside knows is refused as a multishot request, even with unsafeAllowUnknown", () => {
  assert.ok(KNOWN_URING_CMDS.length >= 14);
  for (const k of KNOWN_URING_CMDS) {
    const cmdOp = k.cmdOp === -1 ? 0x1234 : k.cmdOp;
    assert.equal(knownUringCmd(k.driver, cmdOp), k);
    assert.throws(() => checkMultishotCommand("stream", k.driver, cmdOp, { unsafeAllowUnknown: true }),
      refused(new RegExp(`${k.name}.*has no multishot support`)));
  }
  // Known by (driver, cmd_op): the same number on another driver is a different command.
  assert.equal(knownUringCmd("socket", NVME_URING_CMD_IO), undefined);
  assert.equal(knownUringCmd("nvme", SOCKET_URING_OP_SIOCINQ), undefined);
  assert.equal(knownUringCmd("fuse", SOCKET_URING_OP_SIOCINQ), undefined, "FUSE has no command 0");
  assert.equal(knownUringCmd("nvme", NVME_URING_CMD_ADMIN)?.name, "NVME_URING_CMD_ADMIN");
});

it("UringCmdStream refuses known commands on real descriptors before anything is submitted", noMultishot, () =>
  withBuffers(async (loop, buffers) => {
    const sock = udp();
    const devNull = track(await open(loop, "/dev/null", "r"));
    const dev = existsSync("/dev/loop0") ? track(await open(loop, "/dev/loop0", "r")) : -1;
    const started = loop.stats.started;
    assert.throws(() => new UringCmdStream(loop, sock, SOCKET_URING_OP_SIOCINQ, { buffers, unsafeAllowUnknown: true }),
      refused(/SOCKET_URING_OP_SIOCINQ \(Linux 6\.7\) has no multishot support/));
    // /dev/null answers 0 to every command (uring_cmd_null): a multishot request to it would hang.
    assert.throws(() => new UringCmdStream(loop, devNull, 0x4242, { buffers, unsafeAllowUnknown: true }),
      refused(/\/dev\/null.*uring_cmd_null/));
    if (dev >= 0) {
      assert.throws(() =>
        new UringCmdStream(loop, dev, BLOCK_URING_CMD_DISCARD, { buffers, unsafeAllowUnknown: true }),
      refused(/BLOCK_URING_CMD_DISCARD/));
    }
    assert.equal(loop.stats.started, started, "nothing was submitted");
  }));

it("commands ringside does not know are refused unless unsafeAllowUnknown is given", noMultishot, () =>
  withBuffers(async (loop, buffers) => {
    const [r, w] = pipePair(); // pipe2(2) through libc: IORING_OP_PIPE is Linux 6.16
    track(r);
    track(w);
    assert.throws(() => new UringCmdStream(loop, r, 0x1234, { buffers }),
      refused(/does not know whether command 0x1234 of pipe:\[\d+\].*unsafeAllowUnknown/));
    assert.throws(() => new UringCmdStream(loop, udp(), UNKNOWN_SOCKET_CMD, { buffers }),
      refused(/unsafeAllowUnknown/));
  }));

const lacksName = "with unsafeAllowUnknown, a command the driver lacks ends the stream with the kernel's EOPNOTSUPP";
it(lacksName, noMultishot, () =>
  withBuffers(async (loop, buffers) => {
    const [r, w] = pipePair(); // pipe2(2) through libc: IORING_OP_PIPE is Linux 6.16
    track(r);
    track(w);
    // A pipe has no uring_cmd handler; a socket has no command 0x7777. Both fail, and a failure completes.
    for (const [fd, cmdOp] of [[r, 0x1234], [udp(), UNKNOWN_SOCKET_CMD]] as const) {
      const stream = new UringCmdStream(loop, fd, cmdOp, { buffers, unsafeAllowUnknown: true });
      assert.equal(buffers.users, 1, "armed: the request holds the buffer group");
      await assert.rejects(async () => {
        for await (const _event of stream) assert.fail("no events");
      }, (e: unknown) =>
        e instanceof UringError && e.code === "EOPNOTSUPP" && /has no uring_cmd handler/.test(e.message));
      assert.equal(buffers.users, 0);
    }
  }));

it("UringCmdStream needs a buffer ring of the loop's own ring", noMultishot, () =>
  withLoop((loop) => {
    const other = new Ring(2);
    const foreign = BufferRing.create(other, { bgid: 3, entries: 2, bufferSize: 64 });
    try {
      assert.throws(() => new UringCmdStream(loop, udp(), UNKNOWN_SOCKET_CMD, {
        buffers: foreign,
        unsafeAllowUnknown: true,
      }), refused(/another ring/));
    } finally {
      foreign.close();
      other.close();
    }
    return Promise.resolve();
  }));

// ---- uringCmd: any command as a promise -------------------------------------------------------------------------

it("uringCmd runs a single-shot command and says whether its CQE was 32 bytes", noSocketCmd, () =>
  withLoop(async (loop) => {
    const fd = udp();
    const r = await uringCmd(loop, fd, SOCKET_URING_OP_SIOCINQ);
    assert.deepEqual(r, { res: 0, big: true, extra1: 0n, extra2: 0n });
    await assert.rejects(uringCmd(loop, fd, UNKNOWN_SOCKET_CMD), (e: unknown) =>
      e instanceof UringError && e.code === "EOPNOTSUPP");
    await assert.rejects(uringCmd(loop, fd, 1, { cmdFlags: IORING_URING_CMD_MULTISHOT, sqeFlags: IOSQE_BUFFER_SELECT }),
      refused(/use UringCmdStream/));
    await assert.rejects(uringCmd(loop, fd, 1, { command: new Uint8Array(17) }), refused(/17 bytes/));
  }, { ring: { flags: IORING_SETUP_CQE32 } }));

// ---- Which driver is behind a descriptor ------------------------------------------------------------------------

test("cmdDriver tells sockets, block devices, /dev/null and other files apart", async () => {
  const loop = new Loop();
  try {
    const sock = udp();
    const unix = track(libc().socket(AF_UNIX, SOCK_STREAM, 0));
    const devNull = track(await open(loop, "/dev/null", "r"));
    const devZero = track(await open(loop, "/dev/zero", "r"));
    const [r, w] = pipePair(); // pipe2(2) through libc: IORING_OP_PIPE is Linux 6.16
    track(r);
    track(w);
    assert.equal(cmdDriver(sock), "socket");
    assert.equal(cmdDriver(unix), "socket");
    assert.equal(cmdDriver(devNull), "null");
    assert.equal(cmdDriver(devZero), "other");
    assert.equal(cmdDriver(r), "other");
    if (existsSync("/dev/loop0")) assert.equal(cmdDriver(track(await open(loop, "/dev/loop0", "r"))), "block");
    assert.throws(() => cmdDriver(987654), (e: unknown) => e instanceof UringError && e.code === "EBADF");
  } finally {
    await loop.close();
    closeTracked();
  }
});

test("character devices are classified by number and by their sysfs node name", () => {
  assert.equal(classifyCharDevice(1, 3, "../../devices/virtual/mem/null"), "null");
  assert.equal(classifyCharDevice(10, 229, "../../devices/virtual/misc/fuse"), "fuse");
  assert.equal(classifyCharDevice(240, 0, "../../devices/pci0000:00/0000:00:04.0/nvme/nvme0/ng0n1"), "nvme");
  assert.equal(classifyCharDevice(240, 1, "../../devices/virtual/nvme-subsystem/nvme-subsys0/ng0n12"), "nvme");
  assert.equal(classifyCharDevice(241, 0, "../../devices/pci0000:00/0000:00:04.0/nvme/nvme0"), "nvme");
  assert.equal(classifyCharDevice(10, 125, "../../devices/virtual/misc/nvme-fabrics"), "other");
  assert.equal(classifyCharDevice(1, 5, "../../devices/virtual/mem/zero"), "other");
  // glibc's dev_t: makedev(259, 65536) keeps the high minor bits above the major.
  const dev = 259 * 256 + (65536 & 0xff) + (65536 & ~0xff) * 4096;
  assert.equal(devMajor(dev), 259);
  assert.equal(devMinor(dev), 65536);
});
