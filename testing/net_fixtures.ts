/**
 * What the socket tests share: whether the kernel has the socket opcodes, connected TCP and AF_UNIX pairs made
 * through the ring, the local address of a socket (getsockname), and byte helpers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { backend } from "../ffi/mod.ts";
import type { Loop } from "../uring/loop/loop.ts";
import { probeOpcodes } from "../uring/ring/probe.ts";
import { track } from "./mod.ts";
import {
  IORING_OP_BIND,
  IORING_OP_SEND_ZC,
  IORING_OP_SENDMSG_ZC,
  IORING_OP_SOCKET,
} from "../uring/abi/uapi.ts";
import { AF_INET, AF_INET6, AF_UNIX, decodeSockaddr, SOCK_STREAM, SOCKADDR_STORAGE_SIZE } from "../uring/abi/sockaddr.ts";
import { accept, bind, connect, listen, socket } from "../uring/net/socket.ts";
import { recv } from "../uring/net/send_recv.ts";

const has = (op: number) => probeOpcodes().isSupported(op);
/** Why the socket tests cannot run here, or false. */
export const noSockets = (!has(IORING_OP_SOCKET) && "IORING_OP_SOCKET needs Linux 5.19") ||
  (!has(IORING_OP_BIND) && "IORING_OP_BIND and IORING_OP_LISTEN need Linux 6.11");
/** Why the zero-copy tests cannot run here, or false. */
export const noZc = noSockets || (!has(IORING_OP_SEND_ZC) && "IORING_OP_SEND_ZC needs Linux 6.0") ||
  (!has(IORING_OP_SENDMSG_ZC) && "IORING_OP_SENDMSG_ZC needs Linux 6.1");

// getsockname(2) for learning the port the kernel picked for port 0 (a test fixture; the ring has no such opcode
// before 6.19's SOCKET_URING_OP_GETSOCKNAME).
let getsocknameFn: ((fd: number, addr: Uint8Array, len: Uint8Array) => number) | undefined;
/** The socket's own address (getsockname). */
export function localAddress(fd: number) {
  getsocknameFn ??= backend.open("libc.so.6", {
    getsockname: { args: ["i32", "buffer", "buffer"], returns: "i32" },
  }).symbols.getsockname as (fd: number, addr: Uint8Array, len: Uint8Array) => number;
  const addr = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, addr.byteLength, true);
  assert.equal(getsocknameFn(fd, addr, len), 0, "getsockname");
  return decodeSockaddr(addr, new DataView(len.buffer).getUint32(0, true));
}

/** The port a socket is bound to. */
export function portOf(fd: number): number {
  const a = localAddress(fd);
  assert.ok(a && "port" in a);
  return a.port;
}

/** The loopback address of each IP family. */
export const LOOPBACK = { [AF_INET]: "127.0.0.1", [AF_INET6]: "::1" } as const;

/** A listening TCP socket on the loopback address of `family`, port chosen by the kernel. */
export async function listener(loop: Loop, family: typeof AF_INET | typeof AF_INET6) {
  const fd = track(await socket(loop, family, SOCK_STREAM));
  await bind(loop, fd, { address: LOOPBACK[family], port: 0 });
  await listen(loop, fd, 16);
  return { fd, address: { address: LOOPBACK[family], port: portOf(fd) } };
}

/** A connected pair over TCP: [client, server side]. */
export async function tcpPair(loop: Loop, family: typeof AF_INET | typeof AF_INET6 = AF_INET) {
  const l = await listener(loop, family);
  const client = track(await socket(loop, family, SOCK_STREAM));
  const accepting = accept(loop, l.fd);
  await connect(loop, client, l.address);
  const conn = await accepting;
  track(conn.fd);
  return { client, server: conn.fd, peer: conn.address, listener: l };
}

/** A connected AF_UNIX pair made through the ring, listening at `path`: [client, server side]. */
export async function unixPair(loop: Loop, path: string, type = SOCK_STREAM) {
  const l = track(await socket(loop, AF_UNIX, type));
  await bind(loop, l, { path });
  await listen(loop, l);
  const client = track(await socket(loop, AF_UNIX, type));
  const accepting = accept(loop, l);
  await connect(loop, client, { path });
  const conn = await accepting;
  return { client, server: track(conn.fd), peer: conn.address, path };
}

/** UTF-8 bytes of `s`. */
export const enc = (s: string) => new TextEncoder().encode(s);
/** The text of UTF-8 bytes. */
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** `n` bytes of a pattern that differs with `seed`. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Receives exactly `n` bytes (a stream may deliver them in pieces). */
export async function recvAll(loop: Loop, fd: number, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  for (let i = 0; got < n && i < 10_000; i++) {
    const r = await recv(loop, fd, out.subarray(got));
    if (r === 0) break;
    got += r;
  }
  assert.equal(got, n, "received every byte");
  return out;
}
