import assert from "node:assert/strict";
import { Loop } from "../loop/loop.ts";
import { NativeMemory } from "../core/memory.ts";
import { timeout } from "../ops/timeout.ts";
import { SO_SNDBUF } from "../abi/sockaddr.ts";
import { forEachBackend, skipIf } from "../../testing/mod.ts";
import {
  echoThroughPeers,
  setSocketInt,
  startLocalServer,
  streamByte,
  streamBytes,
  TcpPeer,
} from "../../testing/tcp_peer.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { serveCallbacks, type ServeOptions } from "./callbacks.ts";
import type { CallbackConnection, CallbackHandlers } from "./connection.ts";

const oldKernel = !kernelVersionAtLeast(6, 0) &&
  "the connection core needs Linux 6.0 (multishot recv over a buffer ring)";
const MODES = ["integrated", "owning"] as const;

forEachBackend((b) => {
  interface Harness {
    loop: Loop;
    port: number;
    /** Every onClose call: the connection and its error. */
    closes: { conn: CallbackConnection<unknown>; error: unknown }[];
    /** What onError got. */
    errors: unknown[];
    /** Stops the server and waits for it. */
    stop(): Promise<void>;
  }

  /**
   * Runs `body` against a callback server on a fresh loop in `mode` (owning: inside loop.run), then stops the server
   * and checks what every test must hold: the serve promise resolved, each connection closed once, nothing in flight.
   */
  async function withServer<C>(
    mode: "integrated" | "owning", options: Partial<ServeOptions>, handlers: CallbackHandlers<C>,
    body: (h: Harness) => Promise<void>,
  ): Promise<Harness> {
    const loop = b.loop({ mode });
    const stop = new AbortController();
    const closes: Harness["closes"] = [];
    const errors: unknown[] = [];
    const stats = { accepted: 0, active: 0 };
    const main = async () => {
      const { served, port } = startLocalServer((base) =>
        serveCallbacks(loop, { ...base, ...options }, {
          ...handlers,
          onClose: (conn, error) => {
            closes.push({ conn: conn as CallbackConnection<unknown>, error });
            handlers.onClose?.(conn, error);
          },
        }), stop.signal, errors, stats);
      const h: Harness = {
        loop,
        port: await port,
        closes,
        errors,
        stop: async () => {
          stop.abort();
          await served;
        },
      };
      try {
        await body(h);
      } finally {
        stop.abort();
        await served;
      }
      assert.equal(stats.active, 0, "every connection closed");
      assert.equal(closes.length, stats.accepted, "onClose once per connection");
      assert.equal(new Set(closes.map((c) => c.conn)).size, closes.length, "no connection closed twice");
      assert.equal(loop.stats.inFlight, 0, "nothing in flight once the server stopped");
      return h;
    };
    try {
      return mode === "owning" ? await loop.run(main) : await main();
    } finally {
      await loop.close();
    }
  }

  const echo: CallbackHandlers = {
    onData: (conn, bytes, start, end) => conn.send(bytes, start, end),
  };

  for (const mode of MODES) {
    const name = `${mode}: an echo of 24 connections through 8 buffers of 512 bytes returns every byte once, in order`;
    b.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      const total = 96 * 1024;
      await withServer(mode, { bufferCount: 8, bufferSize: 512, maxQueued: 2 }, echo, async (h) => {
        const peers = 24;
        await echoThroughPeers(h.loop, h.port, peers, total);
        // Each peer's EOF closed its connection (after what was queued was sent) without an error.
        for (let i = 0; i < 100 && h.closes.length < peers; i++) await timeout(h.loop, 5);
        assert.equal(h.closes.length, peers);
        for (const c of h.closes) assert.equal(c.error, null);
        assert.deepEqual(h.errors, []);
      });
    });
  }

  for (const mode of MODES) {
    const name = `${mode}: a peer that does not read stops its connection at maxQueued, and the others are served`;
    b.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      const total = 1024 * 1024;
      // A small send buffer on the server's side too, so its sends stall soon (it grows to 4 MiB by default).
      const received = new Map<number, number>();
      const handlers: CallbackHandlers = {
        onOpen: (conn) => void setSocketInt(conn.fd, SO_SNDBUF, 4096),
        onData: (conn, bytes, start, end) => {
          received.set(conn.fd, (received.get(conn.fd) ?? 0) + end - start);
          conn.send(bytes, start, end);
        },
      };
      await withServer(mode, { bufferCount: 16, bufferSize: 1024, maxQueued: 4 }, handlers, async (h) => {
        const slow = new TcpPeer(h.loop, h.port, { rcvbuf: 4096 });
        const other = new TcpPeer(h.loop, h.port);
        try {
          // The slow peer sends 1 MiB and reads nothing: the server's sends stall, its recv must stop.
          const writing = slow.send(streamBytes(1, 0, total));
          await timeout(h.loop, 200);
          // Another connection on the same 16 buffers still gets its echoes.
          for (let i = 0; i < 20; i++) {
            const msg = streamBytes(2, i * 100, 100);
            await other.send(msg);
            assert.deepEqual(await other.read(100), msg, `echo ${i} on the other connection`);
          }
          // The slow connection stopped receiving: most of its peer's bytes still wait in the kernel.
          const most = Math.max(...received.values());
          assert.ok(most < total / 4, `the server received ${most} bytes of the slow connection`);
          // Now the slow peer reads: everything comes back, in order.
          let bad = -1;
          const reading = slow.read(total).then((b) => {
            for (let i = 0; i < b.length && bad < 0; i++) if (b[i] !== streamByte(1, i)) bad = i;
            return b.length;
          });
          await writing;
          assert.equal(await reading, total);
          assert.equal(bad, -1, `byte ${bad} of the slow connection differs`);
        } finally {
          slow.close();
          other.close();
        }
        assert.deepEqual(h.errors, []);
      });
    });
  }

  for (const mode of MODES) {
    const name = `${mode}: buffers a handler holds keep their bytes until released, and receiving waits for them`;
    b.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      const held: { conn: CallbackConnection<unknown>; handle: number; view: Uint8Array; copy: Uint8Array }[] = [];
      let received = 0;
      const total = 64 * 1024;
      const handlers: CallbackHandlers = {
        onData: (conn, bytes, start, end) => {
          const view = bytes.subarray(start, end);
          held.push({ conn: conn as CallbackConnection<unknown>, handle: conn.hold(), view, copy: view.slice() });
          received += end - start;
        },
      };
      await withServer(mode, { bufferCount: 4, bufferSize: 256 }, handlers, async (h) => {
        const peers = [new TcpPeer(h.loop, h.port), new TcpPeer(h.loop, h.port)];
        try {
          const writing = Promise.all(peers.map((p, i) => p.send(streamBytes(i, 0, total / 2))));
          let stalls = 0;
          while (received < total) {
            await timeout(h.loop, 5);
            if (held.length < 4) continue;
            stalls++;
            // All four buffers are held: nothing more can arrive until some go back. Their bytes are intact.
            for (const x of held.splice(0)) {
              assert.deepEqual(x.view, x.copy, "a held buffer was not refilled");
              x.conn.release(x.handle);
            }
          }
          for (const x of held.splice(0)) x.conn.release(x.handle);
          await writing;
          assert.ok(stalls > 0, "the pool ran dry and receiving resumed after releases");
          assert.equal(received, total);
        } finally {
          for (const p of peers) p.close();
        }
      });
    });
  }

  for (const mode of MODES) {
    const name = `${mode}: peers that reset mid-stream close their connections once, and nothing is reported`;
    b.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      await withServer(mode, { bufferCount: 16, bufferSize: 512, maxQueued: 2 }, echo, async (h) => {
        const peers = Array.from({ length: 20 }, () => new TcpPeer(h.loop, h.port, { rcvbuf: 4096 }));
        // Each sends more than the socket buffers take without reading, then resets: sends fail, recvs see RST.
        const sends = peers.map((p, i) => p.send(streamBytes(i, 0, 256 * 1024)).catch(() => {}));
        await timeout(h.loop, 100);
        for (const p of peers) p.reset();
        await Promise.all(sends);
        for (let i = 0; i < 200 && h.closes.length < peers.length; i++) await timeout(h.loop, 5);
        assert.equal(h.closes.length, peers.length, "every reset connection closed");
        for (const c of h.closes) {
          const code = (c.error as { code?: string } | null)?.code;
          assert.ok(c.error === null || code === "ECONNRESET" || code === "EPIPE", `ended by ${String(c.error)}`);
        }
        assert.deepEqual(h.errors, [], "resets are not reported");
      });
    });
  }

  for (const mode of MODES) {
    const name = `${mode}: stopping with sends in flight and data arriving closes every connection with an AbortError`;
    b.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      await withServer(mode, { bufferCount: 16, bufferSize: 512, maxQueued: 4 }, echo, async (h) => {
        const peers = Array.from({ length: 10 }, () => new TcpPeer(h.loop, h.port, { rcvbuf: 4096 }));
        try {
          const sends = peers.map((p, i) => p.send(streamBytes(i, 0, 512 * 1024)).catch(() => {}));
          await timeout(h.loop, 100);
          await h.stop();
          assert.equal(h.closes.length, peers.length);
          for (const c of h.closes) assert.equal((c.error as Error).name, "AbortError");
          for (const p of peers) p.reset();
          await Promise.all(sends);
        } finally {
          for (const p of peers) p.close();
        }
        assert.deepEqual(h.errors, []);
      });
    });
  }

  for (const mode of MODES) {
    const name = `${mode}: writes of a turn go out in order as one request; end() sends FIN after them`;
    b.test(name, { ...skipIf(oldKernel, name), timeout: 30_000 }, async () => {
      const native = NativeMemory.allocate(16);
      native.bytes.set(new TextEncoder().encode("<native>"));
      const enc = new TextEncoder();
      let ended: CallbackConnection<unknown> | null = null;
      const handlers: CallbackHandlers = {
        onData: (conn, bytes, start, end) => {
          ended = conn as CallbackConnection<unknown>;
          // Mixed: copies, a view of native memory (in place), the received chunk (in place), more copies.
          for (let i = 0; i < 50; i++) conn.write(enc.encode(`${i},`));
          conn.send(native.bytes, 0, 8);
          conn.send(bytes, start, end);
          conn.write(new Uint16Array([0x2e2e])); // ".."
          conn.end();
        },
      };
      try {
        await withServer(mode, {}, handlers, async (h) => {
          const p = new TcpPeer(h.loop, h.port);
          try {
            const before = h.loop.stats.started;
            await p.send(enc.encode("ping"));
            const want = Array.from({ length: 50 }, (_, i) => `${i},`).join("") + "<native>ping..";
            const got = await p.read(want.length + 100); // to EOF: end() sent FIN after the bytes
            assert.equal(new TextDecoder().decode(got), want);
            // The client's send and recvs, the server's one send and its shutdown: not one request per write.
            assert.ok(h.loop.stats.started - before < 20, `${h.loop.stats.started - before} requests`);
            // Sending after end() is refused.
            assert.throws(() => ended!.write(enc.encode("x")), /ended/);
          } finally {
            p.close();
          }
        });
      } finally {
        native.free();
      }
    });
  }

  for (const mode of MODES) {
    const name = `${mode}: 3 MiB written in one turn (small copies past 1 MiB, large writes) arrive whole and in order`;
    b.test(name, { ...skipIf(oldKernel, name), timeout: 60_000 }, async () => {
      const total = 3 * 1024 * 1024;
      const stream = streamBytes(7, 0, total);
      const handlers: CallbackHandlers = {
        onData: (conn) => {
          // Odd sizes from 1 byte to 200 KiB, copied from garbage-collected memory, all in this one turn.
          for (let at = 0, k = 0; at < total; k++) {
            const n = Math.min(total - at, k % 7 === 6 ? 200_000 : 1 + ((k * 4099) % 50_000));
            conn.write(stream.slice(at, at + n));
            at += n;
          }
          conn.end();
        },
      };
      await withServer(mode, {}, handlers, async (h) => {
        const p = new TcpPeer(h.loop, h.port);
        try {
          await p.send(new Uint8Array([1]));
          let bad = -1;
          const got = await p.readToEnd((chunk, at) => {
            for (let i = 0; i < chunk.length && bad < 0; i++) if (chunk[i] !== stream[at + i]) bad = at + i;
          });
          assert.equal(bad, -1, `byte ${bad} differs`);
          assert.equal(got, total);
        } finally {
          p.close();
        }
      });
    });
  }

  const refusalName = "the core refuses bad sends, hold() outside onData, and a missing onData";
  b.test(refusalName, skipIf(oldKernel, refusalName), async () => {
    const loop = b.loop();
    try {
      await assert.rejects(serveCallbacks(loop, { port: 0 }, {} as CallbackHandlers), /onData/);
      await assert.rejects(serveCallbacks(loop, { port: 0, maxQueued: 0 }, echo), /maxQueued/);
      assert.equal(loop.stats.started, 0);
    } finally {
      await loop.close();
    }
    const seen: string[] = [];
    let later: CallbackConnection<unknown> | null = null;
    await withServer("integrated", {}, {
      onData: (conn, bytes, start, end) => {
        for (const bad of [() => conn.send(bytes, end, start), () => conn.send(bytes, 0, bytes.length + 1),
          () => conn.write("x" as unknown as Uint8Array)]) {
          try {
            bad();
          } catch (e) {
            seen.push((e as { code?: string }).code ?? "?");
          }
        }
        later = conn as CallbackConnection<unknown>;
        conn.send(bytes, start, end);
      },
    }, async (h) => {
      const p = new TcpPeer(h.loop, h.port);
      try {
        await p.send(new Uint8Array([1, 2, 3]));
        assert.deepEqual([...await p.read(3)], [1, 2, 3]);
        assert.throws(() => later!.hold(), /only onData/);
      } finally {
        p.close();
      }
    });
    assert.deepEqual(seen, ["ERINGSIDE", "ERINGSIDE", "ERINGSIDE"]);
  });

  const loopCloseName = "closing the loop under a running server ends it: the promise settles, every connection closes";
  b.test(loopCloseName, skipIf(oldKernel, loopCloseName), async () => {
    const loop = b.loop();
    const closes: unknown[] = [];
    let port!: (p: number) => void;
    const listening = new Promise<number>((r) => (port = r));
    const served = serveCallbacks(loop, { port: 0, onListen: (a) => port(a.port), bufferCount: 4, bufferSize: 256 }, {
      onData: (conn, bytes, start, end) => {
        conn.hold(); // never released: the connections starve and wait for buffers with no request in flight
        void bytes, start, end;
      },
      onClose: (_c, e) => closes.push(e),
    });
    const peers = Array.from({ length: 3 }, async () => new TcpPeer(loop, await listening));
    const ps = await Promise.all(peers);
    try {
      await Promise.all(ps.map((p, i) => p.send(streamBytes(i, 0, 4096))));
      await timeout(loop, 50);
      await loop.close();
      await served;
      assert.equal(closes.length, 3);
    } finally {
      for (const p of ps) p.close();
    }
  });
});
