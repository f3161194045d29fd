/**
 * The epoll backend's timeouts, as io_uring/timeout.c has them:
 * - TIMEOUT: fires with -ETIME after its time (relative, or absolute with IORING_TIMEOUT_ABS, on CLOCK_MONOTONIC,
 *   BOOTTIME or REALTIME), or completes with 0 once `off` other completions were posted; with
 *   IORING_TIMEOUT_MULTISHOT it fires every interval (`off` times, or for ever) with IORING_CQE_F_MORE.
 * - LINK_TIMEOUT: guards the request before it in its chain: if that one is still running when it fires, it is
 *   cancelled (-ECANCELED) and the timeout completes with -ETIME; if that one finishes first, the timeout completes
 *   with -ECANCELED.
 * - TIMEOUT_REMOVE: removes a TIMEOUT by user_data (it completes with -ECANCELED), or with IORING_TIMEOUT_UPDATE
 *   (IORING_LINK_TIMEOUT_UPDATE) gives a TIMEOUT (LINK_TIMEOUT) a new time.
 *
 * @module
 */
import { EALREADY, EINVAL, ENOENT, ETIME } from "../abi/errno.ts";
import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME } from "../abi/timespec.ts";
import {
  IORING_LINK_TIMEOUT_UPDATE,
  IORING_OP_LINK_TIMEOUT,
  IORING_OP_TIMEOUT,
  IORING_OP_TIMEOUT_REMOVE,
  IORING_TIMEOUT_ABS,
  IORING_TIMEOUT_BOOTTIME,
  IORING_TIMEOUT_ETIME_SUCCESS,
  IORING_TIMEOUT_IMMEDIATE_ARG,
  IORING_TIMEOUT_MULTISHOT,
  IORING_TIMEOUT_REALTIME,
  IORING_TIMEOUT_UPDATE,
} from "../abi/uapi.ts";
import type { Engine, Handler } from "./_engine.ts";
import { type Req, ReqState } from "./_request.ts";

const TIMEOUT_FLAGS = IORING_TIMEOUT_ABS | IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME |
  IORING_TIMEOUT_ETIME_SUCCESS | IORING_TIMEOUT_MULTISHOT | IORING_TIMEOUT_IMMEDIATE_ARG;

/**
 * The deadline (monotonic ns) a timeout with `flags` and time argument `arg` (the timespec's address, or the
 * nanoseconds themselves with IORING_TIMEOUT_IMMEDIATE_ARG) means, and the interval it spans; or `-errno`.
 */
function deadline(e: Engine, flags: number, arg: number): [number, number] | number {
  const clocks = flags & (IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME);
  if (clocks === (IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME)) return -EINVAL;
  let sec: number;
  let nsec: number;
  if (flags & IORING_TIMEOUT_IMMEDIATE_ARG) {
    sec = Math.floor(arg / 1e9);
    nsec = arg - sec * 1e9;
  } else {
    // The kernel copies the timespec at prep (get_timespec64); the address is the request's memory meanwhile.
    const v = e.scratch.peek(arg, 16);
    sec = Number(v.getBigInt64(0, true));
    nsec = Number(v.getBigInt64(8, true));
    if (sec < 0 || nsec < 0 || nsec >= 1e9) return -EINVAL;
  }
  const now = e.timers.now();
  if (!(flags & IORING_TIMEOUT_ABS)) {
    const span = sec * 1e9 + nsec;
    return [now + span, span];
  }
  const clock = clocks === IORING_TIMEOUT_BOOTTIME
    ? CLOCK_BOOTTIME
    : clocks === IORING_TIMEOUT_REALTIME
    ? CLOCK_REALTIME
    : CLOCK_MONOTONIC;
  if (clock === CLOCK_MONOTONIC) return [sec * 1e9 + nsec, 0];
  // An absolute time on another clock: how far it is from now on that clock, from now on the monotonic one (in
  // seconds and nanoseconds apart, so a REALTIME value past 2^53 ns loses nothing).
  const [s, ns] = e.timers.clock(clock);
  return [now + (sec - s) * 1e9 + (nsec - ns), 0];
}

