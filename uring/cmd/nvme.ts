/**
 * NVMe passthrough through the ring (drivers/nvme/host/ioctl.c, Linux 5.19): NVMe commands written into a
 * 128-byte SQE, sent to an NVMe character device, answered in a 32-byte CQE.
 *
 * The kernel's interface (include/uapi/linux/nvme_ioctl.h; drivers/nvme/host/ioctl.c):
 * - `struct nvme_uring_cmd` (72 bytes) sits in the SQE's command area from byte 48: opcode u8 @0, flags u8 @1,
 *   rsvd1 u16 @2, nsid u32 @4, cdw2 @8, cdw3 @12, metadata u64 @16, addr u64 @24, metadata_len u32 @32,
 *   data_len u32 @36, cdw10..cdw15 @40..60, timeout_ms u32 @64, rsvd2 u32 @68. So it needs
 *   IORING_SETUP_SQE128, and the driver also wants 32-byte CQEs (IORING_SETUP_CQE32; CQE_MIXED works too):
 *   without both it answers EOPNOTSUPP.
 * - `cmd_op` is NVME_URING_CMD_IO / _IO_VEC (`_IOWR('N', 0x80 / 0x81, struct nvme_uring_cmd)`) on a namespace's
 *   generic character device `/dev/ngXnY`, and NVME_URING_CMD_ADMIN / _ADMIN_VEC (`_IOWR('N', 0x82 / 0x83, ...)`)
 *   on the controller's character device `/dev/nvmeX`. The namespace device answers ENOTTY to admin commands.
 * - `flags` must be 0 (EINVAL); `nsid` must match the namespace on `/dev/ngXnY` (EINVAL). The data buffer is
 *   mapped from user memory for the command's duration. Without CAP_SYS_ADMIN only a few commands are allowed
 *   (Identify, reads; writes need the device open for writing): EACCES otherwise.
 * - The CQE's `res` is the NVMe status (0 = success, > 0 = the controller's status field without the phase bit)
 *   or -errno; `big_cqe[0]` (bytes 16..23) is the 64-bit command-specific result (completion dwords 0 and 1).
 *
 * @example
 * ```ts
 * import { IORING_SETUP_CQE32, IORING_SETUP_SQE128, Loop } from "ringside-uring";
 * import { open } from "ringside-uring/fs";
 * import { nvmeIdentifyController } from "ringside-uring/cmd";
 *
 * const loop = new Loop({ ring: { flags: IORING_SETUP_SQE128 | IORING_SETUP_CQE32 } });
 * const ctrl = await open(loop, "/dev/nvme0", "r");
 * const id = await nvmeIdentifyController(loop, ctrl);
 * console.log(id.model, id.serial, id.firmware);
 * ```
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import type { Loop } from "../loop/loop.ts";
import { refuse, UringError } from "../core/errors.ts";
import { checkFd, checkInt, checkU32, checkU53 } from "../core/_validate.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { getU64, setU64Words, TWO_32 } from "../abi/_u64.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepUringCmd } from "../prep/cmd.ts";
import { CmdOp, hasBigCqes, hasBigSqes, URING_CMD_AREA } from "./common.ts";
import { cmdDriver, describeFd } from "./driver.ts";
import { withHints } from "./_hints.ts";
import { _IOC_READ, _IOC_WRITE, ioc } from "./ioctl.ts";

/** The layout of `struct nvme_uring_cmd` (include/uapi/linux/nvme_ioctl.h, Linux 5.19): byte offsets, 72 bytes. */
export const nvme_uring_cmd = Object.freeze({
  SIZE: 72,
  opcode: 0,
  flags: 1,
  rsvd1: 2,
  nsid: 4,
  cdw2: 8,
  cdw3: 12,
  metadata: 16,
  addr: 24,
  metadata_len: 32,
  data_len: 36,
  cdw10: 40,
  cdw11: 44,
  cdw12: 48,
  cdw13: 52,
  cdw14: 56,
  cdw15: 60,
  timeout_ms: 64,
  rsvd2: 68,
} as const);

/** cmd_op: an I/O command on a namespace (`/dev/ngXnY`): `_IOWR('N', 0x80, struct nvme_uring_cmd)`. Linux 5.19 */
export const NVME_URING_CMD_IO: number = ioc(_IOC_READ | _IOC_WRITE, "N", 0x80, nvme_uring_cmd.SIZE);
/** cmd_op: an I/O command whose `addr` is an iovec array of `data_len` entries. Linux 6.1 */
export const NVME_URING_CMD_IO_VEC: number = ioc(_IOC_READ | _IOC_WRITE, "N", 0x81, nvme_uring_cmd.SIZE);
/** cmd_op: an admin command on the controller (`/dev/nvmeX`): `_IOWR('N', 0x82, ...)`. Linux 5.19 */
export const NVME_URING_CMD_ADMIN: number = ioc(_IOC_READ | _IOC_WRITE, "N", 0x82, nvme_uring_cmd.SIZE);
/** cmd_op: an admin command with an iovec array. Linux 6.1 */
export const NVME_URING_CMD_ADMIN_VEC: number = ioc(_IOC_READ | _IOC_WRITE, "N", 0x83, nvme_uring_cmd.SIZE);
/** ioctl NVME_IOCTL_ID (`_IO('N', 0x40)`): the namespace ID of a namespace device. Linux 3.3 */
export const NVME_IOCTL_ID: number = ioc(0, "N", 0x40, 0);

