/**
 * The base of multishot streams whose bytes land in a provided-buffer ring ({@link BufferedStream}, and
 * {@link ByteStream} for plain bytes): recv on sockets (`RecvStream`, Linux 6.0), read on pipes, FIFOs and eventfds
 * (`ReadStream`, READ_MULTISHOT, Linux 6.7), recvmsg (`RecvmsgStream`).
 *
 * Each CQE names the buffer the kernel filled. The chunk waits in the stream's queue holding that buffer until
 * the consumer pulls it; then it is copied out and the buffer goes back to the ring (or, with `zeroCopy`, the
 * consumer gets a view that stays valid until its next pull). When every buffer is held, the kernel ends the
 * request with ENOBUFS and the unread bytes stay in the socket; the stream re-arms once a buffer is back, so
 * nothing is lost or reordered however small the pool. A ring is usually shared by many streams: one whose queue
 * reaches `maxQueued` stops receiving and copies its queued chunks out, giving their buffers back to the others.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { BufferRing } from "../buffers/buffer_ring.ts";
import { type FinalAction, MultishotStream } from "./stream.ts";
import { type Sqe, sqeAddFlags, sqeSetBufGroup } from "../ring/sqe.ts";
import { IOSQE_BUFFER_SELECT } from "../abi/uapi.ts";
import { ENOBUFS } from "../abi/errno.ts";
import { cqeError, type Operation } from "../loop/operation.ts";
import { refuse } from "../core/errors.ts";

/**
 * A chunk waiting in the queue: which buffer holds it, where, and whether the kernel keeps filling that buffer; or,
 * once the queue was relieved, a copy that holds no buffer (`bid` -1).
 */
export interface HeldChunk {
  bid: number;
  offset: number;
  length: number;
  /** IORING_CQE_F_BUF_MORE (incremental rings): the buffer stays with the kernel; do not recycle it. */
  more: boolean;
  /** The bytes copied out of the ring when the queue grew past its limit; null while in the ring. */
  copy: Uint8Array | null;
}

/** Options of the byte streams. */
export interface ByteStreamOptions {
  /** Ends the stream with an AbortError when aborted. */
  signal?: AbortSignal | undefined;
  /**
   * Yield views into the provided buffers instead of copies: each is valid until the next pull (the buffer is
   * recycled then). Faster, and the consumer must not keep the view.
   */
  zeroCopy?: boolean | undefined;
  /**
   * Chunks that may wait unread before the stream stops receiving (the data waits in the socket, so nothing is
   * lost) and copies what waits out of the shared buffer ring, so a slow consumer cannot starve the other streams
   * of that ring. Receiving resumes once the consumer has pulled the queue down to half. Default: an eighth of the
   * ring's buffers, at least 4 but at most half of them (and 1 on a ring of one buffer, which cannot be shared).
   */
  maxQueued?: number | undefined;
}

/**
 * The shared machinery of streams that select buffers from a {@link BufferRing}: buffer accounting, copy or
 * zero-copy hand-out, ENOBUFS re-arms. A subclass writes the request and says what a filled buffer means
 * (`present`).
 */
export abstract class BufferedStream<T> extends MultishotStream<T, HeldChunk> {
  /** The buffer ring the kernel fills. */
  readonly buffers: BufferRing;
  private readonly zeroCopy: boolean;
  /** The buffer lent as a zero-copy view, recycled at the next pull. */
  private lentBid = -1;
  /** Whether a wake-up is registered with the ring (another stream may give a buffer back first). */
  private awaiting = false;
  private readonly wake = () => {
    this.awaiting = false;
    this.loop.unpark(this);
    if (this.buffers.isClosed) return this.loopClosing(); // closed under the waiting stream: it ends
    this.resume();
  };

  private readonly maxQueued: number;

  constructor(loop: Loop, name: string, buffers: BufferRing, options: ByteStreamOptions) {
    super(loop, name);
    if (buffers.isClosed) refuse(`make a ${name} stream`, "the buffer ring is closed");
    if (buffers.ring !== loop.ring) {
      // The group id means nothing on another ring: every arm would end with ENOBUFS (or take another group's).
      refuse(`make a ${name} stream`, "the buffer ring belongs to another ring than the loop's");
    }
    this.buffers = buffers;
    this.zeroCopy = options.zeroCopy ?? false;
    // An eighth of the ring, at least 4, but never more than half: a stream whose consumer stopped must leave
    // buffers for the others (with 4 buffers or fewer, 4 would be all of them).
    const max = options.maxQueued ?? Math.max(1, Math.min(Math.max(4, buffers.entries >> 3), buffers.entries >> 1));
    if (!Number.isInteger(max) || max < 1) {
      refuse(`make a ${name} stream`, `maxQueued must be a positive integer, got ${max}`);
    }
    this.maxQueued = max;
    if (options.signal) this.bindSignal(options.signal);
  }

