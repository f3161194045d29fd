/**
 * The libc functions ringside needs beside liburing: memory mapping for the rings and native buffers, file
 * descriptors, eventfd, and errno.
 *
 * @module
 */
import { type Bound, bindTable, type Declared } from "./library.ts";
import { backend } from "./backend.ts";

const LIBC_TABLE = {
  /** void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) */
  mmap: { args: ["ptr", "usize", "i32", "i32", "i32", "i64"], returns: "ptr" },
  /** int munmap(void *addr, size_t length) */
  munmap: { args: ["ptr", "usize"], returns: "i32" },
  /** int madvise(void *addr, size_t length, int advice) */
  madvise: { args: ["ptr", "usize", "i32"], returns: "i32" },
  /** int mlock(const void *addr, size_t len) */
  mlock: { args: ["ptr", "usize"], returns: "i32" },
  /** int close(int fd) */
  close: { args: ["i32"], returns: "i32" },
  /** int eventfd(unsigned int initval, int flags) */
  eventfd: { args: ["u32", "i32"], returns: "i32" },
  /** ssize_t read(int fd, void *buf, size_t count), into a TypedArray for the call's duration */
  read: { args: ["i32", "buffer", "usize"], returns: "i64" },
  /** ssize_t write(int fd, const void *buf, size_t count), from a TypedArray for the call's duration */
  write: { args: ["i32", "buffer", "usize"], returns: "i64" },
  /** int pipe2(int pipefd[2], int flags) */
  pipe2: { args: ["buffer", "i32"], returns: "i32" },
  /** int *__errno_location(void): the calling thread's errno */
  __errno_location: { args: [], returns: "ptr" },
  /** pid_t getpid(void) */
  getpid: { args: [], returns: "i32" },
  /** long sysconf(int name) */
  sysconf: { args: ["i32"], returns: "i64" },
  /** int ioctl(int fd, unsigned long request, unsigned long arg): arg passed as a value (an fd, a number) */
  ioctl: { args: ["i32", "u64", "u64"], returns: "i32" },
  /** int ioctl(int fd, unsigned long request, void *arg): arg a buffer read or written during the call */
  ioctlBuffer: { symbol: "ioctl", args: ["i32", "u64", "buffer"], returns: "i32" },
  /** int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data) */
  mount: { args: ["buffer", "buffer", "buffer", "u64", "buffer"], returns: "i32" },
  /** int umount2(const char *target, int flags) */
  umount2: { args: ["buffer", "i32"], returns: "i32" },
  /** int socket(int domain, int type, int protocol) */
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  /** int bind(int fd, const struct sockaddr *addr, socklen_t len) */
  bind: { args: ["i32", "buffer", "u32"], returns: "i32" },
  /** int listen(int fd, int backlog) */
  listen: { args: ["i32", "i32"], returns: "i32" },
  /** int connect(int fd, const struct sockaddr *addr, socklen_t len) */
  connect: { args: ["i32", "buffer", "u32"], returns: "i32" },
  /** int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) */
  accept4: { args: ["i32", "buffer", "buffer", "i32"], returns: "i32" },
  /** int setsockopt(int fd, int level, int name, const void *value, socklen_t len) */
  setsockopt: { args: ["i32", "i32", "i32", "buffer", "u32"], returns: "i32" },
  /** int getsockopt(int fd, int level, int name, void *value, socklen_t *len) */
  getsockopt: { args: ["i32", "i32", "i32", "buffer", "buffer"], returns: "i32" },
  /** int getsockname(int fd, struct sockaddr *addr, socklen_t *len) */
  getsockname: { args: ["i32", "buffer", "buffer"], returns: "i32" },
  /** int getpeername(int fd, struct sockaddr *addr, socklen_t *len) */
  getpeername: { args: ["i32", "buffer", "buffer"], returns: "i32" },
  /** ssize_t send(int fd, const void *buf, size_t len, int flags) */
  send: { args: ["i32", "buffer", "usize", "i32"], returns: "i64" },
  /** ssize_t recv(int fd, void *buf, size_t len, int flags) */
  recv: { args: ["i32", "buffer", "usize", "i32"], returns: "i64" },
  /** int epoll_create1(int flags) */
  epoll_create1: { args: ["i32"], returns: "i32" },
  /** int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) */
  epoll_ctl: { args: ["i32", "i32", "i32", "buffer"], returns: "i32" },
  /** int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) */
  epoll_wait: { args: ["i32", "buffer", "i32", "i32"], returns: "i32" },
  /** int fcntl(int fd, int cmd, int arg) */
  fcntl: { args: ["i32", "i32", "i32"], returns: "i32" },
  /** int dup(int fd) */
  dup: { args: ["i32"], returns: "i32" },
  /** int ftruncate(int fd, off_t length) */
  ftruncate: { args: ["i32", "i64"], returns: "i32" },
  /** int setxattr(const char *path, const char *name, const void *value, size_t size, int flags) */
  setxattr: { args: ["buffer", "buffer", "buffer", "usize", "i32"], returns: "i32" },
  /** ssize_t getxattr(const char *path, const char *name, void *value, size_t size) */
  getxattr: { args: ["buffer", "buffer", "buffer", "usize"], returns: "i64" },
  /** ssize_t listxattr(const char *path, char *list, size_t size) */
  listxattr: { args: ["buffer", "buffer", "usize"], returns: "i64" },
  /** int removexattr(const char *path, const char *name) */
  removexattr: { args: ["buffer", "buffer"], returns: "i32" },
} as const satisfies Record<string, Declared>;

/** The bound libc functions, plus `errno()` for the calling thread. */
export type Libc = Bound<typeof LIBC_TABLE> & {
  /** The calling thread's errno, read right after a failed call (as a positive number). */
  errno(): number;
};

let cached: Libc | undefined;

/**
 * The process's libc, bound on first use.
 *
 * @example
 * ```ts
 * const fd = libc().eventfd(0, 0);
 * libc().close(fd);
 * ```
 */
export function libc(): Libc {
  if (cached) return cached;
  const fns = bindTable("libc.so.6", LIBC_TABLE);
  let errnoView: Int32Array | undefined;
  cached = {
    ...fns,
    errno() {
      // errno is thread-local and its address fixed for the thread, so one view serves every later read.
      errnoView ??= new Int32Array(backend.viewAt(fns.__errno_location(), 4));
      return errnoView[0]!; // a 4-byte view: index 0 exists
    },
  };
  return cached;
}
