/**
 * Datagrams (or stream segments) with their sender's address and control messages, from one multishot recvmsg
 * (IORING_OP_RECVMSG with IORING_RECV_MULTISHOT over a buffer ring, Linux 6.0).
 *
 * In multishot mode the kernel lays out each selected buffer as `struct io_uring_recvmsg_out` (name, control and
 * payload lengths, flags), then `msg_namelen` bytes of address, `msg_controllen` bytes of control data, then the
 * payload. The msghdr given with the request only reserves those sizes.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { BufferRing } from "../buffers/buffer_ring.ts";
import { BufferedStream, type ByteStreamOptions } from "./buffered_stream.ts";
import type { Operation } from "../loop/operation.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepRecvmsgMultishot } from "../prep/net.ts";
import {
  cmsgData,
  cmsgLen,
  cmsgLevel,
  cmsgType,
  recvmsgCmsgFirsthdr,
  recvmsgCmsgNexthdr,
  recvmsgName,
  recvmsgOutFlags,
  recvmsgOutNamelen,
  recvmsgPayload,
  recvmsgPayloadLength,
  type RecvmsgHeader,
  recvmsgValidate,
} from "../abi/recvmsg_out.ts";
import { decodeSockaddr, type SocketAddress } from "../abi/sockaddr.ts";
import type { ControlMessage } from "../abi/cmsg.ts";
import { MSGHDR, MSGHDR_SIZE } from "../abi/structs.ts";
import { putU64 } from "../abi/_u64.ts";
import { io_uring_recvmsg_out } from "../abi/uapi.ts";
import { refuse } from "../core/errors.ts";
import { checkFd, checkU32 } from "../core/_validate.ts";

/** One message from a {@link RecvmsgStream}. */
export interface Datagram {
  /** The payload (a copy, or a view valid until the next pull with `zeroCopy`). */
  data: Uint8Array;
  /** The sender's address, or null when the kernel gave none (connected stream sockets). */
  address: SocketAddress | null;
  /** Control messages (SCM_RIGHTS, IP_PKTINFO ...), copied. */
  control: ControlMessage[];
  /** `msg_flags` of this message: MSG_TRUNC, MSG_CTRUNC ... */
  flags: number;
}

/** Options of {@link RecvmsgStream}. */
export interface RecvmsgStreamOptions extends ByteStreamOptions {
  /** Bytes reserved for the sender's address in each buffer (default 128: any sockaddr). */
  nameLength?: number | undefined;
  /** Bytes reserved for control data in each buffer (default 0). */
  controlLength?: number | undefined;
  /** recvmsg flags (MSG_*). */
  flags?: number | undefined;
}

const RECVMSG_OUT_SIZE = io_uring_recvmsg_out.SIZE;

/**
 * Messages with addresses and control data, as an async iterator.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { BufferRing } from "ringside-uring/buffers";
 * declare const udpFd: number; // a bound datagram socket
 *
 * const loop = new Loop();
 * const buffers = BufferRing.create(loop.ring, { bgid: 2, entries: 64, bufferSize: 2048 });
 * for await (const d of new RecvmsgStream(loop, udpFd, buffers)) console.log(d.address, d.data.length);
 * await loop.close();
 * buffers.close();
 * ```
 */
export class RecvmsgStream extends BufferedStream<Datagram> {
  private readonly fd: number;
  private readonly msgh: RecvmsgHeader;
  private readonly msgFlags: number;

  constructor(loop: Loop, fd: number, buffers: BufferRing, options: RecvmsgStreamOptions = {}) {
    super(loop, "recvmsg", buffers, options);
    const namelen = options.nameLength ?? 128;
    const controllen = options.controlLength ?? 0;
    if (!Number.isInteger(namelen) || namelen < 0 || !Number.isInteger(controllen) || controllen < 0) {
      refuse("receive messages", "nameLength and controlLength must be whole numbers of bytes");
    }
    if (RECVMSG_OUT_SIZE + namelen + controllen >= buffers.bufferSize) {
      refuse("receive messages",
        `each buffer (${buffers.bufferSize} bytes) must hold the ${RECVMSG_OUT_SIZE}-byte header, ${namelen} bytes ` +
          `of address and ${controllen} of control data, and some payload`);
    }
    checkFd("receive messages", fd);
    this.fd = fd;
    this.msgh = { namelen, controllen };
    this.msgFlags = checkU32("receive messages", options.flags ?? 0);
    this.start();
  }

  protected prepRequest(sqe: Sqe, op: Operation): void {
    // The kernel copies the msghdr when it prepares the request: only the name and control lengths matter.
    const m = op.chunk(this.loop, MSGHDR_SIZE);
    m.view.setUint32(MSGHDR.namelen, this.msgh.namelen, true);
    putU64(m.view, MSGHDR.controllen, this.msgh.controllen); // msg_controllen, a size_t
    prepRecvmsgMultishot(sqe, this.fd, m.address, this.msgFlags);
  }

  protected present(view: Uint8Array, zeroCopy: boolean): Datagram {
    const msgh = this.msgh;
    if (!recvmsgValidate(view, view.byteLength, msgh)) {
      return { data: new Uint8Array(0), address: null, control: [], flags: 0 };
    }
    const namelen = recvmsgOutNamelen(view);
    const name = recvmsgName();
    const address = namelen > 0 ? decodeSockaddr(view, Math.min(namelen, msgh.namelen), name) : null;
    const control: ControlMessage[] = [];
    for (let c = recvmsgCmsgFirsthdr(view, msgh); c >= 0; c = recvmsgCmsgNexthdr(view, msgh, c)) {
      const len = cmsgLen(view, c);
      const data = cmsgData(c);
      control.push({ level: cmsgLevel(view, c), type: cmsgType(view, c), data: view.slice(data, c + len) });
    }
    const start = recvmsgPayload(msgh);
    const payload = view.subarray(start, start + recvmsgPayloadLength(view.byteLength, msgh));
    return {
      data: zeroCopy ? payload : payload.slice(),
      address,
      control,
      flags: recvmsgOutFlags(view),
    };
  }
}
