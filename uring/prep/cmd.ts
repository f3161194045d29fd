/**
 * uring_cmd: driver-specific commands (`cmd_op`) on a file, with the socket and block-device commands liburing
 * has helpers for.
 *
 * The command payload of a generic uring_cmd lives in the SQE from byte 48 (16 bytes in a 64-byte SQE, 80 in a
 * 128-byte one); fill it after preparing.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import {
  BLOCK_URING_CMD_DISCARD,
  IORING_OP_URING_CMD,
  IORING_OP_URING_CMD128,
  SOCKET_URING_OP_GETSOCKNAME,
} from "../abi/uapi.ts";
import { setU64, W_ADDR, W_ADDR3, W_FILE_INDEX, W_LEN, W_OFF, W_OPTNAME, W_PAD1 } from "./base.ts";

// liburing's __io_uring_prep_uring_cmd: opcode, fd and cmd_op; __pad1, addr and len cleared. Unlike prep_rw it
// leaves the op-flags word (uring_cmd_flags) alone.
function prepCmd(op: number, sqe: Sqe, cmdOp: number, fd: number): void {
  const u32 = sqe.u32;
  u32[0] = op;
  u32[1] = fd;
  u32[W_OFF] = cmdOp;
  u32[W_PAD1] = 0;
  u32[W_ADDR] = 0;
  u32[W_ADDR + 1] = 0;
  u32[W_LEN] = 0;
}

/**
 * Prepares a uring_cmd: command `cmdOp` of the driver behind `fd`. Write the command's own data at byte 48 of the
 * SQE (and IORING_URING_CMD_FIXED or IORING_URING_CMD_MULTISHOT in `uring_cmd_flags`) afterwards. Matches
 * liburing's `io_uring_prep_uring_cmd` (Linux 5.19).
 *
 * @param sqe The SQE to fill (128 bytes on an IORING_SETUP_SQE128 ring for drivers that need it).
 * @param cmdOp The driver's command number (unsigned 32-bit).
 * @param fd The file descriptor.
 *
 * @example
 * ```ts
 * prepUringCmd(ring.getSqe()!, SOCKET_URING_OP_SIOCINQ, sock);
 * ```
 */
export function prepUringCmd(sqe: Sqe, cmdOp: number, fd: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, cmdOp, fd);
}

/**
 * Prepares a uring_cmd that occupies a 128-byte SQE on an IORING_SETUP_SQE_MIXED ring (take the SQE from
 * `ring.getSqe128()`); the command data has 80 bytes from byte 48. Matches liburing's `io_uring_prep_uring_cmd128`
 * (Linux 6.19).
 *
 * @param sqe The 128-byte SQE to fill.
 * @param cmdOp The driver's command number (unsigned 32-bit).
 * @param fd The file descriptor.
 *
 * @example
 * ```ts
 * prepUringCmd128(ring.getSqe128()!, cmdOp, fd);
 * ```
 */
export function prepUringCmd128(sqe: Sqe, cmdOp: number, fd: number): void {
  prepCmd(IORING_OP_URING_CMD128, sqe, cmdOp, fd);
}

/**
 * Prepares a socket command: SOCKET_URING_OP_SIOCINQ / SIOCOUTQ and GETSOCKOPT / SETSOCKOPT (Linux 6.7),
 * TX_TIMESTAMP (Linux 6.17). For GETSOCKOPT the result is the option's new length. Matches liburing's
 * `io_uring_prep_cmd_sock` (Linux 6.7).
 *
 * UNSAFE: for GETSOCKOPT/SETSOCKOPT the kernel dereferences `optval`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param cmdOp A `SOCKET_URING_OP_*` command.
 * @param fd The socket.
 * @param level The option level (SOL_SOCKET 1 ...; GETSOCKOPT accepts only SOL_SOCKET).
 * @param optname The option name.
 * @param optval The address of the option value.
 * @param optlen The size of the option value.
 *
 * @example
 * ```ts
 * const SOL_SOCKET = 1, SO_KEEPALIVE = 9;
 * prepCmdSock(ring.getSqe()!, SOCKET_URING_OP_SETSOCKOPT, sock, SOL_SOCKET, SO_KEEPALIVE, one.address, 4);
 * ```
 */
export function prepCmdSock(
  sqe: Sqe, cmdOp: number, fd: number, level: number, optname: number, optval: number, optlen: number,
): void {
  prepCmd(IORING_OP_URING_CMD, sqe, cmdOp, fd);
  setU64(sqe.u32, W_ADDR3, optval); // optval
  sqe.u32[W_OPTNAME] = optname;
  sqe.u32[W_FILE_INDEX] = optlen; // optlen
  sqe.u32[W_ADDR] = level; // level
}

/**
 * Prepares getsockname(2), or getpeername(2) when `peer` is 1, as a socket command. The kernel writes the address
 * and updates the length at `sockaddrLen`. Matches liburing's `io_uring_prep_cmd_getsockname` (Linux 6.19).
 *
 * UNSAFE: the kernel writes `sockaddr` and reads/writes `sockaddrLen`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param sockaddr The address of a `struct sockaddr` buffer.
 * @param sockaddrLen The address of a `socklen_t` holding the buffer's size.
 * @param peer 0 for the local address, 1 for the peer's.
 *
 * @example
 * ```ts
 * prepCmdGetsockname(ring.getSqe()!, sock, addr.address, addrLen.address, 0);
 * ```
 */
export function prepCmdGetsockname(sqe: Sqe, fd: number, sockaddr: number, sockaddrLen: number, peer: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, SOCKET_URING_OP_GETSOCKNAME, fd);
  setU64(sqe.u32, W_ADDR, sockaddr);
  setU64(sqe.u32, W_ADDR3, sockaddrLen);
  sqe.u32[W_FILE_INDEX] = peer; // optlen
}

/**
 * Prepares a discard of `nbytes` from byte `offset` of a block device (BLOCK_URING_CMD_DISCARD). Matches liburing's
 * `io_uring_prep_cmd_discard` (Linux 6.12).
 *
 * @param sqe The SQE to fill.
 * @param fd The block device, opened for writing.
 * @param offset The start of the range in bytes (up to 2^53, aligned to the logical block size).
 * @param nbytes The length in bytes (up to 2^53, aligned likewise).
 *
 * @example
 * ```ts
 * prepCmdDiscard(ring.getSqe()!, loopFd, 0, 1 << 20);
 * ```
 */
export function prepCmdDiscard(sqe: Sqe, fd: number, offset: number, nbytes: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, BLOCK_URING_CMD_DISCARD, fd);
  setU64(sqe.u32, W_ADDR, offset);
  setU64(sqe.u32, W_ADDR3, nbytes);
}
