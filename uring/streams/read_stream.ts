/**
 * The bytes readable from a pipe, FIFO or eventfd as an async iterator: one multishot read over a provided-buffer
 * ring.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { BufferRing } from "../buffers/buffer_ring.ts";
import { ByteStream, type ByteStreamOptions } from "./buffered_stream.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepReadMultishot } from "../prep/rw.ts";
import { checkFd } from "../core/_validate.ts";

/**
 * The bytes readable from a pipe, FIFO, eventfd or other pollable file: IORING_OP_READ_MULTISHOT over a buffer
 * ring (Linux 6.7). Ends at EOF (every writer closed).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { BufferRing } from "ringside-uring/buffers";
 * declare const fifoFd: number;
 *
 * const loop = new Loop();
 * const buffers = BufferRing.create(loop.ring, { bgid: 1, entries: 16, bufferSize: 65536 });
 * for await (const chunk of new ReadStream(loop, fifoFd, buffers)) console.log(chunk.byteLength);
 * await loop.close();
 * buffers.close();
 * ```
 */
export class ReadStream extends ByteStream {
  private readonly fd: number;

  constructor(loop: Loop, fd: number, buffers: BufferRing, options: ByteStreamOptions = {}) {
    super(loop, "read", buffers, options);
    checkFd("read", fd);
    this.fd = fd;
    this.start();
  }

  protected prepRequest(sqe: Sqe): void {
    // nbytes 0: each read fills up to a whole selected buffer; offset 0 is ignored for non-seekable files.
    prepReadMultishot(sqe, this.fd, 0, 0, this.buffers.bgid);
  }
}
