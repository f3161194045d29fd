/**
 * An SQE slot of a ring, and the helpers every prep function composes from: liburing's `io_uring_sqe_set_*`.
 *
 * A ring makes one {@link Sqe} per slot when it is set up and hands them out from `getSqe()`, so getting and
 * filling an SQE allocates nothing. The views are over the kernel's SQE array; once the ring closes they are
 * detached and writes go nowhere.
 *
 * @module
 */

/**
 * One submission queue entry: views over the SQE array and the index of this entry's first 32-bit word.
 * Field offsets are those of `struct io_uring_sqe` (uapi.ts `io_uring_sqe`): word `w + 0` holds opcode, flags and
 * ioprio, `w + 1` fd, `w + 2..3` off, `w + 4..5` addr, `w + 6` len, `w + 7` op flags, `w + 8..9` user_data, `w + 10`
 * buf_index and personality, `w + 11` splice_fd_in/file_index, `w + 12..15` addr3 and the rest.
 */
export class Sqe {
  /** Byte view of the whole SQE array. */
  readonly u8: Uint8Array;
  /** 16-bit view of the whole SQE array. */
  readonly u16: Uint16Array;
  /** 32-bit view of the whole SQE array. */
  readonly u32: Uint32Array;
  /** Index in `u32` of this SQE's first word (its byte offset divided by 4). */
  readonly w: number;
  /** The SQE's size in 32-bit words: 16, or 32 on an SQE128 ring (and for a 128-byte SQE on a mixed ring). */
  readonly words: number;
  /** The slot's index in the SQE array. */
  readonly index: number;
  private readonly f64: Float64Array;

  /** @internal Made by the ring, one per slot. */
  constructor(
    u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, f64: Float64Array, index: number, words: number, w: number,
  ) {
    this.u8 = u8;
    this.u16 = u16;
    this.u32 = u32;
    this.f64 = f64;
    this.index = index;
    this.words = words;
    this.w = w;
  }

  /** Zeroes the entry (see {@link zeroSqe}). */
  clear(): void {
    zeroSqe(this.f64, this.w >> 1, this.words);
  }

}

/**
 * Zeroes one SQE through a 64-bit view of the SQE array: eight stores of +0.0 (whose bits are all zero) from index
 * `d`, sixteen for a 128-byte SQE (`words` 32). Cheaper than `fill()`, a call into the runtime per SQE.
 *
 * @param f A Float64Array over the SQE array.
 * @param d The SQE's first 64-bit index (its word index divided by 2).
 * @param words The SQE's size in 32-bit words: 16 or 32.
 */
export function zeroSqe(f: Float64Array, d: number, words: number): void {
  f[d] = 0;
  f[d + 1] = 0;
  f[d + 2] = 0;
  f[d + 3] = 0;
  f[d + 4] = 0;
  f[d + 5] = 0;
  f[d + 6] = 0;
  f[d + 7] = 0;
  if (words === 32) f.fill(0, d + 8, d + 16);
}

const TWO_32 = 4294967296;

/**
 * Sets the SQE's user_data, the value its CQE carries back. Matches liburing's `io_uring_sqe_set_data64` for values
 * up to 2^53 (a number, never a BigInt, so nothing is allocated).
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepNop(sqe);
 * sqeSetData(sqe, 42);
 * ```
 */
export function sqeSetData(sqe: Sqe, userData: number): void {
  const u32 = sqe.u32;
  const w = sqe.w;
  const lo = userData >>> 0;
  u32[w + 8] = lo;
  // Below 2^32 (most user_data) the high word is 0 without a floating-point division.
  u32[w + 9] = lo === userData ? 0 : (userData - lo) / TWO_32;
}

/**
 * Sets the SQE's flags (`IOSQE_*`), replacing what was there. Matches liburing's `io_uring_sqe_set_flags`.
 */
export function sqeSetFlags(sqe: Sqe, flags: number): void {
  sqe.u8[sqe.w << 2 | 1] = flags;
}

/**
 * Sets the provided-buffer group an `IOSQE_BUFFER_SELECT` operation picks from. Matches liburing's
 * `io_uring_sqe_set_buf_group` (Linux 5.7).
 */
export function sqeSetBufGroup(sqe: Sqe, bgid: number): void {
  sqe.u16[(sqe.w + 10) << 1] = bgid;
}

/** Reads back the user_data written into an SQE (for tests and diagnostics). */
export function sqeUserData(sqe: Sqe): number {
  return sqe.u32[sqe.w + 8] + sqe.u32[sqe.w + 9] * TWO_32;
}