// ---- NVMe opcodes and Identify (NVM Express Base Specification 2.0) ------------------------------------------

/** Admin opcode: Identify. */
export const nvme_admin_identify = 0x06;
/** NVM command set opcode: Flush. */
export const nvme_cmd_flush = 0x00;
/** NVM command set opcode: Write. */
export const nvme_cmd_write = 0x01;
/** NVM command set opcode: Read. */
export const nvme_cmd_read = 0x02;
/** Identify CNS 0: the Identify Namespace data structure of `nsid`. */
export const NVME_ID_CNS_NS = 0x00;
/** Identify CNS 1: the Identify Controller data structure. */
export const NVME_ID_CNS_CTRL = 0x01;
/** Identify CNS 2: the list of active namespace IDs above `nsid`. */
export const NVME_ID_CNS_NS_ACTIVE_LIST = 0x02;
/** Every Identify data structure is 4096 bytes. */
export const NVME_IDENTIFY_DATA_SIZE = 4096;
/** The largest NLB a Read or Write takes (NLB is 0's based in 16 bits). */
export const NVME_MAX_NLB = 65536;

// ---- Writing the command --------------------------------------------------------------------------------------

/** The fields of `struct nvme_uring_cmd`; those left out are 0. */
export interface NvmeCommand {
  /** The NVMe opcode. */
  opcode: number;
  /** Must be 0 for the kernel (it answers EINVAL otherwise); settable to test that. */
  flags?: number | undefined;
  /** The namespace ID (0 for controller-wide admin commands). */
  nsid?: number | undefined;
  /** Command dword 2. */
  cdw2?: number | undefined;
  /** Command dword 3. */
  cdw3?: number | undefined;
  /** The metadata buffer's address (UNSAFE). */
  metadata?: number | undefined;
  /** The data buffer's address (UNSAFE: the kernel maps and writes or reads it). */
  addr?: number | undefined;
  /** The metadata buffer's length. */
  metadataLen?: number | undefined;
  /** The data buffer's length (or the iovec count for the _VEC commands). */
  dataLen?: number | undefined;
  /** Command dword 10. */
  cdw10?: number | undefined;
  /** Command dword 11. */
  cdw11?: number | undefined;
  /** Command dword 12. */
  cdw12?: number | undefined;
  /** Command dword 13. */
  cdw13?: number | undefined;
  /** Command dword 14. */
  cdw14?: number | undefined;
  /** Command dword 15. */
  cdw15?: number | undefined;
  /** The request's timeout in milliseconds (0: the driver's default). */
  timeoutMs?: number | undefined;
}

/**
 * Writes `struct nvme_uring_cmd` into the command area of a 128-byte SQE (bytes 48..119), every field including
 * the reserved ones (0), and zeroes bytes 120..127. Values are checked (u8, u32, u64 up to 2^53).
 *
 * @param sqe A 128-byte SQE (from an IORING_SETUP_SQE128 ring).
 * @param cmd The command.
 *
 * @example
 * ```ts
 * import { IORING_SETUP_SQE128, NativeMemory, Ring } from "ringside-uring";
 *
 * const ring = new Ring(8, { flags: IORING_SETUP_SQE128 });
 * const page = NativeMemory.allocate(4096);
 * const sqe = ring.getSqe()!;
 * writeNvmeUringCmd(sqe, { opcode: nvme_admin_identify, addr: page.address, dataLen: 4096, cdw10: 1 });
 * ```
 */
