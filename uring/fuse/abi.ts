/**
 * The FUSE kernel protocol as plain constants and struct layouts, named exactly as
 * `include/uapi/linux/fuse.h` names them: the opcodes, INIT flags, open/setattr/release flags, the request and
 * reply structs a filesystem server needs, and the FUSE-over-io_uring structs and commands (protocol 7.42,
 * Linux 6.14).
 *
 * Struct layouts are objects of byte offsets with a `SIZE`, as in `../uapi.ts`. INIT flags above bit 31 (the
 * kernel's `1ULL << n`) are numbers up to 2^53: split them into `flags` and `flags2` with {@link initFlagsLow} and
 * {@link initFlagsHigh}. `abi_test.ts` compiles a C program against the installed `linux/fuse.h` and compares every
 * constant and offset it has; the newer ones (7.39-7.45) are checked there against values spelled out from the
 * Linux 6.18 header.
 *
 * @example
 * ```ts
 * const hdr = new DataView(new ArrayBuffer(fuse_in_header.SIZE));
 * hdr.setUint32(fuse_in_header.opcode, FUSE_LOOKUP, true);
 * ```
 *
 * @module
 */

// ---------------------------------------------------------------------------------------------------------
// Versions and fixed values
// ---------------------------------------------------------------------------------------------------------

/** The FUSE protocol's major version. */
export const FUSE_KERNEL_VERSION = 7;
/**
 * The protocol minor version this implementation speaks (7.45, Linux 6.18: FUSE_COPY_FILE_RANGE_64). The session
 * uses the smaller of this and the kernel's.
 */
export const FUSE_KERNEL_MINOR_VERSION = 45;
/** The node ID of the root inode. */
export const FUSE_ROOT_ID = 1;
/** The smallest buffer a read() of /dev/fuse accepts (it also has to hold max_write plus the headers). */
export const FUSE_MIN_READ_BUFFER = 8192;
/** Byte offset of the name in a `struct fuse_dirent`. */
export const FUSE_NAME_OFFSET = 24;
/** Byte offset of the name in a `struct fuse_direntplus`. */
export const FUSE_NAME_OFFSET_DIRENTPLUS = 152;
/** ioctl on /dev/fuse: attach this fd to the session of the fd given as argument (`_IOR(229, 0, uint32_t)`). */
export const FUSE_DEV_IOC_CLONE = 0x8004e500;

// ---------------------------------------------------------------------------------------------------------
// enum fuse_opcode
// ---------------------------------------------------------------------------------------------------------

