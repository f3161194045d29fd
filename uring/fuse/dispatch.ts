/**
 * The transport-neutral part of a FUSE server: a request decoded from the kernel's structs ({@link FuseRequest}),
 * the call of the matching {@link FuseHandlers} method, and the reply encoded into a payload buffer
 * ({@link Dispatcher}). Both transports (FUSE over io_uring and /dev/fuse) fill a `FuseRequest` and hand over a
 * payload area; they only differ in where the request's parts lie and how the reply's header travels back.
 *
 * A request has three parts, as fs/fuse/dev_uring.c lays them out: the `fuse_in_header`, the opcode's first
 * argument (its struct: `fuse_read_in` ...; `op_in` over io_uring), and the rest (names, written data: the
 * payload). Over /dev/fuse the three follow each other in one buffer; {@link FUSE_OP_IN_SIZE} says where the first
 * argument ends.
 *
 * @module
 */
import { EIO, ENOSYS, ERANGE, errnoNumber } from "../abi/errno.ts";
import { S_IFMT } from "../abi/structs.ts";
import { getU64, putU64 } from "../abi/_u64.ts";
import {
  FUSE_ACCESS,
  FUSE_BATCH_FORGET,
  FUSE_CREATE,
  FUSE_DESTROY,
  FUSE_FLUSH,
  FUSE_FORGET,
  FUSE_FSYNC,
  FUSE_FSYNC_FDATASYNC,
  FUSE_FSYNCDIR,
  FUSE_GETATTR,
  FUSE_GETATTR_FH,
  FUSE_INTERRUPT,
  FUSE_LINK,
  FUSE_LOOKUP,
  FUSE_MKDIR,
  FUSE_MKNOD,
  FUSE_OPEN,
  FUSE_OPENDIR,
  FUSE_READ,
  FUSE_READDIR,
  FUSE_READDIRPLUS,
  FUSE_READLINK,
  FUSE_RELEASE,
  FUSE_RELEASEDIR,
  FUSE_RENAME,
  FUSE_RENAME2,
  FUSE_RMDIR,
  FUSE_SETATTR,
  FUSE_STATFS,
  FUSE_SYMLINK,
  FUSE_UNLINK,
  FUSE_WRITE,
  FATTR_ATIME,
  FATTR_ATIME_NOW,
  FATTR_CTIME,
  FATTR_FH,
  FATTR_GID,
  FATTR_MODE,
  FATTR_MTIME,
  FATTR_MTIME_NOW,
  FATTR_SIZE,
  FATTR_UID,
  FOPEN_CACHE_DIR,
  FOPEN_DIRECT_IO,
  FOPEN_KEEP_CACHE,
  FOPEN_NONSEEKABLE,
  fuse_access_in,
  fuse_attr,
  fuse_attr_out,
  fuse_batch_forget_in,
  fuse_create_in,
  fuse_dirent,
  fuse_direntplus,
  fuse_entry_out,
  fuse_flush_in,
  fuse_forget_in,
  fuse_forget_one,
  fuse_fsync_in,
  fuse_getattr_in,
  fuse_kstatfs,
  fuse_link_in,
  fuse_mkdir_in,
  fuse_mknod_in,
  fuse_open_in,
  fuse_open_out,
  fuse_read_in,
  fuse_release_in,
  fuse_rename2_in,
  fuse_rename_in,
  fuse_setattr_in,
  fuse_write_in,
  fuse_write_out,
} from "./abi.ts";
import {
  type Attr,
  type CreateResult,
  type DirentWriter,
  type Entry,
  errnoOf,
  FuseError,
  type FuseHandlers,
  type OpenResult,
  type RequestContext,
  type SetattrChanges,
  type Statfs,
} from "./handlers.ts";

/**
 * What {@link Dispatcher.handle} returns for requests that take no reply (FORGET, BATCH_FORGET, INTERRUPT).
 *
 * @example
 * ```ts
 * declare const dispatcher: Dispatcher;
 * declare const req: FuseRequest;
 * const out = new Uint8Array(4096);
 *
 * const n = await dispatcher.handle(req, new DataView(out.buffer), out, out.byteLength);
 * if (n === NO_REPLY) console.log("FORGET or INTERRUPT: nothing to write back");
 * ```
 */
