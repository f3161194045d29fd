/**
 * The no-op on a {@link Loop}: `nop` (IORING_OP_NOP) with its flags, to inject a result, look up a file or a
 * registered buffer first, or complete through task work.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * const loop = new Loop();
 * console.log(await nop(loop)); // 0
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { checkFd } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { H_BUF_INDEX, prepRw, W_OP_FLAGS } from "../prep/base.ts";
import {
  IORING_NOP_FILE,
  IORING_NOP_FIXED_BUFFER,
  IORING_NOP_FIXED_FILE,
  IORING_NOP_INJECT_RESULT,
  IORING_NOP_TW,
  IORING_OP_NOP,
} from "../abi/uapi.ts";

/** Options of {@link nop}: the NOP flags (`sqe->nop_flags`). */
export interface NopOptions extends OpOptions {
  /** Complete with this result, 0 or a negative errno (IORING_NOP_INJECT_RESULT, Linux 6.10). */
  result?: number | undefined;
  /** Look up this file descriptor first, failing with EBADF when it is not open (IORING_NOP_FILE, Linux 6.13). */
  fd?: number | undefined;
  /** `fd` is a slot of the registered file table (IORING_NOP_FIXED_FILE, Linux 6.13). */
  fixedFile?: boolean | undefined;
  /** Look up this registered buffer first, failing with EFAULT when absent (IORING_NOP_FIXED_BUFFER, Linux 6.13). */
  bufIndex?: number | undefined;
  /** Complete through task work instead of inline (IORING_NOP_TW, Linux 6.17). */
  taskWork?: boolean | undefined;
}

/**
 * A no-op (IORING_OP_NOP, Linux 5.1): resolves to 0, or to `result` (a negative one rejects with that errno), after
 * checking the file and buffer it is given.
 *
 * @param loop The loop.
 * @param options `result`, `fd`, `fixedFile`, `bufIndex`, `taskWork`, `signal`, `timeoutMs`.
 * @returns The result.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await nop(loop); // 0
 * await nop(loop, { result: 7 }); // 7
 * await nop(loop, { result: -11 }).catch((e) => console.log(e.code)); // EAGAIN
 * ```
 */
export function nop(loop: Loop, options: NopOptions = {}): Promise<number> {
  return run(loop, new PromiseOp("nop", (sqe: Sqe) => {
    let flags = 0;
    let len = 0;
    if (options.result !== undefined) {
      const r = options.result;
      if (!Number.isInteger(r) || r < -4095 || r > 0x7fffffff) {
        refuse("nop", `result must be an int >= -4095, got ${r}`);
      }
      flags |= IORING_NOP_INJECT_RESULT;
      len = r >>> 0; // the injected result travels in sqe->len (io_uring/nop.c)
    }
    let fd = -1;
    if (options.fd !== undefined) {
      fd = checkFd("nop", options.fd);
      flags |= IORING_NOP_FILE | (options.fixedFile ? IORING_NOP_FIXED_FILE : 0);
    } else if (options.fixedFile) refuse("nop", "fixedFile needs fd");
    // prep_rw(NOP, sqe, fd, NULL, len, 0), as liburing's io_uring_prep_nop with the fd and result filled in.
    prepRw(IORING_OP_NOP, sqe, fd, 0, len, 0);
    if (options.bufIndex !== undefined) {
      // buf_index is a u16 in the SQE: 65536 would name buffer 0.
      const b = options.bufIndex;
      if (!Number.isInteger(b) || b < 0 || b > 0xffff) refuse("nop", `bufIndex must be 0 to 65535, got ${b}`);
      flags |= IORING_NOP_FIXED_BUFFER;
      sqe.u16[H_BUF_INDEX] = b;
    }
    if (options.taskWork) flags |= IORING_NOP_TW;
    sqe.u32[W_OP_FLAGS] = flags;
  }), options);
}
