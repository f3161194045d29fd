/**
 * splice and tee on the real kernel, checked by the bytes that arrive.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { libc } from "../../ffi/mod.ts";
import { pipePair as makePipe, tempDir, withLoop } from "../../testing/mod.ts";
import { close, open, read, splice, tee } from "./mod.ts";

const { file: tmpPath } = tempDir("ringside-splice-");

const enc = new TextEncoder();
const dec = new TextDecoder();

test("splice moves file bytes into a pipe and from the pipe into another file", () =>
  withLoop(async (loop) => {
    const data = randomBytes(40_000);
    const src = tmpPath(data);
    const dst = tmpPath();
    const [r, w] = makePipe();
    const fin = await open(loop, src);
    const fout = await open(loop, dst, "w");
    try {
      let moved = 0;
      while (moved < data.length) {
        const n = await splice(loop, fin, moved, w, -1, Math.min(16384, data.length - moved));
        assert.ok(n > 0);
        let out = 0;
        while (out < n) out += await splice(loop, r, -1, fout, moved + out, n - out);
        moved += n;
      }
      assert.equal(await splice(loop, fin, data.length, w, -1, 100), 0, "end of file");
      assert.deepEqual(readFileSync(dst), data);
      await assert.rejects(splice(loop, fin, 0, fout, 0, 10), { code: "EINVAL" }, "neither end is a pipe");
    } finally {
      await close(loop, fin);
      await close(loop, fout);
      libc().close(r);
      libc().close(w);
    }
  }));

test("tee duplicates pipe contents into a second pipe without consuming them", () =>
  withLoop(async (loop) => {
    const [ar, aw] = makePipe();
    const [br, bw] = makePipe();
    try {
      const payload = enc.encode("duplicate me");
      assert.equal(libc().write(aw, payload, payload.length), payload.length);
      assert.equal(await tee(loop, ar, bw, 4096), payload.length);
      const a = new Uint8Array(64), b = new Uint8Array(64);
      assert.equal(await read(loop, ar, a), payload.length, "the source still holds the bytes");
      assert.equal(await read(loop, br, b), payload.length);
      assert.equal(dec.decode(a.subarray(0, payload.length)), "duplicate me");
      assert.equal(dec.decode(b.subarray(0, payload.length)), "duplicate me");
    } finally {
      for (const fd of [ar, aw, br, bw]) libc().close(fd);
    }
  }));
