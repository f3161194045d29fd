/**
 * What the uring_cmd families share: an operation that also reads the second half of a 32-byte CQE, checks of
 * the ring a command needs, the command area of an SQE, and which driver sits behind a file descriptor.
 *
 * A uring_cmd (IORING_OP_URING_CMD, Linux 5.19) hands `cmd_op` and the SQE to the `->uring_cmd()` hook of the
 * file's driver (io_uring/uring_cmd.c). What a `cmd_op` means, which SQE fields it reads and whether it can stream
 * CQEs depends entirely on that driver, so ringside classifies the file before it lets certain requests through
 * (see `multishot.ts`).
 *
 * @module
 */
import { readlinkSync, statSync } from "node:fs";
import type { Loop } from "../loop/loop.ts";
import type { Ring } from "../ring/ring.ts";
import { PromiseOp } from "../loop/operation.ts";
import type { Sqe } from "../ring/sqe.ts";
import { refuse, UringError } from "../core/errors.ts";
import { IORING_CQE_F_32, IORING_SETUP_CQE32, IORING_SETUP_CQE_MIXED, IORING_SETUP_SQE128 } from "../abi/uapi.ts";

const TWO_32 = 4294967296;

/** Byte offset of the command area in an SQE (`sqe->cmd`): 16 bytes in a 64-byte SQE, 80 in a 128-byte one. */
export const URING_CMD_AREA = 48;

/**
 * A single-shot promise operation that keeps the second 16 bytes of its CQE when the CQE is 32 bytes long
 * (IORING_SETUP_CQE32, or IORING_CQE_F_32 on an IORING_SETUP_CQE_MIXED ring): `big_cqe[0]` and `big_cqe[1]`,
 * where drivers put a second result (NVMe's completion dwords, `io_uring_cmd_done()`'s `res2`).
 *
 * @example
 * ```ts
 * const op = new CmdOp("nvme command", (sqe) => prepNvmeUringCmd(sqe, fd, NVME_URING_CMD_IO, cmd), {
 *   map: (res) => ({ status: res, result: op.extra1() }),
 * });
 * ```
 */
export class CmdOp<T = number> extends PromiseOp<T> {
  /** Whether the final CQE was 32 bytes long (so `extra1`/`extra2` are the kernel's, not zeros). */
  big = false;
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;

  override complete(res: number, flags: number, more: boolean, loop?: Loop, cqeWord = 0): void {
    // The loop always passes `loop` and `cqeWord` (PromiseOp declares only the first three).
    if (!more && loop && isBigCqe(loop.ring, flags)) {
      // Read while the CQE is still ours: the loop stores the CQ head only after the batch.
      const c = loop.ring.cqes32;
      this.big = true;
      this.w0 = c[cqeWord + 4];
      this.w1 = c[cqeWord + 5];
      this.w2 = c[cqeWord + 6];
      this.w3 = c[cqeWord + 7];
    }
    super.complete(res, flags, more);
  }

  /** `big_cqe[0]` as an unsigned 64-bit BigInt (0n without a 32-byte CQE). */
  extra1(): bigint {
    return (BigInt(this.w1) << 32n) | BigInt(this.w0);
  }

  /** `big_cqe[1]` as an unsigned 64-bit BigInt (0n without a 32-byte CQE). */
  extra2(): bigint {
    return (BigInt(this.w3) << 32n) | BigInt(this.w2);
  }
}

/**
 * Whether a CQE with these flags is 32 bytes long on `ring`: every CQE of an IORING_SETUP_CQE32 ring, or one
 * flagged IORING_CQE_F_32 on an IORING_SETUP_CQE_MIXED ring (Linux 6.18).
 *
 * @param ring The ring the CQE came from.
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * ring.forEachCqe((ud, res, flags, w) => { if (isBigCqe(ring, flags)) console.log(ring.cqes32[w + 4]); });
 * ```
 */
export function isBigCqe(ring: Ring, flags: number): boolean {
  return ring.cqeSize === 32 || (flags & IORING_CQE_F_32) !== 0;
}

/**
 * Whether the kernel hands this ring's uring_cmds 32-byte CQEs (`IO_URING_F_CQE32`: IORING_SETUP_CQE32, Linux
 * 5.19, or IORING_SETUP_CQE_MIXED, Linux 6.18).
 *
 * @param ring The ring.
 *
 * @example
 * ```ts
 * if (!hasBigCqes(loop.ring)) console.log("TX timestamps need new Loop({ ring: { flags: IORING_SETUP_CQE32 } })");
 * ```
 */
