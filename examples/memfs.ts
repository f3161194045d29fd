/**
 * An in-memory filesystem served over FUSE: files, directories, symbolic and hard links, with chmod, truncate,
 * utimens, rename and statfs, through FUSE over io_uring when the kernel offers it (Linux 6.14 with
 * `/sys/module/fuse/parameters/enable_uring` = Y) and through /dev/fuse otherwise. Run as root.
 *
 *   bun examples/memfs.ts MOUNTPOINT [--classic] [--owning] [--direct-io] [--max-write BYTES] [--queue-depth N]
 *                         [--blocking-reads] [--readers N]
 *   deno run -A examples/memfs.ts MOUNTPOINT ...
 *
 * It prints one line once the filesystem is mounted, saying which transport serves it, then serves until SIGINT or
 * SIGTERM, unmounts, and prints a closing line on stderr.
 *
 * - `--classic`: serve through /dev/fuse reads and writes even when io_uring is available.
 * - `--owning`: run the loop in owning mode (the thread blocks in io_uring_enter between requests).
 * - `--direct-io`: open files with FOPEN_DIRECT_IO, so every read and write reaches the server (for benchmarks).
 * - `--blocking-reads`: with /dev/fuse, wait for requests in blocking reads (in io-wq workers) instead of polling.
 * - `--readers N`: /dev/fuse reads kept in flight (default 1).
 *
 * Everything lives in this process's memory and is gone once it exits.
 *
 * @module
 */
import process from "node:process";
import { Loop } from "ringside-uring/loop";
import { IORING_SETUP_SQE128 } from "ringside-uring/abi";
import {
  type Attr,
  type DirentWriter,
  type Entry,
  FuseError,
  type FuseHandlers,
  FuseServer,
  type FuseServerOptions,
  type OpenResult,
  type RequestContext,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type SetattrChanges,
  type Timespec,
} from "ringside-uring/fuse";

/** RENAME_NOREPLACE and RENAME_EXCHANGE (linux/fs.h). */
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;

/** One inode. */
interface Node {
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** File contents (capacity may exceed `size`). */
  data: Uint8Array;
  /** Directory entries, in creation order. */
  children: Map<string, number> | null;
  /** A directory's parent (for ".."). */
  parent: number;
  /** A symbolic link's target. */
  target: string;
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
const encoder = new TextEncoder();

function byteLength(s: string): number {
  return encoder.encode(s).byteLength;
}

/** The filesystem: a table of inodes by node ID, implementing {@link FuseHandlers}. */
class MemFs {
  private readonly nodes = new Map<number, Node>();
  private nextIno = 2;
  private nextFh = 1;
  /** Open directories: the entries seen at opendir (or at the last read from offset 0). */
  private readonly dirs = new Map<number, [string, number][]>();
  private readonly directIo: boolean;

