/**
 * Access-pattern advice on a {@link Loop}: `fadvise` for a file range (posix_fadvise(2), `POSIX_FADV_*`) and
 * `madvise` for native memory (madvise(2), the harmless `MADV_*` values only).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { close, open, POSIX_FADV_SEQUENTIAL } from "ringside-uring/fs";
 * const loop = new Loop();
 * const fd = await open(loop, "/etc/hostname");
 * await fadvise(loop, fd, 0, 0, POSIX_FADV_SEQUENTIAL);
 * await close(loop, fd);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { NativeMemory, pageSize } from "../core/memory.ts";
import { refuse } from "../core/errors.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { checkBytes, checkFd, checkU32, checkU53, U32_MAX } from "../core/_validate.ts";
import { prepFadvise, prepFadvise64, prepMadvise, prepMadvise64 } from "../prep/fs.ts";
import { FsOp, setFixed, toVoid } from "./_fs_op.ts";
import { MADV_DONTNEED, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED } from "./constants.ts";
import type { BufferLike, FdOptions } from "./types.ts";

/** The advice {@link madvise} takes: none that could poison, remap or lose memory behind another user's back. */
const MADVICE: readonly number[] = [MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED];

/**
 * Advises the kernel how a file range will be accessed, like posix_fadvise(2). `length` 0 means to the end of the
 * file. IORING_OP_FADVISE, Linux 5.6. Kernels before 6.12 take a 32-bit length only: there a range of 4 GiB and
 * more is advised in pieces of just under 4 GiB, one request after the other.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param offset Where the range starts.
 * @param length Its length in bytes (0: to the end of the file).
 * @param advice A `POSIX_FADV_*` value.
 * @param options `fixed`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { POSIX_FADV_SEQUENTIAL } from "ringside-uring/fs";
 * declare const loop: Loop, fd: number;
 * await fadvise(loop, fd, 0, 0, POSIX_FADV_SEQUENTIAL);
 * ```
 */
export function fadvise(
  loop: Loop, fd: number, offset: number, length: number, advice: number, options?: FdOptions,
): Promise<void> {
  const one = (at: number, len: number) =>
    run(loop, () => {
      checkFd("fadvise", fd);
      checkU53("fadvise", at, "offset");
      checkU53("fadvise", len, "length");
      checkU32("fadvise", advice, "advice");
      return new FsOp<void>("fadvise", (sqe) => {
        if (len <= U32_MAX) prepFadvise(sqe, fd, at, len, advice);
        else prepFadvise64(sqe, fd, at, len, advice);
        setFixed(sqe, options?.fixed);
      }, toVoid);
    }, options);
  if (!(length > U32_MAX) || fadvise64Length()) return one(offset, length);
  return (async () => {
    checkU53("fadvise", offset, "offset");
    checkU53("fadvise", length, "length");
    checkU53("fadvise", offset + length, "the range's end");
    for (let done = 0; done < length;) {
      const len = Math.min(length - done, FADVISE_PIECE);
      await one(offset + done, len);
      done += len;
    }
  })();
}

/** The most a piece of a long fadvise range covers where the length is 32-bit: 4 GiB less a page. */
const FADVISE_PIECE = 0xffff_f000;
let fadvise64Cache: boolean | undefined;

/**
 * Whether IORING_OP_FADVISE reads a 64-bit length from `addr`: Linux 6.12 (io_uring/advise.c, `io_fadvise_prep`;
 * before, a non-zero `addr` is -EINVAL). No probe tells, only the version.
 */
function fadvise64Length(): boolean {
  return fadvise64Cache ??= kernelVersionAtLeast(6, 12);
}

/**
 * Advises the kernel about a range of memory, like madvise(2). The range is `view`, which must lie in
 * `NativeMemory` and be whole pages (the kernel would round a partial page up, past the view). The advice is one
 * of MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED and MADV_DONTNEED (which makes the range read as
 * zeros, and is refused for memory the kernel holds: registered, provided, or used by a request in flight).
 * IORING_OP_MADVISE, Linux 5.6.
 *
 * @param loop The loop.
 * @param view Whole pages of native memory.
 * @param advice A `MADV_*` value.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop, NativeMemory } from "ringside-uring";
 * import { MADV_WILLNEED } from "ringside-uring/fs";
 * declare const loop: Loop;
 * const mem = NativeMemory.allocate(1 << 20);
 * await madvise(loop, mem.bytes, MADV_WILLNEED);
 * ```
 */
export function madvise(loop: Loop, view: BufferLike, advice: number, options?: OpOptions): Promise<void> {
  return run(loop, () => {
    const bytes = checkBytes("madvise", view);
    const mem = NativeMemory.of(bytes);
    if (!mem) {
      refuse("madvise", "the range must be a view of NativeMemory (garbage-collected memory has no stable pages of " +
        "its own)");
    }
    if ((mem.address + bytes.byteOffset) % pageSize() !== 0 || bytes.byteLength % pageSize() !== 0) {
      // The kernel rounds the end up to a whole page: a shorter range would reach bytes the caller did not give.
      refuse("madvise", `the range must be whole pages (${pageSize()} bytes each), it is ` +
        `bytes ${bytes.byteOffset} to ${bytes.byteOffset + bytes.byteLength} of its memory`);
    }
    if (!MADVICE.includes(advice)) {
      refuse("madvise", "advice must be MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED or " +
        `MADV_DONTNEED, got ${advice}`);
    }
    if (advice === MADV_DONTNEED && mem.isPinned) {
      // The kernel holds this memory (registered, provided or in use by a request): dropping our pages would leave
      // it writing pages we no longer see.
      refuse("madvise MADV_DONTNEED", "the kernel holds this memory (registered or in use)");
    }
    return new FsOp<void>("madvise", (sqe, op) => {
      const addr = op.address(loop, bytes, false);
      if (bytes.byteLength <= U32_MAX) prepMadvise(sqe, addr, bytes.byteLength, advice);
      else prepMadvise64(sqe, addr, bytes.byteLength, advice);
    }, toVoid);
  }, options);
}