export const NO_REPLY = -0x10000;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * One request as the kernel delivered it, wherever its parts lie. A transport owns one per slot and refills it
 * for each request; it is also the handlers' {@link RequestContext}.
 *
 * @example
 * ```ts
 * import { fuse_in_header } from "ringside-uring/fuse";
 * declare const view: DataView; // a request read from /dev/fuse
 *
 * const req = new FuseRequest();
 * req.readHeader(view, 0); // its fuse_in_header
 * req.opView = view;
 * req.opOff = fuse_in_header.SIZE;
 * ```
 */
export class FuseRequest implements RequestContext {
  /** The FUSE opcode. */
  opcode = 0;
  /** The request's unique ID, low and high 32 bits (the reply and the io_uring commit carry it back). */
  uniqueLo = 0;
  /** High 32 bits of the unique ID. */
  uniqueHi = 0;
  /** The node ID the request is for. */
  nodeid = 0;
  /** The caller's user ID. */
  uid = 0;
  /** The caller's group ID. */
  gid = 0;
  /** The caller's thread group ID. */
  pid = 0;
  /** The view holding the first argument (the opcode's struct). */
  opView: DataView = new DataView(new ArrayBuffer(0));
  /** Where the first argument starts in `opView`. */
  opOff = 0;
  /** The bytes holding the payload (names, written data). */
  payBytes: Uint8Array = new Uint8Array(0);
  /** Where the payload starts in `payBytes`. */
  payOff = 0;
  /** The payload's length. */
  payLen = 0;

  /**
   * Fills the header fields from a `fuse_in_header` at `off` of `v`.
   *
   * @example
   * ```ts
   * const buf = new Uint8Array(8192); // what a read of /dev/fuse filled
   * const req = new FuseRequest();
   * req.readHeader(new DataView(buf.buffer), 0);
   * ```
   */
  readHeader(v: DataView, off: number): void {
    this.opcode = v.getUint32(off + 4, true);
    this.uniqueLo = v.getUint32(off + 8, true);
    this.uniqueHi = v.getUint32(off + 12, true);
    this.nodeid = getU64(v, off + 16);
    this.uid = v.getUint32(off + 24, true);
    this.gid = v.getUint32(off + 28, true);
    this.pid = v.getUint32(off + 32, true);
  }

  /**
   * The NUL-terminated string at byte `at` of the payload, and where the next one starts.
   *
   * @example
   * ```ts
   * declare const req: FuseRequest; // a FUSE_RENAME request
   *
   * const [oldName, next] = req.stringAt(0); // old name, then new name
   * const [newName] = req.stringAt(next);
   * ```
   */
  stringAt(at: number): [string, number] {
    const bytes = this.payBytes;
    const start = this.payOff + at;
    const end = this.payOff + this.payLen;
    let i = start;
    while (i < end && bytes[i] !== 0) i++;
    return [decoder.decode(bytes.subarray(start, i)), i + 1 - this.payOff];
  }
}

/**
 * Cache timeouts used when a handler's reply does not give its own.
 *
 * @example
 * ```ts
 * import type { FuseHandlers } from "ringside-uring/fuse";
 * declare const handlers: FuseHandlers;
 *
 * new Dispatcher(handlers, { entryTimeout: 10, attrTimeout: 10, onError: (e) => console.error(e) });
 * ```
 */
export interface DispatchOptions {
  /** Seconds the kernel may cache names (default 1). */
  entryTimeout?: number | undefined;
  /** Seconds the kernel may cache attributes (default 1). */
  attrTimeout?: number | undefined;
  /** Called with each handler failure that was not a {@link FuseError}-like errno (reported to the kernel as EIO). */
  onError?: ((error: unknown, opcode: number) => void) | undefined;
}

/** Splits seconds into whole seconds and nanoseconds for the `*_valid` / `*_valid_nsec` pairs. */
function splitSeconds(s: number): [number, number] {
  if (!(s > 0)) return [0, 0];
  const sec = Math.floor(s);
  return [sec, Math.min(999_999_999, Math.round((s - sec) * 1e9))];
}

/**
 * Writes `struct fuse_attr` at `off`.
 *
 * @example
 * ```ts
 * import { fuse_attr_out } from "ringside-uring/fuse";
 *
 * const view = new DataView(new ArrayBuffer(fuse_attr_out.SIZE));
 * const t = { sec: 0, nsec: 0 };
 * writeAttr(view, fuse_attr_out.attr, { ino: 1, mode: 0o40755, nlink: 2, size: 0, atime: t, mtime: t, ctime: t });
 * ```
 */
