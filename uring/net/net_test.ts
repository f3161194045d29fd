import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backend, libc } from "../../ffi/mod.ts";
import { Loop } from "../loop/loop.ts";
import { NativeMemory } from "../core/memory.ts";
import { Operation } from "../loop/operation.ts";
import type { UringError } from "../core/errors.ts";
import { prepSendZc, prepSendmsgZc } from "../prep/net.ts";
import { registerFilesSparse } from "../ring/register.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { skipIf } from "../../testing/skip.ts";
import {
  IORING_CQE_F_MORE,
  IORING_CQE_F_NOTIF,
  IORING_OP_BIND,
  IORING_OP_SEND_ZC,
  IORING_OP_SENDMSG_ZC,
  IORING_OP_SOCKET,
} from "../abi/uapi.ts";
import {
  accept,
  acceptDirect,
  bind,
  cmsgSpace,
  connect,
  controlFds,
  listen,
  recv,
  recvmsg,
  scmRights,
  send,
  sendAll,
  sendmsg,
  sendmsgZc,
  sendto,
  sendZc,
  shutdown,
  socket,
  socketDirect,
} from "./net.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  decodeSockaddr,
  encodeSockaddr,
  formatIPv6,
  MSG_CTRUNC,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_TRUNC,
  parseIPv6,
  SCM_RIGHTS,
  SHUT_WR,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_STORAGE_SIZE,
  type SocketAddressInput,
  SOL_SOCKET,
} from "../abi/sockaddr.ts";

// ---- Fixtures ---------------------------------------------------------------------------------------------------

const has = (op: number) => probeOpcodes().isSupported(op);
const noSockets = (!has(IORING_OP_SOCKET) && "IORING_OP_SOCKET needs Linux 5.19") ||
  (!has(IORING_OP_BIND) && "IORING_OP_BIND and IORING_OP_LISTEN need Linux 6.11");
const noZc = noSockets || (!has(IORING_OP_SEND_ZC) && "IORING_OP_SEND_ZC needs Linux 6.0") ||
  (!has(IORING_OP_SENDMSG_ZC) && "IORING_OP_SENDMSG_ZC needs Linux 6.1");

/** A test that skips, with its reason printed, when `reason` is set. */
function it(name: string, reason: string | false, fn: () => void | Promise<void>): void {
  test(name, skipIf(reason, name), fn);
}

// getsockname(2) for learning the port the kernel picked for port 0 (a test fixture; the ring has no such opcode
// before 6.19's SOCKET_URING_OP_GETSOCKNAME).
let getsocknameFn: ((fd: number, addr: Uint8Array, len: Uint8Array) => number) | undefined;
function localAddress(fd: number) {
  getsocknameFn ??= backend.open("libc.so.6", {
    getsockname: { args: ["i32", "buffer", "buffer"], returns: "i32" },
  }).symbols.getsockname as (fd: number, addr: Uint8Array, len: Uint8Array) => number;
  const addr = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, addr.byteLength, true);
  assert.equal(getsocknameFn(fd, addr, len), 0, "getsockname");
  return decodeSockaddr(addr, new DataView(len.buffer).getUint32(0, true));
}

function portOf(fd: number): number {
  const a = localAddress(fd);
  assert.ok(a && "port" in a);
  return a.port;
}

const fds: number[] = [];
function track(fd: number): number {
  fds.push(fd);
  return fd;
}
function closeAll(): void {
  for (const fd of fds.splice(0)) libc().close(fd);
}

async function withLoop(fn: (loop: Loop) => Promise<void>): Promise<void> {
  const loop = new Loop();
  try {
    await fn(loop);
    assert.equal(loop.stats.inFlight, 0, "nothing left in flight");
  } finally {
    await loop.close();
    closeAll();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  }
}

const LOOPBACK = { [AF_INET]: "127.0.0.1", [AF_INET6]: "::1" } as const;

/** A listening TCP socket on the loopback address of `family`, port chosen by the kernel. */
async function listener(loop: Loop, family: typeof AF_INET | typeof AF_INET6) {
  const fd = track(await socket(loop, family, SOCK_STREAM));
  await bind(loop, fd, { address: LOOPBACK[family], port: 0 });
  await listen(loop, fd, 16);
  return { fd, address: { address: LOOPBACK[family], port: portOf(fd) } };
}

