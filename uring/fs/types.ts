/**
 * The types the file operations share: how a path, a buffer and the options of a call on a descriptor are given.
 *
 * @example
 * ```ts
 * import type { BufferLike, FdOptions, PathLike } from "ringside-uring/fs";
 * const path: PathLike = "/tmp/data.bin";
 * const buf: BufferLike = new Uint8Array(4096);
 * const options: FdOptions = { fixed: false, timeoutMs: 1000 };
 * console.log(path, buf.byteLength, options);
 * ```
 *
 * @module
 */
import type { OpOptions } from "../loop/operation.ts";

/** Options of operations on a file descriptor. */
export interface FdOptions extends OpOptions {
  /** The descriptor is a direct descriptor: a slot of the ring's registered file table (IOSQE_FIXED_FILE). */
  fixed?: boolean | undefined;
}

/** A path: a string (UTF-8 encoded) or raw bytes, without NUL. */
export type PathLike = string | Uint8Array;

/** Memory the kernel reads or writes: any TypedArray or DataView, garbage-collected or over `NativeMemory`. */
export type BufferLike = ArrayBufferView;
