/**
 * Files on a {@link Loop}: the safe, typed layer over the file opcodes. Each function takes the loop first and
 * returns a promise of the result; a failed CQE rejects with a {@link UringError} whose `code` is the errno name
 * (`"ENOENT"`), an abort with an `AbortError`, a `timeoutMs` that ran out with a `TimeoutError`.
 *
 * Memory the kernel reads or writes is given as TypedArrays, DataViews or views of {@link NativeMemory}; the
 * address and length the kernel sees are derived from the view, so no call can reach past a buffer. Views of native
 * memory are used in place (pinned until completion, so `free()` refuses meanwhile); garbage-collected memory is
 * copied through native bounce memory that lives until the completion (an arena chunk up to 1 MiB, a dedicated
 * mapping above that) and what the kernel wrote is copied back before the promise resolves. Do not change a buffer
 * while an operation on it is pending. Paths and structs (`open_how`, `struct statx`, iovec arrays, the fds of
 * `pipe`) live in arena chunks until the completion; results read from the kernel's structs are copied out before
 * those chunks are reused.
 *
 * File descriptors are plain numbers. With `{ fixed: true }` a number is a direct descriptor: a slot of the
 * ring's registered file table (`registerFiles`, `registerFilesSparse`, {@link openatDirect}), used with
 * IOSQE_FIXED_FILE.
 *
 * Kernel versions: each function names the Linux version its opcode needs; where it is missing the promise
 * rejects with EINVAL. `probeOpcodes().isSupported(IORING_OP_*)` tells beforehand.
 *
 * @example
 * ```ts
 * import { Loop } from "../loop/loop.ts";
 * import { close, open, read, statx, write } from "./fs.ts";
 *
 * const loop = new Loop();
 * const fd = await open(loop, "/tmp/hello.txt", "w+");
 * await write(loop, fd, new TextEncoder().encode("hello"), 0);
 * const buf = new Uint8Array(5);
 * const n = await read(loop, fd, buf, 0);
 * console.log(n, new TextDecoder().decode(buf), (await statx(loop, "/tmp/hello.txt")).size); // 5 hello 5
 * await close(loop, fd);
 * await loop.close();
 * ```
 *
 * @module
 */
import process from "node:process";
import { refuse } from "../core/errors.ts";
import type { Loop } from "../loop/loop.ts";
import { NativeMemory, pageSize } from "../core/memory.ts";
import { domError, type OpOptions, OpState, PromiseOp } from "../loop/operation.ts";
import { registrations } from "../ring/register.ts";
import type { Sqe } from "../ring/sqe.ts";
import { B_FLAGS } from "../prep/base.ts";
import {
  AT_FDCWD,
  prepClose,
  prepCloseDirect,
  prepFadvise,
  prepFadvise64,
  prepFallocate,
  prepFgetxattr,
  prepFsetxattr,
  prepFsync,
  prepFtruncate,
  prepGetxattr,
  prepLinkat,
  prepMadvise,
  prepMadvise64,
  prepMkdirat,
  prepOpenat,
  prepOpenat2,
  prepOpenat2Direct,
  prepOpenatDirect,
  prepRenameat,
  prepSetxattr,
  prepStatx,
  prepSymlinkat,
  prepSyncFileRange,
  prepUnlinkat,
} from "../prep/fs.ts";
import { prepRead, prepReadFixed, prepReadv, prepWrite, prepWriteFixed, prepWritev } from "../prep/rw.ts";
import { prepSplice, prepTee } from "../prep/splice.ts";
import { prepPipe, prepPipeDirect } from "../prep/pipe.ts";
import { prepFilesUpdate, prepFixedFdInstall } from "../prep/files.ts";
import {
  IORING_FILE_INDEX_ALLOC,
  IORING_FIXED_FD_NO_CLOEXEC,
  IORING_FSYNC_DATASYNC,
  iovec,
  IOSQE_FIXED_FILE,
  open_how,
  SPLICE_F_FD_IN_FIXED,
} from "../abi/uapi.ts";

export { AT_FDCWD };
export { IORING_FILE_INDEX_ALLOC, IORING_FIXED_FD_NO_CLOEXEC };

// ---- Constants (linux/fcntl.h, asm-generic/fcntl.h, linux/stat.h ...) ----------------------------------------------

// O_DIRECTORY, O_NOFOLLOW, O_DIRECT and O_LARGEFILE differ between architectures (arch/arm64/include/uapi/asm/fcntl.h).
const ARM = process.arch === "arm64" || process.arch === "arm";

/** Open for reading only. */
export const O_RDONLY = 0;
/** Open for writing only. */
export const O_WRONLY = 0o1;
/** Open for reading and writing. */
export const O_RDWR = 0o2;
/** Create the file if it does not exist (the mode argument applies). */
export const O_CREAT = 0o100;
/** With O_CREAT: fail with EEXIST if the file exists. */
export const O_EXCL = 0o200;
/** Do not make a terminal the controlling terminal. */
export const O_NOCTTY = 0o400;
/** Truncate a regular file to length 0. */
export const O_TRUNC = 0o1000;
/** Every write appends. */
export const O_APPEND = 0o2000;
/** Non-blocking I/O. */
export const O_NONBLOCK = 0o4000;
/** Writes complete once the data (not all metadata) is on stable storage. */
export const O_DSYNC = 0o10000;
/** Bypass the page cache (buffers and offsets must be aligned: see statx `dioMemAlign`). */
export const O_DIRECT = ARM ? 0o200000 : 0o40000;
/** Allow files larger than 2 GiB (always on for 64-bit processes). */
export const O_LARGEFILE = ARM ? 0o400000 : 0o100000;
/** Fail with ENOTDIR unless the path is a directory. */
export const O_DIRECTORY = ARM ? 0o40000 : 0o200000;
/** Fail with ELOOP if the last component is a symbolic link. */
export const O_NOFOLLOW = ARM ? 0o100000 : 0o400000;
/** Do not update the access time. */
export const O_NOATIME = 0o1000000;
/** Close the descriptor in programs started with exec (not allowed for direct descriptors). */
export const O_CLOEXEC = 0o2000000;
/** Writes complete once data and metadata are on stable storage. */
export const O_SYNC = 0o4010000;
/** A descriptor for the path only: no reading or writing. */
export const O_PATH = 0o10000000;
/** An unnamed temporary file in the given directory (with O_WRONLY or O_RDWR). */
export const O_TMPFILE = 0o20000000 | O_DIRECTORY;

/** openat2 `resolve`: no crossing of mount points (linux/openat2.h). Linux 5.6 */
export const RESOLVE_NO_XDEV = 0x01;
/** openat2 `resolve`: no magic links (/proc/self/fd/N and the like). Linux 5.6 */
export const RESOLVE_NO_MAGICLINKS = 0x02;
/** openat2 `resolve`: no symbolic links in any component (ELOOP). Linux 5.6 */
export const RESOLVE_NO_SYMLINKS = 0x04;
/** openat2 `resolve`: the path must stay beneath the directory (EXDEV). Linux 5.6 */
export const RESOLVE_BENEATH = 0x08;
/** openat2 `resolve`: resolve as if the directory were the root. Linux 5.6 */
export const RESOLVE_IN_ROOT = 0x10;
/** openat2 `resolve`: only succeed from the dentry cache (EAGAIN otherwise). Linux 5.12 */
export const RESOLVE_CACHED = 0x20;

/** Do not follow a final symbolic link (statx, linkat-like calls). */
export const AT_SYMLINK_NOFOLLOW = 0x100;
/** unlinkat: remove a directory. */
export const AT_REMOVEDIR = 0x200;
/** linkat: follow a final symbolic link of the old path. */
export const AT_SYMLINK_FOLLOW = 0x400;
/** Operate on the descriptor itself when the path is empty. */
export const AT_EMPTY_PATH = 0x1000;
/** statx: force a round trip to the server (network filesystems). */
export const AT_STATX_FORCE_SYNC = 0x2000;
/** statx: answer from cached attributes. */
export const AT_STATX_DONT_SYNC = 0x4000;

/** renameat2: fail with EEXIST instead of replacing the target. */
export const RENAME_NOREPLACE = 1;
/** renameat2: swap the two paths atomically. */
export const RENAME_EXCHANGE = 2;
/** renameat2: leave a whiteout at the old path (overlay filesystems). */
export const RENAME_WHITEOUT = 4;

/** fallocate: do not change the file size. */
export const FALLOC_FL_KEEP_SIZE = 0x01;
/** fallocate: deallocate the range (needs KEEP_SIZE); it then reads as zeros. */
export const FALLOC_FL_PUNCH_HOLE = 0x02;
/** fallocate: remove the range, shifting the rest of the file down. */
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
/** fallocate: zero the range (allocated). */
export const FALLOC_FL_ZERO_RANGE = 0x10;
/** fallocate: insert a hole, shifting the rest of the file up. */
export const FALLOC_FL_INSERT_RANGE = 0x20;
/** fallocate: unshare shared blocks. */
export const FALLOC_FL_UNSHARE_RANGE = 0x40;

/** fadvise: no advice. */
export const POSIX_FADV_NORMAL = 0;
/** fadvise: random access. */
export const POSIX_FADV_RANDOM = 1;
/** fadvise: sequential access (larger readahead). */
export const POSIX_FADV_SEQUENTIAL = 2;
/** fadvise: start reading the range into the page cache. */
export const POSIX_FADV_WILLNEED = 3;
/** fadvise: drop the range's clean pages from the page cache. */
export const POSIX_FADV_DONTNEED = 4;
/** fadvise: the data is used once. */
export const POSIX_FADV_NOREUSE = 5;

