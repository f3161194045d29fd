/**
 * A pool of registered (fixed) buffers: `count` buffers of `size` bytes in one native mapping, registered with the
 * ring so that READ_FIXED, WRITE_FIXED, SEND_ZC with IORING_RECVSEND_FIXED_BUF and the like name them by
 * `buf_index` and the kernel skips pinning and mapping the pages on every request.
 *
 * What the kernel does (io_uring/rsrc.c): IORING_REGISTER_BUFFERS pins the pages of each iovec and accounts them
 * against RLIMIT_MEMLOCK; a fixed request must point inside buffer `buf_index` (-EFAULT otherwise). Unregistering
 * (or updating a slot) while a request still uses a buffer is safe for memory: the kernel keeps its page
 * references until the request completes. But the I/O then lands in pages the process may have unmapped, so this
 * pool refuses to close while buffers are acquired: acquire a buffer, use it for requests, release it after their
 * CQEs.
 *
 * Each buffer starts on a page boundary (the stride is `size` rounded up to the page size), so O_DIRECT reads and
 * writes can use them. Acquire and release are allocation-free: a free-index stack in an Int32Array and one
 * {@link RegisteredBuffer} record per buffer made at creation.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * import { prepReadFixed } from "ringside-uring/prep";
 * declare const fd: number;
 *
 * const ring = new Ring(8);
 * const pool = RegisteredBufferPool.create(ring, { count: 4, size: 65536 });
 * const buf = pool.acquire()!;
 * prepReadFixed(ring.getSqe()!, fd, buf.address, buf.length, 0, buf.index);
 * ring.submitAndWait(1);
 * ring.forEachCqe((_ud, res) => console.log(buf.bytes.subarray(0, res)));
 * pool.release(buf.index);
 * pool.close();
 * ring.close();
 * ```
 *
 * @module
 */
import { refuse, UringError } from "../core/errors.ts";
import { checkCount, checkInt } from "../core/_validate.ts";
import { NativeMemory, pageAlign } from "../core/memory.ts";
import type { Ring } from "../ring/ring.ts";
import {
  type BufferSpec,
  registerBuffers,
  registerBuffersUpdate,
  unregisterBuffers,
} from "../ring/registered_buffers.ts";
import { IORING_MAX_REG_BUFFER_SIZE, IORING_MAX_REG_BUFFERS } from "../ring/limits.ts";
import { releaseRegistrations } from "../ring/registrations.ts";

/** What {@link RegisteredBufferPool.create} sets up. */
export interface RegisteredBufferPoolOptions {
  /** How many buffers, 1 to 16384 (IORING_MAX_REG_BUFFERS). */
  count: number;
  /** Bytes per buffer, 1 to 1 GiB. */
  size: number;
  /**
   * Where in the ring's fixed-buffer table the pool goes. Omitted: the pool registers the whole table
   * (IORING_REGISTER_BUFFERS; the ring must have none) and `close()` unregisters it. Given: the pool fills slots
   * `tableOffset .. tableOffset + count - 1` of a table registered before (`registerBuffersSparse`) with
   * IORING_REGISTER_BUFFERS_UPDATE (Linux 5.13), and `close()` empties just those slots.
   */
  tableOffset?: number | undefined;
  /** Fault the pages in at creation (MAP_POPULATE); the kernel pins them at registration anyway. */
  populate?: boolean | undefined;
}

/** One buffer of a pool: what a fixed request needs. The pool makes one per buffer; the same object is reused. */
export interface RegisteredBuffer {
  /** The registered buffer index: sqe->buf_index of READ_FIXED / WRITE_FIXED. */
  readonly index: number;
  /** A view of the buffer's `length` bytes. Detached (length 0) once the pool is closed. */
  readonly bytes: Uint8Array;
  /** The native address of the first byte (what the SQE's addr points at; it must stay inside the buffer). */
  readonly address: number;
  /** The buffer's size in bytes. */
  readonly length: number;
}

/**
 * Fixed buffers registered with one ring, handed out and taken back by index.
 *
 * Single-threaded, like the {@link Ring} it belongs to.
 */
export class RegisteredBufferPool {
  /** The ring the buffers are registered with. */
  readonly ring: Ring;
  /** How many buffers. */
  readonly count: number;
  /** Bytes per buffer. */
  readonly size: number;
  /** Distance between buffers in `memory`: `size` rounded up to a page. */
  readonly stride: number;
  /** The registered index of buffer 0 (the table offset); buffer i has index `baseIndex + i`. */
  readonly baseIndex: number;
  /** The mapping that holds every buffer; pinned while registered. */
  readonly memory: NativeMemory;

  private readonly buffers: RegisteredBuffer[];
  private readonly free: Int32Array;
  private freeTop: number;
  private readonly out: Uint8Array;
  private readonly wholeTable: boolean;
  private closed = false;

  private constructor(ring: Ring, count: number, size: number, stride: number, base: number, memory: NativeMemory,
    wholeTable: boolean) {
    this.ring = ring;
    this.count = count;
    this.size = size;
    this.stride = stride;
    this.baseIndex = base;
    this.memory = memory;
    this.wholeTable = wholeTable;
    this.buffers = [];
    for (let i = 0; i < count; i++) {
      this.buffers.push(Object.freeze({
        index: base + i,
        bytes: memory.bytes.subarray(i * stride, i * stride + size),
        address: memory.address + i * stride,
        length: size,
      }));
    }
    // The stack pops from the top: fill it so that index baseIndex comes out first.
    this.free = new Int32Array(count);
    for (let i = 0; i < count; i++) this.free[i] = count - 1 - i;
    this.freeTop = count;
    this.out = new Uint8Array(count);
  }

