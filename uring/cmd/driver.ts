/**
 * Which driver sits behind a file descriptor, from `fstat` and sysfs: what decides which uring_cmds make sense on
 * it (and which could never complete as multishot requests, see `multishot.ts`).
 *
 * @example
 * ```ts
 * import { openSync } from "node:fs";
 *
 * console.log(cmdDriver(openSync("/dev/null", "r"))); // "null"
 * ```
 *
 * @module
 */
import { readlinkSync, statSync } from "node:fs";
import { UringError } from "../core/errors.ts";
import { TWO_32 } from "../abi/_u64.ts";
import { EBADF } from "../abi/errno.ts";

/**
 * The driver families whose uring_cmd handlers ringside knows:
 * - `"socket"`: `io_uring_cmd_sock` (net/socket.c, io_uring/cmd_net.c): SOCKET_URING_OP_*.
 * - `"block"`: `blkdev_uring_cmd` (block/ioctl.c): BLOCK_URING_CMD_*.
 * - `"nvme"`: an NVMe generic namespace (`/dev/ngXnY`) or controller (`/dev/nvmeX`) character device
 *   (drivers/nvme/host/ioctl.c): NVME_URING_CMD_*.
 * - `"fuse"`: `/dev/fuse` (fs/fuse/dev_uring.c): FUSE_IO_URING_CMD_*.
 * - `"null"`: `/dev/null`, whose `uring_cmd_null()` (drivers/char/mem.c) answers 0 to every command.
 * - `"other"`: anything else (a driver ringside does not know, or a file with no uring_cmd at all).
 */
export type CmdDriver = "socket" | "block" | "nvme" | "fuse" | "null" | "other";

/**
 * The major number of a Linux `dev_t` as glibc encodes it (`gnu_dev_major`).
 *
 * @example
 * ```ts
 * import { statSync } from "node:fs";
 *
 * console.log(devMajor(statSync("/dev/null").rdev)); // 1
 * ```
 */
export function devMajor(rdev: number): number {
  return ((Math.floor(rdev / 256) & 0xfff) | (Math.floor(rdev / TWO_32) & ~0xfff)) >>> 0;
}

/**
 * The minor number of a Linux `dev_t` as glibc encodes it (`gnu_dev_minor`).
 *
 * @example
 * ```ts
 * import { statSync } from "node:fs";
 *
 * console.log(devMinor(statSync("/dev/null").rdev)); // 3
 * ```
 */
export function devMinor(rdev: number): number {
  return ((rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff)) >>> 0;
}

/**
 * Classifies a character device by its numbers and its sysfs link (`/sys/dev/char/MAJ:MIN`, whose last component
 * is the device node's name: `ngXnY` for an NVMe generic namespace device, `nvmeX` for an NVMe controller).
 *
 * @param major The device's major number.
 * @param minor The device's minor number.
 * @param sysfsLink The target of `/sys/dev/char/MAJ:MIN`, or "" when unknown.
 *
 * @example
 * ```ts
 * classifyCharDevice(240, 0, "../../devices/pci0000:00/0000:00:04.0/nvme/nvme0/ng0n1"); // "nvme"
 * classifyCharDevice(1, 3, ""); // "null"
 * ```
 */
export function classifyCharDevice(major: number, minor: number, sysfsLink: string): CmdDriver {
  if (major === 1 && minor === 3) return "null"; // MEM_MAJOR, /dev/null
  if (major === 10 && minor === 229) return "fuse"; // MISC_MAJOR, FUSE_MINOR
  // drivers/nvme/host/core.c names namespace char devices "ng%dn%d" and controllers "nvme%d".
  if (/\/(ng\d+n\d+|nvme\d+)$/.test(sysfsLink)) return "nvme";
  return "other";
}

/**
 * Which driver family handles uring_cmds on `fd`, from `fstat` (through `/proc/self/fd`) and sysfs. Throws a
 * {@link UringError} when `fd` is not open.
 *
 * @param fd An open file descriptor.
 *
 * @example
 * ```ts
 * import { Loop, socket, AF_INET, SOCK_DGRAM } from "ringside-uring";
 *
 * const loop = new Loop();
 * const sock = await socket(loop, AF_INET, SOCK_DGRAM);
 * console.log(cmdDriver(sock)); // "socket"
 * ```
 */
export function cmdDriver(fd: number): CmdDriver {
  let st;
  try {
    st = statSync(`/proc/self/fd/${fd}`);
  } catch (e) {
    throw new UringError("inspect the file descriptor", EBADF, `fd ${fd} is not open`, { cause: e });
  }
  if (st.isSocket()) return "socket";
  if (st.isBlockDevice()) return "block";
  if (!st.isCharacterDevice()) return "other";
  const major = devMajor(Number(st.rdev));
  const minor = devMinor(Number(st.rdev));
  let link = "";
  try {
    link = readlinkSync(`/sys/dev/char/${major}:${minor}`);
  } catch {
    // no sysfs: the numbers alone decide
  }
  return classifyCharDevice(major, minor, link);
}

/**
 * The path `/proc/self/fd/<fd>` points at (for error messages), or `fd N`.
 *
 * @example
 * ```ts
 * import { openSync } from "node:fs";
 *
 * console.log(describeFd(openSync("/dev/null", "r"))); // "/dev/null"
 * ```
 */
export function describeFd(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return `fd ${fd}`;
  }
}
