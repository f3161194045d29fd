/**
 * Native memory: anonymous, page-aligned mappings with addresses that never move, for everything the kernel
 * reads or writes after a call returns (rings given with IORING_SETUP_NO_MMAP, registered and provided buffers,
 * structs an in-flight operation points at).
 *
 * Garbage-collected ArrayBuffers cannot serve there: the engine may free them once unreferenced while the kernel
 * still writes. A mapping lives until `free()`; there is deliberately no finalizer, because memory the kernel may
 * still use must leak rather than be returned. While a mapping is pinned (registered with a ring, say), `free()`
 * refuses.
 *
 * @module
 */
import { backend, libc } from "../../ffi/mod.ts";
import { refuse, UringError } from "./errors.ts";

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_POPULATE = 0x8000;
const _SC_PAGESIZE = 30;

let pageSizeCache = 0;

// Which ArrayBuffers are views of native memory, so an operation given a TypedArray can tell whether the kernel
// may use its bytes in place (native, stable, pinnable) or must go through a bounce buffer.
const owners = new WeakMap<ArrayBuffer, NativeMemory>();

/** The system page size in bytes. */
export function pageSize(): number {
  return pageSizeCache ||= libc().sysconf(_SC_PAGESIZE);
}

/** Rounds `n` up to a multiple of the page size. */
export function pageAlign(n: number): number {
  const p = pageSize();
  return Math.ceil(n / p) * p;
}

/**
 * A layer that lends parts of a {@link NativeMemory} out (a provided-buffer ring's buffers) and must know while a
 * request reads or writes one in place, so it does not hand that part to the kernel again meanwhile. An
 * operation given a view of such memory calls `holdRange` for the view's bytes and `releaseRange` once its request
 * has finished.
 */
export interface RangeHolder {
  /** A request starts using bytes `[offset, offset + length)` of the memory. */
  holdRange(offset: number, length: number): void;
  /** That request has finished with them. */
  releaseRange(offset: number, length: number): void;
}

/**
 * A region of native memory with a stable address.
 *
 * @example
 * ```ts
 * const mem = NativeMemory.allocate(4096);
 * mem.bytes.set([1, 2, 3]);
 * console.log(mem.address.toString(16), mem.bytes[2]);
 * mem.free();
 * ```
 */
export class NativeMemory {
  /** The address of the first byte. */
  readonly address: number;
  /** The usable length in bytes (the mapping itself is rounded up to whole pages). */
  readonly byteLength: number;
  /** A view of all `byteLength` bytes. Detached (length 0) once freed. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The ArrayBuffer over the memory, for further views. Detached once freed. */
  readonly buffer: ArrayBuffer;
  /** Who lends parts of this memory out and must know while a request uses one in place, or null. */
  holder: RangeHolder | null = null;
  private readonly mappedLength: number;
  private pins = 0;
  private freed = false;

  private constructor(address: number, byteLength: number, mappedLength: number) {
    this.address = address;
    this.byteLength = byteLength;
    this.mappedLength = mappedLength;
    this.buffer = backend.viewAt(address, byteLength);
    this.bytes = new Uint8Array(this.buffer);
    owners.set(this.buffer, this);
  }

  /**
   * The native memory a view lies in, or undefined for garbage-collected memory (and for freed native memory,
   * whose views are detached).
   */
  static of(view: ArrayBufferView): NativeMemory | undefined {
    const mem = owners.get(view.buffer as ArrayBuffer);
    return mem && !mem.freed ? mem : undefined;
  }

  /**
   * Maps `byteLength` bytes of zeroed anonymous memory, page-aligned. Throws a {@link UringError} (ENOMEM, say)
   * when the kernel refuses.
   */
  static allocate(byteLength: number, options: { populate?: boolean } = {}): NativeMemory {
    if (!Number.isSafeInteger(byteLength) || byteLength <= 0) {
      refuse("allocate native memory", `the length must be a positive integer, got ${byteLength}`);
    }
    const mapped = pageAlign(byteLength);
    const flags = MAP_PRIVATE | MAP_ANONYMOUS | (options.populate ? MAP_POPULATE : 0);
    return NativeMemory.map(mapped, PROT_READ | PROT_WRITE, flags, -1, 0, byteLength, "allocate native memory");
  }

  /**
   * Maps `byteLength` bytes of the file `fd` at `offset`, shared and read-write: how the kernel's rings and
   * provided-buffer rings are mapped.
   */
  static mapShared(fd: number, offset: number, byteLength: number, operation = "mmap"): NativeMemory {
    return NativeMemory.map(pageAlign(byteLength), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset,
      byteLength, operation);
  }

  private static map(
    mapped: number, prot: number, flags: number, fd: number, offset: number, byteLength: number, operation: string,
  ): NativeMemory {
    const c = libc();
    const addr = c.mmap(0, mapped, prot, flags, fd, offset);
    if (addr === -1 || addr === 0) throw new UringError(operation, c.errno(), `${mapped} bytes`);
    try {
      return new NativeMemory(addr, byteLength, mapped);
    } catch (e) {
      // The runtime could not make a view of it (Bun refuses an ArrayBuffer of 4 GiB or more): give it back.
      c.munmap(addr, mapped);
      throw e;
    }
  }

  /** Whether `free()` has run. */
  get isFreed(): boolean {
    return this.freed;
  }

  /** Whether the kernel may hold this memory (registered buffers, provided rings): `free()` refuses while pinned. */
  get isPinned(): boolean {
    return this.pins > 0;
  }

  /** Marks the memory as held by the kernel; each `pin()` needs one `unpin()` before `free()` is allowed. */
  pin(): void {
    if (this.freed) throw new UringError("pin native memory", 0, "it was already freed");
    this.pins++;
  }

  /** Releases one `pin()`. */
  unpin(): void {
    if (this.pins > 0) this.pins--;
  }

  /**
   * Unmaps the memory after detaching every view of it, so a stale TypedArray reads as empty instead of touching
   * unmapped or reused memory. Idempotent. Throws while pinned.
   */
  free(): void {
    if (this.freed) return;
    if (this.pins > 0) {
      throw new UringError("free native memory", 0, `the kernel may still use it (${this.pins} pin(s) outstanding)`);
    }
    this.freed = true;
    detach(this.buffer);
    libc().munmap(this.address, this.mappedLength);
  }
}

/**
 * Detaches an ArrayBuffer over native memory: every TypedArray over it becomes length 0, so a later access cannot
 * reach memory that is about to be unmapped. `transfer(0)` moves no bytes.
 */
export function detach(buffer: ArrayBuffer): void {
  if (!buffer.detached) buffer.transfer(0);
}
