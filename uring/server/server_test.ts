import { test } from "node:test";
import assert from "node:assert/strict";
import { Loop } from "../loop/loop.ts";
import { serve } from "./server.ts";

test("serve refuses a queue limit that is not a positive integer before it listens", async () => {
  const loop = new Loop();
  try {
    await assert.rejects(serve(loop, { port: 0, host: "127.0.0.1", maxQueued: 0 }, async () => {}), /maxQueued/);
    assert.equal(loop.stats.started, 0);
  } finally {
    await loop.close();
  }
});