/** Look up a name in a directory. Protocol 7.1 */
export const FUSE_LOOKUP = 1;
/** The kernel dropped lookup references to an inode; no reply. */
export const FUSE_FORGET = 2;
/** Get an inode's attributes. */
export const FUSE_GETATTR = 3;
/** Change an inode's attributes (chmod, chown, truncate, utimens). */
export const FUSE_SETATTR = 4;
/** Read a symbolic link's target. */
export const FUSE_READLINK = 5;
/** Create a symbolic link. */
export const FUSE_SYMLINK = 6;
/** Create a special or regular file without opening it. */
export const FUSE_MKNOD = 8;
/** Create a directory. */
export const FUSE_MKDIR = 9;
/** Remove a name (not a directory). */
export const FUSE_UNLINK = 10;
/** Remove an empty directory. */
export const FUSE_RMDIR = 11;
/** Rename. */
export const FUSE_RENAME = 12;
/** Create a hard link. */
export const FUSE_LINK = 13;
/** Open a file. */
export const FUSE_OPEN = 14;
/** Read from an open file. */
export const FUSE_READ = 15;
/** Write to an open file. */
export const FUSE_WRITE = 16;
/** Filesystem statistics. */
export const FUSE_STATFS = 17;
/** The last close of an open file. */
export const FUSE_RELEASE = 18;
/** Synchronise a file's contents. */
export const FUSE_FSYNC = 20;
/** Set an extended attribute. */
export const FUSE_SETXATTR = 21;
/** Get an extended attribute. */
export const FUSE_GETXATTR = 22;
/** List extended attributes. */
export const FUSE_LISTXATTR = 23;
/** Remove an extended attribute. */
export const FUSE_REMOVEXATTR = 24;
/** A close() of a file descriptor (one per close, possibly several per open). */
export const FUSE_FLUSH = 25;
/** The first request of a session: version and capability negotiation. */
export const FUSE_INIT = 26;
/** Open a directory. */
export const FUSE_OPENDIR = 27;
/** Read directory entries. */
export const FUSE_READDIR = 28;
/** The last close of an open directory. */
export const FUSE_RELEASEDIR = 29;
/** Synchronise a directory. */
export const FUSE_FSYNCDIR = 30;
/** Test for a POSIX lock. */
export const FUSE_GETLK = 31;
/** Set a POSIX lock. */
export const FUSE_SETLK = 32;
/** Set a POSIX lock, waiting. */
export const FUSE_SETLKW = 33;
/** Check access permissions (access(2)). Protocol 7.3 */
export const FUSE_ACCESS = 34;
/** Create and open a file. Protocol 7.3 */
export const FUSE_CREATE = 35;
/** Interrupt a pending request; no reply required. Protocol 7.7 */
export const FUSE_INTERRUPT = 36;
/** Map a file block to a device block. Protocol 7.8 */
export const FUSE_BMAP = 37;
/** The session ends (sent for fuseblk mounts). Protocol 7.8 */
export const FUSE_DESTROY = 38;
/** ioctl on an open file. Protocol 7.11 */
export const FUSE_IOCTL = 39;
/** poll on an open file. Protocol 7.11 */
export const FUSE_POLL = 40;
/** Reply to a retrieve notification. Protocol 7.15 */
export const FUSE_NOTIFY_REPLY = 41;
/** Several FORGETs in one request; no reply. Protocol 7.16 */
export const FUSE_BATCH_FORGET = 42;
/** Preallocate or punch space. Protocol 7.19 */
export const FUSE_FALLOCATE = 43;
/** READDIR plus a LOOKUP of each entry. Protocol 7.21 */
export const FUSE_READDIRPLUS = 44;
/** Rename with RENAME_* flags. Protocol 7.23 */
export const FUSE_RENAME2 = 45;
/** SEEK_DATA / SEEK_HOLE. Protocol 7.24 */
export const FUSE_LSEEK = 46;
/** copy_file_range(2). Protocol 7.28 */
export const FUSE_COPY_FILE_RANGE = 47;
/** DAX: map a file range. Protocol 7.31 */
export const FUSE_SETUPMAPPING = 48;
/** DAX: unmap a file range. Protocol 7.31 */
export const FUSE_REMOVEMAPPING = 49;
/** syncfs(2). Protocol 7.34 */
export const FUSE_SYNCFS = 50;
/** O_TMPFILE open. Protocol 7.37 */
export const FUSE_TMPFILE = 51;
/** statx(2) attributes. Protocol 7.39 */
export const FUSE_STATX = 52;
/**
 * copy_file_range(2) answering a 64-bit count (`fuse_copy_file_range_out`); a server that answers ENOSYS gets
 * FUSE_COPY_FILE_RANGE instead from then on (fs/fuse/file.c __fuse_copy_file_range). Protocol 7.45
 */
export const FUSE_COPY_FILE_RANGE_64 = 53;

/** The names of the opcodes, for diagnostics. */
export const FUSE_OPCODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: "LOOKUP", 2: "FORGET", 3: "GETATTR", 4: "SETATTR", 5: "READLINK", 6: "SYMLINK", 8: "MKNOD", 9: "MKDIR",
  10: "UNLINK", 11: "RMDIR", 12: "RENAME", 13: "LINK", 14: "OPEN", 15: "READ", 16: "WRITE", 17: "STATFS",
  18: "RELEASE", 20: "FSYNC", 21: "SETXATTR", 22: "GETXATTR", 23: "LISTXATTR", 24: "REMOVEXATTR", 25: "FLUSH",
  26: "INIT", 27: "OPENDIR", 28: "READDIR", 29: "RELEASEDIR", 30: "FSYNCDIR", 31: "GETLK", 32: "SETLK",
  33: "SETLKW", 34: "ACCESS", 35: "CREATE", 36: "INTERRUPT", 37: "BMAP", 38: "DESTROY", 39: "IOCTL", 40: "POLL",
  41: "NOTIFY_REPLY", 42: "BATCH_FORGET", 43: "FALLOCATE", 44: "READDIRPLUS", 45: "RENAME2", 46: "LSEEK",
  47: "COPY_FILE_RANGE", 48: "SETUPMAPPING", 49: "REMOVEMAPPING", 50: "SYNCFS", 51: "TMPFILE", 52: "STATX",
  53: "COPY_FILE_RANGE_64",
});

// ---------------------------------------------------------------------------------------------------------
// enum fuse_notify_code: messages the server writes on its own (fuse_out_header.unique 0, the code in `error`)
// ---------------------------------------------------------------------------------------------------------

/**
 * Drop the kernel's cached attributes of an inode, and with `off` >= 0 its cached pages from `off` for `len` bytes
 * (0: to the end); a `struct fuse_notify_inval_inode_out` follows the header (fs/fuse/inode.c
 * fuse_reverse_inval_inode). Protocol 7.12
 */
export const FUSE_NOTIFY_INVAL_INODE = 2;

// ---------------------------------------------------------------------------------------------------------
// INIT flags (fuse_init_in.flags / flags2 and fuse_init_out.flags / flags2)
// ---------------------------------------------------------------------------------------------------------