export function writeNvmeUringCmd(sqe: Sqe, cmd: NvmeCommand): void {
  const what = "write an NVMe command";
  if (sqe.words !== 32) {
    refuse(what, "struct nvme_uring_cmd is 72 bytes and needs a 128-byte SQE (a ring with IORING_SETUP_SQE128)");
  }
  const u8 = sqe.u8;
  const u32 = sqe.u32;
  const b = URING_CMD_AREA;
  const w = URING_CMD_AREA >> 2;
  const o = nvme_uring_cmd;
  u8[b + o.opcode] = checkInt(what, cmd.opcode, 0, 0xff, "opcode");
  u8[b + o.flags] = checkInt(what, cmd.flags ?? 0, 0, 0xff, "flags");
  u8[b + o.rsvd1] = 0;
  u8[b + o.rsvd1 + 1] = 0;
  u32[w + (o.nsid >> 2)] = checkU32(what, cmd.nsid ?? 0, "nsid");
  u32[w + (o.cdw2 >> 2)] = checkU32(what, cmd.cdw2 ?? 0, "cdw2");
  u32[w + (o.cdw3 >> 2)] = checkU32(what, cmd.cdw3 ?? 0, "cdw3");
  setU64Words(u32, w + (o.metadata >> 2), checkU53(what, cmd.metadata ?? 0, "metadata"));
  setU64Words(u32, w + (o.addr >> 2), checkU53(what, cmd.addr ?? 0, "addr"));
  u32[w + (o.metadata_len >> 2)] = checkU32(what, cmd.metadataLen ?? 0, "metadataLen");
  u32[w + (o.data_len >> 2)] = checkU32(what, cmd.dataLen ?? 0, "dataLen");
  u32[w + (o.cdw10 >> 2)] = checkU32(what, cmd.cdw10 ?? 0, "cdw10");
  u32[w + (o.cdw11 >> 2)] = checkU32(what, cmd.cdw11 ?? 0, "cdw11");
  u32[w + (o.cdw12 >> 2)] = checkU32(what, cmd.cdw12 ?? 0, "cdw12");
  u32[w + (o.cdw13 >> 2)] = checkU32(what, cmd.cdw13 ?? 0, "cdw13");
  u32[w + (o.cdw14 >> 2)] = checkU32(what, cmd.cdw14 ?? 0, "cdw14");
  u32[w + (o.cdw15 >> 2)] = checkU32(what, cmd.cdw15 ?? 0, "cdw15");
  u32[w + (o.timeout_ms >> 2)] = checkU32(what, cmd.timeoutMs ?? 0, "timeoutMs");
  u32[w + (o.rsvd2 >> 2)] = 0;
  // Bytes 120..127: the command area's tail beyond the struct.
  u32[w + (o.SIZE >> 2)] = 0;
  u32[w + (o.SIZE >> 2) + 1] = 0;
}

/**
 * Prepares an NVMe passthrough uring_cmd: IORING_OP_URING_CMD with `cmdOp` on `fd`, and the command in the SQE's
 * command area. Matches what liburing's `io_uring_prep_uring_cmd` plus filling `(struct nvme_uring_cmd *)sqe->cmd`
 * does in fio and nvme-cli (Linux 5.19).
 *
 * @param sqe A 128-byte SQE.
 * @param fd The NVMe character device: `/dev/ngXnY` for I/O, `/dev/nvmeX` for admin commands.
 * @param cmdOp {@link NVME_URING_CMD_IO}, {@link NVME_URING_CMD_ADMIN} or a _VEC variant.
 * @param cmd The command.
 *
 * @example
 * ```ts
 * import { IORING_SETUP_SQE128, NativeMemory, Ring } from "ringside-uring";
 *
 * const ring = new Ring(8, { flags: IORING_SETUP_SQE128 });
 * declare const ctrlFd: number; // an open /dev/nvme0
 * const page = NativeMemory.allocate(4096);
 * const identify = nvmeIdentifyCommand(NVME_ID_CNS_CTRL, 0, page.address);
 * prepNvmeUringCmd(ring.getSqe()!, ctrlFd, NVME_URING_CMD_ADMIN, identify);
 * ```
 */
export function prepNvmeUringCmd(sqe: Sqe, fd: number, cmdOp: number, cmd: NvmeCommand): void {
  prepUringCmd(sqe, cmdOp, fd);
  writeNvmeUringCmd(sqe, cmd);
}

/**
 * The Identify admin command (opcode 0x06) returning a 4096-byte data structure at `addr`: CNS in cdw10 bits 0-7,
 * the controller ID in bits 16-31, the command set identifier in cdw11 bits 24-31.
 *
 * @param cns What to identify: {@link NVME_ID_CNS_CTRL}, {@link NVME_ID_CNS_NS}, ...
 * @param nsid The namespace (for CNS 0), else 0.
 * @param addr The address of a 4096-byte buffer (UNSAFE).
 * @param options `cntid`, `csi`.
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring";
 *
 * const page = NativeMemory.allocate(4096);
 * const cmd = nvmeIdentifyCommand(NVME_ID_CNS_NS, 1, page.address);
 * ```
 */
