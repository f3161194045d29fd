/**
 * A provided-buffer ring for one buffer group: the pool that requests with IOSQE_BUFFER_SELECT (READ, RECV,
 * multishot recv and read, uring_cmd multishot) draw their buffers from, with the bookkeeping to turn a CQE back
 * into the bytes it carries and to give the buffer back to the kernel.
 *
 * What the kernel does (io_uring/kbuf.c, Linux 6.18; liburing's `io_uring_register_buf_ring(3)`,
 * `io_uring_setup_buf_ring(3)`, `io_uring_buf_ring_add(3)`):
 * - The ring is `entries` 16-byte `struct io_uring_buf { u64 addr; u32 len; u16 bid; u16 resv }` in page-aligned
 *   memory; the u16 tail overlays `bufs[0].resv` (byte 14). The application is the only producer: it writes
 *   entries at `tail & mask` and then store-releases the tail. The kernel is the only consumer: it keeps its head
 *   privately (readable with IORING_REGISTER_PBUF_STATUS, 6.8), load-acquires the tail, and takes the entry at
 *   `head & mask`. An empty ring (`tail == head`) fails a request with -ENOBUFS (a multishot request then ends: its
 *   final CQE lacks IORING_CQE_F_MORE).
 * - A CQE that used a buffer has IORING_CQE_F_BUFFER and the entry's `bid` in `flags >> 16`.
 * - Without IOU_PBUF_RING_INC a selection consumes the whole entry (`head += 1`), however few bytes arrive: the
 *   data is `buffer(bid)[0 .. res)` and the buffer is the application's until it is added back.
 * - With IOU_PBUF_RING_INC (6.12) the kernel consumes an entry piecewise (`io_kbuf_inc_commit`): after a transfer
 *   of `n` bytes it writes `addr += n`, `len -= n` back INTO THE SHARED ENTRY and leaves the head where it is, and
 *   the CQE carries IORING_CQE_F_BUF_MORE: the next transfer continues in the same buffer right after these bytes.
 *   Only when the entry's remaining length reaches 0 (or drops below `min_left`, which this class leaves at 0) does
 *   the head move on; that CQE lacks BUF_MORE and ends the buffer. A transfer of 0 bytes (EOF) consumes nothing and
 *   reports BUF_MORE. So the data of a CQE is at `[offset, offset + res)`, where `offset` is what earlier CQEs of
 *   that bid consumed, and the buffer may be recycled only after a CQE without BUF_MORE.
 *   Caveat: for files that cannot be polled (regular files, block devices) the kernel commits at selection time,
 *   with the length the request asked for rather than the length transferred; piecewise offsets then follow the
 *   requested lengths. Incremental rings are meant for sockets and pipes (whose transfers commit what they moved);
 *   for regular files read whole buffers (len 0) or use a ring without INC.
 * - Bundles (IORING_RECVSEND_BUNDLE, IORING_FEAT_RECVSEND_BUNDLE, 6.10): one recv fills several consecutive ring
 *   entries starting at the head (`io_ring_buffers_peek`); the CQE names only the first bid, `res` is the total,
 *   and the buffers used are the next entries in ring order, each filled up to its length (the entry's `len`;
 *   the kernel's code may shrink the last entry's `len` when the recv has a length limit, though on 6.18 a limit of
 *   100 with 64-byte buffers simply received 64 bytes into one buffer). With INC the first buffer
 *   continues where earlier CQEs left it, every buffer but the last is filled completely, and the last may stay in
 *   the ring (BUF_MORE). A bundle recv that returns 0 (EOF) or an error consumes nothing and has no F_BUFFER.
 * - A group that is not registered (any more) fails a READ with -ENOBUFS and a bundle recv with -ENOENT.
 * - After IORING_UNREGISTER_PBUF_RING the kernel selects nothing more from the group; but a request that had
 *   already selected a buffer can still write into it. Buffer memory is not pinned by the kernel (unlike registered
 *   buffers): freeing it under such a request would let the kernel write into whatever is mapped there next.
 *
 * Lifecycle and safety in this class:
 * - Every bid is in one of two states: in the ring (the kernel may pick it; includes a partly consumed incremental
 *   buffer) or lent (a CQE handed it to the application). {@link BufferRing.take} and {@link BufferRing.takeBundle}
 *   move a bid from the ring to lent; {@link BufferRing.recycle} moves it back. Recycling a bid that is in the ring
 *   throws: adding it twice would let the kernel hand the same memory to two requests.
 * - {@link BufferRing.acquire}/{@link BufferRing.release} count the requests in flight that use the group (the loop
 *   or a stream calls them around a request's life); {@link BufferRing.close} refuses while that count is not zero.
 *   Lent buffers do not block `close()`: the kernel no longer writes them, and their views are detached when the
 *   memory is freed (a stale view reads as empty, never as freed memory).
 * - The per-CQE path (`take`, `takeBundle`, `recycle`, `add`, `publish`, `buffer`) makes no FFI call and, after a
 *   bid's first `buffer(bid)`, allocates nothing. `head()` and `available()` ask the kernel (one register call).
 *
 * @example
 * ```ts
 * import { Ring, sqeSetBufGroup, sqeSetFlags } from "ringside-uring/ring";
 * import { prepRead } from "ringside-uring/prep";
 * import { IOSQE_BUFFER_SELECT } from "ringside-uring/abi";
 * declare const pipeReadFd: number;
 *
 * const ring = new Ring(8);
 * const br = BufferRing.create(ring, { bgid: 1, entries: 4, bufferSize: 4096 });
 * const sqe = ring.getSqe()!;
 * prepRead(sqe, pipeReadFd, 0, 4096, -1);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * ring.submitAndWait(1);
 * ring.forEachCqe((_ud, res, flags) => {
 *   const t = br.take(res, flags);
 *   if (t) {
 *     console.log(br.buffer(t.bid).subarray(t.offset, t.offset + t.length));
 *     if (!t.more) br.recycle(t.bid);
 *   }
 * });
 * br.close();
 * ring.close();
 * ```
 *
 * @module
 */