/** Asynchronous read requests (readahead in parallel). */
export const FUSE_ASYNC_READ = 1 << 0;
/** Remote POSIX locks. */
export const FUSE_POSIX_LOCKS = 1 << 1;
/** The kernel sends file handles for fstat and the like (not in use). */
export const FUSE_FILE_OPS = 1 << 2;
/** The filesystem handles O_TRUNC in open. */
export const FUSE_ATOMIC_O_TRUNC = 1 << 3;
/** The filesystem handles lookups of "." and "..". */
export const FUSE_EXPORT_SUPPORT = 1 << 4;
/** Writes larger than 4 KiB (always on since 4.20). */
export const FUSE_BIG_WRITES = 1 << 5;
/** Do not apply the umask on create. */
export const FUSE_DONT_MASK = 1 << 6;
/** splice() writes to the device. */
export const FUSE_SPLICE_WRITE = 1 << 7;
/** splice() moves to the device. */
export const FUSE_SPLICE_MOVE = 1 << 8;
/** splice() reads from the device. */
export const FUSE_SPLICE_READ = 1 << 9;
/** Remote flock locks. */
export const FUSE_FLOCK_LOCKS = 1 << 10;
/** ioctl on directories. */
export const FUSE_HAS_IOCTL_DIR = 1 << 11;
/** Invalidate cached pages when mtime or size change. */
export const FUSE_AUTO_INVAL_DATA = 1 << 12;
/** Use READDIRPLUS. Protocol 7.21 */
export const FUSE_DO_READDIRPLUS = 1 << 13;
/** Use READDIRPLUS adaptively (after a lookup of the directory's entries). Protocol 7.21 */
export const FUSE_READDIRPLUS_AUTO = 1 << 14;
/** Asynchronous direct I/O. */
export const FUSE_ASYNC_DIO = 1 << 15;
/** Writeback caching of writes. */
export const FUSE_WRITEBACK_CACHE = 1 << 16;
/** Zero-message opens (ENOSYS to OPEN means "no open needed"). */
export const FUSE_NO_OPEN_SUPPORT = 1 << 17;
/** Parallel lookups and readdir in one directory. */
export const FUSE_PARALLEL_DIROPS = 1 << 18;
/** The filesystem kills suid/sgid/caps on write, chown and truncate. */
export const FUSE_HANDLE_KILLPRIV = 1 << 19;
/** POSIX ACLs. */
export const FUSE_POSIX_ACL = 1 << 20;
/** Reading the device after an abort returns ECONNABORTED. */
export const FUSE_ABORT_ERROR = 1 << 21;
/** fuse_init_out.max_pages is valid. Protocol 7.28 */
export const FUSE_MAX_PAGES = 1 << 22;
/** Cache READLINK replies. */
export const FUSE_CACHE_SYMLINKS = 1 << 23;
/** Zero-message opendir. */
export const FUSE_NO_OPENDIR_SUPPORT = 1 << 24;
/** Invalidate cached pages only when asked. */
export const FUSE_EXPLICIT_INVAL_DATA = 1 << 25;
/** fuse_init_out.map_alignment is valid. */
export const FUSE_MAP_ALIGNMENT = 1 << 26;
/** Automount submounts. */
export const FUSE_SUBMOUNTS = 1 << 27;
/**
 * The filesystem kills suid/sgid/caps (v2): on a write, a truncate and a chown it clears S_ISUID, S_ISGID (on a
 * write or truncate only with group-execute set, and only for a caller without CAP_FSETID, which the kernel tells
 * with FUSE_WRITE_KILL_SUIDGID, FATTR_KILL_SUIDGID and FUSE_OPEN_KILL_SUIDGID) and the security.capability
 * attribute. In exchange the kernel sets SB_NOSEC on the superblock (fs/fuse/inode.c process_init_reply), so that a
 * write stops asking for security.capability (GETXATTR) each time (fs/inode.c file_remove_privs). Protocol 7.33
 */
