/**
 * Sockets on a {@link Loop}: the safe, typed layer over the socket opcodes. Every function takes the loop first and
 * returns a promise of the result; a failed completion rejects with a {@link UringError} whose `code` is the errno
 * name (`"ECONNREFUSED"`, `"EAGAIN"`, ...).
 *
 * What the kernel reads or writes after the call returns never comes from garbage-collected memory: sockaddrs,
 * msghdrs, iovecs and control data are built in arena chunks that live until the operation's last CQE; data views
 * that lie in {@link NativeMemory} are used in place (pinned until then), other views go through native bounce
 * memory (copied in for sends, copied back for receives, before the promise resolves). Do not change a buffer while
 * an operation on it is pending.
 *
 * Defaults that differ from the bare system calls, for safety: new descriptors are close-on-exec (`SOCK_CLOEXEC`,
 * `MSG_CMSG_CLOEXEC`; `cloexec: false` turns it off) and sends never raise SIGPIPE (`MSG_NOSIGNAL` is always added).
 *
 * Every function takes `{ signal?, timeoutMs? }`: aborting the signal cancels the request (the promise rejects with
 * an `AbortError` carrying the signal's reason) and `timeoutMs` bounds it with a linked timeout (a `TimeoutError`).
 *
 * @example
 * ```ts
 * import { Loop } from "../loop/loop.ts";
 * import { accept, bind, connect, listen, recv, send, socket } from "./net.ts";
 * import { AF_INET, SOCK_STREAM } from "../abi/sockaddr.ts";
 *
 * const loop = new Loop();
 * const server = await socket(loop, AF_INET, SOCK_STREAM);
 * await bind(loop, server, { address: "127.0.0.1", port: 8080 });
 * await listen(loop, server);
 * const client = await socket(loop, AF_INET, SOCK_STREAM);
 * const accepting = accept(loop, server);
 * await connect(loop, client, { address: "127.0.0.1", port: 8080 });
 * const conn = await accepting;
 * await send(loop, client, new TextEncoder().encode("hello"));
 * const buf = new Uint8Array(64);
 * const n = await recv(loop, conn.fd, buf); // 5
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type Operation, type OpOptions, PromiseOp } from "../loop/operation.ts";
import { checkFd, checkU32, getU64, putU64, run, start } from "../ops/ops.ts";
import type { Chunk } from "../loop/_arena.ts";
import { refuse } from "../core/errors.ts";
import { MAX_RW_COUNT } from "../buffers/buffer_ring.ts";
import type { Sqe } from "../ring/sqe.ts";
import {
  prepAccept,
  prepAcceptDirect,
  prepBind,
  prepConnect,
  prepListen,
  prepRecv,
  prepRecvmsg,
  prepSend,
  prepSendmsg,
  prepSendmsgZc,
  prepSendSetAddr,
  prepSendto,
  prepSendZc,
  prepShutdown,
  prepSocket,
  prepSocketDirect,
} from "../prep/net.ts";
import { H_IOPRIO } from "../prep/base.ts";
import {
  IORING_CQE_F_NOTIF,
  IORING_FILE_INDEX_ALLOC,
  IORING_NOTIF_USAGE_ZC_COPIED,
  IORING_SEND_ZC_REPORT_USAGE,
} from "../abi/uapi.ts";
import {
  decodeSockaddr,
  encodeSockaddr,
  MSG_CMSG_CLOEXEC,
  MSG_NOSIGNAL,
  SCM_RIGHTS,
  SOCK_CLOEXEC,
  SOCKADDR_STORAGE_SIZE,
  type SocketAddress,
  type SocketAddressInput,
  sockaddrLength,
  SOL_SOCKET,
} from "../abi/sockaddr.ts";

/**
 * The length one send or recv asks for: the view's, capped at MAX_RW_COUNT, the most the kernel moves in one call
 * anyway (a longer view is a short send or receive, as from the kernel). The SQE's len is 32 bits: a view of 4 GiB
 * or more would otherwise be cut to its low 32 bits.
 */
function ioLength(view: ArrayBufferView): number {
  return view.byteLength < MAX_RW_COUNT ? view.byteLength : MAX_RW_COUNT;
}

// ---- Options and results ----------------------------------------------------------------------------------------


/** Options of the calls that make a descriptor. */
export interface SocketOptions extends OpOptions {
  /** Make the new descriptor close-on-exec (default true). */
  cloexec?: boolean;
}

/** Options of sends and receives. */
export interface MsgOptions extends OpOptions {
  /** `MSG_*` flags (MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, MSG_MORE ...). Sends always add MSG_NOSIGNAL. */
  flags?: number;
}

/** What {@link accept} resolves to. */
export interface Accepted {
  /** The connection's file descriptor. */
  fd: number;
  /** The peer's address (null when the kernel reported none). */
  address: SocketAddress | null;
}

/** What {@link acceptDirect} resolves to. */
export interface AcceptedDirect {
  /** The connection's slot in the ring's registered file table. */
  fileIndex: number;
  /** The peer's address (null when the kernel reported none). */
  address: SocketAddress | null;
}