export function writeAttr(v: DataView, off: number, a: Attr): void {
  putU64(v, off + fuse_attr.ino, a.ino);
  putU64(v, off + fuse_attr.size, a.size);
  putU64(v, off + fuse_attr.blocks, a.blocks ?? Math.ceil(a.size / 512));
  putU64(v, off + fuse_attr.atime, a.atime.sec);
  putU64(v, off + fuse_attr.mtime, a.mtime.sec);
  putU64(v, off + fuse_attr.ctime, a.ctime.sec);
  v.setUint32(off + fuse_attr.atimensec, a.atime.nsec, true);
  v.setUint32(off + fuse_attr.mtimensec, a.mtime.nsec, true);
  v.setUint32(off + fuse_attr.ctimensec, a.ctime.nsec, true);
  v.setUint32(off + fuse_attr.mode, a.mode, true);
  v.setUint32(off + fuse_attr.nlink, a.nlink, true);
  v.setUint32(off + fuse_attr.uid, a.uid ?? 0, true);
  v.setUint32(off + fuse_attr.gid, a.gid ?? 0, true);
  v.setUint32(off + fuse_attr.rdev, a.rdev ?? 0, true);
  v.setUint32(off + fuse_attr.blksize, a.blksize ?? 4096, true);
  v.setUint32(off + fuse_attr.flags, 0, true);
}

function openFlags(o: OpenResult | void | undefined): number {
  if (!o) return 0;
  return (o.directIo ? FOPEN_DIRECT_IO : 0) | (o.keepCache ? FOPEN_KEEP_CACHE : 0) |
    (o.nonSeekable ? FOPEN_NONSEEKABLE : 0) | (o.cacheDir ? FOPEN_CACHE_DIR : 0);
}

/** The READDIR / READDIRPLUS reply writer over a payload area. */
class Dirents implements DirentWriter {
  size = 0;
  used = 0;
  private view!: DataView;
  private bytes!: Uint8Array;
  private readonly d: Dispatcher;

  constructor(d: Dispatcher) {
    this.d = d;
  }

  reset(view: DataView, bytes: Uint8Array, size: number): void {
    this.view = view;
    this.bytes = bytes;
    this.size = size;
    this.used = 0;
  }

  add(name: string, ino: number, mode: number, nextOffset: number): boolean {
    return this.put(name, ino, mode, nextOffset, null);
  }

  addPlus(name: string, entry: Entry, nextOffset: number): boolean {
    return this.put(name, entry.ino, entry.attr.mode, nextOffset, entry);
  }

  private put(name: string, ino: number, mode: number, nextOffset: number, entry: Entry | null): boolean {
    const head = entry ? fuse_direntplus.SIZE : fuse_dirent.SIZE;
    const at = this.used;
    const room = this.size - at - head;
    if (room <= 0) return false;
    // The name goes straight into the reply; a name that does not fit is not added.
    const dst = this.bytes.subarray(at + head, at + head + room);
    const { read, written } = encoder.encodeInto(name, dst);
    if (read! < name.length) return false;
    const rec = (head + written! + 7) & ~7;
    if (at + rec > this.size) return false;
    const v = this.view;
    const d = at + (entry ? fuse_direntplus.dirent : 0);
    if (entry) this.d.writeEntry(v, at, entry);
    putU64(v, d + fuse_dirent.ino, ino);
    putU64(v, d + fuse_dirent.off, nextOffset);
    v.setUint32(d + fuse_dirent.namelen, written!, true);
    v.setUint32(d + fuse_dirent.type, (mode & S_IFMT) >>> 12, true);
    this.bytes.fill(0, at + head + written!, at + rec);
    this.used = at + rec;
    return true;
  }
}

/** Calls `enc` on a value or on what a promise resolves to; a rejection becomes `-errno`. */
function settle<T>(d: Dispatcher, op: number, r: T | Promise<T>, enc: (v: T) => number): number | Promise<number> {
  if (r instanceof Promise) return r.then(enc, (e) => -d.errnoOf(e, op));
  return enc(r);
}

