/**
 * The connection core of ringside's TCP servers: {@link serveCallbacks} accepts connections (one multishot accept)
 * and runs callbacks for each ({@link CallbackHandlers}: `onData` with each chunk as a range of a provided buffer,
 * `conn.send` to answer), with no promise and no allocation per message. `serve`, the async API (a handler per
 * connection with `for await` and `await conn.send`), runs on it.
 *
 * Each turn: the loop reaps the CQEs (the core only records them), then, before it submits or waits again
 * (`Loop.runAfterReap`), the core accepts the new connections, runs each connection's handlers for what it got,
 * gives the turn's buffers back to the ring with one tail store, and issues each connection's gathered sends as one
 * request; all of them go to the kernel with the loop's next enter. See connection.ts for the rules of a connection
 * (ordering, exactly once, holds, backpressure).
 *
 * Memory: one `BufferRing` per server (`bufferCount` x `bufferSize`, 1024 x 4 KiB by default) shared by every
 * connection; per connection two request objects, a few arrays, and arena chunks for copied sends and iovecs.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * const loop = new Loop();
 * const stop = new AbortController(); // stop.abort() stops the server
 * await serveCallbacks(loop, { port: 9000, signal: stop.signal }, {
 *   onData: (conn, bytes, start, end) => conn.send(bytes, start, end), // echo, from the buffer it arrived in
 * });
 * await loop.close();
 * ```
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import type { AfterReapTask, Loop } from "../loop/loop.ts";
import { cqeError, domError, Operation, OpState } from "../loop/operation.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { UringError } from "../core/errors.ts";
import { checkInt } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepMultishotAccept } from "../prep/net.ts";
import { type InetSocketAddress, SOCK_CLOEXEC } from "../abi/sockaddr.ts";
import { ECANCELED } from "../abi/errno.ts";
import { close as closeFd } from "../fs/open_close.ts";
import { timeout } from "../ops/timeout.ts";
import { type ListenOptions, listenTcp } from "./listen.ts";
import { CallbackConnection, type CallbackHandlers, type ConnectionHost } from "./connection.ts";

/** What a server listens on and how ({@link serveCallbacks}, `serve`). */
export interface ServeOptions extends ListenOptions {
  /** Stops the server: no more accepts; every connection is closed, its pending sends cancelled. */
  signal?: AbortSignal | undefined;
  /** Called once the socket listens, with the actual address (the port the kernel picked for port 0). */
  onListen?: ((address: InetSocketAddress) => void) | undefined;
  /** Buffers in the ring shared by all connections (a power of two, default 1024: 256 ran dry at 256 connections). */
  bufferCount?: number | undefined;
  /** Bytes per buffer (default 4096): the most one recv completion carries. */
  bufferSize?: number | undefined;
  /**
   * Chunks a connection may receive while its send is in flight (or, with `serve`, have waiting unread) before it
   * stops receiving and copies what it keeps out of the shared ring, so a peer that does not read cannot starve
   * the other connections (default: an eighth of `bufferCount`, at least 4 but at most half of it).
   */
  maxQueued?: number | undefined;
  /** The buffer group ID (default: the first free one from 0x5e00). */
  bgid?: number | undefined;
  /**
   * Called with a connection's unexpected failure (default: print it to stderr). Resets, broken pipes and the
   * cancellations of a stop are expected and not reported; an exception thrown by a handler always is.
   */
  onError?: ((error: unknown) => void) | undefined;
  /** An object the server keeps its counts in, for whoever wants to watch them (a benchmark, a status line). */
  stats?: ServerStats | undefined;
}

/** What a running server counts. */
export interface ServerStats {
  /** Connections accepted so far. */
  accepted: number;
  /** Connections open now. */
  active: number;
}

const DEFAULT_BGID = 0x5e00;
/** Accept failures that pass (descriptor or memory limits, a peer gone before its accept): retry after a pause. */
const TRANSIENT_ACCEPT = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "ECONNABORTED", "EPERM", "EINTR"]);

