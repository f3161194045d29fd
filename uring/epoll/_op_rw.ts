/**
 * The epoll backend's reads and writes (READ, WRITE, READV, WRITEV, READ_MULTISHOT, SPLICE, TEE), made the way the
 * kind of file needs (io_uring/rw.c tries with IOCB_NOWAIT first and punts to io-wq; this does the same with
 * RWF_NOWAIT and a pool thread):
 * - Regular files and block devices cannot be polled and "ready" means nothing for them: a read is tried once with
 *   RWF_NOWAIT (served from the page cache without blocking), and what that cannot finish goes to a pool thread,
 *   which blocks on storage instead of the JavaScript thread. Writes likewise. A short read of a regular file goes
 *   on until end of file, as the kernel's does (need_complete_io).
 * - Sockets: recv/send (recvmsg/sendmsg for vectors) with MSG_DONTWAIT, epoll on EAGAIN.
 * - Pipes, FIFOs, eventfds, terminals: preadv2/pwritev2 with RWF_NOWAIT, or where the file does not take it
 *   (EOPNOTSUPP: no FMODE_NOWAIT) the plain call made non-blocking for the attempt; epoll on EAGAIN. Their offset is
 *   ignored, as the kernel ignores it for stream files.
 * SPLICE and TEE always run on a pool thread, as io_uring always punts them to io-wq.
 *
 * @module
 */
import { syscalls } from "../../ffi/syscalls.ts";
import { EAGAIN, EBADFD, EINVAL, ENOBUFS, ENOTSOCK, EOPNOTSUPP, ESPIPE } from "../abi/errno.ts";
import {
  IORING_OP_READ,
  IORING_OP_READ_MULTISHOT,
  IORING_OP_READV,
  IORING_OP_SPLICE,
  IORING_OP_TEE,
  IORING_OP_WRITE,
  IORING_OP_WRITEV,
  IOSQE_BUFFER_SELECT,
} from "../abi/uapi.ts";
import { MSG_DONTWAIT } from "../abi/sockaddr.ts";
import { MSGHDR } from "../abi/structs.ts";
import { TWO_32 } from "../abi/_u64.ts";
import type { Engine, Handler } from "./_engine.ts";
import { NOT_POLLABLE, type Req, ReqState } from "./_request.ts";
import { EPOLLIN, EPOLLOUT } from "./_readiness.ts";
import { FileKind, nonblocking, res, RWF_NOWAIT } from "./_sys.ts";
import type { Picked } from "./_buffer_groups.ts";
import { MULTISHOT_MAX } from "./_op_net.ts";

const AT_MSGHDR = 0;
const AT_IOVEC = 64;
const SPLICE_FLAGS = 0xf; // SPLICE_F_MOVE | NONBLOCK | MORE | GIFT
const SPLICE_F_FD_IN_FIXED = 1 << 31;

function putU64(v: DataView, at: number, n: number): void {
  const lo = n >>> 0;
  v.setUint32(at, lo, true);
  v.setUint32(at + 4, (n - lo) / TWO_32, true);
}

/** One iovec {addr, len} in the scratch area, for a call made now; returns its address. */
function iovNow(e: Engine, addr: number, len: number): number {
  putU64(e.scratch.nowView, AT_IOVEC, addr);
  putU64(e.scratch.nowView, AT_IOVEC + 8, len);
  return e.scratch.now.address + AT_IOVEC;
}

/** One iovec in a chunk `r` holds until it ends (a pool thread reads it); returns its address. */
function iovHeld(e: Engine, r: Req, addr: number, len: number): number {
  if (r.scratch < 0) r.scratch = e.scratch.take();
  const v = e.scratch.view(r.scratch);
  putU64(v, 0, addr);
  putU64(v, 8, len);
  return e.scratch.address(r.scratch);
}

