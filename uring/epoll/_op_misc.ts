/**
 * The epoll backend's handlers for NOP, ASYNC_CANCEL, classic provided buffers (PROVIDE_BUFFERS, REMOVE_BUFFERS),
 * MADVISE, PIPE, EPOLL_CTL and EPOLL_WAIT, with the field checks of their kernel prep functions.
 *
 * @module
 */
import { syscalls } from "../../ffi/syscalls.ts";
import { E2BIG, EBADF, EINVAL, ENOENT, EOVERFLOW } from "../abi/errno.ts";
import {
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_ASYNC_CANCEL_FD,
  IORING_ASYNC_CANCEL_OP,
  IORING_ASYNC_CANCEL_USERDATA,
  IORING_NOP_FILE,
  IORING_NOP_INJECT_RESULT,
  IORING_NOP_TW,
  IORING_OP_ASYNC_CANCEL,
  IORING_OP_EPOLL_CTL,
  IORING_OP_EPOLL_WAIT,
  IORING_OP_MADVISE,
  IORING_OP_NOP,
  IORING_OP_PIPE,
  IORING_OP_PROVIDE_BUFFERS,
  IORING_OP_REMOVE_BUFFERS,
} from "../abi/uapi.ts";
import type { Engine, Handler } from "./_engine.ts";
import type { Req } from "./_request.ts";
import { ListGroup, RingGroup } from "./_buffer_groups.ts";
import { EPOLLIN } from "./_readiness.ts";
import { res } from "./_sys.ts";

const F_GETFD = 1;
const MAX_BIDS_PER_BGID = 1 << 16;
const O_CLOEXEC = 0x80000;
const O_NONBLOCK = 0x800;
const O_DIRECT = 0x4000;

function nop(e: Engine, r: Req): void {
  // io_uring/nop.c io_nop_prep/io_nop.
  if (r.opFlags & ~(IORING_NOP_INJECT_RESULT | IORING_NOP_FILE | IORING_NOP_TW)) return e.complete(r, -EINVAL);
  if (r.opFlags & IORING_NOP_FILE && syscalls().fcntl(r.fd, F_GETFD, 0) < 0) return e.complete(r, -EBADF);
  e.complete(r, r.opFlags & IORING_NOP_INJECT_RESULT ? r.len | 0 : 0);
}

function asyncCancel(e: Engine, r: Req): void {
  // io_uring/cancel.c io_async_cancel_prep.
  const known = IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY |
    IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP;
  if (r.off !== 0 || r.fileIndex !== 0 || r.opFlags & ~known) return e.complete(r, -EINVAL);
  if (r.opFlags & IORING_ASYNC_CANCEL_ANY && r.opFlags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP)) {
    return e.complete(r, -EINVAL);
  }
  e.complete(r, e.cancelMatching(r));
}

function provideBuffers(e: Engine, r: Req): void {
  // io_uring/kbuf.c io_provide_buffers_prep/io_provide_buffers: `fd` is the count, `off` the first bid.
  const nbufs = r.fd;
  if (nbufs <= 0 || nbufs > MAX_BIDS_PER_BGID) return e.complete(r, -E2BIG);
  if (r.len === 0) return e.complete(r, -EINVAL);
  if (r.addr + r.len * nbufs > Number.MAX_SAFE_INTEGER) return e.complete(r, -EOVERFLOW);
  if (r.off < 0 || r.off > 0xffff) return e.complete(r, -E2BIG);
  if (r.off + nbufs > MAX_BIDS_PER_BGID) return e.complete(r, -EINVAL);
  let g = e.groups.get(r.bufIndex);
  if (g instanceof RingGroup) return e.complete(r, -EINVAL);
  if (g === undefined) e.groups.set(g = new ListGroup(r.bufIndex));
  for (let i = 0; i < nbufs; i++) {
    g.buffers.push({ addr: r.addr + i * r.len, len: r.len, bid: (r.off + i) & 0xffff, full: r.len });
  }
  e.complete(r, 0);
}

function removeBuffers(e: Engine, r: Req): void {
  // io_uring/kbuf.c io_remove_buffers_prep/io_remove_buffers.
  const nbufs = r.fd;
  if (r.opFlags !== 0 || r.addr !== 0 || r.len !== 0 || r.off !== 0 || r.fileIndex !== 0) {
    return e.complete(r, -EINVAL);
  }
  if (nbufs <= 0 || nbufs > MAX_BIDS_PER_BGID) return e.complete(r, -EINVAL);
  const g = e.groups.get(r.bufIndex);
  if (g === undefined) return e.complete(r, -ENOENT);
  if (g instanceof RingGroup) return e.complete(r, -EINVAL);
  // An emptied group stays (a later removal answers 0, not ENOENT).
  e.complete(r, g.buffers.splice(0, nbufs).length);
}

function madvise(e: Engine, r: Req): void {
  // io_uring/advise.c io_madvise_prep: a 64-bit length in `off` when set, else `len`.
  if (r.fileIndex !== 0) return e.complete(r, -EINVAL);
  const length = r.off !== 0 ? r.off : r.len;
  e.complete(r, res(syscalls().madvise(r.addr, length, r.opFlags | 0)));
}

function pipe(e: Engine, r: Req): void {
  // io_uring/openclose.c io_pipe_prep: the two descriptors are written at `addr`.
  if (r.fd !== 0 || r.off !== 0 || r.addr3 !== 0 || r.len !== 0) return e.complete(r, -EINVAL);
  if (r.opFlags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return e.complete(r, -EINVAL);
  e.complete(r, res(syscalls().pipe2(r.addr, r.opFlags)));
}

function epollCtl(e: Engine, r: Req): void {
  // io_uring/epoll.c io_epoll_ctl_prep: the epoll fd in `fd`, the op in `len`, the target fd in `off`, the event
  // at `addr`.
  if (r.bufIndex !== 0 || r.fileIndex !== 0) return e.complete(r, -EINVAL);
  e.complete(r, res(syscalls().epoll_ctl_at(r.fd, r.len, r.off | 0, r.addr)));
}

function epollWait(e: Engine, r: Req): void {
  // io_uring/epoll.c io_epoll_wait: waits until the epoll instance has events, then collects them (an epoll fd is
  // itself pollable, so its readiness is waited for like any descriptor's).
  if (r.off !== 0 || r.opFlags !== 0 || r.bufIndex !== 0 || r.fileIndex !== 0) return e.complete(r, -EINVAL);
  const attempt = (q: Req) => {
    const n = res(syscalls().epoll_wait_at(q.fd, q.addr, q.len, 0));
    if (n !== 0) return e.complete(q, n);
    e.waitFor(q, q.fd, EPOLLIN, attempt);
  };
  attempt(r);
}

/** The handlers of this file, by opcode. */
export const MISC_HANDLERS: readonly (readonly [number, Handler])[] = [
  [IORING_OP_NOP, nop],
  [IORING_OP_ASYNC_CANCEL, asyncCancel],
  [IORING_OP_PROVIDE_BUFFERS, provideBuffers],
  [IORING_OP_REMOVE_BUFFERS, removeBuffers],
  [IORING_OP_MADVISE, madvise],
  [IORING_OP_PIPE, pipe],
  [IORING_OP_EPOLL_CTL, epollCtl],
  [IORING_OP_EPOLL_WAIT, epollWait],
];
