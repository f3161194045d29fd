/**
 * The FUSE over io_uring transport (protocol 7.42, Linux 6.14; fs/fuse/dev_uring.c): ring entries, each a
 * uring_cmd on /dev/fuse with a header buffer and a payload buffer. `FUSE_IO_URING_CMD_REGISTER` hands the kernel
 * an entry (`sqe->addr` = an iovec[2] of the 288-byte `fuse_uring_req_header` and a payload buffer of at least
 * max(8192, max_write), `sqe->len` = 2, `{ flags, commit_id, qid }` in the command area); a request completes the
 * entry's command (res 0) with the request in its buffers; the reply goes back in the same buffers with
 * `FUSE_IO_URING_CMD_COMMIT_AND_FETCH`, which also waits for the entry's next request. Each possible CPU has a
 * queue, and the kernel uses the ring only once every queue has an entry.
 *
 * @module
 */
import { NativeMemory, pageAlign } from "../core/memory.ts";
import { prepUringCmd } from "../prep/cmd.ts";
import { W_ADDR, W_LEN } from "../prep/base.ts";
import type { Sqe } from "../ring/sqe.ts";
import { io_uring_sqe } from "../abi/uapi.ts";
import { IOVEC_SIZE, putIovec } from "../abi/structs.ts";
import { setU64Words } from "../abi/_u64.ts";
import {
  FUSE_IO_URING_CMD_COMMIT_AND_FETCH,
  FUSE_IO_URING_CMD_REGISTER,
  FUSE_MIN_READ_BUFFER,
  fuse_out_header,
  fuse_uring_cmd_req,
  fuse_uring_ent_in_out,
  fuse_uring_req_header,
} from "./abi.ts";
import { NO_REPLY } from "./dispatch.ts";
import { Slot, type SlotHost } from "./_slot.ts";

/** Bytes of one ring entry's slice of the header mapping: the 288-byte header, then its iovec[2] at 320. */
const ENTRY_STRIDE = 512;
const IOV_AT = 320;

/** Words of `struct fuse_uring_cmd_req`'s commit_id (u64) and qid (u16, then 16 bits of padding) in the SQE. */
const W_COMMIT_ID = (io_uring_sqe.cmd + fuse_uring_cmd_req.commit_id) >> 2;
const W_QID = (io_uring_sqe.cmd + fuse_uring_cmd_req.qid) >> 2;

/** One FUSE ring entry: its header and payload buffers and the uring_cmd that waits for requests. */
export class RingEntry extends Slot {
  readonly qid: number;
  readonly hdr: DataView;
  readonly iovAddress: number;
  registered = false;
  /** REGISTERs answered EAGAIN so far. */
  retries = 0;
  commitLo = 0;
  commitHi = 0;

  constructor(server: SlotHost, qid: number, hdrMem: NativeMemory, hdrAt: number, payMem: NativeMemory,
    payAt: number, payloadSize: number) {
    super(server);
    this.qid = qid;
    this.hdr = new DataView(hdrMem.buffer, hdrAt, fuse_uring_req_header.SIZE);
    this.outView = new DataView(payMem.buffer, payAt, payloadSize);
    this.outBytes = new Uint8Array(payMem.buffer, payAt, payloadSize);
    this.outCap = payloadSize;
    // iovec[2] = { header, 288 }, { payload, payloadSize }: read by the kernel when REGISTER is issued.
    this.iovAddress = hdrMem.address + hdrAt + IOV_AT;
    const iov = new DataView(hdrMem.buffer);
    putIovec(iov, hdrAt + IOV_AT, hdrMem.address + hdrAt, fuse_uring_req_header.SIZE);
    putIovec(iov, hdrAt + IOV_AT + IOVEC_SIZE, payMem.address + payAt, payloadSize);
    const req = this.req;
    req.opView = this.hdr;
    req.opOff = fuse_uring_req_header.op_in;
    req.payBytes = this.outBytes;
    req.payOff = 0;
  }

  prep(sqe: Sqe): void {
    const u32 = sqe.u32;
    prepUringCmd(sqe, this.registered ? FUSE_IO_URING_CMD_COMMIT_AND_FETCH : FUSE_IO_URING_CMD_REGISTER,
      this.server.fd);
    if (!this.registered) {
      // sqe->addr = the iovec array, sqe->len = 2 (fs/fuse/dev_uring.c fuse_uring_get_iovec_from_sqe)
      setU64Words(u32, W_ADDR, this.iovAddress);
      u32[W_LEN] = 2;
    }
    // struct fuse_uring_cmd_req in the command area: flags 0 (the SQE is fresh), commit_id, qid.
    u32[W_COMMIT_ID] = this.commitLo;
    u32[W_COMMIT_ID + 1] = this.commitHi;
    u32[W_QID] = this.qid;
  }

  /** Points the request at the header and payload the kernel filled. */
  load(): void {
    const req = this.req;
    req.readHeader(this.hdr, fuse_uring_req_header.in_out);
    req.payLen = this.hdr.getUint32(fuse_uring_req_header.ring_ent_in_out + fuse_uring_ent_in_out.payload_sz, true);
  }

  reply(n: number): void {
    const len = n > 0 ? n : 0;
    const h = this.hdr;
    const req = this.req;
    // fuse_out_header in in_out, the payload size in ring_ent_in_out, then COMMIT_AND_FETCH with the request's
    // unique ID as commit_id (fs/fuse/dev_uring.c fuse_uring_commit_fetch).
    h.setUint32(fuse_out_header.len, fuse_out_header.SIZE + len, true);
    h.setInt32(fuse_out_header.error, n < 0 && n !== NO_REPLY ? n : 0, true);
    h.setUint32(fuse_out_header.unique, req.uniqueLo, true);
    h.setUint32(fuse_out_header.unique + 4, req.uniqueHi, true);
    h.setUint32(fuse_uring_req_header.ring_ent_in_out + fuse_uring_ent_in_out.payload_sz, len, true);
    this.commitLo = req.uniqueLo;
    this.commitHi = req.uniqueHi;
    this.server.rearm(this);
  }
}

/**
 * Makes `depth` ring entries for each of `queues` queues, over one header mapping and one payload mapping. The
 * kernel wants a payload buffer of at least max(FUSE_MIN_READ_BUFFER, max_write, max_pages * PAGE_SIZE)
 * (fs/fuse/dev_uring.c fuse_uring_create). Nothing is submitted.
 *
 * @param server The server the entries report to.
 * @param queues How many queues (one per possible CPU).
 * @param depth Entries per queue.
 * @param maxWrite The negotiated max_write.
 * @returns The entries, and the memory to free once none of them is in the kernel's hands.
 */
export function makeRingEntries(server: SlotHost, queues: number, depth: number, maxWrite: number):
  { entries: RingEntry[]; memory: NativeMemory[] } {
  const payloadSize = pageAlign(Math.max(FUSE_MIN_READ_BUFFER, maxWrite));
  const n = queues * depth;
  const hdrMem = NativeMemory.allocate(n * ENTRY_STRIDE);
  const payMem = NativeMemory.allocate(n * payloadSize);
  const entries: RingEntry[] = [];
  for (let q = 0; q < queues; q++) {
    for (let d = 0; d < depth; d++) {
      const i = q * depth + d;
      entries.push(new RingEntry(server, q, hdrMem, i * ENTRY_STRIDE, payMem, i * payloadSize, payloadSize));
    }
  }
  return { entries, memory: [hdrMem, payMem] };
}
