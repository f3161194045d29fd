/**
 * The classic FUSE transport: requests read from /dev/fuse with IORING_OP_READ on the loop (the read waits in the
 * kernel, polled or in an io-wq worker, never on the JavaScript thread), replies written with write(2). Over FUSE
 * over io_uring it still carries INIT, FORGET and INTERRUPT.
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import { NativeMemory, pageAlign } from "../core/memory.ts";
import { prepRead } from "../prep/rw.ts";
import { type Sqe, sqeAddFlags } from "../ring/sqe.ts";
import { IOSQE_ASYNC } from "../abi/uapi.ts";
import { ENODEV, ENOENT } from "../abi/errno.ts";
import { FUSE_MIN_READ_BUFFER, FUSE_OP_IN_SIZE, fuse_in_header, fuse_out_header } from "./abi.ts";
import { NO_REPLY } from "./dispatch.ts";
import { Slot, type SlotHost } from "./_slot.ts";

/** What a /dev/fuse read needs of the server beside a slot's needs. */
export interface DeviceHost extends SlotHost {
  /** Whether reads block in io-wq (IOSQE_ASYNC) rather than poll (O_NONBLOCK). */
  readonly blockingReads: boolean;
  /** After a reply: reads again with this slot, or parks it when enough reads are in flight. */
  recycle(slot: DeviceSlot): void;
}

/**
 * The size of a /dev/fuse read buffer for a session whose largest WRITE is `maxWrite`: the headers plus
 * `max_write`, at least FUSE_MIN_READ_BUFFER (fs/fuse/dev.c fuse_dev_do_read refuses smaller reads).
 *
 * @param maxWrite The negotiated max_write.
 * @returns The buffer size, page aligned.
 */
export function deviceBufferSize(maxWrite: number): number {
  return pageAlign(Math.max(FUSE_MIN_READ_BUFFER, maxWrite + 4096));
}

/** A read of /dev/fuse in flight, with its request buffer and its reply buffer. */
export class DeviceSlot extends Slot<DeviceHost> {
  readonly inMem: NativeMemory;
  readonly inView: DataView;
  readonly outMem: NativeMemory;
  private readonly outHeader: DataView;

  constructor(server: DeviceHost, bufferSize: number) {
    super(server);
    this.inMem = NativeMemory.allocate(bufferSize);
    this.inView = new DataView(this.inMem.buffer);
    this.outMem = NativeMemory.allocate(fuse_out_header.SIZE + bufferSize);
    this.outHeader = new DataView(this.outMem.buffer, 0, fuse_out_header.SIZE);
    this.outView = new DataView(this.outMem.buffer, fuse_out_header.SIZE);
    this.outBytes = new Uint8Array(this.outMem.buffer, fuse_out_header.SIZE);
    this.outCap = bufferSize;
  }

  prep(sqe: Sqe): void {
    prepRead(sqe, this.server.fd, this.inMem.address, this.inMem.byteLength, 0);
    if (this.server.blockingReads) sqeAddFlags(sqe, IOSQE_ASYNC);
  }

  /** Points the request at the buffer just read: header, first argument, payload. */
  load(): void {
    const req = this.req;
    const len = this.res;
    req.readHeader(this.inView, 0);
    const opSize = Math.min(FUSE_OP_IN_SIZE[req.opcode] ?? 0, len - fuse_in_header.SIZE);
    req.opView = this.inView;
    req.opOff = fuse_in_header.SIZE;
    req.payBytes = this.inMem.bytes;
    req.payOff = fuse_in_header.SIZE + opSize;
    req.payLen = len - req.payOff;
  }

  reply(n: number): void {
    const server = this.server;
    if (n !== NO_REPLY) {
      const len = n > 0 ? n : 0;
      const h = this.outHeader;
      h.setUint32(fuse_out_header.len, fuse_out_header.SIZE + len, true);
      h.setInt32(fuse_out_header.error, n < 0 ? n : 0, true);
      h.setUint32(fuse_out_header.unique, this.req.uniqueLo, true);
      h.setUint32(fuse_out_header.unique + 4, this.req.uniqueHi, true);
      const c = libc();
      const w = Number(c.write(server.fd, this.outMem.bytes, fuse_out_header.SIZE + len));
      // ENOENT: the request is gone (interrupted, or the connection aborted meanwhile).
      if (w < 0) {
        const errno = c.errno();
        if (errno !== ENOENT && errno !== ENODEV) server.replyFailed(this.req.opcode, errno);
      }
    }
    server.recycle(this);
  }

  /** Frees the buffers (only once no command and no handler can touch them). */
  free(): void {
    this.inMem.free();
    this.outMem.free();
  }
}
