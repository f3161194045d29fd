import { test } from "node:test";
import { incrementalRefused, pipePair as pipe, skipIf, socketPair } from "../../testing/mod.ts";
import assert from "node:assert/strict";
import { libc } from "../../ffi/mod.ts";
import { ENOBUFS } from "../abi/errno.ts";
import { UringError } from "../core/errors.ts";
import { Ring } from "../ring/ring.ts";
import { BufferRing, type TakenBuffer } from "./buffer_ring.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { registrations } from "../ring/registrations.ts";
import { prepRead, prepReadMultishot } from "../prep/rw.ts";
import { prepRecv } from "../prep/net.ts";
import { H_IOPRIO } from "../prep/base.ts";
import { sqeSetBufGroup, sqeSetData, sqeSetFlags } from "../ring/sqe.ts";
import {
  IORING_CQE_BUFFER_SHIFT,
  IORING_CQE_F_BUF_MORE,
  IORING_CQE_F_BUFFER,
  IORING_CQE_F_MORE,
  IORING_FEAT_RECVSEND_BUNDLE,
  IORING_OP_READ_MULTISHOT,
  IORING_RECVSEND_BUNDLE,
  IOSQE_BUFFER_SELECT,
} from "../abi/uapi.ts";
import type { Sqe } from "../ring/sqe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";


interface Cqe {
  res: number;
  flags: number;
}

/** Writes one SQE with `prep` (unless `newSqe` is false), submits, waits for one CQE and returns it. */
function run(ring: Ring, prep: (sqe: Sqe) => void, newSqe = true): Cqe {
  if (newSqe) {
    const sqe = ring.getSqe();
    assert.ok(sqe, "the SQ has room");
    prep(sqe);
    sqeSetData(sqe, 1);
  }
  const out: Cqe[] = [];
  const deadline = Date.now() + 3000;
  while (out.length === 0 && Date.now() < deadline) {
    ring.submitAndWait(1, { timeoutNs: 500e6 });
    ring.forEachCqe((_ud, res, flags) => out.push({ res, flags }));
  }
  assert.equal(out.length, 1, "one CQE");
  return out[0]!;
}

/** A READ that picks its buffer from group `bgid` (len 0: the whole buffer, or what is left of it with INC). */
function readSelect(ring: Ring, fd: number, bgid: number, len = 0): Cqe {
  return run(ring, (sqe) => {
    prepRead(sqe, fd, 0, len, -1);
    sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
    sqeSetBufGroup(sqe, bgid);
  });
}

/** A RECV with IORING_RECVSEND_BUNDLE from group `bgid`. */
function recvBundle(ring: Ring, fd: number, bgid: number): Cqe {
  return run(ring, (sqe) => {
    prepRecv(sqe, fd, 0, 0, 0);
    sqe.u16[H_IOPRIO]! |= IORING_RECVSEND_BUNDLE;
    sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
    sqeSetBufGroup(sqe, bgid);
  });
}

function writeAll(fd: number, bytes: Uint8Array): void {
  assert.equal(libc().write(fd, bytes, bytes.length), bytes.length);
}