import { loadAcquire16, storeRelease16 } from "../core/barrier.ts";
import { refuse, UringError } from "../core/errors.ts";
import { checkInt } from "../core/_validate.ts";
import { NativeMemory, pageAlign, type RangeHolder } from "../core/memory.ts";
import type { Ring } from "../ring/ring.ts";
import { bufRingHead, registerBufRing, unregisterBufRing } from "../ring/registered_buf_rings.ts";
import { IORING_MAX_BUF_RING_ENTRIES } from "../ring/limits.ts";
import { releaseRegistrations } from "../ring/registrations.ts";
import {
  io_uring_buf,
  io_uring_buf_ring,
  IORING_CQE_BUFFER_SHIFT,
  IORING_CQE_F_BUF_MORE,
  IORING_CQE_F_BUFFER,
  IOU_PBUF_RING_INC,
  IOU_PBUF_RING_MMAP,
} from "../abi/uapi.ts";
import { MAX_RW_COUNT } from "../abi/structs.ts";
import { TWO_32 } from "../abi/_u64.ts";

const IN_RING = 0;
const LENT = 1;
// Word and half-word indices inside one 16-byte entry.
const ENTRY_WORDS = io_uring_buf.SIZE >> 2;
const W_ADDR = io_uring_buf.addr >> 2;
const W_LEN = io_uring_buf.len >> 2;
const H_BID = io_uring_buf.bid >> 1;
const H_TAIL = io_uring_buf_ring.tail >> 1;

/** What {@link BufferRing.create} sets up. */
export interface BufferRingOptions {
  /** The buffer group ID (sqe->buf_group with IOSQE_BUFFER_SELECT), 0 to 65535. */
  bgid: number;
  /** Ring entries and buffers: a power of two from 1 to 32768. Buffer IDs are 0 .. entries - 1. */
  entries: number;
  /** Bytes per buffer, 1 to MAX_RW_COUNT (0x7ffff000, the most one transfer moves: larger buffers gain nothing). */
  bufferSize: number;
  /**
   * Consume buffers incrementally (IOU_PBUF_RING_INC, Linux 6.12): each transfer uses only the bytes it needs and
   * the next one continues in the same buffer. Suits streams (sockets, pipes) with large buffers.
   */
  incremental?: boolean | undefined;
  /** Let the kernel allocate the ring entries (IOU_PBUF_RING_MMAP, Linux 6.4); ringside maps them. */
  mmap?: boolean | undefined;
}

