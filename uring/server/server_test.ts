import { test } from "node:test";
import assert from "node:assert/strict";
import { Loop } from "../loop/loop.ts";
import { serve } from "./server.ts";
import { skipIf } from "../../testing/mod.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";

test("serve refuses a queue limit that is not a positive integer before it listens", async () => {
  const loop = new Loop();
  try {
    await assert.rejects(serve(loop, { port: 0, host: "127.0.0.1", maxQueued: 0 }, async () => {}), /maxQueued/);
    assert.equal(loop.stats.started, 0);
  } finally {
    await loop.close();
  }
});

const oldKernel = !kernelVersionAtLeast(6, 0) && "serve needs Linux 6.0 (multishot recv over a buffer ring)";

const addressesName = "a connection knows the listener's address (the port picked for port 0) and its peer's";
test(addressesName, skipIf(oldKernel, addressesName), async () => {
  const { connect } = await import("node:net");
  const loop = new Loop();
  const stop = new AbortController();
  let served: Promise<void> = Promise.resolve();
  try {
    let listening!: (port: number) => void;
    const port = new Promise<number>((r) => (listening = r));
    const seen = new Promise<{ local: number; remote: number; host: string }>((resolve) => {
      served = serve(loop, { port: 0, host: "127.0.0.1", signal: stop.signal, onListen: (a) => listening(a.port) },
        async (conn) => {
          resolve({ local: conn.localAddress.port, remote: conn.remoteAddress.port, host: conn.remoteAddress.address });
          for await (const _ of conn.input) { /* until the client closes */ }
        });
    });
    const p = await port;
    assert.ok(p > 0);
    const client = connect(p, "127.0.0.1");
    const clientPort = await new Promise<number>((r) => client.on("connect", () => r(client.localPort!)));
    const s = await seen;
    assert.equal(s.local, p);
    assert.equal(s.remote, clientPort);
    assert.equal(s.host, "127.0.0.1");
    client.destroy();
  } finally {
    stop.abort();
    await served;
    await loop.close();
  }
});
