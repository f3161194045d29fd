/**
 * The registered file table from inside the ring: updating slots, and turning a direct descriptor into a normal one.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_FILES_UPDATE, IORING_OP_FIXED_FD_INSTALL, IOSQE_FIXED_FILE } from "../abi/uapi.ts";
import { B_FLAGS, prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares an update of `nrFds` slots of the registered file table from slot `offset`, with the ints at `fds` (-1
 * empties a slot). With `offset` IORING_FILE_INDEX_ALLOC the kernel picks free slots and writes them back to `fds`.
 * The result is how many slots were updated. Matches liburing's `io_uring_prep_files_update` (Linux 5.6).
 *
 * UNSAFE: the kernel reads (and may write) the array at `fds`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fds The address of an `int` array.
 * @param nrFds How many entries.
 * @param offset The first slot (a C int, sign-extended into the 64-bit offset as liburing does).
 *
 * @example
 * ```ts
 * prepFilesUpdate(ring.getSqe()!, fds.address, 2, 0);
 * ```
 */
export function prepFilesUpdate(sqe: Sqe, fds: number, nrFds: number, offset: number): void {
  prepRw(IORING_OP_FILES_UPDATE, sqe, -1, fds, nrFds, offset | 0);
}

/**
 * Prepares installing direct descriptor `fd` as a normal file descriptor, the result (IOSQE_FIXED_FILE is set,
 * since `fd` is always a slot index). Matches liburing's `io_uring_prep_fixed_fd_install` (Linux 6.8).
 *
 * @param sqe The SQE to fill.
 * @param fd The slot in the registered file table.
 * @param flags IORING_FIXED_FD_NO_CLOEXEC, or 0 (the new descriptor is O_CLOEXEC).
 *
 * @example
 * ```ts
 * prepFixedFdInstall(ring.getSqe()!, 3, 0);
 * ```
 */
export function prepFixedFdInstall(sqe: Sqe, fd: number, flags: number): void {
  prepRw(IORING_OP_FIXED_FD_INSTALL, sqe, fd, 0, 0, 0);
  sqe.u8[B_FLAGS] = IOSQE_FIXED_FILE;
  sqe.u32[W_OP_FLAGS] = flags;
}