/** madvise: no advice. */
export const MADV_NORMAL = 0;
/** madvise: random access. */
export const MADV_RANDOM = 1;
/** madvise: sequential access. */
export const MADV_SEQUENTIAL = 2;
/** madvise: fault the range in soon. */
export const MADV_WILLNEED = 3;
/** madvise: drop the pages: private anonymous memory then reads as zeros. */
export const MADV_DONTNEED = 4;
/** The advice {@link madvise} takes: none that could poison, remap or lose memory behind another user's back. */
const MADVICE: readonly number[] = [MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED];

/** sync_file_range: wait for writeback already in progress before starting. */
export const SYNC_FILE_RANGE_WAIT_BEFORE = 1;
/** sync_file_range: start writeback of dirty pages. */
export const SYNC_FILE_RANGE_WRITE = 2;
/** sync_file_range: wait for the writeback to finish. */
export const SYNC_FILE_RANGE_WAIT_AFTER = 4;

/** setxattr: fail with EEXIST if the attribute exists. */
export const XATTR_CREATE = 1;
/** setxattr: fail with ENODATA unless the attribute exists. */
export const XATTR_REPLACE = 2;
/** The largest attribute value the kernel accepts (XATTR_SIZE_MAX, linux/limits.h). */
export const XATTR_SIZE_MAX = 65536;

/** splice: move pages instead of copying (a hint). */
export const SPLICE_F_MOVE = 1;
/** splice/tee: do not block on the pipes. */
export const SPLICE_F_NONBLOCK = 2;
/** splice: more data follows. */
export const SPLICE_F_MORE = 4;

/** statx mask: file type (mode & S_IFMT). */
export const STATX_TYPE = 0x1;
/** statx mask: permission bits. */
export const STATX_MODE = 0x2;
/** statx mask: link count. */
export const STATX_NLINK = 0x4;
/** statx mask: owner. */
export const STATX_UID = 0x8;
/** statx mask: group. */
export const STATX_GID = 0x10;
/** statx mask: access time. */
export const STATX_ATIME = 0x20;
/** statx mask: modification time. */
export const STATX_MTIME = 0x40;
/** statx mask: status change time. */
export const STATX_CTIME = 0x80;
/** statx mask: inode number. */
export const STATX_INO = 0x100;
/** statx mask: size. */
export const STATX_SIZE = 0x200;
/** statx mask: allocated blocks. */
export const STATX_BLOCKS = 0x400;
/** statx mask: everything `stat(2)` returns. */
export const STATX_BASIC_STATS = 0x7ff;
/** statx mask: creation time. */
export const STATX_BTIME = 0x800;
/** statx mask: mount ID. Linux 5.8 */
export const STATX_MNT_ID = 0x1000;
/** statx mask: O_DIRECT alignment. Linux 6.1 */
export const STATX_DIOALIGN = 0x2000;

const S_IFMT = 0o170000;

// ---- Options and shared plumbing ---------------------------------------------------------------------------------

/** Options every file operation takes. */

/** Options of operations on a file descriptor. */
export interface FdOptions extends OpOptions {
  /** The descriptor is a direct descriptor: a slot of the ring's registered file table (IOSQE_FIXED_FILE). */
  fixed?: boolean;
}

/** Options of `read` and `write`. */
export interface RwOptions extends FdOptions {
  /** How many bytes to transfer, from the start of the buffer (default: all of it). At most the buffer's length. */
  length?: number;
}

/** A path: a string (UTF-8 encoded) or raw bytes, without NUL. */
export type PathLike = string | Uint8Array;

/** Memory the kernel reads or writes: any TypedArray or DataView, garbage-collected or over {@link NativeMemory}. */
export type BufferLike = ArrayBufferView;

/** The kernel's PATH_MAX, counting the terminating NUL. */
const PATH_MAX = 4096;
const U32_MAX = 0xffffffff;
const encoder = new TextEncoder();

/**
 * A file operation: a {@link PromiseOp} that knows how to hand the kernel a caller's view. Native views are pinned
 * in place; garbage-collected ones are bounced through an arena chunk, or a dedicated {@link NativeMemory} when
 * larger than the arena's largest chunk (1 MiB), freed in `finish()` once the kernel is done. What the kernel wrote
 * goes back in iovec order: the count `n` of a CQE fills the first buffer, then the next.
 */
class FsOp<T = number> extends PromiseOp<T> {
  constructor(
    name: string,
    prep: (sqe: Sqe, op: FsOp<T>) => void,
    map?: (res: number, flags: number) => T,
  ) {
    super(name, (sqe, op) => prep(sqe, op as FsOp<T>), { map });
  }

  /** The kernel-visible address of `bytes` until this operation finishes (pinned in place, or bounced). */
  address(loop: Loop, bytes: Uint8Array, kernelWrites: boolean): number {
    return this.kernelAddress(loop, bytes, kernelWrites);
  }

  /** The address of a NUL-terminated copy of `s` (arena memory, live until completion). */
  cstring(loop: Loop, s: Uint8Array): number {
    const c = this.chunk(loop, s.byteLength);
    c.bytes.set(s);
    return c.address;
  }
}

/** Runs `build` and submits its operation; anything thrown becomes a rejected promise. */
function start<T>(loop: Loop, options: OpOptions | undefined, build: () => FsOp<T>): Promise<T> {
  let op: FsOp<T>;
  try {
    op = build();
    const signal = options?.signal;
    if (signal?.aborted) {
      return Promise.reject(domError("AbortError", `The ${op.name} was aborted`, signal.reason));
    }
    const ms = options?.timeoutMs;
    // Infinity means no timeout, as everywhere else (ops.ts start).
    if (ms !== undefined && ms !== Infinity) {
      if (typeof ms !== "number" || !(ms > 0)) {
        throw new RangeError(`Cannot ${op.name}: timeoutMs must be a positive number of milliseconds, got ${ms}`);
      }
      op.timeoutNs = Math.max(1, Math.round(ms * 1e6));
    }
    loop.submit(op);
    // Bound after submit: a prep that throws settles the operation at once, and must not leave a listener behind.
    if (signal && (op.state === OpState.Queued || op.state === OpState.InFlight)) op.bindSignal(loop, signal);
  } catch (e) {
    return Promise.reject(e);
  }
  return op.promise;
}

function setFixed(sqe: Sqe, fixed: boolean | undefined): void {
  if (fixed) sqe.u8[B_FLAGS] |= IOSQE_FIXED_FILE;
}

function needFd(what: string, fd: number, name = "fd"): void {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw new RangeError(`Cannot ${what}: ${name} must be a file descriptor (an integer from 0), got ${fd}`);
  }
}

function needDirFd(what: string, fd: number): void {
  if (fd !== AT_FDCWD) needFd(what, fd, "dirfd");
}

function needOffset(what: string, offset: number, name = "offset"): void {
  if (!Number.isSafeInteger(offset) || offset < -1) {
    throw new RangeError(`Cannot ${what}: ${name} must be an integer from 0 (or -1 for the current position), got ${offset}`);
  }
}

function needU64(what: string, name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`Cannot ${what}: ${name} must be an integer from 0 to 2^53 - 1, got ${v}`);
  }
}

function needU32(what: string, name: string, v: number, max = U32_MAX): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`Cannot ${what}: ${name} must be an integer from 0 to ${max}, got ${v}`);
  }
}

function needSlot(what: string, slot: number, allowAlloc: boolean): void {
  if (allowAlloc && (slot === IORING_FILE_INDEX_ALLOC || slot === -1)) return;
  if (!Number.isInteger(slot) || slot < 0 || slot >= 1 << 20) {
    throw new RangeError(
      `Cannot ${what}: the slot must be an index of the registered file table (0 to ${(1 << 20) - 1})` +
        `${allowAlloc ? " or IORING_FILE_INDEX_ALLOC" : ""}, got ${slot}`,
    );
  }
}

/** The bytes of `view` (the first `length` of them), as a Uint8Array over the same memory. */
function bytesOf(what: string, view: BufferLike, length?: number, name = "buffer"): Uint8Array {
  if (!ArrayBuffer.isView(view)) {
    throw new TypeError(`Cannot ${what}: the ${name} must be a TypedArray or DataView, got ${describe(view)}`);
  }
  const max = view.byteLength;
  const len = length ?? max;
  if (!Number.isInteger(len) || len < 0 || len > max) {
    throw new RangeError(`Cannot ${what}: length must be an integer from 0 to the ${name}'s ${max} bytes, got ${len}`);
  }
  if (len > U32_MAX) {
    throw new RangeError(`Cannot ${what}: ${len} bytes is more than one request moves (at most ${U32_MAX})`);
  }
  return new Uint8Array(view.buffer, view.byteOffset, len);
}

function describe(v: unknown): string {
  return v === null ? "null" : typeof v === "object" ? (v.constructor?.name ?? "an object") : typeof v;
}

