/**
 * Threads that make blocking libc calls for the JavaScript thread, which must never wait on slow storage: the
 * epoll backend's file operations (regular files cannot be polled, so read(2) on them blocks however they were
 * opened) and, on Bun, the wait for an epoll descriptor to become readable. The userspace counterpart of the
 * kernel's io-wq workers.
 *
 * Each thread is a `node:worker_threads` Worker (both runtimes have it, and only it can be `unref()`ed: an idle pool
 * keeps no process alive) running ffi/_blocking_worker.js, plain JavaScript that binds the calls of
 * {@link BLOCKING_TABLE} itself (so a thread is up in milliseconds, loading none of the library). Threads start one
 * at a time while calls wait for one, up to `maxThreads`.
 * Calls and results cross in shared memory (ffi/_pool_layout.ts); no message is posted per call. A finished call
 * is marked done in its slot, which `Atomics.waitAsync` sees, and its eventfd, if it names one, is written: a
 * loop blocked in epoll_wait on that eventfd wakes even though its JavaScript thread is not running its event loop.
 *
 * Memory a call is given (a buffer to read into, a path) is the caller's to keep alive until the call's result has
 * been delivered, as for the kernel: a thread may still be inside the call.
 *
 * @example
 * ```ts
 * import { libc } from "./libc.ts";
 * const pool = new BlockingPool();
 * const p = new Int32Array(2);
 * libc().pipe2(p, 0x80000);
 * const { res } = await pool.call("close", [p[0]!]);
 * console.log(res); // 0
 * libc().close(p[1]!);
 * ```
 *
 * @module
 */
import process from "node:process";
import type { Worker } from "node:worker_threads";
import { BLOCKING_CALLS, BLOCKING_TABLE, type BlockingCall } from "./blocking_calls.ts";
import { libc } from "./libc.ts";
import {
  CONTROL_BYTES,
  DONE,
  FREE,
  H_HEAD,
  H_QUEUE,
  H_READY,
  H_SIGNALLING,
  H_STOP,
  H_TAIL,
  MAX_ARGS,
  PENDING,
  POOL_LAYOUT,
  QUEUE_MASK,
  QUEUE_SIZE,
  RUNNING,
  S_ARGS,
  S_CALL,
  S_ERRNO,
  S_RESULT,
  S_SIGNAL,
  S_STATE,
  SLOT_F64,
  SLOT_I32,
  SLOTS,
  SLOTS_BYTES,
} from "./_pool_layout.ts";

/** What a call returned: its result (-1 or another negative value on failure) and errno (0 on success). */
export interface BlockingResult {
  res: number;
  errno: number;
}

/** Called with a finished call's result, on the JavaScript thread, from {@link BlockingPool.harvest}. */
export type BlockingDone = (res: number, errno: number) => void;

/** A queued call: it can be withdrawn while no thread has taken it. */
export interface BlockingTicket {
  /**
   * Withdraws the call if no thread has started it: returns true, and its `done` is never called. False once a
   * thread is making the call (it cannot be interrupted) or it has finished.
   */
  withdraw(): boolean;
}

const EIO = 5;

class Ticket implements BlockingTicket {
  slot = -1;
  finished = false;
  constructor(
    readonly pool: BlockingPool,
    readonly call: number,
    readonly args: readonly number[],
    readonly signalFd: number,
    readonly done: BlockingDone,
  ) {}
  withdraw(): boolean {
    return this.pool.withdraw(this);
  }
}

/**
 * A pool of threads making blocking calls. Threads start on demand, up to `maxThreads`, and stay (an idle thread
 * waits on a futex and keeps no process alive).
 */
export class BlockingPool {
  /** The most threads the pool starts. */
  readonly maxThreads: number;
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly slotsMemory = new SharedArrayBuffer(SLOTS_BYTES);
  private readonly hdr = new Int32Array(this.control);
  private readonly i32 = new Int32Array(this.slotsMemory);
  private readonly f64 = new Float64Array(this.slotsMemory);
  private readonly tickets: (Ticket | undefined)[] = new Array(SLOTS);
  private readonly freeSlots: number[] = [];
  // Calls waiting for a free slot (or queue room), in order; calls failed without a thread, to deliver.
  private readonly backlog: Ticket[] = [];
  private readonly failed: Ticket[] = [];
  private readonly threads: Worker[] = [];
  private tail = 0;
  private outstanding = 0;
  private failure: unknown;

