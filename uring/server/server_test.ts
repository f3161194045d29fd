import assert from "node:assert/strict";
import { readlinkSync } from "node:fs";
import { libc } from "../../ffi/mod.ts";
import { Loop } from "../loop/loop.ts";
import { timeout } from "../ops/timeout.ts";
import { type ConnectionHandler, serve, type ServeOptions, type ServerStats } from "./server.ts";
import { forEachBackend, skipIf } from "../../testing/mod.ts";
import { echoThroughPeers, startLocalServer, streamByte, streamBytes, TcpPeer } from "../../testing/tcp_peer.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";

forEachBackend((be) => {
  be.test("serve refuses a queue limit that is not a positive integer before it listens", async () => {
    const loop = be.loop();
    try {
      await assert.rejects(serve(loop, { port: 0, host: "127.0.0.1", maxQueued: 0 }, async () => {}), /maxQueued/);
      assert.equal(loop.stats.started, 0);
    } finally {
      await loop.close();
    }
  });

  const oldKernel = !kernelVersionAtLeast(6, 0) && "serve needs Linux 6.0 (multishot recv over a buffer ring)";

  const addressesName = "a connection knows the listener's address (the port picked for port 0) and its peer's";
  be.test(addressesName, skipIf(oldKernel, addressesName), async () => {
    const { connect } = await import("node:net");
    const loop = be.loop();
    const stop = new AbortController();
    let served: Promise<void> = Promise.resolve();
    try {
      let listening!: (port: number) => void;
      const port = new Promise<number>((r) => (listening = r));
      const seen = new Promise<{ local: number; remote: number; host: string }>((resolve) => {
        served = serve(loop, { port: 0, host: "127.0.0.1", signal: stop.signal, onListen: (a) => listening(a.port) },
          async (conn) => {
            resolve({ local: conn.localAddress.port, remote: conn.remoteAddress.port, host: conn.remoteAddress.address });
            for await (const _ of conn.input) { /* until the client closes */ }
          });
      });
      const p = await port;
      assert.ok(p > 0);
      const client = connect(p, "127.0.0.1");
      const clientPort = await new Promise<number>((r) => client.on("connect", () => r(client.localPort!)));
      const s = await seen;
      assert.equal(s.local, p);
      assert.equal(s.remote, clientPort);
      assert.equal(s.host, "127.0.0.1");
      client.destroy();
    } finally {
      stop.abort();
      await served;
      await loop.close();
    }
  });

  // ---- serve() on the connection core: the rules its handlers rely on -----------------------------------------

  const MODES = ["integrated", "owning"] as const;

  /** Runs `body` with `serve(handler)` on a fresh loop in `mode` (owning: inside loop.run), stopping it afterwards. */
  async function withServe(
    mode: "integrated" | "owning", options: Partial<ServeOptions>, handler: ConnectionHandler,
    body: (loop: Loop, port: number, stop: () => Promise<void>) => Promise<void>,
  ): Promise<{ errors: unknown[]; stats: ServerStats }> {
    const loop = be.loop({ mode });
    const stop = new AbortController();
    const errors: unknown[] = [];
    const stats = { accepted: 0, active: 0 };
    const main = async () => {
      const { served, port } = startLocalServer((base) => serve(loop, { ...base, ...options }, handler), stop.signal,
        errors, stats);
      const stopped = async () => {
        stop.abort();
        await served;
      };
      try {
        await body(loop, await port, stopped);
      } finally {
        await stopped();
      }
      assert.equal(stats.active, 0, "every connection closed");
      assert.equal(loop.stats.inFlight, 0, "nothing in flight once the server stopped");
    };
    try {
      if (mode === "owning") await loop.run(main);
      else await main();
    } finally {
      await loop.close();
    }
    return { errors, stats };
  }

  for (const mode of MODES) {
    const name = `serve (${mode}): an echo of 16 connections through 8 buffers of 512 bytes returns every byte once, ` +
      "in order";
    be.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      const total = 64 * 1024;
      const { errors } = await withServe(mode, { bufferCount: 8, bufferSize: 512, maxQueued: 2 }, async (conn) => {
        for await (const chunk of conn.input) await conn.send(chunk);
      }, async (loop, port) => {
        await echoThroughPeers(loop, port, 16, total);
      });
      assert.deepEqual(errors, []);
    });
  }

  for (const mode of MODES) {
    const name = `serve (${mode}): a handler that stops reading keeps at most maxQueued chunks, copies them out of ` +
      "the ring, and the others are served";
    be.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      const total = 256 * 1024;
      let go!: () => void;
      const resume = new Promise<void>((r) => (go = r));
      let most = 0;
      let first = true;
      await withServe(mode, { bufferCount: 8, bufferSize: 1024, maxQueued: 4 }, async (conn) => {
        if (first) {
          first = false;
          // The slow handler: reads nothing until told, then checks every byte.
          await resume;
          most = conn.input.buffered;
          let at = 0;
          for await (const chunk of conn.input) {
            for (let i = 0; i < chunk.length; i++) assert.equal(chunk[i], streamByte(1, at + i), `byte ${at + i}`);
            at += chunk.length;
            if (at === total) break;
          }
          assert.equal(at, total);
          await conn.send(new Uint8Array([1]));
          return;
        }
        for await (const chunk of conn.input) await conn.send(chunk);
      }, async (loop, port) => {
        const slow = new TcpPeer(loop, port);
        await timeout(loop, 20); // accepted first
        const other = new TcpPeer(loop, port);
        try {
          const writing = slow.send(streamBytes(1, 0, total));
          await timeout(loop, 100);
          for (let i = 0; i < 20; i++) {
            const msg = streamBytes(2, i * 100, 100);
            await other.send(msg);
            assert.deepEqual(await other.read(100), msg, `echo ${i} on the other connection`);
          }
          go();
          await writing;
          assert.deepEqual([...await slow.read(1)], [1]);
          // The chunks the kernel had delivered before the recv stopped can exceed the limit by a few.
          assert.ok(most >= 4 && most <= 16, `${most} chunks waited`);
        } finally {
          slow.close();
          other.close();
        }
      });
    });
  }

  for (const mode of MODES) {
    const name = `serve (${mode}): stopping ends the inputs, rejects sends with an AbortError, and closes a ` +
      "connection only after its handler returned";
    be.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      const outcomes: string[] = [];
      let handlers = 0;
      await withServe(mode, {}, async (conn) => {
        handlers++;
        for await (const chunk of conn.input) void chunk;
        outcomes.push("input ended");
        // The socket is still this connection's: its address can be asked.
        const sa = new Uint8Array(128);
        const len = new Uint8Array(4);
        new DataView(len.buffer).setUint32(0, 128, true);
        outcomes.push(libc().getsockname(conn.fd, sa, len) === 0 ? "fd open" : "fd closed");
        await conn.send(new Uint8Array(8)).then(() => outcomes.push("sent"), (e) => outcomes.push((e as Error).name));
        await timeout(conn.loop, 30);
        handlers--;
      }, async (loop, port, stop) => {
        const peers = [new TcpPeer(loop, port), new TcpPeer(loop, port)];
        try {
          await Promise.all(peers.map((p) => p.send(new Uint8Array([1, 2, 3]))));
          await timeout(loop, 50);
          await stop();
          assert.equal(handlers, 0, "serve resolved after every handler returned");
        } finally {
          for (const p of peers) p.close();
        }
      });
      assert.deepEqual(outcomes.sort(), ["AbortError", "AbortError", "fd open", "fd open", "input ended", "input ended"]);
    });
  }

  const failName = "serve: a handler's failure goes to onError, a reset is not reported, both connections close";
  be.test(failName, { ...skipIf(oldKernel, failName), timeout: 30_000 }, async () => {
    let n = 0;
    const stats = { accepted: 0, active: 0 };
    const { errors } = await withServe("integrated", { stats }, async (conn) => {
      if (n++ === 0) throw new Error("handler failed");
      for await (const chunk of conn.input) await conn.send(chunk);
    }, async (loop, port) => {
      const a = new TcpPeer(loop, port);
      await timeout(loop, 20);
      const b = new TcpPeer(loop, port, { rcvbuf: 4096 });
      try {
        assert.equal((await a.read(1)).length, 0, "the failed handler's connection was closed");
        const sending = b.send(streamBytes(3, 0, 1 << 20)).catch(() => {});
        await timeout(loop, 50);
        b.reset();
        await sending;
        for (let i = 0; i < 100 && stats.active > 0; i++) await timeout(loop, 5);
      } finally {
        a.close();
        b.close();
      }
    });
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /handler failed/);
    assert.equal(stats.accepted, 2);
  });

  for (const mode of MODES) {
    const name = `serve (${mode}): a reset ends the input with ECONNRESET but the socket stays the handler's until it ` +
      "returns";
    be.test(name, { ...skipIf(oldKernel, name), timeout: 30_000 }, async () => {
      const seen: string[] = [];
      let first = true;
      await withServe(mode, {}, async (conn) => {
        if (!first) {
          for await (const chunk of conn.input) void chunk;
          return;
        }
        first = false;
        const socket = readlinkSync(`/proc/self/fd/${conn.fd}`);
        try {
          for await (const chunk of conn.input) void chunk;
          seen.push("ended");
        } catch (e) {
          seen.push((e as { code?: string }).code ?? String(e));
        }
        // Meanwhile the test connects more peers: a closed descriptor number would be taken by one of them.
        await timeout(conn.loop, 100);
        seen.push(readlinkSync(`/proc/self/fd/${conn.fd}`) === socket ? "same socket" : "fd reused");
        await conn.send(new Uint8Array(1)).catch((e) => seen.push((e as { code?: string }).code ?? String(e)));
      }, async (loop, port) => {
        const a = new TcpPeer(loop, port);
        await a.send(new Uint8Array([1]));
        await timeout(loop, 20);
        a.reset();
        await timeout(loop, 20);
        const more = Array.from({ length: 4 }, () => new TcpPeer(loop, port));
        await timeout(loop, 150);
        for (const p of more) p.close();
      });
      assert.deepEqual(seen, ["ECONNRESET", "same socket", "ECONNRESET"]);
    });
  }
});
