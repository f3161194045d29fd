/**
 * System calls as the epoll backend's handlers make them: results as a CQE's `res` (the count, or `-errno`), a call
 * made non-blocking for one attempt on a descriptor that may be in blocking mode, and what kind of file a
 * descriptor is (which decides how a read or write is made).
 *
 * @module
 */
import { syscalls } from "../../ffi/syscalls.ts";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFMT, S_IFREG, S_IFSOCK } from "../abi/structs.ts";

const F_GETFL = 3;
const F_SETFL = 4;
export const O_NONBLOCK = 0x800;
const AT_EMPTY_PATH = 0x1000;
const STATX_TYPE = 1;
/** preadv2/pwritev2: fail with EAGAIN instead of waiting (data not cached, pipe empty or full). */
export const RWF_NOWAIT = 0x8;

/** `r` as a CQE result: itself when not negative, else `-errno` (read at once, before another call clobbers it). */
export function res(r: number): number {
  return r >= 0 ? r : -syscalls().errno();
}

/**
 * Makes `call` once with `fd` in non-blocking mode (O_NONBLOCK set for the call and cleared after, when it was not
 * set): for the calls that take no per-call flag (accept4, connect, read on a pipe without RWF_NOWAIT). The flag
 * belongs to the open file, which other descriptors and processes may share; it is set only around one call so
 * that nothing outside sees a descriptor that stays non-blocking (as a terminal left O_NONBLOCK would).
 */
export function nonblocking(fd: number, call: () => number): number {
  const s = syscalls();
  const fl = s.fcntl(fd, F_GETFL, 0);
  if (fl < 0) return -s.errno();
  if (fl & O_NONBLOCK) return res(call());
  if (s.fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -s.errno();
  const r = res(call());
  s.fcntl(fd, F_SETFL, fl);
  return r;
}

/** How a descriptor's reads and writes are made. */
export const enum FileKind {
  /** Regular files, directories, block devices: never "not ready", but may block on storage: the pool. */
  File = 1,
  /** Sockets: recv/send with MSG_DONTWAIT. */
  Socket = 2,
  /** Pipes, FIFOs, eventfds, other anonymous inodes: RWF_NOWAIT (or a non-blocking call), epoll on EAGAIN. */
  Stream = 3,
  /** Character devices (terminals, /dev/zero): as streams, but they may honour an offset. */
  Device = 4,
}

/**
 * The kinds of descriptors seen, by number: a statx per descriptor, not per request. A request of this ring that
 * closes a descriptor forgets it; a number reused behind the ring's back can be misjudged, and each misjudgement
 * corrects itself (a socket call on a pipe fails with ENOTSOCK, a poll of a regular file with EPERM: both forget).
 */
export class FileKinds {
  private readonly kinds = new Map<number, FileKind>();
  private readonly path = new Uint8Array(1);
  private readonly stx = new Uint8Array(256);
  private readonly view = new DataView(this.stx.buffer);

  /** The kind of `fd`, or `-errno` (EBADF) when statx refuses it. */
  of(fd: number): FileKind | number {
    const known = this.kinds.get(fd);
    if (known !== undefined) return known;
    const s = syscalls();
    if (s.statx(fd, this.path, AT_EMPTY_PATH, STATX_TYPE, this.stx) < 0) return -s.errno();
    const type = this.view.getUint16(28, true) & S_IFMT; // stx_mode
    const kind = type === S_IFREG || type === S_IFDIR || type === S_IFBLK
      ? FileKind.File
      : type === S_IFSOCK
      ? FileKind.Socket
      : type === S_IFCHR
      ? FileKind.Device
      : FileKind.Stream;
    this.kinds.set(fd, kind);
    return kind;
  }

  /** Forgets `fd` (closed, or found to be something else). */
  forget(fd: number): void {
    this.kinds.delete(fd);
  }
}
