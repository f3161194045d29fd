/**
 * File metadata on a {@link Loop}: `statx` (statx(2)), `fstat` of a descriptor, `lstat` of a link, the parsed
 * `struct statx` ({@link Statx}) and `fileType` of a mode. The `STATX_*` mask bits are in `constants.ts`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * const loop = new Loop();
 * const st = await statx(loop, "/tmp");
 * console.log(fileType(st.mode), new Date(st.mtimeMs)); // directory ...
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { checkDirFd, checkFd, checkPath, checkU32 } from "../core/_validate.ts";
import { getU64, TWO_32 } from "../abi/_u64.ts";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from "../abi/structs.ts";
import { prepStatx } from "../prep/fs.ts";
import { AT_FDCWD } from "../core/_validate.ts";
import { FsOp, show } from "./_fs_op.ts";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, STATX_BTIME } from "./constants.ts";
import type { PathLike } from "./types.ts";

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

/** `sizeof(struct statx)` (include/uapi/linux/stat.h). */
const STATX_STRUCT_SIZE = 256;

function timestamp(v: DataView, at: number): StatxTimestamp {
  // struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 __reserved; }: tv_sec is signed.
  return { sec: v.getUint32(at, true) + v.getInt32(at + 4, true) * TWO_32, nsec: v.getUint32(at + 8, true) };
}

/**
 * Parses a `struct statx` (256 bytes) as the kernel wrote it.
 *
 * @param v A view over the struct.
 * @returns The parsed fields.
 *
 * @example
 * ```ts
 * const st = parseStatx(new DataView(new ArrayBuffer(256)));
 * console.log(st.size); // 0
 * ```
 */
export function parseStatx(v: DataView): Statx {
  const atime = timestamp(v, 64), btime = timestamp(v, 80), ctime = timestamp(v, 96), mtime = timestamp(v, 112);
  const ms = (t: StatxTimestamp) => t.sec * 1000 + t.nsec / 1e6;
  return {
    mask: v.getUint32(0, true),
    blksize: v.getUint32(4, true),
    attributes: getU64(v, 8),
    nlink: v.getUint32(16, true),
    uid: v.getUint32(20, true),
    gid: v.getUint32(24, true),
    mode: v.getUint16(28, true),
    ino: getU64(v, 32),
    size: getU64(v, 40),
    blocks: getU64(v, 48),
    attributesMask: getU64(v, 56),
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
    mntId: getU64(v, 144),
    dioMemAlign: v.getUint32(152, true),
    dioOffsetAlign: v.getUint32(156, true),
  };
}

/** The kind of file a mode describes. */
export type FileType = "file" | "directory" | "symlink" | "fifo" | "socket" | "char" | "block" | "unknown";

/**
 * The file type in `mode` (`S_IFMT` bits).
 *
 * @param mode A mode, as {@link Statx} `mode`.
 * @returns The file type.
 *
 * @example
 * ```ts
 * console.log(fileType(0o040755)); // "directory"
 * ```
 */
export function fileType(mode: number): FileType {
  switch (mode & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "symlink";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    default: return "unknown";
  }
}

/** Options of {@link statx}. */
export interface StatxOptions extends OpOptions {
  /** Directory `path` is relative to (default `AT_FDCWD`). */
  dirfd?: number | undefined;
  /** `AT_*` flags: AT_SYMLINK_NOFOLLOW (lstat), AT_EMPTY_PATH (stat `dirfd` itself), AT_STATX_*_SYNC. */
  flags?: number | undefined;
  /** `STATX_*` fields wanted (default STATX_BASIC_STATS | STATX_BTIME). */
  mask?: number | undefined;
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
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const st = await statx(loop, "/etc/hostname");
 * console.log(st.size, st.mode.toString(8), new Date(st.mtimeMs));
 * ```
 */
export function statx(loop: Loop, path: PathLike, options?: StatxOptions): Promise<Statx> {
  return run(loop, () => {
    const name = `statx ${show(path)}`;
    const dirfd = checkDirFd(name, options?.dirfd ?? AT_FDCWD);
    const flags = checkU32(name, options?.flags ?? 0, "flags");
    const mask = checkU32(name, options?.mask ?? (STATX_BASIC_STATS | STATX_BTIME), "mask");
    const p = checkPath(name, path);
    let buf: DataView | undefined;
    return new FsOp(name, (sqe, op) => {
      const c = op.chunk(loop, STATX_STRUCT_SIZE);
      buf = c.view;
      prepStatx(sqe, dirfd, op.cstring(loop, p), flags, mask, c.address);
    }, () => parseStatx(buf!)); // parsed inside complete(), before finish() releases the chunk
  }, options);
}

/**
 * statx(2) of an open file descriptor (AT_EMPTY_PATH), like fstat(2). IORING_OP_STATX, Linux 5.6.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param options `flags`, `mask`, `signal`, `timeoutMs`.
 * @returns The metadata.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * const { size } = await fstat(loop, fd);
 * ```
 */
export function fstat(loop: Loop, fd: number, options?: Omit<StatxOptions, "dirfd">): Promise<Statx> {
  try {
    checkFd("fstat", fd);
  } catch (e) {
    return Promise.reject(e);
  }
  return statx(loop, "", { ...options, dirfd: fd, flags: (options?.flags ?? 0) | AT_EMPTY_PATH });
}

/**
 * statx(2) of a path without following a final symbolic link, like lstat(2). IORING_OP_STATX, Linux 5.6.
 *
 * @param loop The loop.
 * @param path The path.
 * @param options `dirfd`, `flags`, `mask`, `signal`, `timeoutMs`.
 * @returns The metadata of the link itself.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * console.log(fileType((await lstat(loop, "/proc/self/exe")).mode)); // "symlink"
 * ```
 */
export function lstat(loop: Loop, path: PathLike, options?: StatxOptions): Promise<Statx> {
  return statx(loop, path, { ...options, flags: (options?.flags ?? 0) | AT_SYMLINK_NOFOLLOW });
}