/** One control message (`struct cmsghdr` and its data), sent with {@link sendmsg} or received by {@link recvmsg}. */
export interface ControlMessage {
  /** `cmsg_level`: SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 ... */
  level: number;
  /** `cmsg_type`: SCM_RIGHTS, SCM_CREDENTIALS, IP_PKTINFO ... */
  type: number;
  /** The data after the header (a copy, owned by the caller). */
  data: Uint8Array;
}

/** A message for {@link sendmsg} / {@link sendmsgZc}. */
export interface OutgoingMessage {
  /** The payload: one view or several (gathered in order, as iovecs). */
  data?: ArrayBufferView | readonly ArrayBufferView[];
  /** The destination (`msg_name`), for unconnected datagram sockets. */
  address?: SocketAddressInput;
  /** Control messages (`msg_control`), such as {@link scmRights}. */
  control?: readonly ControlMessage[];
}

/** Where {@link recvmsg} receives. */
export interface IncomingMessage {
  /** The buffers to fill, in order (scattered, as iovecs). */
  data: ArrayBufferView | readonly ArrayBufferView[];
  /**
   * Room for control messages in bytes (`msg_controllen`); size it with {@link cmsgSpace}. Default 0: file
   * descriptors sent with SCM_RIGHTS are then closed by the kernel and MSG_CTRUNC is reported.
   */
  controlLength?: number;
}

/** Options of {@link recvmsg}. */
export interface RecvmsgOptions extends MsgOptions {
  /** Receive SCM_RIGHTS descriptors close-on-exec (MSG_CMSG_CLOEXEC; default true). */
  cloexec?: boolean;
}

/** What {@link recvmsg} resolves to. */
export interface ReceivedMessage {
  /** The payload bytes received (with MSG_TRUNC on a datagram socket: the datagram's real length). */
  bytes: number;
  /** The sender's address (datagram sockets), or null when the kernel reported none. */
  address: SocketAddress | null;
  /** The control messages received, parsed. */
  control: ControlMessage[];
  /** `msg_flags`: MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_OOB ... */
  flags: number;
}

/** Options of the zero-copy sends. */
export interface ZcOptions extends MsgOptions {
  /** Ask whether the kernel had to copy after all (IORING_SEND_ZC_REPORT_USAGE, Linux 6.2). */
  reportUsage?: boolean;
}

/** What the zero-copy sends resolve to, once the kernel has let go of the buffer. */
export interface ZcResult {
  /** Bytes sent. */
  bytes: number;
  /**
   * With `reportUsage`: whether the data was copied rather than sent from the buffer (always so over loopback);
   * null without it.
   */
  copied: boolean | null;
}

// ---- Shared plumbing --------------------------------------------------------------------------------------------

function checkView(operation: string, view: unknown, what: string): ArrayBufferView {
  if (!ArrayBuffer.isView(view)) refuse(operation, `${what} must be a TypedArray or DataView`);
  return view;
}

/** Writes `addr` into a fresh arena chunk of `op` and returns [chunk, length]. */
function sockaddrChunk(loop: Loop, op: Operation, name: string, addr: SocketAddressInput): [Chunk, number] {
  if (addr === null || typeof addr !== "object") refuse(name, "the address must be { address, port } or { path }");
  const c = op.chunk(loop, sockaddrLength(addr));
  return [c, encodeSockaddr(addr, c.bytes)];
}

// ---- struct msghdr (64-bit Linux) ----------------------------------------------------------------------------------

/** struct msghdr: msg_name@0 msg_namelen@8 msg_iov@16 msg_iovlen@24 msg_control@32 msg_controllen@40 msg_flags@48. */
const MSGHDR = { name: 0, namelen: 8, iov: 16, iovlen: 24, control: 32, controllen: 40, flags: 48, SIZE: 56 } as const;
/** sizeof(struct iovec). */
const IOVEC_SIZE = 16;
/** sizeof(struct cmsghdr) on 64-bit Linux. */
const CMSGHDR_SIZE = 16;
/** The kernel's cap on iovecs per message (UIO_MAXIOV). */
const UIO_MAXIOV = 1024;

/** CMSG_ALIGN: rounds up to a multiple of 8 (sizeof(size_t)). */
function cmsgAlign(n: number): number {
  return (n + 7) & ~7;
}

/**
 * The room a control message with `dataLength` bytes of data takes: `CMSG_SPACE(dataLength)`. Sum these for
 * {@link IncomingMessage.controlLength}.
 *
 * @param dataLength The data bytes (4 per descriptor for SCM_RIGHTS).
 *
 * @example
 * ```ts
 * await recvmsg(loop, sock, { data: buf, controlLength: cmsgSpace(4 * 3) }); // room for three descriptors
 * ```
 */
export function cmsgSpace(dataLength: number): number {
  return CMSGHDR_SIZE + cmsgAlign(dataLength);
}

