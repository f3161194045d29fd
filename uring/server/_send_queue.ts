/**
 * A connection's outgoing bytes for the connection core (connection.ts): what its handler sends during a turn is
 * gathered and goes to the kernel as ONE request when the turn ends, while at most one request per connection is
 * in flight, so bytes never interleave and two requests never race for the socket's send buffer.
 *
 * A request is IORING_OP_SEND for one segment and IORING_OP_SENDMSG over an iovec array for several, both with
 * MSG_WAITALL: on a stream socket the kernel then keeps sending after a short write instead of completing with it
 * (io_send/io_sendmsg retry through io_net_retry in io_uring/net.c, Linux 5.19; older kernels ignore the flag and
 * this queue sends the rest itself). MSG_NOSIGNAL turns a broken connection into EPIPE instead of SIGPIPE.
 *
 * Segments are used in place or copied:
 * - a view of the server's provided buffers (a received chunk sent back) is used in place; its buffer's range is
 *   held (BufferRing.holdRange) so the ring does not hand it to the kernel to refill before the send completes.
 *   A request whose peer stops reading holds its buffers until the connection ends, so a request uses at most
 *   `ringHeldMax` of them in place and copies the rest;
 * - a view of other NativeMemory is used in place, pinned meanwhile (and its range held when a ring lends it);
 * - anything else (garbage-collected memory, which may move or be collected) is copied: into the batch's copy
 *   chunks from the loop's arena (one that grows to 1 MiB, then more of 1 MiB), or, for a write over 64 KiB, into
 *   memory of its own, freed after the send.
 * Nothing here is allocated per send in the steady state: the two batches (one filling, one in flight) keep their
 * arrays and their copy chunks.
 *
 * CQE_SKIP_SUCCESS is not used: the connection must learn that its request ended before it issues the next one
 * (a second send issued while the first waits for socket space could overtake it), and only the CQE tells.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { Chunk } from "../loop/_arena.ts";
import { Operation, OpState } from "../loop/operation.ts";
import { NativeMemory } from "../core/memory.ts";
import { refuse } from "../core/errors.ts";
import type { BufferRing } from "../buffers/buffer_ring.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepSend, prepSendmsg } from "../prep/net.ts";
import { MSG_NOSIGNAL, MSG_WAITALL } from "../abi/sockaddr.ts";
import { IOVEC_SIZE, MAX_RW_COUNT, MSGHDR, UIO_MAXIOV } from "../abi/structs.ts";
import { TWO_32 } from "../abi/_u64.ts";

const SEND_FLAGS = MSG_WAITALL | MSG_NOSIGNAL;
/** Copies up to this size go into the batch's arena chunk; larger writes get memory of their own. */
const COPY_MAX = 65536;
/** The arena's largest chunk: a batch's first copy chunk grows to it, then more of it are added. */
const CHUNK_MAX = 1 << 20;
/** A batch keeps its copy chunk for the next turn up to this size. */
const COPY_KEEP = 16384;
/** Where the iovecs start in the msghdr chunk (after the 56-byte struct msghdr). */
const IOV_AT = 64;

/** What a segment points at, and so what its end releases. */
const COPY = 0; // the batch's copy chunk: nothing
const HELD = 1; // a range of lent memory (a provided buffer): releaseRange, and unpin unless it is the server's ring
const PINNED = 2; // other native memory: unpin
const OWNED = 3; // memory allocated for this segment: free

/** The segments of one request, in parallel arrays kept from batch to batch. */
class Batch {
  readonly kind: number[] = [];
  readonly addr: number[] = [];
  readonly len: number[] = [];
  /** HELD: the range's offset in its memory. */
  readonly off: number[] = [];
  readonly mem: (NativeMemory | null)[] = [];
  /** Segments in the batch. */
  count = 0;
  /** The first segment not sent yet (a short send, or more segments than one request takes). */
  head = 0;
  /** Bytes not sent yet. */
  bytes = 0;
  /** Segments held in the server's buffer ring. */
  ringHeld = 0;
  /** The chunk copies go to now, and how much of it they use; the batch's first chunk moves as it grows. */
  copy: Chunk | null = null;
  copyUsed = 0;
  /** Full chunks of 1 MiB before `copy` (a turn that copied more than that), given back when the batch ends. */
  readonly full: Chunk[] = [];
}

