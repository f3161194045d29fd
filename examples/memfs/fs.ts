/**
 * memfs's filesystem: a table of inodes by node ID behind the FUSE handlers (`FuseHandlers<Uint8Array>`: names
 * are the kernel's bytes). Regular files keep their contents in sparse pages (pages.ts), so holes cost nothing;
 * FIFOs, sockets and device files are inodes like the others (the kernel serves their I/O, memfs only stores
 * them); extended attributes live in xattrs.ts, locks in locks.ts.
 *
 * Limits, as a disk filesystem has them:
 * - names up to NAME_MAX (255) bytes, symbolic link targets shorter than PATH_MAX (4096): ENAMETOOLONG;
 * - files up to {@link MAX_FILE_SIZE} bytes: a write, truncate or fallocate past it is EFBIG;
 * - stored bytes (file pages and extended attributes) up to the capacity: ENOSPC past it, with statfs reporting
 *   the capacity and what is free.
 *
 * Privileges a file gives whoever runs it are dropped where a local filesystem drops them, by memfs itself: memfs.ts
 * mounts with FUSE_HANDLE_KILLPRIV_V2, so the kernel leaves it to the filesystem (and stops asking for
 * `security.capability` before every write). A write, a truncate and a chown of a file (not a directory) remove
 * its file capabilities (`security.capability`) and, where the kernel says the caller has no CAP_FSETID (a write
 * or a truncate) or always (a chown, fs/open.c chown_common), its set-user-ID bit, and its set-group-ID bit when
 * group-execute is set. fallocate and copy_file_range do the same, taking a caller other than root for one
 * without CAP_FSETID (the kernel tells nothing there). A set-group-ID bit without group-execute stays
 * (FUSE_HANDLE_KILLPRIV_V2's rule, the old should_remove_suid's): tmpfs also drops it when the writer is outside
 * the file's group (fs/attr.c setattr_should_drop_sgid), which a FUSE server cannot tell (it does not get the
 * caller's supplementary groups).
 *
 * @module
 */
import process from "node:process";
import {
  type Attr,
  type DirentWriter,
  type Entry,
  type FileLock,
  FuseError,
  type FuseHandlers,
  type OpenResult,
  type RequestContext,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  FUSE_OPEN_KILL_SUIDGID,
  FUSE_WRITE_KILL_SUIDGID,
  SEEK_DATA,
  SEEK_HOLE,
  type SetattrChanges,
  type Timespec,
} from "ringside-uring/fuse";
import { LockTable } from "./locks.ts";
import { bytesOf, checkName, checkTarget, keyOf, NAME_MAX } from "./names.ts";
import { BLOCK, PAGE_SIZE, Pages, Space } from "./pages.ts";
import { Xattrs } from "./xattrs.ts";

/**
 * The largest file, in bytes: 2^52 (4 PiB). The kernel allows a FUSE file up to MAX_LFS_FILESIZE (2^63 - 1,
 * fs/fuse/inode.c sets s_maxbytes), more than a JavaScript number counts exactly; below 2^52 every offset and every
 * offset + length sum is exact. A truncate to 999 999 999 999 999 bytes is far below it: it succeeds, sparse.
 */
export const MAX_FILE_SIZE = 2 ** 52;

/** rename(2) flags (linux/fs.h). */
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;
const RENAME_WHITEOUT = 4;
/** fallocate(2) modes (linux/falloc.h). */
const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;
/** Mode bits (linux/stat.h). */
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_IXGRP = 0o0010;

/** One inode. */
interface Node {
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** A device file's number, as the kernel encodes it (new_encode_dev). */
  rdev: number;
  size: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** A regular file's contents. */
  pages: Pages | null;
  /** A directory's entries by name key (names.ts), in creation order. */
  children: Map<string, number> | null;
  /** A directory's parent (for ".."). */
  parent: number;
  /** A symbolic link's target. */
  target: Uint8Array;
  /** Extended attributes, once one was set. */
  xattrs: Xattrs | null;
  /** Lookups the kernel holds (released by FORGET). */
  lookups: number;
  /** Open handles. */
  opens: number;
}

