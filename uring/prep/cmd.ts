/**
 * uring_cmd: driver-specific commands (`cmd_op`) on a file, with the socket and block-device commands liburing has
 * helpers for.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards. Unlike `prepRw`, these leave the
 * `uring_cmd_flags` word alone (as liburing's `__io_uring_prep_uring_cmd` does): it is zero in a fresh SQE.
 *
 * The command payload of a generic uring_cmd lives in the SQE from byte 48 (`sqe->cmd`: 16 bytes in a 64-byte SQE,
 * 80 in a 128-byte one); fill it after preparing. Drivers with large commands (NVMe passthrough) need a ring
 * set up with IORING_SETUP_SQE128, or a 128-byte SQE from `ring.getSqe128()` on an IORING_SETUP_SQE_MIXED ring.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import {
  BLOCK_URING_CMD_DISCARD,
  BLOCK_URING_CMD_ZONE_RESET_ALL,
  IORING_OP_URING_CMD,
  IORING_OP_URING_CMD128,
  SOCKET_URING_OP_GETSOCKNAME,
} from "../abi/uapi.ts";
import { W_ADDR, W_ADDR3, W_FILE_INDEX, W_LEN, W_OFF, W_OPTNAME, W_PAD1 } from "./base.ts";
import { setU64Words } from "../abi/_u64.ts";

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
 * Prepares a uring_cmd: command `cmdOp` of the driver behind `fd`, the result defined by the driver. Matches
 * liburing's `io_uring_prep_uring_cmd` (IORING_OP_URING_CMD, Linux 5.19).
 *
 * Write the command's own data from byte 48 of the SQE afterwards, and, if the driver takes them,
 * IORING_URING_CMD_FIXED (Linux 6.1, with `buf_index`) or IORING_URING_CMD_MULTISHOT (Linux 6.18, with
 * IOSQE_BUFFER_SELECT) in `uring_cmd_flags`.
 *
 * @param sqe The SQE (from `ring.getSqe()`; 128 bytes on an IORING_SETUP_SQE128 ring).
 * @param cmdOp The driver's command number (unsigned 32-bit), e.g. a `SOCKET_URING_OP_*`.
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { SOCKET_URING_OP_SIOCINQ } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * prepUringCmd(ring.getSqe()!, SOCKET_URING_OP_SIOCINQ, sock); // result: bytes waiting to be read
 * ```
 */
export function prepUringCmd(sqe: Sqe, cmdOp: number, fd: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, cmdOp, fd);
}

/**
 * Prepares a uring_cmd in a 128-byte SQE on an IORING_SETUP_SQE_MIXED ring, leaving 80 bytes of command data from
 * byte 48. Matches liburing's `io_uring_prep_uring_cmd128` (IORING_OP_URING_CMD128, Linux 6.19).
 *
 * On an IORING_SETUP_SQE128 ring every SQE is already 128 bytes: use {@link prepUringCmd} there.
 *
 * @param sqe A 128-byte SQE (from `ring.getSqe128()`).
 * @param cmdOp The driver's command number (unsigned 32-bit).
 * @param fd The file descriptor, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, fd: number, cmdOp: number; // a ring set up with IORING_SETUP_SQE_MIXED
 *
 * prepUringCmd128(ring.getSqe128()!, cmdOp, fd);
 * ```
 */
export function prepUringCmd128(sqe: Sqe, cmdOp: number, fd: number): void {
  prepCmd(IORING_OP_URING_CMD128, sqe, cmdOp, fd);
}

/**
 * Prepares a socket command: SOCKET_URING_OP_SIOCINQ / SIOCOUTQ (bytes unread / unsent as the result),
 * GETSOCKOPT / SETSOCKOPT (Linux 6.7) and TX_TIMESTAMP (Linux 6.17). For GETSOCKOPT the result is the option's
 * length. Matches liburing's `io_uring_prep_cmd_sock` (IORING_OP_URING_CMD, Linux 6.7).
 *
 * The option fields share the SQE's unions: `level` in the low half of `addr`, `optname` in its high half,
 * `optlen` in `file_index` and `optval` in `addr3`. SIOCINQ/SIOCOUTQ ignore them: pass 0.
 *
 * UNSAFE: for GETSOCKOPT/SETSOCKOPT the kernel dereferences `optval`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param cmdOp A `SOCKET_URING_OP_*` command.
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param level The option level (SOL_SOCKET 1 ...; GETSOCKOPT accepts only SOL_SOCKET), or 0.
 * @param optname The option name (SO_KEEPALIVE 9 ...), or 0.
 * @param optval The address of the option value, or 0.
 * @param optlen The size of the option value in bytes, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { SOCKET_URING_OP_SETSOCKOPT, SOL_SOCKET } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * const SO_KEEPALIVE = 9;
 * const one = NativeMemory.allocate(4);
 * new DataView(one.buffer).setInt32(0, 1, true);
 * prepCmdSock(ring.getSqe()!, SOCKET_URING_OP_SETSOCKOPT, sock, SOL_SOCKET, SO_KEEPALIVE, one.address, 4);
 * ```
 */
