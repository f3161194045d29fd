/**
 * Sending every byte of a buffer on a stream socket: {@link sendAll}, one SEND with MSG_WAITALL in the common case
 * and more only after a short write.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * declare const fd: number; // a connected stream socket
 * const loop = new Loop();
 * await sendAll(loop, fd, new TextEncoder().encode("HTTP/1.1 204 No Content\r\n\r\n"));
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { PromiseOp } from "../loop/operation.ts";
import { start } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, checkU32, checkView } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepSend } from "../prep/net.ts";
import { MSG_NOSIGNAL, MSG_WAITALL } from "../abi/sockaddr.ts";
import { ioLength } from "./_request.ts";
import type { MsgOptions } from "./send_recv.ts";

/**
 * Sends every byte of `data` on a stream socket: a send with MSG_WAITALL, repeated after a short write until
 * nothing is left (a signal, a kernel without the retry, or a send the kernel split). MSG_WAITALL on a send makes
 * io_uring keep sending the rest of a stream socket's buffer after a short write instead of completing with it
 * (io_net_retry in io_uring/net.c, Linux 5.19); older kernels ignore it on sends. Rejects as `send` does (EPIPE,
 * ECONNRESET, an AbortError); the bytes sent before a failure are gone. Await it before the next send on the same
 * socket: two requests waiting for buffer space in the kernel can interleave their bytes.
 *
 * @param loop The loop.
 * @param fd A connected stream socket.
 * @param data The bytes: a view of NativeMemory is sent in place (pinned meanwhile), others are copied first.
 * @param options `flags` (added to MSG_WAITALL and MSG_NOSIGNAL), `signal`, and `timeoutMs` (per send request).
 * @returns Resolves once every byte was sent.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * declare const fd: number; // a connected stream socket
 * const loop = new Loop();
 * await sendAll(loop, fd, new Uint8Array(1 << 20), { signal: AbortSignal.timeout(10_000) });
 * ```
 */
export function sendAll(loop: Loop, fd: number, data: ArrayBufferView, options: MsgOptions = {}): Promise<void> {
  let bytes: Uint8Array;
  let flags: number;
  try {
    // Bad input rejects, as every operation's promise does, rather than throwing.
    checkView("send", data, "data");
    bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    flags = checkU32("send", options.flags ?? 0) | MSG_WAITALL | MSG_NOSIGNAL;
  } catch (e) {
    return Promise.reject(e);
  }
  if (bytes.byteLength === 0) return Promise.resolve();
  return start(loop, new SendAllOp(loop, fd, bytes, flags, options), options).promise as Promise<void>;
}

/**
 * sendAll's request: one SEND of the whole buffer, and after a short write a new request for the rest whose promise
 * the first one resolves to. The common case (everything sent at once) is one operation and one promise, with no
 * closure per call: the echo path of a server sends once per message.
 */
class SendAllOp extends PromiseOp<void | Promise<void>> {
  readonly loop: Loop;
  readonly fd: number;
  readonly bytes: Uint8Array;
  readonly sendFlags: number;
  readonly options: MsgOptions;

  constructor(loop: Loop, fd: number, bytes: Uint8Array, flags: number, options: MsgOptions) {
    super("send", prepSendAllOp, { map: sendAllResult });
    this.loop = loop;
    this.fd = fd;
    this.bytes = bytes;
    this.sendFlags = flags;
    this.options = options;
  }
}

function prepSendAllOp(sqe: Sqe, op: PromiseOp<void | Promise<void>>): void {
  const o = op as SendAllOp;
  checkFd("send", o.fd);
  prepSend(sqe, o.fd, o.kernelAddress(o.loop, o.bytes, false), ioLength(o.bytes), o.sendFlags);
}

function sendAllResult(res: number, _flags: number, op: PromiseOp<void | Promise<void>>): void | Promise<void> {
  const o = op as SendAllOp;
  const left = o.bytes.byteLength - res;
  if (left === 0) return undefined;
  // A signal, a kernel without the MSG_WAITALL retry, or a send the kernel split: send the rest.
  if (res <= 0) refuse("send", `the socket took no bytes with ${left} left to send`);
  const rest = new SendAllOp(o.loop, o.fd, o.bytes.subarray(res), o.sendFlags, o.options);
  return start(o.loop, rest, o.options).promise as Promise<void>;
}
