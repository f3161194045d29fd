/**
 * The libc calls of the epoll backend (uring/epoll/), bound on first use only: the system calls io_uring's opcodes
 * run inside the kernel, made here on the addresses an SQE holds (`ptr`: memory the operation keeps alive until its
 * completion), plus epoll, timerfd and the clock. A table of its own, apart from `libc()`: most programs never use
 * the epoll backend and should not bind these at startup.
 *
 * @example
 * ```ts
 * const s = syscalls();
 * const ep = s.epoll_create1(0x80000);
 * console.log(ep >= 0, EPOLL_EVENT_SIZE);
 * s.close(ep);
 * ```
 *
 * @module
 */
import process from "node:process";
import { type Bound, bindTable, type Declared } from "./library.ts";
import { libc } from "./libc.ts";

const SYSCALL_TABLE = {
  /** int epoll_create1(int flags) */
  epoll_create1: { args: ["i32"], returns: "i32" },
  /** int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event), the event read during the call */
  epoll_ctl: { args: ["i32", "i32", "i32", "buffer"], returns: "i32" },
  /** epoll_ctl with the event at an address (IORING_OP_EPOLL_CTL's argument) */
  epoll_ctl_at: { symbol: "epoll_ctl", args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
  /** int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) */
  epoll_wait: { args: ["i32", "buffer", "i32", "i32"], returns: "i32" },
  /** epoll_wait into memory at an address (IORING_OP_EPOLL_WAIT's events) */
  epoll_wait_at: { symbol: "epoll_wait", args: ["i32", "ptr", "i32", "i32"], returns: "i32" },
  /** int timerfd_create(int clockid, int flags) */
  timerfd_create: { args: ["i32", "i32"], returns: "i32" },
  /** int timerfd_settime(int fd, int flags, const struct itimerspec *new, struct itimerspec *old) */
  timerfd_settime: { args: ["i32", "i32", "buffer", "buffer"], returns: "i32" },
  /** int clock_gettime(clockid_t clockid, struct timespec *tp) */
  clock_gettime: { args: ["i32", "buffer"], returns: "i32" },
  /** void *memcpy(void *dest, const void *src, size_t n): native memory at an address into a TypedArray */
  memcpy: { args: ["buffer", "ptr", "usize"], returns: "ptr" },
  /** memcpy from a TypedArray to native memory at an address (what the kernel writes back into a request's memory) */
  memcpy_to: { symbol: "memcpy", args: ["ptr", "buffer", "usize"], returns: "ptr" },
  /** ssize_t readv(int fd, const struct iovec *iov, int iovcnt) */
  readv: { args: ["i32", "ptr", "i32"], returns: "i64" },
  /** ssize_t writev(int fd, const struct iovec *iov, int iovcnt) */
  writev: { args: ["i32", "ptr", "i32"], returns: "i64" },
  /** ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags) */
  preadv2: { args: ["i32", "ptr", "i32", "i64", "i32"], returns: "i64" },
  /** ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags) */
  pwritev2: { args: ["i32", "ptr", "i32", "i64", "i32"], returns: "i64" },
  /** ssize_t recv(int fd, void *buf, size_t len, int flags) */
  recv: { args: ["i32", "ptr", "usize", "i32"], returns: "i64" },
  /** ssize_t send(int fd, const void *buf, size_t len, int flags) */
  send: { args: ["i32", "ptr", "usize", "i32"], returns: "i64" },
  /** ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t len) */
  sendto: { args: ["i32", "ptr", "usize", "i32", "ptr", "u32"], returns: "i64" },
  /** ssize_t recvmsg(int fd, struct msghdr *msg, int flags) */
  recvmsg: { args: ["i32", "ptr", "i32"], returns: "i64" },
  /** ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) */
  sendmsg: { args: ["i32", "ptr", "i32"], returns: "i64" },
  /** int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags) */
  accept4: { args: ["i32", "ptr", "ptr", "i32"], returns: "i32" },
  /** int connect(int fd, const struct sockaddr *addr, socklen_t len) */
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  /** int bind(int fd, const struct sockaddr *addr, socklen_t len) */
  bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
  /** int listen(int fd, int backlog) */
  listen: { args: ["i32", "i32"], returns: "i32" },
  /** int socket(int domain, int type, int protocol) */
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  /** int shutdown(int fd, int how) */
  shutdown: { args: ["i32", "i32"], returns: "i32" },
  /** int getsockopt(int fd, int level, int name, void *value, socklen_t *len) */
  getsockopt: { args: ["i32", "i32", "i32", "buffer", "buffer"], returns: "i32" },
  /** int fcntl(int fd, int cmd, int arg) */
  fcntl: { args: ["i32", "i32", "i32"], returns: "i32" },
  /** int close(int fd) */
  close: { args: ["i32"], returns: "i32" },
  /** int pipe2(int fds[2], int flags), the fds written at an address */
  pipe2: { args: ["ptr", "i32"], returns: "i32" },
  /** int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf), both in TypedArrays */
  statx: { args: ["i32", "buffer", "i32", "u32", "buffer"], returns: "i32" },
  /** int madvise(void *addr, size_t length, int advice) */
  madvise: { args: ["ptr", "usize", "i32"], returns: "i32" },
} as const satisfies Record<string, Declared>;

/** The bound calls, plus `errno()` for the calling thread. */
export type Syscalls = Bound<typeof SYSCALL_TABLE> & {
  /** The calling thread's errno, read right after a failed call (as a positive number). */
  errno(): number;
};

let cached: Syscalls | undefined;

/**
 * The epoll backend's libc calls, bound on first use.
 *
 * @example
 * ```ts
 * const s = syscalls();
 * if (s.epoll_create1(0) < 0) console.log("epoll_create1 failed:", s.errno());
 * ```
 */
export function syscalls(): Syscalls {
  if (cached) return cached;
  const fns = bindTable("libc.so.6", SYSCALL_TABLE);
  cached = { ...fns, errno: libc().errno };
  return cached;
}

/**
 * sizeof(struct epoll_event): 12 bytes on x86-64, where the kernel's uapi declares it packed (EPOLL_PACKED in
 * include/uapi/linux/eventpoll.h), 16 elsewhere (the u64 `data` aligned to 8).
 */
export const EPOLL_EVENT_SIZE: number = process.arch === "x64" ? 12 : 16;
/** Where `data` starts in a struct epoll_event: right after the u32 `events` on x86-64, at 8 elsewhere. */
export const EPOLL_DATA_OFFSET: number = process.arch === "x64" ? 4 : 8;
