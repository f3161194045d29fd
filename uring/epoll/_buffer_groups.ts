/**
 * Provided buffers on the epoll backend, picked as the kernel picks them (io_uring/kbuf.c), from the same memory:
 * - A buffer ring (IORING_REGISTER_PBUF_RING, which this backend's `register()` takes): the application publishes
 *   `struct io_uring_buf` entries and a u16 tail at byte 14; the consumer (here, as in the kernel) keeps its head
 *   privately, takes the entry at `head & mask`, and fails with ENOBUFS when `head == tail`. A completion that used
 *   a buffer carries IORING_CQE_F_BUFFER and the bid in `flags >> 16`. Without IOU_PBUF_RING_INC a selection
 *   consumes the whole entry; with it (`io_kbuf_inc_commit`) a transfer of `n` bytes writes `addr += n`,
 *   `len -= n` back into the shared entry and reports IORING_CQE_F_BUF_MORE until the entry is used up.
 * - Classic provided buffers (IORING_OP_PROVIDE_BUFFERS): a list per group, taken from the front.
 * A buffer is taken only when a transfer happens: a request that finds no data gives it back untouched (the ring's
 * head does not move; a classic buffer goes back to the front), as the kernel recycles a buffer on EAGAIN.
 *
 * @module
 */
import { backend } from "../../ffi/mod.ts";
import { TWO_32 } from "../abi/_u64.ts";
import { IORING_CQE_BUFFER_SHIFT, IORING_CQE_F_BUF_MORE, IORING_CQE_F_BUFFER } from "../abi/uapi.ts";

/** A buffer picked for one transfer. */
export interface Picked {
  /** Where the transfer goes. */
  addr: number;
  /** The most it may move. */
  len: number;
  bid: number;
  /** The entry's whole length. */
  full: number;
}

/** A group registered as a buffer ring. */
export class RingGroup {
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;
  private readonly mask: number;
  /** The consumer head (mod 2^16, as the kernel's `bl->head` is read through IORING_REGISTER_PBUF_STATUS). */
  head = 0;

  constructor(readonly bgid: number, readonly entries: number, readonly incremental: boolean, address: number) {
    const mem = backend.viewAt(address, entries * 16);
    this.u32 = new Uint32Array(mem);
    this.u16 = new Uint16Array(mem);
    this.mask = entries - 1;
  }

  /** Picks the head entry for a transfer of up to `want` bytes (0: the whole entry), or null when empty. */
  pick(want: number): Picked | null {
    // The tail overlays bufs[0].resv (byte 14); the application store-releases it, and this thread reads it after
    // the store (the same thread, or a system call later).
    const tail = this.u16[7]!;
    if (tail === this.head) return null;
    const w = (this.head & this.mask) * 4;
    const len = this.u32[w + 2]!;
    return {
      addr: this.u32[w]! + this.u32[w + 1]! * TWO_32,
      len: want === 0 || want > len ? len : want,
      bid: this.u16[w * 2 + 6]!,
      full: len,
    };
  }

  /** A transfer of `n` bytes (0 for end of file) used the picked entry: the CQE flags it earns. */
  commit(p: Picked, n: number): number {
    const flags = IORING_CQE_F_BUFFER | (p.bid << IORING_CQE_BUFFER_SHIFT);
    if (!this.incremental) {
      this.head = (this.head + 1) & 0xffff;
      return flags;
    }
    const w = (this.head & this.mask) * 4;
    const left = this.u32[w + 2]! - n;
    if (n === 0 || left > 0) {
      const addr = this.u32[w]! + this.u32[w + 1]! * TWO_32 + n;
      const lo = addr >>> 0;
      this.u32[w] = lo;
      this.u32[w + 1] = (addr - lo) / TWO_32;
      this.u32[w + 2] = left;
      return flags | IORING_CQE_F_BUF_MORE;
    }
    this.u32[w + 2] = 0;
    this.head = (this.head + 1) & 0xffff;
    return flags;
  }
}

/** A group of classic provided buffers. */
export class ListGroup {
  readonly buffers: Picked[] = [];
  constructor(readonly bgid: number) {}

  pick(want: number): Picked | null {
    const b = this.buffers.shift();
    if (b === undefined) return null;
    return { addr: b.addr, len: want === 0 || want > b.len ? b.len : want, bid: b.bid, full: b.len };
  }

  /** Taken for good: a classic buffer is the application's once a CQE names it. */
  commit(p: Picked): number {
    return IORING_CQE_F_BUFFER | (p.bid << IORING_CQE_BUFFER_SHIFT);
  }

  /** A picked buffer that moved nothing (EAGAIN) goes back to the front. */
  putBack(p: Picked): void {
    this.buffers.unshift({ addr: p.addr, len: p.full, bid: p.bid, full: p.full });
  }
}

/** The groups of one ring. */
export class BufferGroups {
  private readonly groups = new Map<number, RingGroup | ListGroup>();

  get(bgid: number): RingGroup | ListGroup | undefined {
    return this.groups.get(bgid);
  }

  set(g: RingGroup | ListGroup): void {
    this.groups.set(g.bgid, g);
  }

  delete(bgid: number): void {
    this.groups.delete(bgid);
  }

  /**
   * Picks a buffer of `bgid` for a transfer of up to `want` bytes, or null (ENOBUFS) when the group has none or
   * does not exist.
   */
  pick(bgid: number, want: number): { group: RingGroup | ListGroup; picked: Picked } | null {
    const group = this.groups.get(bgid);
    if (group === undefined) return null;
    const picked = group.pick(want);
    return picked === null ? null : { group, picked };
  }

  /** Gives back a buffer picked for a transfer that did not happen (EAGAIN, or an error). */
  unpick(group: RingGroup | ListGroup, p: Picked): void {
    if (group instanceof ListGroup) group.putBack(p);
    // A ring's head did not move: the entry is picked again next time.
  }
}