/**
 * A SOL_SOCKET/SCM_RIGHTS control message passing `fds` to the peer of an AF_UNIX socket (the kernel duplicates
 * them into the receiving process).
 *
 * @param fds The descriptors to pass (at most 253, SCM_MAX_FD).
 *
 * @example
 * ```ts
 * await sendmsg(loop, unixSock, { data: Uint8Array.of(0), control: [scmRights([pipeWriteEnd])] });
 * ```
 */
export function scmRights(fds: readonly number[]): ControlMessage {
  const data = new Uint8Array(fds.length * 4);
  const v = new DataView(data.buffer);
  fds.forEach((fd, i) => {
    checkFd("make an SCM_RIGHTS message", fd);
    v.setInt32(i * 4, fd, true);
  });
  return { level: SOL_SOCKET, type: SCM_RIGHTS, data };
}

/**
 * The descriptors carried by the SCM_RIGHTS messages among `control` (what {@link recvmsg} received). The caller
 * owns them and must close them.
 *
 * @param control Received control messages.
 *
 * @example
 * ```ts
 * const msg = await recvmsg(loop, sock, { data: buf, controlLength: cmsgSpace(4) });
 * const [fd] = controlFds(msg.control);
 * ```
 */
export function controlFds(control: readonly ControlMessage[]): number[] {
  const out: number[] = [];
  for (const c of control) {
    if (c.level !== SOL_SOCKET || c.type !== SCM_RIGHTS) continue;
    const v = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
    for (let i = 0; i + 4 <= c.data.byteLength; i += 4) out.push(v.getInt32(i, true));
  }
  return out;
}

function views(operation: string, data: ArrayBufferView | readonly ArrayBufferView[] | undefined): ArrayBufferView[] {
  if (data === undefined) return [];
  const list = ArrayBuffer.isView(data) ? [data] : Array.isArray(data) ? [...data] : null;
  if (!list) refuse(operation, "data must be a TypedArray, a DataView or an array of them");
  if (list.length > UIO_MAXIOV) refuse(operation, `at most ${UIO_MAXIOV} buffers per message, got ${list.length}`);
  for (const v of list) checkView(operation, v, "each buffer");
  return list;
}

/**
 * Builds an outgoing msghdr in one arena chunk of `op`: header, name, iovecs, control. Data views are pinned (native)
 * or copied into bounce chunks. Returns the msghdr's address.
 */
function buildOutgoing(loop: Loop, op: Operation, name: string, msg: OutgoingMessage): number {
  if (msg === null || typeof msg !== "object") refuse(name, "the message must be an object");
  const list = views(name, msg.data);
  const control = msg.control ?? [];
  let controlLen = 0;
  for (const c of control) {
    if (!c || !(c.data instanceof Uint8Array)) refuse(name, "each control message needs a Uint8Array data");
    controlLen += cmsgSpace(c.data.byteLength);
  }
  const nameLen = msg.address ? sockaddrLength(msg.address) : 0;
  const nameAt = 64;
  const iovAt = nameAt + cmsgAlign(nameLen);
  const controlAt = iovAt + list.length * IOVEC_SIZE;
  const c = op.chunk(loop, controlAt + controlLen);
  const v = c.view;
  // Every msghdr field is written, absent ones as 0: the header must never point the kernel anywhere by accident.
  putU64(v, MSGHDR.name, 0);
  v.setUint32(MSGHDR.namelen, 0, true);
  putU64(v, MSGHDR.iov, 0);
  putU64(v, MSGHDR.iovlen, 0);
  putU64(v, MSGHDR.control, 0);
  putU64(v, MSGHDR.controllen, 0);
  v.setUint32(MSGHDR.flags, 0, true);
  if (msg.address) {
    encodeSockaddr(msg.address, c.bytes, nameAt);
    putU64(v, MSGHDR.name, c.address + nameAt);
    v.setUint32(MSGHDR.namelen, nameLen, true);
  }
  for (let i = 0; i < list.length; i++) {
    const at = iovAt + i * IOVEC_SIZE;
    putU64(v, at, list[i].byteLength ? op.kernelAddress(loop, list[i], false) : 0);
    putU64(v, at + 8, list[i].byteLength);
  }
  if (list.length) {
    putU64(v, MSGHDR.iov, c.address + iovAt);
    putU64(v, MSGHDR.iovlen, list.length);
  }
  if (controlLen) {
    let at = controlAt;
    for (const m of control) {
      putU64(v, at, CMSGHDR_SIZE + m.data.byteLength);
      v.setInt32(at + 8, m.level, true);
      v.setInt32(at + 12, m.type, true);
      c.bytes.set(m.data, at + CMSGHDR_SIZE);
      at += cmsgSpace(m.data.byteLength);
    }
    putU64(v, MSGHDR.control, c.address + controlAt);
    putU64(v, MSGHDR.controllen, controlLen);
  }
  return c.address;
}

// ---- Creating, binding, listening ---------------------------------------------------------------------------------

