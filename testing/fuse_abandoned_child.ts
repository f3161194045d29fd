/**
 * Test support, not part of the library: a test file that testing/fuse_test.ts runs under the runtime's own test
 * runner. Its one test mounts a filesystem with `withFuseMount` and outlives its 500 ms timeout, so the runner
 * abandons it: the run ends without the test's `finally`, as when a mounting test exceeds Bun's default 5 s. What
 * testing/fuse.ts does at exit must unmount it anyway.
 *
 *   bun test ./testing/fuse_abandoned_child.ts   |   deno test -A testing/fuse_abandoned_child.ts
 *
 * @module
 */
import { test } from "node:test";
import { withFuseMount } from "./fuse.ts";

test("a mounting test the runner abandons", { timeout: 500 }, async () => {
  await withFuseMount(undefined, {}, { transport: "classic" }, async (_server, dir) => {
    console.log(`mounted ${dir}`);
    // Never settles, and holds nothing that keeps the process alive.
    await new Promise(() => {});
  });
});
