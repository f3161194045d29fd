/**
 * Zero-copy sends (IORING_OP_SEND_ZC, Linux 6.0; IORING_OP_SENDMSG_ZC, Linux 6.1): the kernel sends straight from
 * the caller's memory and posts two CQEs, the result and then a notification once it no longer reads the buffer.
 * The promises here settle on the notification, so when one resolves the buffer may be reused. True zero copy
 * needs a view of NativeMemory; other views are copied into a bounce buffer first, which keeps them safe but
 * defeats the purpose.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { NativeMemory } from "ringside-uring/core";
 *
 * declare const fd: number; // a connected socket
 * const loop = new Loop();
 * const mem = NativeMemory.allocate(1 << 20);
 * const { bytes, copied } = await sendZc(loop, fd, mem.bytes, { reportUsage: true });
 * mem.free(); // the kernel has let go of it
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { checkFd, checkU32, checkView } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepSendmsgZc, prepSendSetAddr, prepSendZc } from "../prep/net.ts";
import { H_IOPRIO } from "../prep/base.ts";
import { IORING_CQE_F_NOTIF, IORING_NOTIF_USAGE_ZC_COPIED, IORING_SEND_ZC_REPORT_USAGE } from "../abi/uapi.ts";
import { MSG_NOSIGNAL, type SocketAddressInput } from "../abi/sockaddr.ts";
import { writeOutgoingMsghdr } from "./_msghdr.ts";
import { ioLength, sockaddrChunk } from "./_request.ts";
import type { OutgoingMessage } from "./message.ts";
import type { MsgOptions } from "./send_recv.ts";

/** Options of the zero-copy sends. */
export interface ZcOptions extends MsgOptions {
  /** Ask whether the kernel had to copy after all (IORING_SEND_ZC_REPORT_USAGE, Linux 6.2). */
  reportUsage?: boolean | undefined;
}

/** Options of {@link sendZc}. */
export interface SendZcOptions extends ZcOptions {
  /** A destination, as sendto(2) takes, for an unconnected datagram socket. */
  address?: SocketAddressInput | undefined;
}

/** What the zero-copy sends resolve to, once the kernel has let go of the buffer. */
export interface ZcResult {
  /** Bytes sent. */
  bytes: number;
  /**
   * With `reportUsage`: whether the data was copied rather than sent from the buffer (always so over loopback);
   * null without it.
   */
  copied: boolean | null;
}

/**
 * A zero-copy send: two CQEs, the result (with IORING_CQE_F_MORE) and then the notification (IORING_CQE_F_NOTIF)
 * once the kernel no longer reads the buffer. The promise settles on the notification, so when it resolves the
 * buffer may be reused; the loop keeps the slot, the pins and the chunks until then. A request that fails before
 * a notification was set up gets one CQE without F_MORE.
 */
class ZcSend extends PromiseOp<ZcResult> {
  private sent = 0;
  private readonly usage: { notif: number };

  constructor(name: string, prep: (sqe: Sqe, op: PromiseOp<ZcResult>) => void, data: unknown, reportUsage: boolean) {
    const state = { notif: 0 };
    super(name, prep, {
      keep: data,
      map: (res) => ({ bytes: res, copied: reportUsage ? (state.notif & IORING_NOTIF_USAGE_ZC_COPIED) !== 0 : null }),
    });
    this.usage = state;
  }

  override complete(res: number, flags: number, more: boolean): void {
    if (more) {
      if (!(flags & IORING_CQE_F_NOTIF)) this.sent = res;
      return;
    }
    if (flags & IORING_CQE_F_NOTIF) {
      this.usage.notif = res;
      super.complete(this.sent, flags, false);
      return;
    }
    super.complete(res, flags, false);
  }
}

/**
 * Sends without copying (IORING_OP_SEND_ZC, Linux 6.0; to an address, as sendto, with `address`). Resolves once
 * the kernel's notification says it no longer reads the buffer: only then may the bytes change. True zero copy
 * needs a view of NativeMemory (pinned until the notification); other views are copied into a bounce buffer first,
 * which keeps them safe but defeats the purpose. Over loopback the kernel copies anyway (`reportUsage` says so).
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param data The bytes.
 * @param options `flags`, `address` (a destination), `reportUsage`, `signal`, `timeoutMs`.
 * @returns The bytes sent and, with `reportUsage`, whether the kernel copied them.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { NativeMemory } from "ringside-uring/core";
 *
 * declare const fd: number; // a connected socket
 * const loop = new Loop();
 * const mem = NativeMemory.allocate(1 << 20);
 * const { bytes } = await sendZc(loop, fd, mem.bytes);
 * ```
 */
export function sendZc(loop: Loop, fd: number, data: ArrayBufferView, options: SendZcOptions = {}): Promise<ZcResult> {
  const op = new ZcSend("send_zc", (sqe: Sqe, o) => {
    checkFd("send_zc", fd);
    checkView("send_zc", data, "data");
    const flags = checkU32("send_zc", options.flags ?? 0) | MSG_NOSIGNAL;
    const zc = options.reportUsage ? IORING_SEND_ZC_REPORT_USAGE : 0;
    prepSendZc(sqe, fd, o.kernelAddress(loop, data, false), ioLength(data), flags, zc);
    if (options.address) {
      const [c, len] = sockaddrChunk(loop, o, o.name, options.address);
      prepSendSetAddr(sqe, c.address, len);
    }
  }, data, options.reportUsage === true);
  return run(loop, op, options);
}

/**
 * Sends a message without copying (IORING_OP_SENDMSG_ZC, Linux 6.1): `sendmsg`'s message, settled on the
 * notification as {@link sendZc} (`reportUsage` sets IORING_SEND_ZC_REPORT_USAGE in `ioprio`, which both zero-copy
 * opcodes read).
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param message `data`, `address`, `control`.
 * @param options `flags`, `reportUsage`, `signal`, `timeoutMs`.
 * @returns The payload bytes sent and, with `reportUsage`, whether the kernel copied them.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { NativeMemory } from "ringside-uring/core";
 *
 * declare const fd: number; // a connected socket
 * const loop = new Loop();
 * const head = NativeMemory.allocate(4096);
 * const body = NativeMemory.allocate(1 << 20);
 * const { bytes } = await sendmsgZc(loop, fd, { data: [head.bytes, body.bytes] });
 * ```
 */
export function sendmsgZc(
  loop: Loop, fd: number, message: OutgoingMessage, options: ZcOptions = {},
): Promise<ZcResult> {
  const op = new ZcSend("sendmsg_zc", (sqe: Sqe, o) => {
    checkFd("sendmsg_zc", fd);
    const flags = checkU32("sendmsg_zc", options.flags ?? 0) | MSG_NOSIGNAL;
    prepSendmsgZc(sqe, fd, writeOutgoingMsghdr(loop, o, o.name, message), flags);
    // liburing's io_uring_prep_sendmsg_zc takes no zero-copy flags: callers OR them into sqe->ioprio.
    if (options.reportUsage) sqe.u16[H_IOPRIO]! |= IORING_SEND_ZC_REPORT_USAGE;
  }, message, options.reportUsage === true);
  return run(loop, op, options);
}
