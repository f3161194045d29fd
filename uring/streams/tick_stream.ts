/**
 * Timer ticks as an async iterator: one multishot timeout (IORING_TIMEOUT_MULTISHOT, Linux 6.4) fires every
 * interval.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { MultishotStream } from "./stream.ts";
import type { Operation } from "../loop/operation.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepTimeout } from "../prep/timeout.ts";
import { IORING_TIMEOUT_MULTISHOT } from "../abi/uapi.ts";
import { ETIME } from "../abi/errno.ts";
import { refuse } from "../core/errors.ts";
import { checkU32 } from "../core/_validate.ts";
import { writeTimespecNs } from "../abi/timespec.ts";

/**
 * Timer ticks: a multishot IORING_OP_TIMEOUT (IORING_TIMEOUT_MULTISHOT, Linux 6.4) firing every `intervalMs`,
 * `count` times (0 = until cancelled). Each value is the tick's number, from 1.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * const loop = new Loop();
 * for await (const n of new TickStream(loop, 100, { count: 5 })) console.log("tick", n);
 * await loop.close();
 * ```
 */
export class TickStream extends MultishotStream<number> {
  private readonly intervalNs: number;
  private readonly count: number;
  private ticks = 0;

  constructor(loop: Loop, intervalMs: number, options: { count?: number; signal?: AbortSignal } = {}) {
    super(loop, "timer");
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
      refuse("start a timer", `the interval must be a positive number of milliseconds, got ${intervalMs}`);
    }
    this.intervalNs = Math.round(intervalMs * 1e6);
    this.count = checkU32("start a timer", options.count ?? 0, "count"); // sqe->off: a u32
    if (options.signal) this.bindSignal(options.signal);
    this.start();
  }

  protected prepArm(sqe: Sqe, op: Operation): void {
    const ts = op.chunk(this.loop, 16);
    // The kernel copies the timespec when it prepares the request; the chunk lives until the request ends anyway.
    writeTimespecNs(ts.view, 0, this.intervalNs);
    const left = this.count === 0 ? 0 : this.count - this.ticks;
    prepTimeout(sqe, ts.address, left, IORING_TIMEOUT_MULTISHOT);
  }

  protected decode(res: number): number | undefined {
    // Each expiry posts -ETIME; the last one of a counted timer comes without F_MORE.
    return res === -ETIME ? ++this.ticks : undefined;
  }

  protected override onFinal(res: number): "end" | "rearm" | Error {
    if (res === -ETIME) return this.count !== 0 && this.ticks >= this.count ? "end" : "rearm";
    return super.onFinal(res, 0) as "end" | Error;
  }
}
