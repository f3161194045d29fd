/**
 * Creating pipes from the ring: pipe2(2), optionally straight into the registered file table.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_PIPE } from "../abi/uapi.ts";
import { prepRw, setDirectTarget, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares pipe2(2): the kernel writes the read and write ends to the two ints at `fds`. Matches liburing's
 * `io_uring_prep_pipe` (Linux 6.16).
 *
 * UNSAFE: the kernel writes 8 bytes at `fds`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fds The address of an `int[2]`.
 * @param pipeFlags O_CLOEXEC (0x80000), O_NONBLOCK (0x800), O_DIRECT (0x4000), or 0.
 *
 * @example
 * ```ts
 * prepPipe(ring.getSqe()!, fds.address, 0);
 * ```
 */
export function prepPipe(sqe: Sqe, fds: number, pipeFlags: number): void {
  prepRw(IORING_OP_PIPE, sqe, 0, fds, 0, 0);
  sqe.u32[W_OP_FLAGS] = pipeFlags;
}

/**
 * Prepares pipe2(2) into the registered file table: the two ends become direct descriptors `fileIndex` and
 * `fileIndex + 1` (or two free slots with `IORING_FILE_INDEX_ALLOC`), written as ints at `fds`. Matches liburing's
 * `io_uring_prep_pipe_direct` (Linux 6.16).
 *
 * UNSAFE: the kernel writes 8 bytes at `fds`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fds The address of an `int[2]`.
 * @param pipeFlags O_NONBLOCK, O_DIRECT, or 0.
 * @param fileIndex The first slot, or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * prepPipeDirect(ring.getSqe()!, fds.address, 0, IORING_FILE_INDEX_ALLOC);
 * ```
 */
export function prepPipeDirect(sqe: Sqe, fds: number, pipeFlags: number, fileIndex: number): void {
  prepPipe(sqe, fds, pipeFlags);
  setDirectTarget(sqe, fileIndex);
}
