/**
 * A Worker for the inbox test: it runs a Loop of its own, tells the parent its ring fd, then answers each message
 * that arrives in its inbox with a MSG_RING back to the parent's ring (tag + 1, value * 2), until tag 0.
 *
 * @module
 */
import { Loop } from "../uring/loop/loop.ts";
import { messageUserData } from "../uring/loop/inbox.ts";
import { msgRing } from "../uring/ops/msg_ring.ts";

declare const self: { postMessage(m: unknown): void; onmessage: ((e: { data: unknown }) => void) | null; close(): void };

self.onmessage = async (e) => {
  const parentFd = e.data as number;
  const loop = new Loop();
  self.postMessage(loop.ring.fd);
  for await (const m of loop.inbox) {
    if (m.tag === 0) break;
    await msgRing(loop, parentFd, { res: m.value * 2, userData: messageUserData(m.tag + 1) });
  }
  await loop.close();
  self.postMessage("done");
  self.close();
};

// A message that arrives while a module Worker is still loading can be dispatched before `onmessage` exists and be
// lost (seen in Bun): the parent sends the ring fd only after this.
self.postMessage("ready");