/** The bytes an iovec array of `cnt` entries at `addr` covers (what the kernel compares a result with). */
function iovTotal(e: Engine, addr: number, cnt: number): number {
  let total = 0;
  for (let i = 0; i < cnt; i += 16) {
    const n = Math.min(16, cnt - i);
    const v = e.scratch.peek(addr + i * 16, n * 16);
    for (let j = 0; j < n; j++) total += Number(v.getBigUint64(j * 16 + 8, true));
  }
  return total;
}

/** The kind of `r.fd`, or completes `r` with the error (EBADF) and returns undefined. */
function kindOf(e: Engine, r: Req): FileKind | undefined {
  const k = e.kinds.of(r.fd);
  if (k < 0) {
    e.complete(r, k);
    return undefined;
  }
  return k as FileKind;
}

/** READ and WRITE (and their vectored forms, `vectored`: `addr` is an iovec array of `len` entries). */
function rw(write: boolean, vectored: boolean): Handler {
  return (e, r) => {
    // io_uring/rw.c io_prep_rw: buf_index is the buffer group with IOSQE_BUFFER_SELECT and must be 0 otherwise.
    const select = (r.sqeFlags & IOSQE_BUFFER_SELECT) !== 0;
    if ((!select && r.bufIndex !== 0) || (select && (write || vectored))) return e.complete(r, -EINVAL);
    const kind = kindOf(e, r);
    if (kind === undefined) return;
    if (kind === FileKind.File) return file(e, r, write, vectored, select);
    const attempt = (q: Req, revents: number): void => {
      if (revents === NOT_POLLABLE) {
        // A regular file under a number that named a pipe or socket before (judged again), or a device that says
        // "not now" but cannot be polled (EAGAIN is all there is to say).
        e.kinds.forget(q.fd);
        if (e.kinds.of(q.fd) === FileKind.File) return file(e, q, write, vectored, select);
        return e.complete(q, -EAGAIN);
      }
      let pick: { group: { commit(p: Picked, n: number): number }; picked: Picked } | null = null;
      let addr = q.addr;
      let len = q.len;
      if (select) {
        pick = e.groups.pick(q.bufIndex, q.len);
        if (pick === null) return e.complete(q, -ENOBUFS);
        addr = pick.picked.addr;
        len = pick.picked.len;
      }
      const n = kind === FileKind.Socket
        ? socketCall(e, q.fd, write, vectored, addr, len)
        : streamCall(e, q, kind, write, vectored, addr, len);
      if (n === -ENOTSOCK && kind === FileKind.Socket) {
        // Not the socket it was: the number was reused. Judge it again.
        if (pick !== null) e.groups.unpick(pick.group as never, pick.picked);
        e.kinds.forget(q.fd);
        return rw(write, vectored)(e, q);
      }
      if (n === -EAGAIN && !(q.opFlags & RWF_NOWAIT)) {
        if (pick !== null) e.groups.unpick(pick.group as never, pick.picked);
        return e.waitFor(q, q.fd, write ? EPOLLOUT : EPOLLIN, attempt);
      }
      if (n < 0) {
        if (pick !== null) e.groups.unpick(pick.group as never, pick.picked);
        return e.complete(q, n);
      }
      // Less than asked for breaks a chain (io_uring/rw.c __io_complete_rw_common: res != the requested length).
      if (n !== (vectored ? iovTotal(e, q.addr, q.len) : len)) q.failed = true;
      e.complete(q, n, pick !== null ? pick.group.commit(pick.picked, n) : 0);
    };
    attempt(r, 0);
  };
}

