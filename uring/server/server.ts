/**
 * TCP servers on a `Loop`: a listening socket ({@link listenTcp}), one multishot accept for every connection, and
 * per connection a multishot recv over a provided-buffer ring shared by all connections of the server. A handler
 * gets each connection's bytes as zero-copy views and answers with `conn.send` (`sendAll`); {@link serve} resolves
 * once the server has stopped and every connection is closed. The echo and HTTP examples and the server benchmarks
 * are built on it.
 *
 * Memory: one `BufferRing` per server (`bufferCount` x `bufferSize`, 1024 x 4 KiB by default). A connection
 * holds a buffer only while its bytes wait to be pulled or while the handler works on the view it pulled; when every
 * buffer is held, connections whose recv ran dry wait (ENOBUFS) and resume, in order and without loss, as soon as
 * any connection gives one back. A connection whose handler stops reading holds at most `maxQueued` chunks: then it
 * stops receiving and copies what waits out of the ring, so it cannot starve the others.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * const loop = new Loop();
 * const stop = new AbortController(); // stop.abort() stops the server
 * await serve(loop, { port: 9000, signal: stop.signal }, async (conn) => {
 *   for await (const chunk of conn.input) await conn.send(chunk); // echo
 * });
 * await loop.close();
 * ```
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import type { Loop } from "../loop/loop.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { RecvStream } from "../streams/recv_stream.ts";
import { AcceptStream } from "../streams/accept_stream.ts";
import { UringError } from "../core/errors.ts";
import { checkInt } from "../core/_validate.ts";
import { close } from "../fs/open_close.ts";
import { sendAll } from "../net/send_all.ts";
import { cancelFd } from "../ops/cancel.ts";
import { timeout } from "../ops/timeout.ts";
import { domError } from "../loop/operation.ts";
import { decodeSockaddr, type InetSocketAddress, SOCKADDR_STORAGE_SIZE } from "../abi/sockaddr.ts";
import { type ListenOptions, listenTcp } from "./listen.ts";

/** One accepted connection, as {@link serve} hands it to the handler. */
export interface Connection {
  /** The loop the server runs on. */
  readonly loop: Loop;
  /** The connection's socket. Closed by the server after the handler returns: do not close it yourself. */
  readonly fd: number;
  /**
   * The bytes arriving, as views into the server's provided buffers: each is valid until the next pull (the next
   * `for await` step), so finish with it (send it, parse it, copy what must be kept) before pulling again. Ends at
   * the peer's EOF; rejects on a reset.
   */
  readonly input: RecvStream;
  /** Aborted when the server stops: pass it to anything else the handler waits for. */
  readonly signal: AbortSignal;
  /**
   * The connection's own address: the address it was accepted on, with the listener's port (the one the kernel
   * picked when `serve` was given port 0). From getsockname(2) at accept.
   */
  readonly localAddress: InetSocketAddress;
  /** The peer's address and port, from getpeername(2) at accept. */
  readonly remoteAddress: InetSocketAddress;
  /** Sends every byte of `data` (`sendAll`); cancelled when the server stops. */
  send(data: ArrayBufferView): Promise<void>;
}

/** A connected socket's own address (`"getsockname"`) or its peer's (`"getpeername"`), or null once reset. */
function socketAddress(fd: number, which: "getsockname" | "getpeername"): InetSocketAddress | null {
  const sa = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const lenBox = new Uint8Array(4);
  new DataView(lenBox.buffer).setUint32(0, SOCKADDR_STORAGE_SIZE, true);
  if (libc()[which](fd, sa, lenBox) < 0) return null;
  return decodeSockaddr(sa, new DataView(lenBox.buffer).getUint32(0, true)) as InetSocketAddress;
}

/** Serves one connection; the server closes the connection when the returned promise settles. */
export type ConnectionHandler = (conn: Connection) => Promise<void>;