  /** @param options `directIo`: open files with FOPEN_DIRECT_IO. */
  constructor(options: { directIo?: boolean } = {}) {
    this.directIo = options.directIo ?? false;
    const t = now();
    this.nodes.set(1, {
      ino: 1, mode: S_IFDIR | 0o755, nlink: 2, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, size: 0,
      atime: t, mtime: t, ctime: t, data: EMPTY, children: new Map(), parent: 1, target: "", lookups: 1, opens: 0,
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

  private attr(n: Node): Attr {
    return {
      ino: n.ino, mode: n.mode, nlink: n.nlink, size: n.size, uid: n.uid, gid: n.gid, atime: n.atime, mtime: n.mtime,
      ctime: n.ctime,
    };
  }

  /** The entry for `n`, counting one lookup. */
  private entry(n: Node): Entry {
    n.lookups++;
    return { ino: n.ino, attr: this.attr(n) };
  }

  private create(ctx: RequestContext, parent: number, name: string, mode: number): Node {
    const dir = this.dir(parent);
    if (name.length === 0 || byteLength(name) > 255) throw new FuseError("ENAMETOOLONG");
    if (dir.children!.has(name)) throw new FuseError("EEXIST");
    const t = now();
    const isDir = (mode & S_IFMT) === S_IFDIR;
    const n: Node = {
      ino: this.nextIno++, mode, nlink: isDir ? 2 : 1, uid: ctx.uid, gid: ctx.gid, size: 0, atime: t, mtime: t,
      ctime: t, data: EMPTY, children: isDir ? new Map() : null, parent, target: "", lookups: 0, opens: 0,
    };
    this.nodes.set(n.ino, n);
    dir.children!.set(name, n.ino);
    if (isDir) dir.nlink++;
    dir.mtime = dir.ctime = t;
    return n;
  }

  /** Forgets a node nobody can reach any more: no names, no kernel lookups, no open handles. */
  private maybeDrop(n: Node): void {
    if (n.ino !== 1 && n.nlink === 0 && n.lookups <= 0 && n.opens <= 0) this.nodes.delete(n.ino);
  }

  /** Removes `name` from `dir` (the caller checked the type). */
  private detach(dir: Node, name: string, n: Node): void {
    dir.children!.delete(name);
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

  private resize(n: Node, size: number): void {
    if (size > n.data.byteLength) {
      const grown = new Uint8Array(Math.max(size, Math.min(n.data.byteLength * 2, n.data.byteLength + (64 << 20))));
      grown.set(n.data.subarray(0, n.size));
      n.data = grown;
    } else if (size < n.size) {
      n.data.fill(0, size, n.size);
    }
    n.size = size;
  }

  private readdirInto(ino: number, fh: number, offset: number, out: DirentWriter, plus: boolean): void {
    const dir = this.dir(ino);
    let list = this.dirs.get(fh);
    if (!list || offset === 0) {
      list = [[".", ino], ["..", dir.parent], ...dir.children!];
      this.dirs.set(fh, list);
    }
    for (let i = offset; i < list.length; i++) {
      const [name, childIno] = list[i]!;
      // Entries removed since the listing was taken are skipped.
      if (i >= 2 && dir.children!.get(name) !== childIno) continue;
      const n = this.nodes.get(childIno);
      if (!n) continue;
      if (plus) {
        const dots = i < 2;
        if (!out.addPlus(name, { ino: n.ino, attr: this.attr(n) }, i + 1)) return;
        if (!dots) n.lookups++;
      } else if (!out.add(name, n.ino, n.mode, i + 1)) {
        return;
      }
    }
  }

  /** The FUSE handlers over this filesystem. */
  handlers(): FuseHandlers {
    return {
      lookup: (_ctx, parent, name) => {
        const dir = this.dir(parent);
        const ino = name === "." ? parent : name === ".." ? dir.parent : dir.children!.get(name);
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
        if (c.mode !== undefined) n.mode = (n.mode & S_IFMT) | (c.mode & 0o7777);
        if (c.uid !== undefined) n.uid = c.uid;
        if (c.gid !== undefined) n.gid = c.gid;
        if (c.size !== undefined) {
          if (n.children) throw new FuseError("EISDIR");
          this.resize(n, c.size);
          n.mtime = t;
        }
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
        const n = this.create(ctx, parent, name, S_IFLNK | 0o777);
        n.target = target;
        n.size = byteLength(target);
        return this.entry(n);
      },
      mknod: (ctx, parent, name, mode) => {
        if ((mode & S_IFMT) !== S_IFREG) throw new FuseError("EPERM", "memfs keeps regular files only");
        return this.entry(this.create(ctx, parent, name, mode));
      },
      mkdir: (ctx, parent, name, mode) => this.entry(this.create(ctx, parent, name, S_IFDIR | (mode & 0o7777))),
      unlink: (_ctx, parent, name) => {
        const dir = this.dir(parent);
        const ino = dir.children!.get(name);
        if (ino === undefined) throw new FuseError("ENOENT");
        const n = this.node(ino);
        if (n.children) throw new FuseError("EISDIR");
        this.detach(dir, name, n);
      },
      rmdir: (_ctx, parent, name) => {
        const dir = this.dir(parent);
        const ino = dir.children!.get(name);
        if (ino === undefined) throw new FuseError("ENOENT");
        const n = this.node(ino);
        if (!n.children) throw new FuseError("ENOTDIR");
        if (n.children.size > 0) throw new FuseError("ENOTEMPTY");
        this.detach(dir, name, n);
      },
      rename: (_ctx, parent, name, newParent, newName, flags) => {
        const from = this.dir(parent);
        const to = this.dir(newParent);
        const ino = from.children!.get(name);
        if (ino === undefined) throw new FuseError("ENOENT");
        const n = this.node(ino);
        const existing = to.children!.get(newName);
        const t = now();
        if (flags & RENAME_EXCHANGE) {
          if (existing === undefined) throw new FuseError("ENOENT");
          const other = this.node(existing);
          from.children!.set(name, existing);
          to.children!.set(newName, ino);
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
        if (existing === ino) return;
        if (existing !== undefined) {
          if (flags & RENAME_NOREPLACE) throw new FuseError("EEXIST");
          const victim = this.node(existing);
          if (n.children && !victim.children) throw new FuseError("ENOTDIR");
          if (!n.children && victim.children) throw new FuseError("EISDIR");
          if (victim.children && victim.children.size > 0) throw new FuseError("ENOTEMPTY");
          this.detach(to, newName, victim);
        }
        from.children!.delete(name);
        to.children!.set(newName, ino);
        if (n.children) {
          n.parent = newParent;
          from.nlink--;
          to.nlink++;
        }
        from.mtime = from.ctime = to.mtime = to.ctime = n.ctime = t;
      },
      link: (_ctx, ino, newParent, newName) => {
        const n = this.node(ino);
        if (n.children) throw new FuseError("EPERM");
        const dir = this.dir(newParent);
        if (dir.children!.has(newName)) throw new FuseError("EEXIST");
        dir.children!.set(newName, ino);
        n.nlink++;
        const t = now();
        n.ctime = dir.mtime = dir.ctime = t;
        return this.entry(n);
      },
      open: (_ctx, ino): OpenResult => {
        const n = this.node(ino);
        if (n.children) throw new FuseError("EISDIR");
        n.opens++;
        return { fh: this.nextFh++, directIo: this.directIo };
      },
      read: (_ctx, ino, _fh, offset, size) => {
        const n = this.node(ino);
        if (offset >= n.size) return EMPTY;
        return n.data.subarray(offset, Math.min(n.size, offset + size));
      },
      write: (_ctx, ino, _fh, offset, data) => {
        const n = this.node(ino);
        const end = offset + data.byteLength;
        if (end > n.size) this.resize(n, end);
        n.data.set(data, offset);
        n.mtime = n.ctime = now();
        return data.byteLength;
      },
      release: (_ctx, ino) => {
        const n = this.nodes.get(ino);
        if (!n) return;
        n.opens--;
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
        let bytes = 0;
        for (const n of this.nodes.values()) bytes += n.data.byteLength;
        const blocks = 1 << 24; // 64 GiB of 4 KiB blocks, nominally
        const used = Math.ceil(bytes / 4096);
        return {
          blocks, bfree: blocks - used, bavail: blocks - used, files: 1 << 20, ffree: (1 << 20) - this.nodes.size,
          bsize: 4096, namelen: 255,
        };
      },
      create: (ctx, parent, name, mode) => {
        const n = this.create(ctx, parent, name, S_IFREG | (mode & 0o7777));
        n.opens++;
        return { entry: this.entry(n), open: { fh: this.nextFh++, directIo: this.directIo } };
      },
    };
  }
}

/** The command line. */
interface Args {
  mountpoint: string;
  classic: boolean;
  owning: boolean;
  directIo: boolean;
  maxWrite: number | undefined;
  queueDepth: number | undefined;
  blockingReads: boolean;
  readers: number | undefined;
}

function parseArgs(argv: string[]): Args | string {
  const a: Args = { mountpoint: "", classic: false, owning: false, directIo: false, maxWrite: undefined,
    queueDepth: undefined, blockingReads: false, readers: undefined };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    if (s === "--classic") a.classic = true;
    else if (s === "--owning") a.owning = true;
    else if (s === "--direct-io") a.directIo = true;
    else if (s === "--blocking-reads") a.blockingReads = true;
    else if (s === "--max-write" || s === "--queue-depth" || s === "--readers") {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n <= 0) return `${s} takes a positive integer, got ${argv[i]}`;
      if (s === "--max-write") a.maxWrite = n;
      else if (s === "--queue-depth") a.queueDepth = n;
      else a.readers = n;
    }
    else if (s.startsWith("-") || a.mountpoint) return `unknown argument ${s}`;
    else a.mountpoint = s;
  }
  return a.mountpoint ? a : "missing MOUNTPOINT";
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "string") {
    console.error(`memfs: ${args}\nusage: memfs.ts MOUNTPOINT [--classic] [--owning] [--direct-io] ` +
      "[--max-write BYTES] [--queue-depth N] [--blocking-reads] [--readers N]");
    return 2;
  }
  const loop = new Loop({ mode: args.owning ? "owning" : "integrated", ring: { flags: IORING_SETUP_SQE128 } });
  const options: FuseServerOptions = {
    loop,
    transport: args.classic ? "classic" : "auto",
    subtype: "memfs",
    fsname: "memfs",
    defaultPermissions: true,
    allowOther: true,
    maxWrite: args.maxWrite,
    queueDepth: args.queueDepth,
    deviceRead: args.blockingReads ? "blocking" : "poll",
    classicReaders: args.readers,
  };
  const serve = async (): Promise<number> => {
    const fs = new MemFs({ directIo: args.directIo });
    let server: FuseServer;
    try {
      server = await FuseServer.mount(args.mountpoint, fs.handlers(), options);
    } catch (e) {
      console.error(`memfs: ${(e as Error).message}`);
      return 1;
    }
    const why = server.fallbackReason ? ` (${server.fallbackReason})` : "";
    console.log(`memfs: mounted at ${server.mountpoint} over ${server.transport}${why}`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      server.unmount().catch((e) => console.error(`memfs: ${(e as Error).message}`));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    await server.closed;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    const s = server.stats;
    console.error(`memfs: unmounted ${server.mountpoint} (${s.ringRequests} ring requests, ${s.deviceRequests} ` +
      `/dev/fuse requests, ${s.deviceRetries} EAGAIN, ${s.replyErrors} refused replies)`);
    return 0;
  };
  const code = args.owning ? await loop.run(serve) : await serve();
  if (!loop.isClosed) await loop.close();
  return code;
}

process.exitCode = await main();
