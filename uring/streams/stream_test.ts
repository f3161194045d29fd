import { test } from "node:test";
import assert from "node:assert/strict";
import { Loop } from "../loop/loop.ts";
import { PromiseOp } from "../loop/operation.ts";
import { AcceptStream } from "./accept_stream.ts";
import { PollStream } from "./poll_stream.ts";
import { TickStream } from "./tick_stream.ts";
import { MultishotStream } from "./stream.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { ReadStream } from "./read_stream.ts";
import { RecvStream } from "./recv_stream.ts";
import { prepNop } from "../prep/nop.ts";
import type { Sqe } from "../ring/sqe.ts";
import { libc } from "../../ffi/mod.ts";
import { readFileSync, readlinkSync } from "node:fs";
import { prepBind, prepConnect, prepListen, prepSocket } from "../prep/net.ts";
import { prepClose } from "../prep/fs.ts";

const AF_INET = 2;
const SOCK_STREAM = 1;
const POLLIN = 1;

/** Writes a sockaddr_in for 127.0.0.1:port into a chunk of `op` and returns its address. */
function loopbackAddr(loop: Loop, op: PromiseOp, port: number): number {
  const c = op.chunk(loop, 16);
  c.view.setUint16(0, AF_INET, true);
  c.view.setUint16(2, port, false);
  c.bytes.set([127, 0, 0, 1], 4);
  return c.address;
}

async function tcpSocket(loop: Loop): Promise<number> {
  return await loop.submit(new PromiseOp("socket", (sqe) => prepSocket(sqe, AF_INET, SOCK_STREAM, 0, 0))).promise;
}

async function close(loop: Loop, fd: number): Promise<void> {
  await loop.submit(new PromiseOp("close", (sqe) => prepClose(sqe, fd))).promise;
}

test("a counted multishot timeout ticks that many times, then the iterator ends", async () => {
  const loop = new Loop();
  try {
    const ticks: number[] = [];
    const t0 = performance.now();
    for await (const n of new TickStream(loop, 5, { count: 4 })) ticks.push(n);
    assert.deepEqual(ticks, [1, 2, 3, 4]);
    assert.ok(performance.now() - t0 >= 15);
    assert.equal(loop.stats.inFlight, 0);
  } finally {
    await loop.close();
  }
});

test("breaking out of an endless timer cancels its request", async () => {
  const loop = new Loop();
  try {
    let n = 0;
    for await (const _ of new TickStream(loop, 2)) if (++n === 3) break;
    assert.equal(n, 3);
    // The cancel completes asynchronously: the slot is freed once the kernel confirms.
    for (let i = 0; i < 100 && loop.stats.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 2));
    assert.equal(loop.stats.inFlight, 0);
  } finally {
    await loop.close();
  }
});

test("a multishot poll reports each time a pipe becomes readable", async () => {
  const loop = new Loop();
  const fds = new Int32Array(2);
  assert.equal(libc().pipe2(fds, 0x80000), 0);
  const r = fds[0]!, w = fds[1]!; // pipe2 filled both
  try {
    const stream = new PollStream(loop, r, POLLIN);
    const seen: number[] = [];
    const drain = new Uint8Array(16);
    for (let i = 0; i < 3; i++) {
      libc().write(w, new Uint8Array([i]), 1);
      const { value } = await stream.next();
      seen.push(value! & POLLIN);
      libc().read(r, drain, 16); // make the pipe empty again, so the next write is a new edge
    }
    assert.deepEqual(seen, [1, 1, 1]);
    await stream.return();
  } finally {
    await loop.close();
    libc().close(r);
    libc().close(w);
  }
});

