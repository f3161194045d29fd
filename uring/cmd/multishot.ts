/**
 * Multishot uring_cmd (IORING_URING_CMD_MULTISHOT, Linux 6.18): one request to a driver that posts a CQE per
 * event, each naming a provided buffer the driver filled, until the driver ends it.
 *
 * The kernel's rules (io_uring/uring_cmd.c `io_uring_cmd_prep`, Linux 6.18; each is EINVAL at prep time):
 * - `uring_cmd_flags` may hold only IORING_URING_CMD_FIXED and IORING_URING_CMD_MULTISHOT;
 * - MULTISHOT is not combinable with FIXED;
 * - MULTISHOT requires IOSQE_BUFFER_SELECT, and BUFFER_SELECT is refused without MULTISHOT.
 *
 * The hazard: `io_uring_cmd()` treats any non-negative answer of a driver to a MULTISHOT command as "events will
 * follow" (IOU_ISSUE_SKIP_COMPLETE) and posts nothing. A driver without multishot support answers its commands
 * with 0 or a count, so the request then never completes, and cannot be cancelled either (it is neither polled
 * nor marked cancelable). Checked on 6.18: SIOCINQ on a socket and any command to /dev/null (`uring_cmd_null`
 * answers 0) hang that way. No in-tree driver supports multishot in 6.18 or 6.19 (ublk's batch I/O is the first
 * user, in 7.0). So ringside refuses MULTISHOT for every (driver, cmd_op) it knows to lack it, and for anything it
 * does not know unless the caller says `unsafeAllowUnknown`.
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import type { Loop } from "../loop/loop.ts";
import { Ring } from "../ring/ring.ts";
import { NativeMemory } from "../core/memory.ts";
import { refuse, UringError } from "../core/errors.ts";
import { checkFd, checkU32 } from "../core/_validate.ts";
import { cqeError } from "../loop/operation.ts";
import type { BufferRing } from "../buffers/buffer_ring.ts";
import type { FinalAction } from "../streams/stream.ts";
import { ByteStream } from "../streams/buffered_stream.ts";
import { type Sqe, sqeAddFlags, sqeSetBufGroup, sqeSetData } from "../ring/sqe.ts";
import { prepCmdSock, prepUringCmd } from "../prep/cmd.ts";
import { W_OP_FLAGS } from "../prep/base.ts";
import { kernelRelease } from "../ring/kernel_version.ts";
import {
  BLOCK_URING_CMD_DISCARD,
  IORING_URING_CMD_FIXED,
  IORING_URING_CMD_MASK,
  IORING_URING_CMD_MULTISHOT,
  IOSQE_BUFFER_SELECT,
  SOCKET_URING_OP_GETSOCKNAME,
  SOCKET_URING_OP_GETSOCKOPT,
  SOCKET_URING_OP_SETSOCKOPT,
  SOCKET_URING_OP_SIOCINQ,
  SOCKET_URING_OP_SIOCOUTQ,
  SOCKET_URING_OP_TX_TIMESTAMP,
} from "../abi/uapi.ts";
import { AF_INET, SOCK_DGRAM, SOL_SOCKET } from "../abi/sockaddr.ts";
import { EINVAL, ENOPROTOOPT, EOPNOTSUPP } from "../abi/errno.ts";
import { FUSE_IO_URING_CMD_COMMIT_AND_FETCH, FUSE_IO_URING_CMD_REGISTER } from "../fuse/abi.ts";
import { URING_CMD_AREA, writeCommandArea } from "./common.ts";
import { type CmdDriver, cmdDriver, describeFd } from "./driver.ts";
import { NVME_URING_CMD_ADMIN, NVME_URING_CMD_ADMIN_VEC, NVME_URING_CMD_IO, NVME_URING_CMD_IO_VEC } from "./nvme.ts";
/** An option name no kernel defines (SOL_SOCKET options are small numbers): sk_setsockopt answers ENOPROTOOPT. */
const PROBE_OPTNAME = 0x7ffe_0001;