function now(): Timespec {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
}

const EMPTY = new Uint8Array(0);
const DOT = keyOf(new TextEncoder().encode("."));
const DOTDOT = keyOf(new TextEncoder().encode(".."));
/** The attribute holding a file's capabilities (linux/xattr.h XATTR_NAME_CAPS). */
const CAPS = keyOf(new TextEncoder().encode("security.capability"));

/** What {@link MemFs} is built with. */
export interface MemFsOptions {
  /** Open files with FOPEN_DIRECT_IO (every read and write reaches the server). */
  directIo?: boolean | undefined;
  /** Bytes the filesystem may store (file pages and extended attributes). */
  capacity: number;
}

/**
 * The filesystem, serving {@link FuseHandlers} with names as bytes.
 *
 * @example
 * ```ts
 * import { FuseServer } from "ringside-uring/fuse";
 *
 * const fs = new MemFs({ capacity: 1 << 30 });
 * const server = await FuseServer.mount("/mnt/memfs", fs.handlers(), { names: "bytes" });
 * ```
 */
export class MemFs {
  /** Where stored bytes are counted. */
  readonly space: Space;
  /** The POSIX and BSD locks. */
  readonly locks = new LockTable();
  /**
   * Called when memfs changed an inode's mode in a request whose reply carries no attributes (a WRITE or an OPEN
   * that cleared set-ID bits): the kernel's cached mode is stale then, and memfs.ts has the server tell it
   * (FuseServer.notifyInvalInode). The kernel would otherwise go on using the old mode until the attribute timeout,
   * set-user-ID bit and all.
   */
  onStaleAttrs: ((ino: number) => void) | null = null;
  private readonly nodes = new Map<number, Node>();
  private nextIno = 2;
  private nextFh = 1;
  /** Open directories: the entries seen at opendir (or at the last read from offset 0). */
  private readonly dirs = new Map<number, [string, number][]>();
  private readonly directIo: boolean;

  /** @param options The capacity, and whether files are opened for direct I/O. */
  constructor(options: MemFsOptions) {
    this.directIo = options.directIo ?? false;
    this.space = new Space(options.capacity);
    const t = now();
    this.nodes.set(1, {
      ino: 1, mode: S_IFDIR | 0o755, nlink: 2, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, rdev: 0,
      size: 0, atime: t, mtime: t, ctime: t, pages: null, children: new Map(), parent: 1, target: EMPTY,
      xattrs: null, lookups: 1, opens: 0,
    });
  }

  private node(ino: number): Node {
    const n = this.nodes.get(ino);
    if (!n) throw new FuseError("ENOENT", `no node ${ino}`);
    return n;
  }

  private dir(ino: number): Node {
    const n = this.node(ino);
    if (!n.children) throw new FuseError("ENOTDIR");
    return n;
  }

  private file(ino: number): Node & { pages: Pages } {
    const n = this.node(ino);
    if (!n.pages) throw new FuseError(n.children ? "EISDIR" : "EINVAL");
    return n as Node & { pages: Pages };
  }

  private attr(n: Node): Attr {
    return {
      ino: n.ino, mode: n.mode, nlink: n.nlink, size: n.size, uid: n.uid, gid: n.gid, rdev: n.rdev,
      blocks: ((n.pages?.stored ?? 0) + (n.xattrs?.stored ?? 0)) / 512, atime: n.atime, mtime: n.mtime,
      ctime: n.ctime,
    };
  }

  /** The entry for `n`, counting one lookup. */
  private entry(n: Node): Entry {
    n.lookups++;
    return { ino: n.ino, attr: this.attr(n) };
  }

