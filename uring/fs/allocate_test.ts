/**
 * fallocate and ftruncate on the real kernel, checked by the size and blocks node:fs reports and the bytes read
 * back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_FTRUNCATE } from "../abi/uapi.ts";
import { skipIf, tempDir, withLoop } from "../../testing/mod.ts";
import {
  close,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  fallocate,
  fsync,
  ftruncate,
  O_RDONLY,
  O_RDWR,
  open,
  write,
} from "./mod.ts";

const { file: tmpPath } = tempDir("ringside-alloc-");

const enc = new TextEncoder();

const noFtruncate = !probeOpcodes().isSupported(IORING_OP_FTRUNCATE) && "IORING_OP_FTRUNCATE needs Linux 6.9";

test("fallocate grows the file and allocates blocks; FALLOC_FL_PUNCH_HOLE frees them and reads as zeros", () =>
  withLoop(async (loop) => {
    const p = tmpPath();
    const fd = await open(loop, p, "w+");
    try {
      const MiB = 1 << 20;
      await fallocate(loop, fd, 0, 0, MiB);
      let st = statSync(p);
      assert.equal(st.size, MiB);
      assert.ok(st.blocks * 512 >= MiB, `${st.blocks} blocks allocated`);
      await fallocate(loop, fd, FALLOC_FL_KEEP_SIZE, MiB, MiB);
      st = statSync(p);
      assert.equal(st.size, MiB, "KEEP_SIZE allocates past the end without growing");
      assert.ok(st.blocks * 512 >= 2 * MiB);

      await write(loop, fd, new Uint8Array(MiB).fill(0xab), 0);
      await fsync(loop, fd);
      const before = statSync(p).blocks;
      await fallocate(loop, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 65536, 256 * 1024);
      st = statSync(p);
      assert.equal(st.size, MiB);
      assert.ok(st.blocks <= before - (256 * 1024) / 512, `blocks ${before} -> ${st.blocks}`);
      const data = readFileSync(p);
      assert.ok(data.subarray(65536, 65536 + 256 * 1024).every((b) => b === 0), "the hole reads as zeros");
      assert.ok(data.subarray(0, 65536).every((b) => b === 0xab));
      assert.ok(data.subarray(65536 + 256 * 1024).every((b) => b === 0xab));
      await assert.rejects(fallocate(loop, fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), { code: "EOPNOTSUPP" },
        "PUNCH_HOLE without KEEP_SIZE");
    } finally {
      await close(loop, fd);
    }
  }));

test("ftruncate shortens and extends a file", skipIf(noFtruncate, "ftruncate"), () =>
  withLoop(async (loop) => {
    const p = tmpPath("0123456789");
    const fd = await open(loop, p, O_RDWR);
    try {
      await ftruncate(loop, fd, 4);
      assert.equal(readFileSync(p, "utf8"), "0123");
      await ftruncate(loop, fd, 8);
      assert.deepEqual([...readFileSync(p)], [...enc.encode("0123"), 0, 0, 0, 0]);
      const ro = await open(loop, p, O_RDONLY);
      await assert.rejects(ftruncate(loop, ro, 0), { code: "EINVAL" }, "a read-only descriptor");
      await close(loop, ro);
    } finally {
      await close(loop, fd);
    }
  }));
