/**
 * fadvise and madvise on the real kernel: the advice is taken, the kernel's errors come back by name, and madvise
 * refuses what could reach beyond the caller's memory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { libc } from "../../ffi/mod.ts";
import { NativeMemory, pageSize } from "../core/memory.ts";
import { pipePair as makePipe, tempDir, withLoop } from "../../testing/mod.ts";
import {
  close,
  fadvise,
  madvise,
  MADV_DONTNEED,
  MADV_WILLNEED,
  open,
  POSIX_FADV_DONTNEED,
  POSIX_FADV_SEQUENTIAL,
  POSIX_FADV_WILLNEED,
  read,
} from "./mod.ts";

const { file: tmpPath } = tempDir("ringside-advise-");

/** A refusal by ringside before the kernel. */
const refused = { name: "UringError", code: "ERINGSIDE" };

test("fadvise accepts advice for a file range and the kernel's EINVAL/ESPIPE come back by name", () =>
  withLoop(async (loop) => {
    const p = tmpPath(randomBytes(200_000));
    const fd = await open(loop, p);
    const [r, w] = makePipe();
    try {
      await fadvise(loop, fd, 0, 0, POSIX_FADV_SEQUENTIAL);
      await fadvise(loop, fd, 0, 100_000, POSIX_FADV_WILLNEED);
      await fadvise(loop, fd, 0, 0, POSIX_FADV_DONTNEED);
      await fadvise(loop, fd, 0, 2 ** 33, POSIX_FADV_DONTNEED); // a 64-bit length
      // The data is still the file's after the page cache was dropped.
      const buf = new Uint8Array(16);
      await read(loop, fd, buf, 0);
      assert.deepEqual(Buffer.from(buf), readFileSync(p).subarray(0, 16));
      await assert.rejects(fadvise(loop, fd, 0, 0, 99), { code: "EINVAL" });
      await assert.rejects(fadvise(loop, r, 0, 0, POSIX_FADV_SEQUENTIAL), { code: "ESPIPE" });
    } finally {
      await close(loop, fd);
      libc().close(r);
      libc().close(w);
    }
  }));

test("madvise MADV_DONTNEED on native memory makes the range read as zeros; GC memory is refused", () =>
  withLoop(async (loop) => {
    const page = pageSize();
    const mem = NativeMemory.allocate(4 * page);
    try {
      mem.bytes.fill(7);
      await madvise(loop, mem.bytes.subarray(page, 3 * page), MADV_DONTNEED);
      assert.ok(mem.bytes.subarray(0, page).every((b) => b === 7), "the page before is untouched");
      assert.ok(mem.bytes.subarray(page, 3 * page).every((b) => b === 0), "the advised pages read as zeros");
      assert.ok(mem.bytes.subarray(3 * page).every((b) => b === 7), "the page after is untouched");
      await madvise(loop, mem.bytes, MADV_WILLNEED);
      assert.ok(!mem.isPinned);
      await assert.rejects(madvise(loop, new Uint8Array(page), MADV_DONTNEED), refused);
      await assert.rejects(madvise(loop, mem.bytes.subarray(1), MADV_DONTNEED), /whole pages/);
      // The kernel would round a partial page up and zero bytes the caller did not give (here 1..page-1).
      mem.bytes.fill(7);
      await assert.rejects(madvise(loop, mem.bytes.subarray(0, 1), MADV_DONTNEED), /whole pages/);
      assert.ok(mem.bytes.subarray(0, page).every((b) => b === 7), "nothing beyond the view was touched");
      // Only harmless advice: MADV_HWPOISON (100), MADV_REMOVE (9) and the like are refused before the kernel.
      for (const advice of [12345, 9, 100]) {
        await assert.rejects(madvise(loop, mem.bytes, advice), /advice must be/);
      }
      // Memory the kernel holds keeps its pages.
      mem.pin();
      await assert.rejects(madvise(loop, mem.bytes, MADV_DONTNEED), /the kernel holds this memory/);
      mem.unpin();
    } finally {
      mem.free();
    }
  }));