  /** A new inode named `name` in `parent`; `mode` holds its type. */
  private create(ctx: RequestContext, parent: number, name: Uint8Array, mode: number, rdev = 0): Node {
    const dir = this.dir(parent);
    checkName(name);
    const key = keyOf(name);
    if (dir.children!.has(key)) throw new FuseError("EEXIST");
    const t = now();
    const type = mode & S_IFMT;
    const isDir = type === S_IFDIR;
    // A new inode's group is the directory's when the directory is set-group-ID (inode_init_owner), which the
    // kernel leaves to a FUSE filesystem.
    const sgid = (dir.mode & 0o2000) !== 0;
    const n: Node = {
      ino: this.nextIno++, mode: sgid && isDir ? mode | 0o2000 : mode, nlink: isDir ? 2 : 1, uid: ctx.uid,
      gid: sgid ? dir.gid : ctx.gid, rdev: type === S_IFCHR || type === S_IFBLK ? rdev : 0, size: 0, atime: t,
      mtime: t, ctime: t, pages: type === S_IFREG ? new Pages(this.space) : null, children: isDir ? new Map() : null,
      parent, target: EMPTY, xattrs: null, lookups: 0, opens: 0,
    };
    this.nodes.set(n.ino, n);
    dir.children!.set(key, n.ino);
    if (isDir) dir.nlink++;
    dir.mtime = dir.ctime = t;
    return n;
  }

  /** Forgets a node nobody can reach any more (no names, no kernel lookups, no open handles); frees its storage. */
  private maybeDrop(n: Node): void {
    if (n.ino === 1 || n.nlink > 0 || n.lookups > 0 || n.opens > 0) return;
    this.nodes.delete(n.ino);
    n.pages?.clear();
    n.xattrs?.clear(this.space);
  }

  /**
   * Drops what running `n` would grant once its contents or owner change: its file capabilities always (as
   * security/commoncap.c cap_inode_killpriv removes them for the kernel), and with `setId` its set-user-ID bit and
   * its set-group-ID bit when group-execute is set (fs/attr.c setattr_should_drop_suidgid; without group-execute
   * the bit is the mandatory-locking mark). Not for directories, where a set-group-ID bit is inherited by what is
   * created in them (fs/open.c chown_common leaves them alone). Says whether the mode changed.
   */
  private dropPrivs(n: Node, setId: boolean): boolean {
    if (n.children) return false;
    if (n.xattrs?.drop(CAPS, this.space)) n.ctime = now();
    if (!setId || ((n.mode & S_ISUID) === 0 && (n.mode & (S_ISGID | S_IXGRP)) !== (S_ISGID | S_IXGRP))) return false;
    n.mode &= ~S_ISUID;
    if (n.mode & S_IXGRP) n.mode &= ~S_ISGID;
    n.ctime = now();
    return true;
  }

  /**
   * Drops privileges for a change of contents the kernel says nothing about: FALLOCATE and COPY_FILE_RANGE carry
   * no kill indication (with FUSE_HANDLE_KILLPRIV_V2 the kernel's file_modified only sends a SETATTR that changes
   * nothing, fs/inode.c __remove_privs), so a caller other than root is taken for one without CAP_FSETID. The
   * kernel's cached mode is dropped when it changed: neither reply carries attributes.
   */
  private modified(ctx: RequestContext, n: Node): void {
    if (this.dropPrivs(n, ctx.uid !== 0)) this.onStaleAttrs?.(n.ino);
  }

  /** Removes `key` from `dir` (the caller checked the type). */
  private detach(dir: Node, key: string, n: Node): void {
    dir.children!.delete(key);
    const t = now();
    dir.mtime = dir.ctime = t;
    n.ctime = t;
    if (n.children) {
      n.nlink = 0;
      dir.nlink--;
    } else {
      n.nlink--;
    }
    this.maybeDrop(n);
  }