/**
 * Decodes requests, calls the handlers and encodes replies. One per server; stateless between requests except for
 * the per-slot scratch it is given.
 *
 * @example
 * ```ts
 * import type { Attr } from "ringside-uring/fuse";
 * declare const attr: Attr;
 * declare const req: FuseRequest; // a FUSE_GETATTR request
 *
 * const d = new Dispatcher({ getattr: () => attr }, { attrTimeout: 5 });
 * const outBytes = new Uint8Array(4096);
 * const n = d.handle(req, new DataView(outBytes.buffer), outBytes, outBytes.byteLength); // fuse_attr_out.SIZE
 * ```
 */
export class Dispatcher {
  /** The filesystem. */
  readonly handlers: FuseHandlers;
  private readonly entryValid: [number, number];
  private readonly attrValid: [number, number];
  private readonly onError: ((error: unknown, opcode: number) => void) | undefined;
  private readonly dirents = new WeakMap<FuseRequest, Dirents>();

  /**
   * @param handlers The filesystem's operations.
   * @param options Default cache timeouts and an error hook.
   */
  constructor(handlers: FuseHandlers, options: DispatchOptions = {}) {
    this.handlers = handlers;
    this.entryValid = splitSeconds(options.entryTimeout ?? 1);
    this.attrValid = splitSeconds(options.attrTimeout ?? 1);
    this.onError = options.onError;
  }

  /**
   * The errno a handler failure becomes (EIO for unknown errors, which are reported to `onError`).
   *
   * @example
   * ```ts
   * import { FUSE_LOOKUP, FuseError } from "ringside-uring/fuse";
   *
   * const d = new Dispatcher({});
   * console.log(d.errnoOf(new FuseError("ENOENT"), FUSE_LOOKUP)); // 2
   * ```
   */
  errnoOf(e: unknown, opcode: number): number {
    const n = errnoOf(e);
    if (n === EIO && this.onError && !hasErrno(e)) this.onError(e, opcode);
    return n;
  }

  /**
   * Writes `struct fuse_entry_out` at `off`, with this dispatcher's default timeouts where the entry has none.
   *
   * @example
   * ```ts
   * import { type Attr, fuse_entry_out } from "ringside-uring/fuse";
   * declare const attr: Attr;
   *
   * const d = new Dispatcher({}, { entryTimeout: 10 });
   * const view = new DataView(new ArrayBuffer(fuse_entry_out.SIZE));
   * d.writeEntry(view, 0, { ino: 7, attr });
   * ```
   */
  writeEntry(v: DataView, off: number, e: Entry): void {
    putU64(v, off + fuse_entry_out.nodeid, e.ino);
    putU64(v, off + fuse_entry_out.generation, e.generation ?? 0);
    const ev = e.entryTimeout === undefined ? this.entryValid : splitSeconds(e.entryTimeout);
    const av = e.attrTimeout === undefined ? this.attrValid : splitSeconds(e.attrTimeout);
    putU64(v, off + fuse_entry_out.entry_valid, ev[0]);
    putU64(v, off + fuse_entry_out.attr_valid, av[0]);
    v.setUint32(off + fuse_entry_out.entry_valid_nsec, ev[1], true);
    v.setUint32(off + fuse_entry_out.attr_valid_nsec, av[1], true);
    writeAttr(v, off + fuse_entry_out.attr, e.attr);
  }

  private entryReply(v: DataView, e: Entry): number {
    this.writeEntry(v, 0, e);
    return fuse_entry_out.SIZE;
  }

  private attrReply(v: DataView, a: Attr): number {
    putU64(v, fuse_attr_out.attr_valid, this.attrValid[0]);
    v.setUint32(fuse_attr_out.attr_valid_nsec, this.attrValid[1], true);
    v.setUint32(fuse_attr_out.dummy, 0, true);
    writeAttr(v, fuse_attr_out.attr, a);
    return fuse_attr_out.SIZE;
  }

  private openReply(v: DataView, off: number, o: OpenResult | void): number {
    putU64(v, off + fuse_open_out.fh, o?.fh ?? 0);
    v.setUint32(off + fuse_open_out.open_flags, openFlags(o), true);
    v.setUint32(off + fuse_open_out.backing_id, 0, true);
    return fuse_open_out.SIZE;
  }

