/**
 * The completion record of one in-flight request: what the loop keeps in a slot between writing the SQE and the
 * last CQE. A subclass writes its SQE in `prep` and turns CQEs into results in `complete`; as long as the record
 * is in its slot, everything it references (buffers, arena chunks) stays alive, so memory the kernel will touch
 * cannot be collected before the completion arrives.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { ARENA_CLASSES, type Chunk, type NativeArena } from "./_arena.ts";
import { NativeMemory } from "../core/memory.ts";
import { UringError } from "../core/errors.ts";
import { ECANCELED, EINTR } from "../abi/errno.ts";
import { missingOpcode } from "./_missing_opcode.ts";

/**
 * What an operation needs of the loop that runs it: its arena (for bounce buffers, iovecs and timespecs) and a
 * way to ask for its cancellation. {@link Loop} is one; naming only this keeps operations below the loop, with no
 * import cycle.
 */
export interface OpHost {
  /** Native memory for what the kernel reads or writes on the operation's behalf, until it finishes. */
  readonly arena: NativeArena;
  /** Cancels `op` (queued: dropped; in flight: IORING_OP_ASYNC_CANCEL). */
  cancel(op: Operation): void;
}

/** What every promise-returning operation accepts. */
export interface OpOptions {
  /** Aborting cancels the operation in the kernel (ASYNC_CANCEL); the promise rejects with an `AbortError`. */
  signal?: AbortSignal | undefined;
  /**
   * A deadline in milliseconds, enforced by the kernel with a linked timeout (IORING_OP_LINK_TIMEOUT, Linux 5.5):
   * the operation is cancelled and the promise rejects with a `TimeoutError`.
   */
  timeoutMs?: number | undefined;
}

/** The lifecycle of an operation. */
export const enum OpState {
  /** Made, not handed to the loop yet. */
  Idle = 0,
  /** Waiting in the loop's FIFO for SQ space. */
  Queued = 1,
  /** Its SQE is written; the kernel owns it until the final CQE. */
  InFlight = 2,
  /** Its final CQE arrived (or it was dropped before submission). */
  Done = 3,
  /**
   * The loop closed while the kernel still held it (it did not complete within close()'s grace): the kernel may
   * still use its memory, so that memory is kept for good and what it draws on (a buffer group) stays in use.
   */
  Leaked = 4,
}

/** The largest bounce buffer the arena serves; larger ones get a mapping of their own. */
const ARENA_MAX = Math.max(...ARENA_CLASSES);

/**
 * The base of every operation the loop runs.
 */
export abstract class Operation {
  /** @internal The slot index plus generation, as written to user_data. */
  userData = 0;
  /** @internal The slot this operation occupies while in flight. */
  slot = -1;
  /** @internal The next operation in the loop's FIFO. */
  next: Operation | null = null;
  /** Where the operation is in its life. */
  state: OpState = OpState.Idle;
  /** A linked timeout in nanoseconds (IORING_OP_LINK_TIMEOUT after this SQE), or 0 for none. */
  timeoutNs = 0;
  /**
   * How many SQEs the operation writes (a linked chain: `prep()` writes the first, `prepLinked()` the others, all
   * in one go with the operation's user_data). The chain's links are the operation's to set.
   */
  sqeCount = 1;
  /**
   * How many CQEs without IORING_CQE_F_MORE still end the operation: 1, or a chain's count when every member posts
   * one (no IOSQE_CQE_SKIP_SUCCESS). The loop hands the earlier ones to `complete()` as `more`.
   */
  cqesLeft = 1;
  /** Set when cancellation was requested (abort, close): a -ECANCELED result is then reported as such. */
  cancelRequested = false;
  /**
   * Whether a completion of this operation may queue promise continuations (a promise settles, an iterator gets a
   * value). Operations whose completions reach code only through {@link Loop.runAfterReap} (the server core's
   * recv, send and accept) set it false, so that owning mode submits what their handlers asked for without first
   * yielding microtask hops for continuations that cannot exist. Blocking still waits for a macrotask.
   */
  wakesContinuations = true;
  /** @internal The buffer group its SQE selects from (IOSQE_BUFFER_SELECT), or -1: set by the loop. */
  bufferGroup = -1;
  /**
   * @internal The opcode of its (first) SQE, or -1 before it is written: set by the loop, so that an -EINVAL for
   * an opcode this kernel lacks can say which Linux version it needs (see {@link cqeError}).
   */
  opcode = -1;
  /**
   * @internal Set by the loop when the epoll backend refused the request (-EOPNOTSUPP) because only io_uring can
   * run it: what needs io_uring, for the error (see {@link cqeError}).
   */
  refusal: string | undefined = undefined;
  /** Native chunks released when the final CQE arrives (after the kernel is done with them). */
  chunks: Chunk[] | null = null;
  /**
   * Native memory pinned while the kernel may use it in place: the first in `pin` (most operations have one view,
   * and a send per message should not allocate an array for it), any more in `pins`.
   */
  pin: NativeMemory | null = null;
  pins: NativeMemory[] | null = null;
  /** Native memory allocated for this operation alone (bounce buffers over the arena's largest chunk). */
  owned: NativeMemory[] | null = null;
  /**
   * Ranges held from memory a {@link RangeHolder} lends out, released at finish: the first in `hold`/`holdOffset`/
   * `holdLength` (a send of a zero-copy view per message should not allocate), any more as [memory, offset, length]
   * triples in `holds`.
   */
  hold: NativeMemory | null = null;
  holdOffset = 0;
  holdLength = 0;
  holds: (NativeMemory | number)[] | null = null;
  /**
   * The views the kernel writes, in the order it fills them (iovec order): [bounce bytes, or null for a view used
   * in place; the caller's bytes; the length the kernel was given] triples, so a result count can be spread across
   * them.
   */
  private copyBacks: (Uint8Array | number | null)[] | null = null;