/**
 * What one CQE carried, as {@link BufferRing.take} reports it. The object is reused by the next `take()`: copy the
 * fields out if they must outlive it.
 */
export interface TakenBuffer {
  /** The buffer ID. */
  bid: number;
  /** Where the data starts in `buffer(bid)`: 0, or for an incremental ring what earlier CQEs of this bid used. */
  offset: number;
  /** How many bytes arrived (`res`, or 0 for an error or EOF). */
  length: number;
  /**
   * IORING_CQE_F_BUF_MORE: the kernel keeps the rest of this buffer for the next transfer, so it must NOT be
   * recycled. When false the buffer is lent to the caller, who recycles it once done with the bytes.
   */
  more: boolean;
}

/**
 * Called by {@link BufferRing.takeBundle} once per buffer a bundle used, in ring order.
 *
 * @param bid The buffer ID.
 * @param offset Where this buffer's part of the data starts in `buffer(bid)`.
 * @param length How many bytes of the data are in this buffer.
 * @param done Whether the buffer left the ring (recycle it once done with the bytes); false only for the last
 *   buffer of an incremental ring that the kernel keeps filling (IORING_CQE_F_BUF_MORE).
 */
export type BundleVisitor = (bid: number, offset: number, length: number, done: boolean) => void;

/**
 * A provided-buffer ring for one buffer group with `entries` buffers of `bufferSize` bytes in one native mapping.
 *
 * Single-threaded, like the {@link Ring} it belongs to.
 */
export class BufferRing implements RangeHolder {
  /** The ring the group is registered with. */
  readonly ring: Ring;
  /** The buffer group ID. */
  readonly bgid: number;
  /** Number of entries and of buffers. */
  readonly entries: number;
  /** Bytes per buffer. */
  readonly bufferSize: number;
  /** Whether the kernel consumes buffers incrementally (IOU_PBUF_RING_INC). */
  readonly incremental: boolean;
  /** Whether the ring entries are the kernel's (IOU_PBUF_RING_MMAP). */
  readonly mmap: boolean;
  /** All buffers: buffer `bid` is bytes `[bid * bufferSize, (bid + 1) * bufferSize)`. Pinned until `close()`. */
  readonly memory: NativeMemory;
  /** The ring entries (ours, or the kernel's mapped with IOU_PBUF_RING_MMAP). Pinned while registered. */
  readonly ringMemory: NativeMemory;

  private readonly mask: number;
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;
  // Our tail: positions are counted as u32 here; the kernel sees the low 16 bits. `published` is what the kernel
  // has been shown; `tailPos` includes entries added but not yet published.
  private tailPos = 0;
  private published = 0;
  // Per bid: IN_RING or LENT; where it was last added (its ring position); incremental bytes consumed so far.
  private readonly state: Uint8Array;
  private readonly posOf: Uint32Array;
  private readonly offsets: Uint32Array;
  // Per slot: which bid and which position was written there last (to walk bundles in ring order).
  private readonly slotBid: Uint16Array;
  private readonly slotPos: Uint32Array;
  private readonly views: (Uint8Array | undefined)[];
  private readonly taken: TakenBuffer = { bid: -1, offset: 0, length: 0, more: false };
  private lentCount = 0;
  // Per bid: requests reading or writing it in place (a zero-copy view sent on), and whether it was given back
  // meanwhile: it goes back to the kernel only once the last of those requests has finished (see holdRange()).
  private readonly holdCount: Uint32Array;
  private readonly returned: Uint8Array;
  private heldTotal = 0;
  private userCount = 0;
  private closed = false;
  private waiters: (() => void)[] = [];
  private notifyQueued = false;
  private readonly notify = () => {
    this.notifyQueued = false;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  };

