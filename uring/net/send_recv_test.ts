import assert from "node:assert/strict";
import { it, withLoop, code } from "../../testing/mod.ts";
import { MSG_DONTWAIT, MSG_PEEK } from "../abi/sockaddr.ts";
import { recv, send } from "./send_recv.ts";
import { dec, enc, noSockets, tcpPair } from "../../testing/net_fixtures.ts";

it("recv with MSG_DONTWAIT on an empty socket rejects with EAGAIN; MSG_PEEK leaves the data", noSockets, () =>
    withLoop(async (loop) => {
      const { client, server } = await tcpPair(loop);
      const buf = new Uint8Array(16);
      await assert.rejects(recv(loop, server, buf, { flags: MSG_DONTWAIT }), code("EAGAIN"));
      await send(loop, client, enc("peek"));
      assert.equal(await recv(loop, server, buf, { flags: MSG_PEEK }), 4);
      buf.fill(0);
      assert.equal(await recv(loop, server, buf), 4);
      assert.equal(dec(buf.subarray(0, 4)), "peek");
    }));

it("a recv that never gets data: timeoutMs rejects with a TimeoutError, an AbortSignal with an AbortError",
  noSockets, () =>
    withLoop(async (loop) => {
      const { server } = await tcpPair(loop);
      const buf = new Uint8Array(8);
      const t0 = performance.now();
      await assert.rejects(recv(loop, server, buf, { timeoutMs: 30 }), (e: Error) => e.name === "TimeoutError");
      assert.ok(performance.now() - t0 >= 25);
      const ac = new AbortController();
      const p = recv(loop, server, buf, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error("stop")), 5);
      await assert.rejects(p, (e: Error) => e.name === "AbortError" && (e.cause as Error).message === "stop");
      // An already aborted signal rejects without reaching the kernel.
      const started = loop.stats.started;
      await assert.rejects(recv(loop, server, buf, { signal: AbortSignal.abort() }), { name: "AbortError" });
      assert.equal(loop.stats.started, started);
    }));
