import { test } from "node:test";
import assert from "node:assert/strict";
import { Loop } from "../loop/loop.ts";
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
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { forEachBackend, skipIf } from "../../testing/mod.ts";

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0x80000;
const POLLIN = 1;

// Flags no opcode probe reports: the kernel version tells (Debian's 5.10 carries 5.15's io_uring, which has none).
const noTimerStream = !kernelVersionAtLeast(6, 4) && "TickStream needs Linux 6.4 (IORING_TIMEOUT_MULTISHOT)";
const noAcceptStream = !kernelVersionAtLeast(5, 19) && "AcceptStream needs Linux 5.19 (IORING_ACCEPT_MULTISHOT)";
const noBufRing = !kernelVersionAtLeast(5, 19) && "buffer rings (IORING_REGISTER_PBUF_RING) need Linux 5.19";

/** A sockaddr_in for 127.0.0.1:port. */
function loopbackAddr(port: number): Uint8Array {
  const a = new Uint8Array(16);
  const v = new DataView(a.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  a.set([127, 0, 0, 1], 4);
  return a;
}

/** A TCP socket through libc (a fixture: the test is about the accept, not about making sockets on the ring). */
function tcpSocket(): number {
  const fd = libc().socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert.ok(fd >= 0, `socket: errno ${libc().errno()}`);
  return fd;
}

/** A listening TCP socket on 127.0.0.1 and the port the kernel picked (libc: bind, listen, getsockname). */
function tcpListener(): { fd: number; port: number } {
  const fd = tcpSocket();
  const addr = loopbackAddr(0);
  assert.equal(libc().bind(fd, addr, addr.length), 0, "bind");
  assert.equal(libc().listen(fd, 16), 0, "listen");
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, addr.length, true);
  assert.equal(libc().getsockname(fd, addr, len), 0, "getsockname");
  return { fd, port: new DataView(addr.buffer).getUint16(2, false) };
}

forEachBackend((b) => {
  b.test("a counted multishot timeout ticks that many times, then the iterator ends", skipIf(noTimerStream), async () => {
    const loop = b.loop();
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

  b.test("breaking out of an endless timer cancels its request", skipIf(noTimerStream), async () => {
    const loop = b.loop();
    try {
      let n = 0;
      for await (const _ of new TickStream(loop, 2)) if (++n === 3) break;
      assert.equal(n, 3);
      // The cancel completes asynchronously: the slot is freed once the kernel confirms (within ms; seconds are
      // allowed for emulated machines, where a 2 ms timer may take far longer).
      const deadline = performance.now() + 5000;
      while (loop.stats.inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      assert.equal(loop.stats.inFlight, 0);
    } finally {
      await loop.close();
    }
  });

  b.test("a multishot poll reports each time a pipe becomes readable", async () => {
    const loop = b.loop();
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

  b.test("a multishot accept yields one fd per connection; an abort ends it with an AbortError",
    skipIf(noAcceptStream), async () => {
      const loop = b.loop();
      const listener = tcpListener();
      const fds: number[] = [listener.fd];
      try {
        const ac = new AbortController();
        const accepted: number[] = [];
        const stream = new AcceptStream(loop, listener.fd, { signal: ac.signal });
        // The kernel completes a loopback handshake against the listen backlog, before any accept.
        for (let i = 0; i < 3; i++) {
          const c = tcpSocket();
          fds.push(c);
          const addr = loopbackAddr(listener.port);
          assert.equal(libc().connect(c, addr, addr.length), 0, "connect");
        }
        await assert.rejects(async () => {
          for await (const fd of stream) {
            accepted.push(fd);
            fds.push(fd);
            if (accepted.length === 3) ac.abort();
          }
        }, (e: Error) => e.name === "AbortError");
        assert.equal(accepted.length, 3);
        assert.equal(new Set(accepted).size, 3);
      } finally {
        await loop.close();
        for (const fd of fds) libc().close(fd);
      }
    });

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

  b.test("a stream whose request ends wanting a re-arm while its loop closes ends, and close() finishes", async () => {
    const loop = b.loop();
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

  b.test("streams refuse a bad fd or flags before anything is armed", async () => {
    const loop = b.loop();
    try {
      // NaN and 1.9 used to poll fd 0 and fd 1.
      assert.throws(() => new PollStream(loop, NaN, 1), /fd must be a file descriptor/);
      assert.throws(() => new PollStream(loop, 1.9, 4), /fd must be a file descriptor/);
      assert.throws(() => new PollStream(loop, 0, 2 ** 32 + 1), /events must be an integer from 0 to 4294967295/);
      assert.throws(() => new AcceptStream(loop, -1), /fd must be a file descriptor/);
      assert.throws(() => new TickStream(loop, 0), /the interval must be a positive number/);
      assert.equal(loop.stats.started, 0, "nothing reached the loop");
    } finally {
      await loop.close();
    }
  });

  b.test("streams refuse a buffer ring of another ring or closed before anything is armed", skipIf(noBufRing), async () => {
    const loop = b.loop();
    const other = b.loop();
    const theirs = BufferRing.create(other.ring, { bgid: 3, entries: 4, bufferSize: 64 });
    const closed = BufferRing.create(loop.ring, { bgid: 4, entries: 4, bufferSize: 64 });
    closed.close();
    try {
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
});
