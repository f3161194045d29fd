/**
 * Creating pipes from the ring: pipe2(2), optionally straight into the registered file table.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_PIPE } from "../abi/uapi.ts";
import { prepRw, setDirectTarget, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares pipe2(2): the kernel writes the read end and the write end, as two ints, at `fds`. Matches liburing's
 * `io_uring_prep_pipe` (IORING_OP_PIPE, Linux 6.16).
 *
 * UNSAFE: the kernel writes 8 bytes at `fds`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fds The address of an `int[2]`.
 * @param pipeFlags O_CLOEXEC (0x80000), O_NONBLOCK (0x800), O_DIRECT (0x4000, a packet-mode pipe), or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring;
 *
 * const O_CLOEXEC = 0x80000;
 * const fds = NativeMemory.allocate(8);
 * prepPipe(ring.getSqe()!, fds.address, O_CLOEXEC);
 * // after the CQE: new Int32Array(fds.buffer, 0, 2) holds [readEnd, writeEnd]
 * ```
 */
export function prepPipe(sqe: Sqe, fds: number, pipeFlags: number): void {
  prepRw(IORING_OP_PIPE, sqe, 0, fds, 0, 0);
  sqe.u32[W_OP_FLAGS] = pipeFlags;
}

/**
 * Prepares pipe2(2) into the registered file table: the two ends become direct descriptors, in slots `fileIndex`
 * and `fileIndex + 1`, or in two free slots with `IORING_FILE_INDEX_ALLOC`; the slots are written as ints at `fds`.
 * Matches liburing's `io_uring_prep_pipe_direct` (IORING_OP_PIPE with file_index, Linux 6.16).
 *
 * UNSAFE: the kernel writes 8 bytes at `fds`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fds The address of an `int[2]`.
 * @param pipeFlags O_NONBLOCK, O_DIRECT, or 0 (no O_CLOEXEC for direct descriptors).
 * @param fileIndex The first of two slots (0-based), or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_FILE_INDEX_ALLOC } from "ringside-uring/abi";
 * declare const ring: Ring, fds: number; // the address of an int[2]
 *
 * prepPipeDirect(ring.getSqe()!, fds, 0, IORING_FILE_INDEX_ALLOC);
 * ```
 */
export function prepPipeDirect(sqe: Sqe, fds: number, pipeFlags: number, fileIndex: number): void {
  prepPipe(sqe, fds, pipeFlags);
  setDirectTarget(sqe, fileIndex);
}
