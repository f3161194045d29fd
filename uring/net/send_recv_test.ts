import assert from "node:assert/strict";
import { code, forEachBackend } from "../../testing/mod.ts";
import { MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL } from "../abi/sockaddr.ts";
import { recv, send } from "./send_recv.ts";
import { dec, enc, noSockets, tcpPair } from "../../testing/net_fixtures.ts";
import { NativeMemory } from "../core/memory.ts";
import { UringError } from "../core/errors.ts";
import { registerBuffers, unregisterBuffers } from "../ring/registered_buffers.ts";
import { ioUringOlderThan, needs } from "../ring/_since.ts";

const noFixedSendRecv = ioUringOlderThan("7.2") && needs("IORING_RECVSEND_FIXED_BUF on SEND/RECV", "7.2");
const hasFixedSendRecv = !noFixedSendRecv && "this kernel takes registered buffers for SEND and RECV (Linux 7.2)";

forEachBackend((b) => {
  b.it("recv with MSG_DONTWAIT on an empty socket rejects with EAGAIN; MSG_PEEK leaves the data", noSockets, () =>
      b.withLoop(async (loop) => {
        const { client, server } = await tcpPair(loop);
        const buf = new Uint8Array(16);
        await assert.rejects(recv(loop, server, buf, { flags: MSG_DONTWAIT }), code("EAGAIN"));
        await send(loop, client, enc("peek"));
        assert.equal(await recv(loop, server, buf, { flags: MSG_PEEK }), 4);
        buf.fill(0);
        assert.equal(await recv(loop, server, buf), 4);
        assert.equal(dec(buf.subarray(0, 4)), "peek");
      }));

  b.it("a recv that never gets data: timeoutMs rejects with a TimeoutError, an AbortSignal with an AbortError",
    noSockets, () =>
      b.withLoop(async (loop) => {
        const { server } = await tcpPair(loop);
        const buf = new Uint8Array(8);
        const t0 = performance.now();
        await assert.rejects(recv(loop, server, buf, { timeoutMs: 30 }), (e: Error) => e.name === "TimeoutError");
        assert.ok(performance.now() - t0 >= 25);
        const ac = new AbortController();
        const p = recv(loop, server, buf, { signal: ac.signal });
        setTimeout(() => ac.abort(new Error("stop")), 5);
        await assert.rejects(p, (e: Error) => e.name === "AbortError" && (e.cause as Error).message === "stop");
        // An already aborted signal rejects without reaching the kernel.
        const started = loop.stats.started;
        await assert.rejects(recv(loop, server, buf, { signal: AbortSignal.abort() }), { name: "AbortError" });
        assert.equal(loop.stats.started, started);
      }));

  const fixed = "send and recv with bufIndex move the bytes through a registered buffer";
  b.it(fixed, b.needsIoUring("registered buffers (bufIndex)") || noSockets || noFixedSendRecv, () =>
    b.withLoop(async (loop) => {
      const { client, server } = await tcpPair(loop);
      const mem = NativeMemory.allocate(65536);
      registerBuffers(loop.ring, [mem]);
      try {
        // Both halves of one registered buffer; MSG_WAITALL makes the kernel finish each in one request (io_send and
        // io_recv retry a short transfer where the registered buffer's iterator stopped).
        const out = mem.bytes.subarray(0, 32768);
        const into = mem.bytes.subarray(32768);
        for (let i = 0; i < out.length; i++) out[i] = (i * 7) & 0xff;
        const [sent, got] = await Promise.all([
          send(loop, client, out, { bufIndex: 0, flags: MSG_WAITALL }),
          recv(loop, server, into, { bufIndex: 0, flags: MSG_WAITALL }),
        ]);
        assert.deepEqual([sent, got], [32768, 32768]);
        assert.deepEqual(into, out, "the bytes arrived in the registered memory");
      } finally {
        unregisterBuffers(loop.ring);
        mem.free();
      }
    }));

  const outside = "send and recv with bufIndex fail with EFAULT where the bytes lie outside the registered range";
  b.it(outside, b.needsIoUring("registered buffers (bufIndex)") || noSockets || noFixedSendRecv, () =>
    b.withLoop(async (loop) => {
      const { client, server } = await tcpPair(loop);
      const mem = NativeMemory.allocate(8192);
      // Only the first 4096 bytes are buffer 0. A view past them is of the same NativeMemory, so ringside lets it
      // through, and the kernel's bounds check of the registered buffer (io_import_fixed) answers EFAULT: proof that
      // the request went through the registered buffer, not the plain address.
      registerBuffers(loop.ring, [{ memory: mem, offset: 0, length: 4096 }]);
      try {
        const efault = (e: unknown) => e instanceof UringError && e.code === "EFAULT";
        await assert.rejects(send(loop, client, mem.bytes.subarray(4096, 4104), { bufIndex: 0 }), efault);
        await assert.rejects(recv(loop, server, mem.bytes.subarray(4090, 4100), { bufIndex: 0 }), efault,
          "a view that starts inside and ends outside");
        assert.equal(await send(loop, client, mem.bytes.subarray(0, 8), { bufIndex: 0 }), 8, "inside, it works");
        assert.equal(await recv(loop, server, mem.bytes.subarray(100, 108), { bufIndex: 0 }), 8);
      } finally {
        unregisterBuffers(loop.ring);
        mem.free();
      }
    }));

  const notRegistered = "send and recv with bufIndex refuse bytes outside the registered memory";
  b.it(notRegistered, b.needsIoUring("registered buffers (bufIndex)") || noSockets, () =>
    b.withLoop(async (loop) => {
      const { client, server } = await tcpPair(loop);
      const mem = NativeMemory.allocate(4096);
      const other = NativeMemory.allocate(4096);
      registerBuffers(loop.ring, [mem]);
      try {
        const refused = (why: RegExp) => (e: unknown) =>
          e instanceof UringError && e.code === "ERINGSIDE" && why.test(e.message);
        await assert.rejects(send(loop, client, other.bytes, { bufIndex: 0 }), refused(/registered as buffer 0/));
        await assert.rejects(recv(loop, server, new Uint8Array(8), { bufIndex: 0 }), refused(/NativeMemory/));
        await assert.rejects(send(loop, client, mem.bytes, { bufIndex: 1 }), refused(/nothing is registered there/));
      } finally {
        unregisterBuffers(loop.ring);
        mem.free();
        other.free();
      }
    }));

  const before = "send with bufIndex on a kernel before 7.2 is refused with the version it needs";
  b.it(before, b.needsIoUring("registered buffers (bufIndex)") || noSockets || hasFixedSendRecv, () =>
    b.withLoop(async (loop) => {
      const { client } = await tcpPair(loop);
      const mem = NativeMemory.allocate(4096);
      registerBuffers(loop.ring, [mem]);
      try {
        await assert.rejects(send(loop, client, mem.bytes.subarray(0, 4), { bufIndex: 0 }), (e: unknown) =>
          e instanceof UringError && e.code === "ERINGSIDE" && /IORING_OP_SEND needs Linux 7\.2/.test(e.message));
      } finally {
        unregisterBuffers(loop.ring);
        mem.free();
      }
    }));
});