  /**
   * Allocates `count` page-aligned buffers of `size` bytes in one mapping and registers them (see
   * {@link RegisteredBufferPoolOptions.tableOffset}). Throws a {@link UringError}: refused input, EBUSY when the
   * ring already has a buffer table (without `tableOffset`), ENOMEM past RLIMIT_MEMLOCK.
   *
   * @example
   * ```ts
   * import type { Ring } from "ringside-uring/ring";
   * declare const ring: Ring;
   *
   * const pool = RegisteredBufferPool.create(ring, { count: 16, size: 128 * 1024 });
   * ```
   */
  static create(ring: Ring, options: RegisteredBufferPoolOptions): RegisteredBufferPool {
    const op = "create a registered buffer pool";
    const o = options ?? {} as RegisteredBufferPoolOptions;
    const { count, size, tableOffset } = o;
    checkCount(op, count, IORING_MAX_REG_BUFFERS, "count");
    checkInt(op, size, 1, IORING_MAX_REG_BUFFER_SIZE, "size");
    if (tableOffset !== undefined) checkInt(op, tableOffset, 0, IORING_MAX_REG_BUFFERS - count, "tableOffset");
    const stride = pageAlign(size);
    if (!Number.isSafeInteger(stride * count)) refuse(op, `${count} x ${stride} bytes is too much`);
    const memory = NativeMemory.allocate(stride * count, { populate: o.populate === true });
    const specs: BufferSpec[] = [];
    for (let i = 0; i < count; i++) specs.push({ memory, offset: i * stride, length: size });
    try {
      if (tableOffset === undefined) {
        registerBuffers(ring, specs);
      } else {
        const done = registerBuffersUpdate(ring, tableOffset, specs);
        if (done !== count) {
          if (done > 0) registerBuffersUpdate(ring, tableOffset, new Array<null>(done).fill(null));
          refuse(op, `the kernel registered ${done} of ${count} buffers`);
        }
      }
    } catch (e) {
      memory.free(); // registration failed, so nothing pins it any more
      throw e;
    }
    return new RegisteredBufferPool(ring, count, size, stride, tableOffset ?? 0, memory, tableOffset === undefined);
  }

  /** Whether `close()` has run. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** How many buffers are free to acquire. */
  get available(): number {
    return this.freeTop;
  }

  /**
   * Takes a free buffer, or undefined when all are acquired. The same {@link RegisteredBuffer} object comes back
   * each time a buffer is handed out: nothing is allocated.
   *
   * @example
   * ```ts
   * import type { Ring } from "ringside-uring/ring";
   * import { prepWriteFixed } from "ringside-uring/prep";
   * declare const ring: Ring, pool: RegisteredBufferPool, fd: number;
   *
   * const buf = pool.acquire();
   * if (buf) {
   *   const n = new TextEncoder().encodeInto("hello", buf.bytes).written;
   *   prepWriteFixed(ring.getSqe()!, fd, buf.address, n, 0, buf.index);
   * }
   * ```
   */
  acquire(): RegisteredBuffer | undefined {
    if (this.closed) refuse("acquire a registered buffer", "the pool is closed");
    // Closing the ring dropped the registration: a fixed request naming one of these buffers would fail.
    if (this.ring.isClosed) refuse("acquire a registered buffer", "the pool's ring is closed");
    if (this.freeTop === 0) return undefined;
    const i = this.free[--this.freeTop]!; // freeTop > 0
    this.out[i] = 1;
    return this.buffers[i];
  }

  /**
   * Gives back the buffer with registered index `index` (what `acquire()` returned in `.index`). Release it only
   * after the CQEs of every request that used it. Throws when it is not acquired (released twice, say).
   */
  release(index: number): void {
    const i = index - this.baseIndex;
    if (!(i >= 0 && i < this.count && this.out[i] === 1)) {
      refuse("release a registered buffer", i >= 0 && i < this.count && Number.isInteger(i)
        ? `buffer ${index} is not acquired (released twice?)`
        : `the pool holds indexes ${this.baseIndex} to ${this.baseIndex + this.count - 1}, got ${index}`);
    }
    this.out[i] = 0;
    this.free[this.freeTop++] = i;
  }

  /** The buffer with registered index `index`, acquired or not (for reading a completed request's bytes). */
  get(index: number): RegisteredBuffer {
    const b = this.buffers[index - this.baseIndex];
    if (b === undefined) {
      refuse("get a registered buffer",
        `the pool holds indexes ${this.baseIndex} to ${this.baseIndex + this.count - 1}, got ${index}`);
    }
    return b;
  }

  /**
   * Unregisters the buffers (the whole table, or with `tableOffset` just the pool's slots) and frees the memory.
   * Refuses while any buffer is acquired: a request may still be reading or writing it. Works after the ring was
   * closed too. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    const inUse = this.count - this.freeTop;
    if (inUse > 0) {
      refuse("close a registered buffer pool", `${inUse} buffer(s) are still acquired: release them after their ` +
        "requests complete");
    }
    if (this.ring.isClosed) {
      releaseRegistrations(this.ring);
    } else {
      try {
        if (this.wholeTable) unregisterBuffers(this.ring);
        else registerBuffersUpdate(this.ring, this.baseIndex, new Array<null>(this.count).fill(null));
      } catch (e) {
        // ENXIO: the table was unregistered behind our back, and the pins were dropped with it.
        if (!(e instanceof UringError && e.code === "ENXIO")) throw e;
      }
    }
    this.closed = true;
    this.memory.free();
  }
}