export function hasBigCqes(ring: Ring): boolean {
  return (ring.flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)) !== 0;
}

/**
 * Whether every SQE of this ring is 128 bytes (IORING_SETUP_SQE128, Linux 5.19): 80 bytes of command area.
 *
 * @param ring The ring.
 *
 * @example
 * ```ts
 * if (!hasBigSqes(loop.ring)) throw new Error("NVMe passthrough needs IORING_SETUP_SQE128");
 * ```
 */
export function hasBigSqes(ring: Ring): boolean {
  return (ring.flags & IORING_SETUP_SQE128) !== 0;
}

/**
 * Copies `command` into the SQE's command area (byte 48 on): at most 16 bytes in a 64-byte SQE, 80 in a 128-byte
 * one. The rest of the area stays as it was (zero in a fresh SQE).
 *
 * @param sqe The SQE.
 * @param command The command's bytes (UNSAFE when they hold addresses: the kernel dereferences them).
 * @param operation What is being done, for the error.
 *
 * @example
 * ```ts
 * prepUringCmd(sqe, cmdOp, fd);
 * writeCommandArea(sqe, new Uint8Array([1, 2, 3]), "send a command");
 * ```
 */
export function writeCommandArea(sqe: Sqe, command: ArrayBufferView, operation: string): void {
  const room = sqe.words * 4 - URING_CMD_AREA;
  if (command.byteLength > room) {
    refuse(operation, `the command is ${command.byteLength} bytes but this SQE has ${room} bytes of command area` +
      (room === 16 ? " (128-byte SQEs need IORING_SETUP_SQE128)" : ""));
  }
  const bytes = new Uint8Array(command.buffer, command.byteOffset, command.byteLength);
  sqe.u8.set(bytes, URING_CMD_AREA);
}

/**
 * Writes a u64 from a number (0 to 2^53) as two little-endian u32 halves at byte `at` of the SQE.
 *
 * @param sqe The SQE.
 * @param at The byte offset inside the SQE (a multiple of 4).
 * @param value The value.
 *
 * @example
 * ```ts
 * putSqeU64(sqe, 72, buffer.address); // nvme_uring_cmd.addr
 * ```
 */
export function putSqeU64(sqe: Sqe, at: number, value: number): void {
  const i = at >> 2;
  const lo = value >>> 0;
  sqe.u32[i] = lo;
  sqe.u32[i + 1] = (value - lo) / TWO_32;
}

/**
 * Refuses what is not an integer from 0 to 2^53 - 1, the u64 values a number carries exactly.
 *
 * @param operation What is being done, for the error.
 * @param value The value.
 * @param what Its name, for the error.
 * @returns The value.
 *
 * @example
 * ```ts
 * checkU53("discard", offset, "the offset");
 * ```
 */
export function checkU53(operation: string, value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    refuse(operation, `${what} must be an integer from 0 to 2^53 - 1, got ${value}`);
  }
  return value;
}

/**
 * Refuses what is not an integer in `[0, max]`.
 *
 * @param operation What is being done, for the error.
 * @param value The value.
 * @param max The largest value allowed.
 * @param what Its name, for the error.
 * @returns The value.
 *
 * @example
 * ```ts
 * checkUint("write an NVMe command", opcode, 0xff, "opcode");
 * ```
 */
export function checkUint(operation: string, value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    refuse(operation, `${what} must be an integer from 0 to ${max}, got ${value}`);
  }
  return value;
}

/**
 * Rejections whose errno has a known explanation get it: `hints` maps errno names to what to do. Anything else
 * passes through unchanged.
 *
 * @param promise The operation's promise.
 * @param hints Errno name to explanation.
 *
 * @example
 * ```ts
 * await withHints(run(loop, op, {}), { EOPNOTSUPP: "AF_UNIX sockets have no ioctl handler" });
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

// ---- Which driver is behind a descriptor ----------------------------------------------------------------------

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
 * devMajor(statSync("/dev/loop0").rdev); // 7
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
 * devMinor(statSync("/dev/null").rdev); // 3
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
 * cmdDriver(sock); // "socket"
 * ```
 */
export function cmdDriver(fd: number): CmdDriver {
  let st;
  try {
    st = statSync(`/proc/self/fd/${fd}`);
  } catch (e) {
    throw new UringError("inspect the file descriptor", 9, `fd ${fd} is not open`, { cause: e });
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
 * describeFd(sock); // "socket:[153368]"
 * ```
 */
export function describeFd(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return `fd ${fd}`;
  }
}
