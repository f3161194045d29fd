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
import { E2BIG, EINTR, EINVAL, EIO, EILSEQ, ENOENT, ENOSYS, ERANGE, errnoNumber } from "../abi/errno.ts";
import { getU64, putU64, TWO_32 } from "../abi/_u64.ts";
import { refuse } from "../core/errors.ts";
import {
  FUSE_ACCESS,
  FUSE_BATCH_FORGET,
  FUSE_COPY_FILE_RANGE,
  FUSE_COPY_FILE_RANGE_64,
  FUSE_CREATE,
  FUSE_DESTROY,
  FUSE_FALLOCATE,
  FUSE_FLUSH,
  FUSE_FORGET,
  FUSE_FSYNC,
  FUSE_FSYNC_FDATASYNC,
  FUSE_FSYNCDIR,
  FUSE_GETATTR,
  FUSE_GETATTR_FH,
  FUSE_GETLK,
  FUSE_GETXATTR,
  FUSE_INTERRUPT,
  FUSE_LINK,
  FUSE_LISTXATTR,
  FUSE_LK_FLOCK,
  FUSE_LOOKUP,
  FUSE_LSEEK,
  FUSE_MKDIR,
  FUSE_MKNOD,
  FUSE_OPEN,
  FUSE_OPENDIR,
  FUSE_READ,
  FUSE_READDIR,
  FUSE_READDIRPLUS,
  FUSE_READLINK,
  FUSE_RELEASE,
  FUSE_RELEASE_FLOCK_UNLOCK,
  FUSE_RELEASEDIR,
  FUSE_REMOVEXATTR,
  FUSE_RENAME,
  FUSE_RENAME2,
  FUSE_RMDIR,
  FUSE_SETATTR,
  FUSE_SETLK,
  FUSE_SETLKW,
  FUSE_SETXATTR,
  FUSE_STATFS,
  FUSE_SYMLINK,
  FUSE_UNLINK,
  FUSE_WRITE,
  FATTR_ATIME,
  FATTR_ATIME_NOW,
  FATTR_CTIME,
  FATTR_FH,
  FATTR_GID,
  FATTR_KILL_SUIDGID,
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
  fuse_copy_file_range_in,
  fuse_copy_file_range_out,
  fuse_create_in,
  fuse_entry_out,
  fuse_fallocate_in,
  fuse_file_lock,
  fuse_flush_in,
  fuse_forget_in,
  fuse_forget_one,
  fuse_fsync_in,
  fuse_getattr_in,
  fuse_getxattr_in,
  fuse_getxattr_out,
  fuse_interrupt_in,
  fuse_kstatfs,
  fuse_link_in,
  fuse_lk_in,
  fuse_lk_out,
  fuse_lseek_in,
  fuse_lseek_out,
  fuse_mkdir_in,
  fuse_mknod_in,
  fuse_open_in,
  fuse_open_out,
  fuse_read_in,
  fuse_release_in,
  fuse_rename2_in,
  fuse_rename_in,
  fuse_setattr_in,
  fuse_setxattr_in,
  fuse_write_in,
  fuse_write_out,
} from "./abi.ts";
import {
  type Attr,
  type CreateResult,
  type Entry,
  errnoOf,
  F_RDLCK,
  F_UNLCK,
  F_WRLCK,
  type FileLock,
  FuseError,
  type FuseHandlers,
  LOCK_EX,
  LOCK_SH,
  LOCK_TO_EOF,
  LOCK_UN,
  type NameEncoding,
  type NameFor,
  type OpenResult,
  type RequestContext,
  type SetattrChanges,
  type Statfs,
} from "./handlers.ts";
import { Dirents } from "./_dirents.ts";
import { Interrupts, type ResendInterrupt } from "./_interrupts.ts";
import { checkName, decodeName, encodeNameInto, nameBytes } from "./_names.ts";

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
  /** Whether the kernel interrupted this request (FUSE_INTERRUPT named it). */
  interrupted = false;
  private controller: AbortController | null = null;

  /**
   * Aborted when the kernel interrupts the request. Made on first use: a request whose handler never looks costs
   * no AbortController.
   */
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /**
   * Marks the request interrupted and aborts its signal with a `FuseError("EINTR")` (what the dispatcher does
   * when a FUSE_INTERRUPT names it).
   *
   * @example
   * ```ts
   * const req = new FuseRequest();
   * req.interrupt();
   * console.log(req.signal.aborted, req.interrupted); // true true
   * ```
   */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    (this.controller ??= new AbortController()).abort(new FuseError("EINTR", "interrupted by the kernel"));
  }

  /**
   * Fills the header fields from a `fuse_in_header` at `off` of `v`: a new request, not interrupted.
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
    this.interrupted = false;
    this.controller = null;
  }

  /**
   * The NUL-terminated name at byte `at` of the payload, as a view of the request's bytes without the NUL, and
   * where the next one starts; undefined when no NUL ends it within the payload.
   *
   * @example
   * ```ts
   * declare const req: FuseRequest; // a FUSE_RENAME request
   *
   * const [oldName, next] = req.bytesAt(0)!; // old name, then new name
   * const [newName] = req.bytesAt(next)!;
   * ```
   */
  bytesAt(at: number): [Uint8Array, number] | undefined {
    const bytes = this.payBytes;
    const start = this.payOff + at;
    const end = this.payOff + this.payLen;
    const nul = start <= end ? bytes.subarray(start, end).indexOf(0) : -1;
    if (nul < 0) return undefined;
    return [bytes.subarray(start, start + nul), at + nul + 1];
  }
}

