/**
 * Moving bytes between descriptors without copying them through user memory, on a {@link Loop}: `splice`
 * (splice(2); one end is a pipe) and `tee` (tee(2); pipe to pipe, without consuming). The `SPLICE_F_*` flags are
 * in `constants.ts`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { close, open, pipe } from "ringside-uring/fs";
 * const loop = new Loop();
 * const file = await open(loop, "/etc/hostname");
 * const [r, w] = await pipe(loop);
 * console.log(await splice(loop, file, 0, w, -1, 4096) > 0); // the file's bytes are in the pipe
 * for (const fd of [file, r, w]) await close(loop, fd);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { checkFd, checkOffset, checkU32 } from "../core/_validate.ts";
import { SPLICE_F_FD_IN_FIXED } from "../abi/uapi.ts";
import { prepSplice, prepTee } from "../prep/splice.ts";
import { FsOp, setFixed } from "./_fs_op.ts";

/** Options of {@link splice} and {@link tee}. */
export interface SpliceOptions extends OpOptions {
  /** `fdIn` is a direct descriptor (SPLICE_F_FD_IN_FIXED). */
  fixedIn?: boolean | undefined;
  /** `fdOut` is a direct descriptor (IOSQE_FIXED_FILE). */
  fixedOut?: boolean | undefined;
}

/**
 * Moves up to `nbytes` from `fdIn` to `fdOut` without copying through user memory, like splice(2); one of them
 * must be a pipe, and a pipe's offset must be -1. Resolves to the bytes moved (0: end of input).
 * IORING_OP_SPLICE, Linux 5.7.
 *
 * @param loop The loop.
 * @param fdIn Where the bytes come from.
 * @param offIn The offset in `fdIn`, or -1 (a pipe, or the file position).
 * @param fdOut Where they go.
 * @param offOut The offset in `fdOut`, or -1.
 * @param nbytes The most bytes to move.
 * @param flags `SPLICE_F_*` bits.
 * @param options `fixedIn`, `fixedOut`, `signal`, `timeoutMs`.
 * @returns The bytes moved.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { pipe } from "ringside-uring/fs";
 * declare const loop: Loop, fileFd: number;
 * const [r, w] = await pipe(loop);
 * const n = await splice(loop, fileFd, 0, w, -1, 65536);
 * ```
 */
export function splice(
  loop: Loop, fdIn: number, offIn: number, fdOut: number, offOut: number, nbytes: number, flags = 0,
  options?: SpliceOptions,
): Promise<number> {
  return run(loop, () => {
    checkFd("splice", fdIn, "fdIn");
    checkFd("splice", fdOut, "fdOut");
    checkOffset("splice", offIn, "offIn");
    checkOffset("splice", offOut, "offOut");
    checkU32("splice", nbytes, "nbytes");
    checkU32("splice", flags, "flags");
    const f = (flags | (options?.fixedIn ? SPLICE_F_FD_IN_FIXED : 0)) >>> 0;
    return new FsOp("splice", (sqe) => {
      prepSplice(sqe, fdIn, offIn, fdOut, offOut, nbytes, f);
      setFixed(sqe, options?.fixedOut);
    });
  }, options);
}

/**
 * Duplicates up to `nbytes` from pipe `fdIn` into pipe `fdOut` without consuming them, like tee(2). Resolves to
 * the bytes duplicated. IORING_OP_TEE, Linux 5.8.
 *
 * @param loop The loop.
 * @param fdIn The pipe read from.
 * @param fdOut The pipe written to.
 * @param nbytes The most bytes to duplicate.
 * @param flags `SPLICE_F_*` bits.
 * @param options `fixedIn`, `fixedOut`, `signal`, `timeoutMs`.
 * @returns The bytes duplicated.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, pipeA: { read: number }, pipeB: { write: number };
 * const n = await tee(loop, pipeA.read, pipeB.write, 65536);
 * ```
 */
export function tee(
  loop: Loop, fdIn: number, fdOut: number, nbytes: number, flags = 0, options?: SpliceOptions,
): Promise<number> {
  return run(loop, () => {
    checkFd("tee", fdIn, "fdIn");
    checkFd("tee", fdOut, "fdOut");
    checkU32("tee", nbytes, "nbytes");
    checkU32("tee", flags, "flags");
    const f = (flags | (options?.fixedIn ? SPLICE_F_FD_IN_FIXED : 0)) >>> 0;
    return new FsOp("tee", (sqe) => {
      prepTee(sqe, fdIn, fdOut, nbytes, f);
      setFixed(sqe, options?.fixedOut);
    });
  }, options);
}
