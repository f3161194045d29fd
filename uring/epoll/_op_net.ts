/**
 * The epoll backend's socket handlers: ACCEPT (multishot too), CONNECT, SEND, RECV (multishot, provided buffers),
 * SENDMSG, RECVMSG (multishot writes `struct io_uring_recvmsg_out`), SHUTDOWN, SOCKET, BIND, LISTEN and CLOSE. Each
 * tries its system call at once with MSG_DONTWAIT (or non-blocking for that call) and waits for readiness on EAGAIN,
 * as io_uring/net.c does with its internal poll; flag checks follow the kernel's prep functions.
 *
 * @module
 */
import { syscalls } from "../../ffi/syscalls.ts";
import { EAGAIN, EFAULT, EINPROGRESS, EINVAL, ENOBUFS } from "../abi/errno.ts";
import {
  IORING_ACCEPT_DONTWAIT,
  IORING_ACCEPT_MULTISHOT,
  IORING_ACCEPT_POLL_FIRST,
  IORING_OP_ACCEPT,
  IORING_OP_BIND,
  IORING_OP_CLOSE,
  IORING_OP_CONNECT,
  IORING_OP_LISTEN,
  IORING_OP_RECV,
  IORING_OP_RECVMSG,
  IORING_OP_SEND,
  IORING_OP_SENDMSG,
  IORING_OP_SHUTDOWN,
  IORING_OP_SOCKET,
  IORING_RECV_MULTISHOT,
  IORING_RECVSEND_POLL_FIRST,
  io_uring_recvmsg_out,
  IOSQE_BUFFER_SELECT,
} from "../abi/uapi.ts";
import { MSG_DONTWAIT, MSG_NOSIGNAL, MSG_WAITALL, SO_ERROR, SOCK_CLOEXEC, SOCK_NONBLOCK, SOL_SOCKET } from "../abi/sockaddr.ts";
import { MSGHDR } from "../abi/structs.ts";
import { TWO_32 } from "../abi/_u64.ts";
import type { Engine, Handler } from "./_engine.ts";
import { type Req, ReqState } from "./_request.ts";
import { EPOLLIN, EPOLLOUT } from "./_readiness.ts";
import { nonblocking, res } from "./_sys.ts";

/**
 * CQEs a multishot request posts in a row before it waits again (io_uring/net.c MULTISHOT_MAX_RETRY): others on
 * the loop get their turn; a one-shot re-arm reports at once if data is still there.
 */
export const MULTISHOT_MAX = 32;
const OUT_SIZE = io_uring_recvmsg_out.SIZE;
/** Where, in the scratch area, a msghdr, its iovec and a sockaddr_storage are built for one call. */
const AT_MSGHDR = 0;
const AT_IOVEC = 64;
const AT_NAME = 128;
const NAME_ROOM = 128;