/** `n` bytes counting up from `start` (mod 256): each byte says where it belongs in the stream. */
function pattern(n: number, start: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

function closeAll(...fds: number[]): void {
  for (const fd of fds) if (fd >= 0) libc().close(fd);
}

const isCode = (code: string) => (e: unknown) => e instanceof UringError && e.code === code;
const refused = isCode("ERINGSIDE");

// What this machine can do, asked once at load so that tests skip with the reason. Buffer rings are a register
// opcode no probe reports: the kernel version tells (Debian's 5.10 carries 5.15's io_uring, which has none).
const noBufRing = !kernelVersionAtLeast(5, 19) && "buffer rings (IORING_REGISTER_PBUF_RING) need Linux 5.19";
const noMmap = !kernelVersionAtLeast(6, 4) && "IOU_PBUF_RING_MMAP needs Linux 6.4";
const noInc = noBufRing || incrementalRefused();
// IORING_REGISTER_PBUF_STATUS (head()) is 6.8: on older kernels the head checks are left out, the rest still runs.
const hasStatus = !noBufRing && (() => {
  const ring = new Ring(2);
  try {
    const br = BufferRing.create(ring, { bgid: 0, entries: 1, bufferSize: 16 });
    try {
      br.head();
      return true;
    } catch (e) {
      // Only a kernel older than 6.8 may refuse: on a newer one it is ringside's bug, and the tests must see it.
      if (e instanceof UringError && e.code === "EINVAL" && !kernelVersionAtLeast(6, 8)) return false;
      throw e;
    } finally {
      br.close();
    }
  } finally {
    ring.close();
  }
})();
if (!hasStatus) console.log("note: IORING_REGISTER_PBUF_STATUS needs Linux 6.8: head() and available() go unchecked");

/** Asserts the kernel's head (PBUF_STATUS) where the kernel can report it. */
function assertHead(br: BufferRing, expected: number, message = "PBUF_STATUS head"): void {
  if (hasStatus) assert.equal(br.head(), expected, message);
}

/** Asserts available() (tail - PBUF_STATUS head) where the kernel can report the head. */
function assertAvailable(br: BufferRing, expected: number): void {
  if (hasStatus) assert.equal(br.available(), expected);
}
const noBundle = (() => {
  const ring = new Ring(2);
  try {
    if (!(ring.features & IORING_FEAT_RECVSEND_BUNDLE)) return "IORING_FEAT_RECVSEND_BUNDLE needs Linux 6.10";
    // Before "io_uring/net: improve recv bundles" (6.15) the first pass of a bundle recv took one buffer, and only a
    // multishot recv went on to fill more: a single recv never spanned buffers, which is what these tests walk.
    if (!kernelVersionAtLeast(6, 15)) return "a single bundle recv spans several buffers since Linux 6.15";
    return false;
  } finally {
    ring.close();
  }
})();

const noReadMultishot = noBufRing || !probeOpcodes().isSupported(IORING_OP_READ_MULTISHOT) &&
  "IORING_OP_READ_MULTISHOT needs Linux 6.7";

/** Waits for the next CQE of an armed request. */
function next(ring: Ring): Cqe {
  return run(ring, () => {}, false);
}

// ---- Plain rings ------------------------------------------------------------------------------------------------

test("BufferRing: 1000 READs with IOSQE_BUFFER_SELECT through 4 buffers, recycled each time, keep the data intact",
  skipIf(noBufRing), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const br = BufferRing.create(ring, { bgid: 3, entries: 4, bufferSize: 64 });
  try {
    assertAvailable(br, 4);
    assertHead(br, 0);
    const msg = new Uint8Array(16);
    const mv = new DataView(msg.buffer);
    for (let seq = 0; seq < 1000; seq++) {
      mv.setUint32(0, seq, true);
      mv.setUint32(4, ~seq >>> 0, true);
      mv.setFloat64(8, seq * 1.5, true);
      writeAll(w, msg);
      const cqe = readSelect(ring, r, 3);
      const t = br.take(cqe.res, cqe.flags);
      assert.ok(t, `seq ${seq}: the CQE carries a buffer`);
      assert.equal(t.bid, seq % 4, "buffers come back in the order they were recycled");
      assert.equal(t.offset, 0);
      assert.equal(t.length, 16);
      assert.equal(t.more, false);
      assert.equal(br.lent, 1);
      const got = new DataView(br.buffer(t.bid).buffer, br.buffer(t.bid).byteOffset, 16);
      if (got.getUint32(0, true) !== seq || got.getUint32(4, true) !== (~seq >>> 0) ||
        got.getFloat64(8, true) !== seq * 1.5) {
        assert.fail(`seq ${seq}: wrong bytes in buffer ${t.bid}`);
      }
      br.recycle(t.bid);
    }
    assert.equal(br.lent, 0);
    assertHead(br, 1000, "PBUF_STATUS: the kernel consumed one entry per READ");
    assertAvailable(br, 4);
  } finally {
    br.close();
    ring.close();
    closeAll(r, w);
  }
});

