/**
 * Any driver's uring_cmd as a promise: IORING_OP_URING_CMD (Linux 5.19) with the command's bytes, its flags
 * checked against the kernel's rules before it is submitted, and both halves of a 32-byte CQE in the result.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, checkInt, checkU32 } from "../core/_validate.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { type Sqe, sqeAddFlags } from "../ring/sqe.ts";
import { prepUringCmd } from "../prep/cmd.ts";
import { H_BUF_INDEX, W_OP_FLAGS } from "../prep/base.ts";
import {
  IORING_URING_CMD_FIXED,
  IORING_URING_CMD_MULTISHOT,
  IOSQE_ASYNC,
  IOSQE_BUFFER_SELECT,
  IOSQE_FIXED_FILE,
} from "../abi/uapi.ts";
import { CmdOp, URING_CMD_AREA, writeCommandArea } from "./common.ts";
import { checkUringCmdFlags } from "./multishot.ts";

/** Options of {@link uringCmd}. */
export interface UringCmdOptions extends OpOptions {
  /** The command's own bytes, copied to the SQE's command area (16 bytes, or 80 on an IORING_SETUP_SQE128 ring). */
  command?: ArrayBufferView | undefined;
  /** `uring_cmd_flags`: IORING_URING_CMD_FIXED (a registered buffer, `bufIndex`). MULTISHOT is a stream. */
  cmdFlags?: number | undefined;
  /** The registered buffer's index with IORING_URING_CMD_FIXED. */
  bufIndex?: number | undefined;
  /** `IOSQE_*` flags: IOSQE_FIXED_FILE (`fd` is a registered file's index) and IOSQE_ASYNC. */
  sqeFlags?: number | undefined;
}

/** What {@link uringCmd} resolves to. */
export interface UringCmdResult {
  /** The CQE's `res` (the driver's answer; failures reject instead). */
  res: number;
  /** Whether the CQE was 32 bytes long, so `extra1` and `extra2` are the driver's. */
  big: boolean;
  /** `big_cqe[0]` (a driver's second result, `io_uring_cmd_done()`'s `res2`), 0n without a 32-byte CQE. */
  extra1: bigint;
  /** `big_cqe[1]`, 0n without a 32-byte CQE. */
  extra2: bigint;
}

const ALLOWED_SQE_FLAGS = IOSQE_FIXED_FILE | IOSQE_ASYNC | IOSQE_BUFFER_SELECT;

/**
 * Sends command `cmdOp` to the driver behind `fd` (IORING_OP_URING_CMD, Linux 5.19) and resolves to its answer.
 * The flags are checked against the kernel's rules first (unknown `uring_cmd_flags` bits, MULTISHOT with FIXED,
 * MULTISHOT without IOSQE_BUFFER_SELECT, BUFFER_SELECT without MULTISHOT: each refused with the rule named);
 * a MULTISHOT command is a stream ({@link UringCmdStream}), not a promise.
 *
 * UNSAFE when `command` holds addresses: the driver dereferences them, and they must stay valid until the
 * promise settles.
 *
 * @param loop The loop.
 * @param fd The file descriptor (or a registered file's index with IOSQE_FIXED_FILE).
 * @param cmdOp The driver's command number (u32).
 * @param options `command`, `cmdFlags`, `bufIndex`, `sqeFlags`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { AF_INET, Loop, SOCK_DGRAM, SOCKET_URING_OP_SIOCINQ, socket } from "ringside-uring";
 *
 * const loop = new Loop();
 * const sock = await socket(loop, AF_INET, SOCK_DGRAM);
 * const { res } = await uringCmd(loop, sock, SOCKET_URING_OP_SIOCINQ); // bytes waiting: 0
 * ```
 */
export function uringCmd(
  loop: Loop, fd: number, cmdOp: number, options: UringCmdOptions = {},
): Promise<UringCmdResult> {
  const what = "send a uring_cmd";
  const cmdFlags = options.cmdFlags ?? 0;
  const sqeFlags = options.sqeFlags ?? 0;
  try {
    checkFd(what, fd);
    checkU32(what, cmdOp, "cmd_op");
    if (!Number.isInteger(sqeFlags) || sqeFlags < 0 || sqeFlags & ~ALLOWED_SQE_FLAGS) {
      refuse(what, "sqeFlags may hold IOSQE_FIXED_FILE, IOSQE_ASYNC and IOSQE_BUFFER_SELECT, got 0x" +
        (sqeFlags >>> 0).toString(16));
    }
    checkUringCmdFlags(what, cmdFlags, sqeFlags);
    if (cmdFlags & IORING_URING_CMD_MULTISHOT) {
      refuse(what, "a multishot uring_cmd completes many times: use UringCmdStream, not a promise");
    }
    if (options.bufIndex !== undefined && !(cmdFlags & IORING_URING_CMD_FIXED)) {
      refuse(what, "bufIndex means something only with IORING_URING_CMD_FIXED");
    }
    if (options.bufIndex !== undefined) checkInt(what, options.bufIndex, 0, 0xffff, "bufIndex");
    if (options.command && options.command.byteLength > loop.ring.sqeSize - URING_CMD_AREA) {
      refuse(what, `the command is ${options.command.byteLength} bytes; this ring's SQEs hold ` +
        `${loop.ring.sqeSize - URING_CMD_AREA} (IORING_SETUP_SQE128 gives 80)`);
    }
  } catch (e) {
    return Promise.reject(e);
  }
  const command = options.command
    ? new Uint8Array(options.command.buffer, options.command.byteOffset, options.command.byteLength).slice()
    : undefined;
  const op: CmdOp<UringCmdResult> = new CmdOp<UringCmdResult>(what, (sqe: Sqe) => {
    prepUringCmd(sqe, cmdOp, fd);
    sqe.u32[W_OP_FLAGS] = cmdFlags >>> 0;
    sqeAddFlags(sqe, sqeFlags);
    if (options.bufIndex !== undefined) sqe.u16[H_BUF_INDEX] = options.bufIndex;
    if (command) writeCommandArea(sqe, command, what);
  }, { map: (res) => ({ res, big: op.big, extra1: op.extra1(), extra2: op.extra2() }) });
  return run(loop, op, options);
}
