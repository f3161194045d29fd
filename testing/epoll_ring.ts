/**
 * Submitting to and reaping from an EpollRing (uring/epoll) in its tests, the way a caller of io_uring does:
 * get an SQE, prep it, tag it with user data; submit, then wait and drain until the CQEs came.
 *
 * @module
 */
import type { EpollRing } from "../uring/epoll/mod.ts";
import { type Sqe, sqeSetData } from "../uring/ring/sqe.ts";

/** A CQE as the tests compare it. */
export type Cqe = [userData: number, res: number, flags: number];

/**
 * Takes an SQE from `ring`, has `prep` fill it, and sets its user data (the SQ must have room).
 *
 * @example
 * ```ts
 * import { EpollRing } from "../uring/epoll/mod.ts";
 * import { prepNop } from "../uring/prep/mod.ts";
 *
 * const ring = new EpollRing(8);
 * put(ring, (sqe) => prepNop(sqe), 1);
 * console.log(collect(ring, 1)); // [[1, 0, 0]]
 * ring.close();
 * ```
 */
export function put(ring: EpollRing, prep: (sqe: Sqe) => void, userData: number): void {
  const sqe = ring.getSqe()!;
  prep(sqe);
  sqeSetData(sqe, userData);
}

/**
 * Submits, then waits (five seconds at most) until `n` CQEs arrived; returns them in order.
 *
 * @example
 * ```ts
 * import { EpollRing } from "../uring/epoll/mod.ts";
 * import { prepNop } from "../uring/prep/mod.ts";
 *
 * const ring = new EpollRing(8);
 * put(ring, (sqe) => prepNop(sqe), 7);
 * console.log(collect(ring, 1)[0]); // [7, 0, 0]
 * ring.close();
 * ```
 */
export function collect(ring: EpollRing, n: number): Cqe[] {
  const out: Cqe[] = [];
  const deadline = performance.now() + 5000;
  ring.submit();
  while (out.length < n && performance.now() < deadline) {
    ring.submitAndWait(1, { timeoutNs: 20e6 });
    ring.drain((ud, res, flags) => void out.push([ud, res, flags]));
  }
  return out;
}