/** `path` as NUL-terminated bytes. */
function pathBytes(what: string, path: PathLike, name = "path"): Uint8Array {
  let bytes: Uint8Array;
  if (typeof path === "string") bytes = encoder.encode(path);
  else if (path instanceof Uint8Array) bytes = path;
  else throw new TypeError(`Cannot ${what}: the ${name} must be a string or a Uint8Array, got ${describe(path)}`);
  if (bytes.includes(0)) throw new TypeError(`Cannot ${what}: the ${name} contains a NUL byte`);
  if (bytes.byteLength >= PATH_MAX) {
    throw new RangeError(`Cannot ${what}: the ${name} is ${bytes.byteLength} bytes (the kernel allows 4095)`);
  }
  const out = new Uint8Array(bytes.byteLength + 1);
  out.set(bytes);
  return out;
}

function show(path: PathLike): string {
  return typeof path === "string" ? JSON.stringify(path) : `<${path.byteLength} bytes>`;
}

/**
 * Open flags as a number: a number is used as is; a string is read like Node's `fs.open` flags: `"r"`, `"r+"`,
 * `"w"`, `"w+"`, `"a"`, `"a+"`, with `x` for O_EXCL (`"wx"`) and `s` for O_SYNC (`"rs+"`).
 *
 * @example
 * ```ts
 * openFlags("w+") === (O_RDWR | O_CREAT | O_TRUNC); // true
 * ```
 */
export function openFlags(flags: number | string): number {
  if (typeof flags === "number") {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0x7fffffff) {
      throw new RangeError(`Cannot open: flags must be a non-negative integer of O_* bits, got ${flags}`);
    }
    return flags;
  }
  const m = /^([rwa])([xs]?)(\+?)$/.exec(flags.replace(/^([rwa])\+([xs])$/, "$1$2+"));
  if (!m) throw new RangeError(`Cannot open: unknown flags ${JSON.stringify(flags)} (use r, r+, w, w+, a, a+, wx ...)`);
  const [, kind, extra, plus] = m;
  let f = plus ? O_RDWR : kind === "r" ? O_RDONLY : O_WRONLY;
  if (kind === "w") f |= O_CREAT | O_TRUNC;
  if (kind === "a") f |= O_CREAT | O_APPEND;
  if (extra === "x") {
    if (kind === "r") throw new RangeError(`Cannot open: "x" needs "w" or "a", got ${JSON.stringify(flags)}`);
    f |= O_EXCL;
  }
  if (extra === "s") f |= O_SYNC;
  return f;
}

// ---- Reading and writing -----------------------------------------------------------------------------------------

/**
 * Reads into `buf` from file offset `offset` (-1: the file's current position, advancing it), like pread(2).
 * Resolves to the number of bytes read (0 at end of file). IORING_OP_READ, Linux 5.6.
 *
 * @param loop The loop.
 * @param fd The file descriptor (a direct descriptor with `{ fixed: true }`).
 * @param buf Where the data goes: a TypedArray, DataView or view of NativeMemory.
 * @param offset The file offset, or -1 (the default) for the current position.
 * @param options `length` (at most `buf`'s length), `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * const buf = new Uint8Array(4096);
 * const n = await read(loop, fd, buf, 0);
 * console.log(new TextDecoder().decode(buf.subarray(0, n)));
 * ```
 */
export function read(loop: Loop, fd: number, buf: BufferLike, offset = -1, options?: RwOptions): Promise<number> {
  return start(loop, options, () => {
    needFd("read", fd);
    needOffset("read", offset);
    const bytes = bytesOf("read", buf, options?.length);
    return new FsOp("read", (sqe, op) => {
      prepRead(sqe, fd, op.address(loop, bytes, true), bytes.byteLength, offset);
      setFixed(sqe, options?.fixed);
    });
  });
}

/**
 * Writes `buf` at file offset `offset` (-1: the current position, advancing it; files opened with O_APPEND always
 * append), like pwrite(2). Resolves to the number of bytes written. IORING_OP_WRITE, Linux 5.6.
 *
 * @param loop The loop.
 * @param fd The file descriptor (a direct descriptor with `{ fixed: true }`).
 * @param buf The data.
 * @param offset The file offset, or -1 (the default) for the current position.
 * @param options `length` (at most `buf`'s length), `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * await write(loop, fd, new TextEncoder().encode("hello\n"), 0);
 * ```
 */
export function write(loop: Loop, fd: number, buf: BufferLike, offset = -1, options?: RwOptions): Promise<number> {
  return start(loop, options, () => {
    needFd("write", fd);
    needOffset("write", offset);
    const bytes = bytesOf("write", buf, options?.length);
    return new FsOp("write", (sqe, op) => {
      prepWrite(sqe, fd, op.address(loop, bytes, false), bytes.byteLength, offset);
      setFixed(sqe, options?.fixed);
    });
  });
}

function iovecOp(name: string, loop: Loop, bufs: readonly BufferLike[], kernelWrites: boolean,
  prep: (sqe: Sqe, iov: number, n: number) => void): FsOp {
  if (!Array.isArray(bufs)) throw new TypeError(`Cannot ${name}: the buffers must be an array of TypedArrays`);
  if (bufs.length > 1024) throw new RangeError(`Cannot ${name}: ${bufs.length} buffers is more than 1024 (IOV_MAX)`);
  const all = bufs.map((b, i) => bytesOf(name, b, undefined, `buffers[${i}]`));
  return new FsOp(name, (sqe, op) => {
    const n = all.length;
    if (n === 0) return prep(sqe, 0, 0);
    const iov = op.chunk(loop, n * iovec.SIZE);
    for (let i = 0; i < n; i++) {
      const at = i * iovec.SIZE;
      const addr = op.address(loop, all[i], kernelWrites);
      iov.view.setUint32(at + iovec.iov_base, addr >>> 0, true);
      iov.view.setUint32(at + iovec.iov_base + 4, Math.floor(addr / 4294967296), true);
      // iov_len is 64 bits: both halves are written (bytesOf keeps lengths below 2^32).
      iov.view.setUint32(at + iovec.iov_len, all[i].byteLength, true);
      iov.view.setUint32(at + iovec.iov_len + 4, 0, true);
    }
    prep(sqe, iov.address, n);
  });
}

/**
 * Reads into several buffers in order, like preadv(2): the first is filled before the next. Resolves to the total
 * byte count. IORING_OP_READV, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param bufs Up to 1024 buffers.
 * @param offset The file offset, or -1 (the default) for the current position.
 * @param options `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * const head = new Uint8Array(16), body = new Uint8Array(4096);
 * const n = await readv(loop, fd, [head, body], 0);
 * ```
 */
export function readv(loop: Loop, fd: number, bufs: readonly BufferLike[], offset = -1, options?: FdOptions): Promise<number> {
  return start(loop, options, () => {
    needFd("readv", fd);
    needOffset("readv", offset);
    return iovecOp("readv", loop, bufs, true, (sqe, iov, n) => {
      prepReadv(sqe, fd, iov, n, offset);
      setFixed(sqe, options?.fixed);
    });
  });
}

/**
 * Writes several buffers in order, like pwritev(2). Resolves to the total byte count. IORING_OP_WRITEV, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param bufs Up to 1024 buffers.
 * @param offset The file offset, or -1 (the default) for the current position.
 * @param options `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * const enc = new TextEncoder();
 * await writev(loop, fd, [enc.encode("head "), enc.encode("body")], 0);
 * ```
 */
export function writev(loop: Loop, fd: number, bufs: readonly BufferLike[], offset = -1, options?: FdOptions): Promise<number> {
  return start(loop, options, () => {
    needFd("writev", fd);
    needOffset("writev", offset);
    return iovecOp("writev", loop, bufs, false, (sqe, iov, n) => {
      prepWritev(sqe, fd, iov, n, offset);
      setFixed(sqe, options?.fixed);
    });
  });
}

/** Checks that `bytes` lies in the NativeMemory registered as buffer `bufIndex` of the loop's ring. */
function needRegistered(what: string, loop: Loop, bytes: Uint8Array, bufIndex: number): void {
  if (!Number.isInteger(bufIndex) || bufIndex < 0 || bufIndex > 0xffff) {
    throw new RangeError(`Cannot ${what}: bufIndex must be an integer from 0 to 65535, got ${bufIndex}`);
  }
  const mem = NativeMemory.of(bytes);
  if (!mem) {
    refuse(what, "the buffer must be a view of NativeMemory registered with registerBuffers (got garbage-collected memory)");
  }
  const registered = registrations(loop.ring).buffers[bufIndex];
  if (registered !== mem) {
    refuse(what, `the buffer does not lie in the memory registered as buffer ${bufIndex}` +
      (registered ? "" : " (nothing is registered there)"));
  }
}

/**
 * Reads into a registered buffer (see `registerBuffers`): `buf` must be a view of the NativeMemory registered as
 * buffer `bufIndex`; the kernel skips pinning pages per request. Resolves to the byte count. (When only a range of
 * that memory was registered, a view outside the range fails with EFAULT.) IORING_OP_READ_FIXED, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param buf A view of the registered memory.
 * @param offset The file offset, or -1 for the current position.
 * @param bufIndex The index of the registered buffer.
 * @param options `length`, `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * const mem = NativeMemory.allocate(65536);
 * registerBuffers(loop.ring, [mem]);
 * const n = await readFixed(loop, fd, mem.bytes, 0, 0);
 * ```
 */