/** What the queue tells its connection. */
export interface SendQueueOwner {
  /** The request's final CQE (called during the reap: record it, act after). */
  sendCompleted(res: number): void;
  /** The request never reached the kernel (the loop closed). */
  sendDropped(error: Error): void;
}

/**
 * One connection's send queue: {@link send} (in place) and {@link write} (copied) add segments to the batch being
 * filled, {@link flush} issues it when no request is in flight, {@link completed} handles the request's result.
 */
export class SendQueue {
  private readonly loop: Loop;
  private readonly fd: number;
  private readonly ring: BufferRing;
  private readonly ringBuffer: ArrayBufferLike;
  private readonly ringAddress: number;
  private filling = new Batch();
  private flying = new Batch();
  /** The struct msghdr and iovecs of a SENDMSG, kept while the queue lives. */
  private msg: Chunk | null = null;
  private msgWords: Uint32Array | null = null;
  /** The request; reused for every send of the connection. */
  readonly op: SendOp;
  /** Whether a request is in flight. */
  inFlight = false;
  /** Bytes handed to send() or write() so far, and bytes the kernel took so far. */
  queuedBytes = 0;
  sentBytes = 0;

  private readonly ringHeldMax: number;

  /**
   * @param ringHeldMax How many buffers of `ring` one request may use in place; more received chunks sent in one
   *   turn are copied.
   */
  constructor(loop: Loop, fd: number, ring: BufferRing, ringHeldMax: number, owner: SendQueueOwner) {
    this.loop = loop;
    this.fd = fd;
    this.ring = ring;
    this.ringHeldMax = ringHeldMax;
    this.ringBuffer = ring.memory.buffer;
    this.ringAddress = ring.memory.address;
    this.op = new SendOp(this, owner);
  }

  /** Whether bytes wait for the next request. */
  get hasPending(): boolean {
    return this.filling.count > 0;
  }

  /** Queues `bytes[start, end)` to be sent in place when it is native memory, copied otherwise. */
  send(bytes: ArrayBufferView, start: number, end: number): void {
    const len = end - start;
    if (len === 0) return;
    const at = bytes.byteOffset + start;
    if (bytes.buffer === this.ringBuffer) {
      // A request may wait for the peer for ever: it keeps only a few of the buffers all connections share, and
      // the rest of a turn's received chunks go out as copies.
      if (this.filling.ringHeld >= this.ringHeldMax) return this.write(bytes, start, end);
      // A received chunk sent back: the ring must not refill its buffer until the kernel has sent it.
      this.ring.holdRange(at, len);
      this.filling.ringHeld++;
      this.add(HELD, this.ringAddress + at, len, at, null);
      return;
    }
    const mem = NativeMemory.of(bytes);
    if (mem === undefined) return this.write(bytes, start, end);
    mem.pin();
    if (mem.holder !== null) {
      mem.holder.holdRange(at, len);
      this.add(HELD, mem.address + at, len, at, mem);
    } else {
      this.add(PINNED, mem.address + at, len, 0, mem);
    }
  }

