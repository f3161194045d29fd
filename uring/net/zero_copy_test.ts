import assert from "node:assert/strict";
import { NativeMemory } from "../core/memory.ts";
import { Operation } from "../loop/operation.ts";
import { prepSendmsgZc, prepSendZc } from "../prep/net.ts";
import { code, it, track, withLoop } from "../../testing/mod.ts";
import { IORING_CQE_F_MORE, IORING_CQE_F_NOTIF } from "../abi/uapi.ts";
import { AF_INET, SHUT_WR, SOCK_DGRAM } from "../abi/sockaddr.ts";
import { bind, shutdown, socket } from "./socket.ts";
import { recvmsg } from "./message.ts";
import { sendmsgZc, sendZc } from "./zero_copy.ts";
import { dec, enc, noZc, pattern, portOf, recvAll, tcpPair } from "../../testing/net_fixtures.ts";

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
        const [sent, notif] = zc.cqes;
        assert.ok(sent && notif);
        assert.equal(sent.res, 30000);
        assert.ok(sent.flags & IORING_CQE_F_MORE);
        assert.ok(!(sent.flags & IORING_CQE_F_NOTIF));
        assert.ok(notif.flags & IORING_CQE_F_NOTIF);
        assert.ok(!(notif.flags & IORING_CQE_F_MORE));

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