export function readFixed(
  loop: Loop, fd: number, buf: BufferLike, offset: number, bufIndex: number, options?: RwOptions,
): Promise<number> {
  return start(loop, options, () => {
    needFd("read_fixed", fd);
    needOffset("read_fixed", offset);
    const bytes = bytesOf("read_fixed", buf, options?.length);
    needRegistered("read_fixed", loop, bytes, bufIndex);
    return new FsOp("read_fixed", (sqe, op) => {
      needRegistered("read_fixed", loop, bytes, bufIndex);
      prepReadFixed(sqe, fd, op.address(loop, bytes, true), bytes.byteLength, offset, bufIndex);
      setFixed(sqe, options?.fixed);
    });
  });
}

/**
 * Writes from a registered buffer: `buf` must be a view of the NativeMemory registered as buffer `bufIndex`.
 * Resolves to the byte count. IORING_OP_WRITE_FIXED, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param buf A view of the registered memory.
 * @param offset The file offset, or -1 for the current position.
 * @param bufIndex The index of the registered buffer.
 * @param options `length`, `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * mem.bytes.set(data);
 * await writeFixed(loop, fd, mem.bytes.subarray(0, data.length), 0, 0);
 * ```
 */
export function writeFixed(
  loop: Loop, fd: number, buf: BufferLike, offset: number, bufIndex: number, options?: RwOptions,
): Promise<number> {
  return start(loop, options, () => {
    needFd("write_fixed", fd);
    needOffset("write_fixed", offset);
    const bytes = bytesOf("write_fixed", buf, options?.length);
    needRegistered("write_fixed", loop, bytes, bufIndex);
    return new FsOp("write_fixed", (sqe, op) => {
      needRegistered("write_fixed", loop, bytes, bufIndex);
      prepWriteFixed(sqe, fd, op.address(loop, bytes, false), bytes.byteLength, offset, bufIndex);
      setFixed(sqe, options?.fixed);
    });
  });
}

// ---- Opening and closing -----------------------------------------------------------------------------------------

/** Options of `openat2`: `struct open_how`. */
export interface OpenHow {
  /** `O_*` flags or Node-style flags (`"r"`, `"w+"` ...). O_CLOEXEC is added unless `inherit` (not for direct). */
  flags?: number | string;
  /** Mode bits for a created file (default 0o666 with O_CREAT or O_TMPFILE; must be 0 otherwise). */
  mode?: number;
  /** `RESOLVE_*` restrictions on path resolution. */
  resolve?: number;
}

/** Options of the open functions. */
export interface OpenOptions extends OpOptions {
  /** Leave O_CLOEXEC off, so programs started with exec inherit the descriptor (default false). */
  inherit?: boolean;
}

function creates(flags: number): boolean {
  return (flags & O_CREAT) !== 0 || (flags & O_TMPFILE) === O_TMPFILE;
}

/**
 * Opens `path` relative to directory `dirfd`, like openat(2). O_CLOEXEC is added unless `{ inherit: true }`.
 * Resolves to the new file descriptor. IORING_OP_OPENAT, Linux 5.6.
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or {@link AT_FDCWD}.
 * @param path The path.
 * @param flags `O_*` flags or Node-style flags (`"r"`, `"w+"` ...); default read-only.
 * @param mode Mode bits for a created file (default 0o666, less the umask).
 * @param options `inherit`, `signal`, `timeoutMs`.
 * @returns The file descriptor.
 *
 * @example
 * ```ts
 * const fd = await openat(loop, AT_FDCWD, "data.bin", O_RDONLY);
 * ```
 */
export function openat(
  loop: Loop, dirfd: number, path: PathLike, flags: number | string = O_RDONLY, mode = 0o666, options?: OpenOptions,
): Promise<number> {
  return start(loop, options, () => {
    const name = `open ${show(path)}`;
    needDirFd(name, dirfd);
    needU32(name, "mode", mode, 0o7777); // permission bits: the kernel would mask the rest away silently
    const f = openFlags(flags) | (options?.inherit ? 0 : O_CLOEXEC);
    const p = pathBytes(name, path);
    return new FsOp(name, (sqe, op) => prepOpenat(sqe, dirfd, op.cstring(loop, p), f, mode));
  });
}

/**
 * Opens `path` (relative to the current directory), like open(2); see {@link openat}. IORING_OP_OPENAT, Linux 5.6.
 *
 * @example
 * ```ts
 * const fd = await open(loop, "/tmp/out.txt", "w");
 * ```
 */
export function open(
  loop: Loop, path: PathLike, flags: number | string = O_RDONLY, mode = 0o666, options?: OpenOptions,
): Promise<number> {
  return openat(loop, AT_FDCWD, path, flags, mode, options);
}

function howOf(name: string, how: OpenHow, cloexec: boolean): { flags: number; mode: number; resolve: number } {
  const flags = openFlags(how.flags ?? O_RDONLY) | (cloexec ? O_CLOEXEC : 0);
  const mode = how.mode ?? (creates(flags) ? 0o666 : 0);
  needU32(name, "mode", mode);
  const resolve = how.resolve ?? 0;
  needU32(name, "resolve", resolve);
  return { flags, mode, resolve };
}

function writeHow(op: FsOp<number>, loop: Loop, h: { flags: number; mode: number; resolve: number }): number {
  const c = op.chunk(loop, open_how.SIZE);
  c.view.setUint32(open_how.flags, h.flags, true);
  c.view.setUint32(open_how.mode, h.mode, true);
  c.view.setUint32(open_how.resolve, h.resolve, true);
  return c.address;
}

/**
 * Opens `path` with openat2(2): flags, mode and `RESOLVE_*` restrictions in a `struct open_how` (unknown flags
 * are refused with EINVAL instead of ignored). Resolves to the new file descriptor. IORING_OP_OPENAT2, Linux 5.6.
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or {@link AT_FDCWD}.
 * @param path The path.
 * @param how Flags, mode and resolve restrictions.
 * @param options `inherit`, `signal`, `timeoutMs`.
 * @returns The file descriptor.
 *
 * @example
 * ```ts
 * // Refuse to follow any symbolic link on the way: ELOOP if there is one.
 * const fd = await openat2(loop, dirFd, "conf/app.json", { flags: O_RDONLY, resolve: RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH });
 * ```
 */
export function openat2(
  loop: Loop, dirfd: number, path: PathLike, how: OpenHow = {}, options?: OpenOptions,
): Promise<number> {
  return start(loop, options, () => {
    const name = `openat2 ${show(path)}`;
    needDirFd(name, dirfd);
    const h = howOf(name, how, !options?.inherit);
    const p = pathBytes(name, path);
    return new FsOp(name, (sqe, op) => prepOpenat2(sqe, dirfd, op.cstring(loop, p), writeHow(op, loop, h)));
  });
}

/**
 * Opens `path` straight into the ring's registered file table: the file becomes direct descriptor `slot`
 * (replacing what was there), or with {@link IORING_FILE_INDEX_ALLOC} a free slot the kernel picks. Resolves to
 * the slot. Use it with `{ fixed: true }`, close it with {@link closeDirect}; {@link fixedFdInstall} turns it into
 * a normal descriptor. Needs a registered table (`registerFilesSparse`). IORING_OP_OPENAT with file_index,
 * Linux 5.15 (ALLOC 5.19).
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or {@link AT_FDCWD}.
 * @param path The path.
 * @param flags `O_*` flags or Node-style flags (O_CLOEXEC is not allowed).
 * @param mode Mode bits for a created file.
 * @param slot The slot, or IORING_FILE_INDEX_ALLOC (the default).
 * @param options `signal`, `timeoutMs`.
 * @returns The slot.
 *
 * @example
 * ```ts
 * registerFilesSparse(loop.ring, 8);
 * const slot = await openatDirect(loop, AT_FDCWD, "data.bin", O_RDONLY, 0, 3); // 3
 * const n = await read(loop, slot, buf, 0, { fixed: true });
 * await closeDirect(loop, slot);
 * ```
 */
export function openatDirect(
  loop: Loop, dirfd: number, path: PathLike, flags: number | string = O_RDONLY, mode = 0o666,
  slot: number = IORING_FILE_INDEX_ALLOC, options?: OpOptions,
): Promise<number> {
  return start(loop, options, () => {
    const name = `open ${show(path)} direct`;
    needDirFd(name, dirfd);
    needU32(name, "mode", mode, 0o7777);
    needSlot(name, slot, true);
    const f = openFlags(flags);
    const p = pathBytes(name, path);
    const alloc = slot === IORING_FILE_INDEX_ALLOC || slot === -1;
    return new FsOp(name, (sqe, op) => prepOpenatDirect(sqe, dirfd, op.cstring(loop, p), f, mode, slot),
      (res) => (alloc ? res : slot));
  });
}

/**
 * {@link openat2} into the registered file table (see {@link openatDirect}). Resolves to the slot.
 * IORING_OP_OPENAT2 with file_index, Linux 5.15 (ALLOC 5.19).
 *
 * @example
 * ```ts
 * const slot = await openat2Direct(loop, AT_FDCWD, "data.bin", { resolve: RESOLVE_NO_SYMLINKS });
 * ```
 */
export function openat2Direct(
  loop: Loop, dirfd: number, path: PathLike, how: OpenHow = {}, slot: number = IORING_FILE_INDEX_ALLOC,
  options?: OpOptions,
): Promise<number> {
  return start(loop, options, () => {
    const name = `openat2 ${show(path)} direct`;
    needDirFd(name, dirfd);
    needSlot(name, slot, true);
    const h = howOf(name, how, false);
    const p = pathBytes(name, path);
    const alloc = slot === IORING_FILE_INDEX_ALLOC || slot === -1;
    return new FsOp(name, (sqe, op) => prepOpenat2Direct(sqe, dirfd, op.cstring(loop, p), writeHow(op, loop, h), slot),
      (res) => (alloc ? res : slot));
  });
}