/** A connected pair over TCP: [client, server side]. */
async function tcpPair(loop: Loop, family: typeof AF_INET | typeof AF_INET6 = AF_INET) {
  const l = await listener(loop, family);
  const client = track(await socket(loop, family, SOCK_STREAM));
  const accepting = accept(loop, l.fd);
  await connect(loop, client, l.address);
  const conn = await accepting;
  track(conn.fd);
  return { client, server: conn.fd, peer: conn.address, listener: l };
}

let tmp: string | undefined;
function tempPath(name: string): string {
  tmp ??= mkdtempSync(join(tmpdir(), "ringside-net-"));
  return join(tmp, name);
}

/** A connected AF_UNIX pair made through the ring: [client, server side]. */
async function unixPair(loop: Loop, type = SOCK_STREAM) {
  const path = tempPath(`s${Math.random().toString(36).slice(2)}`);
  const l = track(await socket(loop, AF_UNIX, type));
  await bind(loop, l, { path });
  await listen(loop, l);
  const client = track(await socket(loop, AF_UNIX, type));
  const accepting = accept(loop, l);
  await connect(loop, client, { path });
  const conn = await accepting;
  return { client, server: track(conn.fd), peer: conn.address, path };
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Receives exactly `n` bytes (a stream may deliver them in pieces). */
async function recvAll(loop: Loop, fd: number, n: number): Promise<Uint8Array> {
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

const code = (name: string) => (e: unknown) => {
  assert.equal((e as UringError).code, name, String(e));
  return true;
};

// ---- sockaddr -----------------------------------------------------------------------------------------------------

test("sockaddr encodes and decodes IPv4, IPv6 and Unix addresses byte for byte", () => {
  const buf = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  assert.equal(encodeSockaddr({ address: "127.0.0.1", port: 0x1234 }, buf), 16);
  assert.deepEqual([...buf.subarray(0, 16)], [2, 0, 0x12, 0x34, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeSockaddr(buf, 16), { family: AF_INET, address: "127.0.0.1", port: 0x1234 });

  buf.fill(0xee);
  assert.equal(encodeSockaddr({ address: "fe80::1%3", port: 443, flowinfo: 0x12345 }, buf), 28);
  assert.deepEqual([...buf.subarray(0, 8)], [10, 0, 0x01, 0xbb, 0x00, 0x01, 0x23, 0x45]);
  assert.deepEqual([...buf.subarray(8, 24)], [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...buf.subarray(24, 28)], [3, 0, 0, 0]);
  assert.deepEqual(decodeSockaddr(buf, 28), {
    family: AF_INET6, address: "fe80::1", port: 443, flowinfo: 0x12345, scopeId: 3,
  });

  assert.equal(encodeSockaddr({ path: "/tmp/x" }, buf), 2 + 6 + 1);
  assert.deepEqual([...buf.subarray(0, 9)], [1, 0, ...enc("/tmp/x"), 0]);
  assert.deepEqual(decodeSockaddr(buf, 9), { family: AF_UNIX, path: "/tmp/x" });
  assert.equal(encodeSockaddr({ path: "\0abstract" }, buf), 2 + 9);
  assert.deepEqual(decodeSockaddr(buf, 11), { family: AF_UNIX, path: "\0abstract" });
  assert.deepEqual(decodeSockaddr(buf, 2), { family: AF_UNIX, path: "" });
  assert.equal(decodeSockaddr(buf, 0), null);
  // Another family (AF_NETLINK 16) comes back as its bytes.
  const nl = Uint8Array.of(16, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0);
  assert.deepEqual(decodeSockaddr(nl, 12), { family: 16, bytes: nl });

  for (const [text, canon] of [
    ["::", "::"], ["::1", "::1"], ["1::", "1::"], ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"], ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ]) assert.equal(formatIPv6(parseIPv6(text)!), canon, text);
  for (const bad of ["1::2::3", ":1::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "::1:", "g::"]) {
    assert.equal(parseIPv6(bad), null, bad);
  }
  assert.throws(() => encodeSockaddr({ address: "256.0.0.1", port: 1 }, buf), /not an IPv4 address/);
  assert.throws(() => encodeSockaddr({ address: "::1", port: 70000 }, buf), /port/);
  assert.throws(() => encodeSockaddr({ path: "x".repeat(108) }, buf), /sockaddr_un holds 107/);
});

// ---- TCP ------------------------------------------------------------------------------------------------------

for (const family of [AF_INET, AF_INET6] as const) {
  const name = `TCP over ${LOOPBACK[family]}: socket, bind, listen, accept and connect; bytes and the peer's address`;
  it(name, noSockets, () =>
    withLoop(async (loop) => {
      const { client, server, peer } = await tcpPair(loop, family);
      // The address accept reports is the client's own local address.
      assert.deepEqual(peer && { family: peer.family, address: (peer as { address: string }).address },
        { family, address: LOOPBACK[family] });
      assert.equal((peer as { port: number }).port, portOf(client));

      // 1.5 MB from garbage-collected memory: more than the arena's largest chunk, so bounced through a mapping.
      const data = pattern(1_500_000, family);
      const sending = (async () => {
        let off = 0;
        while (off < data.length) off += await send(loop, client, data.subarray(off));
      })();
      const got = await recvAll(loop, server, data.length);
      await sending;
      assert.deepEqual(got, data);

      // The other direction, from native memory in place.
      const mem = NativeMemory.allocate(4096);
      try {
        mem.bytes.set(enc("from native memory"));
        assert.equal(await send(loop, server, mem.bytes.subarray(0, 18)), 18);
        const into = new Uint8Array(64);
        assert.equal(await recv(loop, client, into), 18);
        assert.equal(dec(into.subarray(0, 18)), "from native memory");
        assert.ok(!mem.isPinned, "the pin is released on completion");
      } finally {
        mem.free();
      }
    }));
}

it("connect to a closed port rejects with ECONNREFUSED; to a missing Unix path with ENOENT", noSockets, () =>
    withLoop(async (loop) => {
      // A port that was just free: bind it, read it, close the socket, then connect.
      const probe = await socket(loop, AF_INET, SOCK_STREAM);
      await bind(loop, probe, { address: "127.0.0.1", port: 0 });
      const port = portOf(probe);
      libc().close(probe);
      const c = track(await socket(loop, AF_INET, SOCK_STREAM));
      await assert.rejects(connect(loop, c, { address: "127.0.0.1", port }), code("ECONNREFUSED"));
      const u = track(await socket(loop, AF_UNIX, SOCK_STREAM));
      await assert.rejects(connect(loop, u, { path: tempPath("missing") }), code("ENOENT"));
    }));

it("binding an address in use rejects with EADDRINUSE; a bad address rejects before the kernel", noSockets, () =>
    withLoop(async (loop) => {
      const l = await listener(loop, AF_INET);
      const again = track(await socket(loop, AF_INET, SOCK_STREAM));
      await assert.rejects(bind(loop, again, l.address), code("EADDRINUSE"));
      await assert.rejects(bind(loop, again, { address: "localhost", port: 1 }), /not an IPv4 address/);
      await assert.rejects(send(loop, -1, new Uint8Array(1)), /fd must be a non-negative integer/);
    }));

it("socket, listen, accept and shutdown refuse values the SQE would truncate or misread", noSockets, () =>
    withLoop(async (loop) => {
      // Each of these used to reach the kernel as something else: type 1, backlog 0, SOCK_NONBLOCK, SHUT_RD.
      await assert.rejects(socket(loop, AF_INET, 2 ** 32 + 1), /type must be a u32/);
      await assert.rejects(socket(loop, AF_INET, SOCK_STREAM, -1), /protocol must be a u32/);
      const l = await listener(loop, AF_INET);
      await assert.rejects(listen(loop, l.fd, NaN), /backlog must be a non-negative integer/);
      await assert.rejects(accept(loop, l.fd, { flags: 2 ** 32 + 0x800 }), /flags must be a u32/);
      await assert.rejects(shutdown(loop, l.fd, undefined as unknown as number), /how must be SHUT_RD/);
      await assert.rejects(shutdown(loop, l.fd, 3), /how must be SHUT_RD/);
    }));

it("recv with MSG_DONTWAIT on an empty socket rejects with EAGAIN; MSG_PEEK leaves the data", noSockets, () =>
    withLoop(async (loop) => {
      const { client, server } = await tcpPair(loop);
      const buf = new Uint8Array(16);
      await assert.rejects(recv(loop, server, buf, { flags: MSG_DONTWAIT }), code("EAGAIN"));
      await send(loop, client, enc("peek"));
      assert.equal(await recv(loop, server, buf, { flags: MSG_PEEK }), 4);
      buf.fill(0);
      assert.equal(await recv(loop, server, buf), 4);
      assert.equal(dec(buf.subarray(0, 4)), "peek");
    }));

it("shutdown(SHUT_WR): the peer reads EOF (recv resolves 0) and can still send back", noSockets, () =>
    withLoop(async (loop) => {
      const { client, server } = await tcpPair(loop);
      await send(loop, client, enc("last"));
      await shutdown(loop, client, SHUT_WR);
      const buf = new Uint8Array(16);
      assert.equal(await recv(loop, server, buf), 4);
      assert.equal(await recv(loop, server, buf), 0, "EOF");
      assert.equal(await send(loop, server, enc("reply")), 5);
      assert.equal(await recv(loop, client, buf), 5);
      // Sending on the shut-down side fails with EPIPE and, thanks to MSG_NOSIGNAL, no SIGPIPE.
      await assert.rejects(send(loop, client, enc("x")), code("EPIPE"));
    }));

it("a recv that never gets data: timeoutMs rejects with a TimeoutError, an AbortSignal with an AbortError",
  noSockets, () =>
    withLoop(async (loop) => {
      const { server } = await tcpPair(loop);
      const buf = new Uint8Array(8);
      const t0 = performance.now();
      await assert.rejects(recv(loop, server, buf, { timeoutMs: 30 }), (e: Error) => e.name === "TimeoutError");
      assert.ok(performance.now() - t0 >= 25);
      const ac = new AbortController();
      const p = recv(loop, server, buf, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error("stop")), 5);
      await assert.rejects(p, (e: Error) => e.name === "AbortError" && (e.cause as Error).message === "stop");
      // An already aborted signal rejects without reaching the kernel.
      const started = loop.stats.started;
      await assert.rejects(recv(loop, server, buf, { signal: AbortSignal.abort() }), { name: "AbortError" });
      assert.equal(loop.stats.started, started);
    }));

it("socketDirect and acceptDirect put sockets in the registered file table", noSockets, () =>
    withLoop(async (loop) => {
      registerFilesSparse(loop.ring, 8);
      const slot = await socketDirect(loop, AF_INET, SOCK_STREAM);
      assert.ok(slot >= 0 && slot < 8);
      assert.equal(await socketDirect(loop, AF_INET, SOCK_STREAM, 0, 5), 5);
      const l = await listener(loop, AF_INET);
      const client = track(await socket(loop, AF_INET, SOCK_STREAM));
      const accepting = acceptDirect(loop, l.fd);
      await connect(loop, client, l.address);
      const { fileIndex, address } = await accepting;
      assert.ok(fileIndex >= 0 && fileIndex < 8 && fileIndex !== slot && fileIndex !== 5);
      assert.equal((address as { port: number }).port, portOf(client));
      // Filling a slot that is taken replaces it; a slot beyond the table is refused.
      await assert.rejects(socketDirect(loop, AF_INET, SOCK_STREAM, 0, 100), code("EINVAL"));
    }));

// ---- UDP ------------------------------------------------------------------------------------------------------

for (const family of [AF_INET, AF_INET6] as const) {
  it(`UDP over ${LOOPBACK[family]}: sendto, and recvmsg reports the datagram's source address`, noSockets, () =>
      withLoop(async (loop) => {
        const a = track(await socket(loop, family, SOCK_DGRAM));
        const b = track(await socket(loop, family, SOCK_DGRAM));
        await bind(loop, a, { address: LOOPBACK[family], port: 0 });
        await bind(loop, b, { address: LOOPBACK[family], port: 0 });
        const to: SocketAddressInput = { address: LOOPBACK[family], port: portOf(b) };
        assert.equal(await sendto(loop, a, enc("datagram one"), to), 12);
        const buf = new Uint8Array(64);
        const m = await recvmsg(loop, b, { data: buf });
        assert.equal(m.bytes, 12);
        assert.equal(dec(buf.subarray(0, 12)), "datagram one");
        assert.deepEqual({ ...m.address, flowinfo: undefined, scopeId: undefined },
          { family, address: LOOPBACK[family], port: portOf(a), flowinfo: undefined, scopeId: undefined });
        assert.deepEqual(m.control, []);
        assert.equal(m.flags & MSG_TRUNC, 0);

        // Scattered into native memory and two GC buffers, the first two short: each gets its stretch of the
        // datagram, the rest of the last is untouched.
        assert.equal(await sendmsg(loop, a, { data: [enc("abc"), enc("defgh")], address: to }), 8);
        const mem = NativeMemory.allocate(2);
        try {
          const parts = [mem.bytes, new Uint8Array(3), new Uint8Array(10).fill(0xaa)];
          const m2 = await recvmsg(loop, b, { data: parts });
          assert.equal(m2.bytes, 8);
          assert.equal(dec(parts[0]) + dec(parts[1]) + dec(parts[2].subarray(0, 3)), "abcdefgh");
          assert.deepEqual([...parts[2].subarray(3)], new Array(7).fill(0xaa));
        } finally {
          mem.free();
        }

        // A datagram larger than the buffer: MSG_TRUNC in the flags, the real length with the MSG_TRUNC flag.
        await sendto(loop, a, pattern(100), to);
        const small = new Uint8Array(10);
        const m3 = await recvmsg(loop, b, { data: small }, { flags: MSG_TRUNC });
        assert.equal(m3.bytes, 100);
        assert.ok(m3.flags & MSG_TRUNC);
        assert.deepEqual(small, pattern(100).subarray(0, 10));
      }));
}

// ---- AF_UNIX ------------------------------------------------------------------------------------------------

it("AF_UNIX stream: the peer of an unbound client is unnamed, data flows both ways", noSockets, () =>
    withLoop(async (loop) => {
      const { client, server, peer, path } = await unixPair(loop);
      assert.deepEqual(peer, { family: AF_UNIX, path: "" });
      assert.deepEqual(localAddress(server), { family: AF_UNIX, path });
      assert.equal(await send(loop, client, enc("over unix")), 9);
      const buf = new Uint8Array(32);
      assert.equal(await recv(loop, server, buf), 9);
      assert.equal(dec(buf.subarray(0, 9)), "over unix");
    }));

it("sendmsg passes a file descriptor with SCM_RIGHTS; recvmsg parses it from the control data", noSockets, () =>
    withLoop(async (loop) => {
      const { client, server } = await unixPair(loop);
      const pipe = new Int32Array(2);
      assert.equal(libc().pipe2(pipe, 0x80000), 0);
      track(pipe[0]);
      track(pipe[1]);
      assert.equal(await sendmsg(loop, client, { data: enc("fd!"), control: [scmRights([pipe[1]])] }), 3);
      const buf = new Uint8Array(8);
      const m = await recvmsg(loop, server, { data: buf, controlLength: cmsgSpace(4) });
      assert.equal(m.bytes, 3);
      assert.equal(dec(buf.subarray(0, 3)), "fd!");
      assert.equal(m.control.length, 1);
      assert.equal(m.control[0].level, SOL_SOCKET);
      assert.equal(m.control[0].type, SCM_RIGHTS);
      const [received] = controlFds(m.control);
      track(received);
      assert.ok(received >= 0 && received !== pipe[1], `a new descriptor, got ${received}`);
      // The received descriptor is the pipe's write end: what is written to it comes out of the read end.
      const msg = enc("through the passed fd");
      assert.equal(libc().write(received, msg, msg.length), msg.length);
      const out = new Uint8Array(64);
      const n = Number(libc().read(pipe[0], out, out.length));
      assert.equal(dec(out.subarray(0, n)), "through the passed fd");

      // Without room for control data, the descriptor is dropped and MSG_CTRUNC reported.
      await sendmsg(loop, client, { data: enc("x"), control: [scmRights([pipe[1]])] });
      const m2 = await recvmsg(loop, server, { data: buf });
      assert.equal(m2.bytes, 1);
      assert.ok(m2.flags & MSG_CTRUNC);
      assert.deepEqual(m2.control, []);
    }));

it("a message header never carries a previous message's descriptors, address or control area", noSockets, () =>
    withLoop(async (loop) => {
      const pa = tempPath("hdra");
      const r = track(await socket(loop, AF_UNIX, SOCK_DGRAM));
      await bind(loop, r, { path: pa });
      const s = track(await socket(loop, AF_UNIX, SOCK_DGRAM));
      await connect(loop, s, { path: pa });
      // 300 one-byte buffers: the header (over 4 KiB) comes from an arena class that used to hand chunks out
      // unzeroed, so the second message's header was the first one's, SCM_RIGHTS included.
      const many = (ch: number) => Array.from({ length: 300 }, () => Uint8Array.of(ch));
      const pipe = new Int32Array(2);
      assert.equal(libc().pipe2(pipe, 0x80000), 0);
      track(pipe[0]);
      track(pipe[1]);
      await sendmsg(loop, s, { data: many(1), control: [scmRights([pipe[1]])] });
      await sendmsg(loop, s, { data: many(2) });
      const got: number[][] = [];
      for (let i = 0; i < 2; i++) {
        const m = await recvmsg(loop, r, { data: new Uint8Array(400), controlLength: 64 });
        assert.equal(m.bytes, 300);
        const fds = controlFds(m.control);
        for (const fd of fds) track(fd);
        got.push(fds);
      }
      assert.equal(got[0].length, 1, "the first message passes one descriptor");
      assert.deepEqual(got[1], [], "the second passes none");
    }));

it("AF_UNIX datagrams: sendto a bound path, recvmsg reports the sender's path", noSockets, () =>
    withLoop(async (loop) => {
      const pa = tempPath("dga");
      const pb = tempPath("dgb");
      const a = track(await socket(loop, AF_UNIX, SOCK_DGRAM));
      const b = track(await socket(loop, AF_UNIX, SOCK_DGRAM));
      await bind(loop, a, { path: pa });
      await bind(loop, b, { path: pb });
      assert.equal(await sendto(loop, a, enc("hi b"), { path: pb }), 4);
      const buf = new Uint8Array(16);
      const m = await recvmsg(loop, b, { data: buf });
      assert.equal(m.bytes, 4);
      assert.deepEqual(m.address, { family: AF_UNIX, path: pa });
    }));

// ---- Zero copy ----------------------------------------------------------------------------------------------

/** A raw operation that records every CQE it gets: how a test counts a zero-copy send's two CQEs. */
class Recorder extends Operation {
  readonly cqes: { res: number; flags: number }[] = [];
  readonly done: Promise<void>;
  private resolve!: () => void;
  constructor(private readonly fn: (sqe: import("../ring/sqe.ts").Sqe, op: Operation) => void) {
    super();
    this.done = new Promise((r) => (this.resolve = r));
  }
  prep(sqe: import("../ring/sqe.ts").Sqe): void {
    this.fn(sqe, this);
  }
  complete(res: number, flags: number, more: boolean): void {
    this.cqes.push({ res, flags });
    if (!more) this.resolve();
  }
  drop(): void {
    this.resolve();
  }
}

it("send_zc and sendmsg_zc post two CQEs each (F_MORE with the count, then F_NOTIF); data arrives intact", noZc, () =>
    withLoop(async (loop) => {
      const { client, server } = await tcpPair(loop);
      const mem = NativeMemory.allocate(65536);
      try {
        mem.bytes.set(pattern(65536, 7));
        const zc = loop.submit(new Recorder((sqe, op) => {
          prepSendZc(sqe, client, op.kernelAddress(loop, mem.bytes, false), 30000, 0x4000, 0);
        }));
        assert.ok(mem.isPinned, "pinned until the notification");
        const got = await recvAll(loop, server, 30000);
        await zc.done;
        assert.ok(!mem.isPinned);
        assert.deepEqual(got, mem.bytes.subarray(0, 30000));
        assert.equal(zc.cqes.length, 2);
        assert.equal(zc.cqes[0].res, 30000);
        assert.ok(zc.cqes[0].flags & IORING_CQE_F_MORE);
        assert.ok(!(zc.cqes[0].flags & IORING_CQE_F_NOTIF));
        assert.ok(zc.cqes[1].flags & IORING_CQE_F_NOTIF);
        assert.ok(!(zc.cqes[1].flags & IORING_CQE_F_MORE));

        // sendmsg_zc, its msghdr built by hand in an arena chunk.
        const msg = loop.submit(new Recorder((sqe, op) => {
          const c = op.chunk(loop, 56 + 16);
          c.view.setUint32(16, c.address + 56 >>> 0, true);
          c.view.setUint32(20, Math.floor((c.address + 56) / 2 ** 32), true);
          c.view.setUint32(24, 1, true);
          const data = op.kernelAddress(loop, mem.bytes, false);
          c.view.setUint32(56, data >>> 0, true);
          c.view.setUint32(60, Math.floor(data / 2 ** 32), true);
          c.view.setUint32(64, 1000, true);
          prepSendmsgZc(sqe, client, c.address, 0x4000);
        }));
        const got2 = await recvAll(loop, server, 1000);
        await msg.done;
        assert.deepEqual(got2, mem.bytes.subarray(0, 1000));
        assert.deepEqual(msg.cqes.map((c) => [c.res, c.flags & (IORING_CQE_F_MORE | IORING_CQE_F_NOTIF)]),
          [[1000, IORING_CQE_F_MORE], [0, IORING_CQE_F_NOTIF]]);

        // The promise API settles on the notification; over loopback the kernel reports it copied.
        const sending = sendZc(loop, client, mem.bytes.subarray(0, 5000), { reportUsage: true });
        const got3 = await recvAll(loop, server, 5000);
        assert.deepEqual(await sending, { bytes: 5000, copied: true });
        assert.deepEqual(got3, mem.bytes.subarray(0, 5000));
        assert.ok(!mem.isPinned);
        const gc = pattern(3000, 9);
        const sending2 = sendmsgZc(loop, client, { data: [gc.subarray(0, 1000), gc.subarray(1000)] });
        assert.deepEqual(await recvAll(loop, server, 3000), gc);
        assert.deepEqual(await sending2, { bytes: 3000, copied: null });
        // A failure still arrives after the notification: EPIPE once the side is shut down.
        await shutdown(loop, client, SHUT_WR);
        await assert.rejects(sendZc(loop, client, mem.bytes.subarray(0, 10)), code("EPIPE"));
      } finally {
        mem.free();
      }
    }));

it("sendZc with an address sends a UDP datagram (sendto, zero-copy)", noZc, () =>
    withLoop(async (loop) => {
      const a = track(await socket(loop, AF_INET, SOCK_DGRAM));
      const b = track(await socket(loop, AF_INET, SOCK_DGRAM));
      await bind(loop, b, { address: "127.0.0.1", port: 0 });
      const r = await sendZc(loop, a, enc("zc datagram"), { address: { address: "127.0.0.1", port: portOf(b) } });
      assert.equal(r.bytes, 11);
      const buf = new Uint8Array(32);
      const m = await recvmsg(loop, b, { data: buf });
      assert.equal(dec(buf.subarray(0, m.bytes)), "zc datagram");
      assert.equal((m.address as { port: number }).port, portOf(a));
    }));

it("sendAll sends every byte of large GC, typed and native buffers while the peer reads slowly", noSockets, () =>
    withLoop(async (loop) => {
      const { client, server } = await tcpPair(loop);
      const into = NativeMemory.allocate(1 << 16);
      const native = NativeMemory.allocate(3 << 20);
      try {
        native.bytes.set(pattern(native.byteLength, 5));
        const gc = pattern(6 << 20, 3);
        const words = new Float64Array(pattern(1 << 20, 7).buffer); // not a Uint8Array: sent as its bytes
        const expected = [gc, native.bytes, new Uint8Array(words.buffer)];
        // One after the other: requests in flight together on one stream socket may interleave their bytes.
        const sending = (async () => {
          for (const data of [gc, native.bytes, words, new Uint8Array(0)]) await sendAll(loop, client, data);
        })();
        for (const want of expected) {
          for (let at = 0; at < want.length;) {
            const n = await recv(loop, server, into.bytes.subarray(0, Math.min(into.byteLength, want.length - at)));
            assert.ok(n > 0, "the stream ended early");
            assert.deepEqual(into.bytes.subarray(0, n), want.subarray(at, at + n), `bytes ${at}..${at + n}`);
            at += n;
          }
        }
        await sending;
        assert.ok(!native.isPinned, "the native buffer is unpinned once sent");
        await assert.rejects(sendAll(loop, client, "text" as unknown as Uint8Array), /must be a TypedArray or DataView/);
      } finally {
        into.free();
        native.free();
      }
    }));

it("sendAll aborted midway rejects with an AbortError and leaves nothing in flight", noSockets, () =>
    withLoop(async (loop) => {
      const { client } = await tcpPair(loop);
      const stop = new AbortController();
      // Nobody reads: the socket buffers fill and the send waits in the kernel with part of the bytes sent.
      const sending = sendAll(loop, client, new Uint8Array(64 << 20), { signal: stop.signal });
      await new Promise((r) => setTimeout(r, 50));
      stop.abort();
      await assert.rejects(sending, (e: unknown) => (e as Error).name === "AbortError");
    }));
