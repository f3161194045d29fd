/**
 * What a FUSE filesystem implements: the {@link FuseHandlers} interface, the values its handlers return, and
 * {@link FuseError} for failures. Handlers are written once and served over either transport (FUSE over io_uring or
 * the classic /dev/fuse read/write) by `server.ts`.
 *
 * Every handler may return its result directly or as a promise. A handler fails by throwing a {@link FuseError}
 * (or any error whose `code` is an errno name, such as a `UringError`); anything else becomes EIO and is logged.
 * A handler that is absent answers ENOSYS, except those with a harmless default (open, opendir, release,
 * releasedir, flush, fsync, fsyncdir, forget, access: success). After ENOSYS the kernel stops sending some
 * requests (the xattr ones, fallocate, lseek, copy_file_range) and answers EOPNOTSUPP or does the work itself.
 *
 * Node IDs and file handles are numbers (up to 2^53); the root directory's node ID is 1 (`FUSE_ROOT_ID`).
 *
 * Set-user-ID and set-group-ID bits: the kernel clears them itself on a write through the page cache, a truncate,
 * a chown, a fallocate and a copy_file_range (with a SETATTR of the mode), and, to know whether a write must also
 * remove `security.capability`, asks for it (GETXATTR) before every such write once `getxattr` is served. A server
 * mounted with `handleKillprivV2: true` takes that over (FUSE_HANDLE_KILLPRIV_V2): the kernel stops asking, and
 * the filesystem clears S_ISUID, S_ISGID (when group-execute is set) and `security.capability` itself, where the
 * kernel says so: the `writeFlags` of write (`FUSE_WRITE_KILL_SUIDGID`), `SetattrChanges.killSuidgid` of a
 * truncate, the `openFlags` of open and create (`FUSE_OPEN_KILL_SUIDGID`); on every chown (a setattr with `uid` or
 * `gid`) of a file that is not a directory; and on fallocate and copy_file_range, where the kernel says nothing
 * (it sends a setattr that changes nothing first, fs/inode.c __remove_privs) and the filesystem has to judge by
 * `ctx.uid`. A direct-I/O write (`OpenResult.directIo`) is never checked by the kernel: it only sets
 * FUSE_WRITE_KILL_SUIDGID, with or without the option. Replies to WRITE, FALLOCATE and COPY_FILE_RANGE carry no
 * attributes: after clearing bits there, tell the kernel with `FuseServer.notifyInvalInode`, or it keeps using the
 * old mode until the attribute timeout.
 *
 * Names are bytes on Linux, and they may be any bytes but `/` and NUL. `FuseHandlers<Name>` says which type a
 * filesystem gets for every name and symlink target, and the server's `names` option must match:
 * - `names: "string"` (the default, `FuseHandlers` = `FuseHandlers<string>`): names decoded as strict UTF-8. A name
 *   that is not valid UTF-8 never reaches a handler: LOOKUP answers ENOENT (no such name can exist), every other
 *   request EILSEQ.
 * - `names: "bytes"` (`FuseHandlers<Uint8Array>`): the kernel's bytes, without the NUL, in a copy the handler may
 *   keep.
 * What handlers hand back (directory entries, symlink targets, xattr names) may be either type in either mode;
 * strings are encoded as UTF-8.
 *
 * @example
 * ```ts
 * const now = { sec: Math.floor(Date.now() / 1000), nsec: 0 };
 * const root = { ino: 1, mode: 0o040755, nlink: 2, size: 0, atime: now, mtime: now, ctime: now };
 * const handlers: FuseHandlers = {
 *   getattr: (_ctx, ino) => {
 *     if (ino !== 1) throw new FuseError("ENOENT");
 *     return root;
 *   },
 *   lookup: () => {
 *     throw new FuseError("ENOENT");
 *   },
 *   readdir: (_ctx, _ino, _fh, offset, out) => {
 *     if (offset < 1) out.add(".", 1, root.mode, 1);
 *   },
 * };
 * ```
 *
 * @module
 */
