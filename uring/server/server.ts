/**
 * TCP servers with an async handler per connection: {@link serve} runs `handler(conn)` for every connection, which
 * reads with `for await (const chunk of conn.input)` (zero-copy views of the provided buffers, each valid until the
 * next pull) and answers with `await conn.send(bytes)`; the server closes the connection when the handler returns.
 * It runs on the connection core (`serveCallbacks`, callbacks.ts): one multishot accept, per connection a multishot
 * recv over a provided-buffer ring shared by all connections, sends gathered per turn. The core's callbacks cost
 * less (no promise per chunk or send); this API is for handlers that are easier to write as a sequence.
 *
 * Memory: one `BufferRing` per server (`bufferCount` x `bufferSize`, 1024 x 4 KiB by default). A connection holds a
 * buffer while its bytes wait to be pulled or while the handler works on the view it pulled; when every buffer is
 * held, connections whose recv ran dry wait (ENOBUFS) and resume, in order and without loss, as soon as any
 * connection gives one back. A connection whose handler stops reading holds at most `maxQueued` chunks: then it
 * stops receiving and copies what waits out of the shared ring, so it cannot starve the others.
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
import type { Loop } from "../loop/loop.ts";
import { domError } from "../loop/operation.ts";
import type { InetSocketAddress } from "../abi/sockaddr.ts";
import { checkInt } from "../core/_validate.ts";
import { serveCallbacks, type ServeOptions, type ServerStats } from "./callbacks.ts";
import { type CallbackConnection, type CallbackHandlers, expectedEnding } from "./connection.ts";
import { ConnectionInput } from "./input.ts";

export type { ServeOptions, ServerStats };

/** One accepted connection, as {@link serve} hands it to the handler. */
export interface Connection {
  /** The loop the server runs on. */
  readonly loop: Loop;
  /** The connection's socket. Closed by the server after the handler returns: do not close it yourself. */
  readonly fd: number;
  /**
   * The bytes arriving, as views into the server's provided buffers: each is valid until the next pull (the next
   * `for await` step), so finish with it (send it, parse it, copy what must be kept) before pulling again. Ends at
   * the peer's EOF (or when the server stops); rejects on a reset.
   */
  readonly input: ConnectionInput;
  /** Aborted when the server stops: pass it to anything else the handler waits for. */
  readonly signal: AbortSignal;
  /**
   * The connection's own address: the address it was accepted on, with the listener's port (the one the kernel
   * picked when `serve` was given port 0). From getsockname(2) at accept.
   */
  readonly localAddress: InetSocketAddress;
  /** The peer's address and port, from getpeername(2) at accept. */
  readonly remoteAddress: InetSocketAddress;
  /**
   * Sends every byte of `data`: a view of native memory (a chunk of `input`, say) in place, others copied first;
   * resolves once the kernel has taken them. Rejects with an AbortError when the server stops, with the
   * connection's error (EPIPE, ECONNRESET) when it fails.
   */
  send(data: ArrayBufferView): Promise<void>;
}

/** Serves one connection; the server closes the connection when the returned promise settles. */
export type ConnectionHandler = (conn: Connection) => Promise<void>;

