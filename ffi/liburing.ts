/**
 * The system liburing: found once, its four syscall wrappers bound (exported since liburing 2.3, they return
 * `-errno` and leave errno alone), and the newer exports detected without being required.
 *
 * ringside never calls liburing functions that read liburing's own `struct io_uring`: that layout is liburing's,
 * and 2.3 corrupts rings set up with flags newer than itself. The rings are mapped by `uring/ring/ring.ts`
 * from the offsets the kernel returns.
 *
 * @module
 */
import process from "node:process";
import { existsSync, realpathSync } from "node:fs";
import { type Bound, bindTable, type Declared } from "./library.ts";
import { FfiPermissionError } from "./types.ts";

/** The symbols ringside needs from any liburing (2.3 and later). */
export const LIBURING_REQUIRED = {
  /** int io_uring_setup(unsigned entries, struct io_uring_params *p) */
  io_uring_setup: { args: ["u32", "buffer"], returns: "i32" },
  /**
   * int io_uring_enter(unsigned fd, unsigned to_submit, unsigned min_complete, unsigned flags, sigset_t *sig).
   * `sig` is read only during the call, so it is a `buffer` (passed null): Deno leaves its fast call path when a
   * 64-bit parameter is given a number, which cost ~300 ns per enter.
   */
  io_uring_enter: { args: ["u32", "u32", "u32", "u32", "buffer"], returns: "i32" },
  /**
   * int io_uring_enter2(unsigned fd, unsigned to_submit, unsigned min_complete, unsigned flags, void *arg, size_t sz).
   * `arg` is read only during the call (a `buffer`), and `sz` is passed as a bigint: Deno's fast call path takes a
   * 64-bit parameter only as a bigint (a number cost ~350 ns per call); Bun takes either.
   */
  io_uring_enter2: { args: ["u32", "u32", "u32", "u32", "buffer", "u64"], returns: "i32" },
  /**
   * io_uring_enter2 with IORING_ENTER_EXT_ARG_REG: `arg` is then no pointer but a byte offset into the ring's
   * registered wait region (a bigint, for the same reason as `sz`).
   */
  io_uring_enter2_reg: { symbol: "io_uring_enter2", args: ["u32", "u32", "u32", "u32", "u64", "u64"], returns: "i32" },
  /** int io_uring_register(unsigned fd, unsigned opcode, const void *arg, unsigned nr_args), arg read in the call */
  io_uring_register: { args: ["u32", "u32", "buffer", "u32"], returns: "i32" },
} as const satisfies Record<string, Declared>;

/** Exports of newer liburing releases: detected and reported, never required. */
export const LIBURING_OPTIONAL = {
  /** int io_uring_major_version(void), liburing 2.4 */
  io_uring_major_version: { args: [], returns: "i32", optional: true },
  /** int io_uring_minor_version(void), liburing 2.4 */
  io_uring_minor_version: { args: [], returns: "i32", optional: true },
  /** bool io_uring_check_version(int major, int minor), liburing 2.4 */
  io_uring_check_version: { args: ["i32", "i32"], returns: "i32", optional: true },
  /** struct io_uring_buf_ring *io_uring_setup_buf_ring(...), liburing 2.4 (needs struct io_uring: detected only) */
  io_uring_setup_buf_ring: { args: [], returns: "ptr", optional: true },
  /** int io_uring_register_napi(struct io_uring *, ...), liburing 2.6 (needs struct io_uring: detected only) */
  io_uring_register_napi: { args: [], returns: "i32", optional: true },
  /** int io_uring_buf_ring_head(...), liburing 2.6 (detected only) */
  io_uring_buf_ring_head: { args: [], returns: "i32", optional: true },
  /** int io_uring_clone_buffers(...), liburing 2.8 (detected only) */
  io_uring_clone_buffers: { args: [], returns: "i32", optional: true },
  /** int io_uring_resize_rings(...), liburing 2.9 (detected only) */
  io_uring_resize_rings: { args: [], returns: "i32", optional: true },
  /** int io_uring_register_region(...), liburing 2.9 (detected only) */
  io_uring_register_region: { args: [], returns: "i32", optional: true },
} as const satisfies Record<string, Declared>;

