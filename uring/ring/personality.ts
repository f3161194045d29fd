/**
 * Personalities: `io_uring_register(2)` with IORING_REGISTER_PERSONALITY and UNREGISTER_PERSONALITY. A
 * personality is a set of credentials registered with the ring; an SQE naming it runs with those credentials
 * instead of the submitting thread's.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 *
 * const ring = new Ring(8);
 * const id = registerPersonality(ring); // this thread's credentials, as they are now
 * unregisterPersonality(ring, id);
 * ring.close();
 * ```
 *
 * @module
 */
import { checkU32 } from "../core/_validate.ts";
import { IORING_REGISTER_PERSONALITY, IORING_UNREGISTER_PERSONALITY } from "../abi/uapi.ts";
import { live } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import type { Ring } from "./ring.ts";

/**
 * Registers the calling thread's current credentials with the ring and returns their ID (1..65535), which an SQE
 * can name (`sqeSetPersonality`) to run with these credentials. Matches liburing's
 * `io_uring_register_personality` (Linux 5.6).
 *
 * @example
 * ```ts
 * import { Ring, type Sqe, sqeSetPersonality } from "ringside-uring/ring";
 * declare const ring: Ring;
 * declare const sqe: Sqe;
 * const id = registerPersonality(ring);
 * sqeSetPersonality(sqe, id);
 * ```
 */
export function registerPersonality(ring: Ring): number {
  const op = "register a personality (IORING_REGISTER_PERSONALITY)";
  live(ring, op);
  return checkRegister(ring.register(IORING_REGISTER_PERSONALITY, null, 0), IORING_REGISTER_PERSONALITY, op);
}

/**
 * Unregisters the personality `id`. Throws EINVAL for an unknown ID. Matches liburing's
 * `io_uring_unregister_personality` (Linux 5.6).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const id: number;
 * declare const ring: Ring;
 * unregisterPersonality(ring, id);
 * ```
 */
export function unregisterPersonality(ring: Ring, id: number): void {
  const op = "unregister a personality (IORING_UNREGISTER_PERSONALITY)";
  live(ring, op);
  checkU32(op, id, "id", 0xffff);
  checkRegister(ring.register(IORING_UNREGISTER_PERSONALITY, null, id), IORING_UNREGISTER_PERSONALITY, op, {
    EINVAL: `no personality ${id} is registered`,
  });
}
