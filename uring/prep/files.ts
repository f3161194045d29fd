/**
 * The registered file table from inside the ring: updating slots, and turning a direct descriptor into a normal one.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`) and the user_data (`sqeSetData`) afterwards.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import { IORING_OP_FILES_UPDATE, IORING_OP_FIXED_FD_INSTALL, IOSQE_FIXED_FILE } from "../abi/uapi.ts";
import { B_FLAGS, prepRw, W_OP_FLAGS } from "./base.ts";

/**
 * Prepares an update of `nrFds` slots of the registered file table from slot `offset`, with the file descriptors in
 * the int array at `fds` (-1 empties a slot); the table holds its own references, so the caller may close its
 * descriptors afterwards. With `offset` IORING_FILE_INDEX_ALLOC the kernel picks free slots and writes their indices
 * back into `fds`. The result is how many slots were updated. Matches liburing's `io_uring_prep_files_update`
 * (IORING_OP_FILES_UPDATE, Linux 5.6).
 *
 * UNSAFE: the kernel reads (and with ALLOC writes) the array at `fds`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fds The address of an `int` array.
 * @param nrFds How many entries (unsigned 32-bit).
 * @param offset The first slot (0-based), or IORING_FILE_INDEX_ALLOC (as -1 or 0xffffffff); a C int,
 *   sign-extended into the 64-bit offset as liburing does.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, a: number, b: number;
 *
 * const fds = NativeMemory.allocate(8);
 * new Int32Array(fds.buffer, 0, 2).set([a, b]);
 * prepFilesUpdate(ring.getSqe()!, fds.address, 2, 0); // slots 0 and 1
 * ```
 */
export function prepFilesUpdate(sqe: Sqe, fds: number, nrFds: number, offset: number): void {
  prepRw(IORING_OP_FILES_UPDATE, sqe, -1, fds, nrFds, offset | 0);
}

/**
 * Prepares installing direct descriptor `fd` into the process's descriptor table; the result is the new file
 * descriptor, O_CLOEXEC unless IORING_FIXED_FD_NO_CLOEXEC. The direct descriptor stays in the table. Matches
 * liburing's `io_uring_prep_fixed_fd_install` (IORING_OP_FIXED_FD_INSTALL, Linux 6.8).
 *
 * This helper sets IOSQE_FIXED_FILE itself, since `fd` is always a slot (the kernel refuses the request
 * without it); `sqeSetFlags` replaces the flags, so include IOSQE_FIXED_FILE in anything set afterwards.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The slot in the registered file table (0-based).
 * @param flags IORING_FIXED_FD_NO_CLOEXEC, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * prepFixedFdInstall(ring.getSqe()!, 3, 0);
 * ```
 */
export function prepFixedFdInstall(sqe: Sqe, fd: number, flags: number): void {
  prepRw(IORING_OP_FIXED_FD_INSTALL, sqe, fd, 0, 0, 0);
  sqe.u8[B_FLAGS] = IOSQE_FIXED_FILE;
  sqe.u32[W_OP_FLAGS] = flags;
}