export function nvmeIdentifyCommand(
  cns: number, nsid: number, addr: number, options: { cntid?: number; csi?: number } = {},
): NvmeCommand {
  const what = "build an NVMe Identify command";
  checkInt(what, cns, 0, 0xff, "cns");
  const cntid = checkInt(what, options.cntid ?? 0, 0, 0xffff, "cntid");
  const csi = checkInt(what, options.csi ?? 0, 0, 0xff, "csi");
  return {
    opcode: nvme_admin_identify,
    nsid,
    addr,
    dataLen: NVME_IDENTIFY_DATA_SIZE,
    cdw10: (cns | (cntid << 16)) >>> 0,
    cdw11: (csi << 24) >>> 0,
  };
}

/**
 * A Read (0x02) or Write (0x01) of `nlb` logical blocks from block `slba` of namespace `nsid`: the starting LBA
 * in cdw10 (low) and cdw11 (high), the 0's based block count in cdw12 bits 0-15 (FUA in bit 30).
 *
 * @param opcode {@link nvme_cmd_read} or {@link nvme_cmd_write}.
 * @param nsid The namespace.
 * @param slba The first logical block (up to 2^53).
 * @param nlb How many blocks, 1 to 65536.
 * @param addr The data buffer's address (UNSAFE).
 * @param dataLen The data buffer's length: `nlb` times the namespace's block size.
 * @param options `fua`: force unit access.
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring";
 *
 * const buf = NativeMemory.allocate(4096);
 * const cmd = nvmeRwCommand(nvme_cmd_read, 1, 0, 8, buf.address, 4096); // 8 blocks of 512 bytes
 * ```
 */
export function nvmeRwCommand(
  opcode: number, nsid: number, slba: number, nlb: number, addr: number, dataLen: number,
  options: { fua?: boolean | undefined } = {},
): NvmeCommand {
  const what = opcode === nvme_cmd_write ? "build an NVMe Write command" : "build an NVMe Read command";
  checkU53(what, slba, "slba");
  if (!Number.isInteger(nlb) || nlb < 1 || nlb > NVME_MAX_NLB) {
    refuse(what, `nlb must be an integer from 1 to ${NVME_MAX_NLB}, got ${nlb}`);
  }
  const lo = slba >>> 0;
  return {
    opcode,
    nsid,
    addr,
    dataLen,
    cdw10: lo,
    cdw11: (slba - lo) / TWO_32,
    cdw12: ((nlb - 1) | (options.fua ? 1 << 30 : 0)) >>> 0,
  };
}

/**
 * Prepares Identify (admin, on the controller's `/dev/nvmeX`): {@link nvmeIdentifyCommand} with
 * {@link NVME_URING_CMD_ADMIN}. The result data lands at `addr` (4096 bytes).
 *
 * @param sqe A 128-byte SQE.
 * @param fd The controller's character device.
 * @param addr A 4096-byte buffer's address (UNSAFE: the kernel writes it).
 * @param cns {@link NVME_ID_CNS_CTRL} (default) or {@link NVME_ID_CNS_NS}.
 * @param nsid The namespace for CNS 0.
 *
 * @example
 * ```ts
 * import { IORING_SETUP_SQE128, NativeMemory, Ring } from "ringside-uring";
 *
 * const ring = new Ring(8, { flags: IORING_SETUP_SQE128 });
 * declare const ctrlFd: number; // an open /dev/nvme0
 * const page = NativeMemory.allocate(4096);
 * prepNvmeIdentify(ring.getSqe()!, ctrlFd, page.address, NVME_ID_CNS_CTRL);
 * ```
 */
export function prepNvmeIdentify(sqe: Sqe, fd: number, addr: number, cns = NVME_ID_CNS_CTRL, nsid = 0): void {
  prepNvmeUringCmd(sqe, fd, NVME_URING_CMD_ADMIN, nvmeIdentifyCommand(cns, nsid, addr));
}

/**
 * Prepares a Read (I/O, on `/dev/ngXnY`): {@link nvmeRwCommand} with {@link NVME_URING_CMD_IO}.
 *
 * @param sqe A 128-byte SQE.
 * @param fd The namespace's generic character device.
 * @param nsid The namespace ID.
 * @param slba The first block.
 * @param nlb The block count (1 to 65536).
 * @param addr The buffer's address (UNSAFE: the kernel writes it).
 * @param dataLen The buffer's length.
 *
 * @example
 * ```ts
 * import { IORING_SETUP_SQE128, NativeMemory, Ring } from "ringside-uring";
 *
 * const ring = new Ring(8, { flags: IORING_SETUP_SQE128 });
 * declare const ngFd: number; // an open /dev/ng0n1
 * const buf = NativeMemory.allocate(4096);
 * prepNvmeRead(ring.getSqe()!, ngFd, 1, 0, 1, buf.address, 4096);
 * ```
 */
export function prepNvmeRead(
  sqe: Sqe, fd: number, nsid: number, slba: number, nlb: number, addr: number, dataLen: number,
): void {
  prepNvmeUringCmd(sqe, fd, NVME_URING_CMD_IO, nvmeRwCommand(nvme_cmd_read, nsid, slba, nlb, addr, dataLen));
}