export function prepCmdSock(
  sqe: Sqe, cmdOp: number, fd: number, level: number, optname: number, optval: number, optlen: number,
): void {
  prepCmd(IORING_OP_URING_CMD, sqe, cmdOp, fd);
  setU64Words(sqe.u32, W_ADDR3, optval); // optval
  sqe.u32[W_OPTNAME] = optname;
  sqe.u32[W_FILE_INDEX] = optlen; // optlen
  sqe.u32[W_ADDR] = level; // level
}

/**
 * Prepares getsockname(2), or getpeername(2) when `peer` is 1, as a socket command: the kernel writes the address
 * and updates the length at `sockaddrLen`. Matches liburing's `io_uring_prep_cmd_getsockname`
 * (SOCKET_URING_OP_GETSOCKNAME, Linux 6.19).
 *
 * UNSAFE: the kernel writes `sockaddr` and reads/writes `sockaddrLen`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param sockaddr The address of a `struct sockaddr` buffer (`SOCKADDR_STORAGE_SIZE`, 128 bytes, fits any).
 * @param sockaddrLen The address of a `socklen_t` holding the buffer's size.
 * @param peer 0 for the local address, 1 for the peer's.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { SOCKADDR_STORAGE_SIZE } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * const mem = NativeMemory.allocate(SOCKADDR_STORAGE_SIZE + 4);
 * new DataView(mem.buffer).setUint32(SOCKADDR_STORAGE_SIZE, SOCKADDR_STORAGE_SIZE, true);
 * prepCmdGetsockname(ring.getSqe()!, sock, mem.address, mem.address + SOCKADDR_STORAGE_SIZE, 0);
 * ```
 */
export function prepCmdGetsockname(sqe: Sqe, fd: number, sockaddr: number, sockaddrLen: number, peer: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, SOCKET_URING_OP_GETSOCKNAME, fd);
  setU64Words(sqe.u32, W_ADDR, sockaddr);
  setU64Words(sqe.u32, W_ADDR3, sockaddrLen);
  sqe.u32[W_FILE_INDEX] = peer; // optlen
}

/**
 * Prepares a discard of `nbytes` from byte `offset` of a block device (BLOCK_URING_CMD_DISCARD): the device may
 * drop the data, and reads of the range return zeros or the old data depending on the device. Matches liburing's
 * `io_uring_prep_cmd_discard` (IORING_OP_URING_CMD, Linux 6.12).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The block device, opened for writing.
 * @param offset The start of the range in bytes, up to 2^53, aligned to the logical block size.
 * @param nbytes The length in bytes, up to 2^53, aligned likewise.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, blockDevice: number; // opened with O_WRONLY or O_RDWR
 *
 * prepCmdDiscard(ring.getSqe()!, blockDevice, 0, 1 << 20);
 * ```
 */
export function prepCmdDiscard(sqe: Sqe, fd: number, offset: number, nbytes: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, BLOCK_URING_CMD_DISCARD, fd);
  setU64Words(sqe.u32, W_ADDR, offset);
  setU64Words(sqe.u32, W_ADDR3, nbytes);
}

/**
 * Prepares the reset of every sequential-write-required zone of a zoned block device
 * (BLOCK_URING_CMD_ZONE_RESET_ALL, `_IO(0x12, 1)`): the asynchronous ioctl BLKRESETZONE over the whole device, one
 * REQ_OP_ZONE_RESET_ALL. Matches liburing's `io_uring_prep_cmd_zone_reset_all` (liburing 2.16, IORING_OP_URING_CMD):
 * the command alone, `addr` and `addr3` left 0 as the kernel requires (EINVAL otherwise). The kernel answers
 * EOPNOTSUPP for a device that is not zoned, EBADF when `fd` is not open for writing, EPERM on a read-only device;
 * kernels without the command (7.2 and earlier) answer EINVAL.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The zoned block device, opened for writing.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, zonedDevice: number; // opened with O_WRONLY or O_RDWR
 *
 * prepCmdZoneResetAll(ring.getSqe()!, zonedDevice);
 * ```
 */
export function prepCmdZoneResetAll(sqe: Sqe, fd: number): void {
  prepCmd(IORING_OP_URING_CMD, sqe, BLOCK_URING_CMD_ZONE_RESET_ALL, fd);
}
