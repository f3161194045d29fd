/**
 * Waiting for child processes from the ring: waitid(2).
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_WAITID } from "../abi/uapi.ts";
import { prepRw, setU64, W_FILE_INDEX, W_OFF, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares waitid(2): completes when a child matching `idtype`/`id` changes state as `options` asks, filling the
 * `siginfo_t` at `infop`. Matches liburing's `io_uring_prep_waitid` (Linux 6.7).
 *
 * UNSAFE: the kernel writes `infop` (128 bytes); it must stay valid until the CQE arrives (or pass 0).
 *
 * @param sqe The SQE to fill.
 * @param idtype P_ALL (0), P_PID (1), P_PGID (2) or P_PIDFD (3).
 * @param id The process, group or pidfd (unsigned 32-bit `id_t`), stored in `fd`.
 * @param infop The address of a `siginfo_t`, or 0.
 * @param options `W*` options (WEXITED 4, WSTOPPED 2, WCONTINUED 8, WNOHANG 1, WNOWAIT 0x1000000), stored in
 *   `file_index`.
 * @param flags io_uring waitid flags: none are defined, pass 0.
 *
 * @example
 * ```ts
 * const P_PID = 1, WEXITED = 4;
 * prepWaitid(ring.getSqe()!, P_PID, pid, info.address, WEXITED, 0);
 * ```
 */
export function prepWaitid(sqe: Sqe, idtype: number, id: number, infop: number, options: number, flags: number): void {
  prepRw(IORING_OP_WAITID, sqe, id, 0, idtype, 0);
  sqe.u32[W_OP_FLAGS] = flags;
  sqe.u32[W_FILE_INDEX] = options;
  setU64(sqe.u32, W_OFF, infop); // addr2
}
