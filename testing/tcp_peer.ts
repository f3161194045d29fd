/**
 * The client side of the server tests (uring/server): a TCP socket made and connected with libc (a loopback connect
 * completes at once, before the server accepts) and then read and written through the loop, so it works in both
 * loop modes (in owning mode nothing else would run while the loop waits in the kernel); and a byte pattern that
 * tells every position of every connection's stream apart. Also the server side those tests share: starting a
 * server on a loopback port the kernel picks, and driving an echo of many connections at once.
 *
 * @module
 */
import assert from "node:assert/strict";
import { libc } from "../ffi/mod.ts";
import type { Loop } from "../uring/loop/loop.ts";
import type { ServeOptions, ServerStats } from "../uring/server/callbacks.ts";
import { NativeMemory } from "../uring/core/memory.ts";
import { sendAll } from "../uring/net/send_all.ts";
import { recv } from "../uring/net/send_recv.ts";
import { shutdown } from "../uring/net/socket.ts";
import {
  AF_INET,
  encodeSockaddr,
  SHUT_WR,
  SO_LINGER,
  SO_RCVBUF,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOCKADDR_STORAGE_SIZE,
  SOL_SOCKET,
} from "../uring/abi/sockaddr.ts";

/**
 * Byte `pos` of stream `seed`'s pattern: different per stream and position, so a byte lost, repeated, reordered or
 * taken from another connection shows.
 *
 * @example
 * ```ts
 * console.log(streamByte(1, 0) === streamByte(2, 0)); // false
 * ```
 */
export function streamByte(seed: number, pos: number): number {
  return ((pos + seed * 7919) * 2654435761 >>> 24) & 0xff;
}

/**
 * Bytes `[from, from + n)` of stream `seed`'s pattern.
 *
 * @example
 * ```ts
 * const first = streamBytes(3, 0, 100); // the first 100 bytes of stream 3
 * ```
 */
export function streamBytes(seed: number, from: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = streamByte(seed, from + i);
  return b;
}

/**
 * setsockopt(fd, SOL_SOCKET, name, int value) through libc; asserts it worked.
 *
 * @example
 * ```ts
 * import { SO_SNDBUF } from "../uring/abi/sockaddr.ts";
 * declare const fd: number;
 * setSocketInt(fd, SO_SNDBUF, 4096); // the kernel doubles it
 * ```
 */
export function setSocketInt(fd: number, name: number, value: number): void {
  const v = new Uint8Array(8);
  new DataView(v.buffer).setInt32(0, value, true);
  assert.equal(libc().setsockopt(fd, SOL_SOCKET, name, v, 4), 0, "setsockopt");
}

/**
 * A TCP client connected to 127.0.0.1:`port`, read and written through `loop`.
 *
 * @example
 * ```ts
 * import type { Loop } from "../uring/loop/loop.ts";
 * declare const loop: Loop, port: number;
 *
 * const peer = new TcpPeer(loop, port, { rcvbuf: 4096 }); // a small receive buffer: the server's sends stall soon
 * await peer.send(new Uint8Array([1, 2, 3]));
 * console.log(await peer.read(3));
 * peer.close();
 * ```
 */
export class TcpPeer {
  /** The socket. */
  readonly fd: number;
  private readonly loop: Loop;
  private readonly buf = NativeMemory.allocate(65536);
  private closed = false;

  constructor(loop: Loop, port: number, options: { rcvbuf?: number } = {}) {
    this.loop = loop;
    const c = libc();
    this.fd = c.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert.ok(this.fd >= 0, "socket");
    if (options.rcvbuf !== undefined) setSocketInt(this.fd, SO_RCVBUF, options.rcvbuf);
    const sa = new Uint8Array(SOCKADDR_STORAGE_SIZE);
    const len = encodeSockaddr({ address: "127.0.0.1", port }, sa);
    assert.equal(c.connect(this.fd, sa, len), 0, `connect: errno ${c.errno()}`);
  }

  /** Sends every byte. */
  send(bytes: Uint8Array): Promise<void> {
    return sendAll(this.loop, this.fd, bytes);
  }

