/**
 * The base every prep helper composes from: liburing's `io_uring_prep_rw`, writing the common fields of an SQE,
 * plus the field indices and small setters the helpers share.
 *
 * 64-bit fields (off, addr, addr3) are written as two 32-bit halves from numbers up to 2^53: no BigInt per SQE.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { io_uring_sqe, IORING_FILE_INDEX_ALLOC } from "../abi/uapi.ts";

const TWO_32 = 4294967296;

// Field positions inside one SQE, from the uapi offsets: `W_*` index `sqe.u32`, `H_*` index `sqe.u16`, `B_*` index
// `sqe.u8` (each Sqe's views cover that SQE alone). Unions share a position (named in the comment).

/** Byte of `flags` (IOSQE_*). */
export const B_FLAGS = io_uring_sqe.flags;
/** Half-word of `ioprio` (also the send/recv/accept flags of many opcodes). */
export const H_IOPRIO = io_uring_sqe.ioprio >> 1;
/** Word of the low half of `off` (also addr2, and cmd_op for uring_cmd). */
export const W_OFF = io_uring_sqe.off >> 2;
/** Word of uring_cmd's `__pad1` (the high half of `off`). */
export const W_PAD1 = io_uring_sqe.__pad1 >> 2;
/** Word of the low half of `addr` (also splice_off_in, and level for socket commands). */
export const W_ADDR = io_uring_sqe.addr >> 2;
/** Word of `optname` for socket commands (the high half of `addr`). */
export const W_OPTNAME = io_uring_sqe.optname >> 2;
/** Word of `len`. */
export const W_LEN = io_uring_sqe.len >> 2;
/** Word of the per-opcode flags union (rw_flags, msg_flags, timeout_flags, open_flags, ...). */
export const W_OP_FLAGS = io_uring_sqe.rw_flags >> 2;
/** Half-word of `buf_index` (also buf_group). */
export const H_BUF_INDEX = io_uring_sqe.buf_index >> 1;
/** Word of `file_index` (also splice_fd_in and optlen). */
export const W_FILE_INDEX = io_uring_sqe.file_index >> 2;
/** Half-word of `addr_len` (the low half of the file_index word). */
export const H_ADDR_LEN = io_uring_sqe.addr_len >> 1;
/** Word of the low half of `addr3` (also optval). */
export const W_ADDR3 = io_uring_sqe.addr3 >> 2;

/**
 * Writes a 64-bit value into words `i` and `i + 1` of the SQE array, low half first (little-endian). Negative
 * numbers are written as their two's complement (so -1 becomes 0xffff_ffff_ffff_ffff, as C's `(__u64)-1`).
 *
 * @param u32 The 32-bit view of the SQE array.
 * @param i The index of the low word.
 * @param value An integer from -2^53 to 2^53.
 *
 * @example
 * ```ts
 * setU64(sqe.u32, W_ADDR3, 0x12_3456_7890); // addr3
 * ```
 */
export function setU64(u32: Uint32Array, i: number, value: number): void {
  if (value < 0) {
    const v = -value - 1; // ~(|value| - 1): bitwise complement of the magnitude minus one
    const lo = v >>> 0;
    u32[i] = ~lo >>> 0;
    u32[i + 1] = ~((v - lo) / TWO_32) >>> 0;
    return;
  }
  const lo = value >>> 0;
  u32[i] = lo;
  u32[i + 1] = (value - lo) / TWO_32;
}

/**
 * Fills the fields shared by every operation: opcode, fd, offset, address and length, clearing flags, ioprio and
 * the per-opcode flags word. Matches liburing's `io_uring_prep_rw`. The SQE is expected to be fresh from
 * `getSqe()` (zeroed); fields beyond these stay zero.
 *
 * @param op An `IORING_OP_*` opcode.
 * @param sqe The SQE to fill.
 * @param fd The file descriptor (or fixed-file index with IOSQE_FIXED_FILE).
 * @param addr An address or an opcode-specific 64-bit value (UNSAFE: the kernel dereferences it for most opcodes).
 * @param len A length or count.
 * @param offset The file offset or an opcode-specific 64-bit value.
 *
 * @example
 * ```ts
 * prepRw(IORING_OP_READ, ring.getSqe()!, fd, mem.address, 4096, 0); // what prepRead does
 * ```
 */
export function prepRw(op: number, sqe: Sqe, fd: number, addr: number, len: number, offset: number): void {
  const u32 = sqe.u32;
  u32[0] = op & 0xff; // opcode; flags and ioprio cleared
  u32[1] = fd;
  setU64(u32, 2, offset);
  setU64(u32, 4, addr);
  u32[6] = len;
  u32[7] = 0;
}

/**
 * Stores a direct-descriptor slot in `file_index` as the kernel expects it: slot `i` is written as `i + 1`, since 0
 * means "not direct". Matches liburing's internal `__io_uring_set_target_fixed_file`, which does no special
 * casing: `IORING_FILE_INDEX_ALLOC` wraps to 0 here. The `_direct` helpers use {@link setDirectTarget} instead.
 *
 * @param sqe The SQE to change.
 * @param fileIndex The slot in the registered file table (an unsigned 32-bit value).
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepClose(sqe, 0);
 * setTargetFixedFile(sqe, 3); // what prepCloseDirect(sqe, 3) does
 * ```
 */
export function setTargetFixedFile(sqe: Sqe, fileIndex: number): void {
  sqe.u32[W_FILE_INDEX] = fileIndex + 1;
}

/**
 * Stores the target of a `_direct` operation in `file_index`: slot `i` as `i + 1`, and `IORING_FILE_INDEX_ALLOC`
 * (0xffffffff, or -1) as itself, which asks the kernel to pick a free slot and return it as the result (Linux 5.19).
 * This is what current liburing's `_direct` helpers do; liburing 2.3 forgot the ALLOC case and stored 0 (not
 * direct at all).
 *
 * @param sqe The SQE to change.
 * @param fileIndex The slot, or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepAccept(sqe, listener, 0, 0, 0);
 * setDirectTarget(sqe, IORING_FILE_INDEX_ALLOC); // what prepAcceptDirect(..., IORING_FILE_INDEX_ALLOC) does
 * ```
 */
export function setDirectTarget(sqe: Sqe, fileIndex: number): void {
  const alloc = (fileIndex >>> 0) === IORING_FILE_INDEX_ALLOC;
  sqe.u32[W_FILE_INDEX] = alloc ? IORING_FILE_INDEX_ALLOC : fileIndex + 1;
}