  /** Writes this operation's SQE. The loop sets user_data afterwards. */
  abstract prep(sqe: Sqe, loop: OpHost): void;

  /**
   * Writes SQE `index` (1 to `sqeCount - 1`) of a chain; the loop calls it right after `prep()` for each. Only
   * operations with `sqeCount > 1` are asked.
   *
   * @param index The SQE's place in the chain.
   * @param sqe The SQE to write.
   * @param loop The loop.
   */
  prepLinked(index: number, sqe: Sqe, loop: OpHost): void {
    void index, sqe, loop;
    throw new UringError("submit an operation", 0, `it declares ${this.sqeCount} SQEs but writes only one`);
  }

  /**
   * Receives one CQE. `more` says whether further CQEs will follow for this request (IORING_CQE_F_MORE); the loop
   * has already released the slot when it is false. Must not run user code synchronously: settle promises or
   * queue values for an iterator instead.
   */
  abstract complete(res: number, flags: number, more: boolean, loop: OpHost, cqeWord: number): void;

  /** Called instead of `complete` when the operation never reached the kernel (aborted while queued, loop closed). */
  abstract drop(error: Error): void;

  /**
   * Called instead of `complete` when the loop closed while the kernel still held the operation (state
   * {@link OpState.Leaked}): settle it with `error`, but release nothing the kernel may still use. By default the
   * same as {@link drop}; operations that share resources (a stream's buffer group) override it.
   */
  abandon(error: Error): void {
    this.drop(error);
  }

  /**
   * Called by the loop after the final CQE was delivered (or the operation dropped): the kernel is done, so pins
   * and native chunks are released.
   */
  finish(loop: OpHost): void {
    this.state = OpState.Done;
    const chunks = this.chunks;
    if (chunks) {
      for (const c of chunks) loop.arena.free(c);
      this.chunks = null;
    }
    if (this.pin) {
      this.pin.unpin();
      this.pin = null;
    }
    const pins = this.pins;
    if (pins) {
      for (const m of pins) m.unpin();
      this.pins = null;
    }
    const owned = this.owned;
    if (owned) {
      this.owned = null;
      for (const m of owned) m.free();
    }
    const hold = this.hold;
    if (hold) {
      this.hold = null;
      hold.holder?.releaseRange(this.holdOffset, this.holdLength);
    }
    const holds = this.holds;
    if (holds) {
      this.holds = null;
      for (let i = 0; i < holds.length; i += 3) {
        (holds[i] as NativeMemory).holder?.releaseRange(holds[i + 1] as number, holds[i + 2] as number);
      }
    }
    this.copyBacks = null;
  }

  /**
   * Keeps everything the kernel may still touch allocated forever: for an operation the kernel never completed
   * (the loop closed under it). Leaking is the only safe answer there.
   */
  leak(): void {
    this.chunks = null;
    this.pin = null;
    this.pins = null;
    this.owned = null;
    this.hold = null; // held for good: the ranges are never lent to the kernel again
    this.holds = null;
    this.copyBacks = null;
  }

