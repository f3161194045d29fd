import assert from "node:assert/strict";
import { libc } from "../../ffi/mod.ts";
import { NativeMemory } from "../core/memory.ts";
import { forEachBackend, tempDir, track } from "../../testing/mod.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  MSG_CTRUNC,
  MSG_TRUNC,
  SCM_RIGHTS,
  SOCK_DGRAM,
  type SocketAddressInput,
  SOL_SOCKET,
} from "../abi/sockaddr.ts";
import { cmsgSpace } from "../abi/cmsg.ts";
import { bind, connect, socket } from "./socket.ts";
import { sendto } from "./send_recv.ts";
import { recvmsg, sendmsg } from "./message.ts";
import { controlFds, scmRights } from "./control_message.ts";
import { dec, enc, LOOPBACK, noSockets, pattern, portOf, unixPair } from "../../testing/net_fixtures.ts";

const tmp = tempDir("ringside-net-");
const tempPath = tmp.path;

forEachBackend((be) => {
  for (const family of [AF_INET, AF_INET6] as const) {
    be.it(`UDP over ${LOOPBACK[family]}: sendto, and recvmsg reports the datagram's source address`, noSockets, () =>
        be.withLoop(async (loop) => {
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
            const parts = [mem.bytes, new Uint8Array(3), new Uint8Array(10).fill(0xaa)] as const;
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

  be.it("sendmsg passes a file descriptor with SCM_RIGHTS; recvmsg parses it from the control data", noSockets, () =>
      be.withLoop(async (loop) => {
        const { client, server } = await unixPair(loop, tmp.file());
        const pipe = new Int32Array(2);
        assert.equal(libc().pipe2(pipe, 0x80000), 0);
        const pipeRead = track(pipe[0]!), pipeWrite = track(pipe[1]!); // pipe2 filled both
        assert.equal(await sendmsg(loop, client, { data: enc("fd!"), control: [scmRights([pipeWrite])] }), 3);
        const buf = new Uint8Array(8);
        const m = await recvmsg(loop, server, { data: buf, controlLength: cmsgSpace(4) });
        assert.equal(m.bytes, 3);
        assert.equal(dec(buf.subarray(0, 3)), "fd!");
        assert.equal(m.control.length, 1);
        const [cm] = m.control;
        assert.ok(cm);
        assert.equal(cm.level, SOL_SOCKET);
        assert.equal(cm.type, SCM_RIGHTS);
        const [received] = controlFds(m.control);
        assert.ok(received !== undefined, "a descriptor was passed");
        track(received);
        assert.ok(received >= 0 && received !== pipeWrite, `a new descriptor, got ${received}`);
        // The received descriptor is the pipe's write end: what is written to it comes out of the read end.
        const msg = enc("through the passed fd");
        assert.equal(libc().write(received, msg, msg.length), msg.length);
        const out = new Uint8Array(64);
        const n = Number(libc().read(pipeRead, out, out.length));
        assert.equal(dec(out.subarray(0, n)), "through the passed fd");

        // Without room for control data, the descriptor is dropped and MSG_CTRUNC reported.
        await sendmsg(loop, client, { data: enc("x"), control: [scmRights([pipeWrite])] });
        const m2 = await recvmsg(loop, server, { data: buf });
        assert.equal(m2.bytes, 1);
        assert.ok(m2.flags & MSG_CTRUNC);
        assert.deepEqual(m2.control, []);
      }));

  be.it("a message header never carries a previous message's descriptors, address or control area", noSockets, () =>
      be.withLoop(async (loop) => {
        const pa = tempPath(`hdra-${be.backend}`);
        const r = track(await socket(loop, AF_UNIX, SOCK_DGRAM));
        await bind(loop, r, { path: pa });
        const s = track(await socket(loop, AF_UNIX, SOCK_DGRAM));
        await connect(loop, s, { path: pa });
        // 300 one-byte buffers: the header (over 4 KiB) comes from an arena class that used to hand chunks out
        // unzeroed, so the second message's header was the first one's, SCM_RIGHTS included.
        const many = (ch: number) => Array.from({ length: 300 }, () => Uint8Array.of(ch));
        const pipe = new Int32Array(2);
        assert.equal(libc().pipe2(pipe, 0x80000), 0);
        track(pipe[0]!); // pipe2 filled both
        const pipeWrite = track(pipe[1]!);
        await sendmsg(loop, s, { data: many(1), control: [scmRights([pipeWrite])] });
        await sendmsg(loop, s, { data: many(2) });
        const got: number[][] = [];
        for (let i = 0; i < 2; i++) {
          const m = await recvmsg(loop, r, { data: new Uint8Array(400), controlLength: 64 });
          assert.equal(m.bytes, 300);
          const fds = controlFds(m.control);
          for (const fd of fds) track(fd);
          got.push(fds);
        }
        assert.equal(got[0]?.length, 1, "the first message passes one descriptor");
        assert.deepEqual(got[1], [], "the second passes none");
      }));

  be.it("AF_UNIX datagrams: sendto a bound path, recvmsg reports the sender's path", noSockets, () =>
      be.withLoop(async (loop) => {
        const pa = tempPath(`dga-${be.backend}`);
        const pb = tempPath(`dgb-${be.backend}`);
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
});
