import { rawSqe, skipIf, tempDir } from "../../testing/mod.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import process from "node:process";
import { Loop } from "../loop/loop.ts";
import { UringError } from "../core/errors.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { close, fsync, open, read } from "../fs/mod.ts";
import { prepCmdDiscard } from "../prep/cmd.ts";
import { IORING_OP_URING_CMD } from "../abi/uapi.ts";
import { BLKGETSIZE64, BLKSSZGET, blockDeviceInfo, checkDiscard, discard } from "./block.ts";

const MiB = 1 << 20;
const scratch = tempDir("ringside-discard-");

function which(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const noLoopDevices = (process.getuid?.() !== 0 && "attaching a loop device needs root") ||
  (!existsSync("/dev/loop-control") && "no loop devices (/dev/loop-control is missing)") ||
  (!which("losetup") && "losetup is missing (apt-get install mount)") ||
  (!probeOpcodes().isSupported(IORING_OP_URING_CMD) && "IORING_OP_URING_CMD needs Linux 5.19") ||
  (!kernelVersionAtLeast(6, 12) && "BLOCK_URING_CMD_DISCARD needs Linux 6.12");

/**
 * An 8 MiB file of 0xAA attached to a free loop device for the duration of `fn`; the device is detached and the
 * file removed afterwards, also when `fn` fails.
 */
async function withLoopDevice(fn: (loop: Loop, dev: string, file: string) => Promise<void>): Promise<void> {
  const file = scratch.path("backing");
  writeFileSync(file, new Uint8Array(8 * MiB).fill(0xaa));
  let dev: string | undefined;
  const loop = new Loop();
  try {
    dev = execFileSync("losetup", ["--find", "--show", file], { encoding: "utf8" }).trim();
    assert.match(dev, /^\/dev\/loop\d+$/);
    await fn(loop, dev, file);
    assert.equal(loop.stats.inFlight, 0);
  } finally {
    await loop.close();
    if (dev) execFileSync("losetup", ["-d", dev]);
    rmSync(file, { force: true });
  }
}

const refused = (pattern: RegExp) => (e: unknown) =>
  e instanceof UringError && e.code === "ERINGSIDE" && pattern.test(e.message);

/** Runs a discard SQE on a private ring, going around ringside's checks. */
function rawDiscard(fd: number, offset: number, length: number): number {
  return rawSqe((sqe) => prepCmdDiscard(sqe, fd, offset, length), 0, 5_000_000_000);
}

test("the block ioctl numbers are the kernel's", () => {
  assert.equal(BLKSSZGET, 0x1268, "_IO(0x12, 104)");
  assert.equal(BLKGETSIZE64, 0x80081272, "_IOR(0x12, 114, size_t)");
});

test("discard refuses what is not a block device, and bad numbers, before the kernel", async () => {
  const loop = new Loop();
  try {
    const path = scratch.path("plain");
    writeFileSync(path, new Uint8Array(4096));
    const fd = await open(loop, path, "r+");
    try {
      const started = loop.stats.started;
      await assert.rejects(discard(loop, fd, 0, 4096), (e: unknown) =>
        e instanceof UringError && e.code === "ENOTTY" && /is not a block device/.test(e.message));
      await assert.rejects(discard(loop, fd, -512, 512), refused(/offset must be an integer/));
      await assert.rejects(discard(loop, fd, 0.5, 512), refused(/offset must be an integer/));
      await assert.rejects(discard(loop, fd, 0, 0), refused(/length is 0/));
      assert.equal(loop.stats.started, started, "nothing was submitted");
    } finally {
      await close(loop, fd);
    }
  } finally {
    await loop.close();
  }
});

const effectName = "discard of 1 MiB on a loop device reads back as zeros, keeps the bytes around it, and punches a " +
  "hole in the backing file";
test(effectName, skipIf(noLoopDevices, effectName), () =>
  withLoopDevice(async (loop, dev, file) => {
    const fd = await open(loop, dev, "r+");
    try {
      const info = blockDeviceInfo(fd);
      assert.equal(info.size, 8 * MiB);
      assert.equal(info.logicalBlockSize, 512);
      assert.ok(info.writable);
      const blocksBefore = statSync(file).blocks;

      await discard(loop, fd, 3 * MiB, MiB);
      await fsync(loop, fd);

      const buf = new Uint8Array(3 * MiB);
      let got = 0;
      while (got < buf.length) {
        const n = await read(loop, fd, buf.subarray(got), 2 * MiB + got);
        assert.ok(n > 0);
        got += n;
      }
      const runOf = (from: number, to: number, value: number) => buf.subarray(from, to).every((b) => b === value);
      assert.ok(runOf(0, MiB, 0xaa), "the MiB before the range is intact");
      assert.ok(runOf(MiB, 2 * MiB, 0), "the discarded MiB reads as zeros");
      assert.ok(runOf(2 * MiB, 3 * MiB, 0xaa), "the MiB after the range is intact");

      const blocksAfter = statSync(file).blocks;
      assert.ok(blocksBefore - blocksAfter >= MiB / 512,
        `the backing file lost a MiB of blocks: ${blocksBefore} -> ${blocksAfter} (512-byte units)`);
    } finally {
      await close(loop, fd);
    }
  }));

const checksName = "discard's checks match the kernel: misaligned, past the end and read-only are refused, and the " +
  "kernel answers EINVAL and EBADF";
test(checksName, skipIf(noLoopDevices, checksName), () =>
  withLoopDevice(async (loop, dev) => {
    const rw = await open(loop, dev, "r+");
    const ro = await open(loop, dev, "r");
    try {
      const started = loop.stats.started;
      await assert.rejects(discard(loop, rw, 100, 4096), refused(/multiples of the device's logical block size \(512/));
      await assert.rejects(discard(loop, rw, 0, 1000), refused(/multiples/));
      await assert.rejects(discard(loop, rw, 7 * MiB, 2 * MiB), refused(/passes the end of the device/));
      await assert.rejects(discard(loop, ro, 0, 4096), refused(/read-only/));
      assert.equal(loop.stats.started, started, "nothing was submitted");

      // Around ringside: what the kernel says to the same requests.
      assert.equal(rawDiscard(rw, 100, 4096), -22, "misaligned: EINVAL");
      assert.equal(rawDiscard(rw, 0, 0), -22, "empty: EINVAL");
      assert.equal(rawDiscard(rw, 7 * MiB, 2 * MiB), -22, "past the end: EINVAL");
      assert.equal(rawDiscard(ro, 0, 4096), -9, "read-only descriptor: EBADF");
      // And an aligned range passes both.
      assert.doesNotThrow(() => checkDiscard(rw, 0, 512));
      assert.equal(rawDiscard(rw, 0, 512), 0);
    } finally {
      await close(loop, rw);
      await close(loop, ro);
    }
  }));