/**
 * Prepares a Write (I/O, on `/dev/ngXnY` opened for writing): {@link nvmeRwCommand} with {@link NVME_URING_CMD_IO}.
 *
 * @param sqe A 128-byte SQE.
 * @param fd The namespace's generic character device.
 * @param nsid The namespace ID.
 * @param slba The first block.
 * @param nlb The block count (1 to 65536).
 * @param addr The data's address (UNSAFE: the kernel reads it).
 * @param dataLen The data's length.
 *
 * @example
 * ```ts
 * import { IORING_SETUP_SQE128, NativeMemory, Ring } from "ringside-uring";
 *
 * const ring = new Ring(8, { flags: IORING_SETUP_SQE128 });
 * declare const ngFd: number; // /dev/ng0n1, open for writing
 * const buf = NativeMemory.allocate(4096);
 * prepNvmeWrite(ring.getSqe()!, ngFd, 1, 0, 1, buf.address, 4096);
 * ```
 */
export function prepNvmeWrite(
  sqe: Sqe, fd: number, nsid: number, slba: number, nlb: number, addr: number, dataLen: number,
): void {
  prepNvmeUringCmd(sqe, fd, NVME_URING_CMD_IO, nvmeRwCommand(nvme_cmd_write, nsid, slba, nlb, addr, dataLen));
}

// ---- On a loop ------------------------------------------------------------------------------------------------

/** What a successful NVMe command returns: the command-specific result (completion dwords 0 and 1). */
export interface NvmeCompletion {
  /** `big_cqe[0]`: completion dword 0 in the low 32 bits, dword 1 in the high. */
  result: bigint;
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  0x01: "Invalid Command Opcode",
  0x02: "Invalid Field in Command",
  0x04: "Data Transfer Error",
  0x06: "Internal Error",
  0x0b: "Invalid Namespace or Format",
  0x80: "LBA Out of Range",
  0x81: "Capacity Exceeded",
  0x82: "Namespace Not Ready",
};

/**
 * An NVMe command the controller completed with a non-zero status (the CQE's `res` > 0).
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop; // made with IORING_SETUP_SQE128 | IORING_SETUP_CQE32
 * declare const ng: number; // an open /dev/ng0n1
 *
 * try {
 *   await nvmeRead(loop, ng, 1, 1 << 40, 1, new Uint8Array(4096));
 * } catch (e) {
 *   if (e instanceof NvmeStatusError) console.log(e.sc); // 0x80: LBA Out of Range
 * }
 * ```
 */
export class NvmeStatusError extends Error {
  /** The status field without the phase bit, as the kernel reports it. */
  readonly status: number;
  /** Status Code Type (bits 8-10): 0 generic, 1 command specific, 2 media errors, ... */
  readonly sct: number;
  /** Status Code (bits 0-7). */
  readonly sc: number;
  /** Do Not Retry (bit 14). */
  readonly dnr: boolean;
  /** The command's result dwords, which some errors fill. */
  readonly result: bigint;

  constructor(operation: string, status: number, result: bigint) {
    const sct = (status >> 8) & 7;
    const sc = status & 0xff;
    const name = sct === 0 ? STATUS_NAMES[sc] : undefined;
    super(`Cannot ${operation}: NVMe status 0x${status.toString(16)} (SCT ${sct}, SC 0x${sc.toString(16)}` +
      `${name ? ` ${name}` : ""}${status & 0x4000 ? ", do not retry" : ""})`);
    this.name = "NvmeStatusError";
    this.status = status;
    this.sct = sct;
    this.sc = sc;
    this.dnr = (status & 0x4000) !== 0;
    this.result = result;
  }
}

/** Options of the NVMe operations on a loop. */
export interface NvmeOptions extends OpOptions {
  /** The data buffer: read from (writes) or written into (reads, Identify). */
  data?: ArrayBufferView | undefined;
  /** Whether the command sends `data` to the device (host to controller); default false. */
  write?: boolean | undefined;
}

/** Refuses a loop whose ring cannot carry NVMe passthrough, and a descriptor that is no NVMe character device. */
function checkNvmeTarget(loop: Loop, fd: number, operation: string): void {
  checkFd(operation, fd);
  if (!hasBigSqes(loop.ring) || !hasBigCqes(loop.ring)) {
    refuse(operation, "NVMe passthrough needs 128-byte SQEs and 32-byte CQEs (the driver answers EOPNOTSUPP " +
      "otherwise): make the loop with new Loop({ ring: { flags: IORING_SETUP_SQE128 | IORING_SETUP_CQE32 } })");
  }
  const driver = cmdDriver(fd);
  if (driver !== "nvme") {
    refuse(operation, `${describeFd(fd)} is not an NVMe character device (/dev/ngXnY for I/O, /dev/nvmeX for ` +
      `admin commands)`);
  }
}