export const FUSE_HANDLE_KILLPRIV_V2 = 1 << 28;
/** Extended fuse_setxattr_in. */
export const FUSE_SETXATTR_EXT = 1 << 29;
/** The INIT request and reply carry flags2 (bits 32-63). Protocol 7.36 */
export const FUSE_INIT_EXT = 1 << 30;
/** Reserved. */
export const FUSE_INIT_RESERVED = 2 ** 31;
/** Security contexts on create, mkdir, symlink and mknod. Protocol 7.36 */
export const FUSE_SECURITY_CTX = 2 ** 32;
/** Per-inode DAX. Protocol 7.36 */
export const FUSE_HAS_INODE_DAX = 2 ** 33;
/** Supplementary groups on create, mkdir, symlink and mknod. Protocol 7.38 */
export const FUSE_CREATE_SUPP_GROUP = 2 ** 34;
/** Expiry-only entry invalidation. Protocol 7.38 */
export const FUSE_HAS_EXPIRE_ONLY = 2 ** 35;
/** Shared mmap in FOPEN_DIRECT_IO mode. Protocol 7.39 */
export const FUSE_DIRECT_IO_ALLOW_MMAP = 2 ** 36;
/** Passthrough to a backing file. Protocol 7.40 */
export const FUSE_PASSTHROUGH = 2 ** 37;
/** Explicitly no export (NFS) support. Protocol 7.40 */
export const FUSE_NO_EXPORT_SUPPORT = 2 ** 38;
/** The kernel can resend pending requests. Protocol 7.40 */
export const FUSE_HAS_RESEND = 2 ** 39;
/** Idmapped mounts. Protocol 7.41 */
export const FUSE_ALLOW_IDMAP = 2 ** 40;
/**
 * Requests over io_uring (FUSE_IO_URING_CMD_*). The kernel sets it in the INIT request when
 * `/sys/module/fuse/parameters/enable_uring` is Y; the server sets it in the reply when it will register ring
 * entries. Protocol 7.42, Linux 6.14
 */
export const FUSE_OVER_IO_URING = 2 ** 41;
/** fuse_init_out.request_timeout is valid. Protocol 7.43 */
export const FUSE_REQUEST_TIMEOUT = 2 ** 42;

/**
 * The low 32 bits of a 64-bit INIT flag set (`fuse_init_*.flags`).
 *
 * @example
 * ```ts
 * console.log(initFlagsLow(FUSE_INIT_EXT + FUSE_ASYNC_READ).toString(16)); // "40000001"
 * ```
 */
export function initFlagsLow(flags: number): number {
  return flags % 2 ** 32;
}

/**
 * The high 32 bits of a 64-bit INIT flag set (`fuse_init_*.flags2`).
 *
 * @example
 * ```ts
 * console.log(initFlagsHigh(FUSE_OVER_IO_URING).toString(16)); // "200": flags2 bit 9
 * ```
 */
export function initFlagsHigh(flags: number): number {
  return Math.floor(flags / 2 ** 32);
}

// ---------------------------------------------------------------------------------------------------------
// Per-request flags
// ---------------------------------------------------------------------------------------------------------

/** fuse_setattr_in.valid: mode. */
export const FATTR_MODE = 1 << 0;
/** fuse_setattr_in.valid: uid. */
export const FATTR_UID = 1 << 1;
/** fuse_setattr_in.valid: gid. */
export const FATTR_GID = 1 << 2;
/** fuse_setattr_in.valid: size (truncate). */
export const FATTR_SIZE = 1 << 3;
/** fuse_setattr_in.valid: atime. */
export const FATTR_ATIME = 1 << 4;
/** fuse_setattr_in.valid: mtime. */
export const FATTR_MTIME = 1 << 5;
/** fuse_setattr_in.valid: fh is valid. */
export const FATTR_FH = 1 << 6;
/** fuse_setattr_in.valid: atime is "now". */
export const FATTR_ATIME_NOW = 1 << 7;
/** fuse_setattr_in.valid: mtime is "now". */
export const FATTR_MTIME_NOW = 1 << 8;
/** fuse_setattr_in.valid: lock_owner is valid. */
export const FATTR_LOCKOWNER = 1 << 9;
/** fuse_setattr_in.valid: ctime. */
export const FATTR_CTIME = 1 << 10;
/** fuse_setattr_in.valid: kill suid/sgid. */
export const FATTR_KILL_SUIDGID = 1 << 11;

/** fuse_open_out.open_flags: bypass the page cache. */
export const FOPEN_DIRECT_IO = 1 << 0;
/** fuse_open_out.open_flags: keep cached data on open. */
export const FOPEN_KEEP_CACHE = 1 << 1;
/** fuse_open_out.open_flags: not seekable. */
export const FOPEN_NONSEEKABLE = 1 << 2;
/** fuse_open_out.open_flags: cache directory contents. */
export const FOPEN_CACHE_DIR = 1 << 3;
/** fuse_open_out.open_flags: stream-like, no file position. */
export const FOPEN_STREAM = 1 << 4;
/** fuse_open_out.open_flags: no FLUSH on close. */
export const FOPEN_NOFLUSH = 1 << 5;
/** fuse_open_out.open_flags: parallel direct writes. */
export const FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;
/** fuse_open_out.open_flags: passthrough to backing_id. Protocol 7.40 */
export const FOPEN_PASSTHROUGH = 1 << 7;

/**
 * fuse_open_in.open_flags and fuse_create_in.open_flags: kill suid and sgid (FUSE_HANDLE_KILLPRIV_V2; an open with
 * O_TRUNC by a caller without CAP_FSETID, fs/fuse/file.c fuse_send_open and fs/fuse/dir.c fuse_create_open).
 */
