/**
 * The libc calls a {@link BlockingPool} thread may make: the ones that can block on slow storage (or, for `poll`,
 * on purpose), so they must not run on the JavaScript thread. Every parameter is declared 64 bits wide: the x86-64
 * and AArch64 calling conventions pass an `int` in a 64-bit register and the callee reads only its low half, so one
 * declaration serves ints, sizes, offsets and addresses alike. Results keep their C width: an `int` result's upper
 * register half is undefined.
 *
 * @example
 * ```ts
 * console.log(BLOCKING_CALLS.indexOf("preadv2") >= 0); // true
 * ```
 *
 * @module
 */
import type { Declared } from "./library.ts";

const L = "i64" as const;

/** The calls by name, as the pool's threads bind them. */
export const BLOCKING_TABLE = {
  /** ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags) */
  preadv2: { args: [L, L, L, L, L], returns: "i64" },
  /** ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags) */
  pwritev2: { args: [L, L, L, L, L], returns: "i64" },
  /** int openat(int dirfd, const char *path, int flags, mode_t mode) */
  openat: { args: [L, L, L, L], returns: "i32" },
  /** long syscall(long number, ...): for openat2, which older glibc does not wrap */
  syscall: { args: [L, L, L, L, L], returns: "i64" },
  /** int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf) */
  statx: { args: [L, L, L, L, L], returns: "i32" },
  /** int fsync(int fd) */
  fsync: { args: [L], returns: "i32" },
  /** int fdatasync(int fd) */
  fdatasync: { args: [L], returns: "i32" },
  /** int sync_file_range(int fd, off_t offset, off_t nbytes, unsigned flags) */
  sync_file_range: { args: [L, L, L, L], returns: "i32" },
  /** int fallocate(int fd, int mode, off_t offset, off_t len) */
  fallocate: { args: [L, L, L, L], returns: "i32" },
  /** int posix_fadvise(int fd, off_t offset, off_t len, int advice): returns the error number, not -1 */
  posix_fadvise: { args: [L, L, L, L], returns: "i32" },
  /** int ftruncate(int fd, off_t length) */
  ftruncate: { args: [L, L], returns: "i32" },
  /** int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags) */
  renameat2: { args: [L, L, L, L, L], returns: "i32" },
  /** int unlinkat(int dirfd, const char *path, int flags) */
  unlinkat: { args: [L, L, L], returns: "i32" },
  /** int mkdirat(int dirfd, const char *path, mode_t mode) */
  mkdirat: { args: [L, L, L], returns: "i32" },
  /** int symlinkat(const char *target, int newdirfd, const char *linkpath) */
  symlinkat: { args: [L, L, L], returns: "i32" },
  /** int linkat(int olddirfd, const char *old, int newdirfd, const char *new, int flags) */
  linkat: { args: [L, L, L, L, L], returns: "i32" },
  /** ssize_t getxattr(const char *path, const char *name, void *value, size_t size) */
  getxattr: { args: [L, L, L, L], returns: "i64" },
  /** int setxattr(const char *path, const char *name, const void *value, size_t size, int flags) */
  setxattr: { args: [L, L, L, L, L], returns: "i32" },
  /** ssize_t fgetxattr(int fd, const char *name, void *value, size_t size) */
  fgetxattr: { args: [L, L, L, L], returns: "i64" },
  /** int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags) */
  fsetxattr: { args: [L, L, L, L, L], returns: "i32" },
  /** ssize_t splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len, unsigned flags) */
  splice: { args: [L, L, L, L, L, L], returns: "i64" },
  /** ssize_t tee(int fd_in, int fd_out, size_t len, unsigned flags) */
  tee: { args: [L, L, L, L], returns: "i64" },
  /** int close(int fd) */
  close: { args: [L], returns: "i32" },
  /** int poll(struct pollfd *fds, nfds_t nfds, int timeout) */
  poll: { args: [L, L, L], returns: "i32" },
} as const satisfies Record<string, Declared>;

/** The name of a call a pool thread can make. */
export type BlockingCall = keyof typeof BLOCKING_TABLE;

/** The calls in a fixed order: a call crosses to the pool thread as its index here. */
export const BLOCKING_CALLS: readonly BlockingCall[] = Object.keys(BLOCKING_TABLE) as BlockingCall[];
