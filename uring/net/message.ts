/**
 * Messages on a socket through the ring: {@link sendmsg} gathers several buffers and may carry a destination and
 * control messages (descriptors with `scmRights`); {@link recvmsg} scatters into several buffers and reports the
 * sender's address, the control messages and the message flags. The msghdr, name, iovecs and control data are built
 * in native memory that lives until the completion; data views are used in place when they lie in NativeMemory and
 * bounced otherwise, as for `send` and `recv`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 *
 * declare const udp: number; // a bound datagram socket
 * const loop = new Loop();
 * const buf = new Uint8Array(1500);
 * const { bytes, address } = await recvmsg(loop, udp, { data: buf });
 * if (address && "port" in address) await sendmsg(loop, udp, { data: buf.subarray(0, bytes), address });
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { Chunk } from "../loop/_arena.ts";
import { PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, checkInt, checkU32 } from "../core/_validate.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepRecvmsg, prepSendmsg } from "../prep/net.ts";
import { getU64 } from "../abi/_u64.ts";
import { MSGHDR } from "../abi/structs.ts";
import type { ControlMessage } from "../abi/cmsg.ts";
import {
  decodeSockaddr,
  MSG_CMSG_CLOEXEC,
  MSG_NOSIGNAL,
  SOCKADDR_STORAGE_SIZE,
  type SocketAddress,
  type SocketAddressInput,
} from "../abi/sockaddr.ts";
import { NAME_AT, readControl, writeIncomingMsghdr, writeOutgoingMsghdr } from "./_msghdr.ts";
import { viewList } from "./_request.ts";
import type { MsgOptions } from "./send_recv.ts";

/** The most control data one {@link recvmsg} makes room for. */
const MAX_CONTROL_LENGTH = 65536;

/** A message for {@link sendmsg} (and `sendmsgZc`). */
export interface OutgoingMessage {
  /** The payload: one view or several (gathered in order, as iovecs). */
  data?: ArrayBufferView | readonly ArrayBufferView[] | undefined;
  /** The destination (`msg_name`), for unconnected datagram sockets. */
  address?: SocketAddressInput | undefined;
  /** Control messages (`msg_control`), such as `scmRights([fd])`. */
  control?: readonly ControlMessage[] | undefined;
}

/** Where {@link recvmsg} receives. */
export interface IncomingMessage {
  /** The buffers to fill, in order (scattered, as iovecs). */
  data: ArrayBufferView | readonly ArrayBufferView[];
  /**
   * Room for control messages in bytes (`msg_controllen`, at most 65536); size it with `cmsgSpace`. Default 0:
   * file descriptors sent with SCM_RIGHTS are then closed by the kernel and MSG_CTRUNC is reported.
   */
  controlLength?: number | undefined;
}

/** Options of {@link recvmsg}. */
export interface RecvmsgOptions extends MsgOptions {
  /** Receive SCM_RIGHTS descriptors close-on-exec (MSG_CMSG_CLOEXEC; default true). */
  cloexec?: boolean | undefined;
}

/** What {@link recvmsg} resolves to. */
export interface ReceivedMessage {
  /** The payload bytes received (with MSG_TRUNC on a datagram socket: the datagram's real length). */
  bytes: number;
  /** The sender's address (datagram sockets), or null when the kernel reported none. */
  address: SocketAddress | null;
  /** The control messages received, parsed (copies). */
  control: ControlMessage[];
  /** `msg_flags`: MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_OOB ... */
  flags: number;
}

/**
 * Sends a message (IORING_OP_SENDMSG, Linux 5.3): gathered buffers, an optional destination and control messages
 * (file descriptors with `scmRights`). The msghdr, name, iovecs and control data are built in an arena chunk.
 * MSG_NOSIGNAL is always added.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param message `data`, `address`, `control`.
 * @param options `flags`, `signal`, `timeoutMs`.
 * @returns The payload bytes sent.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { scmRights } from "ringside-uring/net";
 *
 * declare const unixSock: number; // a connected AF_UNIX socket
 * declare const fd: number; // a descriptor to pass
 * const loop = new Loop();
 * const header = new TextEncoder().encode("fd:");
 * await sendmsg(loop, unixSock, { data: [header, Uint8Array.of(1)], control: [scmRights([fd])] });
 * ```
 */
export function sendmsg(loop: Loop, fd: number, message: OutgoingMessage, options: MsgOptions = {}): Promise<number> {
  const op = new PromiseOp("sendmsg", (sqe: Sqe, o) => {
    checkFd("sendmsg", fd);
    const flags = checkU32("sendmsg", options.flags ?? 0) | MSG_NOSIGNAL;
    prepSendmsg(sqe, fd, writeOutgoingMsghdr(loop, o, o.name, message), flags);
  }, { keep: message });
  return run(loop, op, options);
}

/**
 * Receives a message (IORING_OP_RECVMSG, Linux 5.3): scattered into the given buffers, with the sender's address
 * and control messages (file descriptors arrive close-on-exec unless `cloexec: false`; see `controlFds`). The
 * msghdr, the name and control areas and bounce buffers live in arena chunks until completion; the kernel's
 * `msg_namelen`, `msg_controllen` and `msg_flags` are read back from the msghdr.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param message `data` (one view or several) and `controlLength`.
 * @param options `flags` (MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC ...), `cloexec`, `signal`, `timeoutMs`.
 * @returns The byte count, the sender's address, the control messages and the flags.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { cmsgSpace, controlFds } from "ringside-uring/net";
 *
 * declare const unixSock: number; // a connected AF_UNIX socket
 * const loop = new Loop();
 * const msg = await recvmsg(loop, unixSock, { data: new Uint8Array(64), controlLength: cmsgSpace(4) });
 * const [passed] = controlFds(msg.control);
 * ```
 */
export function recvmsg(
  loop: Loop, fd: number, message: IncomingMessage, options: RecvmsgOptions = {},
): Promise<ReceivedMessage> {
  let hdr: Chunk;
  let controlAt = 0;
  const op = new PromiseOp<ReceivedMessage>("recvmsg", (sqe: Sqe, o) => {
    checkFd("recvmsg", fd);
    if (message === null || typeof message !== "object") refuse("recvmsg", "the message must be an object");
    const list = viewList("recvmsg", message.data);
    const controlLen = checkInt("recvmsg", message.controlLength ?? 0, 0, MAX_CONTROL_LENGTH, "controlLength");
    ({ chunk: hdr, controlAt } = writeIncomingMsghdr(loop, o, list, controlLen));
    const flags = checkU32("recvmsg", options.flags ?? 0) | (options.cloexec === false ? 0 : MSG_CMSG_CLOEXEC);
    prepRecvmsg(sqe, fd, hdr.address, flags);
  }, {
    keep: message,
    map: (res) => {
      const v = hdr.view;
      const namelen = v.getUint32(MSGHDR.namelen, true);
      return {
        bytes: res,
        address: decodeSockaddr(hdr.bytes, Math.min(namelen, SOCKADDR_STORAGE_SIZE), NAME_AT),
        control: readControl(hdr, controlAt, getU64(v, MSGHDR.controllen)),
        flags: v.getInt32(MSGHDR.flags, true) >>> 0,
      };
    },
  });
  return run(loop, op, options);
}