/**
 * Serves TCP connections with callbacks until `options.signal` aborts: listens ({@link listenTcp}), accepts every
 * connection with one multishot accept (Linux 5.19), and receives on each with a multishot recv (Linux 6.0) over a
 * buffer ring (Linux 5.19) shared by all connections. `handlers.onData` gets each chunk as a range of a provided
 * buffer and answers with `conn.send` (in place) or `conn.write` (copied); the sends of a turn go out as one request
 * per connection. Works in both loop modes (in owning mode call it inside `loop.run`).
 *
 * Its completions settle no promise, so an owning loop goes from them straight back to the kernel, without the
 * macrotask it takes after promise completions (see `Loop.run`): a promise chain that a handler starts on its own
 * still submits within about a millisecond, and what handlers start with the loop's promise operations at once.
 *
 * Stopping: the accept is cancelled, every connection is aborted (its recv and send cancelled, `onClose` called
 * with an AbortError) or handed to `onStop`, and once every descriptor is closed the listener is closed and the
 * buffer ring released.
 * The loop stays open: it is the caller's.
 *
 * @param loop The loop.
 * @param options `port`, `host`, `signal`, `onListen`, buffer sizing, `maxQueued`, `onError`, `stats`, and
 *   {@link ListenOptions}.
 * @param handlers `onOpen`, `onData`, `onEnd`, `onSent`, `onStop`, `onClose`.
 * @returns Resolves once the server has stopped; rejects when it cannot listen (EADDRINUSE ...) or accepting fails
 *   for good (the connections are closed first).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * const loop = new Loop({ mode: "owning" });
 * const stop = new AbortController();
 * const hello = new TextEncoder().encode("hello\n");
 * await loop.run(() =>
 *   serveCallbacks(loop, { port: 0, signal: stop.signal, onListen: (a) => console.log(a.port) }, {
 *     onOpen: (conn) => conn.write(hello),
 *     onData: (conn, bytes, start, end) => conn.send(bytes, start, end),
 *     onClose: (_conn, error) => error && console.error(error),
 *   })
 * );
 * await loop.close();
 * ```
 */
export function serveCallbacks<C = undefined>(
  loop: Loop, options: ServeOptions, handlers: CallbackHandlers<C>,
): Promise<void> {
  try {
    if (options.maxQueued !== undefined) {
      checkInt("serve", options.maxQueued, 1, Number.MAX_SAFE_INTEGER, "maxQueued");
    }
    if (typeof handlers?.onData !== "function") {
      throw new UringError("serve", 0, "handlers.onData must be a function");
    }
    const listener = listenTcp(options);
    let buffers: BufferRing;
    try {
      buffers = createBuffers(loop, options);
    } catch (e) {
      libc().close(listener.fd);
      throw e;
    }
    const server = new CallbackServer(loop, options, handlers as CallbackHandlers<unknown>, listener.fd, buffers);
    server.start(listener.address);
    return server.done;
  } catch (e) {
    return Promise.reject(e);
  }
}