/**
 * Cache timeouts used when a handler's reply does not give its own, and how names reach the handlers.
 *
 * @example
 * ```ts
 * import type { FuseHandlers } from "ringside-uring/fuse";
 * declare const handlers: FuseHandlers<Uint8Array>;
 *
 * new Dispatcher(handlers, { names: "bytes", entryTimeout: 10, attrTimeout: 10, onError: (e) => console.error(e) });
 * ```
 */
export interface DispatchOptions<M extends NameEncoding = NameEncoding> {
  /**
   * `"string"` (default): names and symlink targets reach the handlers decoded as strict UTF-8 (a name that is
   * not answers EILSEQ, or ENOENT for LOOKUP, without calling a handler); `"bytes"`: as the kernel's bytes, for
   * `FuseHandlers<Uint8Array>`.
   */
  names?: M | undefined;
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

/** A name or target as the handlers get it. */
type Name = string | Uint8Array;

/** What `settle` needs of the dispatcher. */
interface Settler {
  readonly interrupts: Interrupts;
  failure(e: unknown, req: FuseRequest): number;
}

/**
 * Calls `enc` on a value or on what a promise resolves to; a rejection becomes `-errno`. A handler that went
 * asynchronous can be interrupted until it settles.
 */
function settle<T>(d: Settler, req: FuseRequest, r: T | Promise<T>, enc: (v: T) => number):
  number | Promise<number> {
  if (!(r instanceof Promise)) return enc(r);
  const key = d.interrupts.started(req);
  return r.then((v) => {
    d.interrupts.finished(key);
    return enc(v);
  }, (e) => {
    d.interrupts.finished(key);
    return -d.failure(e, req);
  });
}

/** A lock offset as a number: the kernel's OFFSET_MAX (and anything else past 2^53 - 1) is LOCK_TO_EOF. */
function getLockOffset(v: DataView, at: number): number {
  const hi = v.getUint32(at + 4, true);
  if (hi >= 0x200000) return LOCK_TO_EOF;
  return Math.min(v.getUint32(at, true) + hi * TWO_32, LOCK_TO_EOF);
}

/**
 * Writes a lock offset; LOCK_TO_EOF and above become the kernel's OFFSET_MAX, the largest it accepts
 * (fs/fuse/file.c convert_fuse_file_lock).
 */
function putLockOffset(v: DataView, at: number, n: number): void {
  if (n >= LOCK_TO_EOF) {
    v.setUint32(at, 0xffffffff, true);
    v.setUint32(at + 4, 0x7fffffff, true);
  } else {
    putU64(v, at, n);
  }
}

function readLock(v: DataView, at: number): FileLock {
  return {
    start: getLockOffset(v, at + fuse_file_lock.start),
    end: getLockOffset(v, at + fuse_file_lock.end),
    type: v.getUint32(at + fuse_file_lock.type, true),
    pid: v.getUint32(at + fuse_file_lock.pid, true),
  };
}

/** A non-negative safe integer a handler answered (an offset, a count), or a refusal (EIO for the caller). */
function count(n: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > max) {
    refuse(`answer ${what}`, `the handler answered ${String(n)}, not an integer from 0 to ${max}`);
  }
  return n;
}