/**
 * Creates a socket (IORING_OP_SOCKET, Linux 5.19) and resolves to its file descriptor, close-on-exec unless
 * `cloexec: false`.
 *
 * @param loop The loop.
 * @param domain AF_INET, AF_INET6, AF_UNIX ...
 * @param type SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET ..., optionally with SOCK_NONBLOCK.
 * @param protocol The protocol (default 0: the family's default for the type).
 * @param options `cloexec`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const fd = await socket(loop, AF_INET6, SOCK_DGRAM);
 * ```
 */
export function socket(
  loop: Loop, domain: number, type: number, protocol = 0, options: SocketOptions = {},
): Promise<number> {
  return run(loop, new PromiseOp("socket", (sqe: Sqe) => {
    checkU32("socket", domain, "domain");
    const t = checkU32("socket", type, "type") | (options.cloexec === false ? 0 : SOCK_CLOEXEC);
    prepSocket(sqe, domain, t, checkU32("socket", protocol, "protocol"), 0);
  }), options);
}

/**
 * Creates a socket straight into the ring's registered file table (Linux 5.19): no file descriptor is made, and
 * the result is the slot, for operations with IOSQE_FIXED_FILE. Register a table first (`registerFilesSparse`).
 *
 * @param loop The loop.
 * @param domain AF_INET, AF_INET6, AF_UNIX ...
 * @param type The socket type (SOCK_CLOEXEC is meaningless here and refused by the kernel).
 * @param protocol The protocol (default 0).
 * @param fileIndex The slot, or IORING_FILE_INDEX_ALLOC (default) for a free one.
 * @param options `signal`, `timeoutMs`.
 * @returns The slot index.
 *
 * @example
 * ```ts
 * registerFilesSparse(loop.ring, 16);
 * const slot = await socketDirect(loop, AF_INET, SOCK_STREAM);
 * ```
 */
export function socketDirect(
  loop: Loop, domain: number, type: number, protocol = 0, fileIndex: number = IORING_FILE_INDEX_ALLOC,
  options: OpOptions = {},
): Promise<number> {
  const alloc = fileIndex >>> 0 === IORING_FILE_INDEX_ALLOC;
  const op = new PromiseOp("socket", (sqe: Sqe) => {
    if (!alloc) checkFd("socket", fileIndex, "fileIndex");
    prepSocketDirect(sqe, domain, type, protocol, fileIndex, 0);
  }, { map: (res) => alloc ? res : fileIndex });
  return run(loop, op, options);
}

/**
 * Binds a socket to an address (IORING_OP_BIND, Linux 6.11).
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param address `{ address, port }` (port 0: the kernel picks one) or `{ path }` for AF_UNIX.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await bind(loop, fd, { address: "::1", port: 0 });
 * await bind(loop, unixFd, { path: "/tmp/app.sock" });
 * ```
 */
export function bind(loop: Loop, fd: number, address: SocketAddressInput, options: OpOptions = {}): Promise<void> {
  const op = new PromiseOp<void>("bind", (sqe: Sqe, o) => {
    checkFd("bind", fd);
    const [c, len] = sockaddrChunk(loop, o, o.name, address);
    prepBind(sqe, fd, c.address, len);
  }, { map: () => undefined });
  return run(loop, op, options);
}

/**
 * Marks a socket as accepting connections (IORING_OP_LISTEN, Linux 6.11).
 *
 * @param loop The loop.
 * @param fd A bound stream or seqpacket socket.
 * @param backlog The queue of pending connections (default 511; the kernel caps it at net.core.somaxconn).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await listen(loop, fd);
 * ```
 */
export function listen(loop: Loop, fd: number, backlog = 511, options: OpOptions = {}): Promise<void> {
  const op = new PromiseOp<void>("listen", (sqe: Sqe) => {
    checkFd("listen", fd);
    if (!Number.isInteger(backlog) || backlog < 0 || backlog > 0x7fffffff) {
      refuse("listen", `backlog must be a non-negative integer, got ${backlog}`);
    }
    prepListen(sqe, fd, backlog);
  }, { map: () => undefined });
  return run(loop, op, options);
}

// ---- Connections --------------------------------------------------------------------------------------------------

/** The arena layout of accept's output: sockaddr_storage at 0, socklen_t at 128. */
const ACCEPT_LEN_AT = SOCKADDR_STORAGE_SIZE;

/**
 * Accepts a connection (IORING_OP_ACCEPT, Linux 5.5) and resolves to its descriptor (close-on-exec unless
 * `cloexec: false`) and the peer's address, which the kernel writes into an arena chunk that is parsed on
 * completion.
 *
 * @param loop The loop.
 * @param fd The listening socket.
 * @param options `cloexec`, `flags` (SOCK_NONBLOCK), `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const { fd: conn, address } = await accept(loop, listener);
 * console.log(address); // { family: 2, address: "127.0.0.1", port: 51234 }
 * ```
 */
