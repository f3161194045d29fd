/**
 * The bytes arriving on a connection of `serve`, as an async iterator over the connection core's `onData`: each
 * chunk is a zero-copy view of the provided buffer it arrived in, kept out of the ring (`conn.hold()`) until the
 * consumer pulls the next one.
 *
 * Chunks the consumer has not pulled yet wait in a queue, each keeping its buffer; at `maxQueued` of them the
 * connection stops receiving (the peer's bytes wait in its socket) and the queued chunks are copied out of the
 * shared ring, so a consumer that stops reading cannot starve the other connections. Receiving resumes once the
 * consumer has pulled the queue down to half.
 *
 * @module
 */
import { UringError } from "../core/errors.ts";
import type { CallbackConnection } from "./connection.ts";

/** A chunk waiting to be pulled: in a held buffer (`handle` >= 0), or copied out (`handle` -1). */
interface Queued {
  bytes: Uint8Array;
  start: number;
  end: number;
  handle: number;
}

/**
 * A connection's incoming bytes for `serve`'s handler: `for await (const chunk of conn.input)`. Each chunk is a
 * view valid until the next pull. Ends at the peer's EOF or when cancelled; a reset rejects the pending pull.
 *
 * @example
 * ```ts
 * import type { Connection } from "ringside-uring/server";
 * declare const conn: Connection;
 *
 * for await (const chunk of conn.input) await conn.send(chunk); // echo
 * ```
 */
export class ConnectionInput implements AsyncIterableIterator<Uint8Array> {
  private readonly conn: CallbackConnection<unknown>;
  private readonly limit: number;
  private readonly queue: Queued[] = [];
  private qHead = 0;
  private waiter: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void } | null = null;
  /** The buffer of the chunk the consumer has now. */
  private lent = -1;
  private ended = false;
  private error: unknown = null;
  private paused = false;

  /** @internal Made by `serve` for each connection. */
  constructor(conn: CallbackConnection<unknown>) {
    this.conn = conn;
    this.limit = conn.maxQueued;
  }

  /** Chunks received and not pulled yet. */
  get buffered(): number {
    return this.queue.length - this.qHead;
  }

  /** @internal (onData) A chunk arrived. */
  push(bytes: Uint8Array, start: number, end: number): void {
    if (this.ended) return; // cancelled: what the kernel delivered before the cancel took effect is dropped
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      this.lent = this.conn.hold();
      w.resolve({ value: bytes.subarray(start, end), done: false });
      return;
    }
    this.queue.push({ bytes, start, end, handle: this.conn.hold() });
    if (this.buffered < this.limit) return;
    // The consumer fell behind: stop receiving, and let the queue hold no shared buffer.
    if (!this.paused) {
      this.paused = true;
      this.conn.pause();
    }
    for (let i = this.qHead; i < this.queue.length; i++) {
      const q = this.queue[i]!; // qHead <= i < queue.length
      if (q.handle < 0) continue;
      q.bytes = q.bytes.slice(q.start, q.end);
      q.start = 0;
      q.end = q.bytes.byteLength;
      this.conn.release(q.handle);
      q.handle = -1;
    }
  }

  /** @internal The input ends after what is queued: `error` rejects the pull that finds the queue empty, once. */
  finish(error: unknown = null): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      this.error = null;
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  /** The next chunk; done once the input ended and its queue is empty. */
  next(): Promise<IteratorResult<Uint8Array>> {
    this.returnLent();
    if (this.qHead < this.queue.length) {
      const q = this.queue[this.qHead++]!; // qHead < queue.length
      if (this.qHead === this.queue.length) {
        this.queue.length = 0;
        this.qHead = 0;
      }
      this.lent = q.handle;
      if (this.paused && this.buffered <= this.limit >> 1 && !this.ended) {
        this.paused = false;
        this.conn.resume();
      }
      return Promise.resolve({ value: q.handle < 0 ? q.bytes : q.bytes.subarray(q.start, q.end), done: false });
    }
    if (this.ended) {
      const e = this.error;
      this.error = null;
      return e ? Promise.reject(e) : Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter !== null) {
      return Promise.reject(new UringError("read the connection's input", 0, "another read is still waiting"));
    }
    if (this.paused) {
      this.paused = false;
      this.conn.resume();
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Ends the input: stops receiving and drops what is queued (breaking out of `for await` calls this). */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.cancel();
    this.returnLent();
    for (let i = this.qHead; i < this.queue.length; i++) {
      const h = this.queue[i]!.handle; // qHead <= i < queue.length
      if (h >= 0) this.conn.release(h);
    }
    this.queue.length = 0;
    this.qHead = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the input as `return()` does and rejects with `error`. */
  async throw(error?: unknown): Promise<IteratorResult<Uint8Array>> {
    await this.return();
    throw error;
  }

  /** Stops receiving; the input ends after the chunks already queued. */
  cancel(): void {
    if (!this.ended) this.conn.pause();
    this.finish(null);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the input as `return()` does. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  private returnLent(): void {
    if (this.lent >= 0) {
      this.conn.release(this.lent);
      this.lent = -1;
    }
  }
}