  /** The node `key` names in `dir`, or ENOENT. */
  private child(dir: Node, key: string): Node {
    const ino = dir.children!.get(key);
    if (ino === undefined) throw new FuseError("ENOENT");
    return this.node(ino);
  }

  /** Sets a file's size: pages past a smaller one are dropped; a larger one is a hole (EFBIG past the maximum). */
  private resize(n: Node & { pages: Pages }, size: number): void {
    if (size > MAX_FILE_SIZE) throw new FuseError("EFBIG", `${size} bytes is past memfs's ${MAX_FILE_SIZE}`);
    if (size < n.size) n.pages.truncate(size);
    n.size = size;
  }

  private readdirInto(ino: number, fh: number, offset: number, out: DirentWriter, plus: boolean): void {
    const dir = this.dir(ino);
    let list = this.dirs.get(fh);
    if (!list || offset === 0) {
      list = [[DOT, ino], [DOTDOT, dir.parent], ...dir.children!];
      this.dirs.set(fh, list);
    }
    for (let i = offset; i < list.length; i++) {
      const [key, childIno] = list[i]!;
      // Entries removed since the listing was taken are skipped.
      if (i >= 2 && dir.children!.get(key) !== childIno) continue;
      const n = this.nodes.get(childIno);
      if (!n) continue;
      const name = bytesOf(key);
      if (plus) {
        if (!out.addPlus(name, { ino: n.ino, attr: this.attr(n) }, i + 1)) return;
        if (i >= 2) n.lookups++;
      } else if (!out.add(name, n.ino, n.mode, i + 1)) {
        return;
      }
    }
  }

