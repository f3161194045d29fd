/**
 * Echo on every core: one Worker per CPU, each with a ring of its own and its own listening socket on the same
 * port (SO_REUSEPORT), so connections spread over the cores with nothing shared between the rings. On SIGINT or
 * SIGTERM every ring stops and sends its connection count to the main thread's ring with MSG_RING (Linux 5.18),
 * which the main thread reads from its loop's inbox.
 *
 *   bun examples/reuseport.ts 9000 [--threads N]
 *   deno run -A examples/reuseport.ts 9000
 *
 * @module
 */
import process from "node:process";
import { Loop } from "ringside-uring/loop";

const args = process.argv.slice(2);
let port = 9000;
let threads = Math.max(1, navigator.hardwareConcurrency || 1);
const host = "127.0.0.1";
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--threads") threads = Number(args[++i]);
  else if (/^\d+$/.test(args[i]!)) port = Number(args[i]);
  else {
    console.error("usage: reuseport.ts [PORT] [--threads N]");
    process.exit(2);
  }
}
if (!Number.isInteger(threads) || threads < 1) {
  console.error("reuseport: --threads must be a positive whole number");
  process.exit(2);
}

type Reply =
  | { type: "ready" }
  | { type: "listening"; port: number }
  | { type: "stopped" }
  | { type: "error"; message: string };

const loop = new Loop();
const workers: { worker: Worker; replies: Reply[]; wake: (() => void) | null }[] = [];

function reply(w: (typeof workers)[number]): Promise<Reply> {
  return new Promise((resolve) => {
    const take = () => (w.replies.length ? resolve(w.replies.shift()!) : (w.wake = take));
    take();
  });
}

function startWorker(): (typeof workers)[number] {
  const worker = new Worker(new URL("./reuseport_worker.ts", import.meta.url), { type: "module" });
  const w = { worker, replies: [] as Reply[], wake: null as (() => void) | null };
  worker.onmessage = (e: MessageEvent) => {
    w.replies.push(e.data as Reply);
    const wake = w.wake;
    w.wake = null;
    wake?.();
  };
  workers.push(w);
  return w;
}

async function listening(w: (typeof workers)[number], index: number, onPort: number): Promise<number> {
  if ((await reply(w)).type !== "ready") throw new Error("a ring failed to load");
  w.worker.postMessage({ type: "start", index, port: onPort, host, mainRingFd: loop.ring.fd });
  const r = await reply(w);
  if (r.type !== "listening") throw new Error(r.type === "error" ? r.message : "a ring stopped before listening");
  return r.port;
}

try {
  // The first ring picks the port (when 0 was asked); the others join it.
  port = await listening(startWorker(), 0, port);
  for (let i = 1; i < threads; i++) await listening(startWorker(), i, port);
} catch (e) {
  console.error(`reuseport: ${e instanceof Error ? e.message : String(e)}`);
  for (const w of workers) w.worker.terminate();
  await loop.close();
  process.exit(1);
}
console.log(`listening on ${host}:${port} (${threads} rings, SO_REUSEPORT)`);

const stopped = new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});
await stopped;
for (const w of workers) w.worker.postMessage({ type: "stop" });
const counts = new Array<number>(threads).fill(0);
for (let i = 0; i < threads; i++) {
  const { value } = await loop.inbox.next();
  if (value) counts[value.tag] = value.value;
}
for (const w of workers) {
  while ((await reply(w)).type !== "stopped");
  w.worker.terminate();
}
await loop.close();
console.error(`reuseport: connections per ring: ${counts.join(", ")}`);
console.error("reuseport: stopped");
