/**
 * The bytes arriving on a connected socket as an async iterator: one multishot recv over a provided-buffer ring.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { BufferRing } from "../buffers/buffer_ring.ts";
import { ByteStream, type ByteStreamOptions } from "./buffered_stream.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepRecvMultishot } from "../prep/net.ts";
import { checkFd, checkU32 } from "../core/_validate.ts";

/**
 * The bytes arriving on a connected socket: IORING_OP_RECV with IORING_RECV_MULTISHOT over a buffer ring
 * (Linux 6.0). Ends at EOF; errors (ECONNRESET) reject the pending pull.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { BufferRing } from "ringside-uring/buffers";
 * declare const fd: number; // a connected socket
 * declare function handle(chunk: Uint8Array): void;
 *
 * const loop = new Loop();
 * const buffers = BufferRing.create(loop.ring, { bgid: 1, entries: 64, bufferSize: 16384 });
 * for await (const chunk of new RecvStream(loop, fd, buffers)) handle(chunk);
 * await loop.close();
 * buffers.close();
 * ```
 */
export class RecvStream extends ByteStream {
  private readonly fd: number;
  private readonly msgFlags: number;

  constructor(loop: Loop, fd: number, buffers: BufferRing, options: ByteStreamOptions & { flags?: number } = {}) {
    super(loop, "recv", buffers, options);
    checkFd("recv", fd);
    this.fd = fd;
    this.msgFlags = checkU32("recv", options.flags ?? 0);
    this.start();
  }

  protected prepRequest(sqe: Sqe): void {
    prepRecvMultishot(sqe, this.fd, 0, 0, this.msgFlags);
  }
}