  /** Reads exactly `n` bytes (fewer only at EOF). */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const k = await recv(this.loop, this.fd, this.buf.bytes.subarray(0, Math.min(65536, n - got)));
      if (k === 0) return out.subarray(0, got);
      out.set(this.buf.bytes.subarray(0, k), got);
      got += k;
    }
    return out;
  }

  /** Reads until EOF, handing each chunk to `check` with its position; resolves to the byte count. */
  async readToEnd(check?: (chunk: Uint8Array, at: number) => void): Promise<number> {
    let got = 0;
    for (;;) {
      const k = await recv(this.loop, this.fd, this.buf.bytes);
      if (k === 0) return got;
      check?.(this.buf.bytes.subarray(0, k), got);
      got += k;
    }
  }

  /** Sends FIN (shutdown SHUT_WR). */
  shutdownWrite(): Promise<void> {
    return shutdown(this.loop, this.fd, SHUT_WR);
  }

  /** Closes with a reset: SO_LINGER with a zero timeout makes close(2) send RST. */
  reset(): void {
    if (this.closed) return;
    const v = new Uint8Array(8);
    const dv = new DataView(v.buffer);
    dv.setInt32(0, 1, true);
    dv.setInt32(4, 0, true);
    libc().setsockopt(this.fd, SOL_SOCKET, SO_LINGER, v, 8);
    this.close();
  }

  /** Closes the socket (its buffer once no request uses it). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc().close(this.fd);
    if (!this.buf.isPinned) this.buf.free();
  }
}

/**
 * Drives an echo server at 127.0.0.1:`port` with `count` peers at once: each sends `total` bytes of its own pattern
 * (stream `seed` = its index) in writes of odd sizes, all before much is read, then FIN, and reads to EOF; asserts
 * every peer got each byte back once, in order. Every other peer has a 4 KiB receive buffer, so the server's sends
 * wait for socket space while its recvs wait for buffers. Closes the peers.
 *
 * @example
 * ```ts
 * import type { Loop } from "../uring/loop/loop.ts";
 * declare const loop: Loop, port: number;
 *
 * await echoThroughPeers(loop, port, 16, 64 * 1024); // 16 connections, 64 KiB each
 * ```
 */
export async function echoThroughPeers(loop: Loop, port: number, count: number, total: number): Promise<void> {
  const peers = Array.from({ length: count }, (_, i) => new TcpPeer(loop, port, i % 2 ? { rcvbuf: 4096 } : {}));
  try {
    await Promise.all(peers.map(async (p, seed) => {
      const writer = (async () => {
        for (let at = 0; at < total;) {
          const n = Math.min(total - at, 1 + ((at * 7 + seed * 131) % 3001));
          await p.send(streamBytes(seed, at, n));
          at += n;
        }
        await p.shutdownWrite();
      })();
      let bad = -1;
      const got = await p.readToEnd((chunk, at) => {
        for (let i = 0; i < chunk.length && bad < 0; i++) if (chunk[i] !== streamByte(seed, at + i)) bad = at + i;
      });
      await writer;
      assert.equal(bad, -1, `connection ${seed}: byte ${bad} differs`);
      assert.equal(got, total, `connection ${seed}: every byte came back`);
    }));
  } finally {
    for (const p of peers) p.close();
  }
}

/** The options {@link startLocalServer} hands its `start`: the part every server test sets the same way. */
export type LocalServeOptions = Required<
  Pick<ServeOptions, "port" | "host" | "signal" | "onListen" | "onError" | "stats">
>;

/**
 * Starts a server test's server through `start` (serve or serveCallbacks, given the options it is handed plus its
 * own): on 127.0.0.1, on a port the kernel picks, stopped by `signal`, its onError calls collected in `errors` and
 * its counts in `stats`. `served` is the server's promise (its rejection already handled here: await it to see it);
 * `port` resolves to the port it listens on, or -1 when it stopped first.
 *
 * @example
 * ```ts
 * import type { Loop } from "../uring/loop/loop.ts";
 * import { serve } from "../uring/server/server.ts";
 * declare const loop: Loop;
 *
 * const stop = new AbortController();
 * const errors: unknown[] = [];
 * const { served, port } = startLocalServer((o) => serve(loop, { ...o, maxQueued: 4 }, async () => {}),
 *   stop.signal, errors, { accepted: 0, active: 0 });
 * console.log(await port);
 * stop.abort();
 * await served;
 * ```
 */
export function startLocalServer(
  start: (options: LocalServeOptions) => Promise<void>, signal: AbortSignal, errors: unknown[], stats: ServerStats,
): { served: Promise<void>; port: Promise<number> } {
  let listening!: (port: number) => void;
  const port = new Promise<number>((r) => (listening = r));
  const served = start({
    port: 0,
    host: "127.0.0.1",
    signal,
    onListen: (a) => listening(a.port),
    onError: (e) => errors.push(e),
    stats,
  });
  served.catch(() => {});
  return { served, port: Promise.race([port, served.then(() => -1)]) };
}