/**
 * Decodes requests, calls the handlers and encodes replies. One per server; stateless between requests except for
 * the per-slot scratch it is given and the requests whose handlers run (for FUSE_INTERRUPT).
 *
 * `M` is the `names` mode: `new Dispatcher(handlers, { names: "bytes" })` takes `FuseHandlers<Uint8Array>`, and
 * without it, `FuseHandlers<string>`.
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
 *
 * const raw = new Dispatcher({ unlink: (_ctx, _parent, name: Uint8Array) => console.log(name) }, { names: "bytes" });
 * ```
 */
export class Dispatcher<M extends NameEncoding = "string"> {
  /** The filesystem. */
  readonly handlers: FuseHandlers<NameFor<M>>;
  /** How names reach the handlers. */
  readonly names: M;
  /** @internal The requests whose handlers run, and INTERRUPTs waiting for their request. */
  readonly interrupts: Interrupts = new Interrupts();
  private readonly h: FuseHandlers<Name>;
  private readonly bytes: boolean;
  private readonly entryValid: [number, number];
  private readonly attrValid: [number, number];
  private readonly onError: ((error: unknown, opcode: number) => void) | undefined;
  private readonly dirents = new WeakMap<FuseRequest, Dirents>();
  private readonly writeEntryFn = (v: DataView, off: number, e: Entry) => this.writeEntry(v, off, e);

  /**
   * @param handlers The filesystem's operations.
   * @param options Default cache timeouts, the names mode and an error hook.
   */
  constructor(handlers: FuseHandlers<NameFor<M>>, options: DispatchOptions<M> = {}) {
    const names = options.names ?? "string";
    if (names !== "string" && names !== "bytes") {
      refuse("serve FUSE", `names must be "string" or "bytes", got ${JSON.stringify(names)}`);
    }
    this.handlers = handlers;
    this.h = handlers as FuseHandlers<Name>;
    this.names = names as M;
    this.bytes = names === "bytes";
    this.entryValid = splitSeconds(options.entryTimeout ?? 1);
    this.attrValid = splitSeconds(options.attrTimeout ?? 1);
    this.onError = options.onError;
  }

