/**
 * Posting a CQE on a ring from anywhere: `io_uring_register(2)` with IORING_REGISTER_SEND_MSG_RING, a MSG_RING
 * that needs no ring of the sender's own (a thread without one, a signal handler's helper, a process that only has
 * the target's fd).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 *
 * const ring = new Ring(8);
 * registerSyncMsg(ring, { userData: 9, res: 123 });
 * ring.forEachCqe((userData, res) => console.log(userData, res)); // 9 123
 * ring.close();
 * ```
 *
 * @module
 */
import { liburing } from "../../ffi/mod.ts";
import { check, refuse } from "../core/errors.ts";
import { checkInt, checkU32, checkU64, U32_MAX } from "../core/_validate.ts";
import { putU64 } from "../abi/_u64.ts";
import {
  io_uring_sqe,
  IORING_MSG_DATA,
  IORING_MSG_RING_FLAGS_PASS,
  IORING_OP_MSG_RING,
  IORING_REGISTER_SEND_MSG_RING,
} from "../abi/uapi.ts";
import { checkMessageUserData } from "../ring/_loop_user_data.ts";
import { live } from "./_register.ts";
import type { Ring } from "./ring.ts";

/** The CQE {@link registerSyncMsg} posts on the target ring. */
export interface SyncMsgOptions {
  /** user_data of the posted CQE. */
  userData: number | bigint;
  /** res of the posted CQE (an i32). */
  res: number;
  /** flags of the posted CQE (IORING_MSG_RING_FLAGS_PASS); default 0. */
  flags?: number | undefined;
}

/**
 * Posts a CQE on `target` from any thread, without a ring of one's own: IORING_REGISTER_SEND_MSG_RING with fd -1
 * and a MSG_RING (IORING_MSG_DATA) SQE. The target must be enabled and have a file descriptor. Matches liburing's
 * `io_uring_register_sync_msg` (Linux 6.13).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * registerSyncMsg(ring, { userData: 9, res: 123 }); // ring gets a CQE { user_data 9, res 123 }
 * ```
 */
export function registerSyncMsg(target: Ring, options: SyncMsgOptions): void {
  const op = "send a message to a ring (IORING_REGISTER_SEND_MSG_RING)";
  live(target, op);
  if (target.fd < 0) refuse(op, "the target ring has no file descriptor (REGISTERED_FD_ONLY)");
  const { userData, res } = options ?? {} as SyncMsgOptions;
  checkU64(op, userData, "userData");
  checkMessageUserData(op, target, userData);
  checkInt(op, res, -0x80000000, 0x7fffffff, "res");
  const flags = options.flags ?? 0;
  checkU32(op, flags, "flags");
  const sqe = new Uint8Array(io_uring_sqe.SIZE);
  const v = new DataView(sqe.buffer);
  sqe[io_uring_sqe.opcode] = IORING_OP_MSG_RING;
  v.setInt32(io_uring_sqe.fd, target.fd, true);
  putU64(v, io_uring_sqe.addr, IORING_MSG_DATA);
  v.setInt32(io_uring_sqe.len, res, true);
  putU64(v, io_uring_sqe.off, userData);
  if (flags) {
    v.setUint32(io_uring_sqe.msg_ring_flags, IORING_MSG_RING_FLAGS_PASS, true);
    v.setUint32(io_uring_sqe.file_index, flags, true);
  }
  // fd -1 (as u32): a "blind" register opcode that needs no ring (io_uring/register.c io_uring_register_blind).
  const r = liburing().fn.io_uring_register(U32_MAX, IORING_REGISTER_SEND_MSG_RING, sqe, 1);
  check(r, op, {
    EBADFD: "the target ring is disabled (R_DISABLED) or not an io_uring",
    EOVERFLOW: "the target's CQ is full",
    EINVAL: "this kernel lacks IORING_REGISTER_SEND_MSG_RING (Linux 6.13)",
  });
}
