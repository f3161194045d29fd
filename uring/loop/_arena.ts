/**
 * Small native allocations for what an in-flight operation points the kernel at: timespecs, sockaddrs, paths,
 * msghdrs, statx results. Mapping a page per operation would cost a system call each; the arena carves size
 * classes out of large {@link NativeMemory} slabs and recycles chunks through free lists, so the steady state
 * makes no system call and no allocation.
 *
 * A chunk is released by its operation only after the operation's last CQE: until then the kernel may read or
 * write it.
 *
 * @module
 */
import { NativeMemory } from "../core/memory.ts";
import { refuse } from "../core/errors.ts";

/**
 * The chunk sizes an arena serves; a request takes the smallest that fits. Small classes hold structs and paths
 * (PATH_MAX is 4096); large ones are bounce buffers for I/O on garbage-collected TypedArrays.
 */
export const ARENA_CLASSES = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576] as const;
const SLAB_BYTES = 64 * 1024;

/**
 * One chunk of arena memory. `bytes` covers exactly the chunk; `address` is where the kernel sees it.
 */
export class Chunk {
  /** The address of the chunk's first byte. */
  readonly address: number;
  /** A view of the chunk's bytes. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** A DataView over the chunk, for structs. */
  readonly view: DataView<ArrayBuffer>;
  /** @internal The size class index. */
  readonly cls: number;
  /** @internal Whether the chunk is handed out. */
  inUse = false;

  /** @internal Made by the arena. */
  constructor(memory: NativeMemory, offset: number, size: number, cls: number) {
    this.address = memory.address + offset;
    this.bytes = new Uint8Array(memory.buffer, offset, size);
    this.view = new DataView(memory.buffer, offset, size);
    this.cls = cls;
  }
}

/**
 * A size-classed allocator of native chunks.
 *
 * @example
 * ```ts
 * const arena = new NativeArena();
 * const ts = arena.alloc(16);
 * ts.view.setBigInt64(0, 1n, true); // one second
 * // ... hand ts.address to the kernel; after the CQE:
 * arena.free(ts);
 * ```
 */
export class NativeArena {
  private readonly free_: Chunk[][] = ARENA_CLASSES.map(() => []);
  private readonly slabs: NativeMemory[] = [];
  private closed = false;

  /**
   * Hands out a chunk of at least `size` bytes (at most 1 MiB), its first `size` bytes zeroed: structs built in it
   * (msghdrs, iovec arrays) must never carry a previous occupant's pointers or lengths into the kernel. A bounce
   * buffer that is overwritten before the kernel reads it, or copied back only as far as the kernel wrote, may
   * skip that with `zero` false.
   */
  alloc(size: number, zero = true): Chunk {
    if (this.closed) refuse("allocate arena memory", "the arena is closed");
    let cls = 0;
    while (cls < ARENA_CLASSES.length && ARENA_CLASSES[cls]! < size) cls++;
    if (cls === ARENA_CLASSES.length) {
      refuse("allocate arena memory", `${size} bytes is more than the largest chunk (${ARENA_CLASSES.at(-1)})`);
    }
    const list = this.free_[cls]!; // one free list per class, and cls is a class (checked above)
    let chunk = list.pop();
    if (!chunk) {
      this.grow(cls);
      chunk = list.pop()!;
    }
    if (zero) chunk.bytes.fill(0, 0, size);
    chunk.inUse = true;
    return chunk;
  }

  /** Returns a chunk for reuse. Only call once the kernel is done with it. Double frees are ignored. */
  free(chunk: Chunk): void {
    if (!chunk.inUse) return;
    chunk.inUse = false;
    if (!this.closed) this.free_[chunk.cls]!.push(chunk); // chunk.cls is the class the arena made it for
  }

  /**
   * Unmaps every slab. Only for when no operation can still use a chunk (the loop calls it after every
   * operation has completed); a slab that is unsafe to unmap should be leaked instead, by not calling this.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slabs) s.free();
    this.slabs.length = 0;
    for (const l of this.free_) l.length = 0;
  }

  private grow(cls: number): void {
    const size = ARENA_CLASSES[cls]!; // cls is a class index: alloc checked it
    // Small classes come sixteen or more to a 64 KiB slab; from 16 KiB up, a few (or one) per slab.
    const slab = NativeMemory.allocate(size >= 16384 ? Math.max(size, SLAB_BYTES) : Math.max(SLAB_BYTES, size * 16));
    this.slabs.push(slab);
    const list = this.free_[cls]!;
    for (let off = slab.byteLength - size; off >= 0; off -= size) list.push(new Chunk(slab, off, size, cls));
  }
}
