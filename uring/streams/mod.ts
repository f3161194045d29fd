/**
 * Multishot requests as async iterators: one SQE, many CQEs, pulled with `for await`. Connections
 * ({@link AcceptStream}), readiness ({@link PollStream}), timer ticks ({@link TickStream}), and bytes or datagrams
 * landing in a provided-buffer ring ({@link RecvStream}, {@link ReadStream}, {@link RecvmsgStream}). A stream
 * re-arms its request when the kernel ends it for a recoverable reason (buffers ran out, the CQ was full), so no
 * data is lost or reordered; breaking out of the loop cancels it.
 *
 * {@link MultishotStream} and {@link BufferedStream} are the bases for streams of your own.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { TickStream } from "ringside-uring/streams";
 *
 * const loop = new Loop();
 * for await (const n of new TickStream(loop, 10, { count: 3 })) console.log("tick", n);
 * await loop.close();
 * ```
 *
 * @module
 */
export { type FinalAction, MultishotStream } from "./stream.ts";
export { AcceptStream } from "./accept_stream.ts";
export { PollStream } from "./poll_stream.ts";
export { TickStream } from "./tick_stream.ts";
export { BufferedStream, ByteStream, type ByteStreamOptions, type HeldChunk } from "./buffered_stream.ts";
export { RecvStream } from "./recv_stream.ts";
export { ReadStream } from "./read_stream.ts";
export { type Datagram, RecvmsgStream, type RecvmsgStreamOptions } from "./recvmsg_stream.ts";
