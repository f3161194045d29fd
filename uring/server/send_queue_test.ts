// The connection core's send queue on its own: what each request would send (read back from the SQE it writes),
// after short sends and past UIO_MAXIOV segments, and that every hold it takes on the buffer ring is given back.
// The loop is a stand-in that records submissions, so short results can be fed in at will (a real kernel with
// MSG_WAITALL retries short sends itself, so they cannot be provoked on demand).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ring } from "../ring/ring.ts";
import type { Sqe } from "../ring/sqe.ts";
import { NativeArena } from "../loop/_arena.ts";
import type { Loop } from "../loop/loop.ts";
import { OpState } from "../loop/operation.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { NativeMemory } from "../core/memory.ts";
import {
  IORING_CQE_BUFFER_SHIFT,
  IORING_CQE_F_BUFFER,
  IORING_OP_SEND,
  IORING_OP_SENDMSG,
  io_uring_sqe,
} from "../abi/uapi.ts";
import { MSG_NOSIGNAL, MSG_WAITALL } from "../abi/sockaddr.ts";
import { skipIf } from "../../testing/mod.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { SendQueue } from "./_send_queue.ts";

const noBufRing = !kernelVersionAtLeast(5, 19) && "buffer rings (IORING_REGISTER_PBUF_RING) need Linux 5.19";

/** A loop that only records what is submitted, with a real arena. */
function fakeLoop(): Loop & { submitted: number } {
  const arena = new NativeArena();
  const loop = {
    arena,
    submitted: 0,
    isClosing: false,
    submit(op: { state: OpState }) {
      if (op.state !== OpState.Idle) throw new Error("submitted twice");
      op.state = OpState.InFlight;
      loop.submitted++;
      return op;
    },
  };
  return loop as unknown as Loop & { submitted: number };
}

/** The bytes the SQE asks the kernel to send, read from memory: [address, length] pairs, in order. */
function segmentsOf(sqe: Sqe): { flags: number; parts: [number, number][] } {
  const u8 = sqe.u8;
  const dv = new DataView(u8.buffer, u8.byteOffset, 64);
  const addr = Number(dv.getBigUint64(io_uring_sqe.addr, true));
  const len = dv.getUint32(io_uring_sqe.len, true);
  const flags = dv.getUint32(28, true); // msg_flags
  if (u8[io_uring_sqe.opcode] === IORING_OP_SEND) return { flags, parts: [[addr, len]] };
  assert.equal(u8[io_uring_sqe.opcode], IORING_OP_SENDMSG);
  // The msghdr and its iovecs are in the arena's memory.
  const hdr = readAt(addr, 56);
  const iov = Number(hdr.getBigUint64(16, true));
  const n = Number(hdr.getBigUint64(24, true));
  const v = readAt(iov, n * 16);
  const parts: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    parts.push([Number(v.getBigUint64(i * 16, true)), Number(v.getBigUint64(i * 16 + 8, true))]);
  }
  return { flags, parts };
}

/** The native memories the test made, to read addresses back through. */
const known: NativeMemory[] = [];
let arenaOf: NativeArena | null = null;
function readAt(address: number, length: number): DataView {
  for (const m of known) {
    if (address >= m.address && address + length <= m.address + m.byteLength) {
      return new DataView(m.buffer, address - m.address, length);
    }
  }
  // The arena's slabs: found through its private list (white-box).
  for (const m of (arenaOf as unknown as { slabs: NativeMemory[] }).slabs) {
    if (address >= m.address && address + length <= m.address + m.byteLength) {
      return new DataView(m.buffer, address - m.address, length);
    }
  }
  throw new Error(`address ${address.toString(16)} is in no memory the test knows`);
}

/** The bytes the parts point at, concatenated. */
function bytesOf(parts: [number, number][]): number[] {
  const out: number[] = [];
  for (const [a, n] of parts) {
    const v = readAt(a, n);
    for (let i = 0; i < n; i++) out.push(v.getUint8(i));
  }
  return out;
}

const batchName = "a batch goes out in order across short sends (mid-segment), past 1024 segments, and releases " +
  "every hold";
