/**
 * The registered file table from inside the ring: filesUpdate, filesUpdateAlloc and fixedFdInstall on the real
 * kernel, checked by reading through the slots and descriptors they make.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { registerFiles, registerFilesSparse } from "../ring/registered_files.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { nop } from "../ops/mod.ts";
import { IORING_OP_FIXED_FD_INSTALL } from "../abi/uapi.ts";
import {
  code,
  it,
  makePipe as trackedPipe,
  readText,
  skipIf,
  tempDir,
  track,
  withLoop,
  writeText,
} from "../../testing/mod.ts";
import {
  AT_FDCWD,
  close,
  closeDirect,
  filesUpdate,
  filesUpdateAlloc,
  fixedFdInstall,
  O_RDONLY,
  open,
  openatDirect,
  read,
} from "./mod.ts";

const { file: tmpPath } = tempDir("ringside-table-");

const dec = new TextDecoder();

const hasInstall = probeOpcodes().isSupported(IORING_OP_FIXED_FD_INSTALL) ||
  "IORING_OP_FIXED_FD_INSTALL needs Linux 6.8";

const installName = "fixedFdInstall turns a direct descriptor into a normal one that reads the same file";
test(installName, skipIf(hasInstall !== true && hasInstall, installName), () =>
  withLoop(async (loop) => {
    registerFilesSparse(loop.ring, 4);
    const path = tmpPath("installed");
    const slot = await openatDirect(loop, AT_FDCWD, path, O_RDONLY, 0, 1);
    const fd = await fixedFdInstall(loop, slot);
    const buf = new Uint8Array(9);
    assert.equal(await read(loop, fd, buf, 0), 9);
    assert.equal(dec.decode(buf), "installed");
    await close(loop, fd);
    await closeDirect(loop, slot);
  }));

test("filesUpdate fills slots of the registered table from inside the ring", () =>
  withLoop(async (loop) => {
    // A table of empty slots (-1 each) works on every kernel; sparse registration needs 5.19.
    registerFiles(loop.ring, new Array(8).fill(-1));
    const a = tmpPath("AAAA");
    const b = tmpPath("BBBB");
    const fa = await open(loop, a);
    const fb = await open(loop, b);
    try {
      assert.equal(await filesUpdate(loop, 2, [fa, fb]), 2);
      const buf = new Uint8Array(4);
      await read(loop, 3, buf, 0, { fixed: true });
      assert.equal(dec.decode(buf), "BBBB");
      await read(loop, 2, buf, 0, { fixed: true });
      assert.equal(dec.decode(buf), "AAAA");
      assert.equal(await filesUpdate(loop, 2, [-1]), 1);
      await assert.rejects(read(loop, 2, buf, 0, { fixed: true }), { code: "EBADF" });
    } finally {
      await close(loop, fa);
      await close(loop, fb);
    }
  }));

it("filesUpdateAlloc puts descriptors in free slots the kernel picks",
  !kernelVersionAtLeast(5, 19) && "IORING_FILE_INDEX_ALLOC needs Linux 5.19", () =>
    withLoop(async (loop) => {
      registerFilesSparse(loop.ring, 8);
      const fa = await open(loop, tmpPath("AAAA"));
      try {
        assert.equal(await filesUpdate(loop, 2, [fa, fa]), 2);
        const slots = await filesUpdateAlloc(loop, [fa]);
        assert.equal(slots.length, 1);
        const [slot] = slots;
        assert.ok(slot !== undefined && slot !== 2 && slot !== 3 && slot < 8, `allocated ${slot}`);
        const buf = new Uint8Array(4);
        await read(loop, slot, buf, 0, { fixed: true });
        assert.equal(dec.decode(buf), "AAAA");
      } finally {
        await close(loop, fa);
      }
    }));

it("fixedFdInstall turns a registered slot into a descriptor; filesUpdate fills, empties and allocates slots",
  (hasInstall !== true && hasInstall) ||
    (!kernelVersionAtLeast(6, 13) && "IORING_NOP_FILE (used to probe slots) needs Linux 6.13"), () =>
    withLoop(async (loop) => {
      const [r, w] = trackedPipe();
      registerFilesSparse(loop.ring, 4);
      assert.equal(await filesUpdate(loop, 1, [w]), 1);
      assert.equal(await nop(loop, { fd: 1, fixedFile: true }), 0, "slot 1 holds the pipe");
      await assert.rejects(nop(loop, { fd: 0, fixedFile: true }), code("EBADF"), "slot 0 is empty");
      const fd = track(await fixedFdInstall(loop, 1));
      assert.notEqual(fd, w);
      writeText(fd, "installed");
      assert.equal(readText(r), "installed");
      assert.equal(await filesUpdate(loop, 1, [-1]), 1);
      await assert.rejects(nop(loop, { fd: 1, fixedFile: true }), code("EBADF"), "slot 1 emptied");
      const [slot] = await filesUpdateAlloc(loop, [r]);
      assert.ok(slot !== undefined && slot >= 0 && slot < 4);
      assert.equal(await nop(loop, { fd: slot, fixedFile: true }), 0);
      await assert.rejects(fixedFdInstall(loop, 3), code("EBADF"));
    }));