import { EIO, errnoName, errnoNumber } from "../abi/errno.ts";

/**
 * A value or a promise of it.
 *
 * @example
 * ```ts
 * const size: MaybePromise<number> = Promise.resolve(4096);
 * ```
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A point in time: seconds since the epoch and nanoseconds.
 *
 * @example
 * ```ts
 * const epochPlusOne: Timespec = { sec: 1, nsec: 0 };
 * ```
 */
export interface Timespec {
  /** Seconds since 1970-01-01 UTC (may be negative). */
  sec: number;
  /** Nanoseconds, 0 to 999 999 999. */
  nsec: number;
}

/**
 * An inode's attributes (`struct fuse_attr`).
 *
 * @example
 * ```ts
 * import { S_IFREG } from "ringside-uring/fuse";
 *
 * const t: Timespec = { sec: 1_700_000_000, nsec: 0 };
 * const attr: Attr = { ino: 2, mode: S_IFREG | 0o644, nlink: 1, size: 5, atime: t, mtime: t, ctime: t };
 * ```
 */
export interface Attr {
  /** The inode number reported to stat (usually the node ID). */
  ino: number;
  /** Type and permission bits (`S_IFREG | 0o644`, ...). */
  mode: number;
  /** Hard links. */
  nlink: number;
  /** Size in bytes. */
  size: number;
  /** Owner (default 0). */
  uid?: number | undefined;
  /** Group (default 0). */
  gid?: number | undefined;
  /** Device number of a device file (default 0). */
  rdev?: number | undefined;
  /** 512-byte blocks used (default: the size rounded up). */
  blocks?: number | undefined;
  /** Preferred I/O size (default 4096). */
  blksize?: number | undefined;
  /** Last access. */
  atime: Timespec;
  /** Last modification of the contents. */
  mtime: Timespec;
  /** Last change of the inode. */
  ctime: Timespec;
}

/**
 * A directory entry the kernel may cache: the reply to lookup, mkdir, mknod, symlink, link and create.
 *
 * @example
 * ```ts
 * declare const attr: Attr;
 *
 * const entry: Entry = { ino: 2, attr, entryTimeout: 10 };
 * ```
 */
export interface Entry {
  /** The node ID the kernel uses in later requests (not 0; 1 is the root). */
  ino: number;
  /** The node ID's generation: (ino, generation) must be unique over the filesystem's life (default 0). */
  generation?: number | undefined;
  /** The inode's attributes. */
  attr: Attr;
  /** Seconds the kernel may cache the name (default: the server's `entryTimeout`). */
  entryTimeout?: number | undefined;
  /** Seconds the kernel may cache the attributes (default: the server's `attrTimeout`). */
  attrTimeout?: number | undefined;
}

/**
 * What open, opendir (and the open part of create) answer.
 *
 * @example
 * ```ts
 * const open: OpenResult = { fh: 17, directIo: true };
 * ```
 */
export interface OpenResult {
  /** A handle the kernel passes back in read, write, release ... (default 0). */
  fh?: number | undefined;
  /** Bypass the page cache for this open file (FOPEN_DIRECT_IO). */
  directIo?: boolean | undefined;
  /** Keep data cached from earlier opens (FOPEN_KEEP_CACHE). */
  keepCache?: boolean | undefined;
  /** The file is not seekable (FOPEN_NONSEEKABLE). */
  nonSeekable?: boolean | undefined;
  /** Cache a directory's entries (FOPEN_CACHE_DIR, opendir only). */
  cacheDir?: boolean | undefined;
}

/**
 * What create answers: the new entry and its open file.
 *
 * @example
 * ```ts
 * declare const attr: Attr;
 *
 * const created: CreateResult = { entry: { ino: 3, attr }, open: { fh: 18 } };
 * ```
 */
export interface CreateResult {
  /** The created file. */
  entry: Entry;
  /** Its open file (default fh 0, no flags). */
  open?: OpenResult | undefined;
}

