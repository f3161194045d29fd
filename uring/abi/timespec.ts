/**
 * `struct __kernel_timespec` (two little-endian 64-bit fields, tv_sec and tv_nsec) written from numbers: no BigInt,
 * since several writers sit on per-operation paths (a linked timeout per request, a tick stream per arm).
 *
 * @module
 */

const TWO_32 = 4294967296;
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
 * writeTimespec(chunk.view, 0, 1, 500_000_000); // 1.5 s
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
 * @example
 * ```ts
 * writeTimespecNs(chunk.view, 0, 2_500_000); // 2.5 ms
 * ```
 */
export function writeTimespecNs(v: DataView, at: number, ns: number): void {
  const sec = Math.floor(ns / 1e9);
  writeTimespec(v, at, sec, Math.min(999_999_999, Math.round(ns - sec * 1e9)));
}