  /**
   * The address at which the kernel may use `view`'s bytes until this operation finishes: the view itself when
   * it lies in {@link NativeMemory} (pinned meanwhile, so it cannot be freed), otherwise an arena bounce buffer.
   * Garbage-collected memory is never handed to the kernel beyond a call: it could be detached by `transfer()`,
   * moved to a Worker, or collected. With `kernelWrites`, what the kernel wrote into a bounce buffer is copied back
   * by {@link copyBack}; otherwise the view's bytes are copied in now.
   */
  kernelAddress(loop: OpHost, view: ArrayBufferView, kernelWrites: boolean): number {
    const mem = NativeMemory.of(view);
    if (mem) {
      mem.pin();
      if (this.pin === null) this.pin = mem;
      else (this.pins ??= []).push(mem);
      if (mem.holder !== null) {
        // A provided buffer (a zero-copy view sent on, say): its ring must not give it to the kernel to refill
        // while this request still reads it.
        mem.holder.holdRange(view.byteOffset, view.byteLength);
        if (this.hold === null) {
          this.hold = mem;
          this.holdOffset = view.byteOffset;
          this.holdLength = view.byteLength;
        } else {
          (this.holds ??= []).push(mem, view.byteOffset, view.byteLength);
        }
      }
      if (kernelWrites) (this.copyBacks ??= []).push(null, asBytes(view), view.byteLength);
      return mem.address + view.byteOffset;
    }
    const bytes = asBytes(view);
    if (bytes.byteLength === 0) {
      if (kernelWrites) (this.copyBacks ??= []).push(null, bytes, 0);
      return 0;
    }
    let bounce: Uint8Array;
    let address: number;
    if (bytes.byteLength <= ARENA_MAX) {
      // Not zeroed: written whole before a send, and copied back only as far as the kernel wrote after a read.
      const c = this.chunk(loop, bytes.byteLength, false);
      bounce = c.bytes;
      address = c.address;
    } else {
      const m = NativeMemory.allocate(bytes.byteLength);
      (this.owned ??= []).push(m);
      bounce = m.bytes;
      address = m.address;
    }
    if (kernelWrites) (this.copyBacks ??= []).push(bounce, bytes, bytes.byteLength);
    else bounce.set(bytes);
    return address;
  }

  /**
   * Copies what the kernel wrote into bounce buffers back into the caller's views: `n` bytes (the CQE's count)
   * spread over the views in the order the kernel fills them, or everything with `n` = -1 (structs).
   */
  copyBack(n: number): void {
    const cb = this.copyBacks;
    if (!cb) return;
    let left = n < 0 ? Infinity : n;
    for (let i = 0; i < cb.length && left > 0; i += 3) {
      const src = cb[i] as Uint8Array | null;
      const dst = cb[i + 1] as Uint8Array;
      // The kernel filled this iovec up to the length it was given at prep, whatever the view is now.
      const given = cb[i + 2] as number;
      const filled = Math.min(left, given);
      // A view detached (transfer()) or shrunk meanwhile receives what still fits.
      const len = Math.min(filled, dst.byteLength);
      if (src && len > 0) dst.set(src.subarray(0, len));
      left -= given;
    }
  }


  /** Allocates a native chunk that lives until this operation finishes. */
  chunk(loop: OpHost, size: number, zero = true): Chunk {
    const c = loop.arena.alloc(size, zero);
    (this.chunks ??= []).push(c);
    return c;
  }
}