const NVME_HINTS: Readonly<Record<string, string>> = {
  ENOTTY: "admin commands go to the controller's /dev/nvmeX and I/O commands to a namespace's /dev/ngXnY",
  EACCES: "this command needs CAP_SYS_ADMIN, or the device open for writing",
  EINVAL: "the kernel refused the command (flags must be 0; nsid must be the namespace of /dev/ngXnY)",
  EOPNOTSUPP: "the ring needs IORING_SETUP_SQE128 and IORING_SETUP_CQE32, and no IOPOLL",
};

/**
 * Runs one NVMe command (NVMe passthrough, Linux 5.19) and resolves to its result dwords; a non-zero NVMe status
 * rejects with an {@link NvmeStatusError}, a kernel error with a {@link UringError}. `data` is handed to the
 * kernel as the command's buffer (`addr`, `data_len`): used in place when it is native memory, otherwise through
 * a native bounce buffer. The loop's ring needs IORING_SETUP_SQE128 and IORING_SETUP_CQE32 (or CQE_MIXED).
 *
 * UNSAFE in one respect no software check can cover: the device moves as many bytes as the command itself says
 * (an Identify 4096, a read nlb x the namespace's LBA size), and the kernel maps only `data_len` of them. `data`
 * must be at least as large as the command's transfer; the typed helpers ({@link nvmeIdentifyController},
 * {@link nvmeRead}, ...) size it for you.
 *
 * @param loop The loop.
 * @param fd `/dev/ngXnY` (with {@link NVME_URING_CMD_IO}) or `/dev/nvmeX` (with {@link NVME_URING_CMD_ADMIN}).
 * @param cmdOp {@link NVME_URING_CMD_IO} or {@link NVME_URING_CMD_ADMIN} (the _VEC forms are refused).
 * @param cmd The command without `addr`, `dataLen` and metadata (taken from `options.data`; metadata is 0).
 * @param options `data`, `write`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop; // made with IORING_SETUP_SQE128 | IORING_SETUP_CQE32
 * declare const ctrl: number; // an open /dev/nvme0
 *
 * const page = new Uint8Array(4096);
 * await nvmePassthru(loop, ctrl, NVME_URING_CMD_ADMIN, { opcode: 0x06, cdw10: 1 }, { data: page });
 * ```
 */
export function nvmePassthru(
  loop: Loop, fd: number, cmdOp: number, cmd: Omit<NvmeCommand, "addr" | "dataLen" | "metadata" | "metadataLen">,
  options: NvmeOptions = {},
): Promise<NvmeCompletion> {
  const name = `run NVMe command 0x${(cmd.opcode >>> 0).toString(16)}`;
  const op: CmdOp<NvmeCompletion> = new CmdOp<NvmeCompletion>(name, (sqe: Sqe, o) => {
    // Only the commands whose addr is the data buffer itself: with a _VEC command the driver reads addr as an array
    // of iovecs (data_len of them) and would take whatever the data buffer holds for addresses.
    if (cmdOp !== NVME_URING_CMD_IO && cmdOp !== NVME_URING_CMD_ADMIN) {
      refuse(name, "cmdOp must be NVME_URING_CMD_IO or NVME_URING_CMD_ADMIN (a _VEC command takes an iovec array: " +
        "build it with prepNvmeUringCmd)");
    }
    checkNvmeTarget(loop, fd, name);
    const data = options.data;
    let addr = 0;
    let len = 0;
    if (data && data.byteLength > 0) {
      addr = o.kernelAddress(loop, data, !options.write);
      len = data.byteLength;
    }
    // Metadata is never passed through: the type leaves it out, and a caller's object could carry it anyway.
    prepNvmeUringCmd(sqe, fd, cmdOp, { ...cmd, addr, dataLen: len, metadata: 0, metadataLen: 0 });
  }, {
    map: (res) => {
      if (res > 0) throw new NvmeStatusError(name, res, op.extra1());
      return { result: op.extra1() };
    },
  });
  op.copyBackAll = true;
  return withHints(run(loop, op, options), NVME_HINTS);
}

/** The Identify Controller fields {@link nvmeIdentifyController} decodes, and the whole structure. */
export interface NvmeIdController {
  /** PCI Vendor ID. */
  vid: number;
  /** PCI Subsystem Vendor ID. */
  ssvid: number;
  /** Serial Number (bytes 4-23, ASCII, trailing spaces removed). */
  serial: string;
  /** Model Number (bytes 24-63). */
  model: string;
  /** Firmware Revision (bytes 64-71). */
  firmware: string;
  /** Maximum Data Transfer Size as a power of two of the minimum page size (0: no limit). */
  mdts: number;
  /** Controller ID. */
  cntlid: number;
  /** The NVMe version the controller implements, "major.minor.tertiary". */
  version: string;
  /** Number of Namespaces (the largest namespace ID). */
  nn: number;
  /** The 4096 bytes. */
  raw: Uint8Array;
}

