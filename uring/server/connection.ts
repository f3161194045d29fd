/**
 * One connection of the callback-level connection core ({@link serveCallbacks} in callbacks.ts): a multishot recv
 * over the server's provided-buffer ring, handlers called with each chunk, and a send queue that gathers what a
 * turn sends into one request.
 *
 * The shape is a completion-based event loop's (TigerBeetle's IO): CQEs are only recorded while the loop reaps
 * them; once the reap is over (`Loop.runAfterReap`) each connection that got some runs its handlers, in CQE order,
 * and the sends they asked for go out as one request per connection, submitted with the loop's next enter. No
 * promise, closure or request object is made per chunk or per send: the recv and send requests are two
 * `Operation` objects per connection, armed again and again.
 *
 * The rules (the same as those of `serve`, which is built on this):
 * - Exactly once, in order: every chunk the kernel delivers reaches `onData` once, in the order received, until
 *   the connection closes; after `close()` what still arrives is dropped. Every byte handed to `send`/`write`
 *   goes out once, in call order, unless the connection fails or is aborted.
 * - A chunk is a range of a provided buffer, valid during `onData`. Handed to `send()` it stays out of the ring
 *   (BufferRing.holdRange) until the kernel has sent it (one request uses at most 4 buffers so, and copies the rest
 *   of a turn's chunks); kept with `hold()` it stays out until `release()`.
 * - Backpressure: one send request per connection is in flight; the chunks that arrive meanwhile count against
 *   `maxQueued`, and at the limit the connection stops receiving (the peer's bytes wait in its socket) and copies
 *   the received bytes it waits to send back out of the shared ring, so a peer that does not read cannot starve
 *   the other connections; receiving resumes when the request in flight completes.
 * - When every buffer is lent, the kernel ends a connection's recv with ENOBUFS; it is armed again as soon as a
 *   buffer is back, without loss (unread bytes stay in the socket).
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import type { Loop } from "../loop/loop.ts";
import { cqeError, Operation, OpState } from "../loop/operation.ts";
import type { BufferRing } from "../buffers/buffer_ring.ts";
import { refuse, UringError } from "../core/errors.ts";
import type { Sqe } from "../ring/sqe.ts";
import { sqeAddFlags, sqeSetBufGroup } from "../ring/sqe.ts";
import { prepRecvMultishot } from "../prep/net.ts";
import { IOSQE_BUFFER_SELECT } from "../abi/uapi.ts";
import { ECANCELED, ENOBUFS } from "../abi/errno.ts";
import { decodeSockaddr, type InetSocketAddress, SHUT_WR, SOCKADDR_STORAGE_SIZE } from "../abi/sockaddr.ts";
import { close as closeFd } from "../fs/open_close.ts";
import { shutdown } from "../net/socket.ts";
import { SendQueue, type SendQueueOwner } from "./_send_queue.ts";

/**
 * What a callback server calls, all of them after the reap that brought the event (never inside it), on the
 * thread of the loop. A handler that throws fails its connection (the error goes to the server's `onError`).
 */
export interface CallbackHandlers<C = undefined> {
  /**
   * A connection was accepted; what it returns becomes `conn.context` (nothing: it stays undefined). Receiving
   * starts after it returns.
   */
  onOpen?: ((conn: CallbackConnection<C>) => C | void) | undefined;
  /**
   * Bytes arrived: `bytes[start, end)`. `bytes` is the whole provided buffer (the same view each time that buffer
   * is used, so nothing is allocated per chunk); the range is valid until the handler returns, unless it is passed
   * to `conn.send()` (kept until sent) or kept with `conn.hold()`.
   */
  onData: (conn: CallbackConnection<C>, bytes: Uint8Array, start: number, end: number) => void;
  /** The peer closed its side (EOF). By default the connection closes (after what is queued is sent). */
  onEnd?: ((conn: CallbackConnection<C>) => void) | undefined;
  /**
   * The server is stopping. By default the connection is aborted (`conn.abort(AbortError)`); a handler may instead
   * finish its work and close it (the server waits for every connection to close).
   */
  onStop?: ((conn: CallbackConnection<C>, reason: Error) => void) | undefined;
  /** A send request completed: `conn.sentBytes` grew. */
  onSent?: ((conn: CallbackConnection<C>) => void) | undefined;
  /**
   * The connection is over, once, whatever ended it: nothing more arrives or goes out, and its socket is closed
   * right after (or once every `deferClose()` is released). `error` is null for a close, the failure (a reset,
   * EPIPE, a handler's exception), or an AbortError when the server stopped.
   */
  onClose?: ((conn: CallbackConnection<C>, error: unknown) => void) | undefined;
}