  /**
   * @param options `maxThreads` (default 8: each thread is a JavaScript runtime of its own, megabytes of memory), and
   *   `prestart`: threads to start now rather than at the first call
   *   (a thread takes a runtime's start-up time, tens of milliseconds, to come up).
   */
  constructor(options: { maxThreads?: number; prestart?: number } = {}) {
    this.maxThreads = Math.max(1, options.maxThreads ?? 8);
    for (let i = SLOTS - 1; i >= 0; i--) this.freeSlots.push(i);
    for (let i = 0; i < Math.min(options.prestart ?? 0, this.maxThreads); i++) this.spawn();
  }

  /** Calls queued, running, or finished and not yet harvested. */
  get pending(): number {
    return this.outstanding + this.backlog.length + this.failed.length;
  }

  /**
   * Queues `call(...args)`; `done` runs on this thread from a later {@link harvest} (the result is ready once the
   * eventfd `signalFd` was written, when it is not -1).
   *
   * @param call The libc function.
   * @param args Its arguments (numbers: ints, sizes, offsets, addresses), at most six.
   * @param signalFd An eventfd to write 1 to once the result is in, or -1.
   * @param done Receives the result and errno.
   */
  submit(call: BlockingCall, args: readonly number[], signalFd: number, done: BlockingDone): BlockingTicket {
    const index = BLOCKING_CALLS.indexOf(call);
    if (index < 0 || args.length > MAX_ARGS) throw new RangeError(`Cannot queue ${call}: not a pool call`);
    const t = new Ticket(this, index, args, signalFd, done);
    if (this.failure !== undefined) this.fail(t);
    else if (this.backlog.length > 0 || !this.place(t)) this.backlog.push(t);
    return t;
  }

  /** {@link submit} without an eventfd, as a promise (which does not keep the process alive by itself). */
  call(call: BlockingCall, args: readonly number[]): Promise<BlockingResult> {
    return new Promise((resolve) => {
      const t = this.submit(call, args, -1, (res, errno) => resolve({ res, errno })) as Ticket;
      void this.watch(t);
    });
  }

  /**
   * Delivers every finished call's result to its `done`. Returns how many were delivered. Cheap when nothing is
   * outstanding.
   */
  harvest(): number {
    let n = 0;
    while (this.failed.length > 0) {
      const t = this.failed.shift()!;
      t.finished = true;
      n++;
      t.done(-1, EIO);
    }
    if (this.outstanding === 0) return n;
    const i32 = this.i32;
    for (let slot = 0; slot < SLOTS && this.outstanding > 0; slot++) {
      const t = this.tickets[slot];
      if (t === undefined || Atomics.load(i32, slot * SLOT_I32 + S_STATE) !== DONE) continue;
      const res = this.f64[slot * SLOT_F64 + S_RESULT]!;
      const errno = i32[slot * SLOT_I32 + S_ERRNO]!;
      this.release(slot);
      t.finished = true;
      n++;
      t.done(res, errno);
    }
    this.grow();
    return n;
  }

  /**
   * Waits (spinning: a thread is between publishing a result and writing its eventfd, a system call's time) until
   * no thread is about to write an eventfd. Call it before closing an eventfd the pool's calls named, once all of
   * them have been harvested.
   */
  quiesce(): void {
    while (Atomics.load(this.hdr, H_SIGNALLING) !== 0) {
      // A few microseconds at most.
    }
  }

  /** @internal Withdraws `t` if no thread took it. */
  withdraw(t: Ticket): boolean {
    if (t.finished) return false;
    if (t.slot < 0) {
      const i = this.backlog.indexOf(t);
      if (i < 0) return false;
      this.backlog.splice(i, 1);
      t.finished = true;
      return true;
    }
    // A thread that dequeues the slot later finds it no longer PENDING and skips it.
    if (Atomics.compareExchange(this.i32, t.slot * SLOT_I32 + S_STATE, PENDING, FREE) !== PENDING) return false;
    this.release(t.slot);
    t.finished = true;
    return true;
  }

  /** Puts `t` in a slot and queues it; false when no slot or no queue room is free. */
  private place(t: Ticket): boolean {
    if (this.freeSlots.length === 0) return false;
    // Withdrawn slots leave their numbers behind in the queue until a thread passes them.
    if (((this.tail - Atomics.load(this.hdr, H_HEAD)) | 0) >= QUEUE_SIZE) return false;
    const slot = this.freeSlots.pop()!;
    const i32 = this.i32;
    const s = slot * SLOT_I32;
    const a = slot * SLOT_F64 + S_ARGS;
    for (let i = 0; i < MAX_ARGS; i++) this.f64[a + i] = t.args[i] ?? 0;
    i32[s + S_CALL] = t.call;
    i32[s + S_SIGNAL] = t.signalFd;
    i32[s + S_ERRNO] = 0;
    Atomics.store(i32, s + S_STATE, PENDING);
    t.slot = slot;
    this.tickets[slot] = t;
    this.outstanding++;
    const tail = this.tail;
    Atomics.store(this.hdr, H_QUEUE + (tail & QUEUE_MASK), slot);
    this.tail = (tail + 1) | 0;
    Atomics.store(this.hdr, H_TAIL, this.tail);
    Atomics.notify(this.hdr, H_TAIL, 1);
    this.grow();
    return true;
  }

