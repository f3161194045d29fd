/**
 * ringside: io_uring for Bun and Deno; this module re-exports the public API; each layer can also be imported
 * from its own file (`uring/ring.ts`, `uring/prep/mod.ts` ...).
 *
 * @example
 * ```ts
 * import { Loop, open, read } from "./mod.ts";
 * const loop = new Loop();
 * const fd = await open(loop, "/etc/hostname");
 * const buf = new Uint8Array(256);
 * const n = await read(loop, fd, buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n)));
 * await loop.close();
 * ```
 *
 * @module
 */
export * from "./uring/abi/uapi.ts";
export { UringError } from "./uring/core/errors.ts";
export { NativeMemory, pageSize } from "./uring/core/memory.ts";
export { CqeBatch, type CqeVisitor, Ring, type RingOptions, type WaitOptions } from "./uring/ring/ring.ts";
export { Sqe, sqeSetBufGroup, sqeSetData, sqeSetFlags } from "./uring/ring/sqe.ts";
export * from "./uring/prep/mod.ts";
export * from "./uring/ring/cqe.ts";
export * from "./uring/ring/register.ts";
export * from "./uring/ring/probe.ts";
export { Loop, type LoopOptions, type LoopStats } from "./uring/loop/loop.ts";
export { Operation, PromiseOp } from "./uring/loop/operation.ts";
export { type LoopMessage, messageUserData } from "./uring/loop/inbox.ts";
export { MultishotStream } from "./uring/streams/stream.ts";
export { AcceptStream, PollStream, TickStream } from "./uring/streams/multishot.ts";
export { BufferedStream, ByteStream, ReadStream, RecvStream } from "./uring/streams/buffered.ts";
export { type Datagram, RecvmsgStream } from "./uring/streams/recvmsg_stream.ts";
export { BufferRing } from "./uring/buffers/buffer_ring.ts";
export { RegisteredBufferPool } from "./uring/buffers/fixed_buffers.ts";
export * from "./uring/fs/fs.ts";
export * from "./uring/net/net.ts";
export * from "./uring/abi/sockaddr.ts";
export * from "./uring/ops/ops.ts";