/**
 * The attribute changes of a setattr; absent fields stay as they are.
 *
 * @example
 * ```ts
 * const truncate: SetattrChanges = { size: 0, mtime: "now" };
 * ```
 */
export interface SetattrChanges {
  /** New permission bits (the type bits are the kernel's; keep the inode's own). */
  mode?: number | undefined;
  /** New owner. */
  uid?: number | undefined;
  /** New group. */
  gid?: number | undefined;
  /** New size (truncate). */
  size?: number | undefined;
  /** New access time, or "now". */
  atime?: Timespec | "now" | undefined;
  /** New modification time, or "now". */
  mtime?: Timespec | "now" | undefined;
  /** New change time. */
  ctime?: Timespec | undefined;
  /** The open file the change came through (ftruncate, futimens), if any. */
  fh?: number | undefined;
  /**
   * FATTR_KILL_SUIDGID: a truncate (`size` is set) by a caller without CAP_FSETID, on a session that agreed to
   * FUSE_HANDLE_KILLPRIV_V2 (fs/fuse/dir.c fuse_do_setattr): clear S_ISUID, and S_ISGID when group-execute is set,
   * as the kernel would have (fs/attr.c setattr_should_drop_suidgid).
   */
  killSuidgid?: boolean | undefined;
}

/**
 * Filesystem statistics (`struct fuse_kstatfs`).
 *
 * @example
 * ```ts
 * const st: Statfs = { blocks: 1 << 20, bfree: 1 << 19, bavail: 1 << 19, files: 1000, ffree: 900 };
 * ```
 */
export interface Statfs {
  /** Total blocks of `frsize` bytes. */
  blocks: number;
  /** Free blocks. */
  bfree: number;
  /** Free blocks available to unprivileged users. */
  bavail: number;
  /** Total inodes. */
  files: number;
  /** Free inodes. */
  ffree: number;
  /** Block size (default 4096). */
  bsize?: number | undefined;
  /** Longest name (default 255). */
  namelen?: number | undefined;
  /** Fragment size (default `bsize`). */
  frsize?: number | undefined;
}

/**
 * Who made a request. Valid while the request is being handled.
 *
 * @example
 * ```ts
 * const handlers: FuseHandlers = {
 *   access: (ctx) => {
 *     if (ctx.uid !== 0) throw new FuseError("EACCES");
 *   },
 * };
 * ```
 */
export interface RequestContext {
  /** The caller's user ID (as seen by the mount). */
  readonly uid: number;
  /** The caller's group ID. */
  readonly gid: number;
  /** The caller's thread group ID (0 for requests the kernel makes on its own, such as writeback). */
  readonly pid: number;
  /** The FUSE opcode (`FUSE_LOOKUP` ...). */
  readonly opcode: number;
  /**
   * Aborted when the kernel interrupts the request (FUSE_INTERRUPT: the caller got a signal while it waited).
   * A handler that gives up then should throw (or reject with) the signal's reason, any AbortError, or a
   * `FuseError("EINTR")`: the caller's system call fails with EINTR (a waiting fcntl(F_SETLKW) is restarted when
   * the signal's handler has SA_RESTART). A handler may also ignore it and answer as usual.
   */
  readonly signal: AbortSignal;
}

/**
 * The name type of a `names` mode: `Uint8Array` for `"bytes"`, `string` for `"string"`.
 *
 * @example
 * ```ts
 * const name: NameFor<"bytes"> = new Uint8Array([0xe9]);
 * ```
 */
export type NameFor<M extends NameEncoding> = M extends "bytes" ? Uint8Array : string;

/**
 * How names and symlink targets reach the handlers: decoded as UTF-8 (`"string"`) or as the kernel's bytes.
 *
 * @example
 * ```ts
 * const names: NameEncoding = "bytes";
 * ```
 */
export type NameEncoding = "string" | "bytes";

