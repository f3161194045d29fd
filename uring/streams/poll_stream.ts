/**
 * Readiness events as an async iterator: one multishot poll (IORING_OP_POLL_ADD with IORING_POLL_ADD_MULTI,
 * Linux 5.13) yields the `revents` of each event.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { MultishotStream } from "./stream.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepPollMultishot } from "../prep/poll.ts";
import { checkFd, checkU32 } from "../core/_validate.ts";

/**
 * Readiness events of a file descriptor: IORING_OP_POLL_ADD with IORING_POLL_ADD_MULTI (Linux 5.13). Each value
 * is the `revents` mask (POLLIN = 1, POLLOUT = 4, ...).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * declare const fd: number;
 * declare function drain(fd: number): void;
 *
 * const POLLIN = 1;
 * const loop = new Loop();
 * for await (const revents of new PollStream(loop, fd, POLLIN)) if (revents & POLLIN) drain(fd);
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
