/**
 * Any driver's uring_cmd as a promise: IORING_OP_URING_CMD (Linux 5.19) with the command's bytes, its flags
 * checked against the kernel's rules before it is submitted, and both halves of a 32-byte CQE in the result.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, type OpOptions, run } from "../ops/ops.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepUringCmd } from "../prep/cmd.ts";
import { H_BUF_INDEX, W_OP_FLAGS } from "../prep/base.ts";
import {
  IORING_URING_CMD_FIXED,
  IORING_URING_CMD_MULTISHOT,
  IOSQE_ASYNC,
  IOSQE_BUFFER_SELECT,
  IOSQE_FIXED_FILE,
} from "../abi/uapi.ts";
import { CmdOp, writeCommandArea } from "./common.ts";
import { checkUringCmdFlags } from "./multishot.ts";

/** Options of {@link uringCmd}. */
export interface UringCmdOptions extends OpOptions {
  /** The command's own bytes, copied to the SQE's command area (16 bytes, or 80 on an IORING_SETUP_SQE128 ring). */
  command?: ArrayBufferView;
  /** `uring_cmd_flags`: IORING_URING_CMD_FIXED (a registered buffer, `bufIndex`). MULTISHOT is a stream. */
  cmdFlags?: number;
  /** The registered buffer's index with IORING_URING_CMD_FIXED. */
  bufIndex?: number;
  /** `IOSQE_*` flags: IOSQE_FIXED_FILE (`fd` is a registered file's index) and IOSQE_ASYNC. */
  sqeFlags?: number;
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
 * const { res } = await uringCmd(loop, sock, SOCKET_URING_OP_SIOCINQ); // bytes waiting
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
    if (!Number.isInteger(cmdOp) || cmdOp < 0 || cmdOp > 0xffffffff) refuse(what, `cmd_op must be a u32, got ${cmdOp}`);
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
    if (options.bufIndex !== undefined && (!Number.isInteger(options.bufIndex) || options.bufIndex < 0 ||
      options.bufIndex > 0xffff)) {
      refuse(what, `bufIndex must be a u16, got ${options.bufIndex}`);
    }
    if (options.command && options.command.byteLength > loop.ring.sqeSize - 48) {
      refuse(what, `the command is ${options.command.byteLength} bytes; this ring's SQEs hold ` +
        `${loop.ring.sqeSize - 48} (IORING_SETUP_SQE128 gives 80)`);
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
    sqe.u8[1] |= sqeFlags;
    if (options.bufIndex !== undefined) sqe.u16[H_BUF_INDEX] = options.bufIndex;
    if (command) writeCommandArea(sqe, command, what);
  }, { map: (res) => ({ res, big: op.big, extra1: op.extra1(), extra2: op.extra2() }) });
  return run(loop, op, options);
}
