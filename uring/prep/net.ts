/**
 * Sockets: socket, bind, listen, accept, connect, send and receive in their plain, message, multishot, bundle,
 * zero-copy and registered-buffer forms, and shutdown.
 *
 * Buffers, `struct msghdr`s and `struct sockaddr`s are raw addresses. UNSAFE: the kernel dereferences them after
 * the call returns; the memory must stay valid until the CQE arrives (for zero-copy sends, until the notification
 * CQE with IORING_CQE_F_NOTIF).
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import {
  IORING_ACCEPT_MULTISHOT,
  IORING_FILE_INDEX_ALLOC,
  IORING_OP_ACCEPT,
  IORING_OP_BIND,
  IORING_OP_CONNECT,
  IORING_OP_LISTEN,
  IORING_OP_RECV,
  IORING_OP_RECVMSG,
  IORING_OP_SEND,
  IORING_OP_SEND_ZC,
  IORING_OP_SENDMSG,
  IORING_OP_SENDMSG_ZC,
  IORING_OP_SHUTDOWN,
  IORING_OP_SOCKET,
  IORING_RECV_MULTISHOT,
  IORING_RECVSEND_BUNDLE,
  IORING_RECVSEND_FIXED_BUF,
} from "../abi/uapi.ts";
import {
  H_ADDR_LEN,
  H_BUF_INDEX,
  H_IOPRIO,
  prepRw,
  setDirectTarget,
  setTargetFixedFile,
  setU64,
  W_OFF,
  W_OP_FLAGS,
} from "./base.ts";

/**
 * Prepares socket(2); the result is the new file descriptor. Matches liburing's `io_uring_prep_socket`
 * (Linux 5.19).
 *
 * @param sqe The SQE to fill.
 * @param domain The address family (AF_INET 2, AF_INET6 10, AF_UNIX 1 ...).
 * @param type The socket type, with SOCK_NONBLOCK/SOCK_CLOEXEC if wanted (SOCK_STREAM 1, SOCK_DGRAM 2 ...).
 * @param protocol The protocol, usually 0.
 * @param flags Reserved by the kernel: pass 0.
 *
 * @example
 * ```ts
 * const AF_INET = 2, SOCK_STREAM = 1;
 * prepSocket(ring.getSqe()!, AF_INET, SOCK_STREAM, 0, 0);
 * ```
 */
