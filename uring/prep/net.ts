/**
 * Sockets: socket, bind, listen, accept, connect, send and receive in their plain, message, multishot, bundle,
 * zero-copy and registered-buffer forms, and shutdown.
 *
 * Every helper takes the SQE to fill first: one fresh from `ring.getSqe()` (zeroed). Preparing clears the SQE's flags,
 * so set them (`sqeSetFlags`: IOSQE_FIXED_FILE, IOSQE_BUFFER_SELECT ...) and the user_data (`sqeSetData`)
 * afterwards. Several opcodes take their io_uring-specific flags in `ioprio` (IORING_RECV_MULTISHOT,
 * IORING_RECVSEND_BUNDLE, IORING_ACCEPT_MULTISHOT ...): the helpers that need one set it.
 *
 * Buffers, `struct msghdr`s and `struct sockaddr`s are raw addresses. UNSAFE: the kernel dereferences them when the
 * request runs, possibly after submit returns; the memory must stay valid until the CQE arrives (for zero-copy
 * sends, until the notification CQE with IORING_CQE_F_NOTIF). Socket constants (`AF_*`, `SOCK_*`, `MSG_*`,
 * `SHUT_*`) and `encodeSockaddr*` are in the abi layer.
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
  W_OFF,
  W_OP_FLAGS,
} from "./base.ts";
import { setU64Words } from "../abi/_u64.ts";

/**
 * Prepares socket(2); the result is the new file descriptor. Matches liburing's `io_uring_prep_socket`
 * (IORING_OP_SOCKET, Linux 5.19).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param domain The address family (AF_UNIX 1, AF_INET 2, AF_INET6 10 ...).
 * @param type The socket type (SOCK_STREAM 1, SOCK_DGRAM 2 ...), or-ed with SOCK_NONBLOCK / SOCK_CLOEXEC if wanted.
 * @param protocol The protocol, usually 0 (the family's default for the type).
 * @param flags Reserved by the kernel: pass 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { AF_INET, SOCK_CLOEXEC, SOCK_STREAM } from "ringside-uring/abi";
 * declare const ring: Ring;
 *
 * prepSocket(ring.getSqe()!, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0);
 * ```
 */