/**
 * Closes a file descriptor, like close(2). IORING_OP_CLOSE, Linux 5.6.
 *
 * @example
 * ```ts
 * await close(loop, fd);
 * ```
 */
export function close(loop: Loop, fd: number, options?: OpOptions): Promise<void> {
  return start(loop, options, () => {
    needFd("close", fd);
    return new FsOp<void>("close", (sqe) => prepClose(sqe, fd), () => undefined);
  });
}

/**
 * Closes direct descriptor `slot`, emptying that slot of the registered file table. IORING_OP_CLOSE with
 * file_index, Linux 5.15.
 *
 * @example
 * ```ts
 * await closeDirect(loop, slot);
 * ```
 */
export function closeDirect(loop: Loop, slot: number, options?: OpOptions): Promise<void> {
  return start(loop, options, () => {
    needSlot("close direct", slot, false);
    return new FsOp<void>("close direct", (sqe) => prepCloseDirect(sqe, slot), () => undefined);
  });
}

/**
 * Turns direct descriptor `slot` into a normal file descriptor (the slot stays registered). The new descriptor is
 * O_CLOEXEC unless `flags` has {@link IORING_FIXED_FD_NO_CLOEXEC}. Resolves to the descriptor.
 * IORING_OP_FIXED_FD_INSTALL, Linux 6.8.
 *
 * @example
 * ```ts
 * const fd = await fixedFdInstall(loop, slot);
 * ```
 */
export function fixedFdInstall(loop: Loop, slot: number, flags = 0, options?: OpOptions): Promise<number> {
  return start(loop, options, () => {
    needSlot("install a direct descriptor", slot, false);
    needU32("install a direct descriptor", "flags", flags);
    return new FsOp("install a direct descriptor", (sqe) => prepFixedFdInstall(sqe, slot, flags));
  });
}

/**
 * Replaces slots `offset ..` of the registered file table with `fds` (-1 empties a slot), from inside the ring.
 * Resolves to how many slots were updated. IORING_OP_FILES_UPDATE, Linux 5.6.
 *
 * @example
 * ```ts
 * registerFilesSparse(loop.ring, 8);
 * await filesUpdate(loop, 2, [fdA, fdB]); // 2: slots 2 and 3
 * ```
 */
export function filesUpdate(loop: Loop, offset: number, fds: readonly number[], options?: OpOptions): Promise<number> {
  return start(loop, options, () => {
    needSlot("update registered files", offset, false);
    return filesUpdateOp(loop, offset, fds, (n) => n);
  });
}

/**
 * Puts `fds` into free slots of the registered file table, from inside the ring (IORING_FILE_INDEX_ALLOC).
 * Resolves to the slots chosen, one per descriptor. IORING_OP_FILES_UPDATE, Linux 5.19.
 *
 * @example
 * ```ts
 * const [slot] = await filesUpdateAlloc(loop, [fd]);
 * ```
 */
export function filesUpdateAlloc(loop: Loop, fds: readonly number[], options?: OpOptions): Promise<number[]> {
  return start(loop, options, () => filesUpdateOp(loop, IORING_FILE_INDEX_ALLOC, fds, (n, c) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(c.view.getInt32(i * 4, true));
    return out;
  }));
}

function filesUpdateOp<T>(
  loop: Loop, offset: number, fds: readonly number[],
  result: (n: number, c: { view: DataView }) => T,
): FsOp<T> {
  const what = "update registered files";
  if (!Array.isArray(fds) || fds.length === 0) throw new TypeError(`Cannot ${what}: fds must be a non-empty array`);
  // What was checked is what the kernel gets, even if the caller's array changes while the request waits for room.
  fds = fds.slice();
  if (fds.length > 1 << 20) throw new RangeError(`Cannot ${what}: ${fds.length} descriptors is more than a table holds`);
  fds.forEach((fd, i) => {
    if (!Number.isInteger(fd) || fd < -1 || fd > 0x7fffffff) {
      throw new RangeError(`Cannot ${what}: fds[${i}] must be a file descriptor or -1, got ${fd}`);
    }
  });
  let arr: { view: DataView } | undefined;
  return new FsOp<T>(what, (sqe, op) => {
    const c = op.chunk(loop, fds.length * 4);
    fds.forEach((fd, i) => c.view.setInt32(i * 4, fd, true));
    arr = c;
    prepFilesUpdate(sqe, c.address, fds.length, offset);
  }, (res) => result(res, arr!)); // map runs before the chunk is released
}

// ---- Metadata: statx ---------------------------------------------------------------------------------------------

/** A timestamp of {@link Statx}: seconds and nanoseconds since the epoch. */
export interface StatxTimestamp {
  sec: number;
  nsec: number;
}

/**
 * The answer of statx(2), parsed from `struct statx`. Fields whose `STATX_*` bit is missing from `mask` were not
 * filled by the filesystem (0). 64-bit fields are numbers: exact up to 2^53.
 */
export interface Statx {
  /** `STATX_*` bits of the fields the filesystem filled. */
  mask: number;
  /** Preferred I/O block size. */
  blksize: number;
  /** `STATX_ATTR_*` bits (compressed, immutable, append, ...). */
  attributes: number;
  /** Which `attributes` bits the filesystem supports. */
  attributesMask: number;
  /** Hard link count. */
  nlink: number;
  uid: number;
  gid: number;
  /** File type and permission bits (`S_IFMT | 07777`). */
  mode: number;
  /** Inode number. */
  ino: number;
  /** Size in bytes. */
  size: number;
  /** Allocated 512-byte blocks. */
  blocks: number;
  atime: StatxTimestamp;
  btime: StatxTimestamp;
  ctime: StatxTimestamp;
  mtime: StatxTimestamp;
  /** The timestamps in milliseconds since the epoch (fractional). */
  atimeMs: number;
  btimeMs: number;
  ctimeMs: number;
  mtimeMs: number;
  /** Device numbers of a device file. */
  rdevMajor: number;
  rdevMinor: number;
  /** Device numbers of the filesystem. */
  devMajor: number;
  devMinor: number;
  /** Mount ID (STATX_MNT_ID). */
  mntId: number;
  /** O_DIRECT memory alignment (STATX_DIOALIGN). */
  dioMemAlign: number;
  /** O_DIRECT file offset alignment (STATX_DIOALIGN). */
  dioOffsetAlign: number;
}

/** `sizeof(struct statx)` (linux/stat.h). */
const STATX_STRUCT_SIZE = 256;

function u64(v: DataView, at: number): number {
  return v.getUint32(at, true) + v.getUint32(at + 4, true) * 4294967296;
}

function ts(v: DataView, at: number): StatxTimestamp {
  // struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 __reserved; }
  return { sec: v.getUint32(at, true) + v.getInt32(at + 4, true) * 4294967296, nsec: v.getUint32(at + 8, true) };
}

/**
 * Parses a `struct statx` (256 bytes) as the kernel wrote it.
 *
 * @example
 * ```ts
 * const st = parseStatx(new DataView(chunk.bytes.buffer, chunk.bytes.byteOffset, 256));
 * ```
 */
export function parseStatx(v: DataView): Statx {
  const atime = ts(v, 64), btime = ts(v, 80), ctime = ts(v, 96), mtime = ts(v, 112);
  const ms = (t: StatxTimestamp) => t.sec * 1000 + t.nsec / 1e6;
  return {
    mask: v.getUint32(0, true),
    blksize: v.getUint32(4, true),
    attributes: u64(v, 8),
    nlink: v.getUint32(16, true),
    uid: v.getUint32(20, true),
    gid: v.getUint32(24, true),
    mode: v.getUint16(28, true),
    ino: u64(v, 32),
    size: u64(v, 40),
    blocks: u64(v, 48),
    attributesMask: u64(v, 56),
    atime,
    btime,
    ctime,
    mtime,
    atimeMs: ms(atime),
    btimeMs: ms(btime),
    ctimeMs: ms(ctime),
    mtimeMs: ms(mtime),
    rdevMajor: v.getUint32(128, true),
    rdevMinor: v.getUint32(132, true),
    devMajor: v.getUint32(136, true),
    devMinor: v.getUint32(140, true),
    mntId: u64(v, 144),
    dioMemAlign: v.getUint32(152, true),
    dioOffsetAlign: v.getUint32(156, true),
  };
}

/** The kind of file a mode describes. */
export type FileType = "file" | "directory" | "symlink" | "fifo" | "socket" | "char" | "block" | "unknown";

/**
 * The file type in `mode` (`S_IFMT` bits).
 *
 * @example
 * ```ts
 * fileType((await statx(loop, "/tmp")).mode); // "directory"
 * ```
 */
export function fileType(mode: number): FileType {
  switch (mode & S_IFMT) {
    case 0o100000: return "file";
    case 0o040000: return "directory";
    case 0o120000: return "symlink";
    case 0o010000: return "fifo";
    case 0o140000: return "socket";
    case 0o020000: return "char";
    case 0o060000: return "block";
    default: return "unknown";
  }
}