// ---- Prep and the kernel's flag rules -------------------------------------------------------------------------

/**
 * Prepares a multishot uring_cmd: command `cmdOp` of the driver behind `fd`, with IORING_URING_CMD_MULTISHOT in
 * `uring_cmd_flags` and IOSQE_BUFFER_SELECT from buffer group `bgid` (Linux 6.18). Write the command's own data
 * at byte 48 afterwards. liburing has no helper for it (set the flags on `io_uring_prep_uring_cmd`'s SQE).
 *
 * UNSAFE: to a command without multishot support, this request never completes (see the module notes); the safe
 * way is {@link UringCmdStream}.
 *
 * @param sqe The SQE to fill.
 * @param cmdOp The driver's command number.
 * @param fd The file descriptor.
 * @param bgid The buffer group the driver selects event buffers from.
 *
 * @example
 * ```ts
 * import { BufferRing, Ring } from "ringside-uring";
 * declare const fd: number; // a driver that streams command 0x42
 *
 * const ring = new Ring(8);
 * const buffers = BufferRing.create(ring, { bgid: 7, entries: 64, bufferSize: 4096 });
 * prepUringCmdMultishot(ring.getSqe()!, 0x42, fd, buffers.bgid);
 * ```
 */
export function prepUringCmdMultishot(sqe: Sqe, cmdOp: number, fd: number, bgid: number): void {
  prepUringCmd(sqe, cmdOp, fd);
  sqe.u32[W_OP_FLAGS] = IORING_URING_CMD_MULTISHOT;
  sqeAddFlags(sqe, IOSQE_BUFFER_SELECT);
  sqeSetBufGroup(sqe, bgid);
}

/**
 * Applies the kernel's rules for `uring_cmd_flags` and IOSQE_BUFFER_SELECT (io_uring/uring_cmd.c
 * `io_uring_cmd_prep`, Linux 6.18) before the kernel sees them, throwing a {@link UringError} that names the rule
 * the kernel would answer EINVAL for.
 *
 * @param operation What is being done, for the error.
 * @param cmdFlags The `uring_cmd_flags` word.
 * @param sqeFlags The SQE's `IOSQE_*` flags.
 *
 * @example
 * ```ts
 * import { IORING_URING_CMD_MULTISHOT } from "ringside-uring";
 *
 * checkUringCmdFlags("send a command", IORING_URING_CMD_MULTISHOT, 0); // throws: needs IOSQE_BUFFER_SELECT
 * ```
 */
export function checkUringCmdFlags(operation: string, cmdFlags: number, sqeFlags: number): void {
  // A u32, or the signed int32 that JS bitwise operators make of one with bit 31 set.
  if (!Number.isInteger(cmdFlags) || cmdFlags < -0x80000000 || cmdFlags > 0xffffffff) {
    refuse(operation, `uring_cmd_flags must be a u32, got ${cmdFlags}`);
  }
  cmdFlags >>>= 0;
  const unknown = (cmdFlags & ~IORING_URING_CMD_MASK) >>> 0;
  if (unknown) {
    refuse(operation, `unknown uring_cmd_flags bits 0x${unknown.toString(16)}: only IORING_URING_CMD_FIXED (1) and ` +
      `IORING_URING_CMD_MULTISHOT (2) exist, and the kernel answers EINVAL to any other`);
  }
  const multishot = (cmdFlags & IORING_URING_CMD_MULTISHOT) !== 0;
  const select = (sqeFlags & IOSQE_BUFFER_SELECT) !== 0;
  if (multishot && cmdFlags & IORING_URING_CMD_FIXED) {
    refuse(operation, "IORING_URING_CMD_MULTISHOT cannot be combined with IORING_URING_CMD_FIXED: a multishot " +
      "command takes its buffers from a provided-buffer group, and the kernel answers EINVAL");
  }
  if (multishot && !select) {
    refuse(operation, "IORING_URING_CMD_MULTISHOT needs IOSQE_BUFFER_SELECT and a buffer group for its events; " +
      "the kernel answers EINVAL without it");
  }
  if (select && !multishot) {
    refuse(operation, "IOSQE_BUFFER_SELECT on a uring_cmd is allowed only with IORING_URING_CMD_MULTISHOT; " +
      "the kernel answers EINVAL");
  }
}

