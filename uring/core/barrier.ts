/**
 * Ordered access to the ring words the kernel shares with us (SQ tail, CQ head and tail, flags, buffer-ring tail):
 * a load that acquires and a store that releases, as liburing's `io_uring_smp_load_acquire` and
 * `io_uring_smp_store_release`.
 *
 * Why not always `Atomics.load`/`Atomics.store`: the ring memory is a plain (not shared) ArrayBuffer made by the
 * runtime over mmap'd memory, and V8 does not inline Atomics on such buffers: each costs a call into the runtime,
 * ~13 ns in Deno (measured, against 0.6 ns for a plain access), several times per batch on the hottest path.
 *
 * On x86-64 the hardware keeps loads in order with loads and stores in order with earlier loads and stores (TSO),
 * so a plain load already acquires and a plain store already releases, exactly as liburing's x86 barriers are only
 * compiler barriers. What remains is the compiler, which the runtime's backend vouches for
 * (`backend.plainRingOrder`): V8 keeps typed-array loads and stores in order and never hoists a typed-array load
 * out of a loop, so even a loop polling `cqReady()` sees the kernel's stores. JavaScriptCore may hoist such a load
 * (its Atomics cost ~3 ns, so Bun keeps them), and other CPUs reorder freely: Atomics there.
 *
 * @module
 */
import { backend } from "../../ffi/mod.ts";

/** Whether plain accesses are ordered enough here (x86-64 and a JIT that keeps them in place). */
const TSO = backend.plainRingOrder;

/**
 * Load-acquire of a 32-bit ring word.
 *
 * @example
 * ```ts
 * const tail = loadAcquire32(new Uint32Array(4), 1);
 * ```
 */
export const loadAcquire32: (view: Uint32Array, index: number) => number = TSO
  ? (view, index) => view[index]!
  : (view, index) => Atomics.load(view, index);

/**
 * Store-release of a 32-bit ring word.
 *
 * @example
 * ```ts
 * storeRelease32(new Uint32Array(4), 0, 8); // publish the SQ tail after writing SQEs
 * ```
 */
export const storeRelease32: (view: Uint32Array, index: number, value: number) => void = TSO
  ? (view, index, value) => {
    view[index] = value;
  }
  : (view, index, value) => {
    Atomics.store(view, index, value);
  };

/**
 * Load-acquire of a 16-bit ring word (a provided-buffer ring's tail).
 *
 * @example
 * ```ts
 * const tail = loadAcquire16(new Uint16Array(8), 7); // a buffer ring's tail sits at byte 14
 * ```
 */
export const loadAcquire16: (view: Uint16Array, index: number) => number = TSO
  ? (view, index) => view[index]!
  : (view, index) => Atomics.load(view, index);

/**
 * Store-release of a 16-bit ring word (a provided-buffer ring's tail).
 *
 * @example
 * ```ts
 * storeRelease16(new Uint16Array(8), 7, 1); // publish one buffer-ring entry
 * ```
 */
export const storeRelease16: (view: Uint16Array, index: number, value: number) => void = TSO
  ? (view, index, value) => {
    view[index] = value;
  }
  : (view, index, value) => {
    Atomics.store(view, index, value);
  };
