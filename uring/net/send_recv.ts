/**
 * Sending and receiving bytes on a socket through the ring: send, sendto and recv, each a promise of the byte
 * count. A view that lies in `NativeMemory` is used in place (pinned until the completion); any other view
 * goes through native bounce memory, copied in before a send and copied back before a receive resolves. Do not
 * change a buffer while an operation on it is pending.
 *
 * Sends never raise SIGPIPE: MSG_NOSIGNAL is always added, so a broken connection rejects with EPIPE instead of
 * killing the process. For sending a whole buffer see `sendAll`, for messages `sendmsg`/`recvmsg`.
 *
 * With `bufIndex`, send and recv use a registered buffer (`registerBuffers`; IORING_RECVSEND_FIXED_BUF, Linux 7.2):
 * the kernel finds the pages in the ring's table instead of pinning them for every request.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * declare const fd: number; // a connected socket
 * const loop = new Loop();
 * await send(loop, fd, new TextEncoder().encode("ping"));
 * const buf = new Uint8Array(4096);
 * const n = await recv(loop, fd, buf, { timeoutMs: 1000 });
 * console.log(new TextDecoder().decode(buf.subarray(0, n)));
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { NativeMemory } from "../core/memory.ts";
import { checkFd, checkInt, checkU32, checkView } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { registrations } from "../ring/registrations.ts";
import { ioUringOlderThan, needs } from "../ring/_since.ts";
import { prepRecv, prepSend, prepSendto } from "../prep/net.ts";
import { H_BUF_INDEX, H_IOPRIO } from "../prep/base.ts";
import { IORING_RECVSEND_FIXED_BUF } from "../abi/uapi.ts";
import { MSG_NOSIGNAL, type SocketAddressInput } from "../abi/sockaddr.ts";
import { ioLength, sockaddrChunk } from "./_request.ts";

/** Options of sends and receives. */
export interface MsgOptions extends OpOptions {
  /** `MSG_*` flags (MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, MSG_MORE ...). Sends always add MSG_NOSIGNAL. */
  flags?: number | undefined;
}

/** Options of {@link send} and {@link recv}. */
export interface SendRecvOptions extends MsgOptions {
  /**
   * Use registered buffer `bufIndex` of the loop's ring (`registerBuffers`): the bytes must be a view of the
   * NativeMemory registered there, and the kernel skips pinning its pages per request (IORING_RECVSEND_FIXED_BUF on
   * IORING_OP_SEND and IORING_OP_RECV, Linux 7.2; refused on older kernels, which answer EINVAL). A view outside
   * the registered range fails with EFAULT.
   */
  bufIndex?: number | undefined;
}

/**
 * For `bufIndex`: checks that this kernel takes a registered buffer for `what` and that `view` lies in the
 * NativeMemory registered as buffer `bufIndex` of the loop's ring, and marks the prepared SQE to use it.
 */
function useRegistered(what: string, loop: Loop, sqe: Sqe, view: ArrayBufferView, bufIndex: number): void {
  checkInt(what, bufIndex, 0, 0xffff, "bufIndex");
  const mem = NativeMemory.of(view);
  if (!mem) refuse(what, "with bufIndex the bytes must be a view of the NativeMemory registered with registerBuffers");
  const registered = registrations(loop.ring).buffers[bufIndex];
  if (registered !== mem) {
    refuse(what, `the bytes do not lie in the memory registered as buffer ${bufIndex}` +
      (registered ? "" : " (nothing is registered there)"));
  }
  // io_sendmsg_prep()/io_recvmsg_prep() (io_uring/net.c) refuse the flag on plain SEND/RECV before 7.2 (EINVAL).
  if (ioUringOlderThan("7.2")) {
    refuse(what, needs(`a registered buffer (IORING_RECVSEND_FIXED_BUF) for IORING_OP_${what.toUpperCase()}`, "7.2"));
  }
  sqe.u16[H_IOPRIO]! |= IORING_RECVSEND_FIXED_BUF;
  sqe.u16[H_BUF_INDEX] = bufIndex;
}

