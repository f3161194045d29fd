/**
 * The one error class for setup, register and enter failures: it carries the errno name, the operation, and
 * what to do about it.
 *
 * @module
 */
import { errnoMessage, errnoName } from "../../ffi/mod.ts";

/**
 * A failed io_uring system call or a refusal by ringside before the call.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * try {
 *   new Ring(8, { flags: 1 << 30 }); // a flag this kernel does not know
 * } catch (e) {
 *   if (e instanceof UringError) console.log(e.code, e.message); // "EINVAL" "Cannot set up io_uring: EINVAL ..."
 * }
 * ```
 */
export class UringError extends Error {
  /** The errno name (`"EINVAL"`), or `"ERINGSIDE"` for a refusal by ringside itself. */
  readonly code: string;
  /** The positive errno number, or 0 for a refusal by ringside itself. */
  readonly errno: number;
  /** The operation that failed (`"io_uring_setup"`, `"IORING_REGISTER_BUFFERS"`). */
  readonly operation: string;

  constructor(operation: string, errno: number, detail?: string, options?: ErrorOptions) {
    const n = Math.abs(errno);
    const what = n === 0 ? "" : `${errnoName(n)} (${errnoMessage(n)})`;
    super(`Cannot ${operation}: ${[what, detail].filter(Boolean).join(": ")}`, options);
    this.name = "UringError";
    this.code = n === 0 ? "ERINGSIDE" : errnoName(n);
    this.errno = n;
    this.operation = operation;
  }
}

/** Throws a {@link UringError} for a ringside refusal: bad input caught before it reaches the kernel. */
export function refuse(operation: string, detail: string): never {
  throw new UringError(operation, 0, detail);
}

/**
 * Returns `res` when it is not negative, otherwise throws a {@link UringError} naming its errno, with `hints`
 * giving what to do for particular errnos.
 */
export function check(res: number, operation: string, hints?: Readonly<Record<string, string>>): number {
  if (res >= 0) return res;
  throw new UringError(operation, -res, hints?.[errnoName(-res)]);
}
