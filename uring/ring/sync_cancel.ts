/**
 * Synchronous cancellation: `io_uring_register(2)` with IORING_REGISTER_SYNC_CANCEL, which cancels in-flight
 * requests and returns once they have completed, where IORING_OP_ASYNC_CANCEL is itself a request whose CQE says
 * only that cancellation was started.
 *
 * @example
 * ```ts
 * import { IORING_ASYNC_CANCEL_ALL } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * declare const sock: number;
 *
 * registerSyncCancel(ring, { fd: sock, flags: IORING_ASYNC_CANCEL_ALL }); // every request on sock, done
 * ```
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import { checkFd, checkU32, checkU64 } from "../core/_validate.ts";
import { putU64 } from "../abi/_u64.ts";
import { writeTimespecNs } from "../abi/timespec.ts";
import {
  __kernel_timespec,
  io_uring_sync_cancel_reg,
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_ASYNC_CANCEL_FD,
  IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_OP,
  IORING_ASYNC_CANCEL_USERDATA,
  IORING_REGISTER_SYNC_CANCEL,
} from "../abi/uapi.ts";
import { live } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import type { Ring } from "./ring.ts";

/** What {@link registerSyncCancel} matches and how long it waits. */
export interface SyncCancelOptions {
  /** Match requests with this user_data (the default key when neither `fd` nor `opcode` is given). */
  userData?: number | bigint | undefined;
  /** Match requests on this file descriptor (IORING_ASYNC_CANCEL_FD). */
  fd?: number | undefined;
  /** `fd` is a registered file index (IORING_ASYNC_CANCEL_FD_FIXED). */
  fixedFile?: boolean | undefined;
  /** Match requests with this opcode (IORING_ASYNC_CANCEL_OP, Linux 6.6). */
  opcode?: number | undefined;
  /** Further `IORING_ASYNC_CANCEL_*` flags: ALL (every match, not the first) or ANY (every request). */
  flags?: number | undefined;
  /** Give up waiting for the cancelled requests to finish after this many nanoseconds (-ETIME). Default: wait. */
  timeoutNs?: number | undefined;
}

/**
 * Cancels in-flight requests and waits until they have completed (their CQEs, usually with -ECANCELED, are in
 * the CQ when this returns). Keys combine: `userData`, `fd` and `opcode` must all match when given (USERDATA is
 * added to the flags when user_data is combined with another key). Returns how many requests were cancelled: 1
 * without IORING_ASYNC_CANCEL_ALL/ANY, the count with them. Throws ENOENT when nothing matched, EALREADY/ETIME
 * when a request could not be cancelled in time. Matches liburing's `io_uring_register_sync_cancel` (Linux 6.0).
 *
 * @example
 * ```ts
 * import { IORING_ASYNC_CANCEL_ALL } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * declare const sock: number;
 * registerSyncCancel(ring, { userData: 42 }); // 1; the CQE for 42 carries -ECANCELED
 * registerSyncCancel(ring, { fd: sock, flags: IORING_ASYNC_CANCEL_ALL }); // every request on sock
 * ```
 */
export function registerSyncCancel(ring: Ring, options: SyncCancelOptions): number {
  const op = "cancel synchronously (IORING_REGISTER_SYNC_CANCEL)";
  live(ring, op);
  const o = options ?? {};
  let flags = o.flags ?? 0;
  const known = IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD |
    IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP;
  checkU32(op, flags, "flags");
  if ((flags & ~known) !== 0) refuse(op, `flags must be IORING_ASYNC_CANCEL_* bits, got ${flags}`);
  if (flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED) && o.fd === undefined) {
    refuse(op, "IORING_ASYNC_CANCEL_FD and _FD_FIXED need fd");
  }
  if (o.userData !== undefined) checkU64(op, o.userData, "userData");
  if (o.fd !== undefined) {
    checkFd(op, o.fd);
    flags |= IORING_ASYNC_CANCEL_FD | (o.fixedFile ? IORING_ASYNC_CANCEL_FD_FIXED : 0);
  } else if (o.fixedFile) refuse(op, "fixedFile needs fd");
  if (o.opcode !== undefined) {
    checkU32(op, o.opcode, "opcode", 0xff);
    flags |= IORING_ASYNC_CANCEL_OP;
  }
  if (o.userData !== undefined && flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP)) {
    flags |= IORING_ASYNC_CANCEL_USERDATA;
  }
  if (o.userData === undefined && !(flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP |
    IORING_ASYNC_CANCEL_ANY))) {
    refuse(op, "say what to cancel: userData, fd, opcode, or IORING_ASYNC_CANCEL_ANY");
  }
  const arg = new Uint8Array(io_uring_sync_cancel_reg.SIZE);
  const v = new DataView(arg.buffer);
  putU64(v, io_uring_sync_cancel_reg.addr, o.userData ?? 0);
  v.setInt32(io_uring_sync_cancel_reg.fd, o.fd ?? -1, true);
  v.setUint32(io_uring_sync_cancel_reg.flags, flags, true);
  const ts = io_uring_sync_cancel_reg.timeout;
  if (o.timeoutNs === undefined) {
    // { -1, -1 }: no timeout (io_uring/cancel.c io_sync_cancel).
    v.setBigInt64(ts + __kernel_timespec.tv_sec, -1n, true);
    v.setBigInt64(ts + __kernel_timespec.tv_nsec, -1n, true);
  } else {
    if (!Number.isFinite(o.timeoutNs) || o.timeoutNs < 0) refuse(op, `timeoutNs must be >= 0, got ${o.timeoutNs}`);
    writeTimespecNs(v, ts, o.timeoutNs);
  }
  arg[io_uring_sync_cancel_reg.opcode] = o.opcode ?? 0;
  const res = checkRegister(ring.register(IORING_REGISTER_SYNC_CANCEL, arg, 1), IORING_REGISTER_SYNC_CANCEL, op, {
    ENOENT: "no in-flight request matched",
    EALREADY: "a matching request is running and could not be interrupted before the timeout",
    ETIME: "the timeout passed before the cancelled requests completed",
  }, [
    { used: (flags & IORING_ASYNC_CANCEL_OP) !== 0, what: "IORING_ASYNC_CANCEL_OP (matching by opcode)", since: "6.6" },
    {
      used: (flags & IORING_ASYNC_CANCEL_USERDATA) !== 0,
      what: "IORING_ASYNC_CANCEL_USERDATA (matching user_data together with fd or opcode)",
      since: "6.6",
    },
  ]);
  return flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY) ? res : 1;
}