test("a multishot accept yields one fd per connection; an abort ends it with an AbortError", async () => {
  const loop = new Loop();
  const listener = await tcpSocket(loop);
  try {
    const bind = new PromiseOp("bind", (sqe, op) => prepBind(sqe, listener, loopbackAddr(loop, op, 0), 16));
    await loop.submit(bind).promise;
    await loop.submit(new PromiseOp("listen", (sqe) => prepListen(sqe, listener, 16))).promise;
    // Port 0 picked an ephemeral port; read it back from /proc (getsockname is a uring_cmd of Linux 6.19).
    const ac = new AbortController();
    const accepted: number[] = [];
    const stream = new AcceptStream(loop, listener, { signal: ac.signal });
    const port = boundPort(listener);
    const clients = await Promise.all([0, 1, 2].map(async () => {
      const c = await tcpSocket(loop);
      const conn = new PromiseOp("connect", (sqe, op) => prepConnect(sqe, c, loopbackAddr(loop, op, port), 16));
      await loop.submit(conn).promise;
      return c;
    }));
    await assert.rejects(async () => {
      for await (const fd of stream) {
        accepted.push(fd);
        if (accepted.length === 3) ac.abort();
      }
    }, (e: Error) => e.name === "AbortError");
    assert.equal(accepted.length, 3);
    assert.equal(new Set(accepted).size, 3);
    for (const fd of [...accepted, ...clients]) await close(loop, fd);
  } finally {
    await close(loop, listener);
    await loop.close();
  }
});

/** The local port of a socket, from /proc/net/tcp by the socket's inode. */
function boundPort(fd: number): number {
  const inode = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${fd}`))![1];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    const port = cols[1]?.split(":")[1]; // local_address: hex IP, colon, hex port
    if (cols[9] === inode && port !== undefined) return parseInt(port, 16);
  }
  throw new Error(`socket ${fd} not found in /proc/net/tcp`);
}

/** A stream whose request ends at once with res 0 and no F_MORE: to the base class a stopped request to re-arm. */
class RearmingNops extends MultishotStream<number> {
  constructor(loop: Loop) {
    super(loop, "nop");
    this.start();
  }
  protected prepArm(sqe: Sqe): void {
    prepNop(sqe);
  }
  protected decode(res: number): number {
    return res;
  }
}

test("a stream whose request ends wanting a re-arm while its loop closes ends, and close() finishes", async () => {
  const loop = new Loop();
  const stream = new RearmingNops(loop);
  const seen: number[] = [];
  const reading = (async () => {
    for await (const v of stream) seen.push(v);
  })();
  // close() drains the NOP's completion; re-arming then would submit to a closing loop.
  await loop.close();
  assert.equal(loop.isClosed, true);
  assert.equal(loop.ring.isClosed, true);
  await reading;
  assert.deepEqual(seen, [0]);
});

test("streams refuse a bad fd or flags, and a buffer ring of another ring or closed, before anything is armed", async () => {
  const loop = new Loop();
  const other = new Loop();
  const theirs = BufferRing.create(other.ring, { bgid: 3, entries: 4, bufferSize: 64 });
  const closed = BufferRing.create(loop.ring, { bgid: 4, entries: 4, bufferSize: 64 });
  closed.close();
  try {
    // NaN and 1.9 used to poll fd 0 and fd 1.
    assert.throws(() => new PollStream(loop, NaN, 1), /fd must be a file descriptor/);
    assert.throws(() => new PollStream(loop, 1.9, 4), /fd must be a file descriptor/);
    assert.throws(() => new PollStream(loop, 0, 2 ** 32 + 1), /events must be an integer from 0 to 4294967295/);
    assert.throws(() => new AcceptStream(loop, -1), /fd must be a file descriptor/);
    assert.throws(() => new RecvStream(loop, 0, closed), /the buffer ring is closed/);
    assert.throws(() => new RecvStream(loop, 0, theirs, { flags: -1 }), /belongs to another ring/);
    // Another ring's group id means nothing here: every arm would end with ENOBUFS and re-arm at once, forever.
    assert.throws(() => new ReadStream(loop, 0, theirs), /belongs to another ring/);
    assert.equal(loop.stats.started, 0, "nothing reached the loop");
  } finally {
    theirs.close();
    await loop.close();
    await other.close();
  }
});
