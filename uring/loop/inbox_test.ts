import assert from "node:assert/strict";
import { Loop } from "./loop.ts";
import { messageUserData } from "./inbox.ts";
import { msgRing } from "../ops/msg_ring.ts";
import { it } from "../../testing/mod.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_MSG_RING } from "../abi/uapi.ts";

/** Messages between rings are IORING_OP_MSG_RING requests. */
const noMsgRing = !probeOpcodes().isSupported(IORING_OP_MSG_RING) && "IORING_OP_MSG_RING needs Linux 5.18";

it("MSG_RING from one loop lands in another loop's inbox, even when it has nothing in flight", noMsgRing, async () => {
  const a = new Loop();
  const b = new Loop();
  try {
    const received = (async () => {
      const got: [number, number][] = [];
      for await (const m of b.inbox) {
        got.push([m.tag, m.value]);
        if (got.length === 3) break;
      }
      return got;
    })();
    await new Promise((r) => setTimeout(r, 5)); // b is idle: only its inbox waits
    const sent: [number, number][] = [[1, 10], [2 ** 40, -5], [7, 0x7fffffff]];
    for (const [tag, value] of sent) {
      await msgRing(a, b.ring.fd, { res: value, userData: messageUserData(tag) });
    }
    assert.deepEqual(await received, sent);
    assert.equal(b.stats.stale, 0);
  } finally {
    await a.close();
    await b.close();
  }
});

it("a Worker with a ring of its own exchanges MSG_RING messages with the main thread", noMsgRing, async () => {
  const loop = new Loop();
  const worker = new Worker(new URL("../../testing/inbox_worker.ts", import.meta.url), { type: "module" });
  try {
    const fromWorker: unknown[] = [];
    let notify: (() => void) | null = null;
    worker.onmessage = (e: MessageEvent) => {
      fromWorker.push(e.data);
      notify?.();
    };
    const nextFromWorker = async () => {
      while (fromWorker.length === 0) await new Promise<void>((r) => (notify = r));
      return fromWorker.shift();
    };
    assert.equal(await nextFromWorker(), "ready");
    worker.postMessage(loop.ring.fd);
    const workerFd = await nextFromWorker() as number;
    assert.ok(workerFd > 0);
    const replies: [number, number][] = [];
    for (let i = 1; i <= 5; i++) {
      await msgRing(loop, workerFd, { res: i * 100, userData: messageUserData(i * 10) });
      const { value: m } = await loop.inbox.next();
      replies.push([m!.tag, m!.value]);
    }
    assert.deepEqual(replies, [[11, 200], [21, 400], [31, 600], [41, 800], [51, 1000]]);
    await msgRing(loop, workerFd, { res: 0, userData: messageUserData(0) });
    assert.equal(await nextFromWorker(), "done");
  } finally {
    worker.terminate();
    await loop.close();
  }
});

it("an owning loop's inbox receives inside run(), with no eventfd to wait on", noMsgRing, async () => {
  const sender = new Loop();
  const loop = new Loop({ mode: "owning" });
  try {
    const got = await loop.run(async () => {
      const next = loop.inbox.next(); // an owning loop has no eventfd: run() watches the inbox itself
      await msgRing(sender, loop.ring.fd, { res: 42, userData: messageUserData(9) });
      return (await next).value;
    });
    assert.deepEqual([got.tag, got.value], [9, 42]);
  } finally {
    await sender.close();
    await loop.close();
  }
});