  /** The FUSE handlers over this filesystem. */
  handlers(): FuseHandlers<Uint8Array> {
    return {
      lookup: (_ctx, parent, name) => {
        const dir = this.dir(parent);
        checkName(name);
        const key = keyOf(name);
        const ino = key === DOT ? parent : key === DOTDOT ? dir.parent : dir.children!.get(key);
        if (ino === undefined) throw new FuseError("ENOENT");
        return this.entry(this.node(ino));
      },
      forget: (ino, nlookup) => {
        const n = this.nodes.get(ino);
        if (!n) return;
        n.lookups -= nlookup;
        this.maybeDrop(n);
      },
      getattr: (_ctx, ino) => this.attr(this.node(ino)),
      setattr: (_ctx, ino, c: SetattrChanges) => {
        const n = this.node(ino);
        const t = now();
        if (c.size !== undefined) {
          this.resize(this.file(ino), c.size);
          n.mtime = t;
          // A truncate by a caller without CAP_FSETID says so (FATTR_KILL_SUIDGID); the capabilities go anyway.
          this.dropPrivs(n, c.killSuidgid === true);
        }
        // A chown: fs/open.c chown_common kills the set-ID bits of any file but a directory, whoever asks, and the
        // capabilities (ATTR_KILL_PRIV). The mode a setattr sets itself comes after, and wins.
        if (c.uid !== undefined || c.gid !== undefined) this.dropPrivs(n, true);
        if (c.mode !== undefined) n.mode = (n.mode & S_IFMT) | (c.mode & 0o7777);
        if (c.uid !== undefined) n.uid = c.uid;
        if (c.gid !== undefined) n.gid = c.gid;
        if (c.atime !== undefined) n.atime = c.atime === "now" ? t : c.atime;
        if (c.mtime !== undefined) n.mtime = c.mtime === "now" ? t : c.mtime;
        n.ctime = c.ctime ?? t;
        return this.attr(n);
      },
      readlink: (_ctx, ino) => {
        const n = this.node(ino);
        if ((n.mode & S_IFMT) !== S_IFLNK) throw new FuseError("EINVAL");
        return n.target;
      },
      symlink: (ctx, parent, name, target) => {
        checkTarget(target);
        const n = this.create(ctx, parent, name, S_IFLNK | 0o777);
        n.target = target;
        n.size = target.byteLength;
        return this.entry(n);
      },
      mknod: (ctx, parent, name, mode, rdev) => {
        const type = mode & S_IFMT;
        if (type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK && type !== S_IFCHR && type !== S_IFBLK) {
          throw new FuseError("EINVAL", `mknod of type 0o${type.toString(8)}`);
        }
        return this.entry(this.create(ctx, parent, name, mode & (S_IFMT | 0o7777), rdev));
      },
      mkdir: (ctx, parent, name, mode) => this.entry(this.create(ctx, parent, name, S_IFDIR | (mode & 0o7777))),
      unlink: (_ctx, parent, name) => {
        const dir = this.dir(parent);
        const key = keyOf(name);
        const n = this.child(dir, key);
        if (n.children) throw new FuseError("EISDIR");
        this.detach(dir, key, n);
      },
      rmdir: (_ctx, parent, name) => {
        const dir = this.dir(parent);
        const key = keyOf(name);
        const n = this.child(dir, key);
        if (!n.children) throw new FuseError("ENOTDIR");
        if (n.children.size > 0) throw new FuseError("ENOTEMPTY");
        this.detach(dir, key, n);
      },
      rename: (ctx, parent, name, newParent, newName, flags) =>
        this.rename(ctx, parent, name, newParent, newName, flags),
      link: (_ctx, ino, newParent, newName) => {
        const n = this.node(ino);
        if (n.children) throw new FuseError("EPERM");
        const dir = this.dir(newParent);
        checkName(newName);
        const key = keyOf(newName);
        if (dir.children!.has(key)) throw new FuseError("EEXIST");
        dir.children!.set(key, ino);
        n.nlink++;
        const t = now();
        n.ctime = dir.mtime = dir.ctime = t;
        return this.entry(n);
      },
      open: (_ctx, ino, _flags, openFlags): OpenResult => {
        const n = this.file(ino);
        // An O_TRUNC open by a caller without CAP_FSETID. The kernel truncates with a setattr (memfs does not ask
        // for FUSE_ATOMIC_O_TRUNC) and then says so there; this is the same promise for an open that would.
        if ((openFlags & FUSE_OPEN_KILL_SUIDGID) && this.dropPrivs(n, true)) this.onStaleAttrs?.(ino);
        n.opens++;
        return { fh: this.nextFh++, directIo: this.directIo };
      },
      read: (_ctx, ino, _fh, offset, size) => {
        const n = this.file(ino);
        if (offset >= n.size) return EMPTY;
        return n.pages.read(offset, Math.min(size, n.size - offset));
      },
      write: (_ctx, ino, _fh, offset, data, _flags, writeFlags) => {
        const n = this.file(ino);
        if (offset >= MAX_FILE_SIZE && data.byteLength > 0) throw new FuseError("EFBIG");
        // The kernel sets FUSE_WRITE_KILL_SUIDGID for a caller without CAP_FSETID: on every direct-I/O write, and
        // with FUSE_HANDLE_KILLPRIV_V2 on every write through the page cache; the capabilities go on any write.
        if (this.dropPrivs(n, (writeFlags & FUSE_WRITE_KILL_SUIDGID) !== 0)) this.onStaleAttrs?.(ino);
        // A write that would cross the limit writes what fits (write(2): a short write, EFBIG for the rest).
        const fits = Math.min(data.byteLength, MAX_FILE_SIZE - offset);
        const written = n.pages.write(offset, fits === data.byteLength ? data : data.subarray(0, fits));
        if (offset + written > n.size) n.size = offset + written;
        n.mtime = n.ctime = now();
        return written;
      },
      flush: (_ctx, ino, _fh, lockOwner) => {
        // A close() by the lock owner: its POSIX locks on the file go (the kernel keeps no copy to drop).
        this.locks.flush(ino, lockOwner);
      },
      release: (_ctx, ino, fh) => {
        this.locks.release(ino, fh);
        const n = this.nodes.get(ino);
        if (!n) return;
        if (--n.opens === 0) this.locks.dropInode(ino);
        this.maybeDrop(n);
      },
      opendir: (_ctx, ino) => {
        this.dir(ino);
        return { fh: this.nextFh++ };
      },
      readdir: (_ctx, ino, fh, offset, out) => this.readdirInto(ino, fh, offset, out, false),
      readdirplus: (_ctx, ino, fh, offset, out) => this.readdirInto(ino, fh, offset, out, true),
      releasedir: (_ctx, _ino, fh) => {
        this.dirs.delete(fh);
      },
      statfs: () => {
        const blocks = Math.floor(this.space.capacity / BLOCK);
        const free = Math.max(0, blocks - Math.ceil(this.space.used / BLOCK));
        // No inode limit: reported as tmpfs without nr_inodes reports it (mm/shmem.c shmem_statfs), 0 and 0.
        return { blocks, bfree: free, bavail: free, files: 0, ffree: 0, bsize: BLOCK, namelen: NAME_MAX };
      },
      // FUSE_OPEN_KILL_SUIDGID in create's openFlags concerns a name that exists; memfs answers EEXIST then.
      create: (ctx, parent, name, mode) => {
        const n = this.create(ctx, parent, name, S_IFREG | (mode & 0o7777));
        n.opens++;
        return { entry: this.entry(n), open: { fh: this.nextFh++, directIo: this.directIo } };
      },
      setxattr: (_ctx, ino, name, value, flags) => {
        const n = this.node(ino);
        (n.xattrs ??= new Xattrs()).set(name, value, flags, this.space);
        n.ctime = now();
      },
      getxattr: (_ctx, ino, name) => {
        const n = this.node(ino);
        if (!n.xattrs) throw new FuseError("ENODATA");
        return n.xattrs.get(name);
      },
      listxattr: (_ctx, ino) => this.node(ino).xattrs?.list() ?? [],
      removexattr: (_ctx, ino, name) => {
        const n = this.node(ino);
        if (!n.xattrs) throw new FuseError("ENODATA");
        n.xattrs.remove(name, this.space);
        n.ctime = now();
      },
      getlk: (_ctx, ino, _fh, owner, lock): FileLock => this.locks.getlk(ino, owner, lock),
      setlk: (ctx, ino, fh, owner, lock, wait) => this.locks.setlk(ino, owner, lock, wait, ctx.signal, fh),
      flock: (ctx, ino, fh, _owner, op, wait) => this.locks.flock(ino, fh, op, wait, ctx.signal),
      fallocate: (ctx, ino, _fh, offset, length, mode) => {
        const n = this.file(ino);
        const end = offset + length;
        const punch = mode === FALLOC_FL_PUNCH_HOLE + FALLOC_FL_KEEP_SIZE;
        if (!punch && mode !== 0 && mode !== FALLOC_FL_KEEP_SIZE) {
          throw new FuseError("EOPNOTSUPP", `fallocate mode ${mode}`);
        }
        if (!punch && end > MAX_FILE_SIZE) throw new FuseError("EFBIG");
        this.modified(ctx, n);
        if (punch) {
          n.pages.punch(offset, length);
        } else {
          n.pages.allocate(offset, length);
          if (mode === 0 && end > n.size) n.size = end;
        }
        n.mtime = n.ctime = now();
      },
      copyFileRange: (ctx, inoIn, _fhIn, offsetIn, inoOut, _fhOut, offsetOut, length) =>
        this.copy(ctx, inoIn, offsetIn, inoOut, offsetOut, length),
      lseek: (_ctx, ino, _fh, offset, whence) => {
        const n = this.file(ino);
        if (whence !== SEEK_DATA && whence !== SEEK_HOLE) throw new FuseError("EINVAL");
        if (offset >= n.size) throw new FuseError("ENXIO");
        const at = whence === SEEK_DATA ? n.pages.seekData(offset, n.size) : n.pages.seekHole(offset, n.size);
        if (at < 0) throw new FuseError("ENXIO");
        return at;
      },
    };
  }

