/**
 * The EpollRing itself: its SQ and CQ, cancellation racing completion, calls a pool thread is inside, closing with
 * requests in flight, and what it refuses. (How its CQEs compare with the kernel's: differential_test.ts.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { it, pipePair, socketPair, tempDir } from "../../testing/mod.ts";
import { collect, put } from "../../testing/epoll_ring.ts";
import { libc } from "../../ffi/mod.ts";
import { NativeMemory } from "../core/memory.ts";
import { UringError } from "../core/errors.ts";
import { sqeSetData } from "../ring/sqe.ts";
import { registerBuffers } from "../ring/registered_buffers.ts";
import { registerFilesSparse } from "../ring/registered_files.ts";
import { registerEventfd } from "../ring/eventfd.ts";
import { EALREADY, ECANCELED, ENOENT, EOPNOTSUPP } from "../abi/errno.ts";
import { IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_FD, IORING_CQE_F_MORE } from "../abi/uapi.ts";
import {
  prepCancel64,
  prepCancelFd,
  prepFsync,
  prepMsgRing,
  prepNop,
  prepOpen,
  prepPollMultishot,
  prepRead,
  prepRecv,
  prepSend,
  prepUringCmd,
} from "../prep/mod.ts";
import type { Ring } from "../ring/ring.ts";
import { EpollRing } from "./mod.ts";

function withRing(fn: (ring: EpollRing) => void, entries = 16, cqEntries?: number): void {
  const ring = new EpollRing(entries, cqEntries === undefined ? {} : { cqEntries });
  try {
    fn(ring);
  } finally {
    ring.close();
  }
}

it("the SQ hands out at most its size, zeroed, and submit frees it; the CQ grows instead of dropping", false, () =>
  withRing((ring) => {
    assert.equal(ring.sqEntries, 8);
    for (let i = 0; i < 8; i++) {
      const sqe = ring.getSqe();
      assert.ok(sqe !== null);
      assert.ok(sqe.u32.every((w) => w === 0), "zeroed");
      prepNop(sqe);
      sqeSetData(sqe, i);
    }
    assert.equal(ring.getSqe(), null);
    assert.equal(ring.sqPending(), 8);
    assert.equal(ring.submit(), 8);
    assert.equal(ring.sqSpaceLeft(), 8);
    // 8 CQEs on a CQ of 2 entries, then 200 more.
    for (let round = 0; round < 25; round++) {
      for (let i = 0; i < 8; i++) put(ring, prepNop, 8 + round * 8 + i);
      ring.submit();
    }
    const seen: number[] = [];
    ring.drain((ud, res) => {
      assert.equal(res, 0);
      seen.push(ud);
    });
    assert.deepEqual(seen, Array.from({ length: 208 }, (_, i) => i));
    assert.equal(ring.cqOverflowCount(), 0);
  }, 5, 2));

it("a cancel racing a completion: the request ends exactly once, with its data or with -ECANCELED", false, () =>
  withRing((ring) => {
    for (let round = 0; round < 50; round++) {
      const [a, b] = socketPair();
      const mem = NativeMemory.allocate(64);
      try {
        put(ring, (s) => prepRecv(s, b, mem.address, 8, 0), 1);
        ring.submit();
        mem.bytes.set([1, 2], 32);
        put(ring, (s) => prepSend(s, a, mem.address + 32, 2, 0), 2);
        if (round % 2) ring.submitAndWait(0); // let the readiness be seen first every other round
        put(ring, (s) => prepCancel64(s, 1, 0), 3);
        const cqes = collect(ring, 3);
        const recv = cqes.filter((c) => c[0] === 1);
        const cancel = cqes.find((c) => c[0] === 3)!;
        assert.equal(recv.length, 1, JSON.stringify(cqes));
        if (recv[0]![1] === 2) {
          assert.ok(cancel[1] === -ENOENT || cancel[1] === -EALREADY, JSON.stringify(cqes));
        } else {
          assert.equal(recv[0]![1], -ECANCELED);
          assert.equal(cancel[1], 0);
          // The data was not taken: it is still there.
          assert.equal(Number(libc().read(b, new Uint8Array(8), 8)), 2);
        }
        ring.drain(() => assert.fail("no further CQE"));
      } finally {
        libc().close(a);
        libc().close(b);
        mem.free();
      }
    }
  }));

it("cancel by descriptor, and ALL: every request on it ends with -ECANCELED, the count is the result", false, () =>
  withRing((ring) => {
    const [a, b] = socketPair();
    const mem = NativeMemory.allocate(64);
    try {
      put(ring, (s) => prepRecv(s, b, mem.address, 8, 0), 1);
      put(ring, (s) => prepPollMultishot(s, b, 1), 2);
      put(ring, (s) => prepRecv(s, a, mem.address + 8, 8, 0), 3);
      ring.submit();
      put(ring, (s) => prepCancelFd(s, b, IORING_ASYNC_CANCEL_ALL), 4);
      const cqes = collect(ring, 3).sort((x, y) => x[0] - y[0]);
      assert.deepEqual(cqes, [[1, -ECANCELED, 0], [2, -ECANCELED, 0], [4, 2, 0]]);
      assert.equal(ring.inFlight, 1); // the recv on `a` waits on
      put(ring, (s) => prepCancelFd(s, a, IORING_ASYNC_CANCEL_FD), 5);
      assert.deepEqual(collect(ring, 2).sort((x, y) => x[0] - y[0]), [[3, -ECANCELED, 0], [5, 0, 0]]);
    } finally {
      libc().close(a);
      libc().close(b);
      mem.free();
    }
  }));

it("a call a pool thread is inside cannot be cancelled (-EALREADY) and completes when it returns", false, () => {
  const dir = tempDir("ringside-epoll-ring-");
  const fifo = dir.path("fifo");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
  withRing((ring) => {
    const mem = NativeMemory.allocate(4096);
    try {
      mem.bytes.set(new TextEncoder().encode(`${fifo}\0`));
      // A pool thread is up and idle once a pool call completed (an fsync of nothing: EBADF).
      put(ring, (s) => prepFsync(s, -1, 0), 9);
      collect(ring, 1);
      // Opening a FIFO for reading blocks in openat(2) until a writer opens it; an idle thread takes it at once.
      put(ring, (s) => prepOpen(s, mem.address, 0o2000000 /* O_CLOEXEC */, 0), 1);
      ring.submit();
      spawnSync("sleep", ["0.1"]);
      put(ring, (s) => prepCancel64(s, 1, 0), 2);
      const answer = collect(ring, 1)[0]![1];
      assert.equal(answer, -EALREADY);
      closeSync(openSync(fifo, "w"));
      const [opened] = collect(ring, 1);
      assert.equal(opened![0], 1);
      assert.ok(opened![1] >= 0, `an fd: ${opened![1]}`);
      libc().close(opened![1]);
    } finally {
      mem.free();
    }
  });
});

