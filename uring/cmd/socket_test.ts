import { it, rawSqe, socketPair, track, withLoop } from "../../testing/mod.ts";
import type { Sqe } from "../ring/sqe.ts";
import assert from "node:assert/strict";
import { libc } from "../../ffi/mod.ts";
import { Loop } from "../loop/loop.ts";
import { NativeMemory } from "../core/memory.ts";
import { UringError } from "../core/errors.ts";
import { probeOpcodes, setupFlagSupported } from "../ring/probe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { prepCmdSock } from "../prep/cmd.ts";
import { accept, bind, connect, listen, recv, send, socket } from "../net/mod.ts";
import {
  IORING_OP_BIND,
  IORING_OP_URING_CMD,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  SOCKET_URING_OP_TX_TIMESTAMP,
} from "../abi/uapi.ts";
import {
  AF_INET,
  decodeSockaddr,
  IPPROTO_TCP,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_STORAGE_SIZE,
  type SocketAddress,
  SOL_SOCKET,
  TCP_NODELAY,
} from "../abi/sockaddr.ts";
import {
  enableTxTimestamps,
  getsockname,
  getsocknameSupported,
  getsockopt,
  getsockoptInt,
  probeGetsockname,
  SCM_TSTAMP_SND,
  setsockopt,
  siocinq,
  siocoutq,
  type TxTimestamp,
  txTimestamps,
} from "./socket.ts";

// ---- Fixtures ---------------------------------------------------------------------------------------------------

const has = (op: number) => probeOpcodes().isSupported(op);
const noSockCmds = (!has(IORING_OP_URING_CMD) && "IORING_OP_URING_CMD needs Linux 5.19") ||
  (!has(IORING_OP_BIND) && "IORING_OP_BIND (used to set up sockets) needs Linux 6.11") ||
  (!kernelVersionAtLeast(6, 7) && "socket uring_cmds (SIOCINQ ... SETSOCKOPT) need Linux 6.7");
const noTimestamps = noSockCmds || (!kernelVersionAtLeast(6, 17) && "SOCKET_URING_OP_TX_TIMESTAMP needs Linux 6.17");
const noMixed = noTimestamps ||
  (!setupFlagSupported(IORING_SETUP_CQE_MIXED) && "IORING_SETUP_CQE_MIXED needs Linux 6.18");

/** getsockname(2): the independent answer to compare with. */
function localAddress(fd: number): SocketAddress | null {
  const addr = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, addr.byteLength, true);
  assert.equal(libc().getsockname(fd, addr, len), 0, "getsockname(2)");
  return decodeSockaddr(addr, new DataView(len.buffer).getUint32(0, true));
}

function portOf(fd: number): number {
  const a = localAddress(fd);
  assert.ok(a && "port" in a);
  return a.port;
}

/** A UDP socket on 127.0.0.1, connected to itself: what it sends, it receives. */
async function udpSelf(loop: Loop): Promise<number> {
  const fd = track(await socket(loop, AF_INET, SOCK_DGRAM));
  await bind(loop, fd, { address: "127.0.0.1", port: 0 });
  await connect(loop, fd, { address: "127.0.0.1", port: portOf(fd) });
  return fd;
}

async function tcpPair(loop: Loop): Promise<[number, number]> {
  const l = track(await socket(loop, AF_INET, SOCK_STREAM));
  await bind(loop, l, { address: "127.0.0.1", port: 0 });
  await listen(loop, l, 4);
  const client = track(await socket(loop, AF_INET, SOCK_STREAM));
  const accepting = accept(loop, l);
  await connect(loop, client, { address: "127.0.0.1", port: portOf(l) });
  return [client, track((await accepting).fd)];
}

/** Runs one SQE on a private ring, going around ringside's checks, and returns the CQE's res. */
function raw(prep: (sqe: Sqe) => void, flags = 0): number {
  return rawSqe(prep, flags);
}

function intOpt(fd: number, level: number, name: number): number {
  const v = new Uint8Array(4);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, 4, true);
  assert.equal(libc().getsockopt(fd, level, name, v, len), 0, "getsockopt(2)");
  return new DataView(v.buffer).getInt32(0, true);
}

const refusedBeforeKernel = (e: unknown) => e instanceof UringError && e.code === "ERINGSIDE" && e.errno === 0;

// ---- SIOCINQ / SIOCOUTQ -----------------------------------------------------------------------------------------

it("siocinq reports the queued datagram's size and siocoutq the unsent bytes of a UDP socket", noSockCmds, () =>
  withLoop(async (loop) => {
    const fd = await udpSelf(loop);
    assert.equal(await siocinq(loop, fd), 0, "nothing queued yet");
    await send(loop, fd, new Uint8Array(7).fill(1));
    await send(loop, fd, new Uint8Array(100).fill(2));
    // UDP's SIOCINQ is the size of the next datagram, not the total.
    assert.equal(await siocinq(loop, fd), 7);
    assert.equal(await siocoutq(loop, fd), 0, "loopback sends leave nothing in the send queue");
    assert.equal(await recv(loop, fd, new Uint8Array(64)), 7);
    assert.equal(await siocinq(loop, fd), 100, "then the second datagram");
  }));

