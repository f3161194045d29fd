/**
 * What a FUSE filesystem implements: the {@link FuseHandlers} interface, the values its handlers return, and
 * {@link FuseError} for failures. Handlers are written once and served over either transport (FUSE over io_uring or
 * the classic /dev/fuse read/write) by `server.ts`.
 *
 * Every handler may return its result directly or as a promise. A handler fails by throwing a {@link FuseError}
 * (or any error whose `code` is an errno name, such as a `UringError`); anything else becomes EIO and is logged.
 * A handler that is absent answers ENOSYS, except those with a harmless default (open, opendir, release,
 * releasedir, flush, fsync, fsyncdir, forget, access: success).
 *
 * Node IDs and file handles are numbers (up to 2^53); the root directory's node ID is 1 (`FUSE_ROOT_ID`).
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
}

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
   * Adds a READDIR entry. Returns false (and adds nothing) when it does not fit.
   *
   * @param name The entry's name.
   * @param ino The inode number (for the `d_ino` field).
   * @param mode The type bits (`S_IFDIR` ...); only `mode & S_IFMT` is used.
   * @param nextOffset The offset the kernel passes to continue after this entry (any non-zero cookie).
   */
  add(name: string, ino: number, mode: number, nextOffset: number): boolean;
  /**
   * Adds a READDIRPLUS entry with its lookup reply. Returns false (and adds nothing) when it does not fit. An entry
   * that was added counts as a lookup of `entry.ino` (the kernel sends FORGET for it later), except "." and "..".
   *
   * @param name The entry's name.
   * @param entry The entry as lookup would answer it.
   * @param nextOffset The offset the kernel passes to continue after this entry.
   */
  addPlus(name: string, entry: Entry, nextOffset: number): boolean;
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
 * `parent` a directory's node ID, `fh` the handle open/opendir/create returned.
 *
 * @example
 * ```ts
 * const attrs = new Map<number, Attr>();
 * const fs: FuseHandlers = { getattr: (_ctx, ino) => attrs.get(ino) ?? Promise.reject(new FuseError("ENOENT")) };
 * ```
 */
export interface FuseHandlers {
  /** The session started (after INIT was answered). */
  init?(info: InitInfo): void;
  /** The session ended (the filesystem was unmounted). */
  destroy?(): void;
  /** Looks up `name` in `parent`: counts as one lookup of the returned node (see `forget`). */
  lookup?(ctx: RequestContext, parent: number, name: string): MaybePromise<Entry>;
  /** The kernel dropped `nlookup` lookups of `ino`; when they reach 0 the node ID may be reused. No reply. */
  forget?(ino: number, nlookup: number): void;
  /** An inode's attributes. `fh` is set when the request came through an open file. */
  getattr?(ctx: RequestContext, ino: number, fh: number | undefined): MaybePromise<Attr>;
  /** Changes attributes (chmod, chown, truncate, utimens) and answers the new ones. */
  setattr?(ctx: RequestContext, ino: number, changes: SetattrChanges): MaybePromise<Attr>;
  /** A symbolic link's target. */
  readlink?(ctx: RequestContext, ino: number): MaybePromise<string>;
  /** Creates a symbolic link `name` in `parent` pointing at `target`. */
  symlink?(ctx: RequestContext, parent: number, name: string, target: string): MaybePromise<Entry>;
  /** Creates a file node (regular, FIFO, device) without opening it. */
  mknod?(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number):
    MaybePromise<Entry>;
  /** Creates a directory. `mode` has the umask applied by the kernel unless told otherwise. */
  mkdir?(ctx: RequestContext, parent: number, name: string, mode: number, umask: number): MaybePromise<Entry>;
  /** Removes a name that is not a directory. */
  unlink?(ctx: RequestContext, parent: number, name: string): MaybePromise<void>;
  /** Removes an empty directory. */
  rmdir?(ctx: RequestContext, parent: number, name: string): MaybePromise<void>;
  /** Renames `parent/name` to `newParent/newName`; `flags` are RENAME_NOREPLACE/EXCHANGE/WHITEOUT (0 for rename). */
  rename?(ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number):
    MaybePromise<void>;
  /** Creates a hard link `newParent/newName` to `ino`. */
  link?(ctx: RequestContext, ino: number, newParent: number, newName: string): MaybePromise<Entry>;
  /** Opens a file; `flags` are the open(2) flags. */
  open?(ctx: RequestContext, ino: number, flags: number): MaybePromise<OpenResult | void>;
  /**
   * Reads up to `size` bytes at `offset`. Return fewer bytes at the end of the file (an empty array at or after
   * it). The returned bytes are copied before the next request is taken.
   */
  read?(ctx: RequestContext, ino: number, fh: number, offset: number, size: number): MaybePromise<Uint8Array>;
  /**
   * Writes `data` at `offset` and answers how many bytes were written. `data` is a view of the request buffer: copy
   * what you keep, it is reused once the handler has returned (or its promise settled).
   */
  write?(ctx: RequestContext, ino: number, fh: number, offset: number, data: Uint8Array, flags: number):
    MaybePromise<number>;
  /** A close() of a descriptor of the open file (once per close). */
  flush?(ctx: RequestContext, ino: number, fh: number, lockOwner: number): MaybePromise<void>;
  /** The last close of the open file; errors are ignored by the kernel. */
  release?(ctx: RequestContext, ino: number, fh: number, flags: number): MaybePromise<void>;
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
  /** Creates and opens a file; `flags` are the open(2) flags. Counts as one lookup of the new node. */
  create?(ctx: RequestContext, parent: number, name: string, mode: number, umask: number, flags: number):
    MaybePromise<CreateResult>;
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