test("BufferRing: -ENOBUFS once every buffer is lent, success again after a recycle", skipIf(noBufRing), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const br = BufferRing.create(ring, { bgid: 9, entries: 2, bufferSize: 32 });
  try {
    const bids: number[] = [];
    for (const text of ["first", "second"]) {
      writeAll(w, new TextEncoder().encode(text));
      const cqe = readSelect(ring, r, 9);
      const t = br.take(cqe.res, cqe.flags)!;
      assert.equal(new TextDecoder().decode(br.buffer(t.bid).subarray(0, t.length)), text);
      bids.push(t.bid);
    }
    assert.deepEqual(bids, [0, 1]);
    assert.equal(br.lent, 2);
    assertAvailable(br, 0);
    assertHead(br, 2);

    writeAll(w, new TextEncoder().encode("third"));
    const empty = readSelect(ring, r, 9);
    assert.equal(empty.res, -ENOBUFS);
    assert.equal(empty.flags & IORING_CQE_F_BUFFER, 0);
    assert.equal(br.take(empty.res, empty.flags), null, "no buffer, nothing taken");

    br.recycle(1);
    assertAvailable(br, 1);
    assert.throws(() => br.recycle(1), refused, "a buffer in the ring cannot be added twice");
    const cqe = readSelect(ring, r, 9);
    const t = br.take(cqe.res, cqe.flags)!;
    assert.equal(t.bid, 1);
    assert.equal(new TextDecoder().decode(br.buffer(1).subarray(0, t.length)), "third");
    assert.throws(() => br.take(cqe.res, cqe.flags), refused, "the same CQE taken twice");
    br.recycleMany([0, 1]);
    assert.equal(br.lent, 0);
    assertAvailable(br, 2);
    assert.throws(() => br.recycle(7), refused, "no such buffer");
  } finally {
    br.close();
    ring.close();
    closeAll(r, w);
  }
});

test("BufferRing: add() stages entries that the kernel sees only after publish()", skipIf(noBufRing), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const br = BufferRing.create(ring, { bgid: 4, entries: 1, bufferSize: 16 });
  try {
    writeAll(w, pattern(8, 0));
    const a = readSelect(ring, r, 4);
    assert.equal(br.take(a.res, a.flags)!.bid, 0);
    br.add(0);
    writeAll(w, pattern(8, 8));
    assert.equal(readSelect(ring, r, 4).res, -ENOBUFS, "staged, not published");
    br.publish();
    const b = readSelect(ring, r, 4);
    const t = br.take(b.res, b.flags)!;
    assert.deepEqual([...br.buffer(t.bid).subarray(0, t.length)], [...pattern(8, 8)]);
    br.recycle(0);
  } finally {
    br.close();
    ring.close();
    closeAll(r, w);
  }
});

test("BufferRing: EOF on a plain ring still consumes a buffer (F_BUFFER, res 0), which is recycled",
  skipIf(noBufRing), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const br = BufferRing.create(ring, { bgid: 5, entries: 2, bufferSize: 16 });
  try {
    closeAll(w);
    const cqe = readSelect(ring, r, 5);
    assert.equal(cqe.res, 0);
    const t = br.take(cqe.res, cqe.flags)!;
    assert.deepEqual({ ...t }, { bid: 0, offset: 0, length: 0, more: false });
    assertHead(br, 1);
    br.recycle(t.bid);
  } finally {
    br.close();
    ring.close();
    closeAll(r);
  }
});

test("BufferRing with mmap: the kernel allocates the ring, reads work, close unmaps it",
  skipIf(noBufRing || noMmap), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const br = BufferRing.create(ring, { bgid: 300, entries: 8, bufferSize: 128, mmap: true });
  try {
    assert.equal(br.mmap, true);
    writeAll(w, pattern(100, 3));
    const cqe = readSelect(ring, r, 300);
    const t = br.take(cqe.res, cqe.flags)!;
    assert.equal(t.length, 100);
    assert.deepEqual([...br.buffer(t.bid).subarray(0, 100)], [...pattern(100, 3)]);
    br.recycle(t.bid);
    assertHead(br, 1);
  } finally {
    br.close();
    ring.close();
    closeAll(r, w);
  }
  assert.ok(br.ringMemory.isFreed);
  assert.ok(br.memory.isFreed);
});

