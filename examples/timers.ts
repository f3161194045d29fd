/**
 * Timer ticks from one multishot timeout: the kernel re-arms it after each expiry, so a periodic timer costs one
 * SQE for its whole life (IORING_TIMEOUT_MULTISHOT, Linux 6.4).
 *
 *   bun examples/timers.ts [INTERVAL_MS] [COUNT]
 *   deno run -A examples/timers.ts 100 5
 *
 * @module
 */
import process from "node:process";
import { Loop } from "ringside-uring/loop";
import { TickStream } from "ringside-uring/streams";

const intervalMs = Number(process.argv[2] ?? 100);
const count = Number(process.argv[3] ?? 5);

const loop = new Loop();
const start = performance.now();
for await (const tick of new TickStream(loop, intervalMs, { count })) {
  console.log(`tick ${tick} at ${(performance.now() - start).toFixed(1)} ms`);
}
await loop.close();
