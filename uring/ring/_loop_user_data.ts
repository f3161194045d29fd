/**
 * How a Loop lays out user_data, kept in the ring layer so that everything that can send a CQE to a ring (MSG_RING
 * from a loop or from a plain ring) checks against it without importing the loop: operations carry generation x
 * 2^24 + slot, messages for a loop's inbox carry MESSAGE_BASE + tag.
 *
 * @module
 */
import { refuse } from "../core/errors.ts";

/** user_data at and above this value (below 2^53 - 1) are messages, not operations. */
export const MESSAGE_BASE = 2 ** 52;

/**
 * A Loop's operations carry user_data from here up to {@link MESSAGE_BASE} (generation x 2^24 + slot, generations
 * from 1): a CQE with such a value is taken for the final completion of the operation in that slot.
 */
export const OPERATION_USER_DATA_MIN = 2 ** 24;

// The rings Loops own, so a message aimed at one can be checked (a ring given as a number cannot be told apart).
const loopRings = new WeakSet<object>();

/** Called by a Loop for its ring. */
export function markLoopRing(ring: object): void {
  loopRings.add(ring);
}

/**
 * Refuses a message whose user_data would pass for one of a Loop's operations (from
 * {@link OPERATION_USER_DATA_MIN} up to {@link MESSAGE_BASE}) when the target ring may be a Loop's: a Loop's ring, or
 * a ring known only by its fd. The receiving loop would complete that operation while the kernel still works on it,
 * and free or reuse memory the kernel then writes. Values below 2^24 reach a loop as stale completions (counted,
 * ignored), values from `messageUserData()` reach its inbox; a plain Ring object takes any user_data.
 *
 * @param operation What is being done, for the error.
 * @param target The receiving ring, or its fd.
 * @param userData The user_data the message carries.
 */
export function checkMessageUserData(operation: string, target: object | number, userData: number | bigint): void {
  if (typeof target !== "number" && !loopRings.has(target)) return;
  const ud = Number(userData);
  if (ud >= OPERATION_USER_DATA_MIN && ud < MESSAGE_BASE) {
    refuse(operation, `user_data ${userData} is in the range of a Loop's operations (2^24 to 2^52): ` +
      "the target (a Loop's ring, or a ring given by fd) would take it for the completion of an operation still in " +
      "the kernel. Use messageUserData(tag) for a loop's inbox, or a value below 2^24");
  }
}

