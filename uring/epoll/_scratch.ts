/**
 * Native memory the epoll backend builds system-call arguments in: a small area for calls made at once on the
 * JavaScript thread (a msghdr around a request's iovec, a sockaddr, an iovec for one buffer), and 64-byte chunks a
 * request keeps while a pool thread works for it (the iovec of a read, splice's offsets). Plus reading native
 * memory an SQE points at (a timespec, a msghdr) into a reusable view, with one memcpy and no allocation.
 *
 * @module
 */
import { syscalls } from "../../ffi/syscalls.ts";
import { NativeMemory } from "../core/memory.ts";

/** Bytes per chunk a request can hold. */
export const CHUNK = 64;
const CHUNKS_PER_BLOCK = 1024;

/** Scratch memory of one epoll ring. */
export class Scratch {
  /** For calls made at once: valid until the next call that uses it. */
  readonly now: NativeMemory = NativeMemory.allocate(4096);
  /** A view of {@link now}. */
  readonly nowView: DataView = new DataView(this.now.buffer);
  /** What {@link peek} copied. */
  readonly peeked: DataView;
  private readonly peekBytes = new Uint8Array(256);
  private readonly blocks: NativeMemory[] = [];
  private readonly free: number[] = [];
  private used = 0;

  constructor() {
    this.peeked = new DataView(this.peekBytes.buffer);
  }

  /** Copies `n` (at most 256) bytes at `address` into {@link peeked}. */
  peek(address: number, n: number): DataView {
    syscalls().memcpy(this.peekBytes, address, n);
    return this.peeked;
  }

  /** A 64-byte chunk, as an index for {@link address} and {@link release}. */
  take(): number {
    if (this.free.length === 0) {
      const b = this.blocks.length;
      this.blocks.push(NativeMemory.allocate(CHUNK * CHUNKS_PER_BLOCK));
      for (let i = CHUNKS_PER_BLOCK - 1; i >= 0; i--) this.free.push(b * CHUNKS_PER_BLOCK + i);
    }
    this.used++;
    return this.free.pop()!;
  }

  /** The address of chunk `i`. */
  address(i: number): number {
    return this.blocks[Math.floor(i / CHUNKS_PER_BLOCK)]!.address + (i % CHUNKS_PER_BLOCK) * CHUNK;
  }

  /** A view of chunk `i`. */
  view(i: number): DataView {
    const m = this.blocks[Math.floor(i / CHUNKS_PER_BLOCK)]!;
    return new DataView(m.buffer, (i % CHUNKS_PER_BLOCK) * CHUNK, CHUNK);
  }

  /** Gives chunk `i` back. */
  release(i: number): void {
    this.used--;
    this.free.push(i);
  }

  /** Frees the memory, unless a chunk is still held (a pool thread may still use it: then it is kept for good). */
  close(): void {
    this.now.free();
    if (this.used > 0) return;
    for (const b of this.blocks) b.free();
  }
}
