/**
 * Waiting for child processes on a {@link Loop}: `waitid` (IORING_OP_WAITID, waitid(2)) with its `P_*` id types,
 * `W*` options and the `CLD_*` codes of the parsed `siginfo_t`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { spawn } from "node:child_process";
 * const loop = new Loop();
 * const child = spawn("true");
 * const info = await waitid(loop, P_PID, child.pid!, WEXITED | WNOWAIT);
 * console.log(info?.code === CLD_EXITED, info?.status); // true 0
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type OpOptions, PromiseOp } from "../loop/operation.ts";
import type { Chunk } from "../loop/_arena.ts";
import { run } from "../loop/start.ts";
import { checkU32 } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepWaitid } from "../prep/waitid.ts";

/** waitid idtype: any child. */
export const P_ALL = 0;
/** waitid idtype: the child with this pid. */
export const P_PID = 1;
/** waitid idtype: any child in this process group. */
export const P_PGID = 2;
/** waitid idtype: the child this pidfd refers to (Linux 5.4). */
export const P_PIDFD = 3;
/** waitid option: return at once when no child changed state. */
export const WNOHANG = 0x1;
/** waitid option: report stopped children. */
export const WSTOPPED = 0x2;
/** waitid option: report terminated children. */
export const WEXITED = 0x4;
/** waitid option: report children continued by SIGCONT. */
export const WCONTINUED = 0x8;
/** waitid option: leave the child waitable (a zombie stays a zombie). */
export const WNOWAIT = 0x1000000;
/** siginfo si_code: the child exited (si_status is its exit code). */
export const CLD_EXITED = 1;
/** siginfo si_code: the child was killed (si_status is the signal). */
export const CLD_KILLED = 2;
/** siginfo si_code: the child was killed and dumped core. */
export const CLD_DUMPED = 3;
/** siginfo si_code: a traced child trapped. */
export const CLD_TRAPPED = 4;
/** siginfo si_code: the child stopped (si_status is the signal). */
export const CLD_STOPPED = 5;
/** siginfo si_code: the child continued. */
export const CLD_CONTINUED = 6;

/** The `siginfo_t` fields waitid fills for SIGCHLD. */
export interface WaitidResult {
  /** si_signo: SIGCHLD (17). */
  signo: number;
  /** si_code: CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED ... */
  code: number;
  /** si_pid: the child. */
  pid: number;
  /** si_uid: its real user id. */
  uid: number;
  /** si_status: the exit code (CLD_EXITED) or the signal. */
  status: number;
}

/** sizeof(siginfo_t). */
const SIGINFO_SIZE = 128;

/**
 * Waits for a child process to change state (IORING_OP_WAITID, Linux 6.7), as waitid(2); resolves to the parsed
 * `siginfo_t`, or null with WNOHANG when no child had changed state. The siginfo lives in an arena chunk.
 *
 * @param loop The loop.
 * @param idtype P_PID, P_PGID, P_PIDFD or P_ALL.
 * @param id The pid, process group or pidfd (ignored for P_ALL).
 * @param waitOptions WEXITED (default), WSTOPPED, WCONTINUED, optionally WNOHANG and WNOWAIT.
 * @param options `signal`, `timeoutMs`.
 * @returns What happened to the child, or null.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, child: { pid: number };
 * const info = await waitid(loop, P_PID, child.pid, WEXITED);
 * if (info?.code === CLD_EXITED) console.log("exit code", info.status);
 * ```
 */
export function waitid(
  loop: Loop, idtype: number, id: number, waitOptions = WEXITED, options: OpOptions = {},
): Promise<WaitidResult | null> {
  let info: Chunk;
  return run(loop, new PromiseOp<WaitidResult | null>("waitid", (sqe: Sqe, o) => {
    checkU32("waitid", idtype, "idtype");
    checkU32("waitid", id, "id");
    info = o.chunk(loop, SIGINFO_SIZE);
    prepWaitid(sqe, idtype, id, info.address, checkU32("waitid", waitOptions, "waitOptions"), 0);
  }, {
    map: () => {
      // siginfo_t for SIGCHLD (include/uapi/asm-generic/siginfo.h): si_signo@0, si_code@8, si_pid@16, si_uid@20,
      // si_status@24.
      const v = info.view;
      const pid = v.getInt32(16, true);
      if (pid === 0) return null; // WNOHANG and nothing to report: the kernel zeroed si_pid
      return { signo: v.getInt32(0, true), code: v.getInt32(8, true), pid, uid: v.getUint32(20, true),
        status: v.getInt32(24, true) };
    },
  }), options);
}