const TABLE = { ...LIBURING_REQUIRED, ...LIBURING_OPTIONAL };

/** The bound liburing: its functions, where it was found, its version, and which optional exports it has. */
export interface Liburing {
  /** The path that was opened. */
  readonly path: string;
  /** `"2.3"` from the library's own version functions, else from the file name it resolves to, else `"unknown"`. */
  readonly version: string;
  /** The bound functions. Optional exports are undefined when missing. */
  readonly fn: Bound<typeof TABLE>;
  /** The optional exports this library has. */
  readonly optionalPresent: readonly string[];
}

/** Thrown when no liburing can be opened: says every path tried and how to install it. */
export class LiburingNotFoundError extends Error {
  /** The paths tried, in order, each with the loader's reason. */
  readonly tried: readonly { path: string; reason: string }[];
  constructor(tried: { path: string; reason: string }[]) {
    super(
      "Cannot load liburing: tried " + tried.map((t) => `${t.path} (${t.reason})`).join(", ") +
        ". Install it with `apt-get install liburing2` (Debian, Ubuntu), `dnf install liburing` (Fedora) or " +
        "`apk add liburing` (Alpine), or set LIBURING_PATH to the library's path",
    );
    this.name = "LiburingNotFoundError";
    this.tried = tried;
  }
}

/** Where liburing.so.2 lives on common distributions, searched after the loader's own path. */
const SEARCH = [
  "liburing.so.2",
  "/usr/lib/x86_64-linux-gnu/liburing.so.2",
  "/usr/lib/aarch64-linux-gnu/liburing.so.2",
  "/usr/lib64/liburing.so.2",
  "/usr/lib/liburing.so.2",
  "/usr/local/lib/liburing.so.2",
  "/usr/local/lib64/liburing.so.2",
  "/lib/x86_64-linux-gnu/liburing.so.2",
];

let cached: Liburing | undefined;

/**
 * The system liburing, found and bound on first use. `LIBURING_PATH` (a file path) overrides the search.
 * Throws {@link LiburingNotFoundError} when none can be opened.
 *
 * @example
 * ```ts
 * const { path, version } = liburing();
 * console.log(`liburing ${version} at ${path}`);
 * ```
 */
export function liburing(): Liburing {
  if (cached) return cached;
  const override = process.env.LIBURING_PATH;
  const candidates = override ? [override] : SEARCH;
  const tried: { path: string; reason: string }[] = [];
  for (const path of candidates) {
    if (path.startsWith("/") && !existsSync(path)) {
      tried.push({ path, reason: "no such file" });
      continue;
    }
    try {
      const fn = bindTable(path, TABLE);
      const optionalPresent = Object.keys(LIBURING_OPTIONAL).filter((k) => fn[k as keyof typeof fn] !== undefined);
      cached = { path, version: versionOf(path, fn), fn, optionalPresent };
      return cached;
    } catch (e) {
      // A missing permission is the answer for every candidate: say it, not "install liburing".
      if (e instanceof FfiPermissionError) throw e;
      tried.push({ path, reason: firstLine(e instanceof Error ? e.message : String(e)) });
    }
  }
  throw new LiburingNotFoundError(tried);
}

/** `text` up to its first newline. */
function firstLine(text: string): string {
  const nl = text.indexOf("\n");
  return nl < 0 ? text : text.slice(0, nl);
}

function versionOf(path: string, fn: Bound<typeof TABLE>): string {
  if (fn.io_uring_major_version && fn.io_uring_minor_version) {
    return `${fn.io_uring_major_version()}.${fn.io_uring_minor_version()}`;
  }
  for (const p of [path, ...SEARCH.filter((s) => s.startsWith("/"))]) {
    try {
      const m = /liburing\.so\.(\d+\.\d+)/.exec(realpathSync(p));
      const version = m?.[1];
      if (version) return version;
    } catch {
      // not this one
    }
  }
  return "unknown";
}
