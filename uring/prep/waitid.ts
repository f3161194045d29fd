/**
 * Waiting for child processes from the ring: waitid(2).
 *
 * The helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_WAITID } from "../abi/uapi.ts";
import { prepRw, W_FILE_INDEX, W_OFF, W_OP_FLAGS } from "./base.ts";
import { setU64Words } from "../abi/_u64.ts";

/**
 * Prepares waitid(2): completes when a child matching `idtype`/`id` changes state as `options` asks, filling the
 * `siginfo_t` at `infop`; the result is 0, or a negated errno (-ECHILD when no child matches). Matches liburing's
 * `io_uring_prep_waitid` (IORING_OP_WAITID, Linux 6.7).
 *
 * The fields are shuffled: `id` travels in `fd`, `idtype` in `len`, `options` in `file_index` and `infop` in
 * `addr2`, as liburing writes them.
 *
 * UNSAFE: the kernel writes `infop` (128 bytes); it must stay valid until the CQE arrives (or pass 0).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param idtype P_ALL (0), P_PID (1), P_PGID (2) or P_PIDFD (3).
 * @param id The process id, process group id or pidfd (unsigned 32-bit `id_t`); ignored with P_ALL.
 * @param infop The address of a `siginfo_t` (128 bytes), or 0.
 * @param options `W*` options: WEXITED 4, WSTOPPED 2 or WCONTINUED 8 (at least one), or-ed with WNOHANG 1 or
 *   WNOWAIT 0x1000000.
 * @param flags io_uring waitid flags: none are defined, pass 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, pid: number;
 *
 * const P_PID = 1, WEXITED = 4;
 * const info = NativeMemory.allocate(128);
 * prepWaitid(ring.getSqe()!, P_PID, pid, info.address, WEXITED, 0);
 * ```
 */
export function prepWaitid(sqe: Sqe, idtype: number, id: number, infop: number, options: number, flags: number): void {
  prepRw(IORING_OP_WAITID, sqe, id, 0, idtype, 0);
  sqe.u32[W_OP_FLAGS] = flags;
  sqe.u32[W_FILE_INDEX] = options;
  setU64Words(sqe.u32, W_OFF, infop); // addr2
}
