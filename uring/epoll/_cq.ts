/**
 * The epoll backend's completion queue: CQEs in the kernel's 16-byte layout (user_data, res, flags as four 32-bit
 * words), so a visitor gets the same `(userData, res, flags, word)` a kernel ring gives and may read
 * `cqes32[word ..]`. It never drops a completion: where the kernel keeps what does not fit the CQ in an overflow
 * list (IORING_FEAT_NODROP), this queue grows.
 *
 * @module
 */
import { TWO_32 } from "../abi/_u64.ts";
import type { CqeVisitor } from "../ring/ring.ts";

/** A growable queue of CQEs; positions are absolute counts, an entry's words sit at `(position & mask) * 4`. */
export class CompletionQueue {
  /** The entries: a new array after growth, so read it while visiting, never keep it. */
  words: Uint32Array;
  private res: Int32Array;
  private mask: number;
  private head = 0;
  private tail = 0;

  constructor(entries: number) {
    this.words = new Uint32Array(entries * 4);
    this.res = new Int32Array(this.words.buffer);
    this.mask = entries - 1;
  }

  /** CQEs posted and not yet visited. */
  get ready(): number {
    return this.tail - this.head;
  }

  /** Posts a CQE whose user_data is `lo + hi * 2^32` (the two words as the SQE held them: exact above 2^53). */
  push(lo: number, hi: number, res: number, flags: number): void {
    if (this.tail - this.head > this.mask) this.grow();
    const w = (this.tail & this.mask) << 2;
    this.words[w] = lo;
    this.words[w + 1] = hi;
    this.res[w + 2] = res;
    this.words[w + 3] = flags;
    this.tail++;
  }

  /**
   * Visits up to `max` ready CQEs in order and releases them. A visitor that throws has consumed its CQE and those
   * before it (as `Ring.forEachCqe`). Entries posted while visiting are left for the next call.
   */
  forEach(visit: CqeVisitor, max: number): number {
    const ready = this.tail - this.head;
    const n = ready < max ? ready : max;
    let i = 0;
    try {
      for (; i < n; i++) {
        // Recomputed per entry: a visitor may post (an inline completion of a request it submitted), which may grow
        // the arrays; positions stay valid across growth.
        const w = ((this.head + i) & this.mask) << 2;
        const words = this.words;
        const hi = words[w + 1]!;
        visit(hi === 0 ? words[w]! : words[w]! + hi * TWO_32, this.res[w + 2]!, words[w + 3]!, w);
      }
    } finally {
      this.head += i < n ? i + 1 : n;
    }
    return n;
  }

  private grow(): void {
    const old = this.words;
    const oldMask = this.mask;
    const entries = (oldMask + 1) * 2;
    this.words = new Uint32Array(entries * 4);
    this.res = new Int32Array(this.words.buffer);
    this.mask = entries - 1;
    for (let p = this.head; p < this.tail; p++) {
      const from = (p & oldMask) << 2;
      this.words.set(old.subarray(from, from + 4), (p & this.mask) << 2);
    }
  }
}