it("closing with requests in flight drops them without CQEs; the ring then refuses to be used", false, () => {
  const ring = new EpollRing(8);
  const [r, w] = pipePair();
  const mem = NativeMemory.allocate(64);
  let hooked = 0;
  ring.onClose(() => hooked++);
  put(ring, (s) => prepRead(s, r, mem.address, 8, -1), 1);
  put(ring, (s) => prepPollMultishot(s, r, 1), 2);
  ring.submit();
  assert.equal(ring.inFlight, 2);
  ring.close();
  ring.close();
  assert.equal(hooked, 1);
  assert.ok(ring.isClosed);
  assert.throws(() => ring.getSqe(), /the ring is closed/);
  assert.throws(() => ring.submit(), /the ring is closed/);
  libc().write(w, new Uint8Array(1), 1);
  libc().close(r);
  libc().close(w);
  mem.free();
});

it("what needs the kernel's io_uring is refused by name: register calls, ring methods, opcodes", false, () =>
  withRing((ring) => {
    const asRing = ring as unknown as Ring;
    const needs = (e: unknown) => {
      assert.ok(e instanceof UringError, String(e));
      assert.match(e.message, /needs the io_uring backend/);
      return true;
    };
    assert.throws(() => registerFilesSparse(asRing, 4), needs);
    assert.throws(() => registerBuffers(asRing, [NativeMemory.allocate(4096)]), needs);
    assert.throws(() => registerEventfd(asRing, 0), needs);
    assert.throws(() => ring.registerRingFd(), needs);
    assert.throws(() => ring.resize(16), needs);
    assert.throws(() => ring.getSqe128(), needs);
    assert.throws(() => ring.enter(0, 0, 0), needs);
    assert.throws(() => new EpollRing(4, { flags: 1 << 1 /* SQPOLL */ }), /IORING_SETUP_SQPOLL needs the io_uring/);
    put(ring, (s) => prepMsgRing(s, 3, 0, 7, 0), 1);
    put(ring, (s) => prepUringCmd(s, 0, 0), 2);
    const cqes = collect(ring, 2);
    assert.deepEqual(cqes.map((c) => c[1]), [-EOPNOTSUPP, -EOPNOTSUPP]);
    assert.match(ring.takeRefusal(1)!, /IORING_OP_MSG_RING .*needs the io_uring backend/);
    assert.match(ring.takeRefusal(2)!, /IORING_OP_URING_CMD .*needs the io_uring backend/);
    assert.equal(ring.takeRefusal(2), undefined, "read once");
  }));

it("a multishot poll posts once per wake-up with IORING_CQE_F_MORE until it is cancelled", false, () =>
  withRing((ring) => {
    const [r, w] = pipePair();
    try {
      put(ring, (s) => prepPollMultishot(s, r, 1), 1);
      ring.submit();
      for (let i = 0; i < 3; i++) {
        libc().write(w, new Uint8Array(1), 1);
        const [c] = collect(ring, 1);
        assert.deepEqual(c, [1, 1, IORING_CQE_F_MORE]);
        // Not read: the pipe stays readable, but without a new wake-up there is no new CQE.
        ring.submitAndWait(0);
        ring.drain(() => assert.fail("one CQE per wake-up"));
      }
      put(ring, (s) => prepCancel64(s, 1, 0), 2);
      assert.deepEqual(collect(ring, 2).sort((x, y) => x[0] - y[0]), [[1, -ECANCELED, 0], [2, 0, 0]]);
    } finally {
      libc().close(r);
      libc().close(w);
    }
  }));
