/**
 * pipe and pipeDirect on the real kernel (Linux 6.16), checked by the bytes that go through them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { registerFilesSparse } from "../ring/registered_files.ts";
import { S_IFIFO, S_IFMT } from "../abi/structs.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_PIPE } from "../abi/uapi.ts";
import { it, readText, skipIf, tempDir, track, withLoop, writeText } from "../../testing/mod.ts";
import { close, closeDirect, fixedFdInstall, fstat, open, pipe, pipeDirect, read, splice, write } from "./mod.ts";

const { file: tmpPath } = tempDir("ringside-pipe-");

const enc = new TextEncoder();
const dec = new TextDecoder();

const noPipe = !probeOpcodes().isSupported(IORING_OP_PIPE) && "IORING_OP_PIPE needs Linux 6.16";

test("pipe creates a connected pair of descriptors", skipIf(noPipe, "pipe"), () =>
  withLoop(async (loop) => {
    const [r, w] = await pipe(loop);
    assert.ok(r >= 0 && w >= 0 && r !== w, `fds ${r}, ${w}`);
    try {
      await write(loop, w, enc.encode("through the pipe"));
      const buf = new Uint8Array(32);
      const n = await read(loop, r, buf);
      assert.equal(dec.decode(buf.subarray(0, n)), "through the pipe");
      assert.equal((await fstat(loop, r)).mode & S_IFMT, S_IFIFO, "a FIFO");
    } finally {
      await close(loop, r);
      await close(loop, w);
    }
  }));

test("pipeDirect makes a pipe of direct descriptors; splice reads from one with fixedIn", skipIf(noPipe, "pipeDirect"), () =>
  withLoop(async (loop) => {
    registerFilesSparse(loop.ring, 8);
    const [r, w] = await pipeDirect(loop);
    assert.ok(r >= 0 && r < 8 && w >= 0 && w < 8 && r !== w, `slots ${r}, ${w}`);
    const dst = tmpPath();
    const fd = await open(loop, dst, "w");
    try {
      assert.equal(await write(loop, w, enc.encode("direct pipe"), -1, { fixed: true }), 11);
      assert.equal(await splice(loop, r, -1, fd, 0, 64, 0, { fixedIn: true }), 11);
      assert.equal(readFileSync(dst, "utf8"), "direct pipe");
      await write(loop, w, enc.encode("again"), -1, { fixed: true });
      const buf = new Uint8Array(8);
      assert.equal(await read(loop, r, buf, -1, { fixed: true }), 5);
      assert.equal(dec.decode(buf.subarray(0, 5)), "again");
    } finally {
      await close(loop, fd);
      await closeDirect(loop, r);
      await closeDirect(loop, w);
    }
  }));

it("pipe makes a working pipe; pipeDirect makes one in the file table, installed back with fixedFdInstall",
  noPipe, () =>
    withLoop(async (loop) => {
      const [r, w] = await pipe(loop);
      track(r);
      track(w);
      writeText(w, "piped");
      assert.equal(readText(r), "piped");

      registerFilesSparse(loop.ring, 8);
      const [dr, dw] = await pipeDirect(loop);
      assert.ok(dr >= 0 && dr < 8 && dw >= 0 && dw < 8 && dr !== dw);
      assert.deepEqual(await pipeDirect(loop, 0, 4), [4, 5]);
      const rfd = track(await fixedFdInstall(loop, dr));
      const wfd = track(await fixedFdInstall(loop, dw));
      writeText(wfd, "direct");
      assert.equal(readText(rfd), "direct");
    }));
