/**
 * Ordered access to the ring words the kernel shares with us (SQ tail, CQ head and tail, flags, buffer-ring tail):
 * a load that acquires and a store that releases, as liburing's `io_uring_smp_load_acquire` and
 * `io_uring_smp_store_release`.
 *
 * Why not always `Atomics.load`/`Atomics.store`: the ring memory is a plain (not shared) ArrayBuffer made by the
 * runtime over mmap'd memory, and V8 does not inline Atomics on such buffers: each costs a call into the runtime,
 * ~13 ns in Deno (measured, against 0.6 ns for a plain access), several times per batch on the hottest path. JSC
 * emits a locked instruction, ~3 ns.
 *
 * On x86-64 the hardware keeps loads in order with loads and stores in order with earlier loads and stores (TSO),
 * so a plain load already acquires and a plain store already releases, exactly as liburing's x86 barriers are only
 * compiler barriers. The compiler side holds too: V8 and JSC keep typed-array loads and stores in program order
 * with one another (they are effects on one chain, never moved across each other or across a call), and every
 * read of a kernel-written word here is a fresh load in a function entered anew (no loop spins on it). On any
 * other architecture (arm64 reorders loads and stores freely) the Atomics versions are used.
 *
 * @module
 */
import process from "node:process";

/** Whether plain accesses are ordered enough: x86-64's total store order. */
const TSO = process.arch === "x64";

/** Load-acquire of a 32-bit ring word. */
export const loadAcquire32: (view: Uint32Array, index: number) => number = TSO
  ? (view, index) => view[index]
  : (view, index) => Atomics.load(view, index);

/** Store-release of a 32-bit ring word. */
export const storeRelease32: (view: Uint32Array, index: number, value: number) => void = TSO
  ? (view, index, value) => {
    view[index] = value;
  }
  : (view, index, value) => {
    Atomics.store(view, index, value);
  };

/** Load-acquire of a 16-bit ring word (a provided-buffer ring's tail). */
export const loadAcquire16: (view: Uint16Array, index: number) => number = TSO
  ? (view, index) => view[index]
  : (view, index) => Atomics.load(view, index);

/** Store-release of a 16-bit ring word (a provided-buffer ring's tail). */
export const storeRelease16: (view: Uint16Array, index: number, value: number) => void = TSO
  ? (view, index, value) => {
    view[index] = value;
  }
  : (view, index, value) => {
    Atomics.store(view, index, value);
  };