it("siocinq counts the unread bytes of a TCP connection", noSockCmds, () =>
  withLoop(async (loop) => {
    const [client, server] = await tcpPair(loop);
    await send(loop, client, new TextEncoder().encode("hello"));
    await send(loop, client, new TextEncoder().encode(", world"));
    let n = 0;
    for (let i = 0; i < 100 && n < 12; i++) n = await siocinq(loop, server); // loopback delivers at once, normally
    assert.equal(n, 12);
    assert.equal(await recv(loop, server, new Uint8Array(5)), 5);
    assert.equal(await siocinq(loop, server), 7);
    // The server has 7 bytes to read and none to send: SIOCOUTQ must not answer what SIOCINQ does.
    assert.equal(await siocoutq(loop, server), 0);
  }));

it("AF_UNIX sockets answer EOPNOTSUPP to SIOCINQ and SIOCOUTQ, and the error says why", noSockCmds, () =>
  withLoop(async (loop) => {
    const [a, b] = socketPair();
    track(a);
    track(b);
    for (const f of [siocinq, siocoutq]) {
      await assert.rejects(f(loop, a), (e: unknown) =>
        e instanceof UringError && e.code === "EOPNOTSUPP" && /AF_UNIX/.test(e.message));
    }
  }));

// ---- Socket options ---------------------------------------------------------------------------------------------