  protected override queueLimit(): number {
    return this.maxQueued;
  }

  protected override relieve(queue: HeldChunk[], from: number): void {
    for (let i = from; i < queue.length; i++) {
      const h = queue[i]!; // from <= i < queue.length
      if (h.copy !== null) continue;
      h.copy = this.buffers.buffer(h.bid).slice(h.offset, h.offset + h.length);
      if (!h.more) this.buffers.recycle(h.bid);
      h.bid = -1;
    }
  }

  protected abstract prepRequest(sqe: Sqe, op: Operation): void;

  protected prepArm(sqe: Sqe, op: Operation): void {
    this.prepRequest(sqe, op);
    sqeAddFlags(sqe, IOSQE_BUFFER_SELECT);
    sqeSetBufGroup(sqe, this.buffers.bgid);
  }

  protected override onArm(): void {
    this.buffers.acquire();
  }

  protected override onDisarm(): void {
    this.buffers.release();
  }

  protected decode(res: number, flags: number): HeldChunk | undefined {
    const t = this.buffers.take(res, flags);
    if (!t) return undefined;
    if (res <= 0) {
      // EOF (res 0) still consumed a buffer on a plain ring: give it back at once.
      if (!t.more) this.buffers.recycle(t.bid);
      return undefined;
    }
    return { bid: t.bid, offset: t.offset, length: t.length, more: t.more, copy: null };
  }

  /**
   * What the consumer receives for the bytes a CQE filled. `view` is valid only during this call, or with
   * `zeroCopy` until the consumer's next pull. A byte stream returns the view (or a copy); a recvmsg stream parses
   * it.
   */
  protected abstract present(view: Uint8Array, zeroCopy: boolean): T;

  protected override output(h: HeldChunk): T {
    this.returnLent();
    // Copied out when the queue was relieved: the copy is the consumer's, whatever `zeroCopy` says.
    if (h.copy !== null) return this.present(h.copy, true);
    const view = this.buffers.buffer(h.bid).subarray(h.offset, h.offset + h.length);
    if (this.zeroCopy) {
      if (!h.more) this.lentBid = h.bid;
      return this.present(view, true);
    }
    const value = this.present(view, false);
    if (!h.more) this.buffers.recycle(h.bid);
    return value;
  }

  protected override discard(h: HeldChunk): void {
    if (h.copy === null && !h.more) this.buffers.recycle(h.bid);
  }

  protected override buffersAvailable(): boolean {
    // Not returnLent(): this runs right after output() lent the view being handed to the consumer.
    return this.buffers.lent < this.buffers.entries;
  }

  protected override onEnd(): void {
    // Ended while waiting for buffers (cancelled, returned): neither the loop nor the ring needs to wake it.
    if (!this.awaiting) return;
    this.awaiting = false;
    this.loop.unpark(this);
    this.buffers.cancelWait(this.wake);
  }

  protected override awaitBuffers(): void {
    if (this.awaiting) return;
    if (this.buffers.isClosed) return this.loopClosing();
    this.awaiting = true;
    // No request is in flight meanwhile: the loop's close() (or the ring's, below) must end the stream itself.
    this.loop.park(this);
    this.buffers.whenAvailable(this.wake);
  }

  protected override consumed(): void {
    this.returnLent();
  }

  protected override onFinal(res: number, flags: number): FinalAction | Error {
    if (res === 0) return "end"; // EOF
    if (res > 0) return "rearm"; // the kernel stopped (CQ full); the data was delivered
    if (res === -ENOBUFS) return "wait-buffers"; // every buffer is held by the queue or the consumer
    void flags;
    return cqeError(this.name, res);
  }

  override return(): Promise<IteratorResult<T>> {
    this.returnLent();
    return super.return();
  }

  private returnLent(): void {
    if (this.lentBid >= 0) {
      this.buffers.recycle(this.lentBid);
      this.lentBid = -1;
    }
  }
}

/** A stream of byte chunks: copies, or views valid until the next pull with `zeroCopy`. */
export abstract class ByteStream extends BufferedStream<Uint8Array> {
  protected present(view: Uint8Array, zeroCopy: boolean): Uint8Array {
    return zeroCopy ? view : view.slice();
  }
}
