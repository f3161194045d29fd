/**
 * 64-bit results: both runtimes may return a C 64-bit value as a bigint (or, for a NULL pointer, null). The facade
 * promises numbers, so functions with such results are wrapped once, at binding; other functions are bound bare.
 *
 * @module
 */
import type { NativeFunction, NativeType } from "./types.ts";

const WIDE = new Set<NativeType>(["i64", "u64", "usize", "ptr"]);

/** A C 64-bit value as a number: unsigned values of 2^63 and above are read as negative (MAP_FAILED is -1). */
export function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return v >= 0x8000000000000000n ? Number(v - 0x10000000000000000n) : Number(v);
  return 0;
}

/** `fn` as bound, or wrapped to return a number when its result type is 64 bits wide. */
export function numberResult(returns: NativeType, fn: NativeFunction): NativeFunction {
  return WIDE.has(returns) ? (...a: unknown[]) => toNumber(fn(...a)) : fn;
}