  private statfsReply(v: DataView, s: Statfs): number {
    const bsize = s.bsize ?? 4096;
    putU64(v, fuse_kstatfs.blocks, s.blocks);
    putU64(v, fuse_kstatfs.bfree, s.bfree);
    putU64(v, fuse_kstatfs.bavail, s.bavail);
    putU64(v, fuse_kstatfs.files, s.files);
    putU64(v, fuse_kstatfs.ffree, s.ffree);
    v.setUint32(fuse_kstatfs.bsize, bsize, true);
    v.setUint32(fuse_kstatfs.namelen, s.namelen ?? 255, true);
    v.setUint32(fuse_kstatfs.frsize, s.frsize ?? bsize, true);
    for (let i = fuse_kstatfs.padding; i < fuse_kstatfs.SIZE; i += 4) v.setUint32(i, 0, true);
    return fuse_kstatfs.SIZE;
  }

  /**
   * Handles one request (not INIT, which the server negotiates itself): calls the handler and encodes its reply at
   * the start of `out` / `outBytes` (the reply payload area, `capacity` bytes). Returns the payload length, a
   * negative errno, or {@link NO_REPLY}, now or as a promise when the handler is asynchronous.
   *
   * @example
   * ```ts
   * declare const dispatcher: Dispatcher;
   * declare const req: FuseRequest;
   * const outBytes = new Uint8Array(1 << 20);
   *
   * const n = await dispatcher.handle(req, new DataView(outBytes.buffer), outBytes, outBytes.byteLength);
   * ```
   */
  handle(req: FuseRequest, out: DataView, outBytes: Uint8Array, capacity: number): number | Promise<number> {
    try {
      return this.call(req, out, outBytes, capacity);
    } catch (e) {
      return -this.errnoOf(e, req.opcode);
    }
  }

