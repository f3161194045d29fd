/**
 * provideBuffers and removeBuffers on the real kernel: buffers picked by BUFFER_SELECT reads, and memory kept
 * pinned while the kernel may still write it.
 */
import assert from "node:assert/strict";
import { code, it, makePipe, withLoop, writeText as write } from "../../testing/mod.ts";
import { Loop } from "../loop/loop.ts";
import { NativeMemory } from "../core/memory.ts";
import { PromiseOp } from "../loop/operation.ts";
import type { UringError } from "../core/errors.ts";
import { sqeAddFlags, sqeSetBufGroup } from "../ring/sqe.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { cqeBufferId, cqeHasBuffer } from "../ring/cqe.ts";
import { prepRead } from "../prep/rw.ts";
import { IORING_OP_PROVIDE_BUFFERS, IOSQE_BUFFER_SELECT } from "../abi/uapi.ts";
import { provideBuffers, removeBuffers } from "./mod.ts";

const has = (op: number, name: string, version: string) =>
  !probeOpcodes().isSupported(op) && `${name} needs Linux ${version}`;

/**
 * Four 64-byte buffers provided as `group`, and a BUFFER_SELECT read of the empty pipe `r` waiting in the kernel:
 * resolves to the pool and the read's result ({ res, bid }).
 */
async function providedRead(loop: Loop, r: number, group: number) {
  const pool = NativeMemory.allocate(4 * 64);
  await provideBuffers(loop, pool.bytes, { size: 64, group });
  const read = loop.submit(new PromiseOp("read", (sqe) => {
    prepRead(sqe, r, 0, 64, -1);
    sqeAddFlags(sqe, IOSQE_BUFFER_SELECT);
    sqeSetBufGroup(sqe, group);
  }, { map: (res, flags) => ({ res, bid: cqeHasBuffer(flags) ? cqeBufferId(flags) : -1 }) })).promise;
  return { pool, read };
}

it("provided buffers a request given up on at close may still select stay pinned after the ring closes",
  has(IORING_OP_PROVIDE_BUFFERS, "IORING_OP_PROVIDE_BUFFERS", "5.7"), async () => {
    const loop = new Loop();
    const [r] = makePipe();
    const { pool, read } = await providedRead(loop, r, 5);
    const ended = assert.rejects(read, /closed before the kernel completed it/);
    await new Promise((resolve) => setTimeout(resolve, 10)); // the read waits in the kernel on an empty pipe
    await loop.close(0); // no grace: the read is given up on, as one the kernel could not cancel in time
    await ended;
    assert.equal(loop.leakedOperations, 1);
    assert.ok(pool.isPinned, "the group's memory stays pinned: the read may still pick a buffer");
    assert.throws(() => pool.free(), /the kernel may still use it/);
  });

it("removed provided buffers stay pinned while a request that may have picked one is in flight",
  has(IORING_OP_PROVIDE_BUFFERS, "IORING_OP_PROVIDE_BUFFERS", "5.7"), () =>
    withLoop(async (loop) => {
      const [r, w] = makePipe();
      const { pool, read } = await providedRead(loop, r, 6);
      const settled = read.then((v) => v, (e: UringError) => e.code);
      await new Promise((resolve) => setTimeout(resolve, 10)); // the read waits in the kernel on an empty pipe
      // Linux 6.18 picks the read's buffer when it is issued, so only 3 of 4 are left to remove; either way the
      // group is empty now while the read, a BUFFER_SELECT request of it, is still in flight.
      const removed = await removeBuffers(loop, 6);
      assert.ok(removed === 3 || removed === 4, `removed ${removed}`);
      assert.ok(pool.isPinned, "pinned while the read may hold a buffer of the group");
      write(w, "x");
      const got = await settled;
      if (removed === 3) {
        // It held a buffer all along: the byte landed in the pool, after the group was emptied.
        assert.ok(typeof got === "object" && got.res === 1 && got.bid >= 0, JSON.stringify(got));
        assert.equal(pool.bytes[got.bid * 64], "x".charCodeAt(0));
      } else {
        assert.equal(got, "ENOBUFS");
      }
      assert.ok(!pool.isPinned, "let go once no request of the group is in flight");
      pool.free();
    }));

it("provideBuffers hands a group to the kernel: a BUFFER_SELECT read lands in one; removeBuffers takes the rest",
  has(IORING_OP_PROVIDE_BUFFERS, "IORING_OP_PROVIDE_BUFFERS", "5.7"), () =>
    withLoop(async (loop) => {
      const [r, w] = makePipe();
      const pool = NativeMemory.allocate(4 * 64);
      try {
        await provideBuffers(loop, pool.bytes, { size: 64, group: 3, startId: 10 });
        assert.ok(pool.isPinned, "pinned while the kernel holds buffers");
        write(w, "into a provided buffer");
        const got = await loop.submit(new PromiseOp("read", (sqe) => {
          prepRead(sqe, r, 0, 64, -1);
          sqeAddFlags(sqe, IOSQE_BUFFER_SELECT);
          sqeSetBufGroup(sqe, 3);
        }, { map: (res, flags) => ({ res, buffered: cqeHasBuffer(flags), bid: cqeBufferId(flags) }) })).promise;
        assert.equal(got.res, 22);
        assert.ok(got.buffered);
        assert.ok(got.bid >= 10 && got.bid < 14, `bid ${got.bid}`);
        const at = (got.bid - 10) * 64;
        assert.equal(new TextDecoder().decode(pool.bytes.subarray(at, at + 22)), "into a provided buffer");
        assert.equal(await removeBuffers(loop, 3, 2), 2);
        assert.ok(pool.isPinned, "one buffer is still the kernel's");
        assert.equal(await removeBuffers(loop, 3), 1);
        assert.ok(!pool.isPinned, "the group is empty: unpinned");
        if (kernelVersionAtLeast(5, 19)) {
          assert.equal(await removeBuffers(loop, 3), 0, "an emptied group stays known, with nothing in it");
        } else {
          // Before 5.19's buffer lists the kernel forgot a group once its last buffer was removed.
          await assert.rejects(removeBuffers(loop, 3), code("ENOENT"), "an emptied group is forgotten");
        }
        // A group id of 64 or more: from 5.19 to 6.9 the kernel kept groups 0-63 in an array, always known (empty).
        await assert.rejects(removeBuffers(loop, 400), code("ENOENT"), "a group never provided");
        await assert.rejects(provideBuffers(loop, new Uint8Array(64), { size: 64, group: 1 }), /NativeMemory/);
        await assert.rejects(provideBuffers(loop, pool.bytes, { size: 64, count: 5, group: 1 }), /do not fit/);
      } finally {
        pool.free();
      }
    }));
