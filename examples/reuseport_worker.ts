/**
 * One ring of examples/reuseport.ts: runs in a Worker with a Loop of its own, serves echo on the shared port
 * (SO_REUSEPORT: the kernel spreads connections over the listening sockets), and when told to stop hands its
 * count of connections to the main thread's ring with MSG_RING.
 *
 * @module
 */
import { Loop } from "ringside-uring/loop";
import { messageUserData } from "ringside-uring/loop";
import { msgRing } from "ringside-uring/ops";
import { serveEcho } from "./echo_server.ts";

interface Start {
  type: "start";
  index: number;
  port: number;
  host: string;
  mainRingFd: number;
}

declare const self: {
  postMessage(m: unknown): void;
  onmessage: ((e: { data: Start | { type: "stop" } }) => void) | null;
  close(): void;
};

let stop: AbortController | null = null;

self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === "stop") {
    stop?.abort();
    return;
  }
  const loop = new Loop();
  stop = new AbortController();
  const stats = { accepted: 0, active: 0 };
  try {
    await serveEcho(loop, {
      port: msg.port,
      host: msg.host,
      reusePort: true,
      signal: stop.signal,
      stats,
      onListen: (a) => self.postMessage({ type: "listening", port: a.port }),
    });
    // MSG_RING: the kernel posts a CQE on the main thread's ring; its inbox delivers (tag = ring index, value).
    await msgRing(loop, msg.mainRingFd, { res: stats.accepted, userData: messageUserData(msg.index) });
  } catch (error) {
    self.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
  } finally {
    await loop.close();
    self.postMessage({ type: "stopped" });
    self.close();
  }
};

// Messages that arrive while a module Worker is still loading (its imports use top-level await) can be
// dispatched before `onmessage` is set, and lost (seen in Bun): the parent waits for this before starting us.
self.postMessage({ type: "ready" });
