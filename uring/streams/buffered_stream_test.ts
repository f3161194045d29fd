import assert from "node:assert/strict";
import { Loop } from "../loop/loop.ts";
import { PromiseOp } from "../loop/operation.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { ReadStream } from "./read_stream.ts";
import { RecvStream } from "./recv_stream.ts";
import { sendAll } from "../net/send_all.ts";
import { NativeMemory } from "../core/memory.ts";
import { prepSend } from "../prep/net.ts";
import { prepShutdown } from "../prep/net.ts";
import { libc } from "../../ffi/mod.ts";
import { forEachBackend, incrementalRefused, skipIf, socketPair } from "../../testing/mod.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_READ_MULTISHOT } from "../abi/uapi.ts";

const SHUT_WR = 1;

// What this kernel lacks, decided when the tests are declared. Buffer rings and multishot recv are flags of
// register/recv that no opcode probe reports: the kernel version tells (Debian's 5.10 carries 5.15's io_uring).
const noBufRing = !kernelVersionAtLeast(5, 19) && "buffer rings (IORING_REGISTER_PBUF_RING) need Linux 5.19";
const noRecvStream = !kernelVersionAtLeast(6, 0) && "RecvStream needs Linux 6.0 (IORING_RECV_MULTISHOT)";
const noReadStream = noBufRing ||
  (!probeOpcodes().isSupported(IORING_OP_READ_MULTISHOT) && "ReadStream needs Linux 6.7 (IORING_OP_READ_MULTISHOT)");

