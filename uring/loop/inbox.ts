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
import { MESSAGE_BASE } from "../ring/_loop_user_data.ts";
import { checkInt } from "../core/_validate.ts";

/** One message received from another ring. */
export interface LoopMessage {
  /** The tag the sender gave {@link messageUserData} (the CQE's user_data less {@link MESSAGE_BASE}). */
  tag: number;
  /** The sender's 32-bit value (the CQE's res). */
  value: number;
  /** The CQE's flags (set by the sender with IORING_MSG_RING_FLAGS_PASS). */
  flags: number;
}

/** The largest tag a message can carry. */
export const MAX_MESSAGE_TAG = 2 ** 52 - 3;

/**
 * The user_data a sender writes so that the receiving loop delivers `tag` to its inbox (`loop.inbox`).
 *
 * @param tag An integer from 0 to {@link MAX_MESSAGE_TAG}: what the receiver reads as `message.tag`.
 * @returns The user_data to send.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { msgRing } from "ringside-uring/ops";
 * declare const otherRingFd: number; // another thread's loop.ring.fd
 *
 * const loop = new Loop();
 * await msgRing(loop, otherRingFd, { res: 7, userData: messageUserData(42) });
 * await loop.close();
 * ```
 */
export function messageUserData(tag: number): number {
  return MESSAGE_BASE + checkInt("address a message", tag, 0, MAX_MESSAGE_TAG, "the tag");
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
    if (this.waiter) return Promise.reject(new UringError("read the inbox", 0, "another read is still waiting"));
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
