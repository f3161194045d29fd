/**
 * Getting a file's data to storage on a {@link Loop}: `fsync`, `fdatasync` and `syncFileRange`
 * (sync_file_range(2), with the `SYNC_FILE_RANGE_*` flags).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { close, open, write } from "ringside-uring/fs";
 * const loop = new Loop();
 * const fd = await open(loop, "/tmp/sync-example.txt", "w");
 * await write(loop, fd, new TextEncoder().encode("durable"));
 * await fdatasync(loop, fd);
 * await close(loop, fd);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { run } from "../loop/start.ts";
import { checkFd, checkU32, checkU53 } from "../core/_validate.ts";
import { IORING_FSYNC_DATASYNC } from "../abi/uapi.ts";
import { prepFsync, prepSyncFileRange } from "../prep/fs.ts";
import { FsOp, setFixed, toVoid } from "./_fs_op.ts";
import { SYNC_FILE_RANGE_WAIT_AFTER, SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE } from "./constants.ts";
import type { FdOptions } from "./types.ts";

/**
 * Flushes a file's data and metadata to storage, like fsync(2). IORING_OP_FSYNC, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param options `fixed`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * await fsync(loop, fd);
 * ```
 */
export function fsync(loop: Loop, fd: number, options?: FdOptions): Promise<void> {
  return syncOp("fsync", loop, fd, 0, options);
}

/**
 * Flushes a file's data (and only the metadata needed to read it back), like fdatasync(2). IORING_OP_FSYNC with
 * IORING_FSYNC_DATASYNC, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param options `fixed`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * await fdatasync(loop, fd);
 * ```
 */
export function fdatasync(loop: Loop, fd: number, options?: FdOptions): Promise<void> {
  return syncOp("fdatasync", loop, fd, IORING_FSYNC_DATASYNC, options);
}

function syncOp(name: string, loop: Loop, fd: number, flags: number, options?: FdOptions): Promise<void> {
  return run(loop, () => {
    checkFd(name, fd);
    return new FsOp<void>(name, (sqe) => {
      prepFsync(sqe, fd, flags);
      setFixed(sqe, options?.fixed);
    }, toVoid);
  }, options);
}

/**
 * Starts and/or waits for writeback of a byte range, like sync_file_range(2). `length` 0 means to the end of the
 * file. IORING_OP_SYNC_FILE_RANGE, Linux 5.2.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param offset Where the range starts.
 * @param length Its length in bytes (below 4 GiB; 0: to the end of the file).
 * @param flags `SYNC_FILE_RANGE_*` (default WAIT_BEFORE | WRITE | WAIT_AFTER).
 * @param options `fixed`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { SYNC_FILE_RANGE_WRITE } from "ringside-uring/fs";
 * declare const loop: Loop, fd: number;
 * await syncFileRange(loop, fd, 0, 1 << 20, SYNC_FILE_RANGE_WRITE);
 * ```
 */
export function syncFileRange(
  loop: Loop, fd: number, offset: number, length: number,
  flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER, options?: FdOptions,
): Promise<void> {
  return run(loop, () => {
    const name = "sync_file_range";
    checkFd(name, fd);
    checkU53(name, offset, "offset");
    checkU32(name, length, "length");
    checkU32(name, flags, "flags");
    return new FsOp<void>(name, (sqe) => {
      prepSyncFileRange(sqe, fd, length, offset, flags);
      setFixed(sqe, options?.fixed);
    }, toVoid);
  }, options);
}
