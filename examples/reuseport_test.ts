import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { skipIf, startExample } from "../testing/mod.ts";
import { kernelVersionAtLeast } from "../uring/ring/kernel_version.ts";

// Each Worker serves echo_server.ts's way: multishot recv over a buffer ring (6.0) is the newest thing it needs.
const oldKernel = !kernelVersionAtLeast(6, 0) && "reuseport.ts needs Linux 6.0 (multishot recv over a buffer ring)";

/** Sends `text` on a new connection and resolves with what comes back before the server closes or 2 s pass. */
function echoOnce(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.write(text));
    let got = "";
    s.on("data", (d) => {
      got += d;
      if (got.length >= text.length) s.end();
    });
    s.on("close", () => resolve(got));
    s.on("error", reject);
    setTimeout(() => s.destroy(), 2000);
  });
}

test("examples/reuseport.ts serves echo from a ring per Worker and reports counts through MSG_RING",
  skipIf(oldKernel), async () => {
  const server = startExample("reuseport.ts", ["0", "--threads", "2"]);
  try {
    await server.waitFor("listening on");
    const port = Number(/:(\d+) \(2 rings/.exec(server.stdout)![1]);
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => echoOnce(port, `hello ${i}`)));
    assert.deepEqual(replies, Array.from({ length: 8 }, (_, i) => `hello ${i}`));
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
  }
  assert.match(server.stderr, /reuseport: stopped/);
  const counts = /connections per ring: (\d+), (\d+)/.exec(server.stderr);
  assert.ok(counts, server.stderr);
  assert.equal(Number(counts[1]) + Number(counts[2]), 8, "every connection counted by one ring");
});