// ---- The feature probe ----------------------------------------------------------------------------------------

/** What {@link probeMultishotUringCmd} found. */
export interface MultishotProbe {
  /** Whether the kernel accepts IORING_URING_CMD_MULTISHOT. */
  supported: boolean;
  /** The probe request's result (-ENOPROTOOPT when supported), or 0 when no ring could be set up. */
  res: number;
  /** Why not, for messages; "" when supported. */
  reason: string;
}

let probed: MultishotProbe | undefined;

/**
 * Finds out, once, whether this kernel has multishot uring_cmd (Linux 6.18), without risking a request that
 * never completes: on a private ring, a SETSOCKOPT socket command at SOL_SOCKET with an option name no kernel has,
 * flagged MULTISHOT with IOSQE_BUFFER_SELECT. A kernel with multishot uring_cmd passes prep and runs the command,
 * which fails with ENOPROTOOPT (a failure completes even a multishot request); an older kernel answers EINVAL
 * (MULTISHOT is an unknown flag) or EOPNOTSUPP (no buffer selection for uring_cmd). The buffer group need not
 * exist: the command never selects a buffer. Cached.
 *
 * @example
 * ```ts
 * const { supported, reason } = probeMultishotUringCmd();
 * if (!supported) console.log(`no multishot uring_cmd: ${reason}`);
 * ```
 */
export function probeMultishotUringCmd(): MultishotProbe {
  if (probed) return probed;
  let ring: Ring | undefined;
  let fd = -1;
  let mem: NativeMemory | undefined;
  try {
    ring = new Ring(2);
    fd = libc().socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return (probed = { supported: false, res: 0, reason: "socket(AF_INET, SOCK_DGRAM) failed" });
    mem = NativeMemory.allocate(8);
    new DataView(mem.buffer).setInt32(0, 1, true);
    const sqe = ring.getSqe()!;
    prepCmdSock(sqe, SOCKET_URING_OP_SETSOCKOPT, fd, SOL_SOCKET, PROBE_OPTNAME, mem.address, 4);
    sqe.u32[W_OP_FLAGS] = IORING_URING_CMD_MULTISHOT;
    sqeAddFlags(sqe, IOSQE_BUFFER_SELECT);
    sqeSetBufGroup(sqe, 0xfffe);
    sqeSetData(sqe, 1);
    ring.submitAndWait(1, { timeoutNs: 1_000_000_000 });
    let res = 1;
    ring.forEachCqe((_ud, r) => (res = r));
    if (res === -ENOPROTOOPT) probed = { supported: true, res, reason: "" };
    else if (res === 1) {
      // No answer within a second: something swallowed the request. Leak the ring's memory rather than free it
      // under the kernel; never use multishot here.
      probed = { supported: false, res: 0, reason: "the probe request did not complete" };
      ring = undefined;
      mem = undefined;
    } else {
      probed = {
        supported: false,
        res,
        reason: `IORING_URING_CMD_MULTISHOT needs Linux 6.18; this kernel (${kernelRelease()}) answered ` +
          `${res === -EINVAL ? "EINVAL" : res === -EOPNOTSUPP ? "EOPNOTSUPP" : res}`,
      };
    }
  } catch (e) {
    probed = { supported: false, res: 0, reason: `io_uring is unavailable: ${(e as Error).message}` };
  } finally {
    ring?.close();
    mem?.free();
    if (fd >= 0) libc().close(fd);
  }
  return probed!;
}

