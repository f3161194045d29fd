/**
 * futexWait, futexWake and futexWaitv on the real kernel (Linux 6.7).
 */
import assert from "node:assert/strict";
import { code, it, withLoop } from "../../testing/mod.ts";
import { NativeMemory } from "../core/memory.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_FUTEX_WAIT } from "../abi/uapi.ts";
import { futexWait, futexWaitv, futexWake } from "./mod.ts";

const has = (op: number, name: string, version: string) =>
  !probeOpcodes().isSupported(op) && `${name} needs Linux ${version}`;

const noFutex = has(IORING_OP_FUTEX_WAIT, "IORING_OP_FUTEX_*", "6.7");

it("futexWait sleeps until futexWake; a stale value rejects with EAGAIN; masks select waiters", noFutex, () =>
  withLoop(async (loop) => {
    const mem = NativeMemory.allocate(64);
    try {
      const word = new Uint32Array(mem.buffer, 0, 1);
      let woke = false;
      const waiting = futexWait(loop, word, 0).then(() => (woke = true));
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(woke, false);
      assert.ok(mem.isPinned, "the word is pinned while the kernel watches it");
      word[0] = 1;
      assert.equal(await futexWake(loop, word), 1);
      await waiting;
      assert.equal(await futexWake(loop, word), 0, "nobody left");
      await assert.rejects(futexWait(loop, word, 0), code("EAGAIN"));

      // A wake whose bitset shares no bit with the waiter's does not wake it.
      const masked = futexWait(loop, word, 1, { mask: 0b01 });
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(await futexWake(loop, word, 1, { mask: 0b10 }), 0);
      assert.equal(await futexWake(loop, word, 1, { mask: 0b11 }), 1);
      await masked;

      await assert.rejects(futexWait(loop, new Uint32Array(1), 0), /must lie in NativeMemory/);
      assert.ok(!mem.isPinned);
    } finally {
      mem.free();
    }
  }));

it("futexWaitv waits on several words and resolves to the index of the one woken", noFutex, () =>
  withLoop(async (loop) => {
    const mem = NativeMemory.allocate(64);
    try {
      const a = new Uint32Array(mem.buffer, 0, 1);
      const b = new Int32Array(mem.buffer, 8, 1);
      b[0] = 7;
      const waiting = futexWaitv(loop, [{ word: a, expected: 0 }, { word: b, expected: 7 }]);
      await new Promise((r) => setTimeout(r, 5));
      b[0] = 8;
      assert.equal(await futexWake(loop, b), 1);
      assert.equal(await waiting, 1);
      await assert.rejects(futexWaitv(loop, [{ word: a, expected: 0 }, { word: b, expected: 7 }]), code("EAGAIN"));
    } finally {
      mem.free();
    }
  }));
