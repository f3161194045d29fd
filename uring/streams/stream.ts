/**
 * Multishot requests as async iterators: one SQE, many CQEs, each turned into a value the consumer pulls with
 * `for await`. The request stays armed across CQEs carrying IORING_CQE_F_MORE; when the kernel ends it without
 * F_MORE for a recoverable reason (ENOBUFS: the buffer group ran dry; a final CQE with data: the CQ was full) the
 * stream arms it again, after the consumer has given buffers back, so no data is lost or reordered (unread bytes
 * stay in the socket or pipe meanwhile). EOF and errors end the iterator; breaking out of `for await` cancels
 * the request.
 *
 * Values wait in the stream's queue until pulled; a value that holds a provided buffer keeps it until then, which
 * is the backpressure: the kernel runs out of buffers, ends the request with ENOBUFS, and the stream re-arms once
 * the consumer catches up. A stream may also cap its queue (`queueLimit`): past it the request is cancelled (the
 * peer's data waits in the socket) and the queued values give back what they hold, so one consumer that stops
 * reading cannot take a buffer ring that other streams share.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { cqeError, domError, type OpHost, Operation } from "../loop/operation.ts";
import type { Sqe } from "../ring/sqe.ts";
import { ECANCELED, ENOBUFS } from "../abi/errno.ts";
import { UringError } from "../core/errors.ts";

/** What a stream does when its request ends (a CQE without IORING_CQE_F_MORE). */
export type FinalAction = "rearm" | "end" | "wait-buffers";

/**
 * The base of every multishot stream. A subclass writes the SQE (`prepArm`), turns CQEs into values
 * (`decode`), and says what a final CQE means (`onFinal`).
 */
export abstract class MultishotStream<T, Q = T> implements AsyncIterableIterator<T> {
  /** The loop the stream runs on. */
  readonly loop: Loop;
  /** What the stream is called in errors. */
  readonly name: string;
  private readonly queue: Q[] = [];
  private qHead = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private error: unknown = null;
  private arm_: StreamArm | null = null;
  /** Not armed, and to be armed again once allowed (buffers free, the queue short enough). */
  private rearmWanted = false;
  /** A cancel was sent to stop the request because the queue grew past {@link queueLimit}. */
  private pausing = false;
  private cancelled = false;
  /** Times the request was armed again after ending for a recoverable reason. */
  rearms = 0;

  constructor(loop: Loop, name: string) {
    this.loop = loop;
    this.name = name;
  }

  /** Writes the multishot SQE. */
  protected abstract prepArm(sqe: Sqe, op: Operation): void;

  /**
   * Turns one CQE into an entry to queue, or undefined for none (an error, or a CQE that carried nothing, such
   * as a zero-length final CQE). Runs during reaping: no user code, no waiting. The final CQE (`more` false) goes
   * to `onFinal` afterwards.
   */
  protected abstract decode(res: number, flags: number, more: boolean, cqeWord: number): Q | undefined;

  /**
   * What a final CQE means: by default ENOBUFS waits for buffers, a non-negative result re-arms (the kernel
   * stopped for lack of CQ space), and anything else ends the stream (the caller overrides for EOF rules).
   */
  protected onFinal(res: number, _flags: number): FinalAction | Error {
    if (res === -ENOBUFS) return "wait-buffers";
    if (res >= 0) return "rearm";
    return cqeError(this.name, res, -1, this.refusal);
  }

  /** The epoll backend's note when it refused the last request (only io_uring can run it): for the error. */
  protected refusal: string | undefined;

  /**
   * Turns a queued entry into the value the consumer receives, when it is pulled: the moment to copy out of a
   * provided buffer and give the buffer back (or to lend it until the next pull).
   */
  protected output(entry: Q): T {
    return entry as unknown as T;
  }

  /** Gives back what a queued entry holds when it is dropped unread (the stream was cancelled). */
  protected discard(_entry: Q): void {}

