import { test } from "node:test";
import assert from "node:assert/strict";
import { skipIf } from "../testing/mod.ts";
import { Client, startServer, stopServer } from "../testing/server_client.ts";
import { kernelVersionAtLeast } from "../uring/ring/kernel_version.ts";

// Multishot recv over a buffer ring (6.0) is the newest thing the servers need.
const oldKernel = !kernelVersionAtLeast(6, 0) && "the servers need Linux 6.0 (multishot recv over a buffer ring)";

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 11)) & 0xff;
  return b;
}

/** Sends `data` and checks that the same bytes come back. */
async function echoes(c: Client, data: Buffer): Promise<void> {
  c.write(data);
  const back = await c.read(data.length, 8000);
  assert.ok(back.equals(data), `${data.length} bytes echoed unchanged`);
}

const echoName = "examples/echo_server.ts echoes messages up to 1 MiB on concurrent connections, then exits on SIGTERM";
test(echoName, skipIf(oldKernel, echoName), async () => {
  const { server, port } = await startServer("echo_server.ts");
  const clients: Client[] = [];
  try {
    const first = await Client.connect(port);
    clients.push(first);
    await echoes(first, Buffer.from("hello\n"));
    await echoes(first, pattern(1 << 20, 1)); // many times the buffer ring's 4 KiB buffers, and short writes
    await echoes(first, Buffer.from("bye\n"));
    // Several connections at once, all drawing on the one buffer ring: 6 x 512 KiB exceed its 1 MiB.
    const more = await Promise.all(Array.from({ length: 6 }, () => Client.connect(port)));
    clients.push(...more);
    await Promise.all(more.map(async (c, i) => {
      await echoes(c, Buffer.from(`client ${i}\n`));
      await echoes(c, pattern(512 << 10, i + 2));
      await echoes(c, Buffer.from(`client ${i} again\n`));
    }));
    // A connection still open at SIGTERM is closed by the server.
    await stopServer(server, "echo_server");
    await first.read(Infinity, 2000);
  } finally {
    for (const c of clients) c.close();
    server.child.kill("SIGKILL");
  }
});

const owningName = "examples/echo_server.ts --owning serves from loop.run() and exits on SIGTERM";
test(owningName, skipIf(oldKernel, owningName), async () => {
  const { server, port } = await startServer("echo_server.ts", ["--owning"]);
  try {
    const clients = await Promise.all(Array.from({ length: 3 }, () => Client.connect(port)));
    await Promise.all(clients.map((c, i) => echoes(c, pattern(256 << 10, i + 10))));
    for (const c of clients) c.close();
    await stopServer(server, "echo_server");
  } finally {
    server.child.kill("SIGKILL");
  }
});
