import { test } from "node:test";
import assert from "node:assert/strict";
import { Loop } from "../loop/loop.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { RecvmsgStream } from "./recvmsg_stream.ts";
import { sendto } from "../net/mod.ts";
import { libc } from "../../ffi/mod.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { forEachBackend, skipIf } from "../../testing/mod.ts";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0x80000;

// Flags no opcode probe reports: the kernel version tells (Debian's 5.10 carries 5.15's io_uring, which has none).
const noBufRing = !kernelVersionAtLeast(5, 19) && "buffer rings (IORING_REGISTER_PBUF_RING) need Linux 5.19";
const noRecvmsgStream = !kernelVersionAtLeast(6, 0) && "RecvmsgStream needs Linux 6.0 (multishot IORING_OP_RECVMSG)";

/**
 * A UDP socket bound to 127.0.0.1 on a port the kernel picks, through libc (a fixture: the tests are about the
 * stream, and IORING_OP_SOCKET and IORING_OP_BIND need Linux 5.19 and 6.11).
 */
function udpSocket(): number {
  const fd = libc().socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert.ok(fd >= 0, `socket: errno ${libc().errno()}`);
  const addr = new Uint8Array(16);
  new DataView(addr.buffer).setUint16(0, AF_INET, true);
  addr.set([127, 0, 0, 1], 4);
  assert.equal(libc().bind(fd, addr, addr.length), 0, "bind");
  return fd;
}

/** The local port of a bound socket (getsockname through libc). */
function localPort(fd: number): number {
  const addr = new Uint8Array(128);
  const len = new Uint32Array([128]);
  assert.equal(libc().getsockname(fd, addr, new Uint8Array(len.buffer)), 0);
  return new DataView(addr.buffer).getUint16(2); // sin_port, big-endian
}

forEachBackend((b) => {
  b.test("multishot recvmsg yields each datagram with its sender's address, re-arming when buffers run out",
    skipIf(noRecvmsgStream), async () => {
    const loop = b.loop();
    const buffers = BufferRing.create(loop.ring, { bgid: 21, entries: 2, bufferSize: 512 });
    const rx = udpSocket();
    const tx = udpSocket();
    try {
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
      await loop.close();
      libc().close(rx);
      libc().close(tx);
      buffers.close();
    }
  });

  b.test("a recvmsg stream refuses buffers too small for its header, name and control areas",
    skipIf(noBufRing), async () => {
    const loop = b.loop();
    const buffers = BufferRing.create(loop.ring, { bgid: 22, entries: 2, bufferSize: 64 });
    try {
      assert.throws(() => new RecvmsgStream(loop, 0, buffers), /must hold the 16-byte header/);
    } finally {
      await loop.close();
      buffers.close();
    }
  });
});