  /** Whether buffers are available again after a `"wait-buffers"` end (subclasses with buffer rings override). */
  protected buffersAvailable(): boolean {
    return true;
  }

  /**
   * Called when the stream waits for buffers and none are free: a subclass arranges for {@link resume} to be called
   * once some are (buffers given back by OTHER streams sharing the ring, not only by this stream's consumer).
   */
  protected awaitBuffers(): void {}

  /** Called at each pull, before anything else: the consumer is done with the value it pulled before. */
  protected consumed(): void {}

  /** Called each time the request is armed; a stream drawing on a buffer group counts itself a user here. */
  protected onArm(): void {}

  /** Called when an armed request ended (its final CQE, or it never reached the kernel). */
  protected onDisarm(): void {}

  /**
   * How many values may wait unread before the stream stops its request (a cancel; the peer's data waits in the
   * socket meanwhile, so nothing is lost) and asks the subclass to {@link relieve} the queue. The request is armed
   * again once the consumer has pulled the queue down to half. Unlimited by default.
   */
  protected queueLimit(): number {
    return Infinity;
  }

  /**
   * Called when the queue is over {@link queueLimit}: a subclass whose entries hold shared resources (provided
   * buffers) may replace entries `queue[from..]` with ones that hold none (copies), so one slow consumer cannot
   * hold what other streams need.
   */
  protected relieve(_queue: Q[], _from: number): void {}

  /** Arms the request. Subclasses call it at the end of their constructor. */
  protected start(): void {
    this.onArm();
    try {
      this.arm_ = this.loop.submit(new StreamArm(this as MultishotStream<unknown, unknown>));
    } catch (e) {
      this.onDisarm();
      throw e;
    }
  }

  /** @internal One CQE of the armed request. */
  deliver(res: number, flags: number, more: boolean, word: number): void {
    const entry = this.decode(res, flags, more, word);
    if (entry !== undefined) this.push(entry);
    if (more) return; // still armed
    this.refusal = this.arm_?.refusal;
    this.arm_ = null;
    this.onDisarm();
    const pausing = this.pausing;
    this.pausing = false;
    if (this.cancelled) return this.finish(null);
    // ECANCELED: our own pause (armed again once the consumer catches up), or the ring's teardown (the stream ends
    // quietly after what is queued).
    const action = res === -ECANCELED ? (pausing ? "rearm" : "end") : this.onFinal(res, flags);
    if (action === "rearm" || action === "wait-buffers") {
      this.rearmWanted = true;
      this.resume();
    } else if (action === "end") {
      this.finish(null);
    } else {
      this.finish(action);
    }
  }

  /**
   * @internal The stream's loop is closing (or its buffer ring closed) while it waits with no request in flight:
   * it ends after what it holds, as a request ended by the ring's teardown does.
   */
  loopClosing(): void {
    this.rearmWanted = false;
    if (this.arm_ === null) this.finish(null);
  }

  /** @internal The request never reached the kernel (loop closed). */
  dropped(error: Error): void {
    this.arm_ = null;
    this.onDisarm();
    this.finish(this.cancelled ? null : error);
  }

  /**
   * @internal The loop closed while the kernel still held the request: the stream ends, but `onDisarm` is not
   * called, so a buffer group it draws on stays counted as in use (the request may still pick and fill a buffer).
   */
  abandoned(error: Error): void {
    this.arm_ = null;
    this.finish(this.cancelled ? null : error);
  }

  /**
   * Arms the request again if it ended for a recoverable reason (ENOBUFS, a full CQ, a pause), once the queue is
   * down to half its limit and buffers are available.
   */
  protected resume(): void {
    if (!this.rearmWanted || this.ended || this.cancelled || this.arm_ !== null) return;
    // The loop is closing (this may be its final drain): no more requests, so the stream ends after what it holds.
    if (this.loop.isClosing) return this.loopClosing();
    if (this.buffered > this.queueLimit() / 2) return; // the next pulls call resume() again
    if (!this.buffersAvailable()) return this.awaitBuffers();
    this.rearmWanted = false;
    this.rearms++;
    this.start();
  }