function createBuffers(loop: Loop, options: ServeOptions): BufferRing {
  const entries = options.bufferCount ?? 1024;
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

/** The server behind {@link serveCallbacks}: the accept, the connections, and the turn after each reap. */
class CallbackServer implements AfterReapTask, ConnectionHost {
  readonly loop: Loop;
  readonly buffers: BufferRing;
  readonly handlers: CallbackHandlers<unknown>;
  readonly maxQueued: number;
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (e: unknown) => void;
  private readonly options: ServeOptions;
  private readonly listenFd: number;
  private readonly stats: ServerStats;
  private readonly onError: (error: unknown) => void;
  private readonly connections = new Set<CallbackConnection<unknown>>();
  private readonly readyList: CallbackConnection<unknown>[] = [];
  private readonly dirtyList: CallbackConnection<unknown>[] = [];
  private readonly accepted: number[] = [];
  private readonly acceptOp: AcceptOp;
  private acceptArmed = false;
  private acceptEnded = false;
  private acceptRes = 0;
  /** An accept paused after a transient failure (out of descriptors): the pause's timeout, cancellable. */
  private acceptPause: AbortController | null = null;
  private scheduled = false;
  private inTurn = false;
  private stopping = false;
  private finished = false;
  private fatal: unknown = null;
  private readonly stop = () => this.shutdown();

  constructor(
    loop: Loop, options: ServeOptions, handlers: CallbackHandlers<unknown>, listenFd: number, buffers: BufferRing,
  ) {
    this.loop = loop;
    this.options = options;
    this.handlers = handlers;
    this.listenFd = listenFd;
    this.buffers = buffers;
    const entries = buffers.entries;
    this.maxQueued = options.maxQueued ?? Math.max(1, Math.min(Math.max(4, entries >> 3), entries >> 1));
    this.stats = options.stats ?? { accepted: 0, active: 0 };
    this.onError = options.onError ?? ((e: unknown) => console.error("ringside server: a connection failed:", e));
    this.acceptOp = new AcceptOp(this, listenFd);
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  start(address: InetSocketAddress): void {
    // Waiting with nothing in flight (an accept paused, a connection waiting for buffers) must end with the loop.
    this.loop.park(this);
    this.options.signal?.addEventListener("abort", this.stop, { once: true });
    if (this.options.signal?.aborted) return this.shutdown();
    this.armAccept();
    if (!this.stopping) {
      try {
        this.options.onListen?.(address);
      } catch (e) {
        this.fatal = e;
        this.shutdown();
      }
    }
  }

  // ---- ConnectionHost -------------------------------------------------------------------------------------------

  ready(conn: CallbackConnection<unknown>): void {
    if (!conn.readyQueued) {
      conn.readyQueued = true;
      this.readyList.push(conn);
    }
    this.schedule();
  }

  dirty(conn: CallbackConnection<unknown>): void {
    if (this.inTurn || this.scheduled) {
      this.dirtyList.push(conn); // issued at the end of the turn
      return;
    }
    // Sent from outside a turn (a timer, a promise's continuation, as `serve`'s handlers do): issued now, as a
    // send request would be; what follows while it is in flight goes out in one request after it.
    conn.flushSends();
  }

  report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // onError itself failed: nothing more to tell
    }
  }

  closed(conn: CallbackConnection<unknown>): void {
    if (this.connections.delete(conn)) this.stats.active--;
    this.maybeFinish();
  }

  // ---- The turn after a reap ----------------------------------------------------------------------------------

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.loop.runAfterReap(this);
  }

  afterReap(): void {
    this.inTurn = true;
    try {
      const ready = this.readyList;
      // Connections made ready while this runs (a handler that flushes the loop) are run in this loop too.
      for (let i = 0; i < ready.length; i++) {
        const conn = ready[i]!; // i < ready.length
        try {
          conn.turn();
        } catch (e) {
          // A bug, not a handler's exception (those are caught where the handler is called).
          this.report(e);
          conn.abort(e);
        }
      }
      ready.length = 0;
      if (this.accepted.length > 0 || this.acceptEnded) this.acceptTurn();
      if (!this.buffers.isClosed) this.buffers.publish(); // the turn's buffers back to the kernel, one tail store
      this.flushDirty();
    } finally {
      this.inTurn = false;
      this.scheduled = false;
    }
  }

  private flushDirty(): void {
    const dirty = this.dirtyList;
    for (let i = 0; i < dirty.length; i++) dirty[i]!.flushSends(); // i < dirty.length
    dirty.length = 0;
  }

  // ---- Accepting ----------------------------------------------------------------------------------------------

  /** @internal A CQE of the multishot accept. */
  acceptCompleted(res: number, more: boolean): void {
    if (res >= 0) this.accepted.push(res);
    if (!more) {
      this.acceptArmed = false;
      this.acceptEnded = true;
      this.acceptRes = res;
    }
    this.schedule();
  }

  private armAccept(): void {
    if (this.stopping || this.acceptArmed) return;
    const op = this.acceptOp;
    op.state = OpState.Idle;
    op.cancelRequested = false;
    this.acceptArmed = true;
    try {
      this.loop.submit(op);
    } catch (e) {
      this.acceptArmed = false;
      if (!this.loop.isClosing) this.fatal = e;
      this.shutdown();
    }
  }

  private acceptTurn(): void {
    const fds = this.accepted;
    for (let i = 0; i < fds.length; i++) {
      const fd = fds[i]!; // i < fds.length
      if (this.stopping) {
        libc().close(fd); // accepted before the cancel took effect: nothing was submitted for it
        continue;
      }
      this.open(fd);
    }
    fds.length = 0;
    if (!this.acceptEnded) return;
    this.acceptEnded = false;
    const res = this.acceptRes;
    if (this.stopping) return this.maybeFinish();
    if (res >= 0) return this.armAccept(); // the kernel stopped it (a full CQ): the listener is still good
    if (res === -ECANCELED) return this.shutdown(); // not ours: the loop is closing
    const e = cqeError("accept connections", res, this.acceptOp.opcode, this.acceptOp.refusal);
    if (!TRANSIENT_ACCEPT.has(e.code)) {
      this.fatal = e;
      return this.shutdown();
    }
    // Out of descriptors or memory: pause (in the kernel, so owning mode wakes too) and accept again.
    const pause = this.acceptPause = new AbortController();
    const resume = () => {
      this.acceptPause = null;
      if (this.stopping) this.maybeFinish();
      else this.armAccept();
    };
    timeout(this.loop, 50, { signal: pause.signal }).then(resume, resume);
  }

  private open(fd: number): void {
    const conn = new CallbackConnection<unknown>(this, fd);
    this.connections.add(conn);
    this.stats.accepted++;
    this.stats.active++;
    const onOpen = this.handlers.onOpen;
    if (onOpen !== undefined) {
      try {
        conn.context = onOpen(conn) as unknown;
      } catch (e) {
        this.report(e);
        conn.abort(e);
        return;
      }
    }
    conn.armRecv();
  }

  // ---- Stopping -----------------------------------------------------------------------------------------------

  /** @internal (Loop.park) The loop is closing: end what waits on nothing in flight. */
  loopClosing(): void {
    this.shutdown();
  }

  private shutdown(): void {
    if (!this.stopping) {
      this.stopping = true;
      this.options.signal?.removeEventListener("abort", this.stop);
      if (this.acceptArmed) this.loop.cancel(this.acceptOp);
      this.acceptPause?.abort();
      const reason = domError("AbortError", "The connection was aborted: the server is stopping",
        this.options.signal?.reason);
      const onStop = this.handlers.onStop;
      for (const conn of [...this.connections]) {
        if (onStop === undefined) {
          conn.abort(reason);
          continue;
        }
        try {
          onStop(conn, reason);
        } catch (e) {
          this.report(e);
          conn.abort(e);
        }
      }
    }
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (!this.stopping || this.finished) return;
    if (this.acceptArmed || this.acceptPause !== null || this.connections.size > 0) return;
    this.finished = true;
    this.loop.unpark(this);
    const release = () => {
      // Every recv has seen its final CQE and every send has completed, so the kernel uses no buffer of the ring.
      // (After a loop closed under requests it could not cancel, the ring stays: close() refuses, and it leaks.)
      try {
        this.buffers.close();
      } catch {
        // requests the loop gave up on may still use it
      }
      if (this.fatal !== null) this.reject(this.fatal);
      else this.resolve();
    };
    if (this.loop.isClosing) {
      libc().close(this.listenFd);
      release();
      return;
    }
    closeFd(this.loop, this.listenFd).then(release, () => {
      libc().close(this.listenFd);
      release();
    });
  }
}

/** The server's multishot accept, reused each time it is armed. */
class AcceptOp extends Operation {
  private readonly server: CallbackServer;
  private readonly fd: number;

  constructor(server: CallbackServer, fd: number) {
    super();
    this.wakesContinuations = false; // its completion reaches code through runAfterReap only
    this.server = server;
    this.fd = fd;
  }

  prep(sqe: Sqe): void {
    prepMultishotAccept(sqe, this.fd, 0, 0, SOCK_CLOEXEC);
  }

  complete(res: number, _flags: number, more: boolean): void {
    this.server.acceptCompleted(res, more);
  }

  drop(): void {
    this.server.acceptCompleted(-ECANCELED, false);
  }
}