/** What {@link serve} listens on and how. */
export interface ServeOptions extends ListenOptions {
  /** Stops the server: no more accepts, every connection's input ends and its pending sends are cancelled. */
  signal?: AbortSignal | undefined;
  /** Called once the socket listens, with the actual address (the port the kernel picked for port 0). */
  onListen?: ((address: InetSocketAddress) => void) | undefined;
  /** Buffers in the ring shared by all connections (a power of two, default 1024: 256 ran dry at 256 connections). */
  bufferCount?: number | undefined;
  /** Bytes per buffer (default 4096): the most one recv completion carries. */
  bufferSize?: number | undefined;
  /**
   * Chunks a connection may have waiting unread before it stops receiving and its queue is copied out of the shared
   * ring, so a handler that stops reading cannot starve the other connections (default: an eighth of `bufferCount`).
   */
  maxQueued?: number | undefined;
  /** The buffer group ID (default: the first free one from 0x5e00). */
  bgid?: number | undefined;
  /**
   * Called with a connection's unexpected failure (default: print it to stderr). Resets, broken pipes and the
   * cancellations of a stop are expected and not reported.
   */
  onError?: ((error: unknown) => void) | undefined;
  /** An object the server keeps its counts in, for whoever wants to watch them (a benchmark, a status line). */
  stats?: ServerStats | undefined;
}

/** What a running {@link serve} counts. */
export interface ServerStats {
  /** Connections accepted so far. */
  accepted: number;
  /** Connections open now. */
  active: number;
}