test(batchName, skipIf(noBufRing, batchName), () => {
  const ring = new Ring(8);
  const loop = fakeLoop();
  arenaOf = loop.arena;
  const buffers = BufferRing.create(ring, { bgid: 3, entries: 4, bufferSize: 64 });
  const native = NativeMemory.allocate(4096);
  known.push(native, buffers.memory);
  const completed: number[] = [];
  const q = new SendQueue(loop, 99, buffers, 4, {
    sendCompleted: (res) => completed.push(res),
    sendDropped: () => assert.fail("dropped"),
  });
  try {
    // Two received chunks (lent buffers), sent back in place; native bytes in place; copies; 1100 pinned
    // one-byte segments (more than UIO_MAXIOV).
    const t0 = buffers.take(10, IORING_CQE_F_BUFFER | (0 << IORING_CQE_BUFFER_SHIFT))!.bid;
    const t1 = buffers.take(10, IORING_CQE_F_BUFFER | (1 << IORING_CQE_BUFFER_SHIFT))!.bid;
    buffers.buffer(t0).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    buffers.buffer(t1).set([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    for (let i = 0; i < 1200; i++) native.bytes[i] = (i * 7) & 0xff;
    const want: number[] = [];
    q.send(buffers.buffer(t0), 0, 10);
    want.push(...buffers.buffer(t0).subarray(0, 10));
    q.write(new Uint8Array([21, 22, 23]), 0, 3);
    q.write(new Uint8Array([24, 25]), 0, 2); // merged with the previous copy
    want.push(21, 22, 23, 24, 25);
    q.send(buffers.buffer(t1), 2, 10);
    want.push(...buffers.buffer(t1).subarray(2, 10));
    for (let i = 0; i < 1100; i++) q.send(native.bytes, i, i + 1);
    want.push(...native.bytes.subarray(0, 1100));
    // The buffers go back to the ring now, but stay out of it while the sends use them.
    buffers.recycle(t0);
    buffers.recycle(t1);
    assert.equal(buffers.lent, 2, "held by the sends");
    assert.equal(q.flush(), true);
    assert.equal(loop.submitted, 1);

    const sqe = new Ring(8).getSqe()!; // a scratch SQE to prep into
    const sent: number[] = [];
    const step = (take: number) => {
      sqe.u8.fill(0);
      q.op.prep(sqe);
      const { flags, parts } = segmentsOf(sqe);
      assert.equal(flags, MSG_WAITALL | MSG_NOSIGNAL);
      assert.ok(parts.length <= 1024, `${parts.length} iovecs`);
      const bytes = bytesOf(parts);
      const n = Math.min(take, bytes.length);
      sent.push(...bytes.slice(0, n));
      return q.completed(n);
    };
    // A short send in the middle of the second chunk, then one in the middle of the pinned run, then the rest.
    assert.equal(step(17), 1, "the rest is on its way");
    assert.equal(step(300), 1);
    let r = 1;
    while (r === 1) r = step(Infinity);
    assert.equal(r, 0, "the batch is sent");
    assert.deepEqual(sent, want);
    assert.equal(q.sentBytes, want.length);
    assert.equal(q.queuedBytes, want.length);
    assert.equal(buffers.lent, 0, "the received buffers went back once sent");
    assert.equal(native.isPinned, false, "the native memory is unpinned");
    q.free();
  } finally {
    buffers.close(); // refuses while a hold is left
    native.free();
    ring.close();
    loop.arena.close();
  }
});

const failedName = "a failed request releases its batch; what waits is dropped; the queue frees its chunks";
test(failedName, skipIf(noBufRing, failedName), () => {
  const ring = new Ring(8);
  const loop = fakeLoop();
  arenaOf = loop.arena;
  const buffers = BufferRing.create(ring, { bgid: 4, entries: 8, bufferSize: 64 });
  const q = new SendQueue(loop, 99, buffers, 2, { sendCompleted: () => {}, sendDropped: () => {} });
  try {
    const bids = [0, 1, 2, 3].map((b) => buffers.take(8, IORING_CQE_F_BUFFER | (b << IORING_CQE_BUFFER_SHIFT))!.bid);
    // Four received chunks in one turn: two sent in place (the cap), two copied.
    for (const b of bids) q.send(buffers.buffer(b), 0, 8);
    for (const b of bids) buffers.recycle(b);
    assert.equal(buffers.lent, 2, "only two stay out of the ring");
    q.flush();
    q.write(new Uint8Array(100), 0, 100); // waits for the next request
    assert.equal(q.completed(-32), -1, "EPIPE fails the batch");
    q.dropPending();
    assert.equal(buffers.lent, 0);
    q.free();
    assert.throws(() => buffers.recycle(0), /not lent|in the ring/);
  } finally {
    buffers.close();
    ring.close();
    loop.arena.close();
  }
});
