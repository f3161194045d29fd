/**
 * Messages between rings: post a CQE in another ring (to wake the thread or worker that owns it), or pass it a direct
 * descriptor.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`, which names this ring's own CQE) afterwards. The
 * target ring is given by its file descriptor, or by its index in this ring's registered file table with
 * IOSQE_FIXED_FILE. This ring gets its own CQE for the request, with a negated errno when the message could not
 * be delivered.
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
import { prepRw, setDirectTarget, W_ADDR3, W_FILE_INDEX, W_OP_FLAGS } from "./base.ts";
import { setU64Words } from "../abi/_u64.ts";

/**
 * Prepares a message to the ring `fd`: it gets a CQE with res `len` and user_data `data`. Matches liburing's
 * `io_uring_prep_msg_ring` (IORING_OP_MSG_RING, Linux 5.18).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The target ring's file descriptor (or registered-file index with IOSQE_FIXED_FILE).
 * @param len The `res` of the target CQE (the 32 bits are passed as they are, so negative values arrive as such).
 * @param data The `user_data` of the target CQE (up to 2^53).
 * @param flags 0 (IORING_MSG_RING_CQE_SKIP, which suppresses the target's CQE, is refused with -EINVAL for data
 *   messages: it applies to {@link prepMsgRingFd}).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, other: Ring;
 *
 * prepMsgRing(ring.getSqe()!, other.fd, 0, 1234, 0);
 * ```
 */
export function prepMsgRing(sqe: Sqe, fd: number, len: number, data: number, flags: number): void {
  prepRw(IORING_OP_MSG_RING, sqe, fd, 0, len, data);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a message to the ring `fd` whose CQE carries `cqeFlags` as its flags. Matches liburing's
 * `io_uring_prep_msg_ring_cqe_flags` (IORING_OP_MSG_RING with IORING_MSG_RING_FLAGS_PASS, Linux 6.3).
 *
 * IORING_MSG_RING_FLAGS_PASS is added. The target sees the flags as they are: bits the kernel gives a meaning
 * (IORING_CQE_F_MORE, IORING_CQE_F_BUFFER ...) mean that to the target's reader too.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The target ring's file descriptor (or registered-file index with IOSQE_FIXED_FILE).
 * @param len The `res` of the target CQE.
 * @param data The `user_data` of the target CQE (up to 2^53).
 * @param flags 0 (CQE_SKIP is refused for data messages, as for {@link prepMsgRing}).
 * @param cqeFlags The `flags` of the target CQE (unsigned 32-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, other: Ring;
 *
 * prepMsgRingCqeFlags(ring.getSqe()!, other.fd, 0, 1234, 0, 1 << 16);
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
 * Prepares passing direct descriptor `sourceFd` of this ring into slot `targetFd` of the ring `fd`'s registered file
 * table (or, with `IORING_FILE_INDEX_ALLOC`, into a free slot). Matches liburing's `io_uring_prep_msg_ring_fd`
 * (IORING_OP_MSG_RING with IORING_MSG_SEND_FD, Linux 6.0).
 *
 * The target ring gets a CQE with user_data `data` (its res the slot, with IORING_FILE_INDEX_ALLOC) unless
 * IORING_MSG_RING_CQE_SKIP. The descriptor stays in this ring's table too: close it here if it is being handed
 * over.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The target ring's file descriptor (or registered-file index with IOSQE_FIXED_FILE).
 * @param sourceFd The direct descriptor (slot) in this ring's file table.
 * @param targetFd The slot in the target ring's file table (0-based), or `IORING_FILE_INDEX_ALLOC`.
 * @param data The `user_data` of the target CQE (up to 2^53).
 * @param flags IORING_MSG_RING_CQE_SKIP, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, other: Ring;
 *
 * prepMsgRingFd(ring.getSqe()!, other.fd, 0, 3, 99, 0); // our slot 0 becomes their slot 3
 * ```
 */
export function prepMsgRingFd(
  sqe: Sqe, fd: number, sourceFd: number, targetFd: number, data: number, flags: number,
): void {
  prepRw(IORING_OP_MSG_RING, sqe, fd, IORING_MSG_SEND_FD, 0, data);
  // addr3 is a __u64 assigned from the C int: sign-extended.
  setU64Words(sqe.u32, W_ADDR3, sourceFd | 0);
  setDirectTarget(sqe, targetFd);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares passing direct descriptor `sourceFd` into a free slot of the ring `fd`'s file table. Matches liburing's
 * `io_uring_prep_msg_ring_fd_alloc` (IORING_OP_MSG_RING with IORING_MSG_SEND_FD and IORING_FILE_INDEX_ALLOC,
 * Linux 6.0).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The target ring's file descriptor (or registered-file index with IOSQE_FIXED_FILE).
 * @param sourceFd The direct descriptor (slot) in this ring's file table.
 * @param data The `user_data` of the target CQE (up to 2^53).
 * @param flags IORING_MSG_RING_CQE_SKIP, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, other: Ring;
 *
 * prepMsgRingFdAlloc(ring.getSqe()!, other.fd, 0, 99, 0);
 * ```
 */
export function prepMsgRingFdAlloc(sqe: Sqe, fd: number, sourceFd: number, data: number, flags: number): void {
  prepMsgRingFd(sqe, fd, sourceFd, IORING_FILE_INDEX_ALLOC, data, flags);
}