export function accept(loop: Loop, fd: number, options: SocketOptions & { flags?: number } = {}): Promise<Accepted> {
  let out: Chunk;
  const op = new PromiseOp<Accepted>("accept", (sqe: Sqe, o) => {
    checkFd("accept", fd);
    const flags = checkU32("accept", options.flags ?? 0) | (options.cloexec === false ? 0 : SOCK_CLOEXEC);
    out = o.chunk(loop, ACCEPT_LEN_AT + 4);
    out.view.setUint32(ACCEPT_LEN_AT, SOCKADDR_STORAGE_SIZE, true);
    prepAccept(sqe, fd, out.address, out.address + ACCEPT_LEN_AT, flags);
  }, {
    map: (res) => ({ fd: res, address: decodeSockaddr(out.bytes, out.view.getUint32(ACCEPT_LEN_AT, true)) }),
  });
  return run(loop, op, options);
}

/**
 * Accepts a connection straight into the ring's registered file table (Linux 5.15; a free slot with
 * IORING_FILE_INDEX_ALLOC, Linux 5.19).
 *
 * @param loop The loop.
 * @param fd The listening socket (a plain descriptor).
 * @param fileIndex The slot, or IORING_FILE_INDEX_ALLOC (default).
 * @param options `flags` (SOCK_NONBLOCK), `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const { fileIndex } = await acceptDirect(loop, listener);
 * ```
 */
export function acceptDirect(
  loop: Loop, fd: number, fileIndex: number = IORING_FILE_INDEX_ALLOC, options: OpOptions & { flags?: number } = {},
): Promise<AcceptedDirect> {
  let out: Chunk;
  const alloc = fileIndex >>> 0 === IORING_FILE_INDEX_ALLOC;
  const op = new PromiseOp<AcceptedDirect>("accept", (sqe: Sqe, o) => {
    checkFd("accept", fd);
    if (!alloc) checkFd("accept", fileIndex, "fileIndex");
    out = o.chunk(loop, ACCEPT_LEN_AT + 4);
    out.view.setUint32(ACCEPT_LEN_AT, SOCKADDR_STORAGE_SIZE, true);
    prepAcceptDirect(sqe, fd, out.address, out.address + ACCEPT_LEN_AT, checkU32("accept", options.flags ?? 0),
      fileIndex);
  }, {
    map: (res) => ({
      fileIndex: alloc ? res : fileIndex,
      address: decodeSockaddr(out.bytes, out.view.getUint32(ACCEPT_LEN_AT, true)),
    }),
  });
  return run(loop, op, options);
}

/**
 * Connects a socket (IORING_OP_CONNECT, Linux 5.5). Rejects with ECONNREFUSED when nothing listens, ENOENT for a
 * missing Unix path, ETIMEDOUT/ENETUNREACH ... as connect(2) does.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param address `{ address, port }` or `{ path }`.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await connect(loop, fd, { address: "127.0.0.1", port: 8080 });
 * ```
 */
export function connect(loop: Loop, fd: number, address: SocketAddressInput, options: OpOptions = {}): Promise<void> {
  const op = new PromiseOp<void>("connect", (sqe: Sqe, o) => {
    checkFd("connect", fd);
    const [c, len] = sockaddrChunk(loop, o, o.name, address);
    prepConnect(sqe, fd, c.address, len);
  }, { map: () => undefined });
  return run(loop, op, options);
}

/**
 * Shuts down part of a full-duplex connection (IORING_OP_SHUTDOWN, Linux 5.11): after SHUT_WR the peer reads EOF.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param how SHUT_RD, SHUT_WR or SHUT_RDWR.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await shutdown(loop, fd, SHUT_WR);
 * ```
 */
export function shutdown(loop: Loop, fd: number, how: number, options: OpOptions = {}): Promise<void> {
  const op = new PromiseOp<void>("shutdown", (sqe: Sqe) => {
    checkFd("shutdown", fd);
    if (how !== 0 && how !== 1 && how !== 2) refuse("shutdown", `how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got ${how}`);
    prepShutdown(sqe, fd, how);
  }, { map: () => undefined });
  return run(loop, op, options);
}

// ---- Sending and receiving ----------------------------------------------------------------------------------------

/**
 * Sends bytes on a connected socket (IORING_OP_SEND, Linux 5.6) and resolves to the count sent (a stream socket may
 * send fewer than given). MSG_NOSIGNAL is always added: a broken connection rejects with EPIPE instead of killing
 * the process.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param data The bytes: a view of NativeMemory is sent in place, others are copied first.
 * @param options `flags` (MSG_DONTWAIT, MSG_MORE ...), `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const n = await send(loop, fd, new TextEncoder().encode("hello"));
 * ```
 */
export function send(loop: Loop, fd: number, data: ArrayBufferView, options: MsgOptions = {}): Promise<number> {
  const op = new PromiseOp("send", (sqe: Sqe, o) => {
    checkFd("send", fd);
    checkView("send", data, "data");
    const flags = checkU32("send", options.flags ?? 0) | MSG_NOSIGNAL;
    prepSend(sqe, fd, o.kernelAddress(loop, data, false), ioLength(data), flags);
  }, { keep: data });
  return run(loop, op, options);
}