/**
 * Whether this kernel has multishot uring_cmd (IORING_URING_CMD_MULTISHOT, Linux 6.18): {@link probeMultishotUringCmd}.
 *
 * @example
 * ```ts
 * import type { BufferRing, Loop } from "ringside-uring";
 * declare const loop: Loop;
 * declare const buffers: BufferRing;
 * declare const fd: number; // a driver documented to stream command 0x42
 *
 * if (multishotUringCmdSupported()) new UringCmdStream(loop, fd, 0x42, { buffers, unsafeAllowUnknown: true });
 * ```
 */
export function multishotUringCmdSupported(): boolean {
  return probeMultishotUringCmd().supported;
}

// ---- Commands known to have no multishot support --------------------------------------------------------------

/** A command ringside knows, by driver and `cmd_op`. */
export interface KnownUringCmd {
  /** The driver family. */
  driver: CmdDriver;
  /** The command number, or -1 for "every command of this driver". */
  cmdOp: number;
  /** Its name. */
  name: string;
  /** The kernel version that added it. */
  since: string;
  /** Why a MULTISHOT request to it is refused. */
  why: string;
}

const ANSWERS = "answers once, with a result, so a MULTISHOT request to it would never complete";

/**
 * Every uring_cmd ringside knows, none of which supports IORING_URING_CMD_MULTISHOT (Linux 6.18, 6.19). A
 * multishot request to any of them is refused.
 */
export const KNOWN_URING_CMDS: readonly KnownUringCmd[] = Object.freeze([
  { driver: "socket", cmdOp: SOCKET_URING_OP_SIOCINQ, name: "SOCKET_URING_OP_SIOCINQ", since: "6.7", why: ANSWERS },
  { driver: "socket", cmdOp: SOCKET_URING_OP_SIOCOUTQ, name: "SOCKET_URING_OP_SIOCOUTQ", since: "6.7", why: ANSWERS },
  {
    driver: "socket", cmdOp: SOCKET_URING_OP_GETSOCKOPT, name: "SOCKET_URING_OP_GETSOCKOPT", since: "6.7",
    why: ANSWERS,
  },
  {
    driver: "socket", cmdOp: SOCKET_URING_OP_SETSOCKOPT, name: "SOCKET_URING_OP_SETSOCKOPT", since: "6.7",
    why: ANSWERS,
  },
  {
    driver: "socket", cmdOp: SOCKET_URING_OP_TX_TIMESTAMP, name: "SOCKET_URING_OP_TX_TIMESTAMP", since: "6.17",
    why: "is multishot by itself (a poll on the error queue, no provided buffers): use txTimestamps()",
  },
  {
    driver: "socket", cmdOp: SOCKET_URING_OP_GETSOCKNAME, name: "SOCKET_URING_OP_GETSOCKNAME", since: "6.19",
    why: ANSWERS,
  },
  { driver: "block", cmdOp: BLOCK_URING_CMD_DISCARD, name: "BLOCK_URING_CMD_DISCARD", since: "6.12", why: ANSWERS },
  { driver: "nvme", cmdOp: NVME_URING_CMD_IO, name: "NVME_URING_CMD_IO", since: "5.19", why: ANSWERS },
  { driver: "nvme", cmdOp: NVME_URING_CMD_IO_VEC, name: "NVME_URING_CMD_IO_VEC", since: "6.1", why: ANSWERS },
  { driver: "nvme", cmdOp: NVME_URING_CMD_ADMIN, name: "NVME_URING_CMD_ADMIN", since: "5.19", why: ANSWERS },
  { driver: "nvme", cmdOp: NVME_URING_CMD_ADMIN_VEC, name: "NVME_URING_CMD_ADMIN_VEC", since: "6.1", why: ANSWERS },
  {
    driver: "fuse", cmdOp: FUSE_IO_URING_CMD_REGISTER, name: "FUSE_IO_URING_CMD_REGISTER", since: "6.14",
    why: ANSWERS,
  },
  {
    driver: "fuse", cmdOp: FUSE_IO_URING_CMD_COMMIT_AND_FETCH, name: "FUSE_IO_URING_CMD_COMMIT_AND_FETCH",
    since: "6.14", why: ANSWERS,
  },
  {
    driver: "null", cmdOp: -1, name: "any command to /dev/null", since: "6.2",
    why: "is answered 0 by uring_cmd_null(), so a MULTISHOT request to it would never complete",
  },
] as const satisfies readonly KnownUringCmd[]);