/** Options of {@link statx}. */
export interface StatxOptions extends OpOptions {
  /** Directory `path` is relative to (default {@link AT_FDCWD}). */
  dirfd?: number;
  /** `AT_*` flags: AT_SYMLINK_NOFOLLOW (lstat), AT_EMPTY_PATH (stat `dirfd` itself), AT_STATX_*_SYNC. */
  flags?: number;
  /** `STATX_*` fields wanted (default STATX_BASIC_STATS | STATX_BTIME). */
  mask?: number;
}

/**
 * Reads a file's metadata with statx(2), following a final symbolic link unless AT_SYMLINK_NOFOLLOW. Resolves to
 * the parsed `struct statx`. IORING_OP_STATX, Linux 5.6.
 *
 * @param loop The loop.
 * @param path The path (relative to `options.dirfd`), or `""` with AT_EMPTY_PATH.
 * @param options `dirfd`, `flags`, `mask`, `signal`, `timeoutMs`.
 * @returns The metadata.
 *
 * @example
 * ```ts
 * const st = await statx(loop, "/etc/hostname");
 * console.log(st.size, st.mode.toString(8), new Date(st.mtimeMs));
 * ```
 */
export function statx(loop: Loop, path: PathLike, options?: StatxOptions): Promise<Statx> {
  return start(loop, options, () => {
    const name = `statx ${show(path)}`;
    const dirfd = options?.dirfd ?? AT_FDCWD;
    needDirFd(name, dirfd);
    const flags = options?.flags ?? 0;
    const mask = options?.mask ?? (STATX_BASIC_STATS | STATX_BTIME);
    needU32(name, "flags", flags);
    needU32(name, "mask", mask);
    const p = pathBytes(name, path);
    let buf: DataView | undefined;
    return new FsOp(name, (sqe, op) => {
      const c = op.chunk(loop, STATX_STRUCT_SIZE);
      buf = c.view;
      prepStatx(sqe, dirfd, op.cstring(loop, p), flags, mask, c.address);
    }, () => parseStatx(buf!)); // parsed inside complete(), before finish() releases the chunk
  });
}

/**
 * statx(2) of an open file descriptor (AT_EMPTY_PATH), like fstat(2). IORING_OP_STATX, Linux 5.6.
 *
 * @example
 * ```ts
 * const { size } = await fstat(loop, fd);
 * ```
 */
export function fstat(loop: Loop, fd: number, options?: Omit<StatxOptions, "dirfd">): Promise<Statx> {
  return attempt(() => {
    needFd("fstat", fd);
    return statx(loop, "", { ...options, dirfd: fd, flags: (options?.flags ?? 0) | AT_EMPTY_PATH });
  });
}

/**
 * statx(2) of a path without following a final symbolic link, like lstat(2). IORING_OP_STATX, Linux 5.6.
 *
 * @example
 * ```ts
 * fileType((await lstat(loop, "/proc/self/exe")).mode); // "symlink"
 * ```
 */
export function lstat(loop: Loop, path: PathLike, options?: StatxOptions): Promise<Statx> {
  return statx(loop, path, { ...options, flags: (options?.flags ?? 0) | AT_SYMLINK_NOFOLLOW });
}

function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(e);
  }
}

// ---- Syncing, allocation, advice ---------------------------------------------------------------------------------

/**
 * Flushes a file's data and metadata to storage, like fsync(2). IORING_OP_FSYNC, Linux 5.1.
 *
 * @example
 * ```ts
 * await fsync(loop, fd);
 * ```
 */
export function fsync(loop: Loop, fd: number, options?: FdOptions): Promise<void> {
  return syncOp("fsync", loop, fd, 0, options);
}

/**
 * Flushes a file's data (and only the metadata needed to read it back), like fdatasync(2). IORING_OP_FSYNC with
 * IORING_FSYNC_DATASYNC, Linux 5.1.
 *
 * @example
 * ```ts
 * await fdatasync(loop, fd);
 * ```
 */
export function fdatasync(loop: Loop, fd: number, options?: FdOptions): Promise<void> {
  return syncOp("fdatasync", loop, fd, IORING_FSYNC_DATASYNC, options);
}

function syncOp(name: string, loop: Loop, fd: number, flags: number, options?: FdOptions): Promise<void> {
  return start(loop, options, () => {
    needFd(name, fd);
    return new FsOp<void>(name, (sqe) => {
      prepFsync(sqe, fd, flags);
      setFixed(sqe, options?.fixed);
    }, () => undefined);
  });
}

/**
 * Starts and/or waits for writeback of a byte range, like sync_file_range(2). `length` 0 means to the end of the
 * file. IORING_OP_SYNC_FILE_RANGE, Linux 5.2.
 *
 * @param flags `SYNC_FILE_RANGE_*` (default WAIT_BEFORE | WRITE | WAIT_AFTER).
 *
 * @example
 * ```ts
 * await syncFileRange(loop, fd, 0, 1 << 20, SYNC_FILE_RANGE_WRITE);
 * ```
 */
export function syncFileRange(
  loop: Loop, fd: number, offset: number, length: number,
  flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER, options?: FdOptions,
): Promise<void> {
  return start(loop, options, () => {
    const name = "sync_file_range";
    needFd(name, fd);
    needU64(name, "offset", offset);
    needU32(name, "length", length);
    needU32(name, "flags", flags);
    return new FsOp<void>(name, (sqe) => {
      prepSyncFileRange(sqe, fd, length, offset, flags);
      setFixed(sqe, options?.fixed);
    }, () => undefined);
  });
}

/**
 * Allocates (or with `FALLOC_FL_*` modes punches, zeroes, collapses) a byte range of a file, like fallocate(2).
 * IORING_OP_FALLOCATE, Linux 5.6.
 *
 * @param mode 0 (allocate, growing the file) or `FALLOC_FL_*` bits.
 *
 * @example
 * ```ts
 * await fallocate(loop, fd, 0, 0, 1 << 20);                                          // 1 MiB allocated
 * await fallocate(loop, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 65536);   // a hole
 * ```
 */
export function fallocate(
  loop: Loop, fd: number, mode: number, offset: number, length: number, options?: FdOptions,
): Promise<void> {
  return start(loop, options, () => {
    needFd("fallocate", fd);
    needU32("fallocate", "mode", mode);
    needU64("fallocate", "offset", offset);
    needU64("fallocate", "length", length);
    return new FsOp<void>("fallocate", (sqe) => {
      prepFallocate(sqe, fd, mode, offset, length);
      setFixed(sqe, options?.fixed);
    }, () => undefined);
  });
}

/**
 * Sets a file's length, like ftruncate(2). IORING_OP_FTRUNCATE, Linux 6.9.
 *
 * @example
 * ```ts
 * await ftruncate(loop, fd, 0);
 * ```
 */
export function ftruncate(loop: Loop, fd: number, length: number, options?: FdOptions): Promise<void> {
  return start(loop, options, () => {
    needFd("ftruncate", fd);
    needU64("ftruncate", "length", length);
    return new FsOp<void>("ftruncate", (sqe) => {
      prepFtruncate(sqe, fd, length);
      setFixed(sqe, options?.fixed);
    }, () => undefined);
  });
}

/**
 * Advises the kernel how a file range will be accessed, like posix_fadvise(2). `length` 0 means to the end of the
 * file. IORING_OP_FADVISE, Linux 5.6 (lengths of 4 GiB and more: Linux 6.12).
 *
 * @example
 * ```ts
 * await fadvise(loop, fd, 0, 0, POSIX_FADV_SEQUENTIAL);
 * ```
 */
export function fadvise(
  loop: Loop, fd: number, offset: number, length: number, advice: number, options?: FdOptions,
): Promise<void> {
  return start(loop, options, () => {
    needFd("fadvise", fd);
    needU64("fadvise", "offset", offset);
    needU64("fadvise", "length", length);
    needU32("fadvise", "advice", advice);
    return new FsOp<void>("fadvise", (sqe) => {
      if (length <= U32_MAX) prepFadvise(sqe, fd, offset, length, advice);
      else prepFadvise64(sqe, fd, offset, length, advice);
      setFixed(sqe, options?.fixed);
    }, () => undefined);
  });
}

/**
 * Advises the kernel about a range of memory, like madvise(2). The range is `view`, which must lie in
 * {@link NativeMemory} and be whole pages (the kernel would round a partial page up, past the view). The advice is
 * one of MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED and MADV_DONTNEED (which makes the range read as
 * zeros, and is refused for memory the kernel holds: registered, provided, or used by a request in flight).
 * IORING_OP_MADVISE, Linux 5.6.
 *
 * @example
 * ```ts
 * const mem = NativeMemory.allocate(1 << 20);
 * await madvise(loop, mem.bytes, MADV_WILLNEED);
 * ```
 */