/**
 * Fills a READDIR or READDIRPLUS reply. Entries are added in order until one does not fit: `add` then returns false
 * and the entry was not sent (the kernel asks again from that entry's predecessor's `nextOffset`).
 *
 * @example
 * ```ts
 * import { S_IFDIR, S_IFREG } from "ringside-uring/fuse";
 *
 * const handlers: FuseHandlers = {
 *   readdir: (_ctx, ino, _fh, offset, out) => {
 *     if (offset < 1 && !out.add(".", ino, S_IFDIR, 1)) return;
 *     if (offset < 2) out.add("file", 2, S_IFREG, 2);
 *   },
 * };
 * ```
 */
export interface DirentWriter {
  /** The byte budget the kernel gave for this reply. */
  readonly size: number;
  /**
   * Adds a READDIR entry. Returns false (and adds nothing) when it does not fit. Throws a `UringError` (ERINGSIDE;
   * the request then fails with EIO) for a name the kernel would refuse: empty, longer than 1024 bytes, or holding
   * `/` or NUL (fs/fuse/readdir.c fuse_parse_dirfile).
   *
   * @param name The entry's name: a string (encoded as UTF-8) or its bytes.
   * @param ino The inode number (for the `d_ino` field).
   * @param mode The type bits (`S_IFDIR` ...); only `mode & S_IFMT` is used.
   * @param nextOffset The offset the kernel passes to continue after this entry (any non-zero cookie).
   */
  add(name: string | Uint8Array, ino: number, mode: number, nextOffset: number): boolean;
  /**
   * Adds a READDIRPLUS entry with its lookup reply. Returns false (and adds nothing) when it does not fit. An entry
   * that was added counts as a lookup of `entry.ino` (the kernel sends FORGET for it later), except "." and "..".
   * Names are checked as in `add`.
   *
   * @param name The entry's name: a string (encoded as UTF-8) or its bytes.
   * @param entry The entry as lookup would answer it.
   * @param nextOffset The offset the kernel passes to continue after this entry.
   */
  addPlus(name: string | Uint8Array, entry: Entry, nextOffset: number): boolean;
}

/** Lock type: a shared (read) lock (`<fcntl.h>`). */
export const F_RDLCK = 0;
/** Lock type: an exclusive (write) lock. */
export const F_WRLCK = 1;
/** Lock type: no lock (unlock; or, from getlk, "no conflicting lock"). */
export const F_UNLCK = 2;
/** flock(2) operation: a shared lock. */
export const LOCK_SH = 1;
/** flock(2) operation: an exclusive lock. */
export const LOCK_EX = 2;
/** flock(2) operation: unlock. */
export const LOCK_UN = 8;
/** setxattr(2) flag: fail with EEXIST when the attribute exists. */
export const XATTR_CREATE = 1;
/** setxattr(2) flag: fail with ENODATA when the attribute does not exist. */
export const XATTR_REPLACE = 2;
/** lseek(2) whence: the next offset at or after the given one that holds data. */
export const SEEK_DATA = 3;
/** lseek(2) whence: the next hole (or the end of the file) at or after the given offset. */
export const SEEK_HOLE = 4;
/**
 * `FileLock.end` of a lock that runs to the end of the file, however it grows: the kernel's OFFSET_MAX (2^63 - 1,
 * what fcntl sends for `l_len` 0) as a number. Any `end` at or above it goes back to the kernel as OFFSET_MAX.
 */
export const LOCK_TO_EOF = Number.MAX_SAFE_INTEGER;

/**
 * A POSIX byte-range lock (`struct fuse_file_lock`), as fcntl(2) describes it in `struct flock`.
 *
 * @example
 * ```ts
 * // What fcntl(fd, F_SETLK, { l_type: F_WRLCK, l_whence: SEEK_SET, l_start: 100, l_len: 0 }) sends:
 * const lock: FileLock = { start: 100, end: LOCK_TO_EOF, type: F_WRLCK, pid: 1234 };
 * ```
 */