/** @internal What a connection needs of its server. */
export interface ConnectionHost {
  readonly loop: Loop;
  readonly buffers: BufferRing;
  readonly handlers: CallbackHandlers<unknown>;
  readonly maxQueued: number;
  /** Runs `conn.turn()` after the current reap. */
  ready(conn: CallbackConnection<unknown>): void;
  /** Issues `conn`'s gathered sends at the end of the turn. */
  dirty(conn: CallbackConnection<unknown>): void;
  /** A handler threw, or the connection failed unexpectedly. */
  report(error: unknown): void;
  /** The descriptor is closed. */
  closed(conn: CallbackConnection<unknown>): void;
}

/**
 * One accepted connection of {@link serveCallbacks}: send and write bytes, keep a received buffer, pause and
 * resume receiving, half-close and close. Not made by hand.
 *
 * @example
 * ```ts
 * import type { CallbackHandlers } from "ringside-uring/server";
 *
 * // Echo: each chunk goes back from the buffer it arrived in.
 * const echo: CallbackHandlers = {
 *   onData: (conn, bytes, start, end) => conn.send(bytes, start, end),
 * };
 * ```
 */
export class CallbackConnection<C = undefined> implements SendQueueOwner {
  /** The loop the server runs on. */
  readonly loop: Loop;
  /** The socket. The server closes it: do not close it yourself. */
  readonly fd: number;
  /** What `onOpen` returned. */
  context: C = undefined as C;
  /** @internal In the server's list of connections to run after the reap. */
  readyQueued = false;
  /** @internal In the server's list of connections with sends to issue. */
  dirtyQueued = false;

  private readonly host: ConnectionHost;
  private readonly buffers: BufferRing;
  private readonly queue: SendQueue;
  private readonly recvOp: RecvOp;
  // Chunks recorded during the reap, delivered after it: parallel arrays kept from turn to turn.
  private readonly inBid: number[] = [];
  private readonly inOff: number[] = [];
  private readonly inLen: number[] = [];
  private inCount = 0;
  private recvEnded = false;
  private recvRes = 0;
  private sendEnded = false;
  private sendRes = 0;
  private recvArmed = false;
  private recvCancelled = false;
  private eof = false;
  private userPaused = false;
  private queuePaused = false;
  private waitingBuffers = false;
  /** Chunks delivered while a send was in flight. */
  private queuedChunks = 0;
  /** The buffer being delivered to onData, and whether the handler keeps it. */
  private deliveringBid = -1;
  private kept = false;
  private endRequested = false;
  /** The half-close: 0 not yet, 1 in flight, 2 done. */
  private shutdownState = 0;
  private closing = false;
  private aborting = false;
  /** onClose has run: the connection is over, its descriptor about to close. */
  private ended = false;
  /** deferClose() calls not released yet: the descriptor stays open meanwhile. */
  private deferrals = 0;
  private closeIssued = false;
  private closed_ = false;
  private error: unknown = null;
  private local: InetSocketAddress | null | undefined;
  private remote: InetSocketAddress | null | undefined;
  private readonly wake = () => {
    this.waitingBuffers = false;
    this.armRecv();
  };
  private readonly onClosed = () => {
    this.closed_ = true;
    this.host.closed(this as CallbackConnection<unknown>);
  };
  private readonly onShutdown = () => {
    this.shutdownState = 2;
    this.advanceClose();
  };

  /** @internal Made by the server for an accepted socket. */
  constructor(host: ConnectionHost, fd: number) {
    this.host = host;
    this.loop = host.loop;
    this.fd = fd;
    this.buffers = host.buffers;
    this.queue = new SendQueue(host.loop, fd, host.buffers, Math.min(HELD_PER_SEND, host.maxQueued), this);
    this.recvOp = new RecvOp(this as CallbackConnection<unknown>, fd, host.buffers.bgid);
  }

  /** Bytes handed to `send` and `write` so far. */
  get queuedBytes(): number {
    return this.queue.queuedBytes;
  }

  /** Bytes the kernel has taken so far; all of them once it equals `queuedBytes`. */
  get sentBytes(): number {
    return this.queue.sentBytes;
  }

