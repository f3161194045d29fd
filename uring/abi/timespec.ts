/**
 * `struct __kernel_timespec` (two little-endian 64-bit fields, tv_sec and tv_nsec) written from numbers: no BigInt,
 * since several writers sit on per-operation paths (a linked timeout per request, a tick stream per arm), and the
 * clocks a timeout can run on.
 *
 * @example
 * ```ts
 * import { writeTimespecNs } from "ringside-uring/abi";
 * const ts = new DataView(new ArrayBuffer(16));
 * writeTimespecNs(ts, 0, 1_500_000_000); // { tv_sec: 1, tv_nsec: 500000000 }
 * ```
 *
 * @module
 */
import { TWO_32 } from "./_u64.ts";

/** `CLOCK_REALTIME` (include/uapi/linux/time.h): wall-clock time, which can jump. */
export const CLOCK_REALTIME = 0;
/** `CLOCK_MONOTONIC` (include/uapi/linux/time.h): never jumps; stops while the machine is suspended. */
export const CLOCK_MONOTONIC = 1;
/** `CLOCK_BOOTTIME` (include/uapi/linux/time.h): like CLOCK_MONOTONIC, but counts time suspended. */
export const CLOCK_BOOTTIME = 7;
/** 2^63: tv_sec is signed 64-bit. */
const MAX_SEC = 2 ** 63;

/**
 * Writes `sec` seconds and `nsec` nanoseconds at byte `at` of `v`.
 *
 * @param v The view over the timespec's memory.
 * @param at Its byte offset.
 * @param sec Whole seconds, 0 to 2^53 - 1.
 * @param nsec Nanoseconds, 0 to 999 999 999.
 *
 * @example
 * ```ts
 * const ts = new DataView(new ArrayBuffer(16));
 * writeTimespec(ts, 0, 1, 500_000_000); // 1.5 s
 * ```
 */
export function writeTimespec(v: DataView, at: number, sec: number, nsec: number): void {
  // tv_sec is an i64: a larger time would wrap into a short (or negative) one instead of a long wait.
  if (!(sec >= 0 && sec < MAX_SEC)) throw new RangeError(`A time of ${sec} s does not fit a __kernel_timespec`);
  const lo = sec >>> 0;
  v.setUint32(at, lo, true);
  v.setUint32(at + 4, (sec - lo) / TWO_32, true);
  v.setUint32(at + 8, nsec, true);
  v.setUint32(at + 12, 0, true);
}

/**
 * Writes a duration of `ns` nanoseconds (a non-negative number) as a timespec at byte `at` of `v`.
 *
 * @param v The view over the timespec's memory.
 * @param at Its byte offset.
 * @param ns Nanoseconds, from 0.
 *
 * @example
 * ```ts
 * const ts = new DataView(new ArrayBuffer(16));
 * writeTimespecNs(ts, 0, 2_500_000); // 2.5 ms
 * ```
 */
export function writeTimespecNs(v: DataView, at: number, ns: number): void {
  const sec = Math.floor(ns / 1e9);
  writeTimespec(v, at, sec, Math.min(999_999_999, Math.round(ns - sec * 1e9)));
}
