/**
 * One request of the epoll backend: the fields of its SQE, copied out at submission (as the kernel copies what it
 * needs into its `io_kiocb`, so the SQE slot is free again once `submit()` returned), and where it is in its life.
 *
 * @module
 */
import type { Sqe } from "../ring/sqe.ts";
import type { BlockingTicket } from "../../ffi/blocking_pool.ts";
import { TWO_32 } from "../abi/_u64.ts";

/** Where a request is. */
export const enum ReqState {
  /** Parsed, not issued yet (a later member of a chain, or deferred behind IOSQE_IO_DRAIN). */
  Idle = 0,
  /** Being issued or retried right now. */
  Running = 1,
  /** Waiting for readiness of its descriptor (EAGAIN). */
  Polling = 2,
  /** A call on the blocking pool: cancellable only until a thread takes it. */
  Pooled = 3,
  /** A timer (TIMEOUT, LINK_TIMEOUT). */
  Timed = 4,
  /** Waiting with no descriptor to wait on (a closed descriptor's waiters): only a cancel ends it. */
  Orphaned = 5,
  /** Its final CQE was posted. */
  Done = 6,
}

/** What a readiness retry receives when the descriptor cannot be polled at all (epoll_ctl said EPERM). */
export const NOT_POLLABLE = 0x40000000;

/** Reads the signed 64-bit value at 32-bit word `w` of `u32` (as the kernel reads `__u64 off` into a loff_t). */
function i64(u32: Uint32Array, w: number): number {
  const lo = u32[w]!;
  const hi = u32[w + 1]!;
  return hi >= 0x80000000 ? lo + (hi - TWO_32) * TWO_32 : lo + hi * TWO_32;
}

/** A request, from its SQE to its final CQE. */
export class Req {
  // ---- the SQE ----
  opcode = 0;
  /** IOSQE_* flags. */
  sqeFlags = 0;
  ioprio = 0;
  fd = -1;
  /** `off` (also addr2), as a signed 64-bit value. */
  off = 0;
  /** `addr` (also splice_off_in): an address, or a user_data for cancels and removals. */
  addr = 0;
  /** `addr`'s two words, for exact user_data matches above 2^53. */
  addrLo = 0;
  addrHi = 0;
  len = 0;
  /** The op-specific flags word (rw_flags, msg_flags, timeout_flags, poll32_events ...). */
  opFlags = 0;
  /** buf_index / buf_group. */
  bufIndex = 0;
  personality = 0;
  /** splice_fd_in / file_index (u32 at byte 44); its low 16 bits are addr_len. */
  fileIndex = 0;
  addr3 = 0;
  udLo = 0;
  udHi = 0;

  // ---- its life ----
  state: ReqState = ReqState.Idle;
  /** The next member of its chain (IOSQE_IO_LINK), issued after this one succeeds. */
  next: Req | null = null;
  /** A LINK_TIMEOUT guarding this request, or for a LINK_TIMEOUT the request it guards. */
  linked: Req | null = null;
  /** Multishot: CQEs with IORING_CQE_F_MORE until the final one. */
  multishot = false;
  /** Set when the request failed in a way that breaks its chain (a short read, -ETIME of a timeout). */
  failed = false;
  /** A -ETIME result that does not break the chain (IORING_TIMEOUT_ETIME_SUCCESS). */
  etimeSucceeds = false;
  /** Bytes moved so far by a request the kernel would retry (MSG_WAITALL). */
  doneIo = 0;
  /** How the request is retried when its descriptor becomes ready (set by its handler). */
  retry: ((r: Req, revents: number) => void) | null = null;
  /** The descriptor it waits on, and for what (EPOLL* bits). */
  waitFd = -1;
  waitEvents = 0;
  /** Timers: the deadline on the monotonic clock in ns, the heap index, the interval of a multishot timeout. */
  deadline = 0;
  heapIndex = -1;
  intervalNs = 0;
  /** Count-based timeouts: the completion sequence that ends it, or -1. */
  targetSeq = -1;
  /** Expirations left for a multishot timeout (0: unlimited). */
  repeats = 0;
  /** The blocking call it waits for. */
  ticket: BlockingTicket | null = null;
  /** Native scratch the request holds until it ends (an iovec, splice offsets), as an offset into the slab. */
  scratch = -1;
  /** An error found at submission (a refused opcode or flag): the request and its chain never run. */
  prepError = 0;
  /** Runs once when the request ends (completed, or dropped with its ring): releases what its handler holds. */
  cleanup: ((r: Req) => void) | null = null;
  /** Handler state (a selected buffer, an epoll wait's buffer...). */
  aux = 0;
  /** Handler state: a private descriptor (a dup for a multishot poll). */
  auxFd = -1;
  /** Duplicates of the descriptors a pool call works on, held until the call returned (see Engine.toPool). */
  heldFds: number[] | null = null;

  /** Whether this request's user_data is `lo + hi * 2^32`. */
  hasUserData(lo: number, hi: number): boolean {
    return this.udLo === lo && this.udHi === hi;
  }
}

/** Copies the fields of `sqe` into a fresh request. */
export function parseSqe(sqe: Sqe): Req {
  const u32 = sqe.u32;
  const r = new Req();
  const w0 = u32[0]!;
  r.opcode = w0 & 0xff;
  r.sqeFlags = (w0 >>> 8) & 0xff;
  r.ioprio = w0 >>> 16;
  r.fd = u32[1]! | 0;
  r.off = i64(u32, 2);
  r.addrLo = u32[4]!;
  r.addrHi = u32[5]!;
  r.addr = r.addrLo + r.addrHi * TWO_32;
  r.len = u32[6]!;
  r.opFlags = u32[7]!;
  r.udLo = u32[8]!;
  r.udHi = u32[9]!;
  const w10 = u32[10]!;
  r.bufIndex = w10 & 0xffff;
  r.personality = w10 >>> 16;
  r.fileIndex = u32[11]!;
  r.addr3 = u32[12]! + u32[13]! * TWO_32;
  return r;
}