/**
 * Sends a datagram to an address (IORING_OP_SEND with a destination, Linux 6.0), as sendto(2).
 *
 * @param loop The loop.
 * @param fd The socket (usually an unconnected datagram socket).
 * @param data The bytes (NativeMemory in place, others copied first).
 * @param address The destination.
 * @param options `flags`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * await sendto(loop, udp, Uint8Array.of(1, 2, 3), { address: "127.0.0.1", port: 5353 });
 * ```
 */
export function sendto(
  loop: Loop, fd: number, data: ArrayBufferView, address: SocketAddressInput, options: MsgOptions = {},
): Promise<number> {
  const op = new PromiseOp("sendto", (sqe: Sqe, o) => {
    checkFd("sendto", fd);
    checkView("sendto", data, "data");
    const flags = checkU32("sendto", options.flags ?? 0) | MSG_NOSIGNAL;
    const [c, len] = sockaddrChunk(loop, o, o.name, address);
    prepSendto(sqe, fd, o.kernelAddress(loop, data, false), ioLength(data), flags, c.address, len);
  }, { keep: data });
  return run(loop, op, options);
}

/**
 * Receives bytes into `into` (IORING_OP_RECV, Linux 5.6) and resolves to the count; 0 means the peer shut down
 * its side (EOF). A view of NativeMemory is filled in place; any other view through a bounce buffer copied back on
 * completion.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param into Where the bytes go.
 * @param options `flags` (MSG_DONTWAIT: reject with EAGAIN rather than wait; MSG_PEEK; MSG_WAITALL; MSG_TRUNC),
 *   `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const buf = new Uint8Array(4096);
 * const n = await recv(loop, fd, buf);
 * ```
 */
export function recv(loop: Loop, fd: number, into: ArrayBufferView, options: MsgOptions = {}): Promise<number> {
  const op = new PromiseOp("recv", (sqe: Sqe, o) => {
    checkFd("recv", fd);
    checkView("recv", into, "into");
    prepRecv(sqe, fd, o.kernelAddress(loop, into, true), ioLength(into), checkU32("recv", options.flags ?? 0));
  }, { keep: into });
  return run(loop, op, options);
}

/**
 * Sends a message (IORING_OP_SENDMSG, Linux 5.3): gathered buffers, an optional destination and control messages
 * (file descriptors with {@link scmRights}). The msghdr, name, iovecs and control data are built in an arena
 * chunk. MSG_NOSIGNAL is always added.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param message `data`, `address`, `control`.
 * @param options `flags`, `signal`, `timeoutMs`.
 * @returns The payload bytes sent.
 *
 * @example
 * ```ts
 * await sendmsg(loop, unixSock, { data: [header, body], control: [scmRights([fd])] });
 * ```
 */
export function sendmsg(loop: Loop, fd: number, message: OutgoingMessage, options: MsgOptions = {}): Promise<number> {
  const op = new PromiseOp("sendmsg", (sqe: Sqe, o) => {
    checkFd("sendmsg", fd);
    const flags = checkU32("sendmsg", options.flags ?? 0) | MSG_NOSIGNAL;
    prepSendmsg(sqe, fd, buildOutgoing(loop, o, o.name, message), flags);
  }, { keep: message });
  return run(loop, op, options);
}

/**
 * Receives a message (IORING_OP_RECVMSG, Linux 5.3): scattered into the given buffers, with the sender's address
 * and control messages (file descriptors arrive close-on-exec unless `cloexec: false`; see {@link controlFds}).
 * The msghdr, the name and control areas and bounce buffers live in arena chunks until completion; the kernel's
 * `msg_namelen`, `msg_controllen` and `msg_flags` are read back from the msghdr.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param message `data` (one view or several) and `controlLength`.
 * @param options `flags` (MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC ...), `cloexec`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const buf = new Uint8Array(1500);
 * const { bytes, address } = await recvmsg(loop, udp, { data: buf });
 * ```
 */