/** The bytes of a view: the view itself when it is a Uint8Array, else a Uint8Array over the same memory. */
function asBytes(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** A DOMException-like error with the given name, as `AbortSignal` users expect (`AbortError`, `TimeoutError`). */
export function domError(name: "AbortError" | "TimeoutError", message: string, cause?: unknown): Error {
  const E = (globalThis as { DOMException?: new (m: string, n: string) => Error }).DOMException;
  const e = E ? new E(message, name) : Object.assign(new Error(message), { name });
  if (cause !== undefined) Object.defineProperty(e, "cause", { value: cause });
  return e;
}

/**
 * The error a failed CQE becomes: a {@link UringError} naming the operation and the errno. Given the request's
 * `opcode`, an -EINVAL for an opcode this kernel does not support (IORING_REGISTER_PROBE, asked once, on the first
 * such -EINVAL) also says which Linux version added it: "Cannot ftruncate: EINVAL (Invalid argument):
 * IORING_OP_FTRUNCATE needs Linux 6.9 (this kernel is 6.1)". An -EOPNOTSUPP the epoll backend gave because only
 * io_uring can run the request carries that backend's note (`refusal`): "Cannot send: EOPNOTSUPP (Operation not
 * supported): IORING_OP_SEND_ZC (zero-copy send) needs the io_uring backend ...".
 *
 * @param operation What failed, for the message (`"read"`, `"mkdir \"/tmp/x\""`).
 * @param res The CQE's negative result.
 * @param opcode The request's `IORING_OP_*`, when known.
 * @param refusal The epoll backend's note for an -EOPNOTSUPP (set by the loop on the operation).
 * @returns The error to reject or throw with.
 *
 * @example
 * ```ts
 * import { IORING_OP_FTRUNCATE } from "ringside-uring/abi";
 * const e = cqeError("ftruncate", -22, IORING_OP_FTRUNCATE);
 * console.log(e.code, e.message); // "EINVAL", and on a kernel before 6.9 the version it needs
 * ```
 */
export function cqeError(operation: string, res: number, opcode = -1, refusal?: string): UringError {
  const detail = res === -ECANCELED ? "the operation was cancelled" : missingOpcode(opcode, res, refusal);
  return new UringError(operation, -res, detail);
}

/**
 * An operation whose result is a promise of its CQE's `res` (or a value derived from it): the general path
 * every single-shot family goes through. A failed CQE rejects with a {@link UringError} naming the errno. Start it
 * with `run()` or `start()` (loop/start.ts) to apply a `signal` or `timeoutMs`; `loop.submit()` alone applies
 * neither.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { NativeMemory } from "ringside-uring/core";
 * import { prepRead } from "ringside-uring/prep";
 * declare const fd: number;
 *
 * const loop = new Loop();
 * const buf = NativeMemory.allocate(4096);
 * const n = await loop.submit(new PromiseOp("read", (sqe) => prepRead(sqe, fd, buf.address, 4096, 0))).promise;
 * console.log(buf.bytes.subarray(0, n));
 * await loop.close();
 * buf.free();
 * ```
 */
export class PromiseOp<T = number> extends Operation {
  /** The promise of the result. */
  readonly promise: Promise<T>;
  /** What the operation is called in errors (`"read"`, `"connect"`). */
  readonly name: string;
  private resolve!: (v: T) => void;
  private reject!: (e: unknown) => void;
  private readonly prepFn: (sqe: Sqe, op: PromiseOp<T>) => void;
  private readonly map: ((res: number, flags: number, op: PromiseOp<T>) => T) | undefined;
  /** How much of a bounce buffer to copy back: the result count (reads), or -1 for the whole struct. */
  copyBackAll = false;
  /** Values the kernel may touch until completion; held here so they cannot be collected. */
  keep: unknown;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;

  constructor(
    name: string,
    prep: (sqe: Sqe, op: PromiseOp<T>) => void,
    options: { map?: (res: number, flags: number, op: PromiseOp<T>) => T; keep?: unknown; timeoutNs?: number } = {},
  ) {
    super();
    this.name = name;
    this.prepFn = prep;
    this.map = options.map;
    this.keep = options.keep;
    if (options.timeoutNs) this.timeoutNs = options.timeoutNs;
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Ties the operation to an AbortSignal: aborting cancels it (ASYNC_CANCEL) and rejects with an AbortError. */
  bindSignal(loop: OpHost, signal: AbortSignal): void {
    if (signal.aborted) {
      // Already aborted: the operation must not run. Cancelling once it is submitted drops it from the queue or
      // cancels it in the kernel, either way rejecting with an AbortError.
      this.cancelRequested = true;
      this.signal = signal;
      queueMicrotask(() => loop.cancel(this));
      return;
    }
    this.signal = signal;
    this.onAbort = () => loop.cancel(this);
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  prep(sqe: Sqe): void {
    this.prepFn(sqe, this);
  }

  complete(res: number, flags: number, more: boolean): void {
    // A single-shot request gets one CQE. Zero-copy sends get two: the count with F_MORE, then the notification;
    // they need an operation that keeps the first (net.ts sendZc), as this one would resolve with the second's 0.
    if (more) return;
    const reason = this.signal?.reason;
    this.unbind();
    if (res >= 0) {
      this.copyBack(this.copyBackAll ? -1 : res);
      try {
        this.resolve(this.map ? this.map(res, flags, this) : (res as T));
      } catch (e) {
        this.fail(e);
      }
      return;
    }
    if ((res === -ECANCELED || res === -EINTR) && this.cancelRequested) {
      this.fail(domError("AbortError", `The ${this.name} was aborted`, reason));
    } else if (res === -ECANCELED && this.timeoutNs) {
      this.fail(domError("TimeoutError", `The ${this.name} timed out after ${this.timeoutNs / 1e6} ms`));
    } else {
      this.fail(cqeError(this.name, res, this.opcode, this.refusal));
    }
  }

  drop(error: Error): void {
    this.unbind();
    this.fail(error);
  }

  /**
   * Where the operation was started, when the loop keeps callers' stacks (`new Loop({ callerStacks: true })`):
   * a rejection's error gets these frames appended, since the error is made where the CQE is reaped, far from
   * the code that awaited it.
   */
  callerStack: Error | null = null;

  private fail(e: unknown): void {
    const origin = this.callerStack?.stack;
    if (origin !== undefined && e instanceof Error) {
      const frames = origin.slice(origin.indexOf("\n") + 1);
      try {
        e.stack = `${e.stack ?? `${e.name}: ${e.message}`}\n    at <the ${this.name} was started>\n${frames}`;
      } catch {
        // a frozen error keeps its own stack
      }
    }
    this.reject(e);
  }

  private unbind(): void {
    if (this.signal && this.onAbort) this.signal.removeEventListener("abort", this.onAbort);
    this.signal = undefined;
    this.onAbort = undefined;
  }
}