export const FUSE_OPEN_KILL_SUIDGID = 1 << 0;
/** fuse_release_in.release_flags: flush as well. */
export const FUSE_RELEASE_FLUSH = 1 << 0;
/** fuse_release_in.release_flags: release flock locks. */
export const FUSE_RELEASE_FLOCK_UNLOCK = 1 << 1;
/** fuse_getattr_in.getattr_flags: fh is valid. */
export const FUSE_GETATTR_FH = 1 << 0;
/** fuse_write_in.write_flags: delayed write from the page cache. */
export const FUSE_WRITE_CACHE = 1 << 0;
/** fuse_write_in.write_flags: lock_owner is valid. */
export const FUSE_WRITE_LOCKOWNER = 1 << 1;
/** fuse_write_in.write_flags: kill suid/sgid. */
export const FUSE_WRITE_KILL_SUIDGID = 1 << 2;
/** fuse_read_in.read_flags: lock_owner is valid. */
export const FUSE_READ_LOCKOWNER = 1 << 1;
/** fuse_fsync_in.fsync_flags: data only. */
export const FUSE_FSYNC_FDATASYNC = 1 << 0;
/** fuse_lk_in.lk_flags: the lock is a BSD flock(2) lock, not a POSIX (fcntl) one. */
export const FUSE_LK_FLOCK = 1 << 0;
/** fuse_setxattr_in.setxattr_flags (FUSE_SETXATTR_EXT only): clear SGID when setting system.posix_acl_access. */
export const FUSE_SETXATTR_ACL_KILL_SGID = 1 << 0;
/**
 * The size of `struct fuse_setxattr_in` the kernel sends unless FUSE_SETXATTR_EXT was agreed: `size` and `flags`
 * only (fs/fuse/xattr.c fuse_setxattr).
 */
export const FUSE_COMPAT_SETXATTR_IN_SIZE = 8;

// ---------------------------------------------------------------------------------------------------------
// FUSE over io_uring (protocol 7.42, Linux 6.14; fs/fuse/dev_uring.c)
// ---------------------------------------------------------------------------------------------------------

/** Size of fuse_uring_req_header.in_out: fuse_in_header on delivery, fuse_out_header on commit. */
export const FUSE_URING_IN_OUT_HEADER_SZ = 128;
/** Size of fuse_uring_req_header.op_in: the request's first argument (its per-opcode struct). */
export const FUSE_URING_OP_IN_OUT_SZ = 128;
/** enum fuse_uring_cmd: invalid. */
export const FUSE_IO_URING_CMD_INVALID = 0;
/**
 * enum fuse_uring_cmd: register a ring entry (sqe->addr = iovec[2] of header and payload, sqe->len = 2) and wait
 * for a request. The command completes (res 0) when a request is in the entry's buffers.
 */
export const FUSE_IO_URING_CMD_REGISTER = 1;
/** enum fuse_uring_cmd: commit the reply of `commit_id` and wait for the next request in the same entry. */
export const FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2;

// ---------------------------------------------------------------------------------------------------------
// Struct layouts
// ---------------------------------------------------------------------------------------------------------

/** struct fuse_attr: an inode's attributes. */
export const fuse_attr = Object.freeze({
  SIZE: 88,
  ino: 0,
  size: 8,
  blocks: 16,
  atime: 24,
  mtime: 32,
  ctime: 40,
  atimensec: 48,
  mtimensec: 52,
  ctimensec: 56,
  mode: 60,
  nlink: 64,
  uid: 68,
  gid: 72,
  rdev: 76,
  blksize: 80,
  flags: 84,
} as const);

/** struct fuse_kstatfs: filesystem statistics. */
export const fuse_kstatfs = Object.freeze({
  SIZE: 80,
  blocks: 0,
  bfree: 8,
  bavail: 16,
  files: 24,
  ffree: 32,
  bsize: 40,
  namelen: 44,
  frsize: 48,
  padding: 52,
  spare: 56,
} as const);

/** struct fuse_in_header: the start of every request. */
export const fuse_in_header = Object.freeze({
  SIZE: 40,
  len: 0,
  opcode: 4,
  unique: 8,
  nodeid: 16,
  uid: 24,
  gid: 28,
  pid: 32,
  total_extlen: 36,
  padding: 38,
} as const);

/** struct fuse_out_header: the start of every reply. */
export const fuse_out_header = Object.freeze({
  SIZE: 16,
  len: 0,
  error: 4,
  unique: 8,
} as const);

/** struct fuse_entry_out: reply to LOOKUP, MKNOD, MKDIR, SYMLINK, LINK (and the first part of CREATE's). */
export const fuse_entry_out = Object.freeze({
  SIZE: 128,
  nodeid: 0,
  generation: 8,
  entry_valid: 16,
  attr_valid: 24,
  entry_valid_nsec: 32,
  attr_valid_nsec: 36,
  attr: 40,
} as const);