function timeout(e: Engine, r: Req): void {
  // io_uring/timeout.c __io_timeout_prep.
  if (r.bufIndex !== 0 || r.len !== 1 || r.fileIndex !== 0 || r.opFlags & ~TIMEOUT_FLAGS) {
    return e.complete(r, -EINVAL);
  }
  const multishot = (r.opFlags & IORING_TIMEOUT_MULTISHOT) !== 0;
  if (multishot && r.opFlags & IORING_TIMEOUT_ABS) return e.complete(r, -EINVAL);
  const d = deadline(e, r.opFlags, r.addr);
  if (typeof d === "number") return e.complete(r, d);
  const count = r.off >>> 0;
  r.multishot = multishot;
  r.intervalNs = d[1];
  r.repeats = multishot ? count : 0;
  if (!multishot && count > 0) {
    // Completion-count timeout: the sequence counts CQEs posted, less timeouts that fired by time.
    r.targetSeq = e.posted - e.timeoutsFired + count;
    e.watchCount(r);
    r.cleanup = (q) => e.unwatchCount(q);
  }
  if (r.opFlags & IORING_TIMEOUT_ETIME_SUCCESS) r.etimeSucceeds = true;
  e.arm(r, d[0], fireTimeout(e));
}

function fireTimeout(e: Engine): (r: Req) => void {
  const fire = (r: Req): void => {
    e.timeoutsFired++;
    if (r.multishot && (r.repeats === 0 || --r.repeats > 0)) {
      e.post(r, -ETIME, 0);
      // The next expiry follows the last (hrtimer_forward_now), not the time it was handled.
      if (r.state === ReqState.Done) return;
      e.arm(r, Math.max(r.deadline + r.intervalNs, e.timers.now()), fire);
      return;
    }
    e.complete(r, -ETIME);
  };
  return fire;
}

function linkTimeout(e: Engine, r: Req): void {
  if (r.bufIndex !== 0 || r.len !== 1 || r.fileIndex !== 0 || r.off !== 0) return e.complete(r, -EINVAL);
  if (r.opFlags & ~(TIMEOUT_FLAGS & ~IORING_TIMEOUT_MULTISHOT)) return e.complete(r, -EINVAL);
  const d = deadline(e, r.opFlags, r.addr);
  if (typeof d === "number") return e.complete(r, d);
  e.arm(r, d[0], (lt) => {
    const target = lt.linked;
    lt.linked = null;
    if (target === null) return e.complete(lt, -ETIME);
    target.linked = null;
    // io_uring/timeout.c io_req_task_link_timeout: the result is the cancellation's, -ETIME when it worked.
    const ret = e.tryCancel(target);
    e.complete(lt, ret === 0 ? -ETIME : ret);
  });
}

function timeoutRemove(e: Engine, r: Req): void {
  // io_uring/timeout.c io_timeout_remove_prep/io_timeout_remove.
  if (r.bufIndex !== 0 || r.len !== 0 || r.fileIndex !== 0) return e.complete(r, -EINVAL);
  const update = r.opFlags & (IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
  if (update === (IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE)) return e.complete(r, -EINVAL);
  if (!update) {
    if (r.opFlags !== 0 || r.off !== 0) return e.complete(r, -EINVAL);
    const target = e.find((q) => q.opcode === IORING_OP_TIMEOUT && q.hasUserData(r.addrLo, r.addrHi));
    if (target === undefined) return e.complete(r, -ENOENT);
    const ret = e.tryCancel(target);
    return e.complete(r, ret === -ENOENT ? -EALREADY : ret);
  }
  const wanted = update === IORING_TIMEOUT_UPDATE ? IORING_OP_TIMEOUT : IORING_OP_LINK_TIMEOUT;
  const target = e.find((q) => q.opcode === wanted && q.hasUserData(r.addrLo, r.addrHi));
  if (target === undefined || target.state !== ReqState.Timed) return e.complete(r, -ENOENT);
  const flags = r.opFlags & ~(IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE);
  const d = deadline(e, flags, r.off);
  if (typeof d === "number") return e.complete(r, d);
  e.timers.remove(target);
  target.intervalNs = d[1];
  e.timers.add(target, d[0]);
  e.complete(r, 0);
}

/** The handlers of this file, by opcode. */
export const TIME_HANDLERS: readonly (readonly [number, Handler])[] = [
  [IORING_OP_TIMEOUT, timeout],
  [IORING_OP_LINK_TIMEOUT, linkTimeout],
  [IORING_OP_TIMEOUT_REMOVE, timeoutRemove],
];