  private rename(
    ctx: RequestContext,
    parent: number,
    name: Uint8Array,
    newParent: number,
    newName: Uint8Array,
    flags: number,
  ): void {
    const from = this.dir(parent);
    const to = this.dir(newParent);
    checkName(newName);
    const key = keyOf(name);
    const newKey = keyOf(newName);
    const n = this.child(from, key);
    const existing = to.children!.get(newKey);
    const t = now();
    if (flags & RENAME_EXCHANGE) {
      if (existing === undefined) throw new FuseError("ENOENT");
      const other = this.node(existing);
      from.children!.set(key, existing);
      to.children!.set(newKey, n.ino);
      if (n.children) n.parent = newParent;
      if (other.children) other.parent = parent;
      if (from !== to && (n.children ? 1 : 0) !== (other.children ? 1 : 0)) {
        const d = n.children ? 1 : -1;
        from.nlink -= d;
        to.nlink += d;
      }
      from.mtime = from.ctime = to.mtime = to.ctime = n.ctime = other.ctime = t;
      return;
    }
    if (existing === n.ino) return;
    if (existing !== undefined) {
      if (flags & RENAME_NOREPLACE) throw new FuseError("EEXIST");
      const victim = this.node(existing);
      if (n.children && !victim.children) throw new FuseError("ENOTDIR");
      if (!n.children && victim.children) throw new FuseError("EISDIR");
      if (victim.children && victim.children.size > 0) throw new FuseError("ENOTEMPTY");
      this.detach(to, newKey, victim);
    }
    from.children!.delete(key);
    to.children!.set(newKey, n.ino);
    if (n.children) {
      n.parent = newParent;
      from.nlink--;
      to.nlink++;
    }
    from.mtime = from.ctime = to.mtime = to.ctime = n.ctime = t;
    // RENAME_WHITEOUT (overlayfs): the old name becomes a whiteout, a character device 0:0.
    if (flags & RENAME_WHITEOUT) this.create(ctx, parent, name, S_IFCHR, 0);
  }

