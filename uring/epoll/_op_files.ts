/**
 * The epoll backend's path and file-metadata operations (OPENAT, OPENAT2, STATX, FSYNC, SYNC_FILE_RANGE, FALLOCATE,
 * FADVISE, FTRUNCATE, RENAMEAT, UNLINKAT, MKDIRAT, SYMLINKAT, LINKAT and the xattr calls): each is one system call
 * that may wait on storage (a lookup, a journal commit) and none can be polled, so each runs on a pool thread, as
 * io_uring runs them in io-wq. The paths and buffers they are given are the request's memory, kept by its
 * operation until the CQE. Field layouts follow the kernel's prep functions (io_uring/openclose.c, fs.c, sync.c,
 * advise.c, statx.c, xattr.c, truncate.c).
 *
 * @module
 */
import type { BlockingCall } from "../../ffi/blocking_calls.ts";
import { EINVAL } from "../abi/errno.ts";
import {
  IORING_FSYNC_DATASYNC,
  IORING_OP_FADVISE,
  IORING_OP_FALLOCATE,
  IORING_OP_FGETXATTR,
  IORING_OP_FSETXATTR,
  IORING_OP_FSYNC,
  IORING_OP_FTRUNCATE,
  IORING_OP_GETXATTR,
  IORING_OP_LINKAT,
  IORING_OP_MKDIRAT,
  IORING_OP_OPENAT,
  IORING_OP_OPENAT2,
  IORING_OP_RENAMEAT,
  IORING_OP_SETXATTR,
  IORING_OP_STATX,
  IORING_OP_SYMLINKAT,
  IORING_OP_SYNC_FILE_RANGE,
  IORING_OP_UNLINKAT,
} from "../abi/uapi.ts";
import type { Engine, Handler } from "./_engine.ts";
import type { Req } from "./_request.ts";

/** openat2(2) has the same number on every architecture (the common syscall table, Linux 5.6). */
const NR_OPENAT2 = 437;
/** io_uring opens with O_LARGEFILE on 64-bit kernels (force_o_largefile). */
const O_LARGEFILE = 0o100000;
/** Which arguments are descriptors (or dirfds) the call's thread gets a duplicate of (Engine.toPool). */
const FD_FIRST: readonly number[] = [0];
const NO_FD: readonly number[] = [];

/** A handler that runs `call` with the arguments `args(r)` picks, or completes with -EINVAL when they are refused. */
function pooled(
  call: BlockingCall | ((r: Req) => BlockingCall), args: (r: Req) => readonly number[] | null, errnoResult = false,
  fdArgs: readonly number[] = FD_FIRST,
): Handler {
  return (e: Engine, r: Req) => {
    const a = args(r);
    if (a === null) return e.complete(r, -EINVAL);
    e.toPool(r, typeof call === "string" ? call : call(r), a, (ret, errno) => {
      // posix_fadvise returns the error number itself.
      if (errnoResult) return e.complete(r, -ret);
      e.complete(r, ret < 0 ? -errno : ret);
    }, fdArgs);
  };
}

/** The handlers of this file, by opcode. */
export const FILE_HANDLERS: readonly (readonly [number, Handler])[] = [
  [IORING_OP_OPENAT, pooled("openat", (r) => r.bufIndex !== 0 ? null : [r.fd, r.addr, r.opFlags | O_LARGEFILE, r.len])],
  [IORING_OP_OPENAT2, pooled(
    "syscall",
    (r) => r.bufIndex !== 0 ? null : [NR_OPENAT2, r.fd, r.addr, r.off, r.len],
    false,
    [1],
  )],
  [IORING_OP_STATX, pooled("statx", (r) => r.bufIndex !== 0 ? null : [r.fd, r.addr, r.opFlags, r.len, r.off])],
  [IORING_OP_FSYNC, pooled(
    (r) => r.opFlags & IORING_FSYNC_DATASYNC ? "fdatasync" : "fsync",
    // A range (`off`, `len`) is synced as the whole file: a superset of what was asked.
    (r) => r.addr !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0 || r.opFlags & ~IORING_FSYNC_DATASYNC ? null : [r.fd],
  )],
  [IORING_OP_SYNC_FILE_RANGE, pooled(
    "sync_file_range",
    (r) => r.addr !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0 ? null : [r.fd, r.off, r.len, r.opFlags],
  )],
  [IORING_OP_FALLOCATE, pooled(
    "fallocate",
    // The mode in `len`, the length in `addr`.
    (r) => r.opFlags !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0 ? null : [r.fd, r.len, r.off, r.addr],
  )],
  [IORING_OP_FADVISE, pooled(
    "posix_fadvise",
    // A 64-bit length in `addr` when set (Linux 6.12), else `len`.
    (r) => r.bufIndex !== 0 || r.fileIndex !== 0 ? null : [r.fd, r.off, r.addr !== 0 ? r.addr : r.len, r.opFlags],
    true,
  )],
  [IORING_OP_FTRUNCATE, pooled(
    "ftruncate",
    (r) => r.opFlags !== 0 || r.addr !== 0 || r.len !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0 || r.addr3 !== 0
      ? null
      : [r.fd, r.off],
  )],
  [IORING_OP_RENAMEAT, pooled(
    "renameat2",
    (r) => r.bufIndex !== 0 || r.fileIndex !== 0 ? null : [r.fd, r.addr, r.len | 0, r.off, r.opFlags],
    false,
    [0, 2],
  )],
  [IORING_OP_UNLINKAT, pooled(
    "unlinkat",
    (r) => r.off !== 0 || r.len !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0 ? null : [r.fd, r.addr, r.opFlags],
  )],
  [IORING_OP_MKDIRAT, pooled(
    "mkdirat",
    (r) => r.off !== 0 || r.opFlags !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0 ? null : [r.fd, r.addr, r.len],
  )],
  [IORING_OP_SYMLINKAT, pooled(
    "symlinkat",
    (r) => r.len !== 0 || r.opFlags !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0 ? null : [r.addr, r.fd, r.off],
    false,
    [1],
  )],
  [IORING_OP_LINKAT, pooled(
    "linkat",
    (r) => r.bufIndex !== 0 || r.fileIndex !== 0 ? null : [r.fd, r.addr, r.len | 0, r.off, r.opFlags],
    false,
    [0, 2],
  )],
  // xattr: the name at `addr`, the value at `off`, its size in `len`, the path (path forms) at `addr3`.
  [IORING_OP_GETXATTR, pooled(
    "getxattr",
    (r) => r.opFlags !== 0 ? null : [r.addr3, r.addr, r.off, r.len],
    false,
    NO_FD,
  )],
  [IORING_OP_SETXATTR, pooled("setxattr", (r) => [r.addr3, r.addr, r.off, r.len, r.opFlags], false, NO_FD)],
  [IORING_OP_FGETXATTR, pooled("fgetxattr", (r) => r.opFlags !== 0 ? null : [r.fd, r.addr, r.off, r.len])],
  [IORING_OP_FSETXATTR, pooled("fsetxattr", (r) => [r.fd, r.addr, r.off, r.len, r.opFlags])],
];
