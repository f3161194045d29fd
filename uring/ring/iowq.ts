/**
 * The async worker pool (io-wq) behind a ring's blocking requests: `io_uring_register(2)` with
 * IORING_REGISTER_IOWQ_AFF, UNREGISTER_IOWQ_AFF and IOWQ_MAX_WORKERS, which pin the workers to CPUs and bound how
 * many there are. The pool belongs to the calling thread, so the settings apply to every ring it submits on.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 *
 * const ring = new Ring(8);
 * const [bounded, unbounded] = registerIowqMaxWorkers(ring, [0, 0]); // 0: only read the limits
 * registerIowqMaxWorkers(ring, [4, unbounded]);
 * console.log(bounded);
 * ring.close();
 * ```
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { cpus as osCpus } from "node:os";
import { refuse } from "../core/errors.ts";
import { checkU32 } from "../core/_validate.ts";
import { IORING_REGISTER_IOWQ_AFF, IORING_REGISTER_IOWQ_MAX_WORKERS, IORING_UNREGISTER_IOWQ_AFF } from "../abi/uapi.ts";
import { live } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import type { Ring } from "./ring.ts";

/**
 * Pins the ring's async worker threads (io-wq, or the SQPOLL thread's workers) to `cpus`. The workers are per
 * thread and shared by every ring of the calling thread. Matches liburing's `io_uring_register_iowq_aff`
 * (Linux 5.14).
 *
 * @param cpus CPU numbers (at least one), as in a cpu_set_t.
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * registerIowqAff(ring, [0, 1]);
 * ```
 */
export function registerIowqAff(ring: Ring, cpus: readonly number[]): void {
  const op = "set io-wq CPU affinity (IORING_REGISTER_IOWQ_AFF)";
  live(ring, op);
  if (!Array.isArray(cpus) || cpus.length === 0) refuse(op, "give at least one CPU");
  const possible = possibleCpus();
  for (const c of cpus) {
    checkU32(op, c, "a CPU number", 8191);
    // The kernel reads only the mask's bits for CPUs that can exist: a larger number would silently drop out.
    if (c >= possible) refuse(op, `CPU ${c} does not exist on this machine (CPUs 0 to ${possible - 1})`);
  }
  const words = Math.floor(Math.max(...cpus) / 64) + 1;
  const mask = new Uint8Array(words * 8);
  for (const c of cpus) mask[c >> 3]! |= 1 << (c & 7); // c < 64 * words: in bounds
  checkRegister(ring.register(IORING_REGISTER_IOWQ_AFF, mask, mask.length), IORING_REGISTER_IOWQ_AFF, op, {
    EINVAL: "a CPU is not in this thread's allowed set, or this thread has no io-wq yet",
  });
}

/** How many CPUs this machine can have (nr_cpu_ids): the last number of /sys/devices/system/cpu/possible, plus 1. */
function possibleCpus(): number {
  try {
    const text = readFileSync("/sys/devices/system/cpu/possible", "utf8").trim(); // "0-1", "0-3,8-11", "0"
    const last = Number(text.split(/[,-]/).at(-1));
    if (Number.isInteger(last) && last >= 0) return last + 1;
  } catch {
    // no sysfs: fall back to the CPUs the runtime sees
  }
  return Math.max(1, osCpus().length);
}

/**
 * Lets the ring's async workers run on any CPU again. Matches liburing's `io_uring_unregister_iowq_aff`
 * (Linux 5.14).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * unregisterIowqAff(ring);
 * ```
 */
export function unregisterIowqAff(ring: Ring): void {
  const op = "clear io-wq CPU affinity (IORING_UNREGISTER_IOWQ_AFF)";
  live(ring, op);
  checkRegister(ring.register(IORING_UNREGISTER_IOWQ_AFF, null, 0), IORING_UNREGISTER_IOWQ_AFF, op);
}

/**
 * Sets the most io-wq workers for bounded work (regular files, block devices) and unbounded work (sockets, pipes)
 * and returns the previous limits as `[bounded, unbounded]`; 0 leaves a limit unchanged, so `[0, 0]` only reads
 * them. The limits apply to every ring of the calling thread. Matches liburing's
 * `io_uring_register_iowq_max_workers` (Linux 5.15).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * const [bounded, unbounded] = registerIowqMaxWorkers(ring, [0, 0]); // read only
 * registerIowqMaxWorkers(ring, [4, 16]);
 * ```
 */
export function registerIowqMaxWorkers(ring: Ring, values: readonly [number, number]): [number, number] {
  const op = "set io-wq max workers (IORING_REGISTER_IOWQ_MAX_WORKERS)";
  live(ring, op);
  if (!Array.isArray(values) || values.length !== 2) refuse(op, "give [bounded, unbounded]");
  checkU32(op, values[0], "the bounded limit", 0x7fffffff);
  checkU32(op, values[1], "the unbounded limit", 0x7fffffff);
  const arg = Uint32Array.of(values[0], values[1]);
  checkRegister(ring.register(IORING_REGISTER_IOWQ_MAX_WORKERS, arg, 2), IORING_REGISTER_IOWQ_MAX_WORKERS, op);
  return [arg[0]!, arg[1]!];
}
