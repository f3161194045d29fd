import assert from "node:assert/strict";
import { NativeMemory } from "../core/memory.ts";
import { forEachBackend } from "../../testing/mod.ts";
import { recv } from "./send_recv.ts";
import { sendAll } from "./send_all.ts";
import { noSockets, pattern, tcpPair } from "../../testing/net_fixtures.ts";

forEachBackend((b) => {
  b.it("sendAll sends every byte of large GC, typed and native buffers while the peer reads slowly", noSockets, () =>
      b.withLoop(async (loop) => {
        const { client, server } = await tcpPair(loop);
        const into = NativeMemory.allocate(1 << 16);
        const native = NativeMemory.allocate(3 << 20);
        try {
          native.bytes.set(pattern(native.byteLength, 5));
          const gc = pattern(6 << 20, 3);
          const words = new Float64Array(pattern(1 << 20, 7).buffer); // not a Uint8Array: sent as its bytes
          const expected = [gc, native.bytes, new Uint8Array(words.buffer)];
          // One after the other: requests in flight together on one stream socket may interleave their bytes.
          const sending = (async () => {
            for (const data of [gc, native.bytes, words, new Uint8Array(0)]) await sendAll(loop, client, data);
          })();
          for (const want of expected) {
            for (let at = 0; at < want.length;) {
              const n = await recv(loop, server, into.bytes.subarray(0, Math.min(into.byteLength, want.length - at)));
              assert.ok(n > 0, "the stream ended early");
              assert.deepEqual(into.bytes.subarray(0, n), want.subarray(at, at + n), `bytes ${at}..${at + n}`);
              at += n;
            }
          }
          await sending;
          assert.ok(!native.isPinned, "the native buffer is unpinned once sent");
          await assert.rejects(sendAll(loop, client, "text" as unknown as Uint8Array), /must be a TypedArray or DataView/);
        } finally {
          into.free();
          native.free();
        }
      }));

  b.it("sendAll aborted midway rejects with an AbortError and leaves nothing in flight", noSockets, () =>
      b.withLoop(async (loop) => {
        const { client } = await tcpPair(loop);
        const stop = new AbortController();
        // Nobody reads: the socket buffers fill and the send waits in the kernel with part of the bytes sent.
        const sending = sendAll(loop, client, new Uint8Array(64 << 20), { signal: stop.signal });
        await new Promise((r) => setTimeout(r, 50));
        stop.abort();
        await assert.rejects(sending, (e: unknown) => (e as Error).name === "AbortError");
      }));
});
