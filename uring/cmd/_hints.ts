/**
 * Explanations for the errnos a driver answers uring_cmds with, attached to the rejection (internal to the
 * uring_cmd families).
 *
 * @module
 */
import { UringError } from "../core/errors.ts";

/**
 * Rejections whose errno has a known explanation get it: `hints` maps errno names to what to do. Anything else
 * passes through unchanged.
 *
 * @param promise The operation's promise.
 * @param hints Errno name to explanation.
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp, prepNop } from "ringside-uring";
 *
 * const loop = new Loop();
 * const op = loop.submit(new PromiseOp("nop", (sqe) => prepNop(sqe)));
 * await withHints(op.promise, { EOPNOTSUPP: "AF_UNIX sockets have no ioctl handler" });
 * ```
 */
export function withHints<T>(promise: Promise<T>, hints: Readonly<Record<string, string>>): Promise<T> {
  return promise.catch((e: unknown) => {
    if (e instanceof UringError && e.errno !== 0 && hints[e.code]) {
      throw new UringError(e.operation, e.errno, hints[e.code], { cause: e });
    }
    throw e;
  });
}
