/**
 * The core layer: the one error class every failure is thrown as, and native memory with stable addresses for
 * whatever the kernel reads or writes after a call returns.
 *
 * @example
 * ```ts
 * import { NativeMemory, UringError } from "ringside-uring/core";
 *
 * const mem = NativeMemory.allocate(4096);
 * try {
 *   mem.pin(); // registered with a ring, say
 *   mem.free();
 * } catch (e) {
 *   if (e instanceof UringError) console.log(e.code); // "ERINGSIDE": still pinned
 * }
 * mem.unpin();
 * mem.free();
 * ```
 *
 * @module
 */
export { UringError } from "./errors.ts";
export { NativeMemory, pageAlign, pageSize, type RangeHolder } from "./memory.ts";
export { loadAcquire16, loadAcquire32, storeRelease16, storeRelease32 } from "./barrier.ts";
export { FfiPermissionError, LiburingNotFoundError } from "../../ffi/mod.ts";