/** struct fuse_forget_in: FORGET's argument. */
export const fuse_forget_in = Object.freeze({ SIZE: 8, nlookup: 0 } as const);
/** struct fuse_forget_one: one entry of BATCH_FORGET. */
export const fuse_forget_one = Object.freeze({ SIZE: 16, nodeid: 0, nlookup: 8 } as const);
/** struct fuse_batch_forget_in: BATCH_FORGET's argument, followed by `count` fuse_forget_one. */
export const fuse_batch_forget_in = Object.freeze({ SIZE: 8, count: 0, dummy: 4 } as const);
/** struct fuse_getattr_in: GETATTR's argument. */
export const fuse_getattr_in = Object.freeze({ SIZE: 16, getattr_flags: 0, dummy: 4, fh: 8 } as const);
/** struct fuse_attr_out: reply to GETATTR and SETATTR. */
export const fuse_attr_out = Object.freeze({ SIZE: 104, attr_valid: 0, attr_valid_nsec: 8, dummy: 12, attr: 16 } as const);
/** struct fuse_mknod_in: MKNOD's argument, followed by the name. */
export const fuse_mknod_in = Object.freeze({ SIZE: 16, mode: 0, rdev: 4, umask: 8, padding: 12 } as const);
/** struct fuse_mkdir_in: MKDIR's argument, followed by the name. */
export const fuse_mkdir_in = Object.freeze({ SIZE: 8, mode: 0, umask: 4 } as const);
/** struct fuse_rename_in: RENAME's argument, followed by the old and the new name. */
export const fuse_rename_in = Object.freeze({ SIZE: 8, newdir: 0 } as const);
/** struct fuse_rename2_in: RENAME2's argument, followed by the old and the new name. */
export const fuse_rename2_in = Object.freeze({ SIZE: 16, newdir: 0, flags: 8, padding: 12 } as const);
/** struct fuse_link_in: LINK's argument, followed by the new name. */
export const fuse_link_in = Object.freeze({ SIZE: 8, oldnodeid: 0 } as const);

/** struct fuse_setattr_in: SETATTR's argument; `valid` says which fields are set (FATTR_*). */
export const fuse_setattr_in = Object.freeze({
  SIZE: 88,
  valid: 0,
  padding: 4,
  fh: 8,
  size: 16,
  lock_owner: 24,
  atime: 32,
  mtime: 40,
  ctime: 48,
  atimensec: 56,
  mtimensec: 60,
  ctimensec: 64,
  mode: 68,
  unused4: 72,
  uid: 76,
  gid: 80,
  unused5: 84,
} as const);

/** struct fuse_open_in: OPEN's and OPENDIR's argument. */
export const fuse_open_in = Object.freeze({ SIZE: 8, flags: 0, open_flags: 4 } as const);
/** struct fuse_create_in: CREATE's argument, followed by the name. */
export const fuse_create_in = Object.freeze({ SIZE: 16, flags: 0, mode: 4, umask: 8, open_flags: 12 } as const);
/** struct fuse_open_out: reply to OPEN and OPENDIR (and the second part of CREATE's). backing_id: 7.40 */
export const fuse_open_out = Object.freeze({ SIZE: 16, fh: 0, open_flags: 8, backing_id: 12 } as const);
/** struct fuse_release_in: RELEASE's and RELEASEDIR's argument. */
export const fuse_release_in = Object.freeze({ SIZE: 24, fh: 0, flags: 8, release_flags: 12, lock_owner: 16 } as const);
/** struct fuse_flush_in: FLUSH's argument. */
export const fuse_flush_in = Object.freeze({ SIZE: 24, fh: 0, unused: 8, padding: 12, lock_owner: 16 } as const);

/** struct fuse_read_in: READ's, READDIR's and READDIRPLUS's argument. */
export const fuse_read_in = Object.freeze({
  SIZE: 40,
  fh: 0,
  offset: 8,
  size: 16,
  read_flags: 20,
  lock_owner: 24,
  flags: 32,
  padding: 36,
} as const);

/** struct fuse_write_in: WRITE's argument, followed by the data. */
export const fuse_write_in = Object.freeze({
  SIZE: 40,
  fh: 0,
  offset: 8,
  size: 16,
  write_flags: 20,
  lock_owner: 24,
  flags: 32,
  padding: 36,
} as const);