test("BufferRing with a multishot READ: one CQE per write with F_MORE, ending with -ENOBUFS when the ring is empty",
  skipIf(noReadMultishot), () => {
    const ring = new Ring(4);
    const [r, w] = pipe();
    const br = BufferRing.create(ring, { bgid: 8, entries: 2, bufferSize: 32 });
    try {
      const arm = () => run(ring, (sqe) => prepReadMultishot(sqe, r, 0, 0, 8), true);
      writeAll(w, pattern(5, 0));
      const a = arm();
      assert.ok(a.flags & IORING_CQE_F_MORE);
      assert.deepEqual({ ...br.take(a.res, a.flags)! }, { bid: 0, offset: 0, length: 5, more: false });
      writeAll(w, pattern(6, 5));
      const b = next(ring);
      assert.ok(b.flags & IORING_CQE_F_MORE);
      assert.deepEqual({ ...br.take(b.res, b.flags)! }, { bid: 1, offset: 0, length: 6, more: false });
      assert.deepEqual([...br.buffer(0).subarray(0, 5), ...br.buffer(1).subarray(0, 6)], [...pattern(11, 0)]);
      writeAll(w, pattern(7, 11));
      const end = next(ring);
      assert.equal(end.res, -ENOBUFS);
      assert.equal(end.flags & IORING_CQE_F_MORE, 0, "the request ends: re-arm after recycling");
      assert.equal(br.take(end.res, end.flags), null);
      br.recycleMany([1, 0]);
      const c = arm();
      assert.deepEqual({ ...br.take(c.res, c.flags)! }, { bid: 1, offset: 0, length: 7, more: false },
        "the data waited in the pipe; the recycled buffers are used in the order they were added");
      assert.deepEqual([...br.buffer(1).subarray(0, 7)], [...pattern(7, 11)]);
      br.recycle(1);
      closeAll(w);
      const eof = next(ring);
      assert.equal(eof.res, 0);
      assert.equal(eof.flags & IORING_CQE_F_MORE, 0, "EOF ends the multishot read");
      const t = br.take(eof.res, eof.flags);
      if (t) br.recycle(t.bid); // a final CQE may carry a buffer: give it back
      assert.equal(br.lent, 0);
    } finally {
      br.close();
      ring.close();
      closeAll(r, w);
    }
  });

// ---- Incremental consumption ------------------------------------------------------------------------------------

test("BufferRing incremental: one buffer is filled piecewise, BUF_MORE until it is used up", skipIf(noInc), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const br = BufferRing.create(ring, { bgid: 6, entries: 2, bufferSize: 256, incremental: true });
  try {
    const seen: TakenBuffer[] = [];
    for (let i = 0; i < 3; i++) {
      writeAll(w, pattern(100, i * 100));
      const cqe = readSelect(ring, r, 6);
      const t = br.take(cqe.res, cqe.flags)!;
      seen.push({ ...t });
      if (i < 2) {
        assert.ok(cqe.flags & IORING_CQE_F_BUF_MORE, "the kernel keeps the rest of the buffer");
        assertHead(br, 0, "a partly used buffer stays at the head");
        assert.throws(() => br.recycle(0), refused, "cannot recycle a buffer the kernel is still filling");
      }
    }
    // 100 + 100 bytes, then the last 56 of the 256: that CQE ends buffer 0.
    assert.deepEqual(seen, [
      { bid: 0, offset: 0, length: 100, more: true },
      { bid: 0, offset: 100, length: 100, more: true },
      { bid: 0, offset: 200, length: 56, more: false },
    ]);
    assert.deepEqual([...br.buffer(0)], [...pattern(256, 0)], "the pieces sit back to back");
    assertHead(br, 1);
    assert.equal(br.lent, 1);

    // The 44 bytes left in the pipe go to buffer 1; EOF then consumes nothing and says BUF_MORE.
    const rest = readSelect(ring, r, 6);
    assert.deepEqual({ ...br.take(rest.res, rest.flags)! }, { bid: 1, offset: 0, length: 44, more: true });
    assert.deepEqual([...br.buffer(1).subarray(0, 44)], [...pattern(44, 256)]);
    closeAll(w);
    const eof = readSelect(ring, r, 6);
    assert.equal(eof.res, 0);
    assert.ok(eof.flags & IORING_CQE_F_BUF_MORE);
    assert.deepEqual({ ...br.take(eof.res, eof.flags)! }, { bid: 1, offset: 44, length: 0, more: true });
    assertHead(br, 1);

    // Recycled, buffer 0 starts over at offset 0 (the kernel had advanced its entry's addr and len in place).
    br.recycle(0);
    assertAvailable(br, 2);
  } finally {
    br.close();
    ring.close();
    closeAll(r, w);
  }
});

