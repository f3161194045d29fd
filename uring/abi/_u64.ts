/**
 * 64-bit fields as JavaScript numbers: the kernel's u64 words (addresses, lengths, offsets, user_data) written as
 * two little-endian u32 halves and read back exactly up to 2^53. BigInt appears only where a caller passes one.
 *
 * @module
 */

/** 2^32: the weight of a u64's high word. */
export const TWO_32 = 4294967296;

/**
 * Writes `value` as a u64 at byte `at` of `view`, little-endian. A number must be a safe integer from 0 (callers
 * check); a bigint is taken modulo 2^64.
 *
 * @param view The view to write into.
 * @param at The byte offset of the field.
 * @param value The value: a number up to 2^53, or a bigint.
 *
 * @example
 * ```ts
 * import { getU64, putU64 } from "./_u64.ts";
 * const v = new DataView(new ArrayBuffer(8));
 * putU64(v, 0, 2 ** 40 + 5);
 * console.log(getU64(v, 0) === 2 ** 40 + 5); // true
 * ```
 */
export function putU64(view: DataView, at: number, value: number | bigint): void {
  if (typeof value === "bigint") {
    view.setBigUint64(at, BigInt.asUintN(64, value), true);
    return;
  }
  const lo = value >>> 0;
  view.setUint32(at, lo, true);
  view.setUint32(at + 4, (value - lo) / TWO_32, true);
}

/**
 * Reads the u64 at byte `at` of `view` as a number (exact up to 2^53).
 *
 * @param view The view to read.
 * @param at The byte offset of the field.
 * @returns The value.
 *
 * @example
 * ```ts
 * import { getU64 } from "./_u64.ts";
 * const v = new DataView(new BigUint64Array([42n]).buffer);
 * console.log(getU64(v, 0)); // 42
 * ```
 */
export function getU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO_32;
}

/**
 * Writes `value` into words `i` and `i + 1` of `u32` (low word first). A negative number is written as its two's
 * complement, as C's cast of a negative `off_t` or `__s64` to `__u64` does (a read at offset -1 means "the file
 * position").
 *
 * @param u32 The word view (an SQE's, say).
 * @param i The index of the low word.
 * @param value An integer from -2^53 to 2^53.
 *
 * @example
 * ```ts
 * import { setU64Words } from "./_u64.ts";
 * const w = new Uint32Array(2);
 * setU64Words(w, 0, -1);
 * console.log(w[0] === 0xffffffff && w[1] === 0xffffffff); // true
 * ```
 */
export function setU64Words(u32: Uint32Array, i: number, value: number): void {
  if (value < 0) {
    const v = -value - 1; // ~(|value| - 1): the bitwise complement of the magnitude minus one
    const lo = v >>> 0;
    u32[i] = ~lo >>> 0;
    u32[i + 1] = ~((v - lo) / TWO_32) >>> 0;
    return;
  }
  const lo = value >>> 0;
  u32[i] = lo;
  u32[i + 1] = lo === value ? 0 : (value - lo) / TWO_32;
}

/**
 * Reads words `i` and `i + 1` of `u32` as an unsigned number (exact up to 2^53).
 *
 * @param u32 The word view.
 * @param i The index of the low word.
 * @returns The value.
 *
 * @example
 * ```ts
 * import { getU64Words } from "./_u64.ts";
 * console.log(getU64Words(new Uint32Array([5, 1]), 0)); // 4294967301
 * ```
 */
export function getU64Words(u32: Uint32Array, i: number): number {
  return (u32[i] ?? 0) + (u32[i + 1] ?? 0) * TWO_32;
}
