/**
 * Block device commands through the ring (`blkdev_uring_cmd`, block/ioctl.c): discard as a promise on a
 * {@link Loop}.
 *
 * What the kernel does with BLOCK_URING_CMD_DISCARD (Linux 6.12; `_IO(0x12, 0)` = 0x1200): `sqe->addr` is the
 * start and `sqe->addr3` the length, both in bytes; `ioprio`, `__pad1`, `len`, `uring_cmd_flags` and
 * `file_index` must be 0 (EINVAL). It answers EOPNOTSUPP when the device cannot discard, EBADF when the file is not
 * open for writing, EPERM on a read-only device, EINVAL when start or length is not a multiple of the logical
 * block size, the length is 0, or the range passes the end of the device. It drops the range from the page cache
 * first, then issues discard bios and completes when they do. A loop device passes a discard on to its backing file
 * as a hole punch (FALLOC_FL_PUNCH_HOLE), so the range then reads as zeros and the file's blocks are freed.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { open } from "ringside-uring/fs";
 * import { discard } from "ringside-uring/cmd";
 *
 * const loop = new Loop();
 * const dev = await open(loop, "/dev/loop0", "r+");
 * await discard(loop, dev, 0, 1 << 20); // the first MiB
 * ```
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import type { Loop } from "../loop/loop.ts";
import { refuse, UringError } from "../core/errors.ts";
import { checkFd, checkU53 } from "../core/_validate.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepCmdDiscard } from "../prep/cmd.ts";
import { getU64 } from "../abi/_u64.ts";
import { ENOTTY } from "../abi/errno.ts";
import { CmdOp } from "./common.ts";
import { describeFd } from "./driver.ts";
import { withHints } from "./_hints.ts";
import { _IOC_READ, ioc } from "./ioctl.ts";

/** ioctl BLKSSZGET (`_IO(0x12, 104)`): the logical block size, an int. */
export const BLKSSZGET: number = ioc(0, 0x12, 104, 0);
/** ioctl BLKGETSIZE64 (`_IOR(0x12, 114, size_t)`): the device size in bytes, a u64. */
export const BLKGETSIZE64: number = ioc(_IOC_READ, 0x12, 114, 8);

const F_GETFL = 3;
const O_ACCMODE = 3;
const O_RDONLY = 0;

/** What {@link blockDeviceInfo} reports. */
export interface BlockDeviceInfo {
  /** The logical block size in bytes (512, 4096, ...): the unit a discard must be aligned to. */
  logicalBlockSize: number;
  /** The device's size in bytes. */
  size: number;
  /** Whether the descriptor is open for writing (discard needs it). */
  writable: boolean;
}

/**
 * The logical block size and size of a block device, and whether `fd` may write it: the ioctls BLKSSZGET and
 * BLKGETSIZE64 and fcntl(F_GETFL), plain system calls. Throws a {@link UringError} when `fd` is not a block device.
 *
 * @param fd An open block device.
 *
 * @example
 * ```ts
 * declare const dev: number; // an open block device
 *
 * const { logicalBlockSize, size } = blockDeviceInfo(dev); // 512, 8388608
 * ```
 */
export function blockDeviceInfo(fd: number): BlockDeviceInfo {
  const c = libc();
  const buf = new Uint8Array(8);
  const v = new DataView(buf.buffer);
  if (c.ioctlBuffer(fd, BLKSSZGET, buf) < 0) {
    const errno = c.errno();
    throw new UringError("inspect the block device", errno,
      errno === ENOTTY ? `${describeFd(fd)} is not a block device` : `BLKSSZGET on ${describeFd(fd)}`);
  }
  const logicalBlockSize = v.getInt32(0, true);
  buf.fill(0);
  if (c.ioctlBuffer(fd, BLKGETSIZE64, buf) < 0) {
    throw new UringError("inspect the block device", c.errno(), `BLKGETSIZE64 on ${describeFd(fd)}`);
  }
  const size = getU64(v, 0);
  const fl = c.fcntl(fd, F_GETFL, 0);
  return { logicalBlockSize, size, writable: fl >= 0 && (fl & O_ACCMODE) !== O_RDONLY };
}

/**
 * Checks a discard range against the device before the kernel sees it: non-negative integers, a non-zero length,
 * both multiples of the logical block size, within the device, and a descriptor open for writing. Throws a
 * {@link UringError} saying what is wrong (the kernel would answer EINVAL or EBADF).
 *
 * @param fd The block device.
 * @param offset The start in bytes.
 * @param length The length in bytes.
 * @param info The device's facts (default: {@link blockDeviceInfo} of `fd`).
 *
 * @example
 * ```ts
 * declare const dev: number; // a block device open for writing
 *
 * checkDiscard(dev, 100, 4096); // throws: 100 is not a multiple of the logical block size (512)
 * ```
 */
export function checkDiscard(fd: number, offset: number, length: number, info?: BlockDeviceInfo): void {
  const what = "discard";
  checkFd(what, fd);
  checkU53(what, offset, "the offset");
  checkU53(what, length, "the length");
  if (length === 0) refuse(what, "the length is 0 (the kernel answers EINVAL)");
  const dev = info ?? blockDeviceInfo(fd);
  const lbs = dev.logicalBlockSize;
  if (offset % lbs !== 0 || length % lbs !== 0) {
    refuse(what, `the offset (${offset}) and length (${length}) must be multiples of the device's logical block ` +
      `size (${lbs} bytes); the kernel answers EINVAL`);
  }
  if (offset + length > dev.size) {
    refuse(what, `the range ${offset}..${offset + length} passes the end of the device (${dev.size} bytes)`);
  }
  if (!dev.writable) refuse(what, `${describeFd(fd)} is open read-only; discard needs it open for writing (EBADF)`);
}

/**
 * Discards `length` bytes from byte `offset` of a block device: BLOCK_URING_CMD_DISCARD (Linux 6.12), the
 * asynchronous ioctl BLKDISCARD. The device drops the data (a thin or loop device frees the space; reads of the
 * range then return zeros on devices that guarantee it, such as loop devices). The range is checked first (see
 * {@link checkDiscard}); the promise rejects with a {@link UringError} without submitting anything when it is
 * wrong.
 *
 * @param loop The loop.
 * @param fd The block device, open for writing.
 * @param offset The start, a multiple of the logical block size.
 * @param length The length, a non-zero multiple of the logical block size.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * declare const dev: number; // a block device open for writing
 *
 * await discard(loop, dev, 1 << 20, 1 << 20); // the second MiB
 * ```
 */
export function discard(loop: Loop, fd: number, offset: number, length: number, options?: OpOptions): Promise<void> {
  try {
    checkDiscard(fd, offset, length);
  } catch (e) {
    return Promise.reject(e);
  }
  const op = new CmdOp<void>("discard", (sqe: Sqe) => prepCmdDiscard(sqe, fd, offset, length), {
    map: () => undefined,
  });
  return withHints(run(loop, op, options), {
    EOPNOTSUPP: "the device does not support discard (or the kernel is older than 6.12)",
    EINVAL: "the kernel refused the range (alignment, length or device end)",
  });
}
