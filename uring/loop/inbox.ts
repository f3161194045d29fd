/**
 * A loop's inbox: completions that other rings post into this one with IORING_OP_MSG_RING (Linux 5.18), delivered
 * as an async iterator. This is how work is handed from one ring (one Worker, one core) to another without a
 * system call on the receiving side: the sender's SQE makes the kernel post a CQE on the receiver's ring.
 *
 * A message carries a tag (up to 2^52, in the CQE's user_data above the loop's slot numbers) and a 32-bit value
 * (the CQE's res).
 *
 * @module
 */
import { UringError } from "../core/errors.ts";

/** One message received from another ring. */
export interface LoopMessage {
  /** What the sender put in user_data, less {@link MESSAGE_BASE}. */
  tag: number;
  /** The sender's 32-bit value (the CQE's res). */
  value: number;
  /** The CQE's flags (set by the sender with IORING_MSG_RING_FLAGS_PASS). */
  flags: number;
}

/** user_data at and above this value (below 2^53 - 1) are messages, not operations. */
export const MESSAGE_BASE = 2 ** 52;

/**
 * A Loop's operations carry user_data from here up to {@link MESSAGE_BASE} (generation x 2^24 + slot, generations
 * from 1): a CQE with such a value is taken for the final completion of the operation in that slot.
 */
export const OPERATION_USER_DATA_MIN = 2 ** 24;

// The rings Loops own, so a message aimed at one can be checked (a ring given as a number cannot be told apart).
const loopRings = new WeakSet<object>();

/** @internal Called by a Loop for its ring. */
export function markLoopRing(ring: object): void {
  loopRings.add(ring);
}

/**
 * Refuses a message whose user_data would pass for one of a Loop's operations (from
 * {@link OPERATION_USER_DATA_MIN} up to {@link MESSAGE_BASE}) when the target ring may be a Loop's: a Loop's ring, or
 * a ring known only by its fd. The receiving loop would complete that operation while the kernel still works on it,
 * and free or reuse memory the kernel then writes. Values below 2^24 reach a loop as stale completions (counted,
 * ignored), values from `messageUserData()` reach its inbox; a plain Ring object takes any user_data.
 *
 * @param operation What is being done, for the error.
 * @param target The receiving ring, or its fd.
 * @param userData The user_data the message carries.
 */
export function checkMessageUserData(operation: string, target: object | number, userData: number | bigint): void {
  if (typeof target !== "number" && !loopRings.has(target)) return;
  const ud = Number(userData);
  if (ud >= OPERATION_USER_DATA_MIN && ud < MESSAGE_BASE) {
    throw new UringError(operation, 0, `user_data ${userData} is in the range of a Loop's operations (2^24 to 2^52): ` +
      "the target (a Loop's ring, or a ring given by fd) would take it for the completion of an operation still in " +
      "the kernel. Use messageUserData(tag) for a loop's inbox, or a value below 2^24");
  }
}

/** The largest tag a message can carry. */
export const MAX_MESSAGE_TAG = 2 ** 52 - 3;

/**
 * The user_data a sender writes so that the receiving loop delivers `tag` to its inbox.
 *
 * @example
 * ```ts
 * await msgRing(loop, otherRingFd, { res: 7, userData: messageUserData(42) });
 * ```
 */
export function messageUserData(tag: number): number {
  if (!Number.isSafeInteger(tag) || tag < 0 || tag > MAX_MESSAGE_TAG) {
    throw new RangeError(`A message tag is an integer from 0 to 2^52 - 3, got ${tag}`);
  }
  return MESSAGE_BASE + tag;
}

/** The queue behind `loop.inbox`. */
export class Inbox implements AsyncIterableIterator<LoopMessage> {
  private readonly queue: LoopMessage[] = [];
  private waiter: ((r: IteratorResult<LoopMessage>) => void) | null = null;
  private closed = false;
  private readonly onWait: () => void;

  /** @internal `onWait` lets the loop arm its wake-up while someone waits for a message. */
  constructor(onWait: () => void) {
    this.onWait = onWait;
  }

  /** Whether a consumer is waiting (the loop keeps its wake-up armed meanwhile). */
  get waiting(): boolean {
    return this.waiter !== null;
  }

  /** @internal Delivers a message from reaping. */
  deliver(tag: number, value: number, flags: number): void {
    const m = { tag, value, flags };
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w({ value: m, done: false });
    } else this.queue.push(m);
  }

  /** @internal Ends the iterator (the loop closed). */
  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    w?.({ value: undefined, done: true });
  }

  /** The next message; done once the loop is closed. */
  next(): Promise<IteratorResult<LoopMessage>> {
    const m = this.queue.shift();
    if (m) return Promise.resolve({ value: m, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) return Promise.reject(new Error("Cannot read the inbox twice at once"));
    const p = new Promise<IteratorResult<LoopMessage>>((resolve) => (this.waiter = resolve));
    this.onWait();
    return p;
  }

  /** Stops iterating; messages keep arriving in the queue for a later reader. */
  return(): Promise<IteratorResult<LoopMessage>> {
    const w = this.waiter;
    this.waiter = null;
    w?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