/**
 * The entry of {@link KNOWN_URING_CMDS} for this driver and command, if ringside knows it.
 *
 * @param driver The driver family ({@link cmdDriver}).
 * @param cmdOp The command number.
 *
 * @example
 * ```ts
 * console.log(knownUringCmd("socket", 0)?.name); // "SOCKET_URING_OP_SIOCINQ"
 * ```
 */
export function knownUringCmd(driver: CmdDriver, cmdOp: number): KnownUringCmd | undefined {
  const op = cmdOp >>> 0;
  return KNOWN_URING_CMDS.find((k) => k.driver === driver && (k.cmdOp === -1 || k.cmdOp >>> 0 === op));
}

/** Options of {@link checkMultishotCommand} and {@link UringCmdStream}. */
export interface MultishotCommandOptions {
  /**
   * Let a command ringside does not know through. UNSAFE: if the driver does not support multishot for it, the
   * request never completes (and cannot be cancelled); only for drivers documented to stream this command.
   */
  unsafeAllowUnknown?: boolean | undefined;
}

/**
 * Refuses a multishot request that could never complete: any command ringside knows (they all lack multishot
 * support), and, without `unsafeAllowUnknown`, any command it does not know.
 *
 * @param operation What is being done, for the error.
 * @param driver The driver family behind the descriptor ({@link cmdDriver}).
 * @param cmdOp The command number.
 * @param options `unsafeAllowUnknown`.
 * @param target How to name the file in errors.
 *
 * @example
 * ```ts
 * import { SOCKET_URING_OP_SIOCINQ } from "ringside-uring";
 *
 * checkMultishotCommand("stream a command", "socket", SOCKET_URING_OP_SIOCINQ); // throws
 * ```
 */
export function checkMultishotCommand(
  operation: string, driver: CmdDriver, cmdOp: number, options: MultishotCommandOptions = {}, target: string = driver,
): void {
  const known = knownUringCmd(driver, cmdOp);
  if (known) {
    refuse(operation, `${known.name} (Linux ${known.since}) has no multishot support: it ${known.why}`);
  }
  if (!options.unsafeAllowUnknown) {
    refuse(operation, `ringside does not know whether command 0x${(cmdOp >>> 0).toString(16)} of ${target} ` +
      `supports IORING_URING_CMD_MULTISHOT; to a command without it the request never completes and cannot be ` +
      `cancelled. Pass unsafeAllowUnknown: true only for a driver documented to stream this command`);
  }
}

// ---- The stream -----------------------------------------------------------------------------------------------

/** What {@link UringCmdStream} takes. */
export interface UringCmdStreamOptions extends MultishotCommandOptions {
  /** The provided-buffer ring the driver fills one buffer per event from (registered on the loop's ring). */
  buffers: BufferRing;
  /** The command's own bytes, copied to the SQE's command area (byte 48 on; 16 bytes, or 80 with SQE128). */
  command?: ArrayBufferView | undefined;
  /** Extra `uring_cmd_flags` bits (checked against the kernel's rules: FIXED is refused with MULTISHOT). */
  cmdFlags?: number | undefined;
  /** Ends the stream with an AbortError when aborted. */
  signal?: AbortSignal | undefined;
  /** Yield views into the provided buffers (valid until the next pull) instead of copies. */
  zeroCopy?: boolean | undefined;
}