export interface FileLock {
  /** The first byte. */
  start: number;
  /** The last byte, inclusive ({@link LOCK_TO_EOF}: to the end of the file and beyond). */
  end: number;
  /** {@link F_RDLCK}, {@link F_WRLCK} or {@link F_UNLCK}. */
  type: number;
  /**
   * The process asking for the lock (setlk), as the filesystem's pid namespace sees it; 0 for an unlock and in
   * getlk's question (fs/fuse/file.c fuse_getlk). In a getlk answer: the conflicting lock's holder.
   */
  pid: number;
}

/**
 * What the kernel offered and the session agreed to, given to the `init` handler.
 *
 * @example
 * ```ts
 * const handlers: FuseHandlers = {
 *   init: (info: InitInfo) => console.log(`FUSE 7.${info.minor} over ${info.transport}`),
 * };
 * ```
 */
export interface InitInfo {
  /** The protocol minor version in use (the smaller of the kernel's and ours). */
  readonly minor: number;
  /** Which transport serves requests. */
  readonly transport: "io_uring" | "classic";
  /** The largest WRITE payload the kernel will send. */
  readonly maxWrite: number;
  /** The INIT flags agreed on (64-bit, as a number). */
  readonly flags: number;
}

/**
 * The operations of a FUSE filesystem, after libfuse's low-level API. `ino` is the node ID the request is for,
 * `parent` a directory's node ID, `fh` the handle open/opendir/create returned. `Name` is the type of every name
 * and symlink target the handlers get: `string` (the default; the server's `names: "string"`) or `Uint8Array`
 * (`names: "bytes"`); see the module documentation.
 *
 * @example
 * ```ts
 * const attrs = new Map<number, Attr>();
 * const fs: FuseHandlers = { getattr: (_ctx, ino) => attrs.get(ino) ?? Promise.reject(new FuseError("ENOENT")) };
 *
 * // Names as bytes: a name that is not UTF-8 (here "\xe9") is a name like any other.
 * const names = new Map<string, number>([["e9", 2]]);
 * const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
 * const raw: FuseHandlers<Uint8Array> = {
 *   lookup: (_ctx, _parent, name) => {
 *     const ino = names.get(hex(name));
 *     if (ino === undefined) throw new FuseError("ENOENT");
 *     return { ino, attr: attrs.get(ino)! };
 *   },
 * };
 * ```
 */
