/**
 * Multishot streams that need no provided buffers: accepted connections, poll events and timer ticks.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { MultishotStream } from "./stream.ts";
import type { Operation } from "../loop/operation.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepMultishotAccept, prepMultishotAcceptDirect } from "../prep/net.ts";
import { prepPollMultishot } from "../prep/poll.ts";
import { prepTimeout } from "../prep/timeout.ts";
import { IORING_TIMEOUT_MULTISHOT } from "../abi/uapi.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, checkU32 } from "../ops/ops.ts";
import { writeTimespecNs } from "../abi/timespec.ts";

const SOCK_CLOEXEC = 0x80000;

/**
 * Accepted connections from a listening socket, one file descriptor (or fixed-file index with `direct`) per
 * value: IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT (Linux 5.19). Re-armed when the kernel stops it (the CQ
 * was full); errors such as EMFILE end the stream.
 *
 * @example
 * ```ts
 * for await (const fd of new AcceptStream(loop, listenFd)) serve(fd);
 * ```
 */
export class AcceptStream extends MultishotStream<number> {
  private readonly fd: number;
  private readonly direct: boolean;

  constructor(loop: Loop, fd: number, options: { direct?: boolean; signal?: AbortSignal } = {}) {
    super(loop, "accept");
    checkFd("accept", fd);
    this.fd = fd;
    this.direct = options.direct ?? false;
    if (options.signal) this.bindSignal(options.signal);
    this.start();
  }

  protected prepArm(sqe: Sqe): void {
    if (this.direct) prepMultishotAcceptDirect(sqe, this.fd, 0, 0, 0);
    else prepMultishotAccept(sqe, this.fd, 0, 0, SOCK_CLOEXEC);
  }

  protected decode(res: number): number | undefined {
    return res >= 0 ? res : undefined;
  }
}

/**
 * Readiness events of a file descriptor: IORING_OP_POLL_ADD with IORING_POLL_ADD_MULTI (Linux 5.13). Each value
 * is the `revents` mask (POLLIN = 1, POLLOUT = 4, ...).
 *
 * @example
 * ```ts
 * for await (const revents of new PollStream(loop, fd, 1)) if (revents & 1) drain(fd);
 * ```
 */
export class PollStream extends MultishotStream<number> {
  private readonly fd: number;
  private readonly events: number;

  constructor(loop: Loop, fd: number, events: number, options: { signal?: AbortSignal } = {}) {
    super(loop, "poll");
    checkFd("poll", fd);
    this.fd = fd;
    this.events = checkU32("poll", events, "events");
    if (options.signal) this.bindSignal(options.signal);
    this.start();
  }

  protected prepArm(sqe: Sqe): void {
    prepPollMultishot(sqe, this.fd, this.events);
  }

  protected decode(res: number): number | undefined {
    return res >= 0 ? res : undefined;
  }
}

/**
 * Timer ticks: a multishot IORING_OP_TIMEOUT (IORING_TIMEOUT_MULTISHOT, Linux 6.4) firing every `intervalMs`,
 * `count` times (0 = until cancelled). Each value is the tick's number, from 1.
 *
 * @example
 * ```ts
 * for await (const n of new TickStream(loop, 100, { count: 5 })) console.log("tick", n);
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
    const count = options.count ?? 0;
    if (!Number.isInteger(count) || count < 0) refuse("start a timer", `count must be a whole number, got ${count}`);
    this.intervalNs = Math.round(intervalMs * 1e6);
    this.count = count;
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
    return res === -62 ? ++this.ticks : undefined;
  }

  protected override onFinal(res: number): "end" | "rearm" | Error {
    if (res === -62) return this.count !== 0 && this.ticks >= this.count ? "end" : "rearm";
    return super.onFinal(res, 0) as "end" | Error;
  }
}
