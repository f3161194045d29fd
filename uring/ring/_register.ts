/**
 * What every typed `io_uring_register(2)` wrapper of this folder shares: the per-ring record of the memory the
 * kernel holds (registered buffers and buffer rings, pinned while registered), the refusal of a closed ring, native
 * scratch memory for arguments that point at further arrays, and the tag checks. Internal to the ring layer.
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import { NativeMemory, pageAlign } from "../core/memory.ts";
import { checkU64 } from "../core/_validate.ts";
import type { Ring } from "./ring.ts";

// ---- Per-ring bookkeeping of the memory the kernel holds --------------------------------------------------------

/** A provided-buffer ring as registered through `registerBufRing`. */
export interface BufRingRegistration {
  /** The buffer group ID (sqe->buf_group with IOSQE_BUFFER_SELECT). */
  readonly bgid: number;
  /** Entries in the ring (a power of two). */
  readonly entries: number;
  /** The `IOU_PBUF_RING_*` flags it was registered with. */
  readonly flags: number;
  /**
   * The ring's memory: `entries` 16-byte `struct io_uring_buf` entries, the u16 tail at byte 14. The caller's
   * memory, or with IOU_PBUF_RING_MMAP the kernel's ring mapped by ringside (freed on unregister).
   */
  readonly memory: NativeMemory;
}

/** A buffer ring as the record keeps it. */
export interface BufRingState extends BufRingRegistration {
  /** Whether ringside mapped the memory (IOU_PBUF_RING_MMAP) and so frees it on unregister. */
  readonly owned: boolean;
}

/** What ringside holds registered with one ring. */
export interface RingState {
  /** The registered buffer table as ringside knows it: the memory behind each slot, null for an empty slot. */
  buffers: (NativeMemory | null)[];
  /** Provided-buffer rings by bgid. */
  bufRings: Map<number, BufRingState>;
}

/** The record of each ring that has registered memory. */
export const states: WeakMap<Ring, RingState> = new WeakMap();

/** The record of `ring`, made (and its release at close arranged) on first use. */
export function stateOf(ring: Ring): RingState {
  let s = states.get(ring);
  if (!s) {
    states.set(ring, s = { buffers: [], bufRings: new Map() });
    ring.onClose(() => dropPins(ring));
  }
  return s;
}

/**
 * Forgets `ring`'s record and releases the pins it holds: each registered {@link NativeMemory} can then be freed,
 * and buffer rings that ringside mapped (IOU_PBUF_RING_MMAP) are unmapped. Only for a closed ring.
 */
export function dropPins(ring: Ring): void {
  const s = states.get(ring);
  if (!s) return;
  states.delete(ring);
  for (const m of s.buffers) m?.unpin();
  for (const br of s.bufRings.values()) {
    br.memory.unpin();
    if (br.owned) br.memory.free();
  }
}

/**
 * Refuses a closed ring, releasing first the pins of what was registered with it (closing the ring made the
 * kernel drop those registrations).
 */
export function live(ring: Ring, op: string): void {
  if (!ring.isClosed) return;
  dropPins(ring);
  refuse(op, "the ring is closed");
}

/**
 * Records that buffer slots `offset .. offset + n - 1` now hold `mems` (already pinned by the caller), unpinning what
 * they held before.
 */
export function setSlots(s: RingState, offset: number, mems: readonly (NativeMemory | null)[], n: number): void {
  while (s.buffers.length < offset + n) s.buffers.push(null);
  for (let i = 0; i < n; i++) {
    s.buffers[offset + i]?.unpin();
    s.buffers[offset + i] = mems[i] ?? null;
  }
}

// ---- Native scratch for the arrays a register argument points at ------------------------------------------------

let scratch: NativeMemory | undefined;
const SCRATCH_KEEP = 64 * 1024;

/**
 * Runs `fill` over `bytes` zeroed bytes of native memory, for an argument whose fields point at further arrays
 * (the kernel reads them during the call only; native memory keeps their addresses valid for the whole call on
 * both runtimes). One small scratch mapping is reused; larger ones are made and freed per call.
 */
export function withScratch<T>(bytes: number, fill: (mem: NativeMemory, view: DataView) => T): T {
  let mem = scratch;
  if (!mem || mem.byteLength < bytes) {
    mem = NativeMemory.allocate(pageAlign(Math.max(bytes, 1)));
    if (mem.byteLength <= SCRATCH_KEEP) {
      scratch?.free();
      scratch = mem;
    }
  }
  mem.bytes.fill(0, 0, bytes);
  try {
    return fill(mem, new DataView(mem.buffer));
  } finally {
    if (mem !== scratch) mem.free();
  }
}

/** Rounds a scratch layout offset up to the 8-byte alignment of the u64 arrays placed there. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

// ---- Tags -------------------------------------------------------------------------------------------------------

/** Whether a tag is 0: no CQE when its resource leaves the table. */
export function isZero(v: number | bigint): boolean {
  return typeof v === "bigint" ? v === 0n : v === 0;
}

/** Accepts one u64 tag per resource (`n` of them). */
export function checkTags(op: string, tags: readonly (number | bigint)[], n: number): void {
  if (!Array.isArray(tags) || tags.length !== n) {
    refuse(op, `tags must be an array of the same length as the resources (${n}), got ${tags?.length}`);
  }
  for (let i = 0; i < n; i++) checkU64(op, tags[i], `tags[${i}]`);
}
