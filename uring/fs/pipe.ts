/**
 * Making pipes from inside the ring, on a {@link Loop}: `pipe` (pipe2(2)) and `pipeDirect`, whose ends are direct
 * descriptors in the ring's registered file table.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { close, read, write } from "ringside-uring/fs";
 * const loop = new Loop();
 * const [r, w] = await pipe(loop);
 * await write(loop, w, new TextEncoder().encode("hi"));
 * console.log(await read(loop, r, new Uint8Array(8))); // 2
 * await close(loop, r);
 * await close(loop, w);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { checkSlot, checkU32 } from "../core/_validate.ts";
import { IORING_FILE_INDEX_ALLOC } from "../abi/uapi.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepPipe, prepPipeDirect } from "../prep/pipe.ts";
import { FsOp } from "./_fs_op.ts";
import { O_CLOEXEC } from "./constants.ts";
import type { OpenOptions } from "./open_close.ts";

function pipeOp(name: string, loop: Loop, prep: (sqe: Sqe, fds: number) => void): FsOp<[number, number]> {
  let fds: DataView | undefined;
  return new FsOp<[number, number]>(name, (sqe, op) => {
    const c = op.chunk(loop, 8);
    fds = c.view;
    prep(sqe, c.address);
  }, () => [fds!.getInt32(0, true), fds!.getInt32(4, true)]); // read before the chunk is released
}

/**
 * Creates a pipe, like pipe2(2). O_CLOEXEC is added unless `{ inherit: true }`. Resolves to `[readFd, writeFd]`.
 * IORING_OP_PIPE, Linux 6.16.
 *
 * @param loop The loop.
 * @param flags O_NONBLOCK, O_DIRECT (packet mode), or 0.
 * @param options `inherit`, `signal`, `timeoutMs`.
 * @returns The read end and the write end.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const [r, w] = await pipe(loop);
 * ```
 */
export function pipe(loop: Loop, flags = 0, options?: OpenOptions): Promise<[number, number]> {
  return run(loop, () => {
    checkU32("pipe", flags, "flags");
    const f = flags | (options?.inherit ? 0 : O_CLOEXEC);
    return pipeOp("pipe", loop, (sqe, fds) => prepPipe(sqe, fds, f));
  }, options);
}

/**
 * Creates a pipe whose ends are direct descriptors: slots `slot` and `slot + 1`, or two free slots with
 * `IORING_FILE_INDEX_ALLOC` (the default). Resolves to `[readSlot, writeSlot]`. IORING_OP_PIPE with file_index,
 * Linux 6.16.
 *
 * @param loop The loop.
 * @param flags O_NONBLOCK, O_DIRECT (packet mode), or 0.
 * @param slot The first of two slots, or `IORING_FILE_INDEX_ALLOC`.
 * @param options `signal`, `timeoutMs`.
 * @returns The read end's slot and the write end's slot.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { write } from "ringside-uring/fs";
 * declare const loop: Loop, data: Uint8Array;
 * const [r, w] = await pipeDirect(loop);
 * await write(loop, w, data, -1, { fixed: true });
 * ```
 */
export function pipeDirect(
  loop: Loop, flags = 0, slot: number = IORING_FILE_INDEX_ALLOC, options?: OpOptions,
): Promise<[number, number]> {
  return run(loop, () => {
    checkU32("pipe direct", flags, "flags");
    checkSlot("pipe direct", slot, true, IORING_FILE_INDEX_ALLOC);
    return pipeOp("pipe direct", loop, (sqe, fds) => prepPipeDirect(sqe, fds, flags, slot));
  }, options);
}
