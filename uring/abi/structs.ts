/**
 * The C structs the layers write for the kernel, with their 64-bit Linux layouts (x86-64 and arm64 agree):
 * `struct iovec`, `struct msghdr`, `struct cmsghdr` (include/linux/socket.h, include/uapi/linux/uio.h) and the
 * file-type bits of `st_mode` (include/uapi/linux/stat.h). `struct __kernel_timespec` is in `timespec.ts`,
 * socket addresses in `sockaddr.ts`.
 *
 * @module
 */
import { putU64 } from "./_u64.ts";

/** sizeof(struct iovec): `{ void *iov_base; size_t iov_len; }`. */
export const IOVEC_SIZE = 16;

/** The kernel's cap on iovecs in one request or message (UIO_MAXIOV, include/uapi/linux/uio.h). */
export const UIO_MAXIOV = 1024;

/**
 * The most bytes one read, write, send or recv transfers (MAX_RW_COUNT, include/linux/fs.h: INT_MAX rounded down
 * to a page): the kernel clamps larger lengths to it.
 */
export const MAX_RW_COUNT = 0x7ffff000;

/**
 * Writes one `struct iovec` at byte `at`: both fields whole (iov_len is a 64-bit size_t, never just its low half).
 *
 * @param view The view to write into.
 * @param at The byte offset of the iovec.
 * @param address The buffer's address.
 * @param length The buffer's length in bytes.
 *
 * @example
 * ```ts
 * import { IOVEC_SIZE, putIovec } from "./structs.ts";
 * const v = new DataView(new ArrayBuffer(2 * IOVEC_SIZE));
 * putIovec(v, IOVEC_SIZE, 0x1000, 512);
 * ```
 */
export function putIovec(view: DataView, at: number, address: number, length: number): void {
  putU64(view, at, address);
  putU64(view, at + 8, length);
}

/**
 * `struct msghdr` byte offsets: msg_name@0, msg_namelen@8, msg_iov@16, msg_iovlen@24, msg_control@32,
 * msg_controllen@40, msg_flags@48; 56 bytes in all (`SIZE`).
 */
export const MSGHDR = {
  name: 0,
  namelen: 8,
  iov: 16,
  iovlen: 24,
  control: 32,
  controllen: 40,
  flags: 48,
  SIZE: 56,
} as const;

/** sizeof(struct msghdr). */
export const MSGHDR_SIZE = MSGHDR.SIZE;

/** sizeof(struct cmsghdr): `{ size_t cmsg_len; int cmsg_level; int cmsg_type; }`. */
export const CMSGHDR_SIZE = 16;

/**
 * CMSG_ALIGN: rounds `n` up to a multiple of sizeof(size_t), where control messages and their data are aligned.
 *
 * @param n A length in bytes.
 * @returns `n` rounded up to a multiple of 8.
 *
 * @example
 * ```ts
 * import { cmsgAlign } from "./structs.ts";
 * console.log(cmsgAlign(12)); // 16
 * ```
 */
export function cmsgAlign(n: number): number {
  // Arithmetic, not `& ~7`: cmsg_len is a size_t, and bitwise operators would cut it to 32 bits.
  return n + 7 - ((n + 7) % 8);
}

/** Mask of the file-type bits of a mode (`S_IFMT`). */
export const S_IFMT = 0o170000;
/** Directory. */
export const S_IFDIR = 0o040000;
/** Regular file. */
export const S_IFREG = 0o100000;
/** Symbolic link. */
export const S_IFLNK = 0o120000;
/** FIFO (named pipe). */
export const S_IFIFO = 0o010000;
/** Character device. */
export const S_IFCHR = 0o020000;
/** Block device. */
export const S_IFBLK = 0o060000;
/** UNIX domain socket. */
export const S_IFSOCK = 0o140000;