/** struct fuse_write_out: reply to WRITE. */
export const fuse_write_out = Object.freeze({ SIZE: 8, size: 0, padding: 4 } as const);
/** struct fuse_statfs_out: reply to STATFS. */
export const fuse_statfs_out = Object.freeze({ SIZE: 80, st: 0 } as const);
/** struct fuse_fsync_in: FSYNC's and FSYNCDIR's argument. */
export const fuse_fsync_in = Object.freeze({ SIZE: 16, fh: 0, fsync_flags: 8, padding: 12 } as const);
/** struct fuse_access_in: ACCESS's argument. */
export const fuse_access_in = Object.freeze({ SIZE: 8, mask: 0, padding: 4 } as const);
/** struct fuse_notify_inval_inode_out: FUSE_NOTIFY_INVAL_INODE's argument (`off` -1: attributes only). */
export const fuse_notify_inval_inode_out = Object.freeze({ SIZE: 24, ino: 0, off: 8, len: 16 } as const);
/** struct fuse_interrupt_in: INTERRUPT's argument: the unique ID of the request to interrupt. */
export const fuse_interrupt_in = Object.freeze({ SIZE: 8, unique: 0 } as const);

/**
 * struct fuse_setxattr_in: SETXATTR's argument, followed by the name and the value. Only `size` and `flags`
 * ({@link FUSE_COMPAT_SETXATTR_IN_SIZE} bytes) unless FUSE_SETXATTR_EXT was agreed (7.33).
 */
export const fuse_setxattr_in = Object.freeze({ SIZE: 16, size: 0, flags: 4, setxattr_flags: 8, padding: 12 } as const);
/** struct fuse_getxattr_in: GETXATTR's (followed by the name) and LISTXATTR's argument: the caller's buffer size. */
export const fuse_getxattr_in = Object.freeze({ SIZE: 8, size: 0, padding: 4 } as const);
/** struct fuse_getxattr_out: reply to GETXATTR and LISTXATTR asked with size 0: the size a buffer needs. */
export const fuse_getxattr_out = Object.freeze({ SIZE: 8, size: 0, padding: 4 } as const);
/** struct fuse_file_lock: a byte range lock (`end` inclusive; type F_RDLCK, F_WRLCK or F_UNLCK; pid a tgid). */
export const fuse_file_lock = Object.freeze({ SIZE: 24, start: 0, end: 8, type: 16, pid: 20 } as const);
/** struct fuse_lk_in: GETLK's, SETLK's and SETLKW's argument; `lk` is a fuse_file_lock. */
export const fuse_lk_in = Object.freeze({ SIZE: 48, fh: 0, owner: 8, lk: 16, lk_flags: 40, padding: 44 } as const);
/** struct fuse_lk_out: reply to GETLK: the conflicting lock, or type F_UNLCK. */
export const fuse_lk_out = Object.freeze({ SIZE: 24, lk: 0 } as const);
/** struct fuse_fallocate_in: FALLOCATE's argument. */
export const fuse_fallocate_in = Object.freeze({
  SIZE: 32,
  fh: 0,
  offset: 8,
  length: 16,
  mode: 24,
  padding: 28,
} as const);
/** struct fuse_lseek_in: LSEEK's argument (whence SEEK_DATA or SEEK_HOLE). */
export const fuse_lseek_in = Object.freeze({ SIZE: 24, fh: 0, offset: 8, whence: 16, padding: 20 } as const);
/** struct fuse_lseek_out: reply to LSEEK. */
export const fuse_lseek_out = Object.freeze({ SIZE: 8, offset: 0 } as const);

/** struct fuse_copy_file_range_in: COPY_FILE_RANGE's and COPY_FILE_RANGE_64's argument. */
export const fuse_copy_file_range_in = Object.freeze({
  SIZE: 56,
  fh_in: 0,
  off_in: 8,
  nodeid_out: 16,
  fh_out: 24,
  off_out: 32,
  len: 40,
  flags: 48,
} as const);

/** struct fuse_copy_file_range_out: reply to COPY_FILE_RANGE_64 (COPY_FILE_RANGE answers a fuse_write_out). 7.45 */
export const fuse_copy_file_range_out = Object.freeze({ SIZE: 8, bytes_copied: 0 } as const);

/** struct fuse_init_in: INIT's argument (flags2 and the reserved words since 7.36). */
export const fuse_init_in = Object.freeze({
  SIZE: 64,
  major: 0,
  minor: 4,
  max_readahead: 8,
  flags: 12,
  flags2: 16,
  unused: 20,
} as const);

/**
 * struct fuse_init_out: reply to INIT. max_stack_depth: 7.40; request_timeout: 7.43 (the words after flags2 were
 * `unused[7]` before).
 */
export const fuse_init_out = Object.freeze({
  SIZE: 64,
  major: 0,
  minor: 4,
  max_readahead: 8,
  flags: 12,
  max_background: 16,
  congestion_threshold: 18,
  max_write: 20,
  time_gran: 24,
  max_pages: 28,
  map_alignment: 30,
  flags2: 32,
  max_stack_depth: 36,
  request_timeout: 40,
  unused: 42,
} as const);

