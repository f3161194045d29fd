import { test } from "node:test";
import { code, makePipe, readText as read, track, withLoop, writeText as write } from "../../testing/fixtures.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { backend } from "../../ffi/mod.ts";
import { skipIf } from "../../testing/skip.ts";
import { Loop } from "../loop/loop.ts";
import { Ring } from "../ring/ring.ts";
import { NativeMemory } from "../core/memory.ts";
import { PromiseOp } from "../loop/operation.ts";
import type { UringError } from "../core/errors.ts";
import { sqeSetBufGroup, sqeSetData } from "../ring/sqe.ts";
import { kernelVersionAtLeast, probeOpcodes } from "../ring/probe.ts";
import { registerFiles, registerFilesSparse, registerSyncMsg } from "../ring/register.ts";
import { prepRead, prepWrite } from "../prep/rw.ts";
import { cqeBufferId, cqeHasBuffer } from "../ring/cqe.ts";
import {
  IORING_OP_FIXED_FD_INSTALL,
  IORING_OP_FUTEX_WAIT,
  IORING_OP_MSG_RING,
  IORING_OP_PIPE,
  IORING_OP_PROVIDE_BUFFERS,
  IORING_OP_WAITID,
  IOSQE_BUFFER_SELECT,
  IOSQE_FIXED_FILE,
} from "../abi/uapi.ts";
import {
  CLD_EXITED,
  CLD_STOPPED,
  futexWait,
  futexWaitv,
  futexWake,
  msgRing,
  msgRingFd,
  nop,
  P_PID,
  provideBuffers,
  removeBuffers,
  start,
  waitid,
  WEXITED,
  WNOHANG,
  WNOWAIT,
  WSTOPPED,
} from "./ops.ts";
import { filesUpdate, filesUpdateAlloc, fixedFdInstall, pipe, pipeDirect } from "../fs/fs.ts";

// ---- Fixtures ---------------------------------------------------------------------------------------------------

function it(name: string, reason: string | false, fn: () => void | Promise<void>): void {
  test(name, skipIf(reason, name), fn);
}

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

// ---- MSG_RING -------------------------------------------------------------------------------------------------

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

/**
 * Four 64-byte buffers provided as `group`, and a BUFFER_SELECT read of the empty pipe `r` waiting in the kernel:
 * resolves to the pool and the read's result ({ res, bid }).
 */
