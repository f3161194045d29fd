import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as ringside from "../mod.ts";

test("mod.ts exports the public API and its example runs", async () => {
  for (const name of ["Ring", "Loop", "NativeMemory", "BufferRing", "RecvStream", "AcceptStream", "prepNop", "read"]) {
    assert.ok(name in ringside, `${name} is exported`);
  }
  const loop = new ringside.Loop();
  try {
    const fd = await ringside.open(loop, "/etc/hostname");
    const buf = new Uint8Array(256);
    const n = await ringside.read(loop, fd, buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n)), readFileSync("/etc/hostname", "utf8").slice(0, 256));
    await ringside.close(loop, fd);
  } finally {
    await loop.close();
  }
});