/** recv/send (recvmsg/sendmsg for vectors) with MSG_DONTWAIT. */
function socketCall(e: Engine, fd: number, write: boolean, vectored: boolean, addr: number, len: number): number {
  const s = syscalls();
  if (!vectored) return res(write ? s.send(fd, addr, len, MSG_DONTWAIT) : s.recv(fd, addr, len, MSG_DONTWAIT));
  const v = e.scratch.nowView;
  for (let i = 0; i < MSGHDR.SIZE; i += 8) v.setBigUint64(AT_MSGHDR + i, 0n, true);
  putU64(v, AT_MSGHDR + MSGHDR.iov, addr);
  putU64(v, AT_MSGHDR + MSGHDR.iovlen, len);
  const msg = e.scratch.now.address + AT_MSGHDR;
  return res(write ? s.sendmsg(fd, msg, MSG_DONTWAIT) : s.recvmsg(fd, msg, MSG_DONTWAIT));
}

/** preadv2/pwritev2 with RWF_NOWAIT, or the plain call made non-blocking where the file lacks FMODE_NOWAIT. */
function streamCall(
  e: Engine, q: Req, kind: FileKind, write: boolean, vectored: boolean, addr: number, len: number,
): number {
  const s = syscalls();
  const iov = vectored ? addr : iovNow(e, addr, len);
  const cnt = vectored ? len : 1;
  // A terminal or other character device may honour an offset; pipes and FIFOs have none (ESPIPE).
  let off = kind === FileKind.Device ? q.off : -1;
  const flags = (q.opFlags | RWF_NOWAIT) | 0;
  for (;;) {
    const n = res(write ? s.pwritev2(q.fd, iov, cnt, off, flags) : s.preadv2(q.fd, iov, cnt, off, flags));
    if (n === -ESPIPE && off !== -1) {
      off = -1;
      continue;
    }
    if (n !== -EOPNOTSUPP) return n;
    return nonblocking(q.fd, () => write ? s.writev(q.fd, iov, cnt) : s.readv(q.fd, iov, cnt));
  }
}

/**
 * A regular file or block device: one RWF_NOWAIT attempt (reads and writes the page cache serves without blocking
 * complete at once), then a pool thread for what is left; vectored requests go to the pool whole.
 */
function file(e: Engine, r: Req, write: boolean, vectored: boolean, select: boolean): void {
  let addr = r.addr;
  let len = r.len;
  let cflags = 0;
  if (select) {
    // A file that cannot be polled commits its buffer when it is selected, with the length asked for (the
    // kernel's io_buffer_select on a non-pollable file).
    const pick = e.groups.pick(r.bufIndex, r.len);
    if (pick === null) return e.complete(r, -ENOBUFS);
    addr = pick.picked.addr;
    len = pick.picked.len;
    cflags = pick.group.commit(pick.picked, len);
  }
  const s = syscalls();
  let done = 0;
  if (!vectored) {
    const iov = iovNow(e, addr, len);
    const n = res(write ? s.pwritev2(r.fd, iov, 1, r.off, r.opFlags | RWF_NOWAIT) : s.preadv2(r.fd, iov, 1, r.off, r.opFlags | RWF_NOWAIT));
    // Done: all of it, end of file, a caller that asked never to wait, or an error other than "would block".
    if (n === len || n === 0 || r.opFlags & RWF_NOWAIT || (n < 0 && n !== -EAGAIN && n !== -EOPNOTSUPP)) {
      if (n !== len) r.failed = true;
      return e.complete(r, n, n >= 0 ? cflags : 0);
    }
    if (n > 0) done = n;
  }
  const off = r.off === -1 ? -1 : r.off + done;
  const iov = vectored ? addr : iovHeld(e, r, addr + done, len - done);
  const cnt = vectored ? len : 1;
  const want = vectored ? iovTotal(e, addr, len) : len;
  e.toPool(r, write ? "pwritev2" : "preadv2", [r.fd, iov, cnt, off, r.opFlags], (ret, errno) => {
    const total = ret < 0 ? (done > 0 ? done : -errno) : done + ret;
    if (total !== want) r.failed = true;
    e.complete(r, total, total >= 0 ? cflags : 0);
  }, [0]);
}