  private call(req: FuseRequest, out: DataView, outBytes: Uint8Array, capacity: number): number | Promise<number> {
    const h = this.handlers;
    const op = req.opcode;
    const v = req.opView;
    const o = req.opOff;
    const ino = req.nodeid;
    switch (op) {
      case FUSE_LOOKUP: {
        if (!h.lookup) return -ENOSYS;
        const [name] = req.stringAt(0);
        return settle(this, op, h.lookup(req, ino, name), (e) => this.entryReply(out, e));
      }
      case FUSE_FORGET:
        h.forget?.(ino, getU64(v, o + fuse_forget_in.nlookup));
        return NO_REPLY;
      case FUSE_BATCH_FORGET: {
        const count = v.getUint32(o + fuse_batch_forget_in.count, true);
        if (h.forget) {
          const p = new DataView(req.payBytes.buffer, req.payBytes.byteOffset + req.payOff, req.payLen);
          for (let i = 0; i < count && (i + 1) * fuse_forget_one.SIZE <= req.payLen; i++) {
            const at = i * fuse_forget_one.SIZE;
            h.forget(getU64(p, at + fuse_forget_one.nodeid), getU64(p, at + fuse_forget_one.nlookup));
          }
        }
        return NO_REPLY;
      }
      case FUSE_INTERRUPT:
        // Handlers run to completion; the kernel waits for the interrupted request's own reply.
        return NO_REPLY;
      case FUSE_GETATTR: {
        if (!h.getattr) return -ENOSYS;
        const flags = v.getUint32(o + fuse_getattr_in.getattr_flags, true);
        const fh = flags & FUSE_GETATTR_FH ? getU64(v, o + fuse_getattr_in.fh) : undefined;
        return settle(this, op, h.getattr(req, ino, fh), (a) => this.attrReply(out, a));
      }
      case FUSE_SETATTR: {
        if (!h.setattr) return -ENOSYS;
        return settle(this, op, h.setattr(req, ino, decodeSetattr(v, o)), (a) => this.attrReply(out, a));
      }
      case FUSE_READLINK: {
        if (!h.readlink) return -ENOSYS;
        return settle(this, op, h.readlink(req, ino), (target) => {
          const { read, written } = encoder.encodeInto(target, outBytes.subarray(0, capacity));
          return read! < target.length ? -ERANGE : written!;
        });
      }
      case FUSE_SYMLINK: {
        if (!h.symlink) return -ENOSYS;
        const [name, next] = req.stringAt(0);
        const [target] = req.stringAt(next);
        return settle(this, op, h.symlink(req, ino, name, target), (e) => this.entryReply(out, e));
      }
      case FUSE_MKNOD: {
        if (!h.mknod) return -ENOSYS;
        const [name] = req.stringAt(0);
        const r = h.mknod(req, ino, name, v.getUint32(o + fuse_mknod_in.mode, true),
          v.getUint32(o + fuse_mknod_in.rdev, true), v.getUint32(o + fuse_mknod_in.umask, true));
        return settle(this, op, r, (e) => this.entryReply(out, e));
      }
      case FUSE_MKDIR: {
        if (!h.mkdir) return -ENOSYS;
        const [name] = req.stringAt(0);
        const r = h.mkdir(req, ino, name, v.getUint32(o + fuse_mkdir_in.mode, true),
          v.getUint32(o + fuse_mkdir_in.umask, true));
        return settle(this, op, r, (e) => this.entryReply(out, e));
      }
      case FUSE_UNLINK: {
        if (!h.unlink) return -ENOSYS;
        const [name] = req.stringAt(0);
        return settle(this, op, h.unlink(req, ino, name), zero);
      }
      case FUSE_RMDIR: {
        if (!h.rmdir) return -ENOSYS;
        const [name] = req.stringAt(0);
        return settle(this, op, h.rmdir(req, ino, name), zero);
      }
      case FUSE_RENAME:
      case FUSE_RENAME2: {
        if (!h.rename) return -ENOSYS;
        const newdir = getU64(v, o + fuse_rename_in.newdir);
        const flags = op === FUSE_RENAME2 ? v.getUint32(o + fuse_rename2_in.flags, true) : 0;
        const [name, next] = req.stringAt(0);
        const [newName] = req.stringAt(next);
        return settle(this, op, h.rename(req, ino, name, newdir, newName, flags), zero);
      }
      case FUSE_LINK: {
        if (!h.link) return -ENOSYS;
        const [newName] = req.stringAt(0);
        const r = h.link(req, getU64(v, o + fuse_link_in.oldnodeid), ino, newName);
        return settle(this, op, r, (e) => this.entryReply(out, e));
      }
      case FUSE_OPEN:
      case FUSE_OPENDIR: {
        const flags = v.getUint32(o + fuse_open_in.flags, true);
        const fn = op === FUSE_OPEN ? h.open : h.opendir;
        if (!fn) return this.openReply(out, 0, undefined);
        return settle(this, op, fn.call(h, req, ino, flags), (r) => this.openReply(out, 0, r));
      }
      case FUSE_CREATE: {
        if (!h.create) return -ENOSYS;
        const [name] = req.stringAt(0);
        const r = h.create(req, ino, name, v.getUint32(o + fuse_create_in.mode, true),
          v.getUint32(o + fuse_create_in.umask, true), v.getUint32(o + fuse_create_in.flags, true));
        return settle(this, op, r, (c: CreateResult) => {
          this.writeEntry(out, 0, c.entry);
          return fuse_entry_out.SIZE + this.openReply(out, fuse_entry_out.SIZE, c.open);
        });
      }
      case FUSE_READ: {
        if (!h.read) return -ENOSYS;
        const size = Math.min(v.getUint32(o + fuse_read_in.size, true), capacity);
        const r = h.read(req, ino, getU64(v, o + fuse_read_in.fh), getU64(v, o + fuse_read_in.offset), size);
        return settle(this, op, r, (data) => {
          const n = Math.min(data.byteLength, size);
          outBytes.set(n === data.byteLength ? data : data.subarray(0, n));
          return n;
        });
      }
      case FUSE_WRITE: {
        if (!h.write) return -ENOSYS;
        const size = Math.min(v.getUint32(o + fuse_write_in.size, true), req.payLen);
        const data = req.payBytes.subarray(req.payOff, req.payOff + size);
        const r = h.write(req, ino, getU64(v, o + fuse_write_in.fh), getU64(v, o + fuse_write_in.offset), data,
          v.getUint32(o + fuse_write_in.flags, true));
        return settle(this, op, r, (n) => {
          out.setUint32(fuse_write_out.size, n, true);
          out.setUint32(fuse_write_out.padding, 0, true);
          return fuse_write_out.SIZE;
        });
      }
      case FUSE_STATFS: {
        if (!h.statfs) {
          return this.statfsReply(out, { blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, bsize: 512 });
        }
        return settle(this, op, h.statfs(req, ino), (s) => this.statfsReply(out, s));
      }
      case FUSE_RELEASE: {
        if (!h.release) return 0;
        const r = h.release(req, ino, getU64(v, o + fuse_release_in.fh), v.getUint32(o + fuse_release_in.flags, true));
        return settle(this, op, r, zero);
      }
      case FUSE_RELEASEDIR: {
        if (!h.releasedir) return 0;
        return settle(this, op, h.releasedir(req, ino, getU64(v, o + fuse_release_in.fh)), zero);
      }
      case FUSE_FLUSH: {
        if (!h.flush) return 0;
        const r = h.flush(req, ino, getU64(v, o + fuse_flush_in.fh), getU64(v, o + fuse_flush_in.lock_owner));
        return settle(this, op, r, zero);
      }
      case FUSE_FSYNC:
      case FUSE_FSYNCDIR: {
        const fn = op === FUSE_FSYNC ? h.fsync : h.fsyncdir;
        if (!fn) return 0;
        const datasync = (v.getUint32(o + fuse_fsync_in.fsync_flags, true) & FUSE_FSYNC_FDATASYNC) !== 0;
        return settle(this, op, fn.call(h, req, ino, getU64(v, o + fuse_fsync_in.fh), datasync), zero);
      }
      case FUSE_READDIR:
      case FUSE_READDIRPLUS: {
        const fn = op === FUSE_READDIR ? h.readdir : h.readdirplus;
        if (!fn) return -ENOSYS;
        let w = this.dirents.get(req);
        if (!w) this.dirents.set(req, w = new Dirents(this));
        const dirents = w;
        dirents.reset(out, outBytes, Math.min(v.getUint32(o + fuse_read_in.size, true), capacity));
        const r = fn.call(h, req, ino, getU64(v, o + fuse_read_in.fh), getU64(v, o + fuse_read_in.offset), dirents);
        return settle(this, op, r, () => dirents.used);
      }
      case FUSE_ACCESS: {
        if (!h.access) return 0;
        return settle(this, op, h.access(req, ino, v.getUint32(o + fuse_access_in.mask, true)), zero);
      }
      case FUSE_DESTROY:
        return 0;
      default:
        return -ENOSYS;
    }
  }
}

