/**
 * Messages between rings on a {@link Loop} (IORING_OP_MSG_RING): `msgRing` posts a CQE on another ring,
 * `msgRingFd` passes a direct descriptor into another ring's file table.
 *
 * @example
 * ```ts
 * import { Loop, Ring } from "ringside-uring";
 * const loop = new Loop();
 * const other = new Ring(8);
 * await msgRing(loop, other, { res: 42, userData: 7 }); // `other` now has a CQE { user_data: 7, res: 42 }
 * other.close();
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { Ring } from "../ring/ring.ts";
import { type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { checkMessageUserData } from "../ring/_loop_user_data.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, checkU32 } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepMsgRing, prepMsgRingCqeFlags, prepMsgRingFd } from "../prep/msg_ring.ts";
import { IORING_FILE_INDEX_ALLOC, IORING_MSG_RING_CQE_SKIP } from "../abi/uapi.ts";

/** Where a message goes: a loop, a ring, or a ring's file descriptor. */
export type RingTarget = Loop | Ring | number;

function targetFd(operation: string, target: RingTarget): number {
  const fd = typeof target === "number" ? target : "arena" in target ? target.ring.fd : target.fd;
  if (!Number.isInteger(fd) || fd < 0) refuse(operation, "the target ring has no file descriptor");
  return fd;
}

/** The ring (or fd) a message lands on, for checkMessageUserData. */
function messageTarget(target: RingTarget): object | number {
  return typeof target === "number" ? target : "arena" in target ? target.ring : target;
}

/** The CQE {@link msgRing} posts on the target ring. */
export interface RingMessage {
  /** The CQE's `res` (an i32). */
  res: number;
  /** The CQE's `user_data` (up to 2^53). */
  userData: number;
  /** The CQE's `flags` (IORING_MSG_RING_FLAGS_PASS, Linux 6.3); default 0. */
  cqeFlags?: number | undefined;
}

/**
 * Posts a CQE on another ring (IORING_OP_MSG_RING with IORING_MSG_DATA, Linux 5.18): the target sees
 * `{ user_data: userData, res, flags: cqeFlags }`. Resolves once posted; rejects with EOVERFLOW when the target's CQ
 * is full, EBADFD when it is disabled.
 *
 * A target that may be a {@link Loop}'s ring (a Loop, its ring, or any ring given by fd) is refused a user_data
 * from 2^24 up to 2^52, where that loop's operations live: it would take the message for the completion of an
 * operation still in the kernel. Use `messageUserData(tag)` to reach a loop's inbox.
 *
 * @param loop The sending loop.
 * @param target The receiving ring.
 * @param message `res`, `userData`, `cqeFlags`.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop, Ring } from "ringside-uring";
 * declare const loop: Loop, otherRing: Ring;
 * await msgRing(loop, otherRing, { res: 42, userData: 7 });
 * ```
 */
export function msgRing(loop: Loop, target: RingTarget, message: RingMessage, options: OpOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("msg_ring", (sqe: Sqe) => {
    const fd = targetFd("msg_ring", target);
    const { res, userData } = message;
    if (!Number.isInteger(res) || res < -0x80000000 || res > 0x7fffffff) refuse("msg_ring", `res must be an i32`);
    if (!Number.isSafeInteger(userData) || userData < 0) refuse("msg_ring", "userData must be an integer 0-2^53");
    checkMessageUserData("msg_ring", messageTarget(target), userData);
    if (message.cqeFlags) {
      prepMsgRingCqeFlags(sqe, fd, res >>> 0, userData, 0, checkU32("msg_ring", message.cqeFlags, "cqeFlags"));
    } else prepMsgRing(sqe, fd, res >>> 0, userData, 0);
  }, { map: () => undefined }), options);
}

/** Options of {@link msgRingFd}. */
export interface MsgRingFdOptions extends OpOptions {
  /** The slot in the target's file table, or IORING_FILE_INDEX_ALLOC (default) for a free one. */
  targetSlot?: number | undefined;
  /** user_data of the CQE the target gets (default 0). */
  userData?: number | undefined;
  /** Post no CQE on the target (IORING_MSG_RING_CQE_SKIP). */
  skipCqe?: boolean | undefined;
}

/**
 * Passes direct descriptor `sourceSlot` of this loop's ring into the file table of another ring (IORING_OP_MSG_RING
 * with IORING_MSG_SEND_FD, Linux 6.0); resolves to the target slot. The target gets a CQE with the given user_data
 * and res 0 (the slot chosen, with IORING_FILE_INDEX_ALLOC) unless `skipCqe`.
 *
 * @param loop The sending loop (its ring has a registered file table).
 * @param target The receiving ring (with a registered file table).
 * @param sourceSlot The slot in this ring's table.
 * @param options `targetSlot`, `userData`, `skipCqe`, `signal`, `timeoutMs`.
 * @returns The slot in the target's table.
 *
 * @example
 * ```ts
 * import { Loop, Ring } from "ringside-uring";
 * declare const loop: Loop, otherRing: Ring;
 * const slot = await msgRingFd(loop, otherRing, 0, { targetSlot: 3, userData: 99 }); // 3
 * ```
 */
export function msgRingFd(
  loop: Loop, target: RingTarget, sourceSlot: number, options: MsgRingFdOptions = {},
): Promise<number> {
  const slot = options.targetSlot ?? IORING_FILE_INDEX_ALLOC;
  const alloc = slot >>> 0 === IORING_FILE_INDEX_ALLOC;
  return run(loop, new PromiseOp("msg_ring", (sqe: Sqe) => {
    const fd = targetFd("msg_ring", target);
    checkFd("msg_ring", sourceSlot, "sourceSlot");
    if (!alloc) checkFd("msg_ring", slot, "targetSlot");
    const ud = options.userData ?? 0;
    if (!Number.isSafeInteger(ud) || ud < 0) refuse("msg_ring", "userData must be an integer 0-2^53");
    if (!options.skipCqe) checkMessageUserData("msg_ring", messageTarget(target), ud);
    prepMsgRingFd(sqe, fd, sourceSlot, slot, ud, options.skipCqe ? IORING_MSG_RING_CQE_SKIP : 0);
  }, { map: (res) => alloc ? res : slot }), options);
}
