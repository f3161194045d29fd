/**
 * The examples where the kernel refuses io_uring: under a seccomp filter answering EPERM to the io_uring system calls
 * (what Docker's default profile does; testing/seccomp_eperm.c), `examples/echo_server.ts` started with no flag and
 * no RINGSIDE_BACKEND runs on the epoll backend by itself, says so in one line on stderr, and serves echo.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import process from "node:process";
import { it } from "../testing/mod.ts";
import { confinedCommand, helperUnavailable } from "../testing/refused.ts";
import { Client, startServer, stopServer } from "../testing/server_client.ts";

const noHelper = helperUnavailable() ??
  (process.env.RINGSIDE_BACKEND ? `RINGSIDE_BACKEND is set (${process.env.RINGSIDE_BACKEND}): no fallback to see` : undefined);

it("under a seccomp filter, examples/echo_server.ts falls back to epoll with one notice on stderr and echoes", noHelper,
  async () => {
    const { server, port } = await startServer("echo_server.ts", [], confinedCommand({ seccomp: true }));
    const clients: Client[] = [];
    try {
      const data = Buffer.alloc(256 << 10);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
      for (let n = 0; n < 2; n++) {
        const c = await Client.connect(port);
        clients.push(c);
        c.write("hello\n");
        assert.equal((await c.read(6, 8000)).toString(), "hello\n");
        c.write(data);
        assert.ok((await c.read(data.length, 8000)).equals(data), "256 KiB echoed unchanged");
      }
      const lines = server.stderr.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 1, `one line on stderr: ${server.stderr}`);
      assert.match(lines[0]!, /^ringside: io_uring is not available \(.*seccomp.*\); loops use the epoll backend/);
      await stopServer(server, "echo_server");
      assert.deepEqual(server.stderr.split("\n").filter((l) => l !== "").slice(1), ["echo_server: stopped"]);
    } finally {
      for (const c of clients) c.close();
      server.child.kill("SIGKILL");
    }
  });