/** Whether a thrown value names its errno (a FuseError, or a `code` that is an errno name). */
function hasErrno(e: unknown): boolean {
  if (e instanceof FuseError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  try {
    errnoNumber(code);
    return true;
  } catch {
    return false;
  }
}

function zero(): number {
  return 0;
}

function timeOf(v: DataView, o: number, secAt: number, nsecAt: number): { sec: number; nsec: number } {
  return { sec: Number(v.getBigInt64(o + secAt, true)), nsec: v.getUint32(o + nsecAt, true) };
}

/** Decodes `struct fuse_setattr_in` into the changes it asks for. */
function decodeSetattr(v: DataView, o: number): SetattrChanges {
  const valid = v.getUint32(o + fuse_setattr_in.valid, true);
  const c: SetattrChanges = {};
  if (valid & FATTR_MODE) c.mode = v.getUint32(o + fuse_setattr_in.mode, true);
  if (valid & FATTR_UID) c.uid = v.getUint32(o + fuse_setattr_in.uid, true);
  if (valid & FATTR_GID) c.gid = v.getUint32(o + fuse_setattr_in.gid, true);
  if (valid & FATTR_SIZE) c.size = getU64(v, o + fuse_setattr_in.size);
  if (valid & FATTR_ATIME) {
    c.atime = valid & FATTR_ATIME_NOW ? "now" : timeOf(v, o, fuse_setattr_in.atime, fuse_setattr_in.atimensec);
  }
  if (valid & FATTR_MTIME) {
    c.mtime = valid & FATTR_MTIME_NOW ? "now" : timeOf(v, o, fuse_setattr_in.mtime, fuse_setattr_in.mtimensec);
  }
  if (valid & FATTR_CTIME) c.ctime = timeOf(v, o, fuse_setattr_in.ctime, fuse_setattr_in.ctimensec);
  if (valid & FATTR_FH) c.fh = getU64(v, o + fuse_setattr_in.fh);
  return c;
}