  private constructor(ring: Ring, o: Required<BufferRingOptions>, memory: NativeMemory, ringMemory: NativeMemory) {
    this.ring = ring;
    this.bgid = o.bgid;
    this.entries = o.entries;
    this.bufferSize = o.bufferSize;
    this.incremental = o.incremental ?? false;
    this.mmap = o.mmap ?? false;
    this.memory = memory;
    this.ringMemory = ringMemory;
    this.mask = o.entries - 1;
    this.u32 = new Uint32Array(ringMemory.buffer, 0, o.entries * ENTRY_WORDS);
    this.u16 = new Uint16Array(ringMemory.buffer, 0, o.entries * ENTRY_WORDS * 2);
    this.state = new Uint8Array(o.entries);
    this.posOf = new Uint32Array(o.entries);
    this.offsets = new Uint32Array(o.entries);
    this.slotBid = new Uint16Array(o.entries);
    this.slotPos = new Uint32Array(o.entries);
    this.views = new Array(o.entries);
    this.holdCount = new Uint32Array(o.entries);
    this.returned = new Uint8Array(o.entries);
    memory.holder = this;
    // The kernel's head starts at 0 and the tail word is 0 in fresh memory; continue from whatever the tail holds.
    this.tailPos = this.published = loadAcquire16(this.u16, H_TAIL);
  }

  /**
   * Allocates the buffers (one native mapping of `entries * bufferSize` bytes) and the ring (page-aligned,
   * `entries * 16` bytes, or the kernel's with `mmap`), registers the ring for group `bgid` with
   * IORING_REGISTER_PBUF_RING, adds every buffer (bid i at ring index i) and publishes the tail. Throws a
   * {@link UringError}: refused input before the kernel sees it, EEXIST when the group already has buffers, EINVAL
   * when the kernel lacks a flag (INC needs 6.12, MMAP 6.4).
   *
   * @example
   * ```ts
   * import type { Ring } from "ringside-uring/ring";
   * declare const ring: Ring;
   *
   * const br = BufferRing.create(ring, { bgid: 0, entries: 64, bufferSize: 16384, incremental: true });
   * ```
   */
  static create(ring: Ring, options: BufferRingOptions): BufferRing {
    const op = "create a buffer ring";
    const o = options ?? {} as BufferRingOptions;
    const { bgid, entries, bufferSize } = o;
    checkInt(op, bgid, 0, 0xffff, "bgid");
    if (!Number.isInteger(entries) || entries < 1 || entries > IORING_MAX_BUF_RING_ENTRIES ||
      (entries & (entries - 1)) !== 0) {
      refuse(op, `entries must be a power of two from 1 to ${IORING_MAX_BUF_RING_ENTRIES}, got ${entries}`);
    }
    checkInt(op, bufferSize, 1, MAX_RW_COUNT, "bufferSize");
    if (!Number.isSafeInteger(entries * bufferSize)) refuse(op, `${entries} x ${bufferSize} bytes is too much`);
    const incremental = o.incremental === true;
    const mmap = o.mmap === true;
    const flags = (incremental ? IOU_PBUF_RING_INC : 0) | (mmap ? IOU_PBUF_RING_MMAP : 0);

    const memory = NativeMemory.allocate(entries * bufferSize);
    let ringMem: NativeMemory | undefined;
    try {
      ringMem = mmap ? undefined : NativeMemory.allocate(pageAlign(entries * io_uring_buf.SIZE));
      const reg = registerBufRing(ring, ringMem ? { memory: ringMem, entries, bgid, flags } : { entries, bgid, flags });
      memory.pin();
      const br = new BufferRing(ring, { bgid, entries, bufferSize, incremental, mmap }, memory, reg.memory);
      for (let bid = 0; bid < entries; bid++) br.put(bid);
      br.publish();
      return br;
    } catch (e) {
      // Nothing was registered (registerBufRing undoes itself on failure), so the memory is ours to free.
      ringMem?.free();
      memory.free();
      throw e;
    }
  }