  private push(entry: Q): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.resolve({ value: this.output(entry), done: false });
      this.resume();
      return;
    }
    this.queue.push(entry);
    if (this.buffered >= this.queueLimit()) this.holdBack();
  }

  /** The queue reached its limit: stop the request (once) and let the subclass relieve what the queue holds. */
  private holdBack(): void {
    this.relieve(this.queue, this.qHead);
    if (this.arm_ !== null && !this.pausing && !this.cancelled) {
      this.pausing = true;
      this.loop.cancel(this.arm_);
    }
  }

  /** Called once when the stream ends, however it ends: a subclass lets go of what it waits on. */
  protected onEnd(): void {}

  private finish(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    this.error = error;
    const w = this.waiter;
    if (w && this.qHead >= this.queue.length) {
      this.waiter = null;
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  /** Values queued and not yet pulled. */
  get buffered(): number {
    return this.queue.length - this.qHead;
  }

  /** The next value; done once the stream ended and its queue is empty. */
  next(): Promise<IteratorResult<T>> {
    this.consumed();
    if (this.qHead < this.queue.length) {
      const entry = this.queue[this.qHead++]!; // qHead < queue.length
      if (this.qHead === this.queue.length) {
        this.queue.length = 0;
        this.qHead = 0;
      }
      const value = this.output(entry);
      this.resume();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      const e = this.error;
      this.error = null;
      return e ? Promise.reject(e) : Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) {
      // A refusal, as refuse() makes it, but as the rejection of this pull.
      return Promise.reject(new UringError(`read the ${this.name} stream`, 0, "another read is still waiting"));
    }
    const pending = new Promise<IteratorResult<T>>((resolve, reject) => (this.waiter = { resolve, reject }));
    this.resume(); // what consumed() gave back may be the buffer the request waits for
    return pending;
  }

  /** Ends the stream: cancels the request (breaking out of `for await` calls this). Queued values are dropped. */
  return(): Promise<IteratorResult<T>> {
    this.cancel();
    for (let i = this.qHead; i < this.queue.length; i++) this.discard(this.queue[i]!);
    this.queue.length = 0;
    this.qHead = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends the stream with `error` after cancelling the request. */
  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.cancel();
    return Promise.reject(error);
  }

  /** Cancels the request; the iterator ends once the kernel confirms (values already queued are still served). */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.rearmWanted = false;
    if (this.arm_) {
      if (!this.pausing) this.loop.cancel(this.arm_); // a pause's cancel is already on its way
    } else {
      this.finish(null);
    }
  }

  /** Ends the stream when `signal` aborts; the pending `next()` then rejects with an AbortError. */
  bindSignal(signal: AbortSignal): this {
    const onAbort = () => {
      // The error first: cancel() ends an unarmed stream (one waiting for buffers) at once, and quietly.
      this.finish(domError("AbortError", `The ${this.name} stream was aborted`, signal.reason));
      this.cancel();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    return this;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream as `return()` does: `await using stream = new RecvStream(...)` cancels it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/** The operation a stream keeps in the loop while armed; forwards CQEs to the stream. */
class StreamArm extends Operation {
  private readonly stream: MultishotStream<unknown, unknown>;
  constructor(stream: MultishotStream<unknown, unknown>) {
    super();
    this.stream = stream;
  }
  prep(sqe: Sqe): void {
    (this.stream as unknown as { prepArm(sqe: Sqe, op: Operation): void }).prepArm(sqe, this);
  }
  complete(res: number, flags: number, more: boolean, _loop: OpHost, word: number): void {
    this.stream.deliver(res, flags, more, word);
  }
  drop(error: Error): void {
    this.stream.dropped(error);
  }
  override abandon(error: Error): void {
    this.stream.abandoned(error);
  }
}
