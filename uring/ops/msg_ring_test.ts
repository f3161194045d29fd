/**
 * msgRing and msgRingFd on the real kernel: CQEs and descriptors passed to another ring, and the user_data a
 * loop's own operations use refused.
 */
import assert from "node:assert/strict";
import { code, it, makePipe, readText as read, withLoop, writeText as write } from "../../testing/mod.ts";
import { Loop } from "../loop/loop.ts";
import { Ring } from "../ring/ring.ts";
import { NativeMemory } from "../core/memory.ts";
import { PromiseOp } from "../loop/operation.ts";
import { start } from "../loop/start.ts";
import { sqeAddFlags, sqeSetData } from "../ring/sqe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { registerFiles, registerFilesSparse } from "../ring/registered_files.ts";
import { registerSyncMsg } from "../ring/sync_msg.ts";
import { prepRead, prepWrite } from "../prep/rw.ts";
import { IORING_OP_MSG_RING, IOSQE_FIXED_FILE } from "../abi/uapi.ts";
import { msgRing, msgRingFd, nop } from "./mod.ts";

const has = (op: number, name: string, version: string) =>
  !probeOpcodes().isSupported(op) && `${name} needs Linux ${version}`;

/** Waits on a raw ring for `n` CQEs (bounded) and returns them. */
function reapRing(ring: Ring, n: number, tries = 50): { ud: number; res: number; flags: number }[] {
  const out: { ud: number; res: number; flags: number }[] = [];
  for (let i = 0; i < tries && out.length < n; i++) {
    ring.submitAndWait(1, { timeoutNs: 20e6 });
    ring.forEachCqe((ud, res, flags) => out.push({ ud, res, flags }));
  }
  return out;
}

const noMsgRing = has(IORING_OP_MSG_RING, "IORING_OP_MSG_RING", "5.18");

it("msgRing posts a CQE with the given res, user_data and flags on another ring", noMsgRing ||
  (!kernelVersionAtLeast(6, 3) && "IORING_MSG_RING_FLAGS_PASS needs Linux 6.3"), () =>
    withLoop(async (loop) => {
      const target = new Ring(4);
      try {
        await msgRing(loop, target, { res: 42, userData: 2 ** 40 + 3 });
        await msgRing(loop, target.fd, { res: -5, userData: 8, cqeFlags: 0x100 });
        assert.deepEqual(reapRing(target, 2),
          [{ ud: 2 ** 40 + 3, res: 42, flags: 0 }, { ud: 8, res: -5, flags: 0x100 }]);
      } finally {
        target.close();
      }
      // A Loop as target: a message for no operation of it is recognised and dropped as stale (an idle loop
      // reaps it along with the completion of its next operation).
      const other = new Loop();
      try {
        await msgRing(loop, other, { res: 1, userData: 12345 });
        assert.equal(await nop(other), 0);
        assert.equal(other.stats.stale, 1);
      } finally {
        await other.close();
      }
      await assert.rejects(msgRing(loop, 0, { res: 0, userData: 1 }), code("EBADFD"));
    }));

it("a message that would pass for an operation of a loop is refused, and the operation ends as the kernel says",
  noMsgRing, () =>
    withLoop(async (loop) => {
      const [r, w] = makePipe();
      // GC memory: the kernel reads into a chunk of the loop's arena, copied back at the real completion. A forged
      // completion would free that chunk for the next operation while the read still waits in the kernel.
      const buf = new Uint8Array(64);
      const op = start(loop, new PromiseOp<number>("read", (sqe, o) => {
        prepRead(sqe, r, o.kernelAddress(loop, buf, true), 64, -1);
      }), {});
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(op.userData >= 2 ** 24 && op.userData < 2 ** 52, `user_data ${op.userData}`);
      for (const target of [loop, loop.ring, loop.ring.fd]) {
        await assert.rejects(msgRing(loop, target, { res: 7, userData: op.userData }), /range of a Loop's operations/);
      }
      if (kernelVersionAtLeast(6, 13)) {
        assert.throws(() => registerSyncMsg(loop.ring, { userData: op.userData, res: 7 }), /range of a Loop's/);
        assert.throws(() => registerSyncMsg(loop.ring, { userData: BigInt(op.userData), res: 7 }), /range of a Loop's/);
      }
      write(w, "from the pipe");
      assert.equal(await op.promise, 13);
      assert.equal(new TextDecoder().decode(buf.subarray(0, 13)), "from the pipe");
      assert.equal(loop.stats.stale, 0);
      // Below 2^24 a loop counts the message as stale; a plain Ring takes any user_data.
      await msgRing(loop, loop, { res: 1, userData: 2 ** 24 - 1 });
      assert.equal(await nop(loop), 0);
      assert.equal(loop.stats.stale, 1);
    }));

it("msgRingFd passes a direct descriptor into a fixed slot of the target ring, which can write through it",
  noMsgRing, () =>
    withLoop(async (loop) => {
      const [r, w] = makePipe();
      registerFiles(loop.ring, [w]);
      const target = new Ring(4);
      try {
        registerFilesSparse(target, 4);
        assert.equal(await msgRingFd(loop, target, 0, { targetSlot: 2, userData: 99 }), 2);
        const [cqe] = reapRing(target, 1);
        assert.ok(cqe, "the target ring got a CQE");
        assert.equal(cqe.ud, 99);
        assert.equal(cqe.res, 0, "the target's CQE: 0 for a slot given, the slot chosen with ALLOC");
        // The target writes to slot 2 (IOSQE_FIXED_FILE): the bytes come out of our pipe.
        const mem = NativeMemory.allocate(16);
        try {
          mem.bytes.set(new TextEncoder().encode("via slot 2"));
          const sqe = target.getSqe()!;
          prepWrite(sqe, 2, mem.address, 10, 0);
          sqeAddFlags(sqe, IOSQE_FIXED_FILE);
          sqeSetData(sqe, 5);
          assert.deepEqual(reapRing(target, 1), [{ ud: 5, res: 10, flags: 0 }]);
        } finally {
          mem.free();
        }
        assert.equal(read(r), "via slot 2");
        // A free slot is chosen with the default target; skipCqe posts nothing there.
        const slot = await msgRingFd(loop, target, 0, { skipCqe: true });
        assert.ok(slot >= 0 && slot < 4 && slot !== 2);
        assert.deepEqual(reapRing(target, 1, 2), [], "no CQE on the target");
      } finally {
        target.close();
      }
    }));
