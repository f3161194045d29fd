/**
 * nop and its flags (inject a result, look up a file or buffer, complete through task work) on the real kernel.
 */
import assert from "node:assert/strict";
import { libc } from "../../ffi/mod.ts";
import { code, it, makePipe, withLoop } from "../../testing/mod.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { registerFiles } from "../ring/registered_files.ts";
import { nop } from "./mod.ts";

const since = (major: number, minor: number, what: string) =>
  !kernelVersionAtLeast(major, minor) && `${what} needs Linux ${major}.${minor}`;

it("nop resolves 0; IORING_NOP_INJECT_RESULT sets the result, a negative one rejects with its errno",
  since(6, 10, "IORING_NOP_INJECT_RESULT"), () =>
    withLoop(async (loop) => {
      assert.equal(await nop(loop), 0);
      assert.equal(await nop(loop, { result: 42 }), 42);
      await assert.rejects(nop(loop, { result: -11 }), code("EAGAIN"));
      await assert.rejects(nop(loop, { result: -4096 }), /result must be an int/);
    }));

it("nop with IORING_NOP_FILE checks the descriptor: EBADF once closed, and in the registered table with FIXED_FILE",
  since(6, 13, "IORING_NOP_FILE"), () =>
    withLoop(async (loop) => {
      const [r, w] = makePipe();
      assert.equal(await nop(loop, { fd: r }), 0);
      const spare = new Int32Array(2);
      libc().pipe2(spare, 0x80000);
      libc().close(spare[0]);
      libc().close(spare[1]);
      await assert.rejects(nop(loop, { fd: spare[0]! }), code("EBADF"));
      registerFiles(loop.ring, [w, -1]);
      assert.equal(await nop(loop, { fd: 0, fixedFile: true }), 0);
      await assert.rejects(nop(loop, { fd: 1, fixedFile: true }), code("EBADF"));
      await assert.rejects(nop(loop, { bufIndex: 0 }), code("EFAULT"));
      // buf_index is 16 bits: 65536 would have named buffer 0.
      await assert.rejects(nop(loop, { bufIndex: 65536 }), /bufIndex must be 0 to 65535/);
    }));

it("nop with IORING_NOP_TW completes through task work, result injected all the same",
  since(6, 17, "IORING_NOP_TW"), () =>
    withLoop(async (loop) => {
      assert.equal(await nop(loop, { taskWork: true }), 0);
      assert.equal(await nop(loop, { taskWork: true, result: 9 }), 9);
    }));
