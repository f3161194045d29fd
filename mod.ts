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
export * from "./uring/uapi.ts";
export { UringError } from "./uring/errors.ts";
export { NativeMemory, pageSize } from "./uring/memory.ts";
export { CqeBatch, type CqeVisitor, Ring, type RingOptions, type WaitOptions } from "./uring/ring.ts";
export { Sqe, sqeSetBufGroup, sqeSetData, sqeSetFlags } from "./uring/sqe.ts";
export * from "./uring/prep/mod.ts";
export * from "./uring/cqe.ts";
export * from "./uring/register.ts";
export * from "./uring/probe.ts";
export { Loop, type LoopOptions, type LoopStats } from "./uring/loop.ts";
export { Operation, PromiseOp } from "./uring/operation.ts";
export { type LoopMessage, messageUserData } from "./uring/inbox.ts";
export { MultishotStream } from "./uring/stream.ts";
export { AcceptStream, PollStream, TickStream } from "./uring/multishot.ts";
export { BufferedStream, ByteStream, ReadStream, RecvStream } from "./uring/bufstream.ts";
export { type Datagram, RecvmsgStream } from "./uring/recvmsgstream.ts";
export { BufferRing } from "./uring/bufring.ts";
export { RegisteredBufferPool } from "./uring/bufpool.ts";
export * from "./uring/fs.ts";
export * from "./uring/net.ts";
export * from "./uring/sockaddr.ts";
export * from "./uring/ops.ts";