  /** The server's `maxQueued` (see `ServeOptions`). */
  get maxQueued(): number {
    return this.host.maxQueued;
  }

  /** Whether the connection is closing or closed: sends are refused, what arrives is dropped. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Whether the descriptor is closed. */
  get isClosed(): boolean {
    return this.closed_;
  }

  /** The connection's own address (getsockname(2), asked once), or null once the connection is reset. */
  get localAddress(): InetSocketAddress | null {
    if (this.local === undefined) this.local = socketAddress(this.fd, "getsockname", this.closeIssued);
    return this.local;
  }

  /** The peer's address (getpeername(2), asked once), or null once the connection is reset. */
  get remoteAddress(): InetSocketAddress | null {
    if (this.remote === undefined) this.remote = socketAddress(this.fd, "getpeername", this.closeIssued);
    return this.remote;
  }

  /**
   * Queues `bytes[start, end)` to be sent in place: a received chunk stays out of the buffer ring, other native
   * memory stays pinned, until the kernel has sent it (do not change it meanwhile); garbage-collected memory is
   * copied now, as by {@link write}. What a turn sends goes out as one request after it.
   *
   * @param bytes The bytes (a view; `onData`'s `bytes` for an echo).
   * @param start Where to start in `bytes` (default 0).
   * @param end Where to stop (default: its length).
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection, bytes: Uint8Array, start: number, end: number;
   *
   * conn.send(bytes, start, end); // in onData: the chunk goes back without a copy
   * ```
   */
  send(bytes: ArrayBufferView, start: number = 0, end: number = bytes?.byteLength): void {
    this.checkSend("send", bytes, start, end);
    this.queue.send(bytes, start, end);
    this.markDirty();
  }

  /**
   * Queues a copy of `bytes[start, end)`: the caller may reuse `bytes` at once. Small writes of a turn are copied
   * into one buffer and go out as one request.
   *
   * @param bytes The bytes.
   * @param start Where to start in `bytes` (default 0).
   * @param end Where to stop (default: its length).
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection;
   *
   * conn.write(new TextEncoder().encode("hello\n"));
   * ```
   */
  write(bytes: ArrayBufferView, start: number = 0, end: number = bytes?.byteLength): void {
    this.checkSend("write", bytes, start, end);
    this.queue.write(bytes, start, end);
    this.markDirty();
  }

  /**
   * Keeps the buffer `onData` is delivering out of the ring after the handler returns; give it back with
   * {@link release}. Only during `onData`. Each kept buffer is one fewer for every connection of the server.
   *
   * @returns The handle to release.
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection;
   *
   * const handle = conn.hold(); // in onData
   * // ... later, done with the bytes:
   * conn.release(handle);
   * ```
   */
  hold(): number {
    if (this.deliveringBid < 0) refuse("hold a received buffer", "only onData may keep the buffer it is given");
    this.kept = true;
    return this.deliveringBid;
  }

  /**
   * Gives back a buffer kept with {@link hold}: the kernel may refill it at once (or, if a send still uses it, once
   * that send completes). Releasing a handle twice is refused. After the server stopped, a no-op.
   *
   * @param handle What `hold()` returned.
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection, handle: number;
   *
   * conn.release(handle);
   * ```
   */
  release(handle: number): void {
    if (this.buffers.isClosed) return;
    this.buffers.recycle(handle);
  }

  /**
   * Stops receiving (cancels the recv): the peer's bytes wait in the socket. Chunks the kernel delivered before
   * the cancel took effect are still passed to `onData`.
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection;
   *
   * conn.pause();
   * setTimeout(() => conn.resume(), 100);
   * ```
   */
  pause(): void {
    this.userPaused = true;
    this.stopRecv();
  }

  /**
   * Receives again after {@link pause}.
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection;
   *
   * conn.resume();
   * ```
   */
  resume(): void {
    this.userPaused = false;
    this.armRecv();
  }

  /**
   * Half-closes: once what is queued is sent, shutdown(SHUT_WR) sends the peer a FIN; receiving goes on until the
   * peer's EOF (then `onEnd`) or {@link close}. Later sends are refused.
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection, lastResponse: Uint8Array;
   *
   * conn.send(lastResponse);
   * conn.end();
   * ```
   */
  end(): void {
    if (this.endRequested || this.closing) return;
    this.endRequested = true;
    this.maybeShutdown();
  }