/**
 * Serves TCP connections until `options.signal` aborts: listens (`listenTcp`), accepts every connection with one
 * multishot accept (Linux 5.19), and runs `handler` for each with a multishot recv (Linux 6.0) over a buffer ring
 * (Linux 5.19) shared by all connections. Works in both loop modes (in owning mode call it inside `loop.run`).
 *
 * Stopping: the accept is cancelled, each connection's input ends (values already received are still served),
 * its pending sends reject with an AbortError, and once every handler has returned the connections and the listener
 * are closed (sends still in flight cancelled) and the buffer ring released. The loop stays open: it is the
 * caller's.
 *
 * @param loop The loop.
 * @param options `port`, `host`, `signal`, `onListen`, buffer sizing, `onError`, and `ListenOptions`.
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
export function serve(loop: Loop, options: ServeOptions, handler: ConnectionHandler): Promise<void> {
  try {
    if (options.maxQueued !== undefined) checkInt("serve", options.maxQueued, 1, Number.MAX_SAFE_INTEGER, "maxQueued");
  } catch (e) {
    return Promise.reject(e);
  }
  const onError = options.onError ?? ((e: unknown) => console.error("ringside server: a connection failed:", e));
  const stopper = new AbortController();
  // Every event of the core settles a promise of the async API (a pull, a send, the handler's start): owning mode
  // must let those continuations run, and submit, before it enters the kernel again.
  const wake = () => loop.noteContinuations();
  const handlers: CallbackHandlers<AsyncConnection | null> = {
    onOpen: (conn) => {
      wake();
      // Asked now, while the descriptor is this connection's: a peer that already reset it answers ENOTCONN, and
      // there is nothing to serve.
      const local = conn.localAddress;
      const remote = local && conn.remoteAddress;
      if (!local || !remote) {
        conn.abort(null);
        return null;
      }
      const c = new AsyncConnection(conn as CallbackConnection<unknown>, stopper.signal, local, remote);
      c.run(handler, onError);
      return c;
    },
    onData: (conn, bytes, start, end) => {
      wake();
      conn.context!.input.push(bytes, start, end);
    },
    onEnd: (conn) => {
      wake();
      conn.context!.input.finish(null);
    },
    onSent: (conn) => {
      wake();
      conn.context!.sent();
    },
    onStop: (conn, reason) => {
      wake();
      stopper.abort(options.signal?.reason);
      if (conn.context) conn.context.stop(reason);
      else conn.abort(reason);
    },
    onClose: (conn, error) => {
      wake();
      conn.context?.closed(error);
    },
  };
  // Unexpected failures of a connection are the handler's to see (its pull or send rejects); onError gets those
  // the handler lets escape, as before.
  return serveCallbacks(loop, { ...options, onError: () => {} }, handlers).finally(() => stopper.abort());
}

/** A send waiting for the kernel: resolved once `sentBytes` reaches `upTo`. */
interface PendingSend {
  upTo: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** One connection as `serve`'s handler sees it, over a connection of the core. */
class AsyncConnection implements Connection {
  readonly loop: Loop;
  readonly fd: number;
  readonly input: ConnectionInput;
  readonly signal: AbortSignal;
  readonly localAddress: InetSocketAddress;
  readonly remoteAddress: InetSocketAddress;
  private readonly conn: CallbackConnection<unknown>;
  private readonly sends: PendingSend[] = [];
  private sendHead = 0;
  /** Why sends are refused from now on: the server stopping, or the connection's failure. */
  private refusal: unknown = null;
  private handlerDone = false;
  private stopReason: Error | null = null;

  constructor(
    conn: CallbackConnection<unknown>, signal: AbortSignal, local: InetSocketAddress, remote: InetSocketAddress,
  ) {
    this.conn = conn;
    this.loop = conn.loop;
    this.fd = conn.fd;
    this.signal = signal;
    this.localAddress = local;
    this.remoteAddress = remote;
    this.input = new ConnectionInput(conn);
  }

  send(data: ArrayBufferView): Promise<void> {
    if (this.refusal !== null) return Promise.reject(this.refusal);
    try {
      this.conn.send(data);
    } catch (e) {
      // Bad input rejects, as every operation's promise does, rather than throwing.
      return Promise.reject(e);
    }
    if (this.conn.sentBytes >= this.conn.queuedBytes) return Promise.resolve(); // nothing to send
    const upTo = this.conn.queuedBytes;
    return new Promise<void>((resolve, reject) => this.sends.push({ upTo, resolve, reject }));
  }

  /** Runs the handler; when it returns (or fails) the connection closes, and only then its socket. */
  run(handler: ConnectionHandler, onError: (e: unknown) => void): void {
    let failed = false;
    // The handler may use conn.fd until it returns, even after a reset ended the connection.
    const letClose = this.conn.deferClose();
    const done = () => {
      this.handlerDone = true;
      void this.input.return(); // gives back what the input still holds
      if (this.stopReason !== null) this.conn.abort(this.stopReason); // sends still in flight are cancelled
      else if (failed) this.conn.abort(null);
      else this.conn.close(); // after what is queued is sent
      letClose();
    };
    let running: Promise<void>;
    try {
      running = handler(this);
    } catch (e) {
      running = Promise.reject(e); // a handler that throws before its first await
    }
    running.then(done, (e) => {
      if (!expectedEnding(e)) onError(e);
      failed = true;
      done();
    });
  }

  /** (onSent) The kernel took more bytes. */
  sent(): void {
    const sentBytes = this.conn.sentBytes;
    const s = this.sends;
    while (this.sendHead < s.length && s[this.sendHead]!.upTo <= sentBytes) s[this.sendHead++]!.resolve();
    if (this.sendHead === s.length) {
      s.length = 0;
      this.sendHead = 0;
    }
  }

  /** (onStop) The input ends, pending sends reject; the connection closes when the handler returns. */
  stop(reason: Error): void {
    this.stopReason = reason;
    this.input.cancel();
    this.refuse(domError("AbortError", "The send was aborted: the server is stopping", reason));
    if (this.handlerDone) this.conn.abort(reason);
  }

  /** (onClose) The descriptor is closed: whatever still waits fails with the connection's error. */
  closed(error: unknown): void {
    this.input.finish(error);
    this.refuse(error ?? domError("AbortError", "The send was aborted: the connection closed"));
  }

  private refuse(error: unknown): void {
    if (this.refusal === null) this.refusal = error;
    const s = this.sends;
    for (let i = this.sendHead; i < s.length; i++) s[i]!.reject(error);
    s.length = 0;
    this.sendHead = 0;
  }
}
