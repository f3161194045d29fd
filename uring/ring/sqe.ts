/**
 * An SQE slot of a ring, and the helpers every prep function composes from: liburing's `io_uring_sqe_set_*`.
 *
 * A ring makes one {@link Sqe} per slot when it is set up and hands them out from `getSqe()`, so getting and
 * filling an SQE allocates nothing. The views are over the kernel's SQE array; once the ring closes they are
 * detached and writes go nowhere.
 *
 * @module
 */
import { TWO_32 } from "../abi/_u64.ts";

/**
 * One submission queue entry: views over this entry's bytes of the kernel's SQE array (64, or 128 on an SQE128
 * ring), so field positions are constants. Field offsets are those of `struct io_uring_sqe` (uapi.ts
 * `io_uring_sqe`): word 0 holds opcode, flags and ioprio, 1 fd, 2..3 off, 4..5 addr, 6 len, 7 op flags, 8..9
 * user_data, 10 buf_index and personality, 11 splice_fd_in/file_index, 12..15 addr3 and the rest, 16..31 the rest
 * of a 128-byte SQE's command area.
 *
 * Views of the entry alone, not of the whole array at an offset: in V8 a store through `u32[w + k]` with `w` read
 * from the object pays an overflow check on the addition, and the constant index does not (measured ~2 ns per SQE
 * in Deno's NOP loop).
 */
export class Sqe {
  /** Byte view of this SQE. */
  readonly u8: Uint8Array;
  /** 16-bit view of this SQE. */
  readonly u16: Uint16Array;
  /** 32-bit view of this SQE. */
  readonly u32: Uint32Array;
  /** The SQE's size in 32-bit words: 16, or 32 on an SQE128 ring (and for a 128-byte SQE on a mixed ring). */
  readonly words: number;
  /** The slot's index in the SQE array. */
  readonly index: number;
  private readonly f64: Float64Array;

  /**
   * @internal Made by the ring, one per slot.
   * @param buffer The SQE array's memory.
   * @param byteOffset Where this SQE starts in it.
   * @param bytes The SQE's size: 64 or 128.
   * @param index The slot's index.
   */
  constructor(buffer: ArrayBuffer, byteOffset: number, bytes: number, index: number) {
    this.u8 = new Uint8Array(buffer, byteOffset, bytes);
    this.u16 = new Uint16Array(buffer, byteOffset, bytes >> 1);
    this.u32 = new Uint32Array(buffer, byteOffset, bytes >> 2);
    this.f64 = new Float64Array(buffer, byteOffset, bytes >> 3);
    this.index = index;
    this.words = bytes >> 2;
  }

  /** Zeroes the entry. getSqe() hands out zeroed entries; this is for reusing one that was written. */
  clear(): void {
    this.f64.fill(0);
  }
}

/**
 * Sets the SQE's user_data, the value its CQE carries back. Matches liburing's `io_uring_sqe_set_data64` for values
 * up to 2^53 (a number, never a BigInt, so nothing is allocated).
 *
 * @example
 * ```ts
 * import { prepNop } from "ringside-uring/prep";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * const sqe = ring.getSqe()!;
 * prepNop(sqe);
 * sqeSetData(sqe, 42);
 * ```
 */
export function sqeSetData(sqe: Sqe, userData: number): void {
  const u32 = sqe.u32;
  const lo = userData >>> 0;
  u32[8] = lo;
  // Below 2^32 (most user_data) the high word is 0 without a floating-point division.
  u32[9] = lo === userData ? 0 : (userData - lo) / TWO_32;
}

/**
 * Sets the SQE's flags (`IOSQE_*`), replacing what was there. Matches liburing's `io_uring_sqe_set_flags`.
 */
export function sqeSetFlags(sqe: Sqe, flags: number): void {
  sqe.u8[1] = flags;
}

/**
 * Sets the provided-buffer group an `IOSQE_BUFFER_SELECT` operation picks from. Matches liburing's
 * `io_uring_sqe_set_buf_group` (Linux 5.7).
 */
export function sqeSetBufGroup(sqe: Sqe, bgid: number): void {
  sqe.u16[20] = bgid;
}

/** Reads back the user_data written into an SQE (for tests and diagnostics). */
export function sqeUserData(sqe: Sqe): number {
  return sqe.u32[8]! + sqe.u32[9]! * TWO_32;
}

/**
 * Adds `IOSQE_*` flags to those the SQE already has (a prep function clears them; this sets more on top), as
 * `sqe->flags |= flags` in C.
 *
 * @example
 * ```ts
 * import { IOSQE_IO_LINK, prepNop, Ring } from "ringside-uring";
 * const ring = new Ring(8);
 * const sqe = ring.getSqe()!;
 * prepNop(sqe);
 * sqeAddFlags(sqe, IOSQE_IO_LINK);
 * ring.close();
 * ```
 */
export function sqeAddFlags(sqe: Sqe, flags: number): void {
  sqe.u8[1]! |= flags;
}

/**
 * Runs the request with the credentials registered as personality `id` (`registerPersonality`), as
 * `sqe->personality = id` in C.
 *
 * @example
 * ```ts
 * import { prepNop } from "ringside-uring/prep";
 * import { registerPersonality, Ring } from "ringside-uring/ring";
 * const ring = new Ring(8);
 * const sqe = ring.getSqe()!;
 * prepNop(sqe);
 * sqeSetPersonality(sqe, registerPersonality(ring));
 * ring.close();
 * ```
 */
export function sqeSetPersonality(sqe: Sqe, id: number): void {
  sqe.u16[21] = id;
}
