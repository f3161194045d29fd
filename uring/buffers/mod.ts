/**
 * Buffers the kernel uses by reference: provided-buffer rings ({@link BufferRing}, the pools that multishot
 * receives and reads pick from with IOSQE_BUFFER_SELECT) and registered buffers ({@link RegisteredBufferPool},
 * what READ_FIXED and WRITE_FIXED name by index).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { BufferRing } from "ringside-uring/buffers";
 * import { RecvStream } from "ringside-uring/streams";
 * declare const socket: number;
 *
 * const loop = new Loop();
 * const buffers = BufferRing.create(loop.ring, { bgid: 0, entries: 64, bufferSize: 16384 });
 * for await (const chunk of new RecvStream(loop, socket, buffers)) console.log(chunk.byteLength);
 * await loop.close();
 * buffers.close();
 * ```
 *
 * @module
 */
export {
  BufferRing,
  type BufferRingOptions,
  type BundleVisitor,
  type TakenBuffer,
} from "./buffer_ring.ts";
export {
  type RegisteredBuffer,
  RegisteredBufferPool,
  type RegisteredBufferPoolOptions,
} from "./fixed_buffers.ts";
