/**
 * A rejected operation's error made where the CQE is reaped carries, on request, the stack of the code that
 * started the operation.
 */
import assert from "node:assert/strict";
import { forEachBackend } from "../../testing/mod.ts";
import { read } from "../fs/read_write.ts";
import type { Loop } from "./loop.ts";

async function readFromAClosedDescriptorInANamedFunction(loop: Loop): Promise<Error> {
  try {
    await read(loop, 987654, new Uint8Array(8));
  } catch (e) {
    return e as Error;
  }
  throw new Error("the read of a closed descriptor succeeded");
}

forEachBackend((b) => {
  b.test("with callerStacks, a rejected operation's stack names the function that started it", async () => {
    await b.withLoop(async (loop) => {
      const e = await readFromAClosedDescriptorInANamedFunction(loop);
      assert.match(e.message, /EBADF/);
      assert.match(e.stack ?? "", /readFromAClosedDescriptorInANamedFunction/);
    }, { callerStacks: true });
  });

  b.test("without it (the default), the error is the kernel's answer alone and costs nothing to start", async () => {
    await b.withLoop(async (loop) => {
      assert.equal(loop.callerStacks, false);
      const e = await readFromAClosedDescriptorInANamedFunction(loop);
      assert.match(e.message, /EBADF/);
      assert.doesNotMatch(e.stack ?? "", /readFromAClosedDescriptorInANamedFunction/);
    });
  });
});