it("setsockopt and getsockopt through the ring agree with the system calls", noSockCmds, () =>
  withLoop(async (loop) => {
    const fd = track(await socket(loop, AF_INET, SOCK_STREAM));
    await setsockopt(loop, fd, SOL_SOCKET, SO_RCVBUF, 65536);
    assert.equal(intOpt(fd, SOL_SOCKET, SO_RCVBUF), 131072, "the kernel doubles what it is given");
    assert.equal(await getsockoptInt(loop, fd, SOL_SOCKET, SO_RCVBUF), 131072);

    const v = new Uint8Array(4);
    new DataView(v.buffer).setInt32(0, 32768, true);
    assert.equal(libc().setsockopt(fd, SOL_SOCKET, SO_SNDBUF, v, 4), 0);
    assert.equal(await getsockoptInt(loop, fd, SOL_SOCKET, SO_SNDBUF), 65536);

    // A boolean is an int; any level is accepted by SETSOCKOPT.
    await setsockopt(loop, fd, SOL_SOCKET, SO_KEEPALIVE, true);
    assert.equal(intOpt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    await setsockopt(loop, fd, IPPROTO_TCP, TCP_NODELAY, true);
    assert.equal(intOpt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    // Bytes: struct linger { int l_onoff; int l_linger; } = { 1, 7 }.
    const linger = new Int32Array([1, 7]);
    await setsockopt(loop, fd, SOL_SOCKET, SO_LINGER, linger);
    const back = await getsockopt(loop, fd, SOL_SOCKET, SO_LINGER, 8);
    assert.deepEqual([...new Int32Array(back.slice().buffer)], [1, 7]);
    // struct sock_fprog holds a pointer the kernel would follow: SO_ATTACH_FILTER (26), SO_ATTACH_REUSEPORT_CBPF (51).
    for (const name of [26, 51]) {
      await assert.rejects(setsockopt(loop, fd, SOL_SOCKET, name, new Uint8Array(16)), /take a pointer/);
    }
  }));

it("getsockopt resolves to the bytes the kernel reported, sized by its new optlen", noSockCmds, () =>
  withLoop(async (loop) => {
    const fd = track(await socket(loop, AF_INET, SOCK_DGRAM));
    const type = await getsockopt(loop, fd, SOL_SOCKET, SO_TYPE, 64);
    assert.equal(type.length, 4, "SO_TYPE is an int: the result is its length");
    assert.equal(new DataView(type.buffer, type.byteOffset).getInt32(0, true), SOCK_DGRAM);
  }));

it("getsockopt refuses levels other than SOL_SOCKET before the kernel, which answers EOPNOTSUPP", noSockCmds, () =>
  withLoop(async (loop) => {
    const fd = track(await socket(loop, AF_INET, SOCK_STREAM));
    const completed = loop.stats.completed;
    await assert.rejects(getsockopt(loop, fd, IPPROTO_TCP, TCP_NODELAY, 4), (e: unknown) =>
      refusedBeforeKernel(e) && /only SOL_SOCKET/.test((e as Error).message));
    assert.equal(loop.stats.completed, completed, "nothing reached the kernel");
    const mem = NativeMemory.allocate(8);
    try {
      const res = raw((sqe) => prepCmdSock(sqe, 2, fd, IPPROTO_TCP, TCP_NODELAY, mem.address, 4));
      assert.equal(res, -95, "GETSOCKOPT at IPPROTO_TCP: EOPNOTSUPP");
    } finally {
      mem.free();
    }
  }));

it("socket option values out of range are refused", noSockCmds, () =>
  withLoop(async (loop) => {
    const fd = track(await socket(loop, AF_INET, SOCK_DGRAM));
    await assert.rejects(setsockopt(loop, fd, SOL_SOCKET, SO_RCVBUF, 2 ** 33), refusedBeforeKernel);
    await assert.rejects(setsockopt(loop, fd, SOL_SOCKET, SO_RCVBUF, 1.5), refusedBeforeKernel);
    await assert.rejects(getsockopt(loop, fd, SOL_SOCKET, SO_TYPE, 0), refusedBeforeKernel);
    await assert.rejects(siocinq(loop, -1), refusedBeforeKernel);
  }));

// ---- getsockname ------------------------------------------------------------------------------------------------

it("the GETSOCKNAME probe matches the kernel: EOPNOTSUPP before 6.19", noSockCmds, () => {
  const p = probeGetsockname();
  assert.equal(p.supported, p.res === 0);
  if (!kernelVersionAtLeast(6, 19)) assert.equal(p.res, -95, "6.18 and older have no SOCKET_URING_OP_GETSOCKNAME");
  else assert.ok(p.supported, `6.19 and later have it: the probe's command must be wrong (res ${p.res})`);
  assert.equal(getsocknameSupported(), p.supported);
});

it("getsockname returns getsockname(2)'s address, or says it needs Linux 6.19", noSockCmds, () =>
  withLoop(async (loop) => {
    const fd = await udpSelf(loop);
    if (getsocknameSupported()) {
      assert.deepEqual(await getsockname(loop, fd), localAddress(fd));
      // The socket is connected to itself: its peer is its own address.
      assert.deepEqual(await getsockname(loop, fd, { peer: true }), localAddress(fd));
      return;
    }
    const started = loop.stats.started;
    await assert.rejects(getsockname(loop, fd), (e: unknown) =>
      e instanceof UringError && e.code === "EOPNOTSUPP" && /unsupported: needs Linux 6\.19/.test(e.message));
    assert.equal(loop.stats.started, started, "nothing was submitted");
  }));

// ---- TX timestamps ----------------------------------------------------------------------------------------------

/** Pulls `n` timestamps, then breaks out (which cancels the request); rejects after 5 s. */
async function take(stream: AsyncIterableIterator<TxTimestamp> & { cancel(): void }, n: number) {
  const got: TxTimestamp[] = [];
  const timer = setTimeout(() => stream.cancel(), 5000);
  try {
    for await (const t of stream) {
      got.push(t);
      if (got.length === n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return got;
}

async function settle(loop: Loop): Promise<void> {
  for (let i = 0; i < 200 && loop.stats.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
}

for (const [ringName, flags, reason] of [
  ["IORING_SETUP_CQE32", IORING_SETUP_CQE32, noTimestamps],
  ["IORING_SETUP_CQE_MIXED", IORING_SETUP_CQE_MIXED, noMixed],
] as const) {
  it(`each send on a UDP socket yields a software TX timestamp with increasing keys (${ringName})`, reason, () =>
    withLoop(async (loop) => {
      const fd = await udpSelf(loop);
      await enableTxTimestamps(loop, fd);
      const stream = txTimestamps(loop, fd);
      const before = Date.now() / 1000;
      for (let i = 0; i < 3; i++) await send(loop, fd, new Uint8Array([i, i, i]));
      const got = await take(stream, 3);
      await settle(loop);
      assert.deepEqual(got.map((t) => t.key), [0, 1, 2], "SOF_TIMESTAMPING_OPT_ID numbers the sends from 0");
      for (const t of got) {
        assert.equal(t.type, SCM_TSTAMP_SND);
        assert.equal(t.hw, false, "loopback timestamps are software ones");
        assert.ok(t.nsec >= 0 && t.nsec < 1e9);
        assert.ok(Math.abs(t.sec - before) < 60, `CLOCK_REALTIME seconds: ${t.sec} vs ${before}`);
      }
      const ns = got.map((t) => t.sec * 1e9 + t.nsec);
      assert.ok(ns[0]! <= ns[1]! && ns[1]! <= ns[2]!, "in send order");
      assert.equal(loop.stats.inFlight, 0, "breaking out cancelled the request");
    }, { ring: { flags } }));
}

it("TX timestamps are refused on a ring with 16-byte CQEs; the kernel would answer EINVAL", noTimestamps, () =>
  withLoop(async (loop) => {
    const fd = await udpSelf(loop);
    const started = loop.stats.started;
    assert.throws(() => txTimestamps(loop, fd), (e: unknown) =>
      refusedBeforeKernel(e) && /IORING_SETUP_CQE32/.test((e as Error).message));
    assert.equal(loop.stats.started, started, "nothing was submitted");
    assert.equal(raw((sqe) => prepCmdSock(sqe, SOCKET_URING_OP_TX_TIMESTAMP, fd, 0, 0, 0, 0)), -22);
  }));