export function madvise(loop: Loop, view: BufferLike, advice: number, options?: OpOptions): Promise<void> {
  return start(loop, options, () => {
    const bytes = bytesOf("madvise", view);
    const mem = NativeMemory.of(bytes);
    if (!mem) {
      throw new TypeError("Cannot madvise: the range must be a view of NativeMemory (garbage-collected memory has no " +
        "stable pages of its own)");
    }
    if ((mem.address + bytes.byteOffset) % pageSize() !== 0 || bytes.byteLength % pageSize() !== 0) {
      // The kernel rounds the end up to a whole page: a shorter range would reach bytes the caller did not give.
      throw new RangeError(`Cannot madvise: the range must be whole pages (${pageSize()} bytes each), it is ` +
        `bytes ${bytes.byteOffset} to ${bytes.byteOffset + bytes.byteLength} of its memory`);
    }
    if (!MADVICE.includes(advice)) {
      throw new RangeError(`Cannot madvise: advice must be MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED ` +
        `or MADV_DONTNEED, got ${advice}`);
    }
    if (advice === MADV_DONTNEED && mem.isPinned) {
      // The kernel holds this memory (registered, provided or in use by a request): dropping our pages would leave
      // it writing pages we no longer see.
      throw new RangeError("Cannot madvise MADV_DONTNEED: the kernel holds this memory (registered or in use)");
    }
    return new FsOp<void>("madvise", (sqe, op) => {
      const addr = op.kernelAddress(loop, bytes, false);
      if (bytes.byteLength <= U32_MAX) prepMadvise(sqe, addr, bytes.byteLength, advice);
      else prepMadvise64(sqe, addr, bytes.byteLength, advice);
    }, () => undefined);
  });
}

// ---- Paths -------------------------------------------------------------------------------------------------------

/**
 * Removes a name (or with AT_REMOVEDIR an empty directory), like unlinkat(2). IORING_OP_UNLINKAT, Linux 5.11.
 *
 * @example
 * ```ts
 * await unlinkat(loop, AT_FDCWD, "old.log");
 * await unlinkat(loop, AT_FDCWD, "emptydir", AT_REMOVEDIR);
 * ```
 */
export function unlinkat(loop: Loop, dirfd: number, path: PathLike, flags = 0, options?: OpOptions): Promise<void> {
  return start(loop, options, () => {
    const name = `${flags & AT_REMOVEDIR ? "rmdir" : "unlink"} ${show(path)}`;
    needDirFd(name, dirfd);
    needU32(name, "flags", flags);
    const p = pathBytes(name, path);
    return new FsOp<void>(name, (sqe, op) => prepUnlinkat(sqe, dirfd, op.cstring(loop, p), flags), () => undefined);
  });
}

/**
 * Removes a file name, like unlink(2). IORING_OP_UNLINKAT, Linux 5.11.
 *
 * @example
 * ```ts
 * await unlink(loop, "/tmp/old.log");
 * ```
 */
export function unlink(loop: Loop, path: PathLike, options?: OpOptions): Promise<void> {
  return unlinkat(loop, AT_FDCWD, path, 0, options);
}

/**
 * Removes an empty directory, like rmdir(2). IORING_OP_UNLINKAT with AT_REMOVEDIR, Linux 5.11.
 *
 * @example
 * ```ts
 * await rmdir(loop, "/tmp/empty");
 * ```
 */
export function rmdir(loop: Loop, path: PathLike, options?: OpOptions): Promise<void> {
  return unlinkat(loop, AT_FDCWD, path, AT_REMOVEDIR, options);
}

/**
 * Renames `oldPath` to `newPath`, like renameat2(2). IORING_OP_RENAMEAT, Linux 5.11.
 *
 * @param flags `RENAME_NOREPLACE`, `RENAME_EXCHANGE`, `RENAME_WHITEOUT`, or 0.
 *
 * @example
 * ```ts
 * await renameat(loop, AT_FDCWD, "a.tmp", AT_FDCWD, "a.json", RENAME_NOREPLACE);
 * ```
 */
export function renameat(
  loop: Loop, oldDirfd: number, oldPath: PathLike, newDirfd: number, newPath: PathLike, flags = 0,
  options?: OpOptions,
): Promise<void> {
  return start(loop, options, () => {
    const name = `rename ${show(oldPath)} to ${show(newPath)}`;
    needDirFd(name, oldDirfd);
    needDirFd(name, newDirfd);
    needU32(name, "flags", flags);
    const a = pathBytes(name, oldPath, "old path");
    const b = pathBytes(name, newPath, "new path");
    return new FsOp<void>(name, (sqe, op) =>
      prepRenameat(sqe, oldDirfd, op.cstring(loop, a), newDirfd, op.cstring(loop, b), flags), () => undefined);
  });
}

/**
 * Renames a path, like rename(2). IORING_OP_RENAMEAT, Linux 5.11.
 *
 * @example
 * ```ts
 * await rename(loop, "/tmp/a", "/tmp/b");
 * ```
 */
export function rename(loop: Loop, oldPath: PathLike, newPath: PathLike, options?: OpOptions): Promise<void> {
  return renameat(loop, AT_FDCWD, oldPath, AT_FDCWD, newPath, 0, options);
}

/**
 * Creates a directory, like mkdirat(2). IORING_OP_MKDIRAT, Linux 5.15.
 *
 * @example
 * ```ts
 * await mkdirat(loop, AT_FDCWD, "out", 0o755);
 * ```
 */
export function mkdirat(loop: Loop, dirfd: number, path: PathLike, mode = 0o777, options?: OpOptions): Promise<void> {
  return start(loop, options, () => {
    const name = `mkdir ${show(path)}`;
    needDirFd(name, dirfd);
    needU32(name, "mode", mode, 0o7777);
    const p = pathBytes(name, path);
    return new FsOp<void>(name, (sqe, op) => prepMkdirat(sqe, dirfd, op.cstring(loop, p), mode), () => undefined);
  });
}

/**
 * Creates a directory, like mkdir(2). IORING_OP_MKDIRAT, Linux 5.15.
 *
 * @example
 * ```ts
 * await mkdir(loop, "/tmp/out");
 * ```
 */
export function mkdir(loop: Loop, path: PathLike, mode = 0o777, options?: OpOptions): Promise<void> {
  return mkdirat(loop, AT_FDCWD, path, mode, options);
}

/**
 * Creates a symbolic link `linkPath` (relative to `dirfd`) whose content is `target`, like symlinkat(2).
 * IORING_OP_SYMLINKAT, Linux 5.15.
 *
 * @example
 * ```ts
 * await symlinkat(loop, "data-v2.bin", AT_FDCWD, "data.bin");
 * ```
 */
export function symlinkat(
  loop: Loop, target: PathLike, dirfd: number, linkPath: PathLike, options?: OpOptions,
): Promise<void> {
  return start(loop, options, () => {
    const name = `symlink ${show(linkPath)} -> ${show(target)}`;
    needDirFd(name, dirfd);
    const t = pathBytes(name, target, "target");
    const l = pathBytes(name, linkPath, "link path");
    return new FsOp<void>(name, (sqe, op) =>
      prepSymlinkat(sqe, op.cstring(loop, t), dirfd, op.cstring(loop, l)), () => undefined);
  });
}

/**
 * Creates a symbolic link, like symlink(2). IORING_OP_SYMLINKAT, Linux 5.15.
 *
 * @example
 * ```ts
 * await symlink(loop, "/etc/hostname", "/tmp/hostname-link");
 * ```
 */
export function symlink(loop: Loop, target: PathLike, linkPath: PathLike, options?: OpOptions): Promise<void> {
  return symlinkat(loop, target, AT_FDCWD, linkPath, options);
}

/**
 * Creates a hard link `newPath` to `oldPath`, like linkat(2). IORING_OP_LINKAT, Linux 5.15.
 *
 * @param flags AT_SYMLINK_FOLLOW, AT_EMPTY_PATH, or 0.
 *
 * @example
 * ```ts
 * await linkat(loop, AT_FDCWD, "a", AT_FDCWD, "b");
 * ```
 */
export function linkat(
  loop: Loop, oldDirfd: number, oldPath: PathLike, newDirfd: number, newPath: PathLike, flags = 0,
  options?: OpOptions,
): Promise<void> {
  return start(loop, options, () => {
    const name = `link ${show(newPath)} to ${show(oldPath)}`;
    needDirFd(name, oldDirfd);
    needDirFd(name, newDirfd);
    needU32(name, "flags", flags);
    const a = pathBytes(name, oldPath, "old path");
    const b = pathBytes(name, newPath, "new path");
    return new FsOp<void>(name, (sqe, op) =>
      prepLinkat(sqe, oldDirfd, op.cstring(loop, a), newDirfd, op.cstring(loop, b), flags), () => undefined);
  });
}

/**
 * Creates a hard link, like link(2). IORING_OP_LINKAT, Linux 5.15.
 *
 * @example
 * ```ts
 * await link(loop, "/tmp/a", "/tmp/b");
 * ```
 */
export function link(loop: Loop, oldPath: PathLike, newPath: PathLike, options?: OpOptions): Promise<void> {
  return linkat(loop, AT_FDCWD, oldPath, AT_FDCWD, newPath, 0, options);
}

// ---- Extended attributes -----------------------------------------------------------------------------------------

/** Options of the getxattr functions. */
export interface GetxattrOptions extends OpOptions {
  /** The largest value expected (default and maximum {@link XATTR_SIZE_MAX}); a larger one fails with ERANGE. */
  size?: number;
}

function xattrName(what: string, name: string): Uint8Array {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`Cannot ${what}: the attribute name must be a non-empty string such as "user.comment"`);
  }
  return pathBytes(what, name, "attribute name");
}

function xattrValue(what: string, value: BufferLike | string): Uint8Array {
  const bytes = typeof value === "string" ? encoder.encode(value) : bytesOf(what, value, undefined, "value");
  if (bytes.byteLength > XATTR_SIZE_MAX) {
    throw new RangeError(`Cannot ${what}: the value is ${bytes.byteLength} bytes; the kernel takes at most ${XATTR_SIZE_MAX}`);
  }
  return bytes;
}