export function recvmsg(
  loop: Loop, fd: number, message: IncomingMessage, options: RecvmsgOptions = {},
): Promise<ReceivedMessage> {
  let hdr: Chunk;
  let controlAt = 0;
  const op = new PromiseOp<ReceivedMessage>("recvmsg", (sqe: Sqe, o) => {
    checkFd("recvmsg", fd);
    if (message === null || typeof message !== "object") refuse("recvmsg", "the message must be an object");
    const list = views("recvmsg", message.data);
    const controlLen = message.controlLength ?? 0;
    if (!Number.isInteger(controlLen) || controlLen < 0 || controlLen > 65536) {
      refuse("recvmsg", `controlLength must be an integer 0-65536, got ${controlLen}`);
    }
    const nameAt = 64;
    const iovAt = nameAt + SOCKADDR_STORAGE_SIZE;
    controlAt = iovAt + list.length * IOVEC_SIZE;
    hdr = o.chunk(loop, controlAt + controlLen);
    const v = hdr.view;
    // Every msghdr field is written, absent ones as 0 (see buildOutgoing).
    putU64(v, MSGHDR.iov, 0);
    putU64(v, MSGHDR.iovlen, 0);
    putU64(v, MSGHDR.control, 0);
    putU64(v, MSGHDR.controllen, 0);
    v.setUint32(MSGHDR.flags, 0, true);
    putU64(v, MSGHDR.name, hdr.address + nameAt);
    v.setUint32(MSGHDR.namelen, SOCKADDR_STORAGE_SIZE, true);
    // In iovec order: the result count is spread over the views in that order when bounced bytes are copied back.
    for (let i = 0; i < list.length; i++) {
      const at = iovAt + i * IOVEC_SIZE;
      putU64(v, at, o.kernelAddress(loop, list[i], true));
      putU64(v, at + 8, list[i].byteLength);
    }
    if (list.length) {
      putU64(v, MSGHDR.iov, hdr.address + iovAt);
      putU64(v, MSGHDR.iovlen, list.length);
    }
    if (controlLen) {
      putU64(v, MSGHDR.control, hdr.address + controlAt);
      putU64(v, MSGHDR.controllen, controlLen);
    }
    const flags = checkU32("recvmsg", options.flags ?? 0) | (options.cloexec === false ? 0 : MSG_CMSG_CLOEXEC);
    prepRecvmsg(sqe, fd, hdr.address, flags);
  }, {
    keep: message,
    map: (res) => {
      const v = hdr.view;
      const namelen = v.getUint32(MSGHDR.namelen, true);
      return {
        bytes: res,
        address: decodeSockaddr(hdr.bytes, Math.min(namelen, SOCKADDR_STORAGE_SIZE), 64),
        control: parseControl(hdr, controlAt, getU64(v, MSGHDR.controllen)),
        flags: v.getInt32(MSGHDR.flags, true) >>> 0,
      };
    },
  });
  return run(loop, op, options);
}

/** Copies out the control messages the kernel wrote (CMSG_FIRSTHDR / CMSG_NXTHDR over `len` bytes). */
function parseControl(c: Chunk, at: number, len: number): ControlMessage[] {
  const out: ControlMessage[] = [];
  const end = at + Math.min(len, c.bytes.byteLength - at);
  const v = c.view;
  for (let p = at; p + CMSGHDR_SIZE <= end;) {
    const l = getU64(v, p);
    if (l < CMSGHDR_SIZE || p + l > end) break;
    out.push({ level: v.getInt32(p + 8, true), type: v.getInt32(p + 12, true), data: c.bytes.slice(p + 16, p + l) });
    p += cmsgAlign(l);
  }
  return out;
}

// ---- Zero-copy sends ----------------------------------------------------------------------------------------------

/**
 * A zero-copy send: two CQEs, the result (with IORING_CQE_F_MORE) and then the notification (IORING_CQE_F_NOTIF)
 * once the kernel no longer reads the buffer. The promise settles on the notification, so when it resolves the
 * buffer may be reused; the loop keeps the slot, the pins and the chunks until then. A request that fails before
 * a notification was set up gets one CQE without F_MORE.
 */
class ZcSend extends PromiseOp<ZcResult> {
  private sent = 0;
  private readonly usage: { notif: number };

  constructor(name: string, prep: (sqe: Sqe, op: PromiseOp<ZcResult>) => void, data: unknown, reportUsage: boolean) {
    const state = { notif: 0 };
    super(name, prep, {
      keep: data,
      map: (res) => ({ bytes: res, copied: reportUsage ? (state.notif & IORING_NOTIF_USAGE_ZC_COPIED) !== 0 : null }),
    });
    this.usage = state;
  }

  override complete(res: number, flags: number, more: boolean): void {
    if (more) {
      if (!(flags & IORING_CQE_F_NOTIF)) this.sent = res;
      return;
    }
    if (flags & IORING_CQE_F_NOTIF) {
      this.usage.notif = res;
      super.complete(this.sent, flags, false);
      return;
    }
    super.complete(res, flags, false);
  }
}

/**
 * Sends without copying (IORING_OP_SEND_ZC, Linux 6.0; to an address, as sendto, with `address`). Resolves once
 * the kernel's notification says it no longer reads the buffer: only then may the bytes change. True zero copy
 * needs a view of NativeMemory (pinned until the notification); other views are copied into a bounce buffer first,
 * which keeps them safe but defeats the purpose. Over loopback the kernel copies anyway (`reportUsage` says so).
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param data The bytes.
 * @param options `flags`, `address` (a destination), `reportUsage`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const mem = NativeMemory.allocate(1 << 20);
 * const { bytes } = await sendZc(loop, fd, mem.bytes);
 * ```
 */
export function sendZc(
  loop: Loop, fd: number, data: ArrayBufferView, options: ZcOptions & { address?: SocketAddressInput } = {},
): Promise<ZcResult> {
  const op = new ZcSend("send_zc", (sqe: Sqe, o) => {
    checkFd("send_zc", fd);
    checkView("send_zc", data, "data");
    const flags = checkU32("send_zc", options.flags ?? 0) | MSG_NOSIGNAL;
    const zc = options.reportUsage ? IORING_SEND_ZC_REPORT_USAGE : 0;
    prepSendZc(sqe, fd, o.kernelAddress(loop, data, false), ioLength(data), flags, zc);
    if (options.address) {
      const [c, len] = sockaddrChunk(loop, o, o.name, options.address);
      prepSendSetAddr(sqe, c.address, len);
    }
  }, data, options.reportUsage === true);
  return run(loop, op, options);
}

