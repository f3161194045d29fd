/**
 * What ringside holds registered with a ring: the memory behind each registered buffer and each provided-buffer
 * ring, pinned (its `free()` refuses) while the kernel may use it, and the release of those pins once the ring is
 * closed.
 *
 * @example
 * ```ts
 * import { Ring, registerBuffers } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 *
 * const ring = new Ring(8);
 * const mem = NativeMemory.allocate(4096);
 * registerBuffers(ring, [mem]);
 * console.log(registrations(ring).buffers[0] === mem); // true
 * ring.close();
 * releaseRegistrations(ring);
 * mem.free();
 * ```
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import type { NativeMemory } from "../core/memory.ts";
import { type BufRingRegistration, dropPins, states } from "./_register.ts";
import type { Ring } from "./ring.ts";

/**
 * Releases the pins ringside holds for buffers and buffer rings registered with `ring`, after the ring was closed:
 * each registered {@link NativeMemory} can then be freed, and buffer rings that ringside mapped
 * (IOU_PBUF_RING_MMAP) are unmapped. Idempotent. Refuses while the ring is open: unregister instead, since the
 * kernel still uses that memory.
 *
 * Closing the ring's fd is what makes the kernel drop its registrations (its teardown may finish a little later,
 * but it holds its own references to the pages meanwhile, so unmapping now cannot corrupt memory). `ring.close()`
 * runs this itself; every register function given a closed ring also runs it before refusing. (A ring's registered
 * fd holds a reference of its own: `close()` unregisters it first, so that reference is gone too.)
 *
 * @param ring A closed ring.
 */
export function releaseRegistrations(ring: Ring): void {
  if (!ring.isClosed) {
    refuse("release registrations", "the ring is open: unregister the buffers and buffer rings instead");
  }
  dropPins(ring);
}

/**
 * What ringside holds registered with `ring`: the memory behind each registered-buffer slot (null for an empty
 * slot, or one registered behind ringside's back with `Ring.register`) and the provided-buffer rings by bgid.
 * Empty once the ring is closed (the pins are released then).
 *
 * @param ring The ring.
 * @returns A snapshot: later registrations do not change it.
 */
export function registrations(ring: Ring): {
  buffers: readonly (NativeMemory | null)[];
  bufRings: ReadonlyMap<number, BufRingRegistration>;
} {
  if (ring.isClosed) dropPins(ring);
  const s = states.get(ring);
  return { buffers: s ? [...s.buffers] : [], bufRings: new Map(s?.bufRings ?? []) };
}