  /** Whether `close()` has run. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * How many buffers are lent out: handed over by a CQE and not back in the ring yet (recycled ones that a request
   * still reads in place, such as a send of a zero-copy view, count until it finishes). Tracked, no system call.
   */
  get lent(): number {
    return this.lentCount;
  }

  /** How many requests using this group are in flight, as counted by {@link acquire} and {@link release}. */
  get users(): number {
    return this.userCount;
  }

  /**
   * A view of buffer `bid` (all `bufferSize` bytes). Made once per bid and cached, so calling it per CQE allocates
   * nothing. Detached (length 0) once the ring is closed.
   */
  buffer(bid: number): Uint8Array {
    let v = this.views[bid];
    if (v === undefined) {
      this.checkBid("view a buffer", bid);
      v = this.views[bid] = this.memory.bytes.subarray(bid * this.bufferSize, (bid + 1) * this.bufferSize);
    }
    return v;
  }

  /** The native address of buffer `bid`'s first byte. */
  address(bid: number): number {
    this.checkBid("get a buffer's address", bid);
    return this.memory.address + bid * this.bufferSize;
  }

  /**
   * Reads a CQE's buffer: returns which buffer it used and where its data is, or null when the CQE carries no
   * buffer (no IORING_CQE_F_BUFFER: -ENOBUFS, say). Without INC the data is `buffer(bid)[0 .. res)` and the buffer
   * is lent to the caller; with INC it is at `[offset, offset + res)` and, while `more` (IORING_CQE_F_BUF_MORE),
   * the kernel keeps the buffer: do not recycle it. Once `more` is false, recycle the buffer when done with its
   * bytes. The returned object is reused by the next call. No allocation, no system call.
   *
   * @param res The CQE's res (bytes, or -errno).
   * @param flags The CQE's flags.
   *
   * @example
   * ```ts
   * declare const br: BufferRing, res: number, flags: number; // a CQE of a request that selected from br's group
   * declare function consume(bytes: Uint8Array): void;
   *
   * const t = br.take(res, flags);
   * if (t) {
   *   consume(br.buffer(t.bid).subarray(t.offset, t.offset + t.length));
   *   if (!t.more) br.recycle(t.bid);
   * }
   * ```
   */
  take(res: number, flags: number): TakenBuffer | null {
    if (!(flags & IORING_CQE_F_BUFFER)) return null;
    if (this.closed) this.throwClosed("take a buffer");
    const bid = flags >>> IORING_CQE_BUFFER_SHIFT;
    this.checkTakable(bid);
    const t = this.taken;
    const length = res > 0 ? res : 0;
    t.bid = bid;
    if (this.incremental) {
      const offset = this.offsets[bid]!; // checkTakable: bid < entries
      if (offset + length > this.bufferSize) this.throwOverrun(bid, offset, length);
      t.offset = offset;
      t.length = length;
      t.more = (flags & IORING_CQE_F_BUF_MORE) !== 0;
      this.offsets[bid] = offset + length;
      if (!t.more) this.lend(bid);
    } else {
      if (length > this.bufferSize) this.throwOverrun(bid, 0, length);
      t.offset = 0;
      t.length = length;
      t.more = false;
      this.lend(bid);
    }
    return t;
  }