/**
 * Sends a message without copying (IORING_OP_SENDMSG_ZC, Linux 6.1): {@link sendmsg}'s message, settled on the
 * notification as {@link sendZc} (`reportUsage` sets IORING_SEND_ZC_REPORT_USAGE in `ioprio`, which both zero-copy
 * opcodes read).
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param message `data`, `address`, `control`.
 * @param options `flags`, `reportUsage`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * const { bytes } = await sendmsgZc(loop, fd, { data: [a.bytes, b.bytes] });
 * ```
 */
export function sendmsgZc(
  loop: Loop, fd: number, message: OutgoingMessage, options: ZcOptions = {},
): Promise<ZcResult> {
  const op = new ZcSend("sendmsg_zc", (sqe: Sqe, o) => {
    checkFd("sendmsg_zc", fd);
    const flags = checkU32("sendmsg_zc", options.flags ?? 0) | MSG_NOSIGNAL;
    prepSendmsgZc(sqe, fd, buildOutgoing(loop, o, o.name, message), flags);
    if (options.reportUsage) sqe.u16[H_IOPRIO] |= IORING_SEND_ZC_REPORT_USAGE;
  }, message, options.reportUsage === true);
  return run(loop, op, options);
}

// ---- Whole buffers ------------------------------------------------------------------------------------------------

/**
 * MSG_WAITALL on a send: io_uring then keeps sending the rest of a stream socket's buffer after a short write
 * instead of completing with it (io_net_retry in io_uring/net.c, Linux 5.19); older kernels ignore it on sends.
 */
const SEND_WAITALL = 0x100;

/**
 * Sends every byte of `data` on a stream socket: {@link send} with MSG_WAITALL, repeated after a short write until
 * nothing is left (a signal, a kernel without the retry, or a send the kernel split). Rejects as `send` does
 * (EPIPE, ECONNRESET, an AbortError); the bytes sent before a failure are gone. Await it before the next send on
 * the same socket: two requests waiting for buffer space in the kernel can interleave their bytes.
 *
 * @param loop The loop.
 * @param fd A connected stream socket.
 * @param data The bytes: a view of NativeMemory is sent in place (pinned meanwhile), others are copied first.
 * @param options `flags` (added to MSG_WAITALL and MSG_NOSIGNAL), `signal`, and `timeoutMs` (per send request).
 *
 * @example
 * ```ts
 * await sendAll(loop, fd, new Uint8Array(1 << 20));
 * ```
 */
export function sendAll(loop: Loop, fd: number, data: ArrayBufferView, options: MsgOptions = {}): Promise<void> {
  let bytes: Uint8Array;
  let flags: number;
  try {
    // Bad input rejects, as every operation's promise does, rather than throwing.
    checkView("send", data, "data");
    bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    flags = checkU32("send", options.flags ?? 0) | SEND_WAITALL | MSG_NOSIGNAL;
  } catch (e) {
    return Promise.reject(e);
  }
  if (bytes.byteLength === 0) return Promise.resolve();
  return start(loop, new SendAllOp(loop, fd, bytes, flags, options), options).promise as Promise<void>;
}

/**
 * sendAll's request: one SEND of the whole buffer, and after a short write a new request for the rest whose promise
 * the first one resolves to. The common case (everything sent at once) is one operation and one promise, with no
 * closure per call: the echo path of a server sends once per message.
 */
class SendAllOp extends PromiseOp<void | Promise<void>> {
  readonly loop: Loop;
  readonly fd: number;
  readonly bytes: Uint8Array;
  readonly sendFlags: number;
  readonly options: MsgOptions;

  constructor(loop: Loop, fd: number, bytes: Uint8Array, flags: number, options: MsgOptions) {
    super("send", prepSendAllOp, { map: sendAllResult });
    this.loop = loop;
    this.fd = fd;
    this.bytes = bytes;
    this.sendFlags = flags;
    this.options = options;
  }
}

function prepSendAllOp(sqe: Sqe, op: PromiseOp<void | Promise<void>>): void {
  const o = op as SendAllOp;
  checkFd("send", o.fd);
  prepSend(sqe, o.fd, o.kernelAddress(o.loop, o.bytes, false), ioLength(o.bytes), o.sendFlags);
}

function sendAllResult(res: number, _flags: number, op: PromiseOp<void | Promise<void>>): void | Promise<void> {
  const o = op as SendAllOp;
  const left = o.bytes.byteLength - res;
  if (left === 0) return undefined;
  // A signal, a kernel without the MSG_WAITALL retry, or a send the kernel split: send the rest.
  if (res <= 0) refuse("send", `the socket took no bytes with ${left} left to send`);
  const rest = new SendAllOp(o.loop, o.fd, o.bytes.subarray(res), o.sendFlags, o.options);
  return start(o.loop, rest, o.options).promise as Promise<void>;
}