export interface FuseHandlers<Name extends string | Uint8Array = string> {
  /** The session started (after INIT was answered). */
  init?(info: InitInfo): void;
  /** The session ended (the filesystem was unmounted). */
  destroy?(): void;
  /** Looks up `name` in `parent`: counts as one lookup of the returned node (see `forget`). */
  lookup?(ctx: RequestContext, parent: number, name: Name): MaybePromise<Entry>;
  /** The kernel dropped `nlookup` lookups of `ino`; when they reach 0 the node ID may be reused. No reply. */
  forget?(ino: number, nlookup: number): void;
  /** An inode's attributes. `fh` is set when the request came through an open file. */
  getattr?(ctx: RequestContext, ino: number, fh: number | undefined): MaybePromise<Attr>;
  /** Changes attributes (chmod, chown, truncate, utimens) and answers the new ones. */
  setattr?(ctx: RequestContext, ino: number, changes: SetattrChanges): MaybePromise<Attr>;
  /**
   * A symbolic link's target, as a string (encoded as UTF-8) or its bytes (no NUL: the request fails with EIO
   * then).
   */
  readlink?(ctx: RequestContext, ino: number): MaybePromise<string | Uint8Array>;
  /** Creates a symbolic link `name` in `parent` pointing at `target`. */
  symlink?(ctx: RequestContext, parent: number, name: Name, target: Name): MaybePromise<Entry>;
  /**
   * Creates a file node without opening it: `mode` holds the type (S_IFREG, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK)
   * and the permission bits, `rdev` the device number of a device file.
   */
  mknod?(ctx: RequestContext, parent: number, name: Name, mode: number, rdev: number, umask: number):
    MaybePromise<Entry>;
  /** Creates a directory. `mode` has the umask applied by the kernel unless told otherwise. */
  mkdir?(ctx: RequestContext, parent: number, name: Name, mode: number, umask: number): MaybePromise<Entry>;
  /** Removes a name that is not a directory. */
  unlink?(ctx: RequestContext, parent: number, name: Name): MaybePromise<void>;
  /** Removes an empty directory. */
  rmdir?(ctx: RequestContext, parent: number, name: Name): MaybePromise<void>;
  /** Renames `parent/name` to `newParent/newName`; `flags` are RENAME_NOREPLACE/EXCHANGE/WHITEOUT (0 for rename). */
  rename?(ctx: RequestContext, parent: number, name: Name, newParent: number, newName: Name, flags: number):
    MaybePromise<void>;
  /** Creates a hard link `newParent/newName` to `ino`. */
  link?(ctx: RequestContext, ino: number, newParent: number, newName: Name): MaybePromise<Entry>;
  /**
   * Opens a file; `flags` are the open(2) flags (O_CREAT, O_EXCL and O_NOCTTY removed, and O_TRUNC unless the
   * filesystem truncates at open: without FUSE_ATOMIC_O_TRUNC the kernel truncates with a setattr). `openFlags` are
   * FUSE's: `FUSE_OPEN_KILL_SUIDGID` asks to clear S_ISUID and S_ISGID (when group-execute is set), for an O_TRUNC
   * open by a caller without CAP_FSETID on a session with FUSE_HANDLE_KILLPRIV_V2.
   */
  open?(ctx: RequestContext, ino: number, flags: number, openFlags: number): MaybePromise<OpenResult | void>;
  /**
   * Reads up to `size` bytes at `offset`. Return fewer bytes at the end of the file (an empty array at or after
   * it). The returned bytes are copied before the next request is taken.
   */
  read?(ctx: RequestContext, ino: number, fh: number, offset: number, size: number): MaybePromise<Uint8Array>;
  /**
   * Writes `data` at `offset` and answers how many bytes were written. `data` is a view of the request buffer: copy
   * what you keep, it is reused once the handler has returned (or its promise settled). `flags` are the open file's
   * open(2) flags (with O_SYNC / O_DSYNC of this write). `writeFlags` are FUSE's (`fuse_write_in.write_flags`):
   * `FUSE_WRITE_CACHE` (a write-back of cached pages; `fh` is one of the inode's open files),
   * `FUSE_WRITE_LOCKOWNER`, and `FUSE_WRITE_KILL_SUIDGID`: the caller has no CAP_FSETID, so clear S_ISUID, and
   * S_ISGID when group-execute is set. The kernel sets it for such a caller on direct-I/O writes (FOPEN_DIRECT_IO,
   * which it does not check for set-ID bits itself) and, with FUSE_HANDLE_KILLPRIV_V2, on writes through the page
   * cache (fs/fuse/file.c fuse_direct_io, fuse_send_write_pages).
   */
  write?(
    ctx: RequestContext,
    ino: number,
    fh: number,
    offset: number,
    data: Uint8Array,
    flags: number,
    writeFlags: number,
  ): MaybePromise<number>;
  /**
   * A close() of a descriptor of the open file (once per close). With POSIX locks served here (getlk/setlk), the
   * kernel keeps none itself: drop the locks `lockOwner` holds on `ino` (the `owner` setlk got).
   */
  flush?(ctx: RequestContext, ino: number, fh: number, lockOwner: bigint): MaybePromise<void>;
  /**
   * The last close of the open file; errors are ignored by the kernel. `lockOwner` is set when the open file
   * holds flock locks served here (the kernel's FUSE_RELEASE_FLOCK_UNLOCK): drop those of that owner (the `owner`
   * flock got).
   */
  release?(ctx: RequestContext, ino: number, fh: number, flags: number, lockOwner: bigint | undefined):
    MaybePromise<void>;
  /** Synchronises the file's contents (only the data with `datasync`). */
  fsync?(ctx: RequestContext, ino: number, fh: number, datasync: boolean): MaybePromise<void>;
  /** Opens a directory. */
  opendir?(ctx: RequestContext, ino: number, flags: number): MaybePromise<OpenResult | void>;
  /**
   * Lists a directory from `offset` (0 at the start, then a `nextOffset` given earlier) into `out`, with
   * `out.add`, until it returns false or the directory ends.
   */
  readdir?(ctx: RequestContext, ino: number, fh: number, offset: number, out: DirentWriter): MaybePromise<void>;
  /**
   * Like readdir with each entry's lookup reply, through `out.addPlus`. Present: the kernel is asked to use
   * READDIRPLUS (FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO).
   */
  readdirplus?(ctx: RequestContext, ino: number, fh: number, offset: number, out: DirentWriter): MaybePromise<void>;
  /** The last close of the open directory. */
  releasedir?(ctx: RequestContext, ino: number, fh: number): MaybePromise<void>;
  /** Synchronises a directory. */
  fsyncdir?(ctx: RequestContext, ino: number, fh: number, datasync: boolean): MaybePromise<void>;
  /** Filesystem statistics (statfs(2), df). */
  statfs?(ctx: RequestContext, ino: number): MaybePromise<Statfs>;
  /** access(2): throw EACCES when `mask` (R_OK 4, W_OK 2, X_OK 1, F_OK 0) is not allowed. */
  access?(ctx: RequestContext, ino: number, mask: number): MaybePromise<void>;
  /**
   * Creates and opens a file; `flags` are the open(2) flags. Counts as one lookup of the new node. `openFlags` as
   * for open: `FUSE_OPEN_KILL_SUIDGID` with O_TRUNC and without O_EXCL (it matters only when the name exists after
   * all, and the file is opened rather than created).
   */
  create?(
    ctx: RequestContext,
    parent: number,
    name: Name,
    mode: number,
    umask: number,
    flags: number,
    openFlags: number,
  ): MaybePromise<CreateResult>;
  /**
   * Sets the extended attribute `name` to `value` (a copy the handler may keep). `flags`: {@link XATTR_CREATE}
   * (throw EEXIST when it exists), {@link XATTR_REPLACE} (throw ENODATA when it does not), or 0.
   */
  setxattr?(ctx: RequestContext, ino: number, name: Name, value: Uint8Array, flags: number): MaybePromise<void>;
  /**
   * The value of the extended attribute `name` (throw ENODATA when there is none). The server answers a caller
   * asking for the size only, and ERANGE when the value is larger than the caller's buffer.
   */
  getxattr?(ctx: RequestContext, ino: number, name: Name): MaybePromise<Uint8Array>;
  /**
   * The names of the extended attributes of `ino`. The server builds the kernel's NUL-separated list, answers a
   * caller asking for the size only, and ERANGE when the list is larger than the caller's buffer. Throws a
   * `UringError` (EIO for the caller) for an empty name or one holding NUL.
   */
  listxattr?(ctx: RequestContext, ino: number): MaybePromise<(string | Uint8Array)[]>;
  /** Removes the extended attribute `name` (throw ENODATA when there is none). */
  removexattr?(ctx: RequestContext, ino: number, name: Name): MaybePromise<void>;
  /**
   * fcntl(F_GETLK): the first lock that conflicts with `lock` (held by another owner than `owner`), or a lock of
   * type {@link F_UNLCK} when none does. Present with setlk: the server asks the kernel for FUSE_POSIX_LOCKS,
   * and the kernel then keeps no POSIX locks itself (see flush).
   */
  getlk?(ctx: RequestContext, ino: number, fh: number, owner: bigint, lock: FileLock): MaybePromise<FileLock>;
  /**
   * fcntl(F_SETLK / F_SETLKW): takes, changes or (type {@link F_UNLCK}) releases `owner`'s lock on the range.
   * A conflict throws EAGAIN, unless `wait`: then wait until it can be taken, or until `ctx.signal` aborts (throw
   * EINTR then). Throw EDEADLK for a wait that would deadlock. Served only with getlk present too (then the server
   * asks for FUSE_POSIX_LOCKS; without both, the kernel keeps POSIX locks itself and sends neither).
   */
  setlk?(ctx: RequestContext, ino: number, fh: number, owner: bigint, lock: FileLock, wait: boolean):
    MaybePromise<void>;
  /**
   * flock(2) on the open file: `op` is {@link LOCK_SH}, {@link LOCK_EX} or {@link LOCK_UN}; `owner` stands for the
   * open file (each open() is its own owner). A conflict throws EWOULDBLOCK (EAGAIN), unless `wait`: then wait as
   * setlk does. Present: the server asks the kernel for FUSE_FLOCK_LOCKS. Locks left at the last close come back
   * in `release`.
   */
  flock?(ctx: RequestContext, ino: number, fh: number, owner: bigint, op: number, wait: boolean): MaybePromise<void>;
  /**
   * fallocate(2): allocates (mode 0, growing the file), or with FALLOC_FL_* modes (KEEP_SIZE 1, PUNCH_HOLE 2,
   * ZERO_RANGE 16 ...) keeps the size, punches or zeroes. Throw EOPNOTSUPP for a mode not supported.
   */
  fallocate?(ctx: RequestContext, ino: number, fh: number, offset: number, length: number, mode: number):
    MaybePromise<void>;
  /**
   * copy_file_range(2) within this filesystem: copies up to `length` bytes and answers how many were copied
   * (0 at the end of the source). Absent: the kernel copies through read and write.
   */
  copyFileRange?(
    ctx: RequestContext,
    inoIn: number,
    fhIn: number,
    offsetIn: number,
    inoOut: number,
    fhOut: number,
    offsetOut: number,
    length: number,
    flags: number,
  ): MaybePromise<number>;
  /**
   * lseek(2) with {@link SEEK_DATA} or {@link SEEK_HOLE} (the kernel answers SEEK_SET/CUR/END itself): the
   * resulting offset; throw ENXIO when `offset` is at or past the end. Absent: the whole file counts as data.
   */
  lseek?(ctx: RequestContext, ino: number, fh: number, offset: number, whence: number): MaybePromise<number>;
}