/**
 * Sends bytes on a connected socket (IORING_OP_SEND, Linux 5.6) and resolves to the count sent (a stream socket may
 * send fewer than given). MSG_NOSIGNAL is always added: a broken connection rejects with EPIPE instead of killing
 * the process.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param data The bytes: a view of NativeMemory is sent in place, others are copied first.
 * @param options `flags` (MSG_DONTWAIT, MSG_MORE ...), `bufIndex` (a registered buffer, Linux 7.2), `signal`,
 *   `timeoutMs`.
 * @returns The bytes sent.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * declare const fd: number; // a connected socket
 * const loop = new Loop();
 * const n = await send(loop, fd, new TextEncoder().encode("hello"));
 * ```
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { NativeMemory } from "ringside-uring/core";
 * import { registerBuffers } from "ringside-uring/ring";
 *
 * declare const fd: number; // a connected socket
 * const loop = new Loop();
 * const mem = NativeMemory.allocate(65536);
 * registerBuffers(loop.ring, [mem]); // buffer 0
 * mem.bytes.set(new TextEncoder().encode("hello"));
 * await send(loop, fd, mem.bytes.subarray(0, 5), { bufIndex: 0 }); // Linux 7.2
 * ```
 */
export function send(loop: Loop, fd: number, data: ArrayBufferView, options: SendRecvOptions = {}): Promise<number> {
  const op = new PromiseOp("send", (sqe: Sqe, o) => {
    checkFd("send", fd);
    checkView("send", data, "data");
    const flags = checkU32("send", options.flags ?? 0) | MSG_NOSIGNAL;
    prepSend(sqe, fd, o.kernelAddress(loop, data, false), ioLength(data), flags);
    if (options.bufIndex !== undefined) useRegistered("send", loop, sqe, data, options.bufIndex);
  }, { keep: data });
  return run(loop, op, options);
}

/**
 * Sends a datagram to an address (IORING_OP_SEND with a destination, Linux 6.0), as sendto(2).
 *
 * @param loop The loop.
 * @param fd The socket (usually an unconnected datagram socket).
 * @param data The bytes (NativeMemory in place, others copied first).
 * @param address The destination.
 * @param options `flags`, `signal`, `timeoutMs`.
 * @returns The bytes sent.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { AF_INET, SOCK_DGRAM } from "ringside-uring/abi";
 * import { socket } from "ringside-uring/net";
 *
 * const loop = new Loop();
 * const udp = await socket(loop, AF_INET, SOCK_DGRAM);
 * await sendto(loop, udp, Uint8Array.of(1, 2, 3), { address: "127.0.0.1", port: 5353 });
 * ```
 */
export function sendto(
  loop: Loop, fd: number, data: ArrayBufferView, address: SocketAddressInput, options: MsgOptions = {},
): Promise<number> {
  const op = new PromiseOp("sendto", (sqe: Sqe, o) => {
    checkFd("sendto", fd);
    checkView("sendto", data, "data");
    const flags = checkU32("sendto", options.flags ?? 0) | MSG_NOSIGNAL;
    const [c, len] = sockaddrChunk(loop, o, o.name, address);
    prepSendto(sqe, fd, o.kernelAddress(loop, data, false), ioLength(data), flags, c.address, len);
  }, { keep: data });
  return run(loop, op, options);
}

/**
 * Receives bytes into `into` (IORING_OP_RECV, Linux 5.6) and resolves to the count; 0 means the peer shut down
 * its side (EOF). A view of NativeMemory is filled in place; any other view through a bounce buffer copied back on
 * completion.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param into Where the bytes go.
 * @param options `flags` (MSG_DONTWAIT: reject with EAGAIN rather than wait; MSG_PEEK; MSG_WAITALL; MSG_TRUNC),
 *   `bufIndex` (`into` lies in that registered buffer, Linux 7.2), `signal`, `timeoutMs`.
 * @returns The bytes received; 0 at EOF.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * declare const fd: number; // a connected socket
 * const loop = new Loop();
 * const buf = new Uint8Array(4096);
 * const n = await recv(loop, fd, buf);
 * ```
 */
export function recv(loop: Loop, fd: number, into: ArrayBufferView, options: SendRecvOptions = {}): Promise<number> {
  const op = new PromiseOp("recv", (sqe: Sqe, o) => {
    checkFd("recv", fd);
    checkView("recv", into, "into");
    prepRecv(sqe, fd, o.kernelAddress(loop, into, true), ioLength(into), checkU32("recv", options.flags ?? 0));
    if (options.bufIndex !== undefined) useRegistered("recv", loop, sqe, into, options.bufIndex);
  }, { keep: into });
  return run(loop, op, options);
}