  /**
   * Starts a thread when calls outnumber the threads and none is still starting: threads come up one at a time, so
   * a burst of calls does not start `maxThreads` runtimes before the first thread could have served them.
   */
  private grow(): void {
    const n = this.threads.length;
    if (n >= this.maxThreads || this.outstanding <= n) return;
    if (Atomics.load(this.hdr, H_READY) < n) return;
    this.spawn();
  }

  private release(slot: number): void {
    this.tickets[slot] = undefined;
    Atomics.store(this.i32, slot * SLOT_I32 + S_STATE, FREE);
    this.freeSlots.push(slot);
    this.outstanding--;
    while (this.backlog.length > 0 && this.place(this.backlog[0]!)) this.backlog.shift();
  }

  private spawn(): void {
    let w: Worker;
    try {
      // node:worker_threads is loaded on first use (synchronously: a loop may be blocked in epoll_wait waiting for
      // this very thread), so programs that never need a thread do not pay for the module (tens of ms on Deno).
      workerThreads ??= (process as unknown as { getBuiltinModule(id: string): unknown })
        .getBuiltinModule("node:worker_threads") as typeof import("node:worker_threads");
      const calls = BLOCKING_CALLS.map((c) => [c, BLOCKING_TABLE[c].args.length, BLOCKING_TABLE[c].returns === "i64"]);
      w = new workerThreads.Worker(new URL("./_blocking_worker.js", import.meta.url), {
        workerData: { control: this.control, slots: this.slotsMemory, calls, layout: POOL_LAYOUT },
      });
    } catch (e) {
      this.broken(e);
      return;
    }
    w.unref();
    w.on("error", (e: unknown) => this.broken(e));
    w.on("exit", (code: number) => {
      if (Atomics.load(this.hdr, H_STOP) === 0) this.broken(new Error(`a blocking-call thread exited (${code})`));
    });
    this.threads.push(w);
  }

  /**
   * A thread could not start or died (a runtime that cannot load FFI in a worker, say): calls no thread has taken
   * fail with EIO, now and from now on, and the eventfds they name are written so their sleepers look.
   */
  private broken(e: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    console.error("ringside: a blocking-call thread failed; calls that need one fail with EIO:", e);
    for (let slot = 0; slot < SLOTS; slot++) {
      const t = this.tickets[slot];
      if (!t) continue;
      if (Atomics.compareExchange(this.i32, slot * SLOT_I32 + S_STATE, PENDING, FREE) !== PENDING) continue;
      this.tickets[slot] = undefined;
      this.freeSlots.push(slot);
      this.outstanding--;
      this.fail(t);
    }
    for (const t of this.backlog.splice(0)) this.fail(t);
  }

  private fail(t: Ticket): void {
    this.failed.push(t);
    if (t.signalFd >= 0) {
      const one = new Uint8Array(8);
      one[0] = 1;
      libc().write(t.signalFd, one, 8);
    }
  }

  private async watch(t: Ticket): Promise<void> {
    while (!t.finished) {
      if (t.slot < 0) {
        // In the backlog (or failed): a harvest places or delivers it; look again shortly.
        await new Promise((r) => setTimeout(r, 1));
        this.harvest();
        continue;
      }
      const s = t.slot * SLOT_I32 + S_STATE;
      const v = Atomics.load(this.i32, s);
      if (v === DONE) {
        this.harvest();
        continue;
      }
      if (v !== PENDING && v !== RUNNING) return;
      const w = Atomics.waitAsync(this.i32, s, v);
      if (w.async) await w.value;
    }
  }
}

let shared: BlockingPool | undefined;
let workerThreads: typeof import("node:worker_threads") | undefined;

/**
 * This thread's pool for file operations, made on first use (each JavaScript thread, a Worker included, has its own:
 * results are delivered on the thread that queued the call).
 *
 * @example
 * ```ts
 * const { res, errno } = await blockingPool().call("fsync", [-1]);
 * console.log(res, errno); // -1 9 (EBADF)
 * ```
 */
export function blockingPool(): BlockingPool {
  return shared ??= new BlockingPool();
}