/** struct fuse_dirent: one READDIR entry, followed by the name, the record padded to 8 bytes. */
export const fuse_dirent = Object.freeze({ SIZE: 24, ino: 0, off: 8, namelen: 16, type: 20, name: 24 } as const);
/** struct fuse_direntplus: one READDIRPLUS entry: a fuse_entry_out, then a fuse_dirent. */
export const fuse_direntplus = Object.freeze({ SIZE: 152, entry_out: 0, dirent: 128 } as const);

/** struct fuse_uring_ent_in_out: per-entry data in the ring header (commit_id of the request, payload size). */
export const fuse_uring_ent_in_out = Object.freeze({
  SIZE: 32,
  flags: 0,
  commit_id: 8,
  payload_sz: 16,
  padding: 20,
  reserved: 24,
} as const);

/** struct fuse_uring_req_header: iov[0] of a ring entry (at least this large). */
export const fuse_uring_req_header = Object.freeze({
  SIZE: 288,
  in_out: 0,
  op_in: 128,
  ring_ent_in_out: 256,
} as const);

/** struct fuse_uring_cmd_req: the command in a 128-byte SQE's cmd area (byte 48 of the SQE). */
export const fuse_uring_cmd_req = Object.freeze({
  SIZE: 24,
  flags: 0,
  commit_id: 8,
  qid: 16,
  padding: 18,
} as const);

// ---------------------------------------------------------------------------------------------------------
// What each request carries
// ---------------------------------------------------------------------------------------------------------

/**
 * The size of each opcode's first argument, its per-opcode struct: what fuse-over-io_uring delivers in
 * `op_in`, and what /dev/fuse delivers right after the fuse_in_header. The rest of the request (names, data)
 * follows it on /dev/fuse and is the payload over io_uring. Opcodes whose first argument is a name (LOOKUP,
 * UNLINK, RMDIR, SYMLINK, REMOVEXATTR) or who have none have 0: since Linux 6.14 the kernel gives them an empty
 * first argument (`fuse_set_zero_arg0()`), so that over io_uring the name lands in the payload.
 */
export const FUSE_OP_IN_SIZE: Readonly<Record<number, number>> = Object.freeze({
  [FUSE_FORGET]: fuse_forget_in.SIZE,
  [FUSE_GETATTR]: fuse_getattr_in.SIZE,
  [FUSE_SETATTR]: fuse_setattr_in.SIZE,
  [FUSE_MKNOD]: fuse_mknod_in.SIZE,
  [FUSE_MKDIR]: fuse_mkdir_in.SIZE,
  [FUSE_RENAME]: fuse_rename_in.SIZE,
  [FUSE_RENAME2]: fuse_rename2_in.SIZE,
  [FUSE_LINK]: fuse_link_in.SIZE,
  [FUSE_OPEN]: fuse_open_in.SIZE,
  [FUSE_OPENDIR]: fuse_open_in.SIZE,
  [FUSE_CREATE]: fuse_create_in.SIZE,
  [FUSE_READ]: fuse_read_in.SIZE,
  [FUSE_READDIR]: fuse_read_in.SIZE,
  [FUSE_READDIRPLUS]: fuse_read_in.SIZE,
  [FUSE_WRITE]: fuse_write_in.SIZE,
  [FUSE_RELEASE]: fuse_release_in.SIZE,
  [FUSE_RELEASEDIR]: fuse_release_in.SIZE,
  [FUSE_FLUSH]: fuse_flush_in.SIZE,
  [FUSE_FSYNC]: fuse_fsync_in.SIZE,
  [FUSE_FSYNCDIR]: fuse_fsync_in.SIZE,
  [FUSE_ACCESS]: fuse_access_in.SIZE,
  [FUSE_INIT]: fuse_init_in.SIZE,
  [FUSE_INTERRUPT]: fuse_interrupt_in.SIZE,
  [FUSE_BATCH_FORGET]: fuse_batch_forget_in.SIZE,
  // The server never asks for FUSE_SETXATTR_EXT, so SETXATTR's struct is the 8-byte compat one.
  [FUSE_SETXATTR]: FUSE_COMPAT_SETXATTR_IN_SIZE,
  [FUSE_GETXATTR]: fuse_getxattr_in.SIZE,
  [FUSE_LISTXATTR]: fuse_getxattr_in.SIZE,
  [FUSE_GETLK]: fuse_lk_in.SIZE,
  [FUSE_SETLK]: fuse_lk_in.SIZE,
  [FUSE_SETLKW]: fuse_lk_in.SIZE,
  [FUSE_FALLOCATE]: fuse_fallocate_in.SIZE,
  [FUSE_LSEEK]: fuse_lseek_in.SIZE,
  [FUSE_COPY_FILE_RANGE]: fuse_copy_file_range_in.SIZE,
  [FUSE_COPY_FILE_RANGE_64]: fuse_copy_file_range_in.SIZE,
});
