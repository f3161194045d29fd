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
      return errnoView[0];
    },
  };
  return cached;
}