function readMultishot(e: Engine, r: Req): void {
  // io_uring/rw.c io_read_mshot_prep: provided buffers only, and a file that can be polled.
  if (!(r.sqeFlags & IOSQE_BUFFER_SELECT) || r.addr !== 0) return e.complete(r, -EINVAL);
  const kind = kindOf(e, r);
  if (kind === undefined) return;
  if (kind === FileKind.File) return e.complete(r, -EBADFD);
  r.multishot = true;
  const attempt = (q: Req, revents: number): void => {
    if (revents === NOT_POLLABLE) return e.complete(q, -EBADFD);
    for (let posted = 0;;) {
      const pick = e.groups.pick(q.bufIndex, q.len);
      if (pick === null) return e.complete(q, -ENOBUFS);
      const n = kind === FileKind.Socket
        ? socketCall(e, q.fd, false, false, pick.picked.addr, pick.picked.len)
        : streamCall(e, q, kind, false, false, pick.picked.addr, pick.picked.len);
      if (n < 0) {
        e.groups.unpick(pick.group, pick.picked);
        if (n === -EAGAIN) return e.waitFor(q, q.fd, EPOLLIN, attempt);
        return e.complete(q, n);
      }
      // End of file ends it, and uses no buffer (io_uring/rw.c io_read_mshot).
      if (n === 0) {
        e.groups.unpick(pick.group, pick.picked);
        return e.complete(q, 0);
      }
      e.post(q, n, pick.group.commit(pick.picked, n));
      if (q.state === ReqState.Done) return;
      // A short read emptied the file: wait for more rather than pick another buffer now (as _op_net.ts recv).
      if (n < pick.picked.len || ++posted >= MULTISHOT_MAX) return e.waitFor(q, q.fd, EPOLLIN, attempt);
    }
  };
  attempt(r, 0);
}

function splice(e: Engine, r: Req): void {
  // io_uring/splice.c io_splice_prep: the input fd in splice_fd_in, its offset in splice_off_in (`addr`), the
  // output's in `off`; -1 means "the file position" (a NULL offset pointer).
  if (r.opFlags & ~(SPLICE_FLAGS | SPLICE_F_FD_IN_FIXED)) return e.complete(r, -EINVAL);
  r.scratch = e.scratch.take();
  const base = e.scratch.address(r.scratch);
  const v = e.scratch.view(r.scratch);
  const noInOff = r.addrLo === 0xffffffff && r.addrHi === 0xffffffff;
  if (!noInOff) putU64(v, 0, r.addr);
  if (r.off !== -1) putU64(v, 8, r.off);
  const args = [r.fileIndex | 0, noInOff ? 0 : base, r.fd, r.off === -1 ? 0 : base + 8, r.len, r.opFlags & SPLICE_FLAGS];
  e.toPool(r, "splice", args, (ret, errno) => e.complete(r, ret < 0 ? -errno : ret), [0, 2]);
}

function tee(e: Engine, r: Req): void {
  // io_uring/splice.c io_tee_prep: no offsets.
  if (r.addr !== 0 || r.off !== 0 || r.opFlags & ~(SPLICE_FLAGS | SPLICE_F_FD_IN_FIXED)) return e.complete(r, -EINVAL);
  e.toPool(r, "tee", [r.fileIndex | 0, r.fd, r.len, r.opFlags & SPLICE_FLAGS], (ret, errno) => {
    e.complete(r, ret < 0 ? -errno : ret);
  }, [0, 1]);
}

/** The handlers of this file, by opcode. */
export const RW_HANDLERS: readonly (readonly [number, Handler])[] = [
  [IORING_OP_READ, rw(false, false)],
  [IORING_OP_WRITE, rw(true, false)],
  [IORING_OP_READV, rw(false, true)],
  [IORING_OP_WRITEV, rw(true, true)],
  [IORING_OP_READ_MULTISHOT, readMultishot],
  [IORING_OP_SPLICE, splice],
  [IORING_OP_TEE, tee],
];