  /**
   * Closes gracefully: stops receiving (what still arrives is dropped), sends what is queued, then closes the
   * socket through the loop and calls `onClose(conn, null)`.
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection, goodbye: Uint8Array;
   *
   * conn.write(goodbye);
   * conn.close();
   * ```
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.stopRecv();
    this.advanceClose();
  }

  /**
   * Keeps the socket open after the connection is over (`onClose`) until the returned function is called: for
   * code that may still use `fd` (an async handler that has not returned yet), so the descriptor number cannot be
   * reused under it. The server waits for it when it stops.
   *
   * @returns Lets the socket close (calling it again does nothing).
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection;
   * declare function work(fd: number): Promise<void>;
   *
   * const release = conn.deferClose();
   * work(conn.fd).finally(release);
   * ```
   */
  deferClose(): () => void {
    if (this.closeIssued) refuse("defer the close of a connection", "its socket is already being closed");
    this.deferrals++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.deferrals--;
      this.advanceClose();
    };
  }

  /**
   * Closes at once: stops receiving, cancels the send in flight and drops what is queued, closes the socket and
   * calls `onClose(conn, error)`.
   *
   * @param error What ended the connection (null: none to report).
   *
   * @example
   * ```ts
   * import type { CallbackConnection } from "ringside-uring/server";
   * declare const conn: CallbackConnection;
   *
   * conn.abort(new Error("protocol violation"));
   * ```
   */
  abort(error: unknown = null): void {
    if (this.closed_ || this.aborting) return;
    if (error !== null && this.error === null) this.error = error;
    this.closing = true;
    this.aborting = true;
    this.stopRecv();
    if (this.queue.inFlight) this.loop.cancel(this.queue.op);
    this.queue.dropPending();
    this.advanceClose();
  }

  // ---- Events (recorded during the reap) -----------------------------------------------------------------------

  /** @internal A CQE of the recv request. */
  received(res: number, flags: number, more: boolean): void {
    const t = this.buffers.take(res, flags);
    if (t !== null) {
      if (res > 0) {
        const i = this.inCount++;
        this.inBid[i] = t.bid;
        this.inOff[i] = t.offset;
        this.inLen[i] = t.length;
      } else {
        this.buffers.add(t.bid); // EOF still took a buffer of a plain ring; published after the turn
      }
    }
    if (!more) {
      this.recvArmed = false;
      this.buffers.release();
      this.recvEnded = true;
      this.recvRes = res;
    }
    if (t !== null || !more) this.host.ready(this as CallbackConnection<unknown>);
  }

  /** @internal The recv never reached the kernel (`abandoned`: the loop gave up on it, so its group stays in use). */
  recvDropped(abandoned: boolean): void {
    this.recvArmed = false;
    if (!abandoned) this.buffers.release();
    this.recvEnded = true;
    this.recvRes = -ECANCELED;
    this.host.ready(this as CallbackConnection<unknown>);
  }

  /** @internal (SendQueueOwner) */
  sendCompleted(res: number): void {
    this.sendEnded = true;
    this.sendRes = res;
    this.host.ready(this as CallbackConnection<unknown>);
  }

  /** @internal (SendQueueOwner) */
  sendDropped(): void {
    this.sendCompleted(-ECANCELED);
  }

  // ---- After the reap -----------------------------------------------------------------------------------------

  /** @internal Runs the handlers for what the reap recorded: the send's end, the chunks in order, the recv's end. */
  turn(): void {
    this.readyQueued = false;
    if (this.sendEnded) {
      this.sendEnded = false;
      this.afterSend(this.sendRes);
    }
    if (this.inCount > 0) this.deliver();
    if (this.recvEnded) {
      this.recvEnded = false;
      this.afterRecv(this.recvRes);
    }
  }

  /** @internal Issues the sends gathered this turn. */
  flushSends(): void {
    this.dirtyQueued = false;
    if (this.aborting || this.ended) return;
    try {
      this.queue.flush();
    } catch (e) {
      this.abort(this.loop.isClosing ? null : e); // the loop is closing: nothing more goes to the kernel
    }
  }

  private deliver(): void {
    const onData = this.host.handlers.onData;
    const buffers = this.buffers;
    // this.inCount is read each time: a handler that reaps (loop.flush()) may append chunks, delivered in order here.
    for (let i = 0; i < this.inCount; i++) {
      const bid = this.inBid[i]!; // i < inCount <= the arrays' length
      if (this.closing) {
        buffers.add(bid);
        continue;
      }
      if (this.queue.inFlight) this.queuedChunks++;
      const start = this.inOff[i]!;
      this.deliveringBid = bid;
      this.kept = false;
      try {
        onData(this as CallbackConnection<unknown>, buffers.buffer(bid), start, start + this.inLen[i]!);
      } catch (e) {
        this.fail(e, true);
      }
      this.deliveringBid = -1;
      if (!this.kept) buffers.add(bid);
    }
    this.inCount = 0;
    if (this.queuedChunks >= this.host.maxQueued && !this.closing) {
      // The peer sends faster than it reads: stop receiving, and keep no shared buffer but those in flight (the
      // chunks the kernel delivered before the cancel took effect are relieved in the next turns).
      if (!this.queuePaused) {
        this.queuePaused = true;
        this.stopRecv();
      }
      this.queue.relieve();
    }
  }

  private afterRecv(res: number): void {
    if (this.closing) return this.advanceClose();
    if (res === 0) {
      this.eof = true;
      const onEnd = this.host.handlers.onEnd;
      if (onEnd === undefined) return this.close();
      try {
        onEnd(this as CallbackConnection<unknown>);
      } catch (e) {
        this.fail(e, true);
      }
      return;
    }
    if (res > 0 || res === -ENOBUFS) return this.armRecv(); // stopped for a full CQ, or every buffer was lent
    if (res === -ECANCELED) {
      // Our cancel (a pause: armed again when wanted), or the loop's teardown (nothing more will come).
      if (this.recvCancelled) return this.armRecv();
      return this.abort(null);
    }
    this.fail(cqeError("recv", res, this.recvOp.opcode, this.recvOp.refusal), false);
  }

  private afterSend(res: number): void {
    let r: number;
    try {
      r = this.queue.completed(res);
    } catch (e) {
      // The rest of a short send could not be submitted: the loop is closing.
      return this.abort(this.loop.isClosing ? null : e);
    }
    if (r > 0) return; // the rest of a short send is on its way
    if (r < 0) {
      if (!this.aborting) {
        const op = this.queue.op;
        const e = res < 0 ? cqeError("send", res, op.opcode, op.refusal) : new UringError("send", 0, "no progress");
        this.fail(e, false);
      }
      return this.advanceClose();
    }
    this.queuedChunks = 0;
    if (this.queuePaused) {
      this.queuePaused = false;
      this.armRecv();
    }
    const onSent = this.host.handlers.onSent;
    if (onSent !== undefined) {
      try {
        onSent(this as CallbackConnection<unknown>);
      } catch (e) {
        this.fail(e, true);
      }
    }
    if (this.queue.hasPending) this.markDirty();
    else this.maybeShutdown();
    if (this.closing) this.advanceClose();
  }

  /** @internal Arms the recv if the connection wants to receive and nothing stops it. */
  armRecv(): void {
    if (this.recvArmed || this.eof || this.closing || this.userPaused || this.queuePaused) return;
    if (this.loop.isClosing || this.buffers.isClosed) return this.abort(null);
    if (this.buffers.lent >= this.buffers.entries) {
      // Every buffer is lent: the recv would end with ENOBUFS at once. Wait until one is given back.
      if (!this.waitingBuffers) {
        this.waitingBuffers = true;
        this.buffers.whenAvailable(this.wake);
      }
      return;
    }
    const op = this.recvOp;
    op.state = OpState.Idle;
    op.cancelRequested = false;
    this.recvCancelled = false;
    this.buffers.acquire();
    this.recvArmed = true;
    try {
      this.loop.submit(op);
    } catch (e) {
      this.recvArmed = false;
      this.buffers.release();
      this.abort(this.loop.isClosing ? null : e);
    }
  }

  private stopRecv(): void {
    if (this.waitingBuffers) {
      this.waitingBuffers = false;
      this.buffers.cancelWait(this.wake);
    }
    if (this.recvArmed && !this.recvCancelled) {
      this.recvCancelled = true;
      this.loop.cancel(this.recvOp);
    }
  }

  private markDirty(): void {
    if (this.dirtyQueued) return;
    this.dirtyQueued = true;
    this.host.dirty(this as CallbackConnection<unknown>);
  }

  private maybeShutdown(): void {
    if (!this.endRequested || this.shutdownState !== 0 || this.closing) return;
    if (this.queue.inFlight || this.queue.hasPending || this.loop.isClosing) return;
    this.shutdownState = 1;
    // A failure (ENOTCONN after a reset) changes nothing: the recv reports the reset.
    shutdown(this.loop, this.fd, SHUT_WR).then(this.onShutdown, this.onShutdown);
  }

  /** Fails the connection with `error`, reported unless it is an expected ending. */
  private fail(error: unknown, handlerError: boolean): void {
    if (this.aborting) return;
    if (handlerError || !expectedEnding(error)) this.host.report(error);
    this.abort(error);
  }

  /**
   * Ends the connection once nothing of it is in flight (and, closing gracefully, all is sent): `onClose`, then the
   * descriptor's close once no `deferClose()` holds it.
   */
  private advanceClose(): void {
    if (!this.closing || this.closeIssued) return;
    if (this.recvArmed || this.queue.inFlight || this.shutdownState === 1) return;
    if (!this.aborting && this.queue.hasPending) return this.markDirty();
    if (!this.ended) {
      this.ended = true;
      this.queue.free();
      const onClose = this.host.handlers.onClose;
      if (onClose !== undefined) {
        try {
          onClose(this as CallbackConnection<unknown>, this.error);
        } catch (e) {
          this.host.report(e);
        }
      }
    }
    if (this.deferrals > 0 || this.closeIssued) return; // (onClose may have closed it: a deferral released)
    this.closeIssued = true;
    if (this.loop.isClosing) {
      libc().close(this.fd);
      queueMicrotask(this.onClosed);
      return;
    }
    // Through the ring; a failure (the loop closing under it) leaves the descriptor to the process.
    closeFd(this.loop, this.fd).then(this.onClosed, this.onClosed);
  }

  private checkSend(what: string, bytes: ArrayBufferView, start: number, end: number): void {
    if (!ArrayBuffer.isView(bytes)) refuse(what, "the bytes must be a TypedArray or a DataView");
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= bytes.byteLength)) {
      refuse(what, `[${start}, ${end}) is not a range of the ${bytes.byteLength} bytes`);
    }
    if (this.closing || this.endRequested) {
      refuse(what, this.closing ? "the connection is closing" : "the connection was ended (end())");
    }
  }
}