function xattrSize(what: string, options?: GetxattrOptions): number {
  const size = options?.size ?? XATTR_SIZE_MAX;
  if (!Number.isInteger(size) || size < 1 || size > XATTR_SIZE_MAX) {
    throw new RangeError(`Cannot ${what}: size must be an integer from 1 to ${XATTR_SIZE_MAX}, got ${size}`);
  }
  return size;
}

/**
 * Sets extended attribute `name` of `path` (following symbolic links), like setxattr(2). IORING_OP_SETXATTR,
 * Linux 5.19.
 *
 * @param flags {@link XATTR_CREATE}, {@link XATTR_REPLACE}, or 0.
 *
 * @example
 * ```ts
 * await setxattr(loop, "/tmp/f", "user.origin", "https://example.com");
 * ```
 */
export function setxattr(
  loop: Loop, path: PathLike, name: string, value: BufferLike | string, flags = 0, options?: OpOptions,
): Promise<void> {
  return start(loop, options, () => {
    const what = `setxattr ${name} on ${show(path)}`;
    const p = pathBytes(what, path);
    const n = xattrName(what, name);
    const v = xattrValue(what, value);
    needU32(what, "flags", flags);
    return new FsOp<void>(what, (sqe, op) =>
      prepSetxattr(sqe, op.cstring(loop, n), op.address(loop, v, false), op.cstring(loop, p), flags, v.byteLength),
      () => undefined);
  });
}

/**
 * Reads extended attribute `name` of `path`, like getxattr(2). Resolves to a copy of the value.
 * IORING_OP_GETXATTR, Linux 5.19.
 *
 * @example
 * ```ts
 * const v = await getxattr(loop, "/tmp/f", "user.origin");
 * console.log(new TextDecoder().decode(v));
 * ```
 */
export function getxattr(loop: Loop, path: PathLike, name: string, options?: GetxattrOptions): Promise<Uint8Array> {
  return start(loop, options, () => {
    const what = `getxattr ${name} on ${show(path)}`;
    const p = pathBytes(what, path);
    const n = xattrName(what, name);
    const size = xattrSize(what, options);
    let value: Uint8Array | undefined;
    return new FsOp(what, (sqe, op) => {
      const c = op.chunk(loop, size);
      value = c.bytes;
      prepGetxattr(sqe, op.cstring(loop, n), c.address, op.cstring(loop, p), size);
    }, (res) => value!.slice(0, res));
  });
}

/**
 * Sets extended attribute `name` of an open file, like fsetxattr(2). IORING_OP_FSETXATTR, Linux 5.19.
 *
 * @example
 * ```ts
 * await fsetxattr(loop, fd, "user.checksum", sha256Bytes);
 * ```
 */
export function fsetxattr(
  loop: Loop, fd: number, name: string, value: BufferLike | string, flags = 0, options?: FdOptions,
): Promise<void> {
  return start(loop, options, () => {
    const what = `fsetxattr ${name}`;
    needFd(what, fd);
    const n = xattrName(what, name);
    const v = xattrValue(what, value);
    needU32(what, "flags", flags);
    return new FsOp<void>(what, (sqe, op) => {
      prepFsetxattr(sqe, fd, op.cstring(loop, n), op.address(loop, v, false), flags, v.byteLength);
      setFixed(sqe, options?.fixed);
    }, () => undefined);
  });
}

/**
 * Reads extended attribute `name` of an open file, like fgetxattr(2). Resolves to a copy of the value.
 * IORING_OP_FGETXATTR, Linux 5.19.
 *
 * @example
 * ```ts
 * const sum = await fgetxattr(loop, fd, "user.checksum");
 * ```
 */
export function fgetxattr(
  loop: Loop, fd: number, name: string, options?: GetxattrOptions & { fixed?: boolean },
): Promise<Uint8Array> {
  return start(loop, options, () => {
    const what = `fgetxattr ${name}`;
    needFd(what, fd);
    const n = xattrName(what, name);
    const size = xattrSize(what, options);
    let value: Uint8Array | undefined;
    return new FsOp(what, (sqe, op) => {
      const c = op.chunk(loop, size);
      value = c.bytes;
      prepFgetxattr(sqe, fd, op.cstring(loop, n), c.address, size);
      setFixed(sqe, options?.fixed);
    }, (res) => value!.slice(0, res));
  });
}

// ---- Pipes -------------------------------------------------------------------------------------------------------

/** Options of {@link splice}. */
export interface SpliceOptions extends OpOptions {
  /** `fdIn` is a direct descriptor (SPLICE_F_FD_IN_FIXED). */
  fixedIn?: boolean;
  /** `fdOut` is a direct descriptor (IOSQE_FIXED_FILE). */
  fixedOut?: boolean;
}

/**
 * Moves up to `nbytes` from `fdIn` to `fdOut` without copying through user memory, like splice(2); one of them
 * must be a pipe, and a pipe's offset must be -1. Resolves to the bytes moved (0: end of input).
 * IORING_OP_SPLICE, Linux 5.7.
 *
 * @param flags `SPLICE_F_*` bits.
 *
 * @example
 * ```ts
 * const [r, w] = await pipe(loop);
 * const n = await splice(loop, fileFd, 0, w, -1, 65536);
 * ```
 */
export function splice(
  loop: Loop, fdIn: number, offIn: number, fdOut: number, offOut: number, nbytes: number, flags = 0,
  options?: SpliceOptions,
): Promise<number> {
  return start(loop, options, () => {
    needFd("splice", fdIn, "fdIn");
    needFd("splice", fdOut, "fdOut");
    needOffset("splice", offIn, "offIn");
    needOffset("splice", offOut, "offOut");
    needU32("splice", "nbytes", nbytes);
    needU32("splice", "flags", flags);
    const f = (flags | (options?.fixedIn ? SPLICE_F_FD_IN_FIXED : 0)) >>> 0;
    return new FsOp("splice", (sqe) => {
      prepSplice(sqe, fdIn, offIn, fdOut, offOut, nbytes, f);
      setFixed(sqe, options?.fixedOut);
    });
  });
}

/**
 * Duplicates up to `nbytes` from pipe `fdIn` into pipe `fdOut` without consuming them, like tee(2). Resolves to
 * the bytes duplicated. IORING_OP_TEE, Linux 5.8.
 *
 * @example
 * ```ts
 * const n = await tee(loop, pipeA.read, pipeB.write, 65536);
 * ```
 */
export function tee(
  loop: Loop, fdIn: number, fdOut: number, nbytes: number, flags = 0, options?: SpliceOptions,
): Promise<number> {
  return start(loop, options, () => {
    needFd("tee", fdIn, "fdIn");
    needFd("tee", fdOut, "fdOut");
    needU32("tee", "nbytes", nbytes);
    needU32("tee", "flags", flags);
    const f = (flags | (options?.fixedIn ? SPLICE_F_FD_IN_FIXED : 0)) >>> 0;
    return new FsOp("tee", (sqe) => {
      prepTee(sqe, fdIn, fdOut, nbytes, f);
      setFixed(sqe, options?.fixedOut);
    });
  });
}

function pipeOp(name: string, loop: Loop, prep: (sqe: Sqe, fds: number) => void): FsOp<[number, number]> {
  let fds: DataView | undefined;
  return new FsOp<[number, number]>(name, (sqe, op) => {
    const c = op.chunk(loop, 8);
    fds = c.view;
    prep(sqe, c.address);
  }, () => [fds!.getInt32(0, true), fds!.getInt32(4, true)]); // read before the chunk is released
}

/**
 * Creates a pipe, like pipe2(2). O_CLOEXEC is added unless `{ inherit: true }`. Resolves to `[readFd, writeFd]`.
 * IORING_OP_PIPE, Linux 6.16.
 *
 * @param flags O_NONBLOCK, O_DIRECT (packet mode), or 0.
 *
 * @example
 * ```ts
 * const [r, w] = await pipe(loop);
 * ```
 */
export function pipe(loop: Loop, flags = 0, options?: OpenOptions): Promise<[number, number]> {
  return start(loop, options, () => {
    needU32("pipe", "flags", flags);
    const f = flags | (options?.inherit ? 0 : O_CLOEXEC);
    return pipeOp("pipe", loop, (sqe, fds) => prepPipe(sqe, fds, f));
  });
}

/**
 * Creates a pipe whose ends are direct descriptors: slots `slot` and `slot + 1`, or two free slots with
 * {@link IORING_FILE_INDEX_ALLOC} (the default). Resolves to `[readSlot, writeSlot]`. IORING_OP_PIPE with
 * file_index, Linux 6.16.
 *
 * @example
 * ```ts
 * const [r, w] = await pipeDirect(loop);
 * await write(loop, w, data, -1, { fixed: true });
 * ```
 */
export function pipeDirect(
  loop: Loop, flags = 0, slot: number = IORING_FILE_INDEX_ALLOC, options?: OpOptions,
): Promise<[number, number]> {
  return start(loop, options, () => {
    needU32("pipe direct", "flags", flags);
    needSlot("pipe direct", slot, true);
    return pipeOp("pipe direct", loop, (sqe, fds) => prepPipeDirect(sqe, fds, flags, slot));
  });
}
