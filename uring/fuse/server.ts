/**
 * A FUSE server on a {@link Loop}: mounts a filesystem made of {@link FuseHandlers} and serves it over one of two
 * transports, chosen at INIT:
 *
 * - **io_uring** (FUSE over io_uring, protocol 7.42, Linux 6.14; `/sys/module/fuse/parameters/enable_uring` = Y):
 *   INIT is read from /dev/fuse and answered with FUSE_INIT_EXT and FUSE_OVER_IO_URING; then, on the loop's
 *   IORING_SETUP_SQE128 ring, each possible CPU's queue gets `queueDepth` ring entries, each a uring_cmd that waits
 *   for a request and sends its reply (`_io_uring.ts`). FORGET and INTERRUPT still arrive through /dev/fuse, so
 *   one classic reader keeps running.
 * - **classic**: requests are read from /dev/fuse with IORING_OP_READ on the loop (the read waits in the kernel,
 *   never on the JavaScript thread) and replies written with write(2) (`_classic.ts`).
 *
 * `"auto"` (the default) takes io_uring when the kernel offers it in INIT and falls back to classic otherwise (the
 * parameter is N, the kernel is older than 6.14, the loop's ring is not SQE128, or REGISTER fails).
 *
 * Over either transport, an INTERRUPT (the caller waiting for a request got a signal) aborts that request's
 * `ctx.signal` while its handler runs; one read before its request is applied when the request comes, or answered
 * EAGAIN so that the kernel sends it again. INIT asks for FUSE_POSIX_LOCKS when the handlers have getlk and setlk,
 * and for FUSE_FLOCK_LOCKS when they have flock; otherwise the kernel keeps those locks itself. With
 * `handleKillprivV2: true` it asks for FUSE_HANDLE_KILLPRIV_V2: the filesystem clears set-ID bits and
 * `security.capability` itself, and writes stop costing a GETXATTR each.
 *
 * All buffers the kernel writes after a call returns (ring headers, payloads, iovecs, read buffers) are
 * {@link NativeMemory}, freed only once every command on them has completed. When the filesystem is unmounted the
 * parked ring commands complete with -ENOTCONN and the reads with -ENODEV; the server then closes /dev/fuse and
 * `closed` resolves.
 *
 * Never touch the mount (stat, open, ls ...) synchronously from the thread that serves it: the request would wait
 * for a server that is waiting for the call to return. Drive it from other processes (asynchronous
 * `child_process.spawn`), or serve it from a child process.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import type { FuseHandlers } from "ringside-uring/fuse";
 * declare const handlers: FuseHandlers;
 *
 * const server = await FuseServer.mount("/mnt/hello", handlers);
 * console.log(`serving over ${server.transport}`);
 * process.on("SIGINT", () => server.unmount());
 * await server.closed;
 * ```
 *
 * @module
 */
import { realpathSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { libc } from "../../ffi/mod.ts";
import { refuse, UringError } from "../core/errors.ts";
import { NativeMemory } from "../core/memory.ts";
import { O_CLOEXEC, O_NONBLOCK, O_RDWR } from "../fs/constants.ts";
import { close as closeFd, open as openFile } from "../fs/open_close.ts";
import { Loop } from "../loop/loop.ts";
import { OpState } from "../loop/operation.ts";
import { IORING_SETUP_SQE128 } from "../abi/uapi.ts";
import { putU64, TWO_32 } from "../abi/_u64.ts";
import { writeTimespec } from "../abi/timespec.ts";
import {
  EAGAIN,
  ECANCELED,
  ECONNABORTED,
  EINTR,
  ENODEV,
  ENOENT,
  ENOTCONN,
  EOPNOTSUPP,
  EPROTO,
  errnoName,
  ETIMEDOUT,
} from "../abi/errno.ts";
import {
  FUSE_ASYNC_READ,
  FUSE_BIG_WRITES,
  FUSE_DO_READDIRPLUS,
  FUSE_FLOCK_LOCKS,
  FUSE_HANDLE_KILLPRIV_V2,
  FUSE_INIT,
  FUSE_INIT_EXT,
  FUSE_INTERRUPT,
  FUSE_KERNEL_MINOR_VERSION,
  FUSE_KERNEL_VERSION,
  FUSE_MAX_PAGES,
  FUSE_NOTIFY_INVAL_INODE,
  FUSE_OPCODE_NAMES,
  FUSE_OVER_IO_URING,
  FUSE_POSIX_LOCKS,
  FUSE_READDIRPLUS_AUTO,
  fuse_in_header,
  fuse_init_in,
  fuse_init_out,
  fuse_notify_inval_inode_out,
  fuse_out_header,
  initFlagsHigh,
  initFlagsLow,
} from "./abi.ts";
import { type DispatchOptions, Dispatcher } from "./dispatch.ts";
import type { FuseHandlers, InitInfo, NameEncoding, NameFor } from "./handlers.ts";
import { abortFuseConnection, findMount, type MountOptions, mountFuse, possibleCpus, unmountFuse } from "./mount.ts";
import type { Slot } from "./_slot.ts";
import { deviceBufferSize, DeviceSlot } from "./_classic.ts";
import { makeRingEntries, RingEntry } from "./_io_uring.ts";
import { Tick } from "./_tick.ts";

/**
 * How a {@link FuseServer} is set up. `names` (from {@link DispatchOptions}) must be `"bytes"` for
 * `FuseHandlers<Uint8Array>`.
 *
 * @example
 * ```ts
 * import type { FuseHandlers } from "ringside-uring/fuse";
 * declare const handlers: FuseHandlers;
 * declare const raw: FuseHandlers<Uint8Array>;
 *
 * await FuseServer.mount("/mnt/x", handlers, { transport: "auto", maxWrite: 1 << 20, queueDepth: 8 });
 * await FuseServer.mount("/mnt/y", raw, { names: "bytes" });
 * ```
 */
export interface FuseServerOptions<M extends NameEncoding = NameEncoding> extends MountOptions, DispatchOptions<M> {
  /** `"auto"` (default): io_uring when the kernel offers it, else classic; or force one. */
  transport?: "auto" | "io_uring" | "classic" | undefined;
  /**
   * The loop to serve on. Its ring must be set up with IORING_SETUP_SQE128 for the io_uring transport. An owning
   * loop must be running (`loop.run`) while `mount` is awaited and while serving. By default the server makes an
   * integrated loop of its own (closed with the session).
   */
  loop?: Loop | undefined;
  /** The largest WRITE the kernel may send, and the read size limit (default 128 KiB; max_pages follows). */
  maxWrite?: number | undefined;
  /** Ring entries per queue (one queue per possible CPU) for the io_uring transport (default 4). */
  queueDepth?: number | undefined;
  /**
   * /dev/fuse reads kept in flight (default 1, beside the ring too, for FORGET and INTERRUPT). Every waiting read is
   * woken by each request, so more than one mostly costs wake-ups; while a handler runs asynchronously another read
   * is started anyway.
   */
  classicReaders?: number | undefined;
  /**
   * How /dev/fuse reads wait: `"poll"` (default) opens it O_NONBLOCK, so io_uring's read finds no request, arms a
   * poll and retries when one arrives; `"blocking"` marks the reads IOSQE_ASYNC, so each waits in a blocking read
   * in an io-wq worker (the classic FUSE server: a thread blocked in read(2)). Either way the JavaScript thread never
   * blocks in read(2).
   */
  deviceRead?: "poll" | "blocking" | undefined;
  /** With an owning loop: the longest time (ms) the loop blocks in the kernel, so timers and signals run (50). */
  tickMs?: number | undefined;
  /** How long `mount` waits for the kernel's INIT (ms, default 10 000). */
  initTimeoutMs?: number | undefined;
  /**
   * Ask for FUSE_HANDLE_KILLPRIV_V2 (default false): the filesystem promises to clear S_ISUID, S_ISGID and
   * `security.capability` itself on a write, a truncate and a chown, where the handlers are told to (the
   * `writeFlags` of write, `SetattrChanges.killSuidgid`, the `openFlags` of open and create; see `FuseHandlers`).
   * In exchange the kernel marks the superblock SB_NOSEC (fs/fuse/inode.c process_init_reply): a write through the
   * page cache then checks for privileges to drop only when the cached mode has a set-ID bit or the attributes were
   * refreshed, instead of sending GETXATTR("security.capability") before every write once getxattr is served
   * (fs/inode.c file_remove_privs, security/commoncap.c cap_inode_need_killpriv). Agreed only when the kernel
   * offers it (Linux 5.11, protocol 7.33): `initFlags` tells.
   */
  handleKillprivV2?: boolean | undefined;
}

/**
 * Counters of what the server did.
 *
 * @example
 * ```ts
 * declare const server: FuseServer;
 *
 * console.log(server.stats.ringRequests, server.stats.endings);
 * ```
 */
export interface FuseServerStats {
  /** Requests answered from ring entries. */
  ringRequests: number;
  /** Requests read from /dev/fuse (INIT, FORGET, and everything in classic mode). */
  deviceRequests: number;
  /** Requests over both transports by opcode name (`{ WRITE: 4096, GETATTR: 2, ... }`). */
  byOpcode: Record<string, number>;
  /** /dev/fuse reads that completed with EAGAIN and were submitted again. */
  deviceRetries: number;
  /** The most requests whose (asynchronous) handlers were running at once. */
  maxPending: number;
  /** Replies the kernel refused (write() errors other than ENOENT, ring commits that failed). */
  replyErrors: number;
  /** The last refused reply: opcode name and errno. */
  lastReplyError: string;
  /**
   * How the commands ended, by transport and result: `"ring:ENOTCONN"` (parked ring entries when the connection
   * ends), `"device:ENODEV"` (reads of /dev/fuse), `"ring:ECANCELED"` (cancelled by the loop) ...
   */
  endings: Record<string, number>;
}

/**
 * A mounted FUSE filesystem and the server answering it. Made by {@link FuseServer.mount}.
 *
 * @example
 * ```ts
 * import type { FuseHandlers } from "ringside-uring/fuse";
 * declare const handlers: FuseHandlers;
 *
 * const server = await FuseServer.mount("/mnt/x", handlers, { transport: "classic" });
 * await server.unmount();
 * console.log(server.stats.endings); // { "device:ENODEV": 4 }
 * ```
 */
export class FuseServer {
  /** The canonical mount point. */
  readonly mountpoint: string;
  /** The loop serving it. */
  readonly loop: Loop;
  /** The /dev/fuse descriptor of the connection (-1 once closed). */
  fd: number;
  /** Resolves when the session has ended (unmounted, or the connection aborted) and everything is released. */
  readonly closed: Promise<void>;
  /** @internal Whether /dev/fuse reads block in io-wq (IOSQE_ASYNC) rather than poll (O_NONBLOCK). */
  readonly blockingReads: boolean;
  /** Counters. */
  readonly stats: FuseServerStats = {
    ringRequests: 0,
    deviceRequests: 0,
    byOpcode: {},
    deviceRetries: 0,
    maxPending: 0,
    replyErrors: 0,
    lastReplyError: "",
    endings: {},
  };

  private transport_: "io_uring" | "classic" | "pending" = "pending";
  private fallback_ = "";
  private readonly dispatcher: Dispatcher<NameEncoding>;
  private readonly options: FuseServerOptions;
  /** A reply header for INTERRUPTs answered EAGAIN (written synchronously, so any buffer serves). */
  private readonly interruptReply = new Uint8Array(fuse_out_header.SIZE);
  /** A FUSE_NOTIFY_INVAL_INODE message (written synchronously too). */
  private readonly invalInode = new Uint8Array(fuse_out_header.SIZE + fuse_notify_inval_inode_out.SIZE);
  private readonly ownsLoop: boolean;
  private readonly maxWrite: number;
  private readonly bufferSize: number;
  private readonly slots: Slot[] = [];
  private live = 0;
  private readTarget = 1;
  private readsInFlight = 0;
  private readonly idleReaders: DeviceSlot[] = [];
  private pending = 0;
  private queue: Slot[] = [];
  private spare: Slot[] = [];
  private scheduled = false;
  private initDone = false;
  private ending = false;
  private finished = false;
  private dev = "";
  private minor = 0;
  private agreedFlags = 0;
  private ringMem: NativeMemory[] = [];
  private registerErrors = 0;
  private registerErrno = 0;
  private tick: Tick | null = null;
  private tickMem: NativeMemory | null = null;
  private resolveClosed!: () => void;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private readonly ready: Promise<void>;
  private readonly pumpTask = () => this.pump();

  private constructor(mountpoint: string, fd: number, loop: Loop, ownsLoop: boolean,
    handlers: FuseHandlers<NameFor<NameEncoding>>, options: FuseServerOptions) {
    this.mountpoint = mountpoint;
    this.fd = fd;
    this.loop = loop;
    this.ownsLoop = ownsLoop;
    this.options = options;
    this.blockingReads = options.deviceRead === "blocking";
    this.maxWrite = Math.max(4096, Math.min(options.maxWrite ?? 128 * 1024, 1 << 24)) & ~4095;
    this.bufferSize = deviceBufferSize(this.maxWrite);
    this.dispatcher = new Dispatcher(handlers, {
      ...options,
      onError: options.onError ?? ((e, op) => console.error(`fuse: ${FUSE_OPCODE_NAMES[op] ?? op} failed:`, e)),
    });
    this.dispatcher.resendInterrupt = (lo, hi) => this.resendInterrupt(lo, hi);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
  }

  /**
   * Opens /dev/fuse, mounts it at `mountpoint` and serves `handlers` until the filesystem is unmounted. Resolves
   * once INIT has been answered (and, for io_uring, the ring entries are registered). Needs CAP_SYS_ADMIN.
   * Rejects with a {@link UringError} naming the errno when /dev/fuse cannot be opened or mounted, or when
   * `transport: "io_uring"` was asked for and the kernel does not offer it (the mount is undone then).
   *
   * @param mountpoint An existing directory.
   * @param handlers The filesystem: `FuseHandlers` (names as strings), or `FuseHandlers<Uint8Array>` with
   *   `names: "bytes"`.
   * @param options Transport, loop, sizes, names and mount options.
   *
   * @example
   * ```ts
   * import { FuseError, type FuseHandlers } from "ringside-uring/fuse";
   * declare const handlers: FuseHandlers;
   *
   * const server = await FuseServer.mount("/mnt/x", handlers, { subtype: "memfs" });
   * console.log(server.transport); // "io_uring" or "classic"
   *
   * // Names as the kernel's bytes, whatever they are:
   * await FuseServer.mount("/mnt/y", {
   *   unlink: (_ctx, _parent, name) => {
   *     throw new FuseError("EACCES", `${name.byteLength} bytes`);
   *   },
   * }, { names: "bytes" });
   * ```
   */
  static async mount<M extends NameEncoding = "string">(mountpoint: string, handlers: FuseHandlers<NameFor<M>>,
    options: FuseServerOptions<M> = {}): Promise<FuseServer> {
    const transport = options.transport ?? "auto";
    const names: unknown = options.names ?? "string";
    if (names !== "string" && names !== "bytes") {
      refuse("mount FUSE", `names must be "string" or "bytes", got ${JSON.stringify(names)}`);
    }
    if (!["auto", "io_uring", "classic"].includes(transport)) {
      refuse("mount FUSE", `transport must be "auto", "io_uring" or "classic", got ${JSON.stringify(transport)}`);
    }
    if (options.handleKillprivV2 !== undefined && typeof options.handleKillprivV2 !== "boolean") {
      refuse("mount FUSE", `handleKillprivV2 must be a boolean, got ${JSON.stringify(options.handleKillprivV2)}`);
    }
    for (const k of ["maxWrite", "queueDepth", "classicReaders", "tickMs", "initTimeoutMs"] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) {
        refuse("mount FUSE", `${k} must be a positive integer, got ${v}`);
      }
    }
    let mp: string;
    try {
      mp = realpathSync(mountpoint);
    } catch (e) {
      throw new UringError(`mount FUSE at ${mountpoint}`, ENOENT, "the mount point does not exist", { cause: e });
    }
    const ownsLoop = !options.loop;
    const loop = options.loop ?? new Loop({ ring: { flags: IORING_SETUP_SQE128 } });
    let fd = -1;
    try {
      // fs/fuse/dev.c fuse_dev_do_read() blocks unless the file is O_NONBLOCK, whatever IOCB_NOWAIT says: a read
      // io_uring issues inline (or retries after a poll wake-up, when another read took the request) would block
      // the submitting thread. O_NONBLOCK turns that into -EAGAIN, which io_uring answers by polling.
      const nonblock = options.deviceRead === "blocking" ? 0 : O_NONBLOCK;
      fd = await openFile(loop, "/dev/fuse", O_RDWR | O_CLOEXEC | nonblock);
    } catch (e) {
      if (ownsLoop) await loop.close();
      const errno = (e as UringError).errno ?? 0;
      throw new UringError("open /dev/fuse", errno, errno === ENOENT ? "FUSE is not available (modprobe fuse)" : undefined,
        { cause: e });
    }
    try {
      mountFuse(fd, mp, options);
    } catch (e) {
      libc().close(fd);
      if (ownsLoop) await loop.close();
      throw e;
    }
    const server = new FuseServer(mp, fd, loop, ownsLoop, handlers as FuseHandlers<NameFor<NameEncoding>>,
      options as FuseServerOptions);
    server.dev = findMount(mp)?.dev ?? "";
    if (loop.mode === "owning") server.startTick();
    server.ensureReads();
    const timeout = options.initTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        server.ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new UringError(`mount FUSE at ${mp}`, ETIMEDOUT,
            `no INIT from the kernel within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (e) {
      await server.unmount().catch(() => {});
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return server;
  }

  /** The transport serving requests: "io_uring" or "classic" ("pending" before INIT). */
  get transport(): "io_uring" | "classic" | "pending" {
    return this.transport_;
  }

  /** Why the io_uring transport is not used (empty when it is, or when classic was asked for). */
  get fallbackReason(): string {
    return this.fallback_;
  }

  /** The INIT flags agreed with the kernel (64-bit, as a number). */
  get initFlags(): number {
    return this.agreedFlags;
  }

  /** The protocol minor version in use. */
  get protocolMinor(): number {
    return this.minor;
  }

  /** Whether the session has ended. */
  get isClosed(): boolean {
    return this.finished;
  }

  /**
   * Unmounts the filesystem (the `umount` program in a child process, lazily when busy) and resolves when the
   * session has ended. When the kernel keeps the connection (files still open after a lazy unmount) for longer than
   * `graceMs`, the connection is aborted through fusectl or, failing that, the server's commands are cancelled.
   * Handlers still running when the unmount is done are interrupted: their `ctx.signal` aborts.
   *
   * @example
   * ```ts
   * import process from "node:process";
   * declare const server: FuseServer;
   *
   * process.on("SIGTERM", () => server.unmount());
   * ```
   */
  async unmount(options: { graceMs?: number } = {}): Promise<void> {
    if (this.finished) return;
    this.ending = true;
    let error: unknown;
    try {
      await unmountFuse(this.mountpoint);
    } catch (e) {
      error = e;
    }
    // Handlers still waiting (a SETLKW, say) see their signal abort, so their requests end before the grace does.
    this.dispatcher.interrupts.interruptAll();
    const graceMs = options.graceMs ?? 5000;
    if (!(await this.waitClosed(graceMs))) {
      if (this.dev) abortFuseConnection(this.dev);
      if (!(await this.waitClosed(1000))) await this.forceClose();
    }
    if (error && findMount(this.mountpoint)) throw error;
  }

  private async waitClosed(ms: number): Promise<boolean> {
    if (this.finished) return true;
    const ac = new AbortController();
    const r = await Promise.race([
      this.closed.then(() => true),
      delay(ms, false, { signal: ac.signal }).catch(() => false),
    ]);
    ac.abort();
    return r;
  }

  // ---- Slots ---------------------------------------------------------------------------------------------------

  /**
   * Keeps `readTarget` reads of /dev/fuse in flight, taking idle slots first. Several waiting reads are all woken
   * by each request (the device's wait queue wakes every poller), so the target is small; a slot whose handler is
   * still running holds its buffers, and a new read starts on another slot meanwhile.
   */
  private ensureReads(): void {
    while (this.readsInFlight < this.readTarget && !this.finished && !this.loop.isClosed) {
      let slot = this.idleReaders.pop();
      if (!slot) {
        slot = new DeviceSlot(this, this.bufferSize);
        this.slots.push(slot);
      }
      slot.live = true;
      this.live++;
      this.rearm(slot);
    }
  }

  /** @internal After a /dev/fuse reply: read again with this slot, or park it when enough reads are in flight. */
  recycle(slot: DeviceSlot): void {
    if (this.readsInFlight < this.readTarget || this.finished) return this.rearm(slot);
    slot.live = false;
    this.live--;
    this.idleReaders.push(slot);
    if (this.live === 0 && this.pending === 0) void this.finish();
  }

  /** @internal Queues a slot whose command completed; slots are handled in a microtask, never while reaping. */
  enqueue(slot: Slot): void {
    this.queue.push(slot);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.pumpTask);
    }
  }

  private pump(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = this.spare;
    this.spare = batch;
    try {
      for (let i = 0; i < batch.length; i++) {
        const slot = batch[i]!;
        try {
          if (slot instanceof RingEntry) this.onRing(slot);
          else this.onDevice(slot as DeviceSlot);
        } catch (e) {
          // One slot's failure (a buffer that could not be allocated, say) ends that slot, not the batch: the others
          // are handled, and none is handled twice.
          console.error("fuse: handling a request failed:", e);
          this.endSlot(slot);
        }
      }
    } finally {
      batch.length = 0;
    }
  }

  private onDevice(slot: DeviceSlot): void {
    this.readsInFlight--;
    const res = slot.res;
    if (res >= fuse_in_header.SIZE) {
      slot.load();
      this.stats.deviceRequests++;
      this.counted(slot.req.opcode);
      if (slot.req.opcode === FUSE_INIT) this.handleInit(slot);
      else this.process(slot);
      return;
    }
    // EINTR/EAGAIN: try again; ENODEV: the connection is gone (unmounted or aborted); ECANCELED: the loop closed.
    if (res === -EINTR || res === -EAGAIN || (res >= 0 && !this.ending)) {
      this.stats.deviceRetries++;
      return this.rearm(slot);
    }
    this.endSlot(slot);
  }

  private onRing(entry: RingEntry): void {
    const res = entry.res;
    if (res === 0) {
      entry.registered = true;
      entry.load();
      this.stats.ringRequests++;
      this.counted(entry.req.opcode);
      this.process(entry);
      return;
    }
    if (res === -ENOTCONN || res === -ECONNABORTED || res === -ECANCELED || res === -ENODEV || this.ending) {
      return this.endSlot(entry);
    }
    if (!entry.registered) {
      if (res === -EAGAIN && entry.retries++ < 20) {
        // The connection is not initialised yet (fs/fuse/dev_uring.c checks fc->initialized): try again shortly.
        setTimeout(() => this.rearm(entry), 5);
        return;
      }
      this.registerErrors++;
      this.registerErrno = -res;
      return this.endSlot(entry);
    }
    // A commit the kernel refused (the request vanished): register the entry afresh.
    this.replyFailed(entry.req.opcode, -res);
    entry.registered = false;
    entry.commitLo = entry.commitHi = 0;
    this.rearm(entry);
  }

  private counted(opcode: number): void {
    const by = this.stats.byOpcode;
    const name = FUSE_OPCODE_NAMES[opcode] ?? String(opcode);
    by[name] = (by[name] ?? 0) + 1;
  }

  private process(slot: Slot): void {
    let r: number | Promise<number>;
    try {
      r = this.dispatcher.handle(slot.req, slot.outView, slot.outBytes, slot.outCap);
    } catch (e) {
      r = -this.dispatcher.errnoOf(e, slot.req.opcode);
    }
    if (typeof r === "number") {
      slot.reply(r);
      return;
    }
    if (++this.pending > this.stats.maxPending) this.stats.maxPending = this.pending;
    const done = (n: number) => {
      this.pending--;
      // A session forced closed meanwhile has released the slot's buffers: nothing to reply into.
      if (this.finished) return;
      slot.reply(n);
      if (this.live === 0 && this.pending === 0) void this.finish();
    };
    // The reply is wired before anything else can throw, so the request is answered whatever happens next.
    r.then(done, (e) => done(-this.dispatcher.errnoOf(e, slot.req.opcode)));
    // The slot's buffers stay with the request until it is answered: read the next requests with other slots.
    // A failure there (no memory for another slot) must not end this slot, whose reply is still to come.
    if (slot instanceof DeviceSlot) {
      try {
        this.ensureReads();
      } catch (e) {
        console.error("fuse: could not add a reader:", e);
      }
    }
  }

  /** @internal Submits the slot's command again (a new read, or COMMIT_AND_FETCH), unless the session ends. */
  rearm(slot: Slot): void {
    if (this.finished || this.loop.isClosing) return this.endSlot(slot);
    // Only a slot whose command has ended may be submitted again: two commands on one slot would share its buffers.
    if (slot.state === OpState.Queued || slot.state === OpState.InFlight || slot.state === OpState.Leaked) return;
    slot.state = OpState.Idle;
    const read = slot instanceof DeviceSlot;
    if (read) this.readsInFlight++;
    try {
      this.loop.submit(slot);
    } catch {
      if (read) this.readsInFlight--;
      this.endSlot(slot);
    }
  }

  /**
   * Answers an INTERRUPT that matched no running handler with EAGAIN, so the kernel queues it again while its
   * request still waits (fs/fuse/dev.c fuse_dev_do_write: an INTERRUPT's unique ID has FUSE_INT_REQ_BIT set). For a
   * request that has ended meanwhile the write fails with ENOENT, and the INTERRUPT is gone.
   */
  private resendInterrupt(lo: number, hi: number): void {
    if (this.fd < 0 || this.finished) return;
    const h = new DataView(this.interruptReply.buffer);
    h.setUint32(fuse_out_header.len, fuse_out_header.SIZE, true);
    h.setInt32(fuse_out_header.error, -EAGAIN, true);
    h.setUint32(fuse_out_header.unique, lo, true);
    h.setUint32(fuse_out_header.unique + 4, hi, true);
    const c = libc();
    if (Number(c.write(this.fd, this.interruptReply, fuse_out_header.SIZE)) < 0) {
      const errno = c.errno();
      if (errno !== ENOENT && errno !== ENODEV) this.replyFailed(FUSE_INTERRUPT, errno);
    }
  }

  /**
   * Tells the kernel to drop what it caches of inode `ino` (FUSE_NOTIFY_INVAL_INODE, fs/fuse/inode.c
   * fuse_reverse_inval_inode): its attributes, and with `offset` >= 0 its cached pages from `offset` for `length`
   * bytes (0: to the end). Needed when the filesystem changes an inode in a way no reply carries: say a WRITE that
   * cleared set-ID bits (with `handleKillprivV2`), after which the kernel would go on believing its cached mode
   * (and grant set-user-ID to an exec) until the attribute timeout. The next stat or permission check asks again.
   *
   * Written synchronously with write(2) on /dev/fuse, so a handler may call it before it answers: the kernel has
   * dropped the attributes before the reply reaches the caller. Invalidating pages from inside a request that
   * holds them (a WRITE's) can deadlock the kernel: keep `offset` -1 there.
   *
   * Returns true when the kernel dropped something, false when it had nothing cached for `ino` (ENOENT) or the
   * session has ended. Throws a {@link UringError} (ERINGSIDE) for a bad argument, or with the errno the kernel
   * answered otherwise.
   *
   * @example
   * ```ts
   * declare const server: FuseServer;
   * declare const ino: number;
   *
   * server.notifyInvalInode(ino); // attributes only
   * server.notifyInvalInode(ino, 0, 0); // and every cached page
   * ```
   */
  notifyInvalInode(ino: number, offset = -1, length = 0): boolean {
    if (!Number.isSafeInteger(ino) || ino < 1) refuse("notify FUSE", `ino must be a positive integer, got ${ino}`);
    if (!Number.isSafeInteger(offset) || offset < -1) {
      refuse("notify FUSE", `offset must be -1 (attributes only) or a byte offset, got ${offset}`);
    }
    if (!Number.isSafeInteger(length) || length < 0) refuse("notify FUSE", `length must be >= 0, got ${length}`);
    if (this.fd < 0 || this.finished) return false;
    const m = this.invalInode;
    const v = new DataView(m.buffer);
    v.setUint32(fuse_out_header.len, m.byteLength, true);
    // A notification's code travels in `error`, with unique 0 (fs/fuse/dev.c fuse_dev_do_write, fuse_notify).
    v.setInt32(fuse_out_header.error, FUSE_NOTIFY_INVAL_INODE, true);
    v.setBigUint64(fuse_out_header.unique, 0n, true);
    const o = fuse_out_header.SIZE;
    putU64(v, o + fuse_notify_inval_inode_out.ino, ino);
    v.setBigInt64(o + fuse_notify_inval_inode_out.off, BigInt(offset), true);
    v.setBigInt64(o + fuse_notify_inval_inode_out.len, BigInt(length), true);
    const c = libc();
    if (Number(c.write(this.fd, m, m.byteLength)) >= 0) return true;
    const errno = c.errno();
    if (errno === ENOENT || errno === ENODEV || errno === ENOTCONN) return false;
    throw new UringError("notify FUSE (FUSE_NOTIFY_INVAL_INODE)", errno);
  }

  /** @internal Records a reply the kernel refused. */
  replyFailed(opcode: number, errno: number): void {
    this.stats.replyErrors++;
    this.stats.lastReplyError = `${FUSE_OPCODE_NAMES[opcode] ?? opcode}: errno ${errno}`;
  }

  private endSlot(slot: Slot): void {
    if (!slot.live) return;
    slot.live = false;
    const key = `${slot instanceof RingEntry ? "ring" : "device"}:${slot.res < 0 ? errnoName(slot.res) : slot.res}`;
    this.stats.endings[key] = (this.stats.endings[key] ?? 0) + 1;
    this.live--;
    if (this.live === 0 && this.pending === 0) void this.finish();
  }

  // ---- INIT and the ring ---------------------------------------------------------------------------------------

  private handleInit(slot: DeviceSlot): void {
    const v = slot.req.opView;
    const o = slot.req.opOff;
    const major = v.getUint32(o + fuse_init_in.major, true);
    const minor = v.getUint32(o + fuse_init_in.minor, true);
    const lo = v.getUint32(o + fuse_init_in.flags, true);
    const hi = lo & FUSE_INIT_EXT ? v.getUint32(o + fuse_init_in.flags2, true) : 0;
    if (major !== FUSE_KERNEL_VERSION) {
      slot.reply(-EPROTO);
      this.rejectReady(new UringError("start the FUSE session", EPROTO, `the kernel speaks FUSE ${major}.${minor}`));
      return;
    }
    this.minor = Math.min(minor, FUSE_KERNEL_MINOR_VERSION);
    const wantTransport = this.options.transport ?? "auto";
    const offered = (hi & initFlagsHigh(FUSE_OVER_IO_URING)) !== 0;
    const sqe128 = (this.loop.ring.flags & IORING_SETUP_SQE128) !== 0;
    let useRing = false;
    if (wantTransport !== "classic") {
      if (!offered) {
        this.fallback_ = minor < 42
          ? `the kernel speaks FUSE 7.${minor}; FUSE over io_uring needs 7.42 (Linux 6.14)`
          : "the kernel did not offer FUSE_OVER_IO_URING in INIT (/sys/module/fuse/parameters/enable_uring is N)";
      } else if (!sqe128) {
        this.fallback_ = "the loop's ring was not set up with IORING_SETUP_SQE128";
      } else {
        useRing = true;
      }
    }
    let want = FUSE_ASYNC_READ + FUSE_BIG_WRITES + FUSE_MAX_PAGES + FUSE_INIT_EXT;
    const h = this.dispatcher.handlers;
    if (h.readdirplus) want += FUSE_DO_READDIRPLUS + FUSE_READDIRPLUS_AUTO;
    // Without these the kernel keeps POSIX and flock locks itself and never asks (fs/fuse/inode.c
    // process_init_reply sets no_lock / no_flock). FUSE_SETXATTR_EXT is never asked for: its only extra field
    // carries ACL flags, and FUSE_POSIX_ACL is not offered; SETXATTR's struct then stays the 8-byte compat one.
    if (h.getlk && h.setlk) want += FUSE_POSIX_LOCKS;
    if (h.flock) want += FUSE_FLOCK_LOCKS;
    if (this.options.handleKillprivV2) want += FUSE_HANDLE_KILLPRIV_V2;
    if (useRing) want += FUSE_OVER_IO_URING;
    const agreedLo = (initFlagsLow(want) & lo) >>> 0;
    const agreedHi = (initFlagsHigh(want) & hi) >>> 0;
    this.agreedFlags = agreedLo + agreedHi * TWO_32;

    const out = slot.outView;
    for (let i = 0; i < fuse_init_out.SIZE; i += 4) out.setUint32(i, 0, true);
    out.setUint32(fuse_init_out.major, FUSE_KERNEL_VERSION, true);
    out.setUint32(fuse_init_out.minor, this.minor, true);
    out.setUint32(fuse_init_out.max_readahead, v.getUint32(o + fuse_init_in.max_readahead, true), true);
    out.setUint32(fuse_init_out.flags, agreedLo, true);
    out.setUint32(fuse_init_out.max_write, this.maxWrite, true);
    out.setUint32(fuse_init_out.time_gran, 1, true);
    out.setUint16(fuse_init_out.max_pages, this.maxWrite / 4096, true);
    out.setUint32(fuse_init_out.flags2, agreedHi, true);
    // The reply is processed inside write(): once it returns, the connection is initialised
    // (fs/fuse/inode.c process_init_reply), and with FUSE_OVER_IO_URING requests wait until every queue has a
    // registered entry.
    slot.reply(fuse_init_out.SIZE);
    this.initDone = true;

    if (wantTransport === "io_uring" && !useRing) {
      this.rejectReady(new UringError("serve FUSE over io_uring", EOPNOTSUPP, this.fallback_));
      return;
    }
    if (useRing) {
      void this.startRing();
    } else {
      this.transport_ = "classic";
      this.readTarget = Math.max(1, this.options.classicReaders ?? 1);
      this.ensureReads();
      this.started();
    }
  }

  private async startRing(): Promise<void> {
    const queues = possibleCpus();
    const depth = Math.max(1, this.options.queueDepth ?? 4);
    const { entries, memory } = makeRingEntries(this, queues, depth, this.maxWrite);
    this.ringMem.push(...memory);
    for (const e of entries) {
      this.slots.push(e);
      e.live = true;
      this.live++;
      this.rearm(e); // submits it, or ends it if the loop is closing meanwhile
    }
    // REGISTER is issued inline by io_uring_enter: a refusal is an immediate CQE; success parks the command.
    if (this.loop.mode === "integrated") this.loop.flush();
    await delay(20);
    if (this.registerErrors > 0) {
      // A failed REGISTER turns the connection's io_uring off (fc->io_uring = 0): requests come through /dev/fuse.
      this.fallback_ = `FUSE_IO_URING_CMD_REGISTER failed: ${new UringError("register", this.registerErrno).message}`;
      if ((this.options.transport ?? "auto") === "io_uring") {
        this.rejectReady(new UringError("serve FUSE over io_uring", this.registerErrno, this.fallback_));
        return;
      }
      this.transport_ = "classic";
    } else {
      this.transport_ = "io_uring";
    }
    this.readTarget = Math.max(1, this.options.classicReaders ?? 1);
    this.ensureReads();
    this.started();
  }

  private started(): void {
    const info: InitInfo = {
      minor: this.minor,
      transport: this.transport_ === "io_uring" ? "io_uring" : "classic",
      maxWrite: this.maxWrite,
      flags: this.agreedFlags,
    };
    try {
      this.dispatcher.handlers.init?.(info);
    } catch (e) {
      console.error("fuse: init handler failed:", e);
    }
    this.resolveReady();
  }

  // ---- Owning loops --------------------------------------------------------------------------------------------

  private startTick(): void {
    const ms = this.options.tickMs ?? 50;
    const mem = this.tickMem = NativeMemory.allocate(16);
    writeTimespec(new DataView(mem.buffer), 0, Math.floor(ms / 1000), (ms % 1000) * 1e6);
    const stop = () => {
      // The timeout has completed: its timespec is no longer the kernel's.
      this.tick = null;
      mem.free();
    };
    const again = (t: Tick) => {
      // isClosing, not isClosed: the user's loop may be in close(), waiting for commands it cannot cancel.
      if (this.finished || this.loop.isClosing) return stop();
      t.state = OpState.Idle;
      try {
        this.loop.submit(t);
      } catch {
        stop();
      }
    };
    this.tick = new Tick(mem, again);
    this.loop.submit(this.tick);
  }

  // ---- The end -------------------------------------------------------------------------------------------------

  private async forceClose(): Promise<void> {
    if (this.finished) return;
    // The kernel still holds commands (a connection kept alive elsewhere): closing an owned loop cancels them
    // (io_uring's IO_URING_F_CANCEL completes parked FUSE entries); memory of commands that never completed leaks.
    if (this.ownsLoop) await this.loop.close(1000);
    for (const s of this.slots) this.endSlot(s);
    if (!this.finished) await this.finish();
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.ending = true;
    // Free only what no command and no running handler can still touch.
    const clean = this.pending === 0 && this.slots.every((s) => s.state === OpState.Done || s.state === OpState.Idle);
    if (this.fd >= 0) {
      if (!this.loop.isClosed) await closeFd(this.loop, this.fd).catch(() => libc().close(this.fd));
      else libc().close(this.fd);
      this.fd = -1;
    }
    if (this.tick && !this.loop.isClosed) this.loop.cancel(this.tick);
    if (clean) {
      for (const s of this.slots) if (s instanceof DeviceSlot) s.free();
      for (const m of this.ringMem) m.free();
    }
    if (this.ownsLoop && !this.loop.isClosed) await this.loop.close(1000);
    try {
      this.dispatcher.handlers.destroy?.();
    } catch (e) {
      console.error("fuse: destroy handler failed:", e);
    }
    if (!this.initDone) this.rejectReady(new UringError("start the FUSE session", ENODEV, "the connection ended"));
    this.resolveClosed();
  }
}