/**
 * The most received chunks one send request uses in place (fewer with a smaller `maxQueued`); the rest of a turn's
 * chunks are copied. A request whose peer stops reading keeps its buffers until the connection ends: a few such
 * connections must not hold the buffers every connection shares.
 */
const HELD_PER_SEND = 4;

/** Connection endings that are part of normal operation: not reported. */
const EXPECTED = new Set(["ECONNRESET", "EPIPE", "ECANCELED", "ENOTCONN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/** @internal Whether `e` ends a connection in the normal course of things (a reset, a stop). */
export function expectedEnding(e: unknown): boolean {
  if (e instanceof UringError) return EXPECTED.has(e.code);
  return e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError");
}

/** A connected socket's own address or its peer's, or null once reset (or closed). */
function socketAddress(fd: number, which: "getsockname" | "getpeername", closed: boolean): InetSocketAddress | null {
  if (closed) return null;
  const sa = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const lenBox = new Uint8Array(4);
  new DataView(lenBox.buffer).setUint32(0, SOCKADDR_STORAGE_SIZE, true);
  if (libc()[which](fd, sa, lenBox) < 0) return null;
  return decodeSockaddr(sa, new DataView(lenBox.buffer).getUint32(0, true)) as InetSocketAddress;
}

/** A connection's multishot recv, reused each time it is armed. */
class RecvOp extends Operation {
  private readonly conn: CallbackConnection<unknown>;
  private readonly fd: number;
  private readonly bgid: number;

  constructor(conn: CallbackConnection<unknown>, fd: number, bgid: number) {
    super();
    this.wakesContinuations = false; // its completion reaches code through runAfterReap only
    this.conn = conn;
    this.fd = fd;
    this.bgid = bgid;
  }

  prep(sqe: Sqe): void {
    prepRecvMultishot(sqe, this.fd, 0, 0, 0);
    sqeAddFlags(sqe, IOSQE_BUFFER_SELECT);
    sqeSetBufGroup(sqe, this.bgid);
  }

  complete(res: number, flags: number, more: boolean): void {
    this.conn.received(res, flags, more);
  }

  drop(): void {
    this.conn.recvDropped(false);
  }

  override abandon(): void {
    this.conn.recvDropped(true);
  }
}