  /**
   * Walks the buffers a bundle CQE used (IORING_RECVSEND_BUNDLE): `res` bytes spread over consecutive ring entries
   * starting at the CQE's bid, each filled to its length. Calls `visit(bid, offset, length, done)` for each, in
   * order, and returns how many buffers the data covered (0 for a CQE without a buffer; an error or EOF has none in
   * bundle mode). Each buffer visited with `done` is lent to the caller: recycle it once done
   * with its bytes (in any order; {@link recycleMany} publishes several with one tail store). With INC the last
   * buffer may stay in the ring (`done` false, the CQE has IORING_CQE_F_BUF_MORE). Also correct for a CQE that used
   * one buffer, so a bundle stream can call this for every CQE. No allocation, no system call.
   *
   * Handle a bundle CQE before recycling buffers that the kernel picked after it: the walk reads the ring entries
   * the bundle used, and those entries are rewritten once the tail wraps around to them (detected, and thrown).
   *
   * @example
   * ```ts
   * declare const br: BufferRing, res: number, flags: number; // a bundle recv's CQE
   *
   * const out: Uint8Array[] = [];
   * br.takeBundle(res, flags, (bid, offset, length, done) => {
   *   out.push(br.buffer(bid).slice(offset, offset + length));
   *   if (done) br.add(bid);
   * });
   * br.publish();
   * ```
   */
  takeBundle(res: number, flags: number, visit: BundleVisitor): number {
    if (!(flags & IORING_CQE_F_BUFFER) || res <= 0) return 0;
    if (this.closed) this.throwClosed("take a bundle");
    const first = flags >>> IORING_CQE_BUFFER_SHIFT;
    this.checkTakable(first);
    const more = (flags & IORING_CQE_F_BUF_MORE) !== 0;
    const mask = this.mask;
    let pos = this.posOf[first]!; // checkTakable: first < entries
    let offset = this.incremental ? this.offsets[first]! : 0;
    let remaining = res;
    let count = 0;
    while (remaining > 0) {
      const slot = pos & mask;
      const bid = this.slotBid[slot]!; // slot = pos & mask < entries
      if (this.slotPos[slot] !== pos || count >= this.entries || (count > 0 && this.state[bid] !== IN_RING)) {
        refuse("walk a bundle", `buffer group ${this.bgid}: ring entry ${slot} was rewritten before the bundle ` +
          `starting at buffer ${first} was handled (handle bundle CQEs before recycling buffers picked after them)`);
      }
      // Without INC the kernel fills each entry up to its len (which it may have shrunk on a bundle's last entry);
      // with INC it fills what is left of the buffer.
      const cap = this.incremental ? this.bufferSize - offset : this.u32[(slot * ENTRY_WORDS) + W_LEN]!;
      const n = remaining < cap ? remaining : cap;
      remaining -= n;
      const done = !this.incremental || remaining > 0 || !more;
      if (this.incremental) this.offsets[bid] = offset + n;
      if (done) this.lend(bid);
      visit(bid, offset, n, done);
      offset = 0;
      pos = (pos + 1) >>> 0;
      count++;
    }
    return count;
  }

  /**
   * Gives buffer `bid` back to the kernel and publishes it: {@link add} then {@link publish}. Matches liburing's
   * `io_uring_buf_ring_add` + `io_uring_buf_ring_advance(br, 1)`. Throws when the buffer is not lent (it is in
   * the ring already, or an incremental buffer the kernel is still filling).
   */
  recycle(bid: number): void {
    this.add(bid);
    this.publish();
  }

  /**
   * Writes buffer `bid` at the next ring slot without publishing it: the kernel sees it after {@link publish}
   * (one tail store for a batch). Matches liburing's `io_uring_buf_ring_add`. With INC the entry's address and
   * length are restored (the kernel advanced them in place) and the bid's offset restarts at 0.
   */
  add(bid: number): void {
    if (this.closed) this.throwClosed("recycle a buffer");
    if (!(bid >= 0 && bid < this.entries && this.state[bid] === LENT) || this.returned[bid]) this.throwNotLent(bid);
    if (this.holdCount[bid]! > 0) { // bid < entries: checked above
      // A request still uses the bytes in place (a send of a zero-copy view): back to the kernel when it finishes.
      this.returned[bid] = 1;
      return;
    }
    this.state[bid] = IN_RING;
    this.lentCount--;
    this.put(bid);
  }

  /**
   * @internal (RangeHolder) A request starts using bytes `[offset, offset + length)` of the buffers in place: the
   * buffers they span are not given back to the kernel, even when recycled, until {@link releaseRange}. Called by an
   * operation handed a view of this memory (a zero-copy recv view passed to a send), so a recv cannot refill a
   * buffer a send is still reading.
   */
  holdRange(offset: number, length: number): void {
    if (length <= 0) return;
    const last = Math.floor((offset + length - 1) / this.bufferSize);
    for (let bid = Math.floor(offset / this.bufferSize); bid <= last; bid++) this.holdCount[bid]!++;
    this.heldTotal++;
  }