  /**
   * How INTERRUPTs that came before their request and still match none are answered EAGAIN (so that the kernel
   * sends them again): the transport writes a bare `fuse_out_header` with error -EAGAIN and the INTERRUPT's own
   * unique ID to /dev/fuse. Unset: such INTERRUPTs are dropped.
   *
   * @example
   * ```ts
   * declare const d: Dispatcher;
   * d.resendInterrupt = (lo, hi) => console.log(`EAGAIN for INTERRUPT ${hi * 2 ** 32 + lo}`);
   * ```
   */
  set resendInterrupt(fn: ((uniqueLo: number, uniqueHi: number) => void) | undefined) {
    this.interrupts.resend = fn as ResendInterrupt | undefined;
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
   * The errno a handler failure of `req` becomes: as {@link Dispatcher.errnoOf}, and EINTR for an AbortError when
   * the kernel interrupted the request.
   *
   * @example
   * ```ts
   * const d = new Dispatcher({});
   * const req = new FuseRequest();
   * req.interrupt();
   * console.log(d.failure(new DOMException("gave up", "AbortError"), req)); // 4 (EINTR)
   * ```
   */
  failure(e: unknown, req: FuseRequest): number {
    if (req.interrupted && (e as { name?: unknown } | null)?.name === "AbortError") return EINTR;
    return this.errnoOf(e, req.opcode);
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

  /** The answer to a size-only GETXATTR / LISTXATTR (`size` 0), or ERANGE / E2BIG, or the bytes copied. */
  private xattrReply(out: DataView, outBytes: Uint8Array, capacity: number, asked: number, data: Uint8Array):
    number {
    if (asked === 0) {
      out.setUint32(fuse_getxattr_out.size, data.byteLength, true);
      out.setUint32(fuse_getxattr_out.padding, 0, true);
      return fuse_getxattr_out.SIZE;
    }
    if (data.byteLength > asked) return -ERANGE;
    if (data.byteLength > capacity) return -E2BIG;
    outBytes.set(data);
    return data.byteLength;
  }

  /**
   * The `count` NUL-terminated names at the start of the payload, in the handlers' type; a number is the
   * negative errno to answer instead (EILSEQ for a name that is not UTF-8 in string mode, ENOENT for LOOKUP's;
   * EINVAL when a NUL is missing, which the kernel never does).
   */
  private readNames(req: FuseRequest, count: number): Name[] | number {
    const out: Name[] = [];
    let at = 0;
    for (let k = 0; k < count; k++) {
      const r = req.bytesAt(at);
      if (!r) return -EINVAL;
      if (this.bytes) {
        out.push(r[0].slice());
      } else {
        const s = decodeName(r[0]);
        if (s === undefined) return req.opcode === FUSE_LOOKUP ? -ENOENT : -EILSEQ;
        out.push(s);
      }
      at = r[1];
    }
    return out;
  }

  /**
   * Handles one request (not INIT, which the server negotiates itself): calls the handler and encodes its reply at
   * the start of `out` / `outBytes` (the reply payload area, `capacity` bytes). Returns the payload length, a
   * negative errno, or {@link NO_REPLY}, now or as a promise when the handler is asynchronous. FUSE_INTERRUPT
   * aborts the `signal` of the request it names while that request's handler runs.
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
      return -this.failure(e, req);
    }
  }

  private call(req: FuseRequest, out: DataView, outBytes: Uint8Array, capacity: number): number | Promise<number> {
    const h = this.h;
    const op = req.opcode;
    const v = req.opView;
    const o = req.opOff;
    const ino = req.nodeid;
    if (op !== FUSE_INTERRUPT && op !== FUSE_FORGET && op !== FUSE_BATCH_FORGET) this.interrupts.arrived(req);
    switch (op) {
      case FUSE_LOOKUP: {
        if (!h.lookup) return -ENOSYS;
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        return settle(this, req, h.lookup(req, ino, n[0]!), (e) => this.entryReply(out, e));
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
        // No reply: the interrupted request still gets its own (fs/fuse/dev.c request_wait_answer waits for it).
        this.interrupts.interrupt(v.getUint32(o + fuse_interrupt_in.unique, true),
          v.getUint32(o + fuse_interrupt_in.unique + 4, true), req.uniqueLo, req.uniqueHi);
        return NO_REPLY;
      case FUSE_GETATTR: {
        if (!h.getattr) return -ENOSYS;
        const flags = v.getUint32(o + fuse_getattr_in.getattr_flags, true);
        const fh = flags & FUSE_GETATTR_FH ? getU64(v, o + fuse_getattr_in.fh) : undefined;
        return settle(this, req, h.getattr(req, ino, fh), (a) => this.attrReply(out, a));
      }
      case FUSE_SETATTR: {
        if (!h.setattr) return -ENOSYS;
        return settle(this, req, h.setattr(req, ino, decodeSetattr(v, o)), (a) => this.attrReply(out, a));
      }
      case FUSE_READLINK: {
        if (!h.readlink) return -ENOSYS;
        return settle(this, req, h.readlink(req, ino), (target) => {
          const n = encodeNameInto(target, outBytes.subarray(0, capacity));
          if (n < 0) return -ERANGE;
          // The kernel ends the target at its length; a NUL inside would cut it short.
          if (outBytes.subarray(0, n).includes(0)) refuse("answer READLINK", "the target holds NUL");
          return n;
        });
      }
      case FUSE_SYMLINK: {
        if (!h.symlink) return -ENOSYS;
        const n = this.readNames(req, 2);
        if (typeof n === "number") return n;
        return settle(this, req, h.symlink(req, ino, n[0]!, n[1]!), (e) => this.entryReply(out, e));
      }
      case FUSE_MKNOD: {
        if (!h.mknod) return -ENOSYS;
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        const r = h.mknod(req, ino, n[0]!, v.getUint32(o + fuse_mknod_in.mode, true),
          v.getUint32(o + fuse_mknod_in.rdev, true), v.getUint32(o + fuse_mknod_in.umask, true));
        return settle(this, req, r, (e) => this.entryReply(out, e));
      }
      case FUSE_MKDIR: {
        if (!h.mkdir) return -ENOSYS;
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        const r = h.mkdir(req, ino, n[0]!, v.getUint32(o + fuse_mkdir_in.mode, true),
          v.getUint32(o + fuse_mkdir_in.umask, true));
        return settle(this, req, r, (e) => this.entryReply(out, e));
      }
      case FUSE_UNLINK: {
        if (!h.unlink) return -ENOSYS;
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        return settle(this, req, h.unlink(req, ino, n[0]!), zero);
      }
      case FUSE_RMDIR: {
        if (!h.rmdir) return -ENOSYS;
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        return settle(this, req, h.rmdir(req, ino, n[0]!), zero);
      }
      case FUSE_RENAME:
      case FUSE_RENAME2: {
        if (!h.rename) return -ENOSYS;
        const newdir = getU64(v, o + fuse_rename_in.newdir);
        const flags = op === FUSE_RENAME2 ? v.getUint32(o + fuse_rename2_in.flags, true) : 0;
        const n = this.readNames(req, 2);
        if (typeof n === "number") return n;
        return settle(this, req, h.rename(req, ino, n[0]!, newdir, n[1]!, flags), zero);
      }
      case FUSE_LINK: {
        if (!h.link) return -ENOSYS;
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        const r = h.link(req, getU64(v, o + fuse_link_in.oldnodeid), ino, n[0]!);
        return settle(this, req, r, (e) => this.entryReply(out, e));
      }
      case FUSE_OPEN:
      case FUSE_OPENDIR: {
        const flags = v.getUint32(o + fuse_open_in.flags, true);
        const r = op === FUSE_OPEN
          ? h.open?.(req, ino, flags, v.getUint32(o + fuse_open_in.open_flags, true))
          : h.opendir?.(req, ino, flags);
        return settle(this, req, r, (r) => this.openReply(out, 0, r));
      }
      case FUSE_CREATE: {
        if (!h.create) return -ENOSYS;
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        const r = h.create(req, ino, n[0]!, v.getUint32(o + fuse_create_in.mode, true),
          v.getUint32(o + fuse_create_in.umask, true), v.getUint32(o + fuse_create_in.flags, true),
          v.getUint32(o + fuse_create_in.open_flags, true));
        return settle(this, req, r, (c: CreateResult) => {
          this.writeEntry(out, 0, c.entry);
          return fuse_entry_out.SIZE + this.openReply(out, fuse_entry_out.SIZE, c.open);
        });
      }
      case FUSE_READ: {
        if (!h.read) return -ENOSYS;
        const size = Math.min(v.getUint32(o + fuse_read_in.size, true), capacity);
        const r = h.read(req, ino, getU64(v, o + fuse_read_in.fh), getU64(v, o + fuse_read_in.offset), size);
        return settle(this, req, r, (data) => {
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
          v.getUint32(o + fuse_write_in.flags, true), v.getUint32(o + fuse_write_in.write_flags, true));
        return settle(this, req, r, (n) => {
          // At most what was handed over (fs/fuse/file.c fuse_send_write and fuse_send_write_pages take more as
          // EIO); something that is not a count would reach the caller as 0 bytes written, which loops retry forever.
          out.setUint32(fuse_write_out.size, count(n, "WRITE", size), true);
          out.setUint32(fuse_write_out.padding, 0, true);
          return fuse_write_out.SIZE;
        });
      }
      case FUSE_STATFS: {
        if (!h.statfs) {
          return this.statfsReply(out, { blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, bsize: 512 });
        }
        return settle(this, req, h.statfs(req, ino), (s) => this.statfsReply(out, s));
      }
      case FUSE_RELEASE: {
        if (!h.release) return 0;
        // The kernel drops flock locks at the last close by asking here (fs/fuse/file.c fuse_file_release).
        const owner = v.getUint32(o + fuse_release_in.release_flags, true) & FUSE_RELEASE_FLOCK_UNLOCK
          ? v.getBigUint64(o + fuse_release_in.lock_owner, true)
          : undefined;
        const r = h.release(req, ino, getU64(v, o + fuse_release_in.fh), v.getUint32(o + fuse_release_in.flags, true),
          owner);
        return settle(this, req, r, zero);
      }
      case FUSE_RELEASEDIR: {
        if (!h.releasedir) return 0;
        return settle(this, req, h.releasedir(req, ino, getU64(v, o + fuse_release_in.fh)), zero);
      }
      case FUSE_FLUSH: {
        if (!h.flush) return 0;
        const owner = v.getBigUint64(o + fuse_flush_in.lock_owner, true);
        const r = h.flush(req, ino, getU64(v, o + fuse_flush_in.fh), owner);
        return settle(this, req, r, zero);
      }
      case FUSE_FSYNC:
      case FUSE_FSYNCDIR: {
        const fn = op === FUSE_FSYNC ? h.fsync : h.fsyncdir;
        if (!fn) return 0;
        const datasync = (v.getUint32(o + fuse_fsync_in.fsync_flags, true) & FUSE_FSYNC_FDATASYNC) !== 0;
        return settle(this, req, fn.call(h, req, ino, getU64(v, o + fuse_fsync_in.fh), datasync), zero);
      }
      case FUSE_READDIR:
      case FUSE_READDIRPLUS: {
        const fn = op === FUSE_READDIR ? h.readdir : h.readdirplus;
        if (!fn) return -ENOSYS;
        let w = this.dirents.get(req);
        if (!w) this.dirents.set(req, w = new Dirents(this.writeEntryFn));
        const dirents = w;
        dirents.reset(out, outBytes, Math.min(v.getUint32(o + fuse_read_in.size, true), capacity));
        const r = fn.call(h, req, ino, getU64(v, o + fuse_read_in.fh), getU64(v, o + fuse_read_in.offset), dirents);
        return settle(this, req, r, () => dirents.used);
      }
      case FUSE_ACCESS: {
        if (!h.access) return 0;
        return settle(this, req, h.access(req, ino, v.getUint32(o + fuse_access_in.mask, true)), zero);
      }
      case FUSE_SETXATTR: {
        if (!h.setxattr) return -ENOSYS;
        // The compat fuse_setxattr_in (FUSE_SETXATTR_EXT is never asked for), then the name, then the value.
        const size = v.getUint32(o + fuse_setxattr_in.size, true);
        const flags = v.getUint32(o + fuse_setxattr_in.flags, true);
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        const at = req.bytesAt(0)![1];
        if (at + size > req.payLen) return -EINVAL;
        const value = req.payBytes.slice(req.payOff + at, req.payOff + at + size);
        return settle(this, req, h.setxattr(req, ino, n[0]!, value, flags), zero);
      }
      case FUSE_GETXATTR: {
        if (!h.getxattr) return -ENOSYS;
        const asked = v.getUint32(o + fuse_getxattr_in.size, true);
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        return settle(this, req, h.getxattr(req, ino, n[0]!),
          (value) => this.xattrReply(out, outBytes, capacity, asked, value));
      }
      case FUSE_LISTXATTR: {
        if (!h.listxattr) return -ENOSYS;
        const asked = v.getUint32(o + fuse_getxattr_in.size, true);
        return settle(this, req, h.listxattr(req, ino), (list) => {
          const parts = list.map((name) => {
            const b = nameBytes(name);
            checkName(b, "an xattr name", false, 255);
            return b;
          });
          const data = new Uint8Array(parts.reduce((sum, b) => sum + b.byteLength + 1, 0));
          let at = 0;
          for (const b of parts) {
            data.set(b, at);
            at += b.byteLength + 1;
          }
          return this.xattrReply(out, outBytes, capacity, asked, data);
        });
      }
      case FUSE_REMOVEXATTR: {
        if (!h.removexattr) return -ENOSYS;
        const n = this.readNames(req, 1);
        if (typeof n === "number") return n;
        return settle(this, req, h.removexattr(req, ino, n[0]!), zero);
      }
      case FUSE_GETLK: {
        if (!h.getlk) return -ENOSYS;
        const fh = getU64(v, o + fuse_lk_in.fh);
        const owner = v.getBigUint64(o + fuse_lk_in.owner, true);
        return settle(this, req, h.getlk(req, ino, fh, owner, readLock(v, o + fuse_lk_in.lk)), (lk) => {
          const at = fuse_lk_out.lk;
          const type = lk.type;
          if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) {
            refuse("answer GETLK", `the lock type is ${String(type)}, not F_RDLCK, F_WRLCK or F_UNLCK`);
          }
          const none = type === F_UNLCK;
          putLockOffset(out, at + fuse_file_lock.start, none ? 0 : count(lk.start, "GETLK's start"));
          putLockOffset(out, at + fuse_file_lock.end, none ? 0 : count(lk.end, "GETLK's end"));
          out.setUint32(at + fuse_file_lock.type, type, true);
          out.setUint32(at + fuse_file_lock.pid, none ? 0 : count(lk.pid, "GETLK's pid", 0x7fffffff), true);
          return fuse_lk_out.SIZE;
        });
      }
      case FUSE_SETLK:
      case FUSE_SETLKW: {
        const fh = getU64(v, o + fuse_lk_in.fh);
        const owner = v.getBigUint64(o + fuse_lk_in.owner, true);
        const lock = readLock(v, o + fuse_lk_in.lk);
        const wait = op === FUSE_SETLKW;
        if (v.getUint32(o + fuse_lk_in.lk_flags, true) & FUSE_LK_FLOCK) {
          // flock(2) travels as a whole-file POSIX-style lock (fs/fuse/file.c fuse_file_flock, fuse_lk_fill).
          if (!h.flock) return -ENOSYS;
          const lockOp = lock.type === F_RDLCK ? LOCK_SH : lock.type === F_WRLCK ? LOCK_EX : LOCK_UN;
          return settle(this, req, h.flock(req, ino, fh, owner, lockOp, wait), zero);
        }
        if (!h.setlk) return -ENOSYS;
        return settle(this, req, h.setlk(req, ino, fh, owner, lock, wait), zero);
      }
      case FUSE_FALLOCATE: {
        if (!h.fallocate) return -ENOSYS;
        const r = h.fallocate(req, ino, getU64(v, o + fuse_fallocate_in.fh), getU64(v, o + fuse_fallocate_in.offset),
          getU64(v, o + fuse_fallocate_in.length), v.getUint32(o + fuse_fallocate_in.mode, true));
        return settle(this, req, r, zero);
      }
      case FUSE_LSEEK: {
        if (!h.lseek) return -ENOSYS;
        const r = h.lseek(req, ino, getU64(v, o + fuse_lseek_in.fh), getU64(v, o + fuse_lseek_in.offset),
          v.getUint32(o + fuse_lseek_in.whence, true));
        return settle(this, req, r, (offset) => {
          putU64(out, fuse_lseek_out.offset, count(offset, "LSEEK"));
          return fuse_lseek_out.SIZE;
        });
      }
      case FUSE_COPY_FILE_RANGE:
      case FUSE_COPY_FILE_RANGE_64: {
        if (!h.copyFileRange) return -ENOSYS;
        const c = fuse_copy_file_range_in;
        const length = getU64(v, o + c.len);
        const r = h.copyFileRange(req, ino, getU64(v, o + c.fh_in), getU64(v, o + c.off_in),
          getU64(v, o + c.nodeid_out), getU64(v, o + c.fh_out), getU64(v, o + c.off_out), length,
          getU64(v, o + c.flags));
        return settle(this, req, r, (copied) => {
          // The legacy reply is a fuse_write_out, whose count is 32 bits (the kernel asks for less then).
          const max = op === FUSE_COPY_FILE_RANGE ? Math.min(length, 0xffffffff) : length;
          const n = count(copied, "COPY_FILE_RANGE", max);
          if (op === FUSE_COPY_FILE_RANGE_64) {
            putU64(out, fuse_copy_file_range_out.bytes_copied, n);
            return fuse_copy_file_range_out.SIZE;
          }
          out.setUint32(fuse_write_out.size, n, true);
          out.setUint32(fuse_write_out.padding, 0, true);
          return fuse_write_out.SIZE;
        });
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
  if (valid & FATTR_KILL_SUIDGID) c.killSuidgid = true;
  return c;
}
