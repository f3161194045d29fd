/**
 * The flag and mask constants of the file operations, by kernel header: `O_*` open flags and `RESOLVE_*`
 * (include/uapi/asm-generic/fcntl.h, include/uapi/linux/openat2.h), `AT_*` (include/uapi/linux/fcntl.h),
 * `RENAME_*`, `FALLOC_FL_*` (include/uapi/linux/falloc.h), `POSIX_FADV_*`, `MADV_*`, `SYNC_FILE_RANGE_*`,
 * `XATTR_*`, `SPLICE_F_*` and the `STATX_*` mask bits (include/uapi/linux/stat.h).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { open } from "ringside-uring/fs";
 * const loop = new Loop();
 * const fd = await open(loop, "/tmp/constants-example.txt", O_WRONLY | O_CREAT | O_TRUNC, 0o644);
 * console.log(fd >= 0);
 * await loop.close();
 * ```
 *
 * @module
 */
import process from "node:process";

export { AT_FDCWD } from "../core/_validate.ts";
export { IORING_FILE_INDEX_ALLOC, IORING_FIXED_FD_NO_CLOEXEC } from "../abi/uapi.ts";

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
