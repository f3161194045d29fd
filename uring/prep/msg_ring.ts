/**
 * Messages between rings: post a CQE in another ring, or pass it a direct descriptor.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import {
  IORING_FILE_INDEX_ALLOC,
  IORING_MSG_RING_FLAGS_PASS,
  IORING_MSG_SEND_FD,
  IORING_OP_MSG_RING,
} from "../abi/uapi.ts";
import { prepRw, setDirectTarget, setU64, W_ADDR3, W_FILE_INDEX, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares a message to the ring `fd`: it gets a CQE with res `len` and user_data `data`. Matches liburing's
 * `io_uring_prep_msg_ring` (Linux 5.18).
 *
 * @param sqe The SQE to fill.
 * @param fd The target ring's file descriptor (or registered index with IOSQE_FIXED_FILE).
 * @param len The `res` of the target CQE (the 32 bits are passed as they are).
 * @param data The `user_data` of the target CQE (up to 2^53).
 * @param flags 0 (IORING_MSG_RING_CQE_SKIP, which suppresses the target's CQE, is EINVAL for data messages: see
 *   prepMsgRingFd).
 *
 * @example
 * ```ts
 * prepMsgRing(ring.getSqe()!, other.fd, 0, 1234, 0);
 * ```
 */
export function prepMsgRing(sqe: Sqe, fd: number, len: number, data: number, flags: number): void {
  prepRw(IORING_OP_MSG_RING, sqe, fd, 0, len, data);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a message to the ring `fd` whose CQE carries `cqeFlags` as its flags (IORING_MSG_RING_FLAGS_PASS is
 * added). Matches liburing's `io_uring_prep_msg_ring_cqe_flags` (Linux 6.3).
 *
 * @param sqe The SQE to fill.
 * @param fd The target ring's file descriptor.
 * @param len The `res` of the target CQE.
 * @param data The `user_data` of the target CQE (up to 2^53).
 * @param flags IORING_MSG_RING_CQE_SKIP, or 0.
 * @param cqeFlags The `flags` of the target CQE.
 *
 * @example
 * ```ts
 * prepMsgRingCqeFlags(ring.getSqe()!, other.fd, 0, 1234, 0, 0x100);
 * ```
 */
export function prepMsgRingCqeFlags(
  sqe: Sqe, fd: number, len: number, data: number, flags: number, cqeFlags: number,
): void {
  prepRw(IORING_OP_MSG_RING, sqe, fd, 0, len, data);
  sqe.u32[W_OP_FLAGS] = IORING_MSG_RING_FLAGS_PASS | flags;
  sqe.u32[W_FILE_INDEX] = cqeFlags;
}

/**
 * Prepares passing direct descriptor `sourceFd` of this ring into slot `targetFd` of the ring `fd` (or a free slot
 * with `IORING_FILE_INDEX_ALLOC`); the target ring gets a CQE with user_data `data` unless
 * IORING_MSG_RING_CQE_SKIP. Matches liburing's `io_uring_prep_msg_ring_fd` (Linux 6.0).
 *
 * @param sqe The SQE to fill.
 * @param fd The target ring's file descriptor.
 * @param sourceFd The direct descriptor in this ring's file table.
 * @param targetFd The slot in the target ring's file table, or `IORING_FILE_INDEX_ALLOC`.
 * @param data The `user_data` of the target CQE (up to 2^53).
 * @param flags IORING_MSG_RING_CQE_SKIP, or 0.
 *
 * @example
 * ```ts
 * prepMsgRingFd(ring.getSqe()!, other.fd, 0, 3, 99, 0);
 * ```
 */
export function prepMsgRingFd(
  sqe: Sqe, fd: number, sourceFd: number, targetFd: number, data: number, flags: number,
): void {
  prepRw(IORING_OP_MSG_RING, sqe, fd, IORING_MSG_SEND_FD, 0, data);
  // addr3 is a __u64 assigned from the C int: sign-extended.
  setU64(sqe.u32, W_ADDR3, sourceFd | 0);
  setDirectTarget(sqe, targetFd);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares passing direct descriptor `sourceFd` into a free slot of the ring `fd`'s file table. Matches liburing's
 * `io_uring_prep_msg_ring_fd_alloc` (Linux 6.0).
 *
 * @param sqe The SQE to fill.
 * @param fd The target ring's file descriptor.
 * @param sourceFd The direct descriptor in this ring's file table.
 * @param data The `user_data` of the target CQE (up to 2^53).
 * @param flags IORING_MSG_RING_CQE_SKIP, or 0.
 *
 * @example
 * ```ts
 * prepMsgRingFdAlloc(ring.getSqe()!, other.fd, 0, 99, 0);
 * ```
 */
export function prepMsgRingFdAlloc(sqe: Sqe, fd: number, sourceFd: number, data: number, flags: number): void {
  prepMsgRingFd(sqe, fd, sourceFd, IORING_FILE_INDEX_ALLOC, data, flags);
}
