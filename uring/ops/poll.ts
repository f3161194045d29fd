/**
 * Waiting for a descriptor to become ready on a {@link Loop}: `pollAdd` (IORING_OP_POLL_ADD) with the `POLL*`
 * events, and `submitPoll`, whose returned operation is the handle `pollRemove` and `pollUpdate` take.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { pipe } from "ringside-uring/fs";
 * const loop = new Loop();
 * const [, w] = await pipe(loop);
 * console.log((await pollAdd(loop, w, POLLOUT)) & POLLOUT); // 4: the pipe has room
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type Operation, type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run, start } from "../loop/start.ts";
import { checkFd, checkU32 } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepPollAdd, prepPollRemove, prepPollUpdate } from "../prep/poll.ts";
import { IORING_POLL_UPDATE_EVENTS } from "../abi/uapi.ts";

/** poll(2) event: data to read. */
export const POLLIN = 0x1;
/** poll(2) event: urgent data. */
export const POLLPRI = 0x2;
/** poll(2) event: writing will not block. */
export const POLLOUT = 0x4;
/** poll(2) event: error (always reported). */
export const POLLERR = 0x8;
/** poll(2) event: hang up (always reported). */
export const POLLHUP = 0x10;
/** poll(2) event: invalid descriptor. */
export const POLLNVAL = 0x20;
/** poll(2) event: normal data to read. */
export const POLLRDNORM = 0x40;
/** poll(2) event: priority band data to read. */
export const POLLRDBAND = 0x80;
/** poll(2) event: normal data may be written. */
export const POLLWRNORM = 0x100;
/** poll(2) event: priority data may be written. */
export const POLLWRBAND = 0x200;
/** poll(2) event: the stream peer shut down writing. */
export const POLLRDHUP = 0x2000;

/**
 * Starts a one-shot poll (IORING_OP_POLL_ADD, Linux 5.1) and returns it: `op.promise` resolves to the events that
 * became ready; `op` is the handle for {@link pollRemove} and {@link pollUpdate}.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param events `POLL*` events to wait for (POLLERR and POLLHUP are always reported).
 * @param options `signal`, `timeoutMs`.
 * @returns The poll operation.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * const poll = submitPoll(loop, fd, POLLIN);
 * await pollRemove(loop, poll); // poll.promise rejects with ECANCELED
 * ```
 */
export function submitPoll(loop: Loop, fd: number, events: number, options: OpOptions = {}): PromiseOp<number> {
  return start(loop, new PromiseOp("poll", (sqe: Sqe) => {
    checkFd("poll", fd);
    prepPollAdd(sqe, fd, checkU32("poll", events, "events"));
  }), options);
}

/**
 * Waits until `fd` has one of `events` (IORING_OP_POLL_ADD, Linux 5.1) and resolves to the ready events.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param events `POLL*` events.
 * @param options `signal`, `timeoutMs`.
 * @returns The ready events.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, sock: number;
 * const revents = await pollAdd(loop, sock, POLLIN | POLLRDHUP);
 * ```
 */
export function pollAdd(loop: Loop, fd: number, events: number, options: OpOptions = {}): Promise<number> {
  return submitPoll(loop, fd, events, options).promise;
}

/**
 * Removes a poll started with {@link submitPoll} (IORING_OP_POLL_REMOVE, Linux 5.1): the poll rejects with
 * ECANCELED; this resolves once removed, or rejects with ENOENT when the poll had already completed.
 *
 * @param loop The loop.
 * @param target The poll.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp } from "ringside-uring";
 * declare const loop: Loop, poll: PromiseOp<number>;
 * await pollRemove(loop, poll);
 * ```
 */
export function pollRemove(loop: Loop, target: Operation, options: OpOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("poll_remove", (sqe: Sqe) => prepPollRemove(sqe, target.userData), {
    map: () => undefined,
  }), options);
}

/**
 * Changes the events a poll started with {@link submitPoll} waits for, in place (IORING_OP_POLL_REMOVE with
 * IORING_POLL_UPDATE_EVENTS, Linux 5.13). Its user_data stays: the loop keeps tracking it.
 *
 * @param loop The loop.
 * @param target The poll.
 * @param events The new `POLL*` events.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp } from "ringside-uring";
 * declare const loop: Loop, poll: PromiseOp<number>;
 * await pollUpdate(loop, poll, POLLOUT);
 * ```
 */
export function pollUpdate(loop: Loop, target: Operation, events: number, options: OpOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("poll_update", (sqe: Sqe) => {
    prepPollUpdate(sqe, target.userData, 0, checkU32("poll_update", events, "events"), IORING_POLL_UPDATE_EVENTS);
  }, { map: () => undefined }), options);
}