  /** @internal (RangeHolder) The request holding that range finished; buffers recycled meanwhile go back now. */
  releaseRange(offset: number, length: number): void {
    if (length <= 0) return;
    this.heldTotal--;
    const last = Math.floor((offset + length - 1) / this.bufferSize);
    let added = false;
    for (let bid = Math.floor(offset / this.bufferSize); bid <= last; bid++) {
      if (--this.holdCount[bid]! !== 0 || !this.returned[bid]) continue;
      this.returned[bid] = 0;
      if (this.closed) continue;
      this.state[bid] = IN_RING;
      this.lentCount--;
      this.put(bid);
      added = true;
    }
    if (added) this.publish();
  }

  /**
   * Makes the added entries visible to the kernel with one store-release of the u16 tail. Matches liburing's
   * `io_uring_buf_ring_advance`. Cheap when nothing was added.
   */
  publish(): void {
    if (this.published === this.tailPos) return;
    this.published = this.tailPos;
    storeRelease16(this.u16, H_TAIL, this.tailPos & 0xffff);
    if (this.waiters.length > 0 && !this.notifyQueued) {
      this.notifyQueued = true;
      queueMicrotask(this.notify);
    }
  }

  /**
   * Calls `fn` once, in a microtask after buffers are next given back to the kernel ({@link publish}): how a
   * multishot request that ended with ENOBUFS learns that it can be armed again, whichever request sharing the
   * group gave the buffer back. No allocation per CQE: only when a request waits.
   *
   * @example
   * ```ts
   * declare const br: BufferRing;
   * declare function rearm(): void; // submits the multishot request again
   *
   * br.whenAvailable(() => rearm());
   * ```
   */
  whenAvailable(fn: () => void): void {
    if (this.closed) return;
    this.waiters.push(fn);
  }