  /**
   * copy_file_range: up to `length` bytes from one file to another (or another range of the same one; the VFS
   * refuses overlapping ranges), a source page at a time. A hole in the source stays a hole: it is punched into
   * the target rather than stored as zeros. Answers the bytes copied (fewer when the target's space ran out on the
   * way).
   */
  private copy(
    ctx: RequestContext,
    inoIn: number,
    offsetIn: number,
    inoOut: number,
    offsetOut: number,
    length: number,
  ): number {
    const src = this.file(inoIn);
    const dst = this.file(inoOut);
    const total = Math.max(0, Math.min(length, src.size - offsetIn));
    if (total === 0) return 0;
    if (offsetOut + total > MAX_FILE_SIZE) throw new FuseError("EFBIG");
    this.modified(ctx, dst);
    let done = 0;
    try {
      while (done < total) {
        const from = offsetIn + done;
        const n = Math.min(total - done, PAGE_SIZE - (from % PAGE_SIZE));
        // The chunk's data (up to its first hole), then the hole.
        const data = src.pages.seekHole(from, from + n) - from;
        if (data > 0) {
          const wrote = dst.pages.write(offsetOut + done, src.pages.read(from, data));
          done += wrote;
          if (wrote < data) break;
        }
        if (data < n) {
          dst.pages.punch(offsetOut + done, n - data);
          done += n - data;
        }
      }
    } catch (e) {
      if (done === 0) throw e; // nothing copied: the target's ENOSPC
    }
    if (offsetOut + done > dst.size) dst.size = offsetOut + done;
    dst.mtime = dst.ctime = now();
    return done;
  }
}