/**
 * The events of a driver's multishot uring_cmd (IORING_URING_CMD_MULTISHOT with IOSQE_BUFFER_SELECT, Linux
 * 6.18), one `Uint8Array` per CQE: the bytes the driver wrote into the provided buffer that CQE names (`res`
 * bytes). A buffer goes back to the ring when its event is pulled (or, with `zeroCopy`, at the next pull). When
 * the driver ends the request: a positive final result re-arms (the CQ was full), 0 ends the stream, ENOBUFS
 * waits for buffers and re-arms, an error rejects the pending pull. Breaking out of `for await` cancels the
 * request, which needs the driver to support cancellation.
 *
 * Refused before the kernel: a kernel without multishot uring_cmd, flag combinations the kernel refuses, and
 * commands that cannot stream (see {@link checkMultishotCommand}).
 *
 * @example
 * ```ts
 * import { BufferRing, Loop } from "ringside-uring";
 * declare const devFd: number; // a driver documented to stream events for command 0x42
 *
 * const loop = new Loop();
 * const buffers = BufferRing.create(loop.ring, { bgid: 7, entries: 64, bufferSize: 4096 });
 * const events = new UringCmdStream(loop, devFd, 0x42, { buffers, unsafeAllowUnknown: true });
 * for await (const event of events) console.log(event.byteLength);
 * ```
 */
export class UringCmdStream extends ByteStream {
  /** The file descriptor. */
  readonly fd: number;
  /** The command number. */
  readonly cmdOp: number;
  private readonly command: Uint8Array | undefined;
  private readonly cmdFlags: number;

  /**
   * @param loop The loop (its ring must hold `options.buffers`).
   * @param fd The driver's file descriptor.
   * @param cmdOp The command number.
   * @param options `buffers` (required), `command`, `cmdFlags`, `unsafeAllowUnknown`, `signal`, `zeroCopy`.
   */
  constructor(loop: Loop, fd: number, cmdOp: number, options: UringCmdStreamOptions) {
    const what = "stream a uring_cmd";
    const buffers = options?.buffers;
    if (!buffers) refuse(what, "a multishot uring_cmd needs a BufferRing (options.buffers) for its events");
    super(loop, "uring_cmd", buffers, { zeroCopy: options.zeroCopy ?? false });
    checkFd(what, fd);
    checkU32(what, cmdOp, "cmd_op");
    if (buffers.ring !== loop.ring) refuse(what, "the BufferRing belongs to another ring than the loop's");
    const cmdFlags = IORING_URING_CMD_MULTISHOT | (options.cmdFlags ?? 0);
    checkUringCmdFlags(what, cmdFlags, IOSQE_BUFFER_SELECT);
    const probe = probeMultishotUringCmd();
    if (!probe.supported) refuse(what, `unsupported: ${probe.reason}`);
    checkMultishotCommand(what, cmdDriver(fd), cmdOp, options, describeFd(fd));
    if (options.command && options.command.byteLength > loop.ring.sqeSize - URING_CMD_AREA) {
      refuse(what, `the command is ${options.command.byteLength} bytes; this ring's SQEs hold ` +
        `${loop.ring.sqeSize - URING_CMD_AREA} (IORING_SETUP_SQE128 gives 80)`);
    }
    this.fd = fd;
    this.cmdOp = cmdOp >>> 0;
    this.cmdFlags = cmdFlags >>> 0;
    this.command = options.command
      ? new Uint8Array(options.command.buffer, options.command.byteOffset, options.command.byteLength).slice()
      : undefined;
    if (options.signal) this.bindSignal(options.signal);
    this.start();
  }

  protected prepRequest(sqe: Sqe): void {
    prepUringCmdMultishot(sqe, this.cmdOp, this.fd, this.buffers.bgid);
    sqe.u32[W_OP_FLAGS] = this.cmdFlags;
    if (this.command) writeCommandArea(sqe, this.command, "stream a uring_cmd");
  }

  protected override onFinal(res: number, flags: number): FinalAction | Error {
    if (res === -EOPNOTSUPP) {
      return new UringError("stream a uring_cmd", EOPNOTSUPP,
        `${describeFd(this.fd)} has no uring_cmd handler or no command 0x${this.cmdOp.toString(16)}`,
        { cause: cqeError("stream a uring_cmd", res) });
    }
    return super.onFinal(res, flags);
  }
}