  /** Forgets a {@link whenAvailable} callback that has not run yet (its stream ended meanwhile). */
  cancelWait(fn: () => void): void {
    const i = this.waiters.indexOf(fn);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** Adds `count` buffers from `bids` (default all) and publishes them with one tail store. */
  recycleMany(bids: ArrayLike<number>, count: number = bids.length): void {
    try {
      for (let i = 0; i < count; i++) this.add(bids[i]!); // a count past bids.length: add refuses undefined
    } finally {
      this.publish(); // what was added before a refused bid is valid and goes to the kernel
    }
  }

  /**
   * The kernel's head: how many entries it has consumed, mod 65536 (a partly consumed incremental buffer is not
   * counted until it is finished). One IORING_REGISTER_PBUF_STATUS call (Linux 6.8); not for the per-CQE path.
   */
  head(): number {
    if (this.closed) this.throwClosed("read the head");
    return bufRingHead(this.ring, this.bgid);
  }

  /**
   * How many entries the kernel can still pick: published tail minus {@link head}, from the kernel's head (one
   * system call). `entries - lent` tracks the same without a call, minus buffers whose CQEs are not taken yet.
   */
  available(): number {
    return (this.published - this.head()) & 0xffff;
  }

  /**
   * Counts one request in flight that may select buffers from this group (a recv or read with
   * IOSQE_BUFFER_SELECT), so that {@link close} refuses until its final CQE was handled and {@link release} ran.
   */
  acquire(): void {
    if (this.closed) this.throwClosed("acquire the buffer ring");
    this.userCount++;
  }

  /** Undoes one {@link acquire}: the request's final CQE arrived. */
  release(): void {
    if (this.userCount > 0) this.userCount--;
  }

  /**
   * Unregisters the group and frees the ring and the buffers. Refuses while {@link users} is not zero: a request
   * that already selected a buffer may still write into it after unregistering, and the kernel does not pin
   * provided buffers. The caller (the loop, a stream) must only close once no request using this group is in
   * flight. Buffers still lent are freed too: their views detach and read as empty. Also works after the ring was
   * closed (the kernel dropped the group with it). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    if (this.userCount > 0) {
      refuse("close a buffer ring", `${this.userCount} request(s) using buffer group ${this.bgid} may still be ` +
        "in flight: wait for their final CQEs and release() first");
    }
    if (this.heldTotal > 0) {
      refuse("close a buffer ring", `${this.heldTotal} request(s) in flight still use buffers of group ${this.bgid} ` +
        "in place (a send of a zero-copy view): wait for them to finish");
    }
    if (this.ring.isClosed) {
      releaseRegistrations(this.ring);
    } else {
      try {
        unregisterBufRing(this.ring, this.bgid);
      } catch (e) {
        // ENOENT: the group was unregistered behind our back; the kernel no longer holds the ring either way.
        if (!(e instanceof UringError && e.code === "ENOENT")) throw e;
      }
    }
    this.closed = true;
    // Streams waiting for buffers learn that none will come (they end): run them rather than drop them.
    const waiting = this.waiters;
    this.waiters = [];
    if (waiting.length > 0) queueMicrotask(() => waiting.forEach((f) => f()));
    if (!this.mmap) this.ringMemory.free(); // the mmap'ed ring was unmapped by the unregistration
    this.memory.unpin();
    this.memory.free();
  }

  // ---- internals --------------------------------------------------------------------------------------------

  /** Writes bid's entry at the tail slot (io_uring_buf_ring_add): addr, len, bid; never the u16 at byte 14. */
  private put(bid: number): void {
    const pos = this.tailPos;
    const slot = pos & this.mask;
    const w = slot * ENTRY_WORDS;
    const addr = this.memory.address + bid * this.bufferSize;
    const lo = addr >>> 0;
    this.u32[w + W_ADDR] = lo;
    this.u32[w + W_ADDR + 1] = (addr - lo) / TWO_32;
    this.u32[w + W_LEN] = this.bufferSize;
    this.u16[slot * ENTRY_WORDS * 2 + H_BID] = bid;
    this.slotBid[slot] = bid;
    this.slotPos[slot] = pos;
    this.posOf[bid] = pos;
    this.offsets[bid] = 0;
    this.tailPos = (pos + 1) >>> 0;
  }

  private lend(bid: number): void {
    this.state[bid] = LENT;
    this.lentCount++;
  }

  private checkBid(op: string, bid: number): void {
    if (!Number.isInteger(bid) || bid < 0 || bid >= this.entries) {
      refuse(op, `buffer group ${this.bgid} has buffer IDs 0 to ${this.entries - 1}, got ${bid}`);
    }
  }

  private checkTakable(bid: number): void {
    if (bid >= this.entries || this.state[bid] !== IN_RING) {
      refuse("take a buffer", bid >= this.entries
        ? `buffer group ${this.bgid} has buffer IDs 0 to ${this.entries - 1}, the CQE names ${bid}`
        : `buffer ${bid} of group ${this.bgid} is already lent: was this CQE taken twice, or from another group?`);
    }
  }

  private throwNotLent(bid: number): never {
    this.checkBid("recycle a buffer", bid);
    refuse("recycle a buffer", `buffer ${bid} of group ${this.bgid} is in the ring, not lent` +
      (this.incremental && this.offsets[bid]! > 0 ? " (the kernel is still filling it: IORING_CQE_F_BUF_MORE)" : "") +
      ": adding it twice would let the kernel hand it to two requests");
  }

  private throwOverrun(bid: number, offset: number, length: number): never {
    refuse("take a buffer", `${length} bytes at offset ${offset} overrun buffer ${bid} of group ${this.bgid} ` +
      `(${this.bufferSize} bytes)` + (this.incremental
        ? ": an incremental ring on a file the kernel cannot poll consumes the requested length, not the result"
        : ""));
  }

  private throwClosed(op: string): never {
    refuse(op, `buffer group ${this.bgid}'s ring is closed`);
  }
}