const DEFAULT_BGID = 0x5e00;
/** Accept failures that pass (descriptor or memory limits, a peer gone before its accept): retry after a pause. */
const TRANSIENT_ACCEPT = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "ECONNABORTED", "EPERM", "EINTR"]);
/** Connection endings that are part of normal operation. */
const EXPECTED = new Set(["ECONNRESET", "EPIPE", "ECANCELED", "ENOTCONN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * Serves TCP connections until `options.signal` aborts: listens ({@link listenTcp}), accepts every connection with
 * one multishot accept (Linux 5.19), and runs `handler` for each with a multishot recv (Linux 6.0) over a buffer ring
 * (Linux 5.19) shared by all connections. Works in both loop modes (in owning mode call it inside `loop.run`).
 *
 * Stopping: the accept is cancelled, each connection's input ends (values already received are still served),
 * pending sends are cancelled, and once every handler has returned the connections and the listener are closed
 * and the buffer ring released. The loop stays open: it is the caller's.
 *
 * @param loop The loop.
 * @param options `port`, `host`, `signal`, `onListen`, buffer sizing, `onError`, and {@link ListenOptions}.
 * @param handler Serves one connection.
 * @returns Resolves once the server has stopped; rejects when it cannot listen (EADDRINUSE ...) or accepting fails
 *   for good (the connections are closed first).
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { Loop } from "ringside-uring/loop";
 * import { formatAddress } from "ringside-uring/server";
 *
 * const loop = new Loop();
 * const stop = new AbortController();
 * process.on("SIGINT", () => stop.abort());
 * await serve(loop, { port: 0, signal: stop.signal, onListen: (a) => console.log(formatAddress(a)) }, async (c) => {
 *   for await (const chunk of c.input) await c.send(chunk);
 * });
 * await loop.close();
 * ```
 */
export async function serve(loop: Loop, options: ServeOptions, handler: ConnectionHandler): Promise<void> {
  if (options.maxQueued !== undefined) checkInt("serve", options.maxQueued, 1, Number.MAX_SAFE_INTEGER, "maxQueued");
  const stats = options.stats ?? { accepted: 0, active: 0 };
  const listener = listenTcp(options);
  let buffers: BufferRing;
  try {
    buffers = createBuffers(loop, options);
  } catch (e) {
    libc().close(listener.fd);
    throw e;
  }
  const stopper = new AbortController();
  const connections = new Map<RecvStream, number>(); // input -> fd
  const tasks = new Set<Promise<void>>();
  const onError = options.onError ?? ((e: unknown) => console.error("ringside server: a connection failed:", e));
  let accept: AcceptStream | null = null;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    accept?.cancel();
    stopper.abort(options.signal?.reason);
    for (const [input, fd] of connections) {
      input.cancel();
      // One ASYNC_CANCEL per socket for its pending sends, instead of an abort listener added and removed around
      // every send (~15% of the JavaScript time per echoed message in Deno).
      cancelFd(loop, fd, { all: true }).catch(() => {});
    }
  };

  const connection = async (fd: number) => {
    // Asked now, while the descriptor is this connection's: a peer that already reset it answers ENOTCONN, and
    // there is nothing to serve.
    const localAddress = socketAddress(fd, "getsockname");
    const remoteAddress = localAddress && socketAddress(fd, "getpeername");
    if (!localAddress || !remoteAddress) {
      libc().close(fd);
      return;
    }
    let input: RecvStream;
    try {
      // Zero-copy views: each is sent before the next pull, which gives its buffer back to the shared ring.
      input = new RecvStream(loop, fd, buffers, { zeroCopy: true, maxQueued: options.maxQueued });
    } catch (e) {
      libc().close(fd); // the loop is closing: nothing was submitted for this descriptor
      if (!stopping) onError(e);
      return;
    }
    connections.set(input, fd);
    stats.accepted++;
    stats.active++;
    const signal = stopper.signal;
    try {
      const send = (data: ArrayBufferView) =>
        stopping
          ? Promise.reject(domError("AbortError", "The send was aborted: the server is stopping"))
          : sendAll(loop, fd, data);
      await handler({
        loop,
        fd,
        input,
        signal,
        send,
        localAddress,
        remoteAddress,
      });
    } catch (e) {
      if (!expected(e)) onError(e);
    } finally {
      await drain(input);
      connections.delete(input);
      try {
        await close(loop, fd);
      } catch {
        // The loop closed under us: its teardown cancelled the close; the descriptor goes with the process.
      }
      stats.active--;
    }
  };

  let fatal: unknown = null;
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    if (options.signal?.aborted) stop();
    let announced = false;
    while (!stopping) {
      accept = new AcceptStream(loop, listener.fd);
      if (!announced) {
        announced = true;
        options.onListen?.(listener.address);
      }
      try {
        for await (const fd of accept) {
          if (stopping) {
            // Accepted before the cancel took effect.
            await close(loop, fd).catch(() => {});
            continue;
          }
          const task = connection(fd);
          tasks.add(task);
          const done = () => void tasks.delete(task);
          task.then(done, done);
        }
        if (!stopping) fatal = new UringError("accept connections", 0, "the multishot accept ended by itself");
      } catch (e) {
        if (stopping) break;
        if (!(e instanceof UringError && TRANSIENT_ACCEPT.has(e.code))) {
          fatal = e;
          break;
        }
        // Out of descriptors or memory: pause (in the kernel, so owning mode wakes too) and accept again.
        await timeout(loop, 50).catch(() => {});
      }
      if (fatal) break;
    }
  } finally {
    options.signal?.removeEventListener("abort", stop);
    stop();
    while (tasks.size > 0) await Promise.allSettled([...tasks]);
    try {
      await close(loop, listener.fd);
    } catch {
      libc().close(listener.fd);
    }
    // Every recv stream has seen its final CQE (drain() waits for it), so the kernel selects no more buffers.
    buffers.close();
  }
  if (fatal) throw fatal;
}

function expected(e: unknown): boolean {
  if (e instanceof UringError) return EXPECTED.has(e.code);
  return e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError");
}

function createBuffers(loop: Loop, options: ServeOptions): BufferRing {
  const entries = options.bufferCount ?? 1024; // each connection holds the buffer it echoes while its next message arrives
  const bufferSize = options.bufferSize ?? 4096;
  if (options.bgid !== undefined) return BufferRing.create(loop.ring, { bgid: options.bgid, entries, bufferSize });
  for (let bgid = DEFAULT_BGID; ; bgid++) {
    try {
      return BufferRing.create(loop.ring, { bgid, entries, bufferSize });
    } catch (e) {
      // EEXIST: another buffer ring of this loop has the group.
      if (!(e instanceof UringError && e.code === "EEXIST") || bgid >= DEFAULT_BGID + 255) throw e;
    }
  }
}

// ---- Recv streams sharing one buffer ring -----------------------------------------------------------------------

/**
 * Cancels a connection's recv stream and waits for its final CQE, dropping what arrives meanwhile, so that the
 * kernel no longer selects buffers for it and every buffer it held is back in the ring.
 */
async function drain(input: RecvStream): Promise<void> {
  await input.return();
  for (let failures = 0; failures < 2;) {
    try {
      if ((await input.next()).done) break;
    } catch {
      failures++; // the stream's error (a reset) is reported once; then it ends
    }
  }
  await input.return();
}