export function prepSocket(sqe: Sqe, domain: number, type: number, protocol: number, flags: number): void {
  // `type` is a C int passed as the 64-bit offset: sign-extended, as in liburing.
  prepRw(IORING_OP_SOCKET, sqe, domain, 0, protocol, type | 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares socket(2) into the registered file table: the socket becomes direct descriptor `fileIndex` (result 0),
 * or, with `IORING_FILE_INDEX_ALLOC`, a free slot whose index is the result. Matches liburing's
 * `io_uring_prep_socket_direct` (IORING_OP_SOCKET with file_index, Linux 5.19).
 *
 * Use the socket with IOSQE_FIXED_FILE afterwards; SOCK_CLOEXEC is refused, since a direct descriptor is not in the
 * process's table.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param domain The address family (AF_INET 2 ...).
 * @param type The socket type, or-ed with SOCK_NONBLOCK if wanted.
 * @param protocol The protocol, usually 0.
 * @param fileIndex The slot in the registered file table (0-based), or `IORING_FILE_INDEX_ALLOC`.
 * @param flags Reserved by the kernel: pass 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { AF_INET, SOCK_STREAM } from "ringside-uring/abi";
 * declare const ring: Ring;
 *
 * prepSocketDirect(ring.getSqe()!, AF_INET, SOCK_STREAM, 0, 5, 0); // direct descriptor 5
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
 * `io_uring_prep_socket_direct_alloc` (IORING_OP_SOCKET with IORING_FILE_INDEX_ALLOC, Linux 5.19).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param domain The address family.
 * @param type The socket type, without SOCK_CLOEXEC.
 * @param protocol The protocol, usually 0.
 * @param flags Reserved by the kernel: pass 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { AF_INET6, SOCK_DGRAM } from "ringside-uring/abi";
 * declare const ring: Ring;
 *
 * prepSocketDirectAlloc(ring.getSqe()!, AF_INET6, SOCK_DGRAM, 0, 0);
 * ```
 */
export function prepSocketDirectAlloc(sqe: Sqe, domain: number, type: number, protocol: number, flags: number): void {
  prepSocket(sqe, domain, type, protocol, flags);
  setTargetFixedFile(sqe, IORING_FILE_INDEX_ALLOC - 1);
}

/**
 * Prepares bind(2). Matches liburing's `io_uring_prep_bind` (IORING_OP_BIND, Linux 6.11).
 *
 * UNSAFE: the kernel reads `addr`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param addr The address of a `struct sockaddr`.
 * @param addrlen Its length in bytes (16 for `sockaddr_in`, 28 for `sockaddr_in6`).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { encodeSockaddrIn } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * const sin = NativeMemory.allocate(16);
 * const len = encodeSockaddrIn(sin.bytes, "0.0.0.0", 8080);
 * prepBind(ring.getSqe()!, sock, sin.address, len);
 * ```
 */
export function prepBind(sqe: Sqe, fd: number, addr: number, addrlen: number): void {
  prepRw(IORING_OP_BIND, sqe, fd, addr, 0, addrlen >>> 0);
}

/**
 * Prepares listen(2). Matches liburing's `io_uring_prep_listen` (IORING_OP_LISTEN, Linux 6.11).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The bound socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param backlog The queue length for pending connections (capped by net.core.somaxconn).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, sock: number;
 *
 * prepListen(ring.getSqe()!, sock, 128);
 * ```
 */
export function prepListen(sqe: Sqe, fd: number, backlog: number): void {
  prepRw(IORING_OP_LISTEN, sqe, fd, 0, backlog, 0);
}

/**
 * Prepares accept4(2); the result is the new connection's file descriptor. Matches liburing's
 * `io_uring_prep_accept` (IORING_OP_ACCEPT, Linux 5.5).
 *
 * UNSAFE: the kernel writes `addr` and reads/writes `addrlen`; both (or 0 for neither) must stay valid until the
 * CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The listening socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param addr The address of a `struct sockaddr` receiving the peer address, or 0.
 * @param addrlen The address of a `socklen_t` holding its size (updated to the peer address's length), or 0.
 * @param flags SOCK_NONBLOCK (0x800) and/or SOCK_CLOEXEC (0x80000), or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { SOCK_CLOEXEC } from "ringside-uring/abi";
 * declare const ring: Ring, listener: number;
 *
 * prepAccept(ring.getSqe()!, listener, 0, 0, SOCK_CLOEXEC);
 * ```
 */
export function prepAccept(sqe: Sqe, fd: number, addr: number, addrlen: number, flags: number): void {
  prepRw(IORING_OP_ACCEPT, sqe, fd, addr, 0, addrlen);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares accept4(2) into the registered file table: the connection becomes direct descriptor `fileIndex`
 * (result 0), or, with `IORING_FILE_INDEX_ALLOC`, a free slot whose index is the result. Matches liburing's
 * `io_uring_prep_accept_direct` (IORING_OP_ACCEPT with file_index, Linux 5.15; IORING_FILE_INDEX_ALLOC 5.19).
 *
 * UNSAFE: the kernel writes `addr` and reads/writes `addrlen`; both must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The listening socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param addr The address of a `struct sockaddr` receiving the peer address, or 0.
 * @param addrlen The address of a `socklen_t` holding its size, or 0.
 * @param flags SOCK_NONBLOCK or 0 (SOCK_CLOEXEC is refused for direct descriptors).
 * @param fileIndex The slot in the registered file table (0-based), or `IORING_FILE_INDEX_ALLOC`.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { IORING_FILE_INDEX_ALLOC } from "ringside-uring/abi";
 * declare const ring: Ring, listener: number;
 *
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
 * Prepares a multishot accept: one CQE per incoming connection, its result the new file descriptor, with
 * IORING_CQE_F_MORE while the request stays armed. Matches liburing's `io_uring_prep_multishot_accept`
 * (IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT, Linux 5.19).
 *
 * A CQE without IORING_CQE_F_MORE ends it (an error, or a cancellation); submit it again to keep accepting.
 *
 * UNSAFE: the kernel writes `addr` and `addrlen` for every connection, overwriting the previous one; pass 0 for
 * both unless they stay valid until the final CQE.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The listening socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param addr The address of a `struct sockaddr`, or 0.
 * @param addrlen The address of a `socklen_t`, or 0.
 * @param flags SOCK_NONBLOCK and/or SOCK_CLOEXEC, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { SOCK_CLOEXEC } from "ringside-uring/abi";
 * declare const ring: Ring, listener: number;
 *
 * prepMultishotAccept(ring.getSqe()!, listener, 0, 0, SOCK_CLOEXEC);
 * ```
 */
export function prepMultishotAccept(sqe: Sqe, fd: number, addr: number, addrlen: number, flags: number): void {
  prepAccept(sqe, fd, addr, addrlen, flags);
  sqe.u16[H_IOPRIO]! |= IORING_ACCEPT_MULTISHOT;
}

/**
 * Prepares a multishot accept into free slots of the registered file table: each CQE's result is the slot index of
 * one new connection. Matches liburing's `io_uring_prep_multishot_accept_direct` (IORING_OP_ACCEPT with
 * IORING_ACCEPT_MULTISHOT and IORING_FILE_INDEX_ALLOC, Linux 5.19).
 *
 * When the table has no free slot the request ends with -ENFILE; close direct descriptors to make room.
 *
 * UNSAFE: the kernel writes `addr` and `addrlen` for every connection; pass 0 for both unless they stay valid until
 * the final CQE.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The listening socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param addr The address of a `struct sockaddr`, or 0.
 * @param addrlen The address of a `socklen_t`, or 0.
 * @param flags SOCK_NONBLOCK or 0 (no SOCK_CLOEXEC for direct descriptors).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, listener: number;
 *
 * prepMultishotAcceptDirect(ring.getSqe()!, listener, 0, 0, 0);
 * ```
 */
export function prepMultishotAcceptDirect(sqe: Sqe, fd: number, addr: number, addrlen: number, flags: number): void {
  prepMultishotAccept(sqe, fd, addr, addrlen, flags);
  setTargetFixedFile(sqe, IORING_FILE_INDEX_ALLOC - 1);
}

/**
 * Prepares connect(2); the result is 0 once connected. Matches liburing's `io_uring_prep_connect`
 * (IORING_OP_CONNECT, Linux 5.5).
 *
 * UNSAFE: the kernel reads `addr`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param addr The address of a `struct sockaddr`.
 * @param addrlen Its length in bytes (16 for `sockaddr_in`, 28 for `sockaddr_in6`).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { encodeSockaddrIn } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * const sin = NativeMemory.allocate(16);
 * const len = encodeSockaddrIn(sin.bytes, "127.0.0.1", 8080);
 * prepConnect(ring.getSqe()!, sock, sin.address, len);
 * ```
 */
export function prepConnect(sqe: Sqe, fd: number, addr: number, addrlen: number): void {
  prepRw(IORING_OP_CONNECT, sqe, fd, addr, 0, addrlen >>> 0);
}

/**
 * Prepares send(2); the result is the number of bytes sent. Matches liburing's `io_uring_prep_send`
 * (IORING_OP_SEND, Linux 5.6).
 *
 * Pass MSG_NOSIGNAL so that writing to a connection the peer has closed fails with -EPIPE instead of raising
 * SIGPIPE. For a destination address (sendto) see {@link prepSendto}.
 *
 * UNSAFE: the kernel reads `buf`; it must stay valid and unchanged until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param sockfd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address of the data.
 * @param len Its length in bytes (truncated to 32 bits, as liburing does with its size_t).
 * @param flags `MSG_*` flags (MSG_DONTWAIT 0x40, MSG_NOSIGNAL 0x4000, MSG_MORE 0x8000 ...), or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { MSG_NOSIGNAL } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * const data = NativeMemory.allocate(5);
 * data.bytes.set(new TextEncoder().encode("hello"));
 * prepSend(ring.getSqe()!, sock, data.address, data.byteLength, MSG_NOSIGNAL);
 * ```
 */
export function prepSend(sqe: Sqe, sockfd: number, buf: number, len: number, flags: number): void {
  prepRw(IORING_OP_SEND, sqe, sockfd, buf, len, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a bundle send: the data comes from the buffers queued in a provided-buffer group (IOSQE_BUFFER_SELECT
 * and `sqeSetBufGroup`), sent in one operation; the result is the byte count and the CQE names the first buffer
 * used. Matches liburing's `io_uring_prep_send_bundle` (IORING_OP_SEND with IORING_RECVSEND_BUNDLE, Linux 6.10).
 *
 * Check IORING_FEAT_RECVSEND_BUNDLE in the ring's features before relying on it.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param sockfd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param len The most bytes to send, or 0 for everything queued in the group.
 * @param flags `MSG_*` flags, or 0.
 *
 * @example
 * ```ts
 * import { type Ring, sqeSetBufGroup, sqeSetFlags } from "ringside-uring/ring";
 * import { IOSQE_BUFFER_SELECT } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * const sqe = ring.getSqe()!;
 * prepSendBundle(sqe, sock, 0, 0);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * ```
 */
export function prepSendBundle(sqe: Sqe, sockfd: number, len: number, flags: number): void {
  prepSend(sqe, sockfd, 0, len, flags);
  sqe.u16[H_IOPRIO]! |= IORING_RECVSEND_BUNDLE;
}

/**
 * Adds a destination address to a prepared send or zero-copy send, turning it into sendto(2) (for unconnected
 * datagram sockets). Matches liburing's `io_uring_prep_send_set_addr` (Linux 6.0).
 *
 * The address goes into `addr2` and its length into `addr_len`; only IORING_OP_SEND and IORING_OP_SEND_ZC read
 * them.
 *
 * UNSAFE: the kernel reads `destAddr`; it must stay valid until the CQE arrives.
 *
 * @param sqe An SQE prepared with {@link prepSend} or {@link prepSendZc}.
 * @param destAddr The address of a `struct sockaddr`.
 * @param addrLen Its length in bytes (unsigned 16-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, udp: number, data: number, sin: number; // addresses of the data and a sockaddr_in
 *
 * const sqe = ring.getSqe()!;
 * prepSendZc(sqe, udp, data, 5, 0, 0);
 * prepSendSetAddr(sqe, sin, 16);
 * ```
 */
export function prepSendSetAddr(sqe: Sqe, destAddr: number, addrLen: number): void {
  setU64Words(sqe.u32, W_OFF, destAddr);
  sqe.u16[H_ADDR_LEN] = addrLen;
}

/**
 * Prepares sendto(2): a send to destination address `addr`, for unconnected datagram sockets. Matches liburing's
 * `io_uring_prep_sendto` (IORING_OP_SEND with addr2, Linux 6.0).
 *
 * UNSAFE: the kernel reads `buf` and `addr`; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param sockfd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address of the data.
 * @param len Its length in bytes (truncated to 32 bits).
 * @param flags `MSG_*` flags, or 0.
 * @param addr The address of a `struct sockaddr`.
 * @param addrlen Its length in bytes (truncated to 16 bits, as liburing does).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * import { encodeSockaddrIn } from "ringside-uring/abi";
 * declare const ring: Ring, udp: number, data: NativeMemory;
 *
 * const sin = NativeMemory.allocate(16);
 * const len = encodeSockaddrIn(sin.bytes, "127.0.0.1", 5353);
 * prepSendto(ring.getSqe()!, udp, data.address, data.byteLength, 0, sin.address, len);
 * ```
 */
export function prepSendto(
  sqe: Sqe, sockfd: number, buf: number, len: number, flags: number, addr: number, addrlen: number,
): void {
  prepSend(sqe, sockfd, buf, len, flags);
  prepSendSetAddr(sqe, addr, addrlen);
}

/**
 * Prepares a zero-copy send: the kernel sends from `buf` itself instead of copying it. Matches liburing's
 * `io_uring_prep_send_zc` (IORING_OP_SEND_ZC, Linux 6.0).
 *
 * Usually two CQEs arrive with the same user_data: the result (the byte count) with IORING_CQE_F_MORE, then a
 * notification with IORING_CQE_F_NOTIF once the kernel no longer reads the buffer. Only after the notification may
 * `buf` be reused or freed. Zero copy pays off for large sends; small ones are cheaper copied.
 *
 * UNSAFE: the kernel reads `buf` until the notification CQE; it must stay valid and unchanged until then.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param sockfd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address of the data.
 * @param len Its length in bytes (truncated to 32 bits).
 * @param flags `MSG_*` flags, or 0.
 * @param zcFlags IORING_RECVSEND_POLL_FIRST, IORING_SEND_ZC_REPORT_USAGE (Linux 6.2) ..., or 0; stored in the
 *   16-bit `ioprio`.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import type { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, sock: number, big: NativeMemory;
 *
 * prepSendZc(ring.getSqe()!, sock, big.address, big.byteLength, 0, 0);
 * ```
 */
export function prepSendZc(sqe: Sqe, sockfd: number, buf: number, len: number, flags: number, zcFlags: number): void {
  prepRw(IORING_OP_SEND_ZC, sqe, sockfd, buf, len, 0);
  sqe.u32[W_OP_FLAGS] = flags;
  sqe.u16[H_IOPRIO] = zcFlags;
}

/**
 * Prepares a zero-copy send from registered buffer `bufIndex` (`buf` to `buf + len` must lie inside it), which
 * spares the kernel pinning the pages for each send. Matches liburing's `io_uring_prep_send_zc_fixed`
 * (IORING_OP_SEND_ZC with IORING_RECVSEND_FIXED_BUF, Linux 6.0).
 *
 * UNSAFE: the kernel reads `buf` until the notification CQE; it must stay valid and unchanged until then.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param sockfd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address of the data, inside the registered buffer.
 * @param len Its length in bytes (truncated to 32 bits).
 * @param flags `MSG_*` flags, or 0.
 * @param zcFlags Zero-copy flags as for {@link prepSendZc} (IORING_RECVSEND_FIXED_BUF is added).
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import type { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, sock: number, registered: NativeMemory; // buffer 0 of the registered table
 *
 * prepSendZcFixed(ring.getSqe()!, sock, registered.address, 65536, 0, 0, 0);
 * ```
 */
export function prepSendZcFixed(
  sqe: Sqe, sockfd: number, buf: number, len: number, flags: number, zcFlags: number, bufIndex: number,
): void {
  prepSendZc(sqe, sockfd, buf, len, flags, zcFlags);
  sqe.u16[H_IOPRIO]! |= IORING_RECVSEND_FIXED_BUF;
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares sendmsg(2): data from the iovecs of a `struct msghdr`, with an optional destination address and
 * control messages (file descriptors over AF_UNIX, say). Matches liburing's `io_uring_prep_sendmsg`
 * (IORING_OP_SENDMSG, Linux 5.3).
 *
 * UNSAFE: the kernel reads `msg` and everything it points at; they must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param msg The address of a `struct msghdr` (`MSGHDR_SIZE`, 56 bytes).
 * @param flags `MSG_*` flags, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, sock: number, msg: number; // the address of a filled struct msghdr
 *
 * prepSendmsg(ring.getSqe()!, sock, msg, 0);
 * ```
 */
export function prepSendmsg(sqe: Sqe, fd: number, msg: number, flags: number): void {
  prepRw(IORING_OP_SENDMSG, sqe, fd, msg, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a zero-copy sendmsg(2); the CQEs come as with {@link prepSendZc} (the result, then a notification).
 * Matches liburing's `io_uring_prep_sendmsg_zc` (IORING_OP_SENDMSG_ZC, Linux 6.1).
 *
 * UNSAFE: the kernel reads `msg` and its buffers until the notification CQE.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param msg The address of a `struct msghdr`.
 * @param flags `MSG_*` flags, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, sock: number, msg: number; // the address of a filled struct msghdr
 *
 * prepSendmsgZc(ring.getSqe()!, sock, msg, 0);
 * ```
 */
export function prepSendmsgZc(sqe: Sqe, fd: number, msg: number, flags: number): void {
  prepRw(IORING_OP_SENDMSG_ZC, sqe, fd, msg, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a zero-copy sendmsg(2) whose iovecs all lie in registered buffer `bufIndex`. Matches liburing's
 * `io_uring_prep_sendmsg_zc_fixed` (IORING_OP_SENDMSG_ZC with IORING_RECVSEND_FIXED_BUF, Linux 6.15).
 *
 * UNSAFE: the kernel reads `msg` and its buffers until the notification CQE.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param msg The address of a `struct msghdr`.
 * @param flags `MSG_*` flags, or 0.
 * @param bufIndex The index of the registered buffer (unsigned 16-bit).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, sock: number, msg: number; // a struct msghdr whose iovecs lie in registered buffer 0
 *
 * prepSendmsgZcFixed(ring.getSqe()!, sock, msg, 0, 0);
 * ```
 */
export function prepSendmsgZcFixed(sqe: Sqe, fd: number, msg: number, flags: number, bufIndex: number): void {
  prepSendmsgZc(sqe, fd, msg, flags);
  sqe.u16[H_IOPRIO]! |= IORING_RECVSEND_FIXED_BUF;
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Prepares recv(2); the result is the number of bytes received, 0 when a stream's peer has shut down. Matches
 * liburing's `io_uring_prep_recv` (IORING_OP_RECV, Linux 5.6).
 *
 * With IOSQE_BUFFER_SELECT and a group set by `sqeSetBufGroup`, pass `buf` 0: the kernel picks a provided buffer
 * when data arrives (so no memory is tied up while waiting) and names it in the CQE flags.
 *
 * UNSAFE: the kernel writes `buf`; it must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param sockfd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf The address of the buffer, or 0 with buffer selection.
 * @param len Its size in bytes (truncated to 32 bits); with buffer selection, the most to receive (0: a buffer's
 *   size).
 * @param flags `MSG_*` flags (MSG_PEEK 2, MSG_TRUNC 0x20, MSG_WAITALL 0x100 ...), or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 * declare const ring: Ring, sock: number;
 *
 * const buf = NativeMemory.allocate(65536);
 * prepRecv(ring.getSqe()!, sock, buf.address, buf.byteLength, 0);
 * ```
 */
export function prepRecv(sqe: Sqe, sockfd: number, buf: number, len: number, flags: number): void {
  prepRw(IORING_OP_RECV, sqe, sockfd, buf, len, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a multishot recv: one CQE per chunk of data, each in a buffer taken from the provided-buffer group, with
 * IORING_CQE_F_MORE while the request stays armed. Matches liburing's `io_uring_prep_recv_multishot`
 * (IORING_OP_RECV with IORING_RECV_MULTISHOT, Linux 6.0).
 *
 * Set IOSQE_BUFFER_SELECT and the group (`sqeSetBufGroup`) after preparing: a multishot recv without buffer
 * selection is refused. The request ends with a CQE without IORING_CQE_F_MORE: res 0 when the peer shuts down,
 * -ENOBUFS when the group runs out of buffers (return some, then arm it again), or another error.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param sockfd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param buf 0 (buffers come from the group).
 * @param len 0 for a whole buffer per CQE, or the most to receive per CQE.
 * @param flags `MSG_*` flags, or 0.
 *
 * @example
 * ```ts
 * import { type Ring, sqeSetBufGroup, sqeSetFlags } from "ringside-uring/ring";
 * import { IOSQE_BUFFER_SELECT } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number; // and provided-buffer group 1 registered
 *
 * const sqe = ring.getSqe()!;
 * prepRecvMultishot(sqe, sock, 0, 0, 0);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * ```
 */
export function prepRecvMultishot(sqe: Sqe, sockfd: number, buf: number, len: number, flags: number): void {
  prepRecv(sqe, sockfd, buf, len, flags);
  sqe.u16[H_IOPRIO]! |= IORING_RECV_MULTISHOT;
}

/**
 * Prepares recvmsg(2): data into the iovecs of a `struct msghdr`, with the sender's address and control messages.
 * Matches liburing's `io_uring_prep_recvmsg` (IORING_OP_RECVMSG, Linux 5.3).
 *
 * UNSAFE: the kernel reads `msg` and writes what it points at; all must stay valid until the CQE arrives.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param msg The address of a `struct msghdr` (`MSGHDR_SIZE`, 56 bytes).
 * @param flags `MSG_*` flags, or 0.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring, udp: number, msg: number; // the address of a struct msghdr with buffers set
 *
 * prepRecvmsg(ring.getSqe()!, udp, msg, 0);
 * ```
 */
export function prepRecvmsg(sqe: Sqe, fd: number, msg: number, flags: number): void {
  prepRw(IORING_OP_RECVMSG, sqe, fd, msg, 1, 0);
  sqe.u32[W_OP_FLAGS] = flags;
}

/**
 * Prepares a multishot recvmsg: each message lands in a provided buffer laid out as a `struct io_uring_recvmsg_out`
 * header, the name, the control data and the payload (parse it with the abi layer's `recvmsgValidate`,
 * `recvmsgName`, `recvmsgPayload` ...). Matches liburing's `io_uring_prep_recvmsg_multishot` (IORING_OP_RECVMSG with
 * IORING_RECV_MULTISHOT, Linux 6.0).
 *
 * The `msghdr` gives only the lengths to reserve for the name and the control data (`msg_namelen`,
 * `msg_controllen`); the buffers come from the group, not from its iovecs. Set IOSQE_BUFFER_SELECT and the group
 * after preparing; the request ends as {@link prepRecvMultishot}'s does.
 *
 * UNSAFE: the kernel reads `msg` when the request starts; it must stay valid until the first CQE.
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param msg The address of a `struct msghdr` (msg_namelen and msg_controllen are used).
 * @param flags `MSG_*` flags, or 0.
 *
 * @example
 * ```ts
 * import { type Ring, sqeSetBufGroup, sqeSetFlags } from "ringside-uring/ring";
 * import { IOSQE_BUFFER_SELECT } from "ringside-uring/abi";
 * declare const ring: Ring, udp: number, msg: number; // msg: a struct msghdr with msg_namelen 16
 *
 * const sqe = ring.getSqe()!;
 * prepRecvmsgMultishot(sqe, udp, msg, 0);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * ```
 */
export function prepRecvmsgMultishot(sqe: Sqe, fd: number, msg: number, flags: number): void {
  prepRecvmsg(sqe, fd, msg, flags);
  sqe.u16[H_IOPRIO]! |= IORING_RECV_MULTISHOT;
}

/**
 * Prepares shutdown(2): ends reception, transmission or both on a connected socket (SHUT_WR sends a FIN while
 * reading can go on). Matches liburing's `io_uring_prep_shutdown` (IORING_OP_SHUTDOWN, Linux 5.11).
 *
 * @param sqe The SQE (from `ring.getSqe()`).
 * @param fd The socket, or a registered-file index when IOSQE_FIXED_FILE is set afterwards.
 * @param how SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * import { SHUT_WR } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number;
 *
 * prepShutdown(ring.getSqe()!, sock, SHUT_WR);
 * ```
 */
export function prepShutdown(sqe: Sqe, fd: number, how: number): void {
  prepRw(IORING_OP_SHUTDOWN, sqe, fd, 0, how, 0);
}