test("BufferRing incremental on a regular file: the kernel consumes the requested length, not the result",
  skipIf(noInc), () => {
    // The documented caveat, checked: files that cannot be polled commit at selection time (io_should_commit).
    const dir = mkdtempSync(join(tmpdir(), "ringside-bufring-"));
    const ring = new Ring(4);
    const br = BufferRing.create(ring, { bgid: 7, entries: 2, bufferSize: 256, incremental: true });
    let fd = -1;
    try {
      writeFileSync(join(dir, "f"), pattern(30, 0));
      fd = openSync(join(dir, "f"), "r");
      const entryLen = () => new Uint32Array(br.ringMemory.buffer)[2]; // bufs[0].len, which the kernel rewrites
      const a = readSelect(ring, fd, 7, 20);
      assert.deepEqual({ ...br.take(a.res, a.flags)! }, { bid: 0, offset: 0, length: 20, more: true });
      assert.equal(entryLen(), 236);
      const b = readSelect(ring, fd, 7, 20);
      assert.equal(b.res, 10, "a short read at the end of the file");
      assert.ok(b.flags & IORING_CQE_F_BUF_MORE);
      assert.equal(entryLen(), 216, "yet 20 bytes of the buffer were consumed");
      br.take(b.res, b.flags);
      assert.deepEqual([...br.buffer(0).subarray(0, 30)], [...pattern(30, 0)]);
      const c = readSelect(ring, fd, 7, 0);
      assert.equal(c.res, 0);
      assert.equal(c.flags & IORING_CQE_F_BUF_MORE, 0, "len 0 asks for (and consumes) the rest of the buffer");
      assertHead(br, 1);
      br.take(c.res, c.flags);
      br.recycle(0);
    } finally {
      if (fd >= 0) closeSync(fd);
      br.close();
      ring.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

// ---- Bundles ----------------------------------------------------------------------------------------------------

test("BufferRing bundles: one recv spans consecutive buffers in ring order, starting at the CQE's bid",
  skipIf(noBufRing || noBundle), () => {
    const ring = new Ring(8);
    const [c, s] = socketPair();
    const br = BufferRing.create(ring, { bgid: 12, entries: 8, bufferSize: 64 });
    try {
      const walk = (cqe: Cqe) => {
        const parts: [number, number, number, boolean][] = [];
        const data: number[] = [];
        const n = br.takeBundle(cqe.res, cqe.flags, (bid, offset, length, done) => {
          parts.push([bid, offset, length, done]);
          data.push(...br.buffer(bid).subarray(offset, offset + length));
        });
        assert.equal(n, parts.length);
        return { parts, data };
      };

      writeAll(c, pattern(512, 0));
      const first = recvBundle(ring, s, 12);
      assert.equal(first.res, 512);
      assert.equal(first.flags >>> IORING_CQE_BUFFER_SHIFT, 0);
      const a = walk(first);
      assert.deepEqual(a.parts.map((p) => p[0]), [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(a.data, [...pattern(512, 0)]);
      assert.equal(br.lent, 8);

      // Recycled out of order, the ring order is no longer the bid order.
      br.recycleMany([5, 2, 7, 0, 3, 6, 1, 4]);
      writeAll(c, pattern(300, 7));
      const second = recvBundle(ring, s, 12);
      assert.equal(second.res, 300);
      assert.equal(second.flags >>> IORING_CQE_BUFFER_SHIFT, 5);
      const b = walk(second);
      assert.deepEqual(b.parts, [[5, 0, 64, true], [2, 0, 64, true], [7, 0, 64, true], [0, 0, 64, true],
        [3, 0, 44, true]]);
      assert.deepEqual(b.data, [...pattern(300, 7)]);
      assertHead(br, 13, "the kernel consumed 8 + 5 entries");
      for (const [bid] of b.parts) br.add(bid);
      br.publish();
      assertAvailable(br, 8);

      // EOF: the bundle recv returns 0 without a buffer and consumes nothing.
      closeAll(c);
      const eof = recvBundle(ring, s, 12);
      assert.equal(eof.res, 0);
      assert.equal(eof.flags & IORING_CQE_F_BUFFER, 0);
      assert.equal(br.takeBundle(eof.res, eof.flags, () => assert.fail("no buffer")), 0);
      assertHead(br, 13);
    } finally {
      br.close();
      ring.close();
      closeAll(c, s);
    }
  });

test("BufferRing bundles with INC: the first buffer continues where it stopped, the last one stays (BUF_MORE)",
  skipIf(noBundle || noInc), () => {
    const ring = new Ring(8);
    const [c, s] = socketPair();
    const br = BufferRing.create(ring, { bgid: 13, entries: 4, bufferSize: 64, incremental: true });
    try {
      const walk = (cqe: Cqe) => {
        const parts: [number, number, number, boolean][] = [];
        br.takeBundle(cqe.res, cqe.flags, (bid, offset, length, done) => parts.push([bid, offset, length, done]));
        return parts;
      };
      writeAll(c, pattern(100, 0));
      const a = recvBundle(ring, s, 13);
      assert.ok(a.flags & IORING_CQE_F_BUF_MORE);
      assert.deepEqual(walk(a), [[0, 0, 64, true], [1, 0, 36, false]]);
      writeAll(c, pattern(50, 100));
      const b = recvBundle(ring, s, 13);
      assert.equal(b.flags >>> IORING_CQE_BUFFER_SHIFT, 1);
      assert.deepEqual(walk(b), [[1, 36, 28, true], [2, 0, 22, false]]);
      assertHead(br, 2);
      // 200 bytes, but only 42 + 64 left in the ring: the recv takes 106 and uses both up.
      writeAll(c, pattern(200, 150));
      const d = recvBundle(ring, s, 13);
      assert.equal(d.res, 106);
      assert.equal(d.flags & IORING_CQE_F_BUF_MORE, 0);
      assert.deepEqual(walk(d), [[2, 22, 42, true], [3, 0, 64, true]]);
      const all = [...br.buffer(0), ...br.buffer(1), ...br.buffer(2), ...br.buffer(3)];
      assert.deepEqual(all, [...pattern(256, 0)], "the stream lies contiguously across the four buffers");
      assert.equal(br.lent, 4);
      assert.equal(recvBundle(ring, s, 13).res, -ENOBUFS);
      br.recycleMany([0, 1, 2, 3]);
      const e = recvBundle(ring, s, 13);
      assert.deepEqual(walk(e), [[0, 0, 64, true], [1, 0, 30, false]], "the remaining 94 bytes");
    } finally {
      br.close();
      ring.close();
      closeAll(c, s);
    }
  });

test("BufferRing.takeBundle refuses to walk ring entries that were rewritten since the bundle",
  skipIf(noBufRing), () => {
  const ring = new Ring(2);
  const br = BufferRing.create(ring, { bgid: 1, entries: 2, bufferSize: 8 });
  try {
    // Bookkeeping only: buffer 1 is taken and recycled, which rewrites ring slot 0 (where buffer 0 sat).
    br.take(8, IORING_CQE_F_BUFFER | 1 << IORING_CQE_BUFFER_SHIFT);
    br.recycle(1);
    assert.throws(() => br.takeBundle(16, IORING_CQE_F_BUFFER, () => {}), refused);
  } finally {
    br.close();
    ring.close();
  }
});

// ---- Lifecycle ----------------------------------------------------------------------------------------------------

test("BufferRing.close unregisters and frees; refuses while requests are in flight; memory is pinned before",
  skipIf(noBufRing), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const br = BufferRing.create(ring, { bgid: 21, entries: 4, bufferSize: 32 });
  try {
    assert.ok(br.memory.isPinned && br.ringMemory.isPinned);
    assert.throws(() => br.memory.free(), refused, "the buffers cannot be freed behind the ring's back");
    assert.throws(() => br.ringMemory.free(), refused);
    assert.ok(registrations(ring).bufRings.has(21));
    assert.throws(() => BufferRing.create(ring, { bgid: 21, entries: 4, bufferSize: 32 }), refused, "bgid taken");

    writeAll(w, pattern(10, 0));
    const cqe = readSelect(ring, r, 21);
    const view = br.buffer(br.take(cqe.res, cqe.flags)!.bid);
    assert.equal(view.length, 32);

    br.acquire();
    assert.equal(br.users, 1);
    assert.throws(() => br.close(), refused, "a request may still write into a buffer");
    assert.ok(!br.isClosed);
    br.release();
    br.close(); // one buffer is still lent: allowed, its view detaches
    assert.ok(br.isClosed);
    assert.ok(br.memory.isFreed && br.ringMemory.isFreed);
    assert.equal(view.length, 0, "a lent buffer's view is detached, not dangling");
    assert.ok(!registrations(ring).bufRings.has(21));
    br.close(); // idempotent
    assert.throws(() => br.recycle(0), refused);
    assert.throws(() => br.take(1, IORING_CQE_F_BUFFER), refused);
    writeAll(w, pattern(4, 0));
    assert.equal(readSelect(ring, r, 21).res, -ENOBUFS, "the kernel no longer knows the group");
  } finally {
    br.close();
    ring.close();
    closeAll(r, w);
  }
});

test("BufferRing.close after the ring was closed frees everything", skipIf(noBufRing), () => {
  const ring = new Ring(2);
  const br = BufferRing.create(ring, { bgid: 2, entries: 2, bufferSize: 16 });
  ring.close();
  br.close();
  assert.ok(br.memory.isFreed && br.ringMemory.isFreed);
});

test("BufferRing.create validates its options before the kernel and leaks nothing on failure",
  skipIf(noBufRing), () => {
  const ring = new Ring(2);
  try {
    const cases: unknown[] = [
      { bgid: 1, entries: 3, bufferSize: 16 },
      { bgid: 1, entries: 65536, bufferSize: 16 },
      { bgid: 1, entries: 0, bufferSize: 16 },
      { bgid: -1, entries: 2, bufferSize: 16 },
      { bgid: 70000, entries: 2, bufferSize: 16 },
      { bgid: 1, entries: 2, bufferSize: 0 },
      { bgid: 1, entries: 2, bufferSize: 1.5 },
      { bgid: 1, entries: 2, bufferSize: 2 ** 31 },
    ];
    for (const c of cases) {
      assert.throws(() => BufferRing.create(ring, c as Parameters<typeof BufferRing.create>[1]), refused,
        JSON.stringify(c));
    }
    assert.equal(registrations(ring).bufRings.size, 0);
    const br = BufferRing.create(ring, { bgid: 1, entries: 2, bufferSize: 16 });
    assert.throws(() => br.buffer(2), refused);
    assert.throws(() => br.address(-1), refused);
    assert.equal(br.address(1), br.memory.address + 16);
    assert.throws(() => br.take(4, IORING_CQE_F_BUFFER | 5 << IORING_CQE_BUFFER_SHIFT), refused, "bid 5 of 2");
    br.close();
  } finally {
    ring.close();
  }
});