function ascii(v: DataView, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(v.getUint8(i));
  return s.replace(/[\s\0]+$/, "").trim();
}

/**
 * Decodes an Identify Controller data structure (NVMe Base Specification, Figure "Identify Controller").
 *
 * @param raw The 4096 bytes.
 *
 * @example
 * ```ts
 * declare const page: Uint8Array; // the data of Identify CNS 1
 *
 * const { model } = parseIdController(page);
 * ```
 */
export function parseIdController(raw: Uint8Array): NvmeIdController {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const ver = v.getUint32(80, true);
  return {
    vid: v.getUint16(0, true),
    ssvid: v.getUint16(2, true),
    serial: ascii(v, 4, 24),
    model: ascii(v, 24, 64),
    firmware: ascii(v, 64, 72),
    mdts: v.getUint8(77),
    cntlid: v.getUint16(78, true),
    version: `${ver >>> 16}.${(ver >> 8) & 0xff}.${ver & 0xff}`,
    nn: v.getUint32(516, true),
    raw,
  };
}

/**
 * Identify Controller (admin opcode 0x06, CNS 1) on the controller's character device `/dev/nvmeX`, decoded.
 * Linux 5.19. The loop's ring needs IORING_SETUP_SQE128 and IORING_SETUP_CQE32.
 *
 * @param loop The loop.
 * @param fd The controller's character device (`/dev/nvme0`; a namespace's `/dev/ng0n1` answers ENOTTY).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop; // made with IORING_SETUP_SQE128 | IORING_SETUP_CQE32
 * declare const ctrl: number; // an open /dev/nvme0
 *
 * const { model, serial, firmware } = await nvmeIdentifyController(loop, ctrl);
 * ```
 */
export async function nvmeIdentifyController(
  loop: Loop, fd: number, options: OpOptions = {},
): Promise<NvmeIdController> {
  const page = new Uint8Array(NVME_IDENTIFY_DATA_SIZE);
  await nvmePassthru(loop, fd, NVME_URING_CMD_ADMIN, { opcode: nvme_admin_identify, cdw10: NVME_ID_CNS_CTRL }, {
    ...options,
    data: page,
  });
  return parseIdController(page);
}

/** The Identify Namespace fields {@link nvmeIdentifyNamespace} decodes. */
export interface NvmeIdNamespace {
  /** Namespace Size in logical blocks. */
  nsze: number;
  /** Namespace Capacity in logical blocks. */
  ncap: number;
  /** Namespace Utilization in logical blocks. */
  nuse: number;
  /** The index of the LBA format in use. */
  formatIndex: number;
  /** The logical block size in bytes of that format. */
  lbaSize: number;
  /** Metadata bytes per block of that format. */
  metadataSize: number;
  /** The 4096 bytes. */
  raw: Uint8Array;
}

/**
 * Decodes an Identify Namespace data structure (NVM Command Set).
 *
 * @param raw The 4096 bytes.
 *
 * @example
 * ```ts
 * declare const page: Uint8Array; // the data of Identify CNS 0
 *
 * const { lbaSize } = parseIdNamespace(page);
 * ```
 */
export function parseIdNamespace(raw: Uint8Array): NvmeIdNamespace {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const nlbaf = v.getUint8(25);
  const flbas = v.getUint8(26);
  const formatIndex = (flbas & 0xf) | (nlbaf > 16 ? ((flbas >> 5) & 3) << 4 : 0);
  const lbaf = 128 + formatIndex * 4;
  return {
    nsze: getU64(v, 0),
    ncap: getU64(v, 8),
    nuse: getU64(v, 16),
    formatIndex,
    lbaSize: 2 ** v.getUint8(lbaf + 2),
    metadataSize: v.getUint16(lbaf, true),
    raw,
  };
}

/**
 * Identify Namespace (admin opcode 0x06, CNS 0) for namespace `nsid`, on the controller's `/dev/nvmeX`. Linux 5.19.
 *
 * @param loop The loop (SQE128 and CQE32).
 * @param fd The controller's character device.
 * @param nsid The namespace ID (1 for the first).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop; // made with IORING_SETUP_SQE128 | IORING_SETUP_CQE32
 * declare const ctrl: number; // an open /dev/nvme0
 *
 * const { nsze, lbaSize } = await nvmeIdentifyNamespace(loop, ctrl, 1);
 * console.log(`${nsze * lbaSize} bytes`);
 * ```
 */
