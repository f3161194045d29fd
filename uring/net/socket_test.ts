import assert from "node:assert/strict";
import { libc } from "../../ffi/mod.ts";
import { NativeMemory } from "../core/memory.ts";
import { registerFilesSparse } from "../ring/registered_files.ts";
import { code, forEachBackend, tempDir, track } from "../../testing/mod.ts";
import { AF_INET, AF_INET6, AF_UNIX, SHUT_WR, SOCK_STREAM } from "../abi/sockaddr.ts";
import { accept, acceptDirect, bind, connect, listen, shutdown, socket, socketDirect } from "./socket.ts";
import { recv, send } from "./send_recv.ts";
import {
  dec,
  enc,
  listener,
  localAddress,
  LOOPBACK,
  noSockets,
  pattern,
  portOf,
  recvAll,
  tcpPair,
  unixPair,
} from "../../testing/net_fixtures.ts";

const tmp = tempDir("ringside-net-");
const tempPath = tmp.path;

forEachBackend((b) => {
  for (const family of [AF_INET, AF_INET6] as const) {
    const name = `TCP over ${LOOPBACK[family]}: socket, bind, listen, accept and connect; bytes and the peer's address`;
    b.it(name, noSockets, () =>
      b.withLoop(async (loop) => {
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

  b.it("connect to a closed port rejects with ECONNREFUSED; to a missing Unix path with ENOENT", noSockets, () =>
      b.withLoop(async (loop) => {
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

  b.it("binding an address in use rejects with EADDRINUSE; a bad address rejects before the kernel", noSockets, () =>
      b.withLoop(async (loop) => {
        const l = await listener(loop, AF_INET);
        const again = track(await socket(loop, AF_INET, SOCK_STREAM));
        await assert.rejects(bind(loop, again, l.address), code("EADDRINUSE"));
        await assert.rejects(bind(loop, again, { address: "localhost", port: 1 }), /not an IPv4 address/);
        await assert.rejects(send(loop, -1, new Uint8Array(1)), /fd must be a file descriptor/);
      }));

  b.it("socket, listen, accept and shutdown refuse values the SQE would truncate or misread", noSockets, () =>
      b.withLoop(async (loop) => {
        // Each of these used to reach the kernel as something else: type 1, backlog 0, SOCK_NONBLOCK, SHUT_RD.
        await assert.rejects(socket(loop, AF_INET, 2 ** 32 + 1), /type must be an integer from 0 to 4294967295/);
        await assert.rejects(socket(loop, AF_INET, SOCK_STREAM, -1), /protocol must be an integer from 0 to 4294967295/);
        const l = await listener(loop, AF_INET);
        await assert.rejects(listen(loop, l.fd, NaN), /backlog must be an integer from 0 to/);
        await assert.rejects(accept(loop, l.fd, { flags: 2 ** 32 + 0x800 }),
          /flags must be an integer from 0 to 4294967295/);
        await assert.rejects(shutdown(loop, l.fd, undefined as unknown as number), /how must be SHUT_RD/);
        await assert.rejects(shutdown(loop, l.fd, 3), /how must be SHUT_RD/);
      }));

  b.it("shutdown(SHUT_WR): the peer reads EOF (recv resolves 0) and can still send back", noSockets, () =>
      b.withLoop(async (loop) => {
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

  b.it("socketDirect and acceptDirect put sockets in the registered file table",
    b.needsIoUring("registered files (direct descriptors)") || noSockets, () =>
      b.withLoop(async (loop) => {
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

  b.it("AF_UNIX stream: the peer of an unbound client is unnamed, data flows both ways", noSockets, () =>
      b.withLoop(async (loop) => {
        const { client, server, peer, path } = await unixPair(loop, tmp.file());
        assert.deepEqual(peer, { family: AF_UNIX, path: "" });
        assert.deepEqual(localAddress(server), { family: AF_UNIX, path });
        assert.equal(await send(loop, client, enc("over unix")), 9);
        const buf = new Uint8Array(32);
        assert.equal(await recv(loop, server, buf), 9);
        assert.equal(dec(buf.subarray(0, 9)), "over unix");
      }));
});
