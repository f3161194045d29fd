/**
 * Files on a `Loop`: the safe, typed layer over the file opcodes. Each function takes the loop first and
 * returns a promise of the result; a failed CQE rejects with a `UringError` whose `code` is the errno name
 * (`"ENOENT"`), input refused before the kernel with a `UringError` whose code is `"ERINGSIDE"`, an abort with an
 * `AbortError`, a `timeoutMs` that ran out with a `TimeoutError`. None of them throws.
 *
 * Memory the kernel reads or writes is given as TypedArrays, DataViews or views of `NativeMemory`; the address
 * and length the kernel sees are derived from the view, so no call can reach past a buffer. Paths and structs
 * (`open_how`, `struct statx`, iovec arrays, the fds of `pipe`) live in arena chunks until the completion; results
 * read from the kernel's structs are copied out before those chunks are reused.
 *
 * File descriptors are plain numbers. With `{ fixed: true }` a number is a direct descriptor: a slot of the ring's
 * registered file table (`registerFiles`, `registerFilesSparse`, `openatDirect`), used with
 * IOSQE_FIXED_FILE.
 *
 * Kernel versions: each function names the Linux version its opcode needs; where it is missing the promise
 * rejects with EINVAL. `probeOpcodes().isSupported(IORING_OP_*)` tells beforehand.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { close, open, read, statx, write } from "ringside-uring/fs";
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
export type { OpOptions } from "../loop/operation.ts";
export type { BufferLike, FdOptions, PathLike } from "./types.ts";
export { read, readFixed, readv, type RwOptions, write, writeFixed, writev } from "./read_write.ts";
export {
  close,
  closeDirect,
  open,
  openat,
  openat2,
  openat2Direct,
  openatDirect,
  openFlags,
  type OpenHow,
  type OpenOptions,
} from "./open_close.ts";
export { filesUpdate, filesUpdateAlloc, fixedFdInstall } from "./file_table.ts";
export {
  fileType,
  type FileType,
  fstat,
  lstat,
  parseStatx,
  type Statx,
  statx,
  type StatxOptions,
  type StatxTimestamp,
} from "./statx.ts";
export { fdatasync, fsync, syncFileRange } from "./sync.ts";
export { fallocate, ftruncate } from "./allocate.ts";
export { fadvise, madvise } from "./advise.ts";
export { link, linkat, mkdir, mkdirat, rename, renameat, rmdir, symlink, symlinkat, unlink, unlinkat } from "./paths.ts";
export { fgetxattr, fsetxattr, getxattr, type GetxattrOptions, setxattr } from "./xattr.ts";
export { splice, type SpliceOptions, tee } from "./splice.ts";
export { pipe, pipeDirect } from "./pipe.ts";
export {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_REMOVEDIR,
  AT_STATX_DONT_SYNC,
  AT_STATX_FORCE_SYNC,
  AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW,
  FALLOC_FL_COLLAPSE_RANGE,
  FALLOC_FL_INSERT_RANGE,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  FALLOC_FL_UNSHARE_RANGE,
  FALLOC_FL_ZERO_RANGE,
  IORING_FILE_INDEX_ALLOC,
  IORING_FIXED_FD_NO_CLOEXEC,
  MADV_DONTNEED,
  MADV_NORMAL,
  MADV_RANDOM,
  MADV_SEQUENTIAL,
  MADV_WILLNEED,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECT,
  O_DIRECTORY,
  O_DSYNC,
  O_EXCL,
  O_LARGEFILE,
  O_NOATIME,
  O_NOCTTY,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_SYNC,
  O_TMPFILE,
  O_TRUNC,
  O_WRONLY,
  POSIX_FADV_DONTNEED,
  POSIX_FADV_NOREUSE,
  POSIX_FADV_NORMAL,
  POSIX_FADV_RANDOM,
  POSIX_FADV_SEQUENTIAL,
  POSIX_FADV_WILLNEED,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  RENAME_WHITEOUT,
  RESOLVE_BENEATH,
  RESOLVE_CACHED,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  RESOLVE_NO_XDEV,
  SPLICE_F_MORE,
  SPLICE_F_MOVE,
  SPLICE_F_NONBLOCK,
  STATX_ATIME,
  STATX_BASIC_STATS,
  STATX_BLOCKS,
  STATX_BTIME,
  STATX_CTIME,
  STATX_DIOALIGN,
  STATX_GID,
  STATX_INO,
  STATX_MNT_ID,
  STATX_MODE,
  STATX_MTIME,
  STATX_NLINK,
  STATX_SIZE,
  STATX_TYPE,
  STATX_UID,
  SYNC_FILE_RANGE_WAIT_AFTER,
  SYNC_FILE_RANGE_WAIT_BEFORE,
  SYNC_FILE_RANGE_WRITE,
  XATTR_CREATE,
  XATTR_REPLACE,
  XATTR_SIZE_MAX,
} from "./constants.ts";
export { FileHandle, openFile } from "./file_handle.ts";
export { copyFile, readFile, readFiles, type ReadFilesOptions, writeFile, type WriteFileOptions } from "./whole_file.ts";