  /** Queues a copy of `bytes[start, end)`, made now. */
  write(bytes: ArrayBufferView, start: number, end: number): void {
    const len = end - start;
    if (len === 0) return;
    const src = bytes instanceof Uint8Array && start === 0 && end === bytes.byteLength
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset + start, len);
    const b = this.filling;
    if (len <= COPY_MAX) {
      const c = this.copyRoom(b, len);
      const at = b.copyUsed;
      c.bytes.set(src, at);
      b.copyUsed = at + len;
      const last = b.count - 1;
      // Right after the previous copy: one segment.
      if (last >= b.head && b.kind[last] === COPY && b.addr[last]! + b.len[last]! === c.address + at) {
        b.len[last]! += len;
        b.bytes += len;
        this.queuedBytes += len;
        return;
      }
      this.add(COPY, c.address + at, len, 0, null);
      return;
    }
    const own = NativeMemory.allocate(len);
    own.bytes.set(src);
    this.add(OWNED, own.address, len, 0, own);
  }

  /**
   * Copies what the waiting batch holds of lent memory (received chunks about to be sent back) into its copy
   * chunk and releases those ranges: a connection that stopped receiving because its peer does not read keeps no
   * provided buffer but those of its request in flight.
   */
  relieve(): void {
    const b = this.filling;
    for (let i = b.head; i < b.count; i++) {
      if (b.kind[i] !== HELD || b.len[i]! > COPY_MAX) continue;
      const len = b.len[i]!;
      const mem = b.mem[i] ?? this.ring.memory;
      const c = this.copyRoom(b, len);
      const at = b.copyUsed;
      c.bytes.set(mem.bytes.subarray(b.off[i]!, b.off[i]! + len), at);
      b.copyUsed = at + len;
      this.release(b, i);
      if (mem === this.ring.memory) b.ringHeld--;
      b.kind[i] = COPY;
      b.addr[i] = c.address + at;
      b.mem[i] = null;
    }
  }

  /** Issues the waiting batch as one request, unless a request is in flight or nothing waits. */
  flush(): boolean {
    if (this.inFlight || this.filling.count === 0) return false;
    const b = this.filling;
    this.filling = this.flying;
    this.flying = b;
    this.submit();
    return true;
  }

  /**
   * The request's result: releases what the kernel has sent, and after a short send issues the rest of the batch
   * (returns 1: still in flight). Returns 0 once the batch is sent, -1 when it failed (an error, or a send that took
   * nothing): then the whole batch is released and the caller fails the connection.
   */
  completed(res: number): number {
    this.inFlight = false;
    const b = this.flying;
    if (res < 0) {
      this.releaseAll(b);
      return -1;
    }
    this.sentBytes += res;
    b.bytes -= res;
    let i = b.head;
    for (let left = res; left > 0 && i < b.count; i++) {
      const len = b.len[i]!;
      if (left < len) {
        // Sent in part: the rest of this segment starts the next request.
        b.addr[i]! += left;
        b.len[i] = len - left; // a held range stays held whole until the segment ends (see release)
        break;
      }
      left -= len;
      this.release(b, i);
    }
    b.head = i;
    if (b.head < b.count) {
      if (res === 0) {
        // The socket took nothing with bytes left: no progress is possible.
        this.releaseAll(b);
        return -1;
      }
      this.submit();
      return 1;
    }
    this.reset(b);
    return 0;
  }

  /** Releases everything of the waiting batch (a connection that fails drops what it had not sent). */
  dropPending(): void {
    this.releaseAll(this.filling);
  }

  /** Gives the arena chunks back. Only once no request is in flight and both batches are released. */
  free(): void {
    if (this.inFlight) refuse("free a send queue", "a send is in flight");
    this.releaseAll(this.filling);
    this.releaseAll(this.flying); // the rest of a batch whose next request could not be submitted
    for (const b of [this.filling, this.flying]) {
      if (b.copy !== null) this.loop.arena.free(b.copy);
      b.copy = null;
      this.freeFull(b);
    }
    if (this.msg !== null) this.loop.arena.free(this.msg);
    this.msg = null;
    this.msgWords = null;
  }

  /** @internal Writes the request's SQE for the segments of the batch in flight not sent yet. */
  prep(sqe: Sqe): void {
    const b = this.flying;
    const n = Math.min(b.count - b.head, UIO_MAXIOV);
    if (n === 1) {
      const len = b.len[b.head]!;
      // The most one send moves: a longer segment goes on in the next request, as after a short send.
      prepSend(sqe, this.fd, b.addr[b.head]!, len < MAX_RW_COUNT ? len : MAX_RW_COUNT, SEND_FLAGS);
      return;
    }
    const size = IOV_AT + n * IOVEC_SIZE;
    let m = this.msg;
    let w = this.msgWords!;
    if (m === null || m.bytes.byteLength < size) {
      if (m !== null) this.loop.arena.free(m); // no request is in flight: nobody reads it
      m = this.msg = this.loop.arena.alloc(Math.max(size, IOV_AT + 8 * IOVEC_SIZE));
      w = this.msgWords = new Uint32Array(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength >> 2);
    }
    // struct msghdr: no name, no control, flags 0; msg_iov and msg_iovlen.
    w.fill(0, 0, IOV_AT >> 2);
    const iov = m.address + IOV_AT;
    w[MSGHDR.iov >> 2] = iov >>> 0;
    w[(MSGHDR.iov >> 2) + 1] = Math.floor(iov / TWO_32);
    w[MSGHDR.iovlen >> 2] = n;
    for (let k = 0, i = b.head; k < n; k++, i++) {
      const a = b.addr[i]!;
      const x = (IOV_AT >> 2) + k * (IOVEC_SIZE >> 2);
      w[x] = a >>> 0;
      w[x + 1] = Math.floor(a / TWO_32);
      const len = b.len[i]!;
      w[x + 2] = len >>> 0;
      w[x + 3] = Math.floor(len / TWO_32);
    }
    prepSendmsg(sqe, this.fd, m.address, SEND_FLAGS);
  }

  private submit(): void {
    const op = this.op;
    op.reset();
    this.inFlight = true;
    try {
      this.loop.submit(op);
    } catch (e) {
      this.inFlight = false;
      throw e;
    }
  }

  private add(kind: number, addr: number, len: number, off: number, mem: NativeMemory | null): void {
    const b = this.filling;
    const i = b.count++;
    b.kind[i] = kind;
    b.addr[i] = addr;
    b.len[i] = len;
    b.off[i] = off;
    b.mem[i] = mem;
    b.bytes += len;
    this.queuedBytes += len;
  }

  /**
   * A copy chunk with room for `len` more bytes (at most COPY_MAX) after `b.copyUsed`: the current one, the first
   * one grown (moving the bytes copied so far), or, once it has reached CHUNK_MAX, a new one.
   */
  private copyRoom(b: Batch, len: number): Chunk {
    const c = b.copy;
    const need = b.copyUsed + len;
    if (c !== null && need <= c.bytes.byteLength) return c;
    if (c !== null && (b.full.length > 0 || c.bytes.byteLength >= CHUNK_MAX)) {
      // Full: keep it (segments point into it) and go on in a fresh one.
      b.full.push(c);
      b.copy = this.loop.arena.alloc(CHUNK_MAX, false);
      b.copyUsed = 0;
      return b.copy;
    }
    // The batch is not in flight (filling, or relieved before its request), so its chunk can move.
    const size = Math.min(CHUNK_MAX, Math.max(need, c === null ? 1024 : c.bytes.byteLength * 2));
    const bigger = this.loop.arena.alloc(size, false);
    if (c !== null) {
      bigger.bytes.set(c.bytes.subarray(0, b.copyUsed));
      const delta = bigger.address - c.address;
      for (let i = b.head; i < b.count; i++) if (b.kind[i] === COPY) b.addr[i]! += delta;
      this.loop.arena.free(c);
    }
    b.copy = bigger;
    return bigger;
  }

  private release(b: Batch, i: number): void {
    const kind = b.kind[i];
    const mem = b.mem[i]!;
    if (kind === HELD) {
      // A partly sent segment's address moved but its held range did not: release the range as held.
      const held = mem ?? this.ring.memory;
      held.holder?.releaseRange(b.off[i]!, b.len[i]! + (b.addr[i]! - (held.address + b.off[i]!)));
      if (mem !== null) mem.unpin();
    } else if (kind === PINNED) {
      mem.unpin();
    } else if (kind === OWNED) {
      mem.free();
    }
    b.mem[i] = null;
  }

  /** Gives the batch's full copy chunks back; its current one stays for the next batch. */
  private freeFull(b: Batch): void {
    for (const c of b.full) this.loop.arena.free(c);
    b.full.length = 0;
  }

  private releaseAll(b: Batch): void {
    for (let i = b.head; i < b.count; i++) this.release(b, i);
    this.reset(b);
  }

  private reset(b: Batch): void {
    if (b.full.length > 0) this.freeFull(b);
    if (b.copy !== null && b.copy.bytes.byteLength > COPY_KEEP) {
      // A big turn's copy chunk goes back to the arena (for any connection) rather than stay with this one.
      this.loop.arena.free(b.copy);
      b.copy = null;
    }
    b.ringHeld = 0;
    b.count = 0;
    b.head = 0;
    b.bytes = 0;
    b.copyUsed = 0;
  }
}

/** The connection's send request, reused for each batch. */
export class SendOp extends Operation {
  private readonly queue: SendQueue;
  private readonly owner: SendQueueOwner;

  constructor(queue: SendQueue, owner: SendQueueOwner) {
    super();
    this.wakesContinuations = false; // its completion reaches code through runAfterReap only
    this.queue = queue;
    this.owner = owner;
  }

  /** @internal Makes the finished request submittable again. */
  reset(): void {
    this.state = OpState.Idle;
    this.cancelRequested = false;
  }

  prep(sqe: Sqe): void {
    this.queue.prep(sqe);
  }

  complete(res: number, _flags: number, more: boolean): void {
    if (!more) this.owner.sendCompleted(res);
  }

  drop(error: Error): void {
    this.owner.sendDropped(error);
  }
}