/**
 * A failure a handler reports to the kernel, by errno name (`"ENOENT"`) or number.
 *
 * @example
 * ```ts
 * const handlers: FuseHandlers = {
 *   rmdir: () => {
 *     throw new FuseError("ENOTEMPTY", "the directory has entries");
 *   },
 * };
 * ```
 */
export class FuseError extends Error {
  /** The errno name. */
  readonly code: string;
  /** The positive errno number the kernel receives (negated). */
  readonly errno: number;

  /**
   * @param code An errno name (`"ENOENT"`) or a positive errno number.
   * @param message Optional detail.
   */
  constructor(code: string | number, message?: string) {
    const errno = typeof code === "number" ? Math.abs(code) : errnoNumber(code);
    const name = errnoName(errno);
    super(message ? `${name}: ${message}` : name);
    this.name = "FuseError";
    this.code = name;
    this.errno = errno;
  }
}

/**
 * The positive errno a thrown value becomes: a {@link FuseError}'s, a known errno name in `code` (a `UringError`,
 * a Node-style error), or EIO.
 *
 * @example
 * ```ts
 * console.log(errnoOf(new FuseError("EEXIST"))); // 17
 * ```
 */
export function errnoOf(e: unknown): number {
  if (e instanceof FuseError) return e.errno;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    try {
      return errnoNumber(code);
    } catch {
      // not an errno name
    }
  }
  return EIO;
}