export async function nvmeIdentifyNamespace(
  loop: Loop, fd: number, nsid: number, options: OpOptions = {},
): Promise<NvmeIdNamespace> {
  const page = new Uint8Array(NVME_IDENTIFY_DATA_SIZE);
  await nvmePassthru(loop, fd, NVME_URING_CMD_ADMIN, {
    opcode: nvme_admin_identify,
    nsid,
    cdw10: NVME_ID_CNS_NS,
  }, { ...options, data: page });
  return parseIdNamespace(page);
}

/** Refuses a buffer that cannot be `nlb` blocks of a power-of-two size of at least 512 bytes. */
function checkBlocks(operation: string, nlb: number, view: ArrayBufferView): void {
  const per = view.byteLength / nlb;
  if (!Number.isInteger(nlb) || nlb < 1 || !Number.isInteger(per) || per < 512 || (per & (per - 1)) !== 0) {
    refuse(operation, `the buffer (${view.byteLength} bytes) must hold exactly ${nlb} logical blocks of a ` +
      `power-of-two size of at least 512 bytes`);
  }
}

/**
 * Reads `nlb` blocks from block `slba` of namespace `nsid` into `into` (NVMe Read on `/dev/ngXnY`, Linux 5.19).
 * `into` must hold exactly `nlb` blocks of the namespace's block size.
 *
 * @param loop The loop (SQE128 and CQE32).
 * @param fd The namespace's generic character device.
 * @param nsid Its namespace ID ({@link nvmeNamespaceId}).
 * @param slba The first block.
 * @param nlb The block count, 1 to 65536.
 * @param into Where the data goes.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop; // made with IORING_SETUP_SQE128 | IORING_SETUP_CQE32
 * declare const ng: number; // an open /dev/ng0n1 (4096-byte blocks)
 *
 * const block0 = new Uint8Array(4096);
 * await nvmeRead(loop, ng, nvmeNamespaceId(ng), 0, 1, block0);
 * ```
 */
export function nvmeRead(
  loop: Loop, fd: number, nsid: number, slba: number, nlb: number, into: ArrayBufferView, options: OpOptions = {},
): Promise<NvmeCompletion> {
  let c: NvmeCommand;
  try {
    checkBlocks("read NVMe blocks", nlb, into);
    c = nvmeRwCommand(nvme_cmd_read, nsid, slba, nlb, 0, into.byteLength);
  } catch (e) {
    return Promise.reject(e);
  }
  return nvmePassthru(loop, fd, NVME_URING_CMD_IO, c, { ...options, data: into, write: false });
}

/**
 * Writes `data` (exactly `nlb` blocks) to block `slba` of namespace `nsid` (NVMe Write on `/dev/ngXnY` opened
 * for writing, Linux 5.19).
 *
 * @param loop The loop (SQE128 and CQE32).
 * @param fd The namespace's generic character device, opened read-write.
 * @param nsid Its namespace ID.
 * @param slba The first block.
 * @param nlb The block count, 1 to 65536.
 * @param data The blocks.
 * @param options `fua`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop; // made with IORING_SETUP_SQE128 | IORING_SETUP_CQE32
 * declare const ng: number; // /dev/ng0n1 open for writing (4096-byte blocks)
 *
 * await nvmeWrite(loop, ng, 1, 100, 1, new Uint8Array(4096).fill(7), { fua: true });
 * ```
 */
export function nvmeWrite(
  loop: Loop, fd: number, nsid: number, slba: number, nlb: number, data: ArrayBufferView,
  options: OpOptions & { fua?: boolean | undefined } = {},
): Promise<NvmeCompletion> {
  let c: NvmeCommand;
  try {
    checkBlocks("write NVMe blocks", nlb, data);
    c = nvmeRwCommand(nvme_cmd_write, nsid, slba, nlb, 0, data.byteLength, { fua: options.fua });
  } catch (e) {
    return Promise.reject(e);
  }
  return nvmePassthru(loop, fd, NVME_URING_CMD_IO, c, { ...options, data, write: true });
}

/**
 * The namespace ID of a namespace device (`/dev/ngXnY` or `/dev/nvmeXnY`): the ioctl NVME_IOCTL_ID, a plain
 * system call. Throws a {@link UringError} when `fd` is not one.
 *
 * @param fd The namespace device.
 *
 * @example
 * ```ts
 * import { openSync } from "node:fs";
 *
 * const nsid = nvmeNamespaceId(openSync("/dev/ng0n1", "r")); // 1
 * ```
 */
export function nvmeNamespaceId(fd: number): number {
  const r = libc().ioctl(fd, NVME_IOCTL_ID, 0);
  if (r < 0) throw new UringError("get the NVMe namespace ID", libc().errno(), `${describeFd(fd)} (NVME_IOCTL_ID)`);
  return r;
}
