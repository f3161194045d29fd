/**
 * A file's size and blocks on a {@link Loop}: `fallocate` (fallocate(2), with the `FALLOC_FL_*` modes to punch,
 * zero, collapse or insert ranges) and `ftruncate`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { close, open } from "ringside-uring/fs";
 * const loop = new Loop();
 * const fd = await open(loop, "/tmp/allocate-example.bin", "w");
 * await fallocate(loop, fd, 0, 0, 1 << 20); // 1 MiB, allocated
 * await close(loop, fd);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { run } from "../loop/start.ts";
import { checkFd, checkU32, checkU53 } from "../core/_validate.ts";
import { prepFallocate, prepFtruncate } from "../prep/fs.ts";
import { FsOp, setFixed, toVoid } from "./_fs_op.ts";
import type { FdOptions } from "./types.ts";

/**
 * Allocates (or with `FALLOC_FL_*` modes punches, zeroes, collapses) a byte range of a file, like fallocate(2).
 * IORING_OP_FALLOCATE, Linux 5.6.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param mode 0 (allocate, growing the file) or `FALLOC_FL_*` bits.
 * @param offset Where the range starts.
 * @param length Its length in bytes.
 * @param options `fixed`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from "ringside-uring/fs";
 * declare const loop: Loop, fd: number;
 * await fallocate(loop, fd, 0, 0, 1 << 20);                                          // 1 MiB allocated
 * await fallocate(loop, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 65536);   // a hole
 * ```
 */
export function fallocate(
  loop: Loop, fd: number, mode: number, offset: number, length: number, options?: FdOptions,
): Promise<void> {
  return run(loop, () => {
    checkFd("fallocate", fd);
    checkU32("fallocate", mode, "mode");
    checkU53("fallocate", offset, "offset");
    checkU53("fallocate", length, "length");
    return new FsOp<void>("fallocate", (sqe) => {
      prepFallocate(sqe, fd, mode, offset, length);
      setFixed(sqe, options?.fixed);
    }, toVoid);
  }, options);
}

/**
 * Sets a file's length, like ftruncate(2). IORING_OP_FTRUNCATE, Linux 6.9.
 *
 * @param loop The loop.
 * @param fd The file descriptor (open for writing).
 * @param length The new length in bytes.
 * @param options `fixed`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * await ftruncate(loop, fd, 0);
 * ```
 */
export function ftruncate(loop: Loop, fd: number, length: number, options?: FdOptions): Promise<void> {
  return run(loop, () => {
    checkFd("ftruncate", fd);
    checkU53("ftruncate", length, "length");
    return new FsOp<void>("ftruncate", (sqe) => {
      prepFtruncate(sqe, fd, length);
      setFixed(sqe, options?.fixed);
    }, toVoid);
  }, options);
}