forEachBackend((be) => {
  /** Declares a test of RecvStream, skipped with the reason on a kernel without multishot recv. */
  const recvTest = (name: string, fn: () => Promise<void>) => be.test(name, skipIf(noRecvStream, be.name(name)), fn);

  /** Fills `bytes` with a stream pattern that depends on the absolute position `pos`. */
  function fill(bytes: Uint8Array, pos: number): void {
    for (let i = 0; i < bytes.length; i++) bytes[i] = ((pos + i) * 2654435761) >>> 24;
  }

  /**
   * A loop, a buffer ring of `entries` buffers of `size` bytes, and socket pairs made on demand: all closed after
   * `fn` (closing the loop inside `fn` is fine).
   */
  async function withStreams(
    bgid: number, entries: number, size: number,
    fn: (loop: Loop, buffers: BufferRing, pair: () => [number, number]) => Promise<void>,
  ): Promise<void> {
    const loop = be.loop();
    const buffers = BufferRing.create(loop.ring, { bgid, entries, bufferSize: size });
    const fds: number[] = [];
    try {
      await fn(loop, buffers, () => {
        const p = socketPair();
        fds.push(...p);
        return p;
      });
    } finally {
      await loop.close();
      buffers.close();
      for (const fd of fds) libc().close(fd);
    }
  }

  const until = async (ready: () => boolean) => {
    for (let i = 0; i < 100 && !ready(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  };

  recvTest("64 MiB through multishot recv with a two-buffer pool arrive intact, re-armed after ENOBUFS", async () => {
    const loop = be.loop();
    const [client, server] = socketPair();
    const buffers = BufferRing.create(loop.ring, { bgid: 7, entries: 2, bufferSize: 4096 });
    const total = 64 * 1024 * 1024;
    const chunk = NativeMemory.allocate(256 * 1024);
    try {
      const sender = (async () => {
        for (let sent = 0; sent < total;) {
          const n = Math.min(chunk.byteLength, total - sent);
          fill(chunk.bytes.subarray(0, n), sent);
          let off = 0;
          while (off < n) {
            const addr = chunk.address + off;
            off += await loop.submit(new PromiseOp("send", (sqe) => prepSend(sqe, client, addr, n - off, 0), {
              keep: chunk,
            })).promise;
          }
          sent += n;
        }
        await loop.submit(new PromiseOp("shutdown", (sqe) => prepShutdown(sqe, client, SHUT_WR))).promise;
      })();
      const stream = new RecvStream(loop, server, buffers);
      let received = 0;
      let mismatch = -1;
      const expect = new Uint8Array(65536);
      for await (const data of stream) {
        fill(expect.subarray(0, data.length), received);
        for (let i = 0; i < data.length; i++) {
          if (data[i] !== expect[i]) {
            mismatch = received + i;
            break;
          }
        }
        if (mismatch >= 0) break;
        received += data.length;
      }
      await sender;
      assert.equal(mismatch, -1, "every byte in order");
      assert.equal(received, total);
      assert.ok(stream.rearms > 0, "the two-buffer pool ran dry and the stream re-armed");
    } finally {
      await loop.close();
      buffers.close();
      chunk.free();
      libc().close(client);
      libc().close(server);
    }
  });

  const noIncremental = incrementalRefused();

  for (const incremental of [false, true]) {
    const kind = incremental ? "an incremental" : "a plain";
    be.test(`a stream whose consumer stops reading does not starve another stream of ${kind} buffer ring`,
      skipIf(noRecvStream || (incremental && noIncremental)), async () => {
      const loop = be.loop();
      const [clientA, serverA] = socketPair();
      const [clientB, serverB] = socketPair();
      const buffers = BufferRing.create(loop.ring, { bgid: 9, entries: 64, bufferSize: 1024, incremental });
      const total = 256 * 1024; // four times what the ring holds
      const data = NativeMemory.allocate(total);
      fill(data.bytes, 0);
      const ping = NativeMemory.allocate(4);
      ping.bytes.set([112, 105, 110, 103]);
      try {
        const streamA = new RecvStream(loop, serverA, buffers, { maxQueued: 8 });
        const streamB = new RecvStream(loop, serverB, buffers, { maxQueued: 8 });
        // A's peer sends everything at once while nobody reads A: its request may take every buffer in one burst.
        const senderA = (async () => {
          for (let off = 0; off < total;) {
            const at = off;
            off += await loop.submit(new PromiseOp("send", (sqe) => prepSend(sqe, clientA, data.address + at, total - at,
              0), { keep: data })).promise;
          }
        })();
        senderA.catch(() => {}); // awaited below; after a failed assertion the loop's close rejects it
        await new Promise((r) => setTimeout(r, 100));
        await loop.submit(new PromiseOp("send", (sqe) => prepSend(sqe, clientB, ping.address, 4, 0), { keep: ping }))
          .promise;
        // B must get its bytes although A's consumer has read nothing: A stopped at its limit and gave the ring back.
        const first = await Promise.race([
          streamB.next(),
          new Promise<"starved">((r) => setTimeout(() => r("starved"), 3000)),
        ]);
        assert.notEqual(first, "starved", "stream B got no buffer while stream A held the ring");
        assert.deepEqual([...(first as IteratorResult<Uint8Array>).value!], [112, 105, 110, 103]);
        // A's bytes all arrive, in order, through the pause, the copies and the re-arms.
        let received = 0;
        const expect = new Uint8Array(4096);
        while (received < total) {
          const r = await streamA.next();
          assert.equal(r.done, false);
          const chunk = r.value!;
          fill(expect.subarray(0, chunk.length), received);
          assert.deepEqual(chunk, expect.subarray(0, chunk.length), `bytes at ${received}`);
          received += chunk.length;
        }
        await senderA;
        assert.equal(received, total);
        assert.ok(streamA.rearms > 0, "stream A paused and was armed again");
        streamA.cancel();
        streamB.cancel();
      } finally {
        await loop.close();
        buffers.close();
        data.free();
        ping.free();
        for (const fd of [clientA, serverA, clientB, serverB]) libc().close(fd);
      }
    });
  }

  be.test("a queue limit that is not a positive integer is refused before anything reaches the kernel",
    skipIf(noBufRing), () =>
    withStreams(10, 4, 64, async (loop, buffers, pair) => {
      const [, server] = pair();
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => new RecvStream(loop, server, buffers, { maxQueued: bad }), /maxQueued must be a positive/);
      }
      assert.equal(loop.stats.started, 0);
    }));

  recvTest("aborting a stream that waits for buffers rejects its pending pull with an AbortError", async () => {
    const loop = be.loop();
    const [clientA, serverA] = socketPair();
    const [clientB, serverB] = socketPair();
    const buffers = BufferRing.create(loop.ring, { bgid: 11, entries: 1, bufferSize: 64 });
    const data = NativeMemory.allocate(4);
    try {
      // A takes the ring's only buffer and nobody reads A (a queue limit above the ring's size, so A keeps it); B's
      // recv then ends with ENOBUFS and B waits, unarmed.
      const streamA = new RecvStream(loop, serverA, buffers, { maxQueued: 4 });
      await loop.submit(new PromiseOp("send", (sqe) => prepSend(sqe, clientA, data.address, 4, 0), { keep: data }))
        .promise;
      while (streamA.buffered === 0) await new Promise((r) => setTimeout(r, 5));
      const stop = new AbortController();
      const streamB = new RecvStream(loop, serverB, buffers, { signal: stop.signal });
      await loop.submit(new PromiseOp("send", (sqe) => prepSend(sqe, clientB, data.address, 4, 0), { keep: data }))
        .promise;
      await new Promise((r) => setTimeout(r, 50));
      const pending = streamB.next();
      stop.abort(new Error("enough"));
      await assert.rejects(pending, { name: "AbortError" });
      streamA.cancel();
    } finally {
      await loop.close();
      buffers.close();
      data.free();
      for (const fd of [clientA, serverA, clientB, serverB]) libc().close(fd);
    }
  });

  recvTest("zero-copy recv views hold their buffer until the next pull", () =>
    withStreams(8, 4, 64, async (loop, buffers, pair) => {
      const [client, server] = pair();
      const stream = new RecvStream(loop, server, buffers, { zeroCopy: true });
      libc().write(client, new TextEncoder().encode("hello"), 5);
      const first = await stream.next();
      assert.equal(new TextDecoder().decode(first.value!), "hello");
      assert.equal(buffers.lent, 1, "the view's buffer is lent to the consumer");
      libc().write(client, new TextEncoder().encode("world"), 5);
      const second = await stream.next();
      assert.equal(new TextDecoder().decode(second.value!), "world");
      assert.equal(buffers.lent, 1, "the first buffer went back when the second was pulled");
      await stream.return();
      assert.equal(buffers.lent, 0);
      for (let i = 0; i < 100 && loop.stats.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 2));
      assert.equal(buffers.users, 0, "the cancelled request no longer uses the group");
    }));

  be.test("a multishot read follows a pipe until every writer closes", skipIf(noReadStream), async () => {
    const loop = be.loop();
    const fds = new Int32Array(2);
    assert.equal(libc().pipe2(fds, 0x80000), 0);
    const buffers = BufferRing.create(loop.ring, { bgid: 9, entries: 4, bufferSize: 256 });
    try {
      const stream = new ReadStream(loop, fds[0]!, buffers); // pipe2 filled fds
      const lines = ["one\n", "two\n", "three\n"];
      const got: string[] = [];
      const reader = (async () => {
        for await (const chunk of stream) got.push(new TextDecoder().decode(chunk));
      })();
      for (const l of lines) {
        libc().write(fds[1], new TextEncoder().encode(l), l.length);
        await new Promise((r) => setTimeout(r, 2));
      }
      libc().close(fds[1]);
      await reader;
      assert.equal(got.join(""), lines.join(""));
    } finally {
      await loop.close();
      buffers.close();
      libc().close(fds[0]);
    }
  });

  recvTest("a zero-copy view stays intact when the stream re-arms after ENOBUFS on that pull", () =>
    withStreams(9, 4, 16, async (loop, buffers, pair) => {
      const [client, server] = pair();
      const stream = new RecvStream(loop, server, buffers, { zeroCopy: true });
      // Four buffers of A..D fill the ring; the E's wait in the socket (ENOBUFS) until a buffer is free.
      const text = "A".repeat(16) + "B".repeat(16) + "C".repeat(16) + "D".repeat(16) + "E".repeat(16);
      libc().write(client, new TextEncoder().encode(text), text.length);
      for (let i = 0; i < 200 && buffers.lent < 4; i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20)); // the ENOBUFS completion has arrived
      let got = "";
      for (let i = 0; i < 5; i++) {
        const { value } = await stream.next();
        const s = new TextDecoder().decode(value!);
        await new Promise((r) => setTimeout(r, 5)); // a consumer that takes its time with the view
        assert.equal(new TextDecoder().decode(value!), s, `view ${i} unchanged while held`);
        got += s;
      }
      assert.equal(got, text);
      stream.cancel();
      while (!(await stream.next()).done);
    }));

  recvTest("streams sharing a buffer ring resume when another stream gives buffers back", () =>
    withStreams(10, 8, 64, async (loop, buffers, pair) => {
      const [ac, as] = pair();
      const [bc, bs] = pair();
      const a = new RecvStream(loop, as, buffers, { zeroCopy: true });
      const b = new RecvStream(loop, bs, buffers, { zeroCopy: true });
      libc().write(ac, new Uint8Array(8 * 64 + 100), 8 * 64 + 100); // a's queue takes every buffer
      for (let i = 0; i < 200 && buffers.lent < 8; i++) await new Promise((r) => setTimeout(r, 5));
      const pending = b.next(); // b's consumer waits; b's recv finds no buffer (ENOBUFS)
      libc().write(bc, new TextEncoder().encode("hello"), 5);
      await new Promise((r) => setTimeout(r, 20));
      let taken = 0;
      while (taken < 8 * 64 + 100) taken += (await a.next()).value!.length; // a gives its buffers back
      const r = await Promise.race([pending, new Promise((res) => setTimeout(() => res("stalled"), 2000))]);
      assert.notEqual(r, "stalled", "b was re-armed by a's buffers");
      assert.equal(new TextDecoder().decode((r as IteratorResult<Uint8Array>).value!), "hello");
      for (const s of [a, b]) {
        s.cancel();
        while (!(await s.next()).done);
      }
    }));

  recvTest("a request a closing loop gives up on keeps its buffer group in use, so the buffers are never unmapped under it", async () => {
    const loop = be.loop();
    const [client, server] = socketPair();
    const buffers = BufferRing.create(loop.ring, { bgid: 9, entries: 4, bufferSize: 4096 });
    try {
      const stream = new RecvStream(loop, server, buffers);
      const pull = stream.next();
      await new Promise((resolve) => setTimeout(resolve, 10)); // the recv waits in the kernel: no data yet
      assert.equal(buffers.users, 1);
      const ended = assert.rejects(pull, /closed before the kernel completed it/);
      // No grace: the loop gives up on the recv at once, as it does on one the kernel cannot cancel in time.
      await loop.close(0);
      assert.equal(loop.leakedOperations, 1);
      await ended;
      // The kernel may still pick one of these buffers and write it: closing the group must be refused.
      assert.equal(buffers.users, 1);
      assert.throws(() => buffers.close(), /may still be in flight/);
    } finally {
      libc().close(client);
      libc().close(server);
    }
  });

  recvTest("a zero-copy view sent on is not refilled by the kernel until the send finishes, though pulled past", () =>
    withStreams(10, 4, 64, async (loop, buffers, pair) => {
      const [client, server] = pair();
      const [out, peer] = pair();
      const MSG_DONTWAIT = 0x40;
      const stream = new RecvStream(loop, server, buffers, { zeroCopy: true });
      libc().write(client, new TextEncoder().encode("hello"), 5);
      const first = (await stream.next()).value!;
      // Fill `out` so that a send of the view waits in the kernel, reading the provided buffer in place.
      const filler = new Uint8Array(65536);
      let queued = 0;
      for (let n; (n = Number(libc().send(out, filler, filler.length, MSG_DONTWAIT))) > 0;) queued += n;
      const sent = sendAll(loop, out, first);
      await new Promise((resolve) => setTimeout(resolve, 10));
      // Pulling on gives the first buffer back; the send still reads it, so it must not go back to the kernel yet.
      libc().write(client, new TextEncoder().encode("world"), 5);
      assert.equal(new TextDecoder().decode((await stream.next()).value!), "world");
      assert.equal(buffers.lent, 2, "the buffer being sent stays out of the ring");
      await stream.return();
      for (let i = 0; i < 100 && buffers.users > 0; i++) await new Promise((resolve) => setTimeout(resolve, 2));
      assert.equal(buffers.lent, 1, "only the buffer being sent is out");
      assert.throws(() => buffers.close(), /still use buffers of group 10 in place/);
      // The peer reads everything: the send finishes, and only then does the buffer go back.
      const got: number[] = [];
      const sink = new Uint8Array(65536);
      while (got.length < queued + 5) {
        const n = Number(libc().read(peer, sink, sink.length));
        assert.ok(n > 0);
        for (let i = 0; i < n; i++) got.push(sink[i]!); // n <= sink.length
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      await sent;
      assert.equal(new TextDecoder().decode(new Uint8Array(got.slice(queued))), "hello");
      assert.equal(buffers.lent, 0, "back in the ring once the send finished");
    }));

  recvTest("a stream waiting for buffers, with no request in flight, ends when its loop closes", () =>
    withStreams(11, 2, 16, async (loop, buffers, pair) => {
      const [ca, sa] = pair();
      const [cb, sb] = pair();
      // B may hold both buffers (a queue limit above the ring's size) and its consumer never reads: A runs out
      // (ENOBUFS) and waits, with no request in flight.
      const b = new RecvStream(loop, sb, buffers, { maxQueued: 4 });
      libc().write(cb, new Uint8Array(40), 40);
      await until(() => b.buffered >= 2);
      const a = new RecvStream(loop, sa, buffers);
      libc().write(ca, new Uint8Array(5), 5);
      const pull = a.next();
      await new Promise((resolve) => setTimeout(resolve, 20));
      let settled = false;
      void pull.then(() => (settled = true), () => (settled = true));
      assert.equal(settled, false, "A waits for a buffer");
      await loop.close();
      assert.deepEqual(await pull, { value: undefined, done: true }, "A ended with its loop");
    }));

  recvTest("by default a stalled stream leaves a small ring's buffers to the others (queue limit at most half)", () =>
    withStreams(12, 2, 16, async (loop, buffers, pair) => {
      const [ca, sa] = pair();
      const [cb, sb] = pair();
      const b = new RecvStream(loop, sb, buffers); // its consumer never reads
      libc().write(cb, new Uint8Array(40), 40);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const a = new RecvStream(loop, sa, buffers);
      libc().write(ca, new TextEncoder().encode("hello"), 5);
      const got = await a.next();
      assert.equal(new TextDecoder().decode(got.value!), "hello");
      await a.return();
      await b.return();
    }));

  recvTest("a stream that ends while waiting for buffers is forgotten by its loop and its ring", () =>
    withStreams(13, 1, 16, async (loop, buffers, pair) => {
      // Read afresh each time: the ring replaces its array of waiters when it wakes them.
      const parked = () => (loop as unknown as { parked: Set<unknown> }).parked;
      const waiters = () => (buffers as unknown as { waiters: unknown[] }).waiters;
      const wakeOf = (s: RecvStream) => (s as unknown as { wake: unknown }).wake;
      // A holds the only buffer (its limit above the ring's size); each B after it runs dry and waits, then ends.
      const [ca, sa] = pair();
      const a = new RecvStream(loop, sa, buffers, { maxQueued: 4 });
      libc().write(ca, new Uint8Array(8), 8);
      await until(() => a.buffered > 0);
      const ended: RecvStream[] = [];
      for (let i = 0; i < 20; i++) {
        const [c, s] = pair();
        const b = new RecvStream(loop, s, buffers);
        libc().write(c, new Uint8Array(1), 1);
        await new Promise((resolve) => setTimeout(resolve, 2));
        await b.return();
        ended.push(b);
      }
      // A may wait for a buffer itself: where the socket does not report how much is left to read (msg_inq), the
      // multishot recv tries again at once and ends with ENOBUFS (Linux 6.12 on AF_UNIX). Only the Bs must be gone.
      for (const [i, b] of ended.entries()) {
        assert.ok(!parked().has(b), `ended stream ${i} is not parked in its loop`);
        assert.ok(!waiters().includes(wakeOf(b)), `ended stream ${i} is not waiting on the ring`);
      }
      assert.ok(parked().size <= 1 && waiters().length <= 1, "nothing but A waits");
      await a.return();
      assert.deepEqual([parked().size, waiters().length], [0, 0], "no ended stream is kept waiting");
    }));
});
