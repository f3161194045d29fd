/**
 * Cancelling requests on a {@link Loop} (IORING_OP_ASYNC_CANCEL): by the operation (`cancel`), by file descriptor
 * (`cancelFd`), by opcode (`cancelOpcode`) or all of them (`cancelAny`). Each resolves to how many were cancelled;
 * the cancelled requests reject with ECANCELED.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { submitTimeout } from "ringside-uring/ops";
 * const loop = new Loop();
 * const t = submitTimeout(loop, 60_000);
 * console.log(await cancel(loop, t)); // 1
 * await t.promise.catch((e) => console.log(e.code)); // ECANCELED
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type Operation, type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { checkFd, checkInt } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { W_LEN } from "../prep/base.ts";
import { prepCancel64, prepCancelFd } from "../prep/cancel.ts";
import {
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_OP,
} from "../abi/uapi.ts";

/** Options of the cancel functions. */
export interface CancelOptions extends OpOptions {
  /** Cancel every match, not only the first (IORING_ASYNC_CANCEL_ALL, Linux 5.19). */
  all?: boolean | undefined;
}

/** Options of {@link cancelFd}. */
export interface CancelFdOptions extends CancelOptions {
  /** The number is a slot of the registered file table (IORING_ASYNC_CANCEL_FD_FIXED). */
  fixed?: boolean | undefined;
}

function cancelOp(name: string, all: boolean, prep: (sqe: Sqe) => void): PromiseOp<number> {
  // Without ALL the kernel answers 0 for the one request cancelled; with ALL/ANY, how many.
  return new PromiseOp(name, prep, { map: (res) => all ? res : 1 });
}

/**
 * Cancels a request by its user_data (IORING_OP_ASYNC_CANCEL, Linux 5.5) and resolves to how many were cancelled
 * (1; with `all`, the count, possibly 0). The target rejects with ECANCELED. Rejects with ENOENT when nothing
 * matched, EALREADY when the request is running and cannot be interrupted (it completes normally).
 *
 * @param loop The loop.
 * @param target The request (an op from a `submit*` function, or any submitted {@link Operation}).
 * @param options `all`, `signal`, `timeoutMs`.
 * @returns How many were cancelled.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { POLLIN, submitPoll } from "ringside-uring/ops";
 * declare const loop: Loop, fd: number;
 * const poll = submitPoll(loop, fd, POLLIN);
 * await cancel(loop, poll); // 1
 * ```
 */
export function cancel(loop: Loop, target: Operation, options: CancelOptions = {}): Promise<number> {
  const all = options.all === true;
  return run(loop, cancelOp("cancel", all, (sqe) => {
    prepCancel64(sqe, target.userData, all ? IORING_ASYNC_CANCEL_ALL : 0);
  }), options);
}

/**
 * Cancels the requests on a file descriptor (IORING_ASYNC_CANCEL_FD, Linux 5.19), or on a registered file slot
 * with `fixed`; resolves to how many were cancelled. The kernel matches the open file, not the number: cancelling
 * by descriptor also cancels requests that reach the same file through a registered slot, and the other way round.
 *
 * @param loop The loop.
 * @param fd The descriptor or slot.
 * @param options `all`, `fixed`, `signal`, `timeoutMs`.
 * @returns How many were cancelled.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, sock: number;
 * await cancelFd(loop, sock, { all: true }); // every pending recv and send on sock
 * ```
 */
export function cancelFd(loop: Loop, fd: number, options: CancelFdOptions = {}): Promise<number> {
  const all = options.all === true;
  return run(loop, cancelOp("cancel", all, (sqe) => {
    checkFd("cancel", fd);
    prepCancelFd(sqe, fd, (all ? IORING_ASYNC_CANCEL_ALL : 0) | (options.fixed ? IORING_ASYNC_CANCEL_FD_FIXED : 0));
  }), options);
}

/**
 * Cancels the requests with an opcode (IORING_ASYNC_CANCEL_OP, Linux 6.6), such as every IORING_OP_POLL_ADD;
 * resolves to how many were cancelled. It matches every request of that opcode in the ring, whoever made it.
 *
 * @param loop The loop.
 * @param opcode An `IORING_OP_*` value.
 * @param options `all`, `signal`, `timeoutMs`.
 * @returns How many were cancelled.
 *
 * @example
 * ```ts
 * import { IORING_OP_TIMEOUT, Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await cancelOpcode(loop, IORING_OP_TIMEOUT, { all: true });
 * ```
 */
export function cancelOpcode(loop: Loop, opcode: number, options: CancelOptions = {}): Promise<number> {
  const all = options.all === true;
  return run(loop, cancelOp("cancel", all, (sqe) => {
    checkInt("cancel", opcode, 0, 255, "opcode");
    prepCancel64(sqe, 0, IORING_ASYNC_CANCEL_OP | (all ? IORING_ASYNC_CANCEL_ALL : 0));
    sqe.u32[W_LEN] = opcode; // io_uring/cancel.c reads the opcode from sqe->len
  }), options);
}

/**
 * Cancels every request in flight on the ring (IORING_ASYNC_CANCEL_ANY, Linux 5.19), its own excepted; resolves
 * to how many were cancelled. Every pending promise of the loop rejects with ECANCELED.
 *
 * @param loop The loop.
 * @param options `signal`, `timeoutMs`.
 * @returns How many were cancelled.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const n = await cancelAny(loop);
 * ```
 */
export function cancelAny(loop: Loop, options: OpOptions = {}): Promise<number> {
  return run(loop, cancelOp("cancel", true, (sqe) => prepCancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY)), options);
}
