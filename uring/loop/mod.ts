/**
 * The scheduler: a {@link Loop} over one ring turns completions into promises and stream values, queues what does
 * not fit in the SQ, and lets other rings post messages to it ({@link LoopMessage}, `loop.inbox`).
 *
 * Write an operation of your own as a {@link PromiseOp} (a prep function and, optionally, a map of the result)
 * and start it with {@link run} or {@link start}, which apply the {@link OpOptions} (`signal`, `timeoutMs`) every
 * call of the library takes. {@link Operation} is the base for anything else (multishot requests, say).
 *
 * @example
 * ```ts
 * import { Loop, PromiseOp, run } from "ringside-uring/loop";
 * import { prepNop } from "ringside-uring/prep";
 *
 * const loop = new Loop();
 * const res = await run(loop, new PromiseOp("nop", (sqe) => prepNop(sqe)), { timeoutMs: 1000 });
 * console.log(res, loop.stats.completed); // 0 1
 * await loop.close();
 * ```
 *
 * @module
 */
export { type AfterReapTask, Loop, type LoopOptions, type LoopStats } from "./loop.ts";
export { type OpHost, type OpOptions, Operation, OpState, PromiseOp } from "./operation.ts";
export { run, start } from "./start.ts";
export { type Inbox, type LoopMessage, MAX_MESSAGE_TAG, messageUserData } from "./inbox.ts";
export type { Chunk, NativeArena } from "./_arena.ts";
