/**
 * The base every prep helper composes from: liburing's `io_uring_prep_rw`, writing the fields most opcodes share,
 * plus the SQE field positions and the direct-descriptor setters the helpers (and the library's higher layers) use.
 *
 * Of these, only {@link prepRw} is part of the prep layer's public surface (liburing exposes `io_uring_prep_rw`
 * too: it prepares any opcode the helpers do not cover). The field positions and the `file_index` setters are
 * the library's own vocabulary for SQE fields; a user writes fields through the prep helpers and
 * `sqeSetData`/`sqeSetFlags`/`sqeSetBufGroup` instead.
 *
 * 64-bit fields (off, addr, addr3) are written as two 32-bit halves from numbers up to 2^53 (`setU64Words`): no
 * BigInt per SQE.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { io_uring_sqe, IORING_FILE_INDEX_ALLOC } from "../abi/uapi.ts";
import { setU64Words } from "../abi/_u64.ts";

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
 * Prepares any opcode from the five fields most of them use: writes opcode, fd, off, addr and len, and clears
 * flags, ioprio and the per-opcode flags word (as liburing 2.3's `io_uring_prep_rw` does; set SQE flags after
 * preparing). Every other field is left as it is, which is zero in an SQE fresh from `ring.getSqe()`. Matches
 * liburing's `io_uring_prep_rw` (the opcode's own kernel version applies).
 *
 * Use it for an opcode or field combination no helper covers; what each field means depends on the opcode
 * (`struct io_uring_sqe` in the kernel's include/uapi/linux/io_uring.h).
 *
 * @param op An `IORING_OP_*` opcode (the low 8 bits are written).
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The file descriptor (or registered-file index when IOSQE_FIXED_FILE is set afterwards); -1 for
 *   opcodes without one.
 * @param addr An address or an opcode-specific 64-bit value, up to 2^53. UNSAFE: for most opcodes the kernel
 *   dereferences it when the request runs, possibly after submit returns; keep the memory alive until the CQE.
 * @param len A length or count (unsigned 32-bit).
 * @param offset The file offset or an opcode-specific 64-bit value, from -2^53 to 2^53 (negative numbers are
 *   written as their two's complement, so -1 is all ones, as C's `(__u64)-1`).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_OP_READ } from "ringside-uring/abi";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, fd: number;
 *
 * const buf = NativeMemory.allocate(4096);
 * prepRw(IORING_OP_READ, ring.getSqe()!, fd, buf.address, buf.byteLength, 0); // what prepRead does
 * ```
 */
export function prepRw(op: number, sqe: Sqe, fd: number, addr: number, len: number, offset: number): void {
  const u32 = sqe.u32;
  u32[0] = op & 0xff; // opcode; flags and ioprio cleared
  u32[1] = fd;
  setU64Words(u32, W_OFF, offset);
  setU64Words(u32, W_ADDR, addr);
  u32[W_LEN] = len;
  u32[W_OP_FLAGS] = 0;
}

/**
 * Stores a direct-descriptor slot in `file_index` as the kernel expects it: slot `i` is written as `i + 1`, since 0
 * means "not direct". Matches liburing's internal `__io_uring_set_target_fixed_file`, which does no special
 * casing: `IORING_FILE_INDEX_ALLOC` wraps to 0 here (the `_direct_alloc` helpers pass `IORING_FILE_INDEX_ALLOC - 1`
 * to store ALLOC). The `_direct` helpers use {@link setDirectTarget} instead. Internal to the library.
 *
 * @param sqe The SQE to change.
 * @param fileIndex The slot in the registered file table (an unsigned 32-bit value).
 *
 * @example
 * ```ts
 * import { prepClose } from "ringside-uring/prep";
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
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
 * direct at all). Internal to the library.
 *
 * @param sqe The SQE to change.
 * @param fileIndex The slot, or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * import { prepAccept } from "ringside-uring/prep";
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_FILE_INDEX_ALLOC } from "ringside-uring/abi";
 * declare const ring: Ring, listener: number;
 *
 * const sqe = ring.getSqe()!;
 * prepAccept(sqe, listener, 0, 0, 0);
 * setDirectTarget(sqe, IORING_FILE_INDEX_ALLOC); // what prepAcceptDirect(..., IORING_FILE_INDEX_ALLOC) does
 * ```
 */
export function setDirectTarget(sqe: Sqe, fileIndex: number): void {
  const alloc = (fileIndex >>> 0) === IORING_FILE_INDEX_ALLOC;
  sqe.u32[W_FILE_INDEX] = alloc ? IORING_FILE_INDEX_ALLOC : fileIndex + 1;
}
