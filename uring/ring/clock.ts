/**
 * The clock of a ring's waits: `io_uring_register(2)` with IORING_REGISTER_CLOCK. Wait timeouts
 * (`submitAndWait(n, { timeoutNs })`, absolute with `absolute: true`) run on CLOCK_MONOTONIC unless the ring is
 * given CLOCK_BOOTTIME, which keeps counting while the machine is suspended.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * import { CLOCK_BOOTTIME } from "ringside-uring/abi";
 *
 * const ring = new Ring(8);
 * registerClock(ring, CLOCK_BOOTTIME);
 * ring.close();
 * ```
 *
 * @module
 */
import { checkU32 } from "../core/_validate.ts";
import { io_uring_clock_register, IORING_REGISTER_CLOCK } from "../abi/uapi.ts";
import { live } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import type { Ring } from "./ring.ts";

/**
 * Chooses the clock of the ring's wait timeouts (io_uring_enter with EXT_ARG, absolute with
 * IORING_ENTER_ABS_TIMER): `CLOCK_MONOTONIC` (the default) or `CLOCK_BOOTTIME`; others are EINVAL.
 * Matches liburing's `io_uring_register_clock` (Linux 6.12).
 *
 * @example
 * ```ts
 * import { CLOCK_BOOTTIME } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * registerClock(ring, CLOCK_BOOTTIME);
 * ```
 */
export function registerClock(ring: Ring, clockid: number): void {
  const op = "set the wait clock (IORING_REGISTER_CLOCK)";
  live(ring, op);
  checkU32(op, clockid, "clockid", 0x7fffffff);
  const arg = new Uint32Array(io_uring_clock_register.SIZE / 4);
  arg[io_uring_clock_register.clockid / 4] = clockid;
  checkRegister(ring.register(IORING_REGISTER_CLOCK, arg, 0), IORING_REGISTER_CLOCK, op, {
    EINVAL: "only CLOCK_MONOTONIC (1) and CLOCK_BOOTTIME (7) are accepted",
  });
}