async function providedRead(loop: Loop, r: number, group: number) {
  const pool = NativeMemory.allocate(4 * 64);
  await provideBuffers(loop, pool.bytes, { size: 64, group });
  const read = loop.submit(new PromiseOp("read", (sqe) => {
    prepRead(sqe, r, 0, 64, -1);
    sqe.u8[1] |= IOSQE_BUFFER_SELECT;
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
        assert.equal(cqe.ud, 99);
        assert.equal(cqe.res, 0, "the target's CQE: 0 for a slot given, the slot chosen with ALLOC");
        // The target writes to slot 2 (IOSQE_FIXED_FILE): the bytes come out of our pipe.
        const mem = NativeMemory.allocate(16);
        try {
          mem.bytes.set(new TextEncoder().encode("via slot 2"));
          const sqe = target.getSqe()!;
          prepWrite(sqe, 2, mem.address, 10, 0);
          sqe.u8[1] |= IOSQE_FIXED_FILE;
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

// ---- Futex ----------------------------------------------------------------------------------------------------

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

// ---- waitid ---------------------------------------------------------------------------------------------------

const noWaitid = has(IORING_OP_WAITID, "IORING_OP_WAITID", "6.7");

it("waitid P_PID reports a child's exit as a parsed siginfo; WNOHANG gives null while it runs; ECHILD for a stranger",
  noWaitid, () =>
    withLoop(async (loop) => {
      const child = spawn("sleep", ["0.1"], { stdio: "ignore" });
      const exited = new Promise((r) => child.once("exit", r));
      const pid = child.pid!;
      // WNOWAIT leaves the zombie for the runtime, which reaps its own children.
      assert.equal(await waitid(loop, P_PID, pid, WEXITED | WNOHANG | WNOWAIT), null, "still running");
      const t0 = performance.now();
      const info = await waitid(loop, P_PID, pid, WEXITED | WNOWAIT, { timeoutMs: 5000 });
      assert.ok(performance.now() - t0 >= 50, "it waited for the exit");
      assert.deepEqual(info, { signo: 17, code: CLD_EXITED, pid, uid: info!.uid, status: 0 });
      assert.equal(await exited, 0, "the runtime still sees the exit");
      await assert.rejects(waitid(loop, P_PID, 1, WEXITED), code("ECHILD"));
    }));

// Deno's child_process reports a stopped child as exited (signal SIGSTOP) and may consume the stop notification
// itself, so neither our wait nor a later kill is reliable there.
const denoStops = backend.runtime === "deno" && "Deno's child_process treats a stopped child as exited";

it("waitid WSTOPPED reports a child stopped by SIGSTOP (CLD_STOPPED, status 19)", noWaitid || denoStops, () =>
  withLoop(async (loop) => {
    const sleeper = spawn("sleep", ["5"], { stdio: "ignore" });
    const gone = new Promise((r) => sleeper.once("exit", r));
    try {
      const stopping = waitid(loop, P_PID, sleeper.pid!, WSTOPPED | WNOWAIT, { timeoutMs: 5000 });
      sleeper.kill("SIGSTOP");
      const stopped = await stopping;
      assert.equal(stopped?.code, CLD_STOPPED);
      assert.equal(stopped?.status, 19, "SIGSTOP");
      assert.equal(stopped?.pid, sleeper.pid);
    } finally {
      sleeper.kill("SIGKILL");
      await gone;
    }
  }));

// ---- Pipes and the file table -------------------------------------------------------------------------------

it("pipe makes a working pipe; pipeDirect makes one in the file table, installed back with fixedFdInstall",
  has(IORING_OP_PIPE, "IORING_OP_PIPE", "6.16"), () =>
    withLoop(async (loop) => {
      const [r, w] = await pipe(loop);
      track(r);
      track(w);
      write(w, "piped");
      assert.equal(read(r), "piped");

      registerFilesSparse(loop.ring, 8);
      const [dr, dw] = await pipeDirect(loop);
      assert.ok(dr >= 0 && dr < 8 && dw >= 0 && dw < 8 && dr !== dw);
      assert.deepEqual(await pipeDirect(loop, 0, 4), [4, 5]);
      const rfd = track(await fixedFdInstall(loop, dr));
      const wfd = track(await fixedFdInstall(loop, dw));
      write(wfd, "direct");
      assert.equal(read(rfd), "direct");
    }));

it("fixedFdInstall turns a registered slot into a descriptor; filesUpdate fills, empties and allocates slots",
  has(IORING_OP_FIXED_FD_INSTALL, "IORING_OP_FIXED_FD_INSTALL", "6.8") ||
    (!kernelVersionAtLeast(6, 13) && "IORING_NOP_FILE (used to probe slots) needs Linux 6.13"), () =>
    withLoop(async (loop) => {
      const [r, w] = makePipe();
      registerFilesSparse(loop.ring, 4);
      assert.equal(await filesUpdate(loop, 1, [w]), 1);
      assert.equal(await nop(loop, { fd: 1, fixedFile: true }), 0, "slot 1 holds the pipe");
      await assert.rejects(nop(loop, { fd: 0, fixedFile: true }), code("EBADF"), "slot 0 is empty");
      const fd = track(await fixedFdInstall(loop, 1));
      assert.notEqual(fd, w);
      write(fd, "installed");
      assert.equal(read(r), "installed");
      assert.equal(await filesUpdate(loop, 1, [-1]), 1);
      await assert.rejects(nop(loop, { fd: 1, fixedFile: true }), code("EBADF"), "slot 1 emptied");
      const [slot] = await filesUpdateAlloc(loop, [r]);
      assert.ok(slot >= 0 && slot < 4);
      assert.equal(await nop(loop, { fd: slot, fixedFile: true }), 0);
      await assert.rejects(fixedFdInstall(loop, 3), code("EBADF"));
    }));

// ---- Legacy provided buffers ---------------------------------------------------------------------------------

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
          sqe.u8[1] |= IOSQE_BUFFER_SELECT;
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
        assert.equal(await removeBuffers(loop, 3), 0, "an emptied group stays known, with nothing in it");
        await assert.rejects(removeBuffers(loop, 4), code("ENOENT"), "a group never provided");
        await assert.rejects(provideBuffers(loop, new Uint8Array(64), { size: 64, group: 1 }), /NativeMemory/);
        await assert.rejects(provideBuffers(loop, pool.bytes, { size: 64, count: 5, group: 1 }), /do not fit/);
      } finally {
        pool.free();
      }
    }));
