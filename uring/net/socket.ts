/**
 * Making and connecting sockets through the ring: socket, bind, listen, accept, connect and shutdown, each a promise
 * of its result; the direct variants put the new socket in the ring's registered file table instead of making a
 * file descriptor. A failed completion rejects with a `UringError` whose `code` is the errno name
 * (`"ECONNREFUSED"`, `"EADDRINUSE"` ...); bad input rejects before the kernel sees it.
 *
 * New descriptors are close-on-exec (`SOCK_CLOEXEC`) unless `cloexec: false`. The address a call gives is written
 * into native memory that lives until the completion, and so is the peer address an accept reports.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { AF_INET, SOCK_STREAM } from "ringside-uring/abi";
 *
 * const loop = new Loop();
 * const server = await socket(loop, AF_INET, SOCK_STREAM);
 * await bind(loop, server, { address: "127.0.0.1", port: 8080 });
 * await listen(loop, server);
 * const client = await socket(loop, AF_INET, SOCK_STREAM);
 * const accepting = accept(loop, server);
 * await connect(loop, client, { address: "127.0.0.1", port: 8080 });
 * const { fd, address } = await accepting;
 * console.log(fd, address); // 7 { family: 2, address: "127.0.0.1", port: 51234 }
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { Chunk } from "../loop/_arena.ts";
import { type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, checkInt, checkSlot, checkU32 } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import {
  prepAccept,
  prepAcceptDirect,
  prepBind,
  prepConnect,
  prepListen,
  prepShutdown,
  prepSocket,
  prepSocketDirect,
} from "../prep/net.ts";
import { IORING_FILE_INDEX_ALLOC } from "../abi/uapi.ts";
import {
  decodeSockaddr,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SOCK_CLOEXEC,
  SOCKADDR_STORAGE_SIZE,
  type SocketAddress,
  type SocketAddressInput,
} from "../abi/sockaddr.ts";
import { sockaddrChunk } from "./_request.ts";

/** Options of the calls that make a descriptor. */
export interface SocketOptions extends OpOptions {
  /** Make the new descriptor close-on-exec (default true). */
  cloexec?: boolean | undefined;
}

/** Options of {@link accept}. */
export interface AcceptOptions extends SocketOptions {
  /** accept4's flags: SOCK_NONBLOCK (SOCK_CLOEXEC follows `cloexec`). */
  flags?: number | undefined;
}

/** Options of {@link acceptDirect}. */
export interface AcceptDirectOptions extends OpOptions {
  /** accept4's flags: SOCK_NONBLOCK. */
  flags?: number | undefined;
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

/** The arena layout of accept's output: sockaddr_storage at 0, socklen_t at 128. */
const ACCEPT_LEN_AT = SOCKADDR_STORAGE_SIZE;

/**
 * Creates a socket (IORING_OP_SOCKET, Linux 5.19) and resolves to its file descriptor, close-on-exec unless
 * `cloexec: false`.
 *
 * @param loop The loop.
 * @param domain AF_INET, AF_INET6, AF_UNIX ...
 * @param type SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET ..., optionally with SOCK_NONBLOCK.
 * @param protocol The protocol (default 0: the family's default for the type).
 * @param options `cloexec`, `signal`, `timeoutMs`.
 * @returns The new file descriptor.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { AF_INET6, SOCK_DGRAM } from "ringside-uring/abi";
 *
 * const loop = new Loop();
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
 * import { Loop } from "ringside-uring/loop";
 * import { registerFilesSparse } from "ringside-uring/ring";
 * import { AF_INET, SOCK_STREAM } from "ringside-uring/abi";
 *
 * const loop = new Loop();
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
    checkU32("socket", domain, "domain");
    checkU32("socket", type, "type");
    checkU32("socket", protocol, "protocol");
    checkSlot("socket", fileIndex, true, IORING_FILE_INDEX_ALLOC);
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
 * import { Loop } from "ringside-uring/loop";
 * import { AF_INET6, AF_UNIX, SOCK_STREAM } from "ringside-uring/abi";
 *
 * const loop = new Loop();
 * await bind(loop, await socket(loop, AF_INET6, SOCK_STREAM), { address: "::1", port: 0 });
 * await bind(loop, await socket(loop, AF_UNIX, SOCK_STREAM), { path: "/tmp/app.sock" });
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
 * import { Loop } from "ringside-uring/loop";
 *
 * declare const fd: number; // a bound stream socket
 * const loop = new Loop();
 * await listen(loop, fd);
 * ```
 */
export function listen(loop: Loop, fd: number, backlog = 511, options: OpOptions = {}): Promise<void> {
  const op = new PromiseOp<void>("listen", (sqe: Sqe) => {
    checkFd("listen", fd);
    prepListen(sqe, fd, checkInt("listen", backlog, 0, 0x7fffffff, "backlog"));
  }, { map: () => undefined });
  return run(loop, op, options);
}

/**
 * Accepts a connection (IORING_OP_ACCEPT, Linux 5.5) and resolves to its descriptor (close-on-exec unless
 * `cloexec: false`) and the peer's address, which the kernel writes into an arena chunk that is parsed on
 * completion.
 *
 * @param loop The loop.
 * @param fd The listening socket.
 * @param options `cloexec`, `flags` (SOCK_NONBLOCK), `signal`, `timeoutMs`.
 * @returns The connection's descriptor and the peer's address.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * declare const listener: number; // a listening socket
 * const loop = new Loop();
 * const { fd, address } = await accept(loop, listener);
 * console.log(address); // { family: 2, address: "127.0.0.1", port: 51234 }
 * ```
 */
export function accept(loop: Loop, fd: number, options: AcceptOptions = {}): Promise<Accepted> {
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
 * @returns The connection's slot and the peer's address.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { registerFilesSparse } from "ringside-uring/ring";
 *
 * declare const listener: number; // a listening socket
 * const loop = new Loop();
 * registerFilesSparse(loop.ring, 64);
 * const { fileIndex } = await acceptDirect(loop, listener);
 * ```
 */
export function acceptDirect(
  loop: Loop, fd: number, fileIndex: number = IORING_FILE_INDEX_ALLOC, options: AcceptDirectOptions = {},
): Promise<AcceptedDirect> {
  let out: Chunk;
  const alloc = fileIndex >>> 0 === IORING_FILE_INDEX_ALLOC;
  const op = new PromiseOp<AcceptedDirect>("accept", (sqe: Sqe, o) => {
    checkFd("accept", fd);
    checkSlot("accept", fileIndex, true, IORING_FILE_INDEX_ALLOC);
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
 * import { Loop } from "ringside-uring/loop";
 * import { AF_INET, SOCK_STREAM } from "ringside-uring/abi";
 *
 * const loop = new Loop();
 * const fd = await socket(loop, AF_INET, SOCK_STREAM);
 * await connect(loop, fd, { address: "127.0.0.1", port: 8080 }, { timeoutMs: 5000 });
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
 * import { Loop } from "ringside-uring/loop";
 * import { SHUT_WR } from "ringside-uring/abi";
 *
 * declare const fd: number; // a connected socket
 * const loop = new Loop();
 * await shutdown(loop, fd, SHUT_WR);
 * ```
 */
export function shutdown(loop: Loop, fd: number, how: number, options: OpOptions = {}): Promise<void> {
  const op = new PromiseOp<void>("shutdown", (sqe: Sqe) => {
    checkFd("shutdown", fd);
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) {
      refuse("shutdown", `how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got ${how}`);
    }
    prepShutdown(sqe, fd, how);
  }, { map: () => undefined });
  return run(loop, op, options);
}
