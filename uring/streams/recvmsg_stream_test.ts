import { test } from "node:test";
import assert from "node:assert/strict";
import { Loop } from "../loop/loop.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { RecvmsgStream } from "./recvmsg_stream.ts";
import { bind, sendto, socket } from "../net/mod.ts";
import { close } from "../fs/mod.ts";
import { libc } from "../../ffi/mod.ts";

const AF_INET = 2;
const SOCK_DGRAM = 2;

/** The local port of a bound socket (getsockname through libc). */
function localPort(fd: number): number {
  const addr = new Uint8Array(128);
  const len = new Uint32Array([128]);
  assert.equal(libc().getsockname(fd, addr, new Uint8Array(len.buffer)), 0);
  return new DataView(addr.buffer).getUint16(2); // sin_port, big-endian
}

test("multishot recvmsg yields each datagram with its sender's address, re-arming when buffers run out", async () => {
  const loop = new Loop();
  const buffers = BufferRing.create(loop.ring, { bgid: 21, entries: 2, bufferSize: 512 });
  const rx = await socket(loop, AF_INET, SOCK_DGRAM);
  const tx = await socket(loop, AF_INET, SOCK_DGRAM);
  try {
    await bind(loop, rx, { address: "127.0.0.1", port: 0 });
    await bind(loop, tx, { address: "127.0.0.1", port: 0 });
    const rxPort = localPort(rx);
    const txPort = localPort(tx);
    // Ten datagrams queued before the stream starts: two buffers hold two, the rest wait in the socket.
    for (let i = 0; i < 10; i++) {
      await sendto(loop, tx, new TextEncoder().encode(`datagram ${i}`), { address: "127.0.0.1", port: rxPort });
    }
    const stream = new RecvmsgStream(loop, rx, buffers);
    const got: string[] = [];
    for await (const d of stream) {
      assert.deepEqual(d.address, { family: AF_INET, address: "127.0.0.1", port: txPort });
      assert.equal(d.flags, 0);
      got.push(new TextDecoder().decode(d.data));
      if (got.length === 10) break;
    }
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `datagram ${i}`));
    assert.ok(stream.rearms > 0, "ENOBUFS re-arms happened");
  } finally {
    await close(loop, rx);
    await close(loop, tx);
    await loop.close();
    buffers.close();
  }
});

test("a recvmsg stream refuses buffers too small for its header, name and control areas", async () => {
  const loop = new Loop();
  const buffers = BufferRing.create(loop.ring, { bgid: 22, entries: 2, bufferSize: 64 });
  try {
    assert.throws(() => new RecvmsgStream(loop, 0, buffers), /must hold the 16-byte header/);
  } finally {
    await loop.close();
    buffers.close();
  }
});