export function prepSocket(sqe: Sqe, domain: number, type: number, protocol: number, flags: number): void {
  // `type` is a C int passed as the 64-bit offset: sign-extended, as in liburing.
  prepRw(IORING_OP_SOCKET, sqe, domain, 0, protocol, type | 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares socket(2) into the registered file table: the socket becomes direct descriptor `fileIndex` (or a free
 * slot, returned as the result, with `IORING_FILE_INDEX_ALLOC`). Matches liburing's `io_uring_prep_socket_direct`
 * (Linux 5.19).
 *
 * @param sqe The SQE to fill.
 * @param domain The address family.
 * @param type The socket type (SOCK_CLOEXEC is not allowed for direct descriptors).
 * @param protocol The protocol, usually 0.
 * @param fileIndex The slot in the registered file table, or `IORING_FILE_INDEX_ALLOC`.
 * @param flags Reserved by the kernel: pass 0.
 *
 * @example
 * ```ts
 * prepSocketDirect(ring.getSqe()!, 2, 1, 0, 5, 0);
 * ```
 */
export function prepSocketDirect(
  sqe: Sqe, domain: number, type: number, protocol: number, fileIndex: number, flags: number,
): void {
  prepSocket(sqe, domain, type, protocol, flags);
  setDirectTarget(sqe, fileIndex);
}

/**
 * Prepares socket(2) into a free slot of the registered file table, whose index is the result. Matches liburing's
 * `io_uring_prep_socket_direct_alloc` (Linux 5.19).
 *
 * @param sqe The SQE to fill.
 * @param domain The address family.
 * @param type The socket type.
 * @param protocol The protocol, usually 0.
 * @param flags Reserved by the kernel: pass 0.
 *
 * @example
 * ```ts
 * prepSocketDirectAlloc(ring.getSqe()!, 2, 1, 0, 0);
 * ```
 */
export function prepSocketDirectAlloc(sqe: Sqe, domain: number, type: number, protocol: number, flags: number): void {
  prepSocket(sqe, domain, type, protocol, flags);
  setTargetFixedFile(sqe, IORING_FILE_INDEX_ALLOC - 1);
}

/**
 * Prepares bind(2). Matches liburing's `io_uring_prep_bind` (Linux 6.11).
 *
 * UNSAFE: the kernel dereferences `addr`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param addr The address of a `struct sockaddr`.
 * @param addrlen Its length in bytes.
 *
 * @example
 * ```ts
 * prepBind(ring.getSqe()!, sock, sin.address, 16);
 * ```
 */
export function prepBind(sqe: Sqe, fd: number, addr: number, addrlen: number): void {
  prepRw(IORING_OP_BIND, sqe, fd, addr, 0, addrlen >>> 0);
}

/**
 * Prepares listen(2). Matches liburing's `io_uring_prep_listen` (Linux 6.11).
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param backlog The queue length for pending connections.
 *
 * @example
 * ```ts
 * prepListen(ring.getSqe()!, sock, 128);
 * ```
 */
export function prepListen(sqe: Sqe, fd: number, backlog: number): void {
  prepRw(IORING_OP_LISTEN, sqe, fd, 0, backlog, 0);
}

/**
 * Prepares accept4(2); the result is the new connection's file descriptor. Matches liburing's
 * `io_uring_prep_accept` (Linux 5.5).
 *
 * UNSAFE: the kernel writes `addr` and reads/writes `addrlen`; both (or 0 for neither) must stay valid until the
 * CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The listening socket.
 * @param addr The address of a `struct sockaddr` receiving the peer address, or 0.
 * @param addrlen The address of a `socklen_t` holding its size, or 0.
 * @param flags SOCK_NONBLOCK (0x800) and/or SOCK_CLOEXEC (0x80000).
 *
 * @example
 * ```ts
 * prepAccept(ring.getSqe()!, listener, 0, 0, 0);
 * ```
 */
export function prepAccept(sqe: Sqe, fd: number, addr: number, addrlen: number, flags: number): void {
  prepRw(IORING_OP_ACCEPT, sqe, fd, addr, 0, addrlen);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares accept4(2) into the registered file table: the connection becomes direct descriptor `fileIndex` (or a
 * free slot, returned as the result, with `IORING_FILE_INDEX_ALLOC`). Matches liburing's
 * `io_uring_prep_accept_direct` (Linux 5.15; ALLOC 5.19).
 *
 * UNSAFE: the kernel writes `addr` and reads/writes `addrlen`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The listening socket.
 * @param addr The address of a `struct sockaddr` receiving the peer address, or 0.
 * @param addrlen The address of a `socklen_t` holding its size, or 0.
 * @param flags SOCK_NONBLOCK (SOCK_CLOEXEC is not allowed for direct descriptors).
 * @param fileIndex The slot in the registered file table, or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * prepAcceptDirect(ring.getSqe()!, listener, 0, 0, 0, IORING_FILE_INDEX_ALLOC);
 * ```
 */
export function prepAcceptDirect(
  sqe: Sqe, fd: number, addr: number, addrlen: number, flags: number, fileIndex: number,
): void {
  prepAccept(sqe, fd, addr, addrlen, flags);
  setDirectTarget(sqe, fileIndex);
}

/**
 * Prepares a multishot accept: one CQE per incoming connection, with IORING_CQE_F_MORE while it stays armed.
 * Matches liburing's `io_uring_prep_multishot_accept` (Linux 5.19).
 *
 * UNSAFE: the kernel writes `addr` and `addrlen` for each connection; pass 0 for both unless they stay valid until
 * the final CQE.
 *
 * @param sqe The SQE to fill.
 * @param fd The listening socket.
 * @param addr The address of a `struct sockaddr`, or 0.
 * @param addrlen The address of a `socklen_t`, or 0.
 * @param flags SOCK_NONBLOCK and/or SOCK_CLOEXEC.
 *
 * @example
 * ```ts
 * prepMultishotAccept(ring.getSqe()!, listener, 0, 0, 0);
 * ```
 */
export function prepMultishotAccept(sqe: Sqe, fd: number, addr: number, addrlen: number, flags: number): void {
  prepAccept(sqe, fd, addr, addrlen, flags);
  sqe.u16[H_IOPRIO] |= IORING_ACCEPT_MULTISHOT;
}

/**
 * Prepares a multishot accept into free slots of the registered file table; each CQE's result is a slot index.
 * Matches liburing's `io_uring_prep_multishot_accept_direct` (Linux 5.19).
 *
 * UNSAFE: the kernel writes `addr` and `addrlen` for each connection; pass 0 for both unless they stay valid until
 * the final CQE.
 *
 * @param sqe The SQE to fill.
 * @param fd The listening socket.
 * @param addr The address of a `struct sockaddr`, or 0.
 * @param addrlen The address of a `socklen_t`, or 0.
 * @param flags SOCK_NONBLOCK.
 *
 * @example
 * ```ts
 * prepMultishotAcceptDirect(ring.getSqe()!, listener, 0, 0, 0);
 * ```
 */
export function prepMultishotAcceptDirect(sqe: Sqe, fd: number, addr: number, addrlen: number, flags: number): void {
  prepMultishotAccept(sqe, fd, addr, addrlen, flags);
  setTargetFixedFile(sqe, IORING_FILE_INDEX_ALLOC - 1);
}

/**
 * Prepares connect(2). Matches liburing's `io_uring_prep_connect` (Linux 5.5).
 *
 * UNSAFE: the kernel dereferences `addr`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param addr The address of a `struct sockaddr`.
 * @param addrlen Its length in bytes.
 *
 * @example
 * ```ts
 * prepConnect(ring.getSqe()!, sock, sin.address, 16);
 * ```
 */
export function prepConnect(sqe: Sqe, fd: number, addr: number, addrlen: number): void {
  prepRw(IORING_OP_CONNECT, sqe, fd, addr, 0, addrlen >>> 0);
}

/**
 * Prepares send(2). Matches liburing's `io_uring_prep_send` (Linux 5.6).
 *
 * UNSAFE: the kernel dereferences `buf`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param sockfd The socket.
 * @param buf The address of the data.
 * @param len Its length (truncated to 32 bits, as liburing does with its size_t).
 * @param flags `MSG_*` flags (MSG_DONTWAIT 0x40, MSG_NOSIGNAL 0x4000, MSG_MORE 0x8000 ...).
 *
 * @example
 * ```ts
 * const MSG_NOSIGNAL = 0x4000;
 * prepSend(ring.getSqe()!, sock, mem.address, 5, MSG_NOSIGNAL);
 * ```
 */
export function prepSend(sqe: Sqe, sockfd: number, buf: number, len: number, flags: number): void {
  prepRw(IORING_OP_SEND, sqe, sockfd, buf, len, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a bundle send: the data comes from several buffers of the provided-buffer group set with
 * `sqeSetBufGroup` (and IOSQE_BUFFER_SELECT), sent in one operation. Matches liburing's
 * `io_uring_prep_send_bundle` (Linux 6.10).
 *
 * @param sqe The SQE to fill.
 * @param sockfd The socket.
 * @param len The most to send, or 0 for everything queued in the group.
 * @param flags `MSG_*` flags.
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepSendBundle(sqe, sock, 0, 0);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * ```
 */
export function prepSendBundle(sqe: Sqe, sockfd: number, len: number, flags: number): void {
  prepSend(sqe, sockfd, 0, len, flags);
  sqe.u16[H_IOPRIO] |= IORING_RECVSEND_BUNDLE;
}

/**
 * Adds a destination address to a prepared send or zero-copy send, turning it into sendto(2). Matches liburing's
 * `io_uring_prep_send_set_addr` (Linux 6.0).
 *
 * UNSAFE: the kernel dereferences `destAddr`; it must stay valid until the CQE arrives.
 *
 * @param sqe An SQE prepared with {@link prepSend} or {@link prepSendZc}.
 * @param destAddr The address of a `struct sockaddr`.
 * @param addrLen Its length (unsigned 16-bit).
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepSendZc(sqe, udp, mem.address, 5, 0, 0);
 * prepSendSetAddr(sqe, sin.address, 16);
 * ```
 */
export function prepSendSetAddr(sqe: Sqe, destAddr: number, addrLen: number): void {
  setU64(sqe.u32, W_OFF, destAddr);
  sqe.u16[H_ADDR_LEN] = addrLen;
}

/**
 * Prepares sendto(2): a send with a destination address. Matches liburing's `io_uring_prep_sendto` (Linux 6.0).
 *
 * UNSAFE: the kernel dereferences `buf` and `addr`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param sockfd The socket.
 * @param buf The address of the data.
 * @param len Its length (truncated to 32 bits).
 * @param flags `MSG_*` flags.
 * @param addr The address of a `struct sockaddr`.
 * @param addrlen Its length (truncated to 16 bits, as liburing does).
 *
 * @example
 * ```ts
 * prepSendto(ring.getSqe()!, udp, mem.address, 5, 0, sin.address, 16);
 * ```
 */
export function prepSendto(
  sqe: Sqe, sockfd: number, buf: number, len: number, flags: number, addr: number, addrlen: number,
): void {
  prepSend(sqe, sockfd, buf, len, flags);
  prepSendSetAddr(sqe, addr, addrlen);
}

/**
 * Prepares a zero-copy send. Two CQEs arrive: the result (with IORING_CQE_F_MORE), then a notification with
 * IORING_CQE_F_NOTIF once the kernel no longer reads the buffer. Matches liburing's `io_uring_prep_send_zc`
 * (Linux 6.0).
 *
 * UNSAFE: the kernel reads `buf` until the notification CQE; it must stay valid and unchanged until then.
 *
 * @param sqe The SQE to fill.
 * @param sockfd The socket.
 * @param buf The address of the data.
 * @param len Its length (truncated to 32 bits).
 * @param flags `MSG_*` flags.
 * @param zcFlags IORING_RECVSEND_POLL_FIRST, IORING_SEND_ZC_REPORT_USAGE ... (stored in the 16-bit ioprio).
 *
 * @example
 * ```ts
 * prepSendZc(ring.getSqe()!, sock, mem.address, 65536, 0, 0);
 * ```
 */
export function prepSendZc(sqe: Sqe, sockfd: number, buf: number, len: number, flags: number, zcFlags: number): void {
  prepRw(IORING_OP_SEND_ZC, sqe, sockfd, buf, len, 0);
  sqe.u32[W_OP_FLAGS] = flags;
  sqe.u16[H_IOPRIO] = zcFlags;
}

/**
 * Prepares a zero-copy send from registered buffer `bufIndex` (`buf` must lie inside it). Matches liburing's
 * `io_uring_prep_send_zc_fixed` (Linux 6.0).
 *
 * UNSAFE: the kernel reads `buf` until the notification CQE; it must stay valid and unchanged until then.
 *
 * @param sqe The SQE to fill.
 * @param sockfd The socket.
 * @param buf The address of the data, inside the registered buffer.
 * @param len Its length (truncated to 32 bits).
 * @param flags `MSG_*` flags.
 * @param zcFlags Zero-copy flags (IORING_RECVSEND_FIXED_BUF is added).
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * prepSendZcFixed(ring.getSqe()!, sock, mem.address, 65536, 0, 0, 0);
 * ```
 */
export function prepSendZcFixed(
  sqe: Sqe, sockfd: number, buf: number, len: number, flags: number, zcFlags: number, bufIndex: number,
): void {
  prepSendZc(sqe, sockfd, buf, len, flags, zcFlags);
  sqe.u16[H_IOPRIO] |= IORING_RECVSEND_FIXED_BUF;
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares sendmsg(2). Matches liburing's `io_uring_prep_sendmsg` (Linux 5.3).
 *
 * UNSAFE: the kernel dereferences `msg` and everything it points at; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param msg The address of a `struct msghdr`.
 * @param flags `MSG_*` flags.
 *
 * @example
 * ```ts
 * prepSendmsg(ring.getSqe()!, sock, msg.address, 0);
 * ```
 */
export function prepSendmsg(sqe: Sqe, fd: number, msg: number, flags: number): void {
  prepRw(IORING_OP_SENDMSG, sqe, fd, msg, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a zero-copy sendmsg(2) (two CQEs, as with {@link prepSendZc}). Matches liburing's
 * `io_uring_prep_sendmsg_zc` (Linux 6.1).
 *
 * UNSAFE: the kernel reads `msg` and its buffers until the notification CQE.
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param msg The address of a `struct msghdr`.
 * @param flags `MSG_*` flags.
 *
 * @example
 * ```ts
 * prepSendmsgZc(ring.getSqe()!, sock, msg.address, 0);
 * ```
 */
export function prepSendmsgZc(sqe: Sqe, fd: number, msg: number, flags: number): void {
  prepRw(IORING_OP_SENDMSG_ZC, sqe, fd, msg, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a zero-copy sendmsg(2) whose iovecs all lie in registered buffer `bufIndex`. Matches liburing's
 * `io_uring_prep_sendmsg_zc_fixed` (Linux 6.15).
 *
 * UNSAFE: the kernel reads `msg` and its buffers until the notification CQE.
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param msg The address of a `struct msghdr`.
 * @param flags `MSG_*` flags.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * prepSendmsgZcFixed(ring.getSqe()!, sock, msg.address, 0, 0);
 * ```
 */
export function prepSendmsgZcFixed(sqe: Sqe, fd: number, msg: number, flags: number, bufIndex: number): void {
  prepSendmsgZc(sqe, fd, msg, flags);
  sqe.u16[H_IOPRIO] |= IORING_RECVSEND_FIXED_BUF;
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares recv(2). With IOSQE_BUFFER_SELECT and a buffer group, pass `buf` 0 and the kernel picks a buffer.
 * Matches liburing's `io_uring_prep_recv` (Linux 5.6).
 *
 * UNSAFE: the kernel writes `buf`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param sockfd The socket.
 * @param buf The address of the buffer, or 0 with buffer selection.
 * @param len Its size (truncated to 32 bits).
 * @param flags `MSG_*` flags (MSG_WAITALL 0x100, MSG_PEEK 2, MSG_TRUNC 0x20 ...).
 *
 * @example
 * ```ts
 * prepRecv(ring.getSqe()!, sock, mem.address, mem.byteLength, 0);
 * ```
 */
export function prepRecv(sqe: Sqe, sockfd: number, buf: number, len: number, flags: number): void {
  prepRw(IORING_OP_RECV, sqe, sockfd, buf, len, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a multishot recv: one CQE per chunk of data, each in a buffer taken from the provided-buffer group
 * (set IOSQE_BUFFER_SELECT and the group with `sqeSetBufGroup`), with IORING_CQE_F_MORE while it stays armed.
 * Matches liburing's `io_uring_prep_recv_multishot` (Linux 6.0).
 *
 * @param sqe The SQE to fill.
 * @param sockfd The socket.
 * @param buf 0 (buffers come from the group).
 * @param len 0, or the most to receive per CQE.
 * @param flags `MSG_*` flags.
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepRecvMultishot(sqe, sock, 0, 0, 0);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * ```
 */
export function prepRecvMultishot(sqe: Sqe, sockfd: number, buf: number, len: number, flags: number): void {
  prepRecv(sqe, sockfd, buf, len, flags);
  sqe.u16[H_IOPRIO] |= IORING_RECV_MULTISHOT;
}

/**
 * Prepares recvmsg(2). Matches liburing's `io_uring_prep_recvmsg` (Linux 5.3).
 *
 * UNSAFE: the kernel reads `msg` and writes what it points at; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param msg The address of a `struct msghdr`.
 * @param flags `MSG_*` flags.
 *
 * @example
 * ```ts
 * prepRecvmsg(ring.getSqe()!, sock, msg.address, 0);
 * ```
 */
export function prepRecvmsg(sqe: Sqe, fd: number, msg: number, flags: number): void {
  prepRw(IORING_OP_RECVMSG, sqe, fd, msg, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a multishot recvmsg: each message lands in a provided buffer laid out as a `struct
 * io_uring_recvmsg_out` header, the name, the control data and the payload (parse it with `recvmsg.ts`). The
 * `msg` gives only the name and control lengths. Matches liburing's `io_uring_prep_recvmsg_multishot` (Linux 6.0).
 *
 * UNSAFE: the kernel reads `msg` when the request starts; it must stay valid until the first CQE.
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param msg The address of a `struct msghdr` (msg_namelen and msg_controllen are used).
 * @param flags `MSG_*` flags.
 *
 * @example
 * ```ts
 * const sqe = ring.getSqe()!;
 * prepRecvmsgMultishot(sqe, udp, msg.address, 0);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * ```
 */
export function prepRecvmsgMultishot(sqe: Sqe, fd: number, msg: number, flags: number): void {
  prepRecvmsg(sqe, fd, msg, flags);
  sqe.u16[H_IOPRIO] |= IORING_RECV_MULTISHOT;
}

/**
 * Prepares shutdown(2). Matches liburing's `io_uring_prep_shutdown` (Linux 5.11).
 *
 * @param sqe The SQE to fill.
 * @param fd The socket.
 * @param how SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2).
 *
 * @example
 * ```ts
 * const SHUT_WR = 1;
 * prepShutdown(ring.getSqe()!, sock, SHUT_WR);
 * ```
 */
export function prepShutdown(sqe: Sqe, fd: number, how: number): void {
  prepRw(IORING_OP_SHUTDOWN, sqe, fd, 0, how, 0);
}