function accept(e: Engine, r: Req): void {
  // io_uring/net.c io_accept_prep.
  if (r.len !== 0 || r.bufIndex !== 0) return e.complete(r, -EINVAL);
  if (r.opFlags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return e.complete(r, -EINVAL);
  if (r.ioprio & ~(IORING_ACCEPT_MULTISHOT | IORING_ACCEPT_DONTWAIT | IORING_ACCEPT_POLL_FIRST)) {
    return e.complete(r, -EINVAL);
  }
  r.multishot = (r.ioprio & IORING_ACCEPT_MULTISHOT) !== 0;
  const attempt = (q: Req): void => {
    const s = syscalls();
    let posted = 0;
    let last = 0;
    // One non-blocking window for the whole burst of a multishot accept.
    const window = nonblocking(q.fd, () => {
      for (;;) {
        last = s.accept4(q.fd, q.addr, q.off, q.opFlags);
        if (last < 0) {
          last = -s.errno();
          return 0;
        }
        if (!q.multishot) return 0;
        e.post(q, last, 0);
        if (++posted >= MULTISHOT_MAX) {
          last = -EAGAIN;
          return 0;
        }
      }
    });
    if (window < 0) return e.complete(q, window);
    if (last >= 0) return e.complete(q, last);
    if (last !== -EAGAIN) return e.complete(q, last);
    if (q.ioprio & IORING_ACCEPT_DONTWAIT) return e.complete(q, -EAGAIN);
    e.waitFor(q, q.fd, EPOLLIN, attempt);
  };
  if (r.ioprio & IORING_ACCEPT_POLL_FIRST) e.waitFor(r, r.fd, EPOLLIN, attempt);
  else attempt(r);
}

function connect(e: Engine, r: Req): void {
  // io_uring/net.c io_connect_prep: the sockaddr at `addr`, its length in `off`.
  if (r.len !== 0 || r.bufIndex !== 0 || r.opFlags !== 0 || r.fileIndex !== 0) return e.complete(r, -EINVAL);
  const attempt = (q: Req): void => {
    const s = syscalls();
    const ret = nonblocking(q.fd, () => s.connect(q.fd, q.addr, q.off));
    if (ret >= 0) return e.complete(q, 0);
    // In progress: the socket reports writable when the connection is made or failed; SO_ERROR says which. The
    // connection goes on whether or not the descriptor is non-blocking, so it was restored already.
    if (ret === -EINPROGRESS) return e.waitFor(q, q.fd, EPOLLOUT, finished);
    // A full AF_UNIX backlog: try again once the socket is writable.
    if (ret === -EAGAIN) return e.waitFor(q, q.fd, EPOLLOUT, attempt);
    e.complete(q, ret);
  };
  const finished = (q: Req): void => {
    const v = new Int32Array(1);
    const len = Uint32Array.of(4);
    const s = syscalls();
    if (s.getsockopt(q.fd, SOL_SOCKET, SO_ERROR, v, len) < 0) return e.complete(q, -s.errno());
    e.complete(q, -v[0]!);
  };
  attempt(r);
}

function send(e: Engine, r: Req): void {
  // io_uring/net.c io_sendmsg_prep: MSG_NOSIGNAL is always added; MSG_DONTWAIT from the caller means "never wait".
  if (r.ioprio & ~IORING_RECVSEND_POLL_FIRST) return e.complete(r, -EINVAL);
  const attempt = (q: Req): void => {
    const s = syscalls();
    const flags = q.opFlags | MSG_NOSIGNAL | MSG_DONTWAIT;
    const addrLen = q.fileIndex & 0xffff;
    const at = q.addr + q.doneIo;
    const left = q.len - q.doneIo;
    const n = res(addrLen !== 0 ? s.sendto(q.fd, at, left, flags, q.off, addrLen) : s.send(q.fd, at, left, flags));
    sent(e, q, n, attempt);
  };
  if (r.ioprio & IORING_RECVSEND_POLL_FIRST) e.waitFor(r, r.fd, EPOLLOUT, attempt);
  else attempt(r);
}

function sendmsg(e: Engine, r: Req): void {
  if (r.ioprio & ~IORING_RECVSEND_POLL_FIRST) return e.complete(r, -EINVAL);
  const attempt = (q: Req): void => {
    const n = res(syscalls().sendmsg(q.fd, q.addr, q.opFlags | MSG_NOSIGNAL | MSG_DONTWAIT));
    // A partial sendmsg is returned as it is: continuing would need the iovec advanced (the kernel does that for
    // MSG_WAITALL on stream sockets).
    if (n === -EAGAIN && !(q.opFlags & MSG_DONTWAIT)) return e.waitFor(q, q.fd, EPOLLOUT, attempt);
    e.complete(q, n);
  };
  if (r.ioprio & IORING_RECVSEND_POLL_FIRST) e.waitFor(r, r.fd, EPOLLOUT, attempt);
  else attempt(r);
}

/** A send's result: with MSG_WAITALL a short send goes on from where it stopped (io_net_retry). */
function sent(e: Engine, q: Req, n: number, attempt: (q: Req) => void): void {
  if (n === -EAGAIN && !(q.opFlags & MSG_DONTWAIT)) return e.waitFor(q, q.fd, EPOLLOUT, attempt);
  if (n < 0) return e.complete(q, q.doneIo > 0 ? q.doneIo : n);
  const total = q.doneIo + n;
  if (q.opFlags & MSG_WAITALL && n > 0 && total < q.len) {
    q.doneIo = total;
    return e.waitFor(q, q.fd, EPOLLOUT, attempt);
  }
  if (q.opFlags & MSG_WAITALL && total < q.len) q.failed = true;
  e.complete(q, total);
}

function checkRecv(e: Engine, r: Req): boolean {
  // io_uring/net.c io_recvmsg_prep.
  if (r.ioprio & ~(IORING_RECVSEND_POLL_FIRST | IORING_RECV_MULTISHOT)) {
    e.complete(r, -EINVAL);
    return false;
  }
  r.multishot = (r.ioprio & IORING_RECV_MULTISHOT) !== 0;
  if (r.multishot && (!(r.sqeFlags & IOSQE_BUFFER_SELECT) || r.opFlags & MSG_WAITALL)) {
    e.complete(r, -EINVAL);
    return false;
  }
  return true;
}

function recv(e: Engine, r: Req): void {
  if (!checkRecv(e, r)) return;
  const select = (r.sqeFlags & IOSQE_BUFFER_SELECT) !== 0;
  const attempt = (q: Req): void => {
    const s = syscalls();
    const flags = q.opFlags | MSG_DONTWAIT;
    for (let posted = 0;;) {
      let at = q.addr + q.doneIo;
      let want = q.len - q.doneIo;
      const pick = select ? e.groups.pick(q.bufIndex, q.len) : null;
      if (select) {
        if (pick === null) return e.complete(q, -ENOBUFS);
        at = pick.picked.addr;
        want = pick.picked.len;
      }
      const n = res(s.recv(q.fd, at, want, flags));
      if (n < 0) {
        if (pick !== null) e.groups.unpick(pick.group, pick.picked);
        if (n === -EAGAIN && !(q.opFlags & MSG_DONTWAIT)) return e.waitFor(q, q.fd, EPOLLIN, attempt);
        return e.complete(q, q.doneIo > 0 ? q.doneIo : n);
      }
      if (q.multishot) {
        // End of file ends a multishot receive, and uses no buffer.
        if (n === 0) {
          e.groups.unpick(pick!.group, pick!.picked);
          return e.complete(q, 0);
        }
        e.post(q, n, pick!.group.commit(pick!.picked, n));
        if (q.state === ReqState.Done) return;
        // A receive that did not fill its buffer emptied the socket: wait rather than pick another buffer now (the
        // kernel retries only while msg_inq says more is queued, so a ring that just ran dry is found empty by the
        // next data, not at once).
        if (n < want || ++posted >= MULTISHOT_MAX) return e.waitFor(q, q.fd, EPOLLIN, attempt);
        continue;
      }
      // End of file uses no buffer.
      if (n === 0 && pick !== null) e.groups.unpick(pick.group, pick.picked);
      const cflags = pick !== null && n > 0 ? pick.group.commit(pick.picked, n) : 0;
      const total = q.doneIo + n;
      if (q.opFlags & MSG_WAITALL && !select && n > 0 && total < q.len) {
        q.doneIo = total;
        return e.waitFor(q, q.fd, EPOLLIN, attempt);
      }
      if (q.opFlags & MSG_WAITALL && total < q.len) q.failed = true;
      return e.complete(q, total, cflags);
    }
  };
  if (r.ioprio & IORING_RECVSEND_POLL_FIRST) e.waitFor(r, r.fd, EPOLLIN, attempt);
  else attempt(r);
}

function recvmsg(e: Engine, r: Req): void {
  if (!checkRecv(e, r)) return;
  const select = (r.sqeFlags & IOSQE_BUFFER_SELECT) !== 0;
  // The kernel copies the msghdr at prep (io_recvmsg_copy_hdr): the room reserved for the name and control data,
  // and with provided buffers the length of the one iovec (0: the whole buffer).
  const m = e.scratch.peek(r.addr, MSGHDR.SIZE);
  const namelen = m.getUint32(MSGHDR.namelen, true);
  const controllen = Number(m.getBigUint64(MSGHDR.controllen, true));
  const name = Number(m.getBigUint64(MSGHDR.name, true));
  const control = Number(m.getBigUint64(MSGHDR.control, true));
  const iovlen = Number(m.getBigUint64(MSGHDR.iovlen, true));
  let want = 0;
  if (select && iovlen > 0) {
    if (iovlen > 1) return e.complete(r, -EINVAL);
    want = Number(e.scratch.peek(Number(m.getBigUint64(MSGHDR.iov, true)), 16).getBigUint64(8, true));
  }
  const attempt = (q: Req): void => {
    const s = syscalls();
    const flags = q.opFlags | MSG_DONTWAIT;
    for (let posted = 0;;) {
      if (!select) {
        // The caller's msghdr as it is: recvmsg writes back its name length, control length and flags, as the
        // kernel's io_recvmsg does through __sys_recvmsg_sock.
        const n = res(s.recvmsg(q.fd, q.addr, flags));
        if (n === -EAGAIN && !(q.opFlags & MSG_DONTWAIT)) return e.waitFor(q, q.fd, EPOLLIN, attempt);
        return e.complete(q, n);
      }
      const pick = e.groups.pick(q.bufIndex, want);
      if (pick === null) return e.complete(q, -ENOBUFS);
      const buf = pick.picked.addr;
      const room = pick.picked.len;
      const v = e.scratch.nowView;
      const base = e.scratch.now.address;
      const hdr = q.multishot ? OUT_SIZE + namelen + controllen : 0;
      if (room < hdr) {
        e.groups.unpick(pick.group, pick.picked);
        return e.complete(q, -EFAULT);
      }
      const payload = room - hdr;
      // The msghdr the call gets: the name into scratch (multishot copies it behind the header after), the control
      // data straight into the buffer (multishot) or where the caller pointed (single shot).
      putU64(v, AT_MSGHDR + MSGHDR.name, q.multishot ? (namelen > 0 ? base + AT_NAME : 0) : name);
      v.setUint32(AT_MSGHDR + MSGHDR.namelen, q.multishot ? (namelen > 0 ? NAME_ROOM : 0) : namelen, true);
      putU64(v, AT_MSGHDR + MSGHDR.iov, base + AT_IOVEC);
      putU64(v, AT_MSGHDR + MSGHDR.iovlen, 1);
      putU64(v, AT_MSGHDR + MSGHDR.control, q.multishot ? (controllen > 0 ? buf + OUT_SIZE + namelen : 0) : control);
      putU64(v, AT_MSGHDR + MSGHDR.controllen, controllen);
      v.setInt32(AT_MSGHDR + MSGHDR.flags, 0, true);
      putU64(v, AT_IOVEC, buf + hdr);
      putU64(v, AT_IOVEC + 8, payload);
      const n = res(s.recvmsg(q.fd, base + AT_MSGHDR, flags));
      if (n < 0) {
        e.groups.unpick(pick.group, pick.picked);
        if (n === -EAGAIN && !(q.opFlags & MSG_DONTWAIT)) return e.waitFor(q, q.fd, EPOLLIN, attempt);
        return e.complete(q, n);
      }
      const gotName = v.getUint32(AT_MSGHDR + MSGHDR.namelen, true);
      const gotControl = Number(v.getBigUint64(AT_MSGHDR + MSGHDR.controllen, true));
      const msgFlags = v.getInt32(AT_MSGHDR + MSGHDR.flags, true);
      if (!q.multishot) {
        writeBack(q.addr, gotName, gotControl, msgFlags);
        return e.complete(q, n, pick.group.commit(pick.picked, n));
      }
      // io_uring/net.c io_recvmsg_multishot: the header, then as much of the name as was reserved ("fromlen
      // shall refer to the value before truncation"), the control data, the payload; res covers all four.
      const out = new Uint8Array(OUT_SIZE + Math.min(gotName, namelen));
      const ov = new DataView(out.buffer);
      ov.setUint32(io_uring_recvmsg_out.namelen, gotName, true);
      ov.setUint32(io_uring_recvmsg_out.controllen, gotControl, true);
      ov.setUint32(io_uring_recvmsg_out.payloadlen, n, true);
      ov.setUint32(io_uring_recvmsg_out.flags, msgFlags, true);
      out.set(e.scratch.now.bytes.subarray(AT_NAME, AT_NAME + out.length - OUT_SIZE), OUT_SIZE);
      s.memcpy_to(buf, out, out.length);
      const total = hdr + Math.min(n, payload);
      const cflags = pick.group.commit(pick.picked, total);
      // A zero-length read (end of file, or an empty datagram) ends it: *finished = err <= 0.
      if (n === 0) return e.complete(q, total, cflags);
      e.post(q, total, cflags);
      if (q.state === ReqState.Done) return;
      if (n < payload || ++posted >= MULTISHOT_MAX) return e.waitFor(q, q.fd, EPOLLIN, attempt);
    }
  };
  if (r.ioprio & IORING_RECVSEND_POLL_FIRST) e.waitFor(r, r.fd, EPOLLIN, attempt);
  else attempt(r);
}

/** Writes what recvmsg reports into the caller's msghdr at `msg` (name length, control length, flags). */
function writeBack(msg: number, namelen: number, controllen: number, flags: number): void {
  const s = syscalls();
  s.memcpy_to(msg + MSGHDR.namelen, Uint32Array.of(namelen), 4);
  const c = new DataView(new ArrayBuffer(8));
  putU64(c, 0, controllen);
  s.memcpy_to(msg + MSGHDR.controllen, new Uint8Array(c.buffer), 8);
  s.memcpy_to(msg + MSGHDR.flags, Int32Array.of(flags), 4);
}

function putU64(v: DataView, at: number, n: number): void {
  const lo = n >>> 0;
  v.setUint32(at, lo, true);
  v.setUint32(at + 4, (n - lo) / TWO_32, true);
}

function shutdown(e: Engine, r: Req): void {
  // io_uring/net.c io_shutdown_prep: `how` in `len`.
  if (r.off !== 0 || r.addr !== 0 || r.opFlags !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0 || r.addr3 !== 0) {
    return e.complete(r, -EINVAL);
  }
  e.complete(r, res(syscalls().shutdown(r.fd, r.len | 0)));
}

function socket(e: Engine, r: Req): void {
  // io_uring/net.c io_socket_prep: domain in `fd`, type in `off`, protocol in `len`; rw_flags must be 0.
  if (r.addr !== 0 || r.opFlags !== 0 || r.bufIndex !== 0) return e.complete(r, -EINVAL);
  e.complete(r, res(syscalls().socket(r.fd, r.off | 0, r.len | 0)));
}

function bind(e: Engine, r: Req): void {
  // io_uring/net.c io_bind_prep: the sockaddr at `addr`, its length in `off`.
  if (r.len !== 0 || r.bufIndex !== 0 || r.opFlags !== 0 || r.fileIndex !== 0) return e.complete(r, -EINVAL);
  e.complete(r, res(syscalls().bind(r.fd, r.addr, r.off)));
}

function listen(e: Engine, r: Req): void {
  // io_uring/net.c io_listen_prep: the backlog in `len`.
  if (r.addr !== 0 || r.bufIndex !== 0 || r.opFlags !== 0 || r.fileIndex !== 0 || r.off !== 0) {
    return e.complete(r, -EINVAL);
  }
  e.complete(r, res(syscalls().listen(r.fd, r.len | 0)));
}

function close(e: Engine, r: Req): void {
  // io_uring/openclose.c io_close_prep.
  if (r.off !== 0 || r.addr !== 0 || r.len !== 0 || r.opFlags !== 0 || r.bufIndex !== 0) {
    return e.complete(r, -EINVAL);
  }
  // Requests waiting on it can no longer be reached through the number (which may be reused at once).
  e.readiness.forget(r.fd);
  e.kinds.forget(r.fd);
  e.complete(r, res(syscalls().close(r.fd)));
}

/** The handlers of this file, by opcode. */
export const NET_HANDLERS: readonly (readonly [number, Handler])[] = [
  [IORING_OP_ACCEPT, accept],
  [IORING_OP_CONNECT, connect],
  [IORING_OP_SEND, send],
  [IORING_OP_SENDMSG, sendmsg],
  [IORING_OP_RECV, recv],
  [IORING_OP_RECVMSG, recvmsg],
  [IORING_OP_SHUTDOWN, shutdown],
  [IORING_OP_SOCKET, socket],
  [IORING_OP_BIND, bind],
  [IORING_OP_LISTEN, listen],
  [IORING_OP_CLOSE, close],
];
