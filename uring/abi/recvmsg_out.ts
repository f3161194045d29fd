/**
 * Parsing what a multishot recvmsg (`prepRecvmsgMultishot`) leaves in each provided buffer: a
 * `struct io_uring_recvmsg_out` header (namelen, controllen, payloadlen, flags), then the source address (as much
 * of it as the request's `msg_namelen` allows), then the control messages (`msg_controllen` bytes), then the
 * payload. liburing's `io_uring_recvmsg_*` helpers, over a Uint8Array or DataView instead of a pointer.
 *
 * Every position is a byte index into the buffer and nothing is allocated. `base` (default 0) is where the header
 * starts in the buffer, so one view over a whole buffer pool serves every buffer. Where liburing returns NULL, these
 * return -1.
 * `msgh` gives the `msg_namelen` and `msg_controllen` the request was prepared with (not what the kernel wrote:
 * that is in the header). Layouts are those of 64-bit Linux (`struct cmsghdr` is 16 bytes, aligned to 8).
 *
 * @example
 * ```ts
 * declare const pool: Uint8Array; // the buffer ring's memory: 2048-byte buffers
 * declare const bid: number, res: number; // the CQE's buffer ID and res
 * const msgh = { namelen: 16, controllen: 0 }; // what the msghdr given to prepRecvmsgMultishot held
 * const buf = pool.subarray(bid * 2048, bid * 2048 + 2048);
 * if (recvmsgValidate(buf, res, msgh)) {
 *   const at = recvmsgPayload(msgh);
 *   const data = buf.subarray(at, at + recvmsgPayloadLength(res, msgh));
 * }
 * ```
 *
 * @module
 */
import { io_uring_recvmsg_out } from "./uapi.ts";
import { CMSGHDR_SIZE, cmsgAlign } from "./structs.ts";
import { TWO_32 } from "./_u64.ts";

/** A buffer holding multishot recvmsg output: byte views only, read little-endian. */
export type RecvmsgBuffer = Uint8Array | DataView;

/** The two `struct msghdr` fields the parsers need, as the multishot request was prepared with them. */
export interface RecvmsgHeader {
  /** `msg_namelen`: the room reserved for the source address. */
  readonly namelen: number;
  /** `msg_controllen`: the room reserved for control messages. */
  readonly controllen: number;
}

const OUT_SIZE = io_uring_recvmsg_out.SIZE;

function readU32(buf: RecvmsgBuffer, i: number): number {
  if (buf instanceof DataView) return buf.getUint32(i, true);
  // Callers stay inside the area recvmsgValidate checked; `!` adds no check on this per-message path.
  return (buf[i]! | buf[i + 1]! << 8 | buf[i + 2]! << 16 | buf[i + 3]! << 24) >>> 0;
}

/**
 * Whether a buffer of `bufLen` bytes (the CQE's res) is large enough to hold the header, name and control areas
 * `msgh` reserves. Matches current liburing's `io_uring_recvmsg_validate` (Linux 6.0), which checks each addition
 * for overflow (liburing 2.3 summed them first; the same answer for any real lengths). Unlike liburing it also
 * refuses a view that does not hold `bufLen` bytes from `base`, so the other parsers cannot read past it.
 *
 * @param buf The buffer.
 * @param bufLen The bytes the kernel used (a C int: negative means invalid).
 * @param msgh The msghdr lengths the request was prepared with.
 * @param base Where the header starts in `buf`.
 * @returns true when the other parsers may be used on this buffer.
 *
 * @example
 * ```ts
 * declare const buf: Uint8Array, res: number, msgh: RecvmsgHeader; // the CQE's buffer and res, the request's msghdr
 * if (!recvmsgValidate(buf, res, msgh)) throw new Error("Cannot parse recvmsg output: buffer too short");
 * ```
 */
export function recvmsgValidate(buf: RecvmsgBuffer, bufLen: number, msgh: RecvmsgHeader, base = 0): boolean {
  if (bufLen < 0 || bufLen < OUT_SIZE || base + bufLen > buf.byteLength) return false;
  if (msgh.namelen > bufLen - OUT_SIZE) return false;
  return msgh.controllen <= bufLen - OUT_SIZE - msgh.namelen;
}

/**
 * The source address length the kernel reported (`io_uring_recvmsg_out.namelen`); when larger than
 * `msgh.namelen`, the stored name was truncated.
 *
 * @param buf The buffer.
 * @param base Where the header starts in `buf`.
 *
 * @example
 * ```ts
 * declare const buf: Uint8Array, msgh: RecvmsgHeader;
 * const truncated = recvmsgOutNamelen(buf) > msgh.namelen;
 * ```
 */
export function recvmsgOutNamelen(buf: RecvmsgBuffer, base = 0): number {
  return readU32(buf, base + io_uring_recvmsg_out.namelen);
}

/**
 * The control data length the kernel wrote (`io_uring_recvmsg_out.controllen`).
 *
 * @param buf The buffer.
 * @param base Where the header starts in `buf`.
 *
 * @example
 * ```ts
 * declare const buf: Uint8Array;
 * const hasCmsgs = recvmsgOutControllen(buf) > 0;
 * ```
 */
export function recvmsgOutControllen(buf: RecvmsgBuffer, base = 0): number {
  return readU32(buf, base + io_uring_recvmsg_out.controllen);
}

/**
 * The payload length the message had (`io_uring_recvmsg_out.payloadlen`); larger than
 * {@link recvmsgPayloadLength} when the buffer truncated it (MSG_TRUNC in the flags).
 *
 * @param buf The buffer.
 * @param base Where the header starts in `buf`.
 *
 * @example
 * ```ts
 * declare const buf: Uint8Array, res: number, msgh: RecvmsgHeader;
 * const lost = recvmsgOutPayloadlen(buf) - recvmsgPayloadLength(res, msgh);
 * ```
 */
export function recvmsgOutPayloadlen(buf: RecvmsgBuffer, base = 0): number {
  return readU32(buf, base + io_uring_recvmsg_out.payloadlen);
}

/**
 * The message flags (`MSG_TRUNC` 0x20, `MSG_CTRUNC` 8, ...) the kernel reported (`io_uring_recvmsg_out.flags`).
 *
 * @param buf The buffer.
 * @param base Where the header starts in `buf`.
 *
 * @example
 * ```ts
 * import { MSG_TRUNC } from "ringside-uring/abi";
 *
 * declare const buf: Uint8Array;
 * if (recvmsgOutFlags(buf) & MSG_TRUNC) console.log("datagram truncated");
 * ```
 */
export function recvmsgOutFlags(buf: RecvmsgBuffer, base = 0): number {
  return readU32(buf, base + io_uring_recvmsg_out.flags);
}

/**
 * Where the source address starts: right after the header. Matches liburing's `io_uring_recvmsg_name`.
 *
 * @param base Where the header starts in the buffer.
 * @returns A byte index into the buffer.
 *
 * @example
 * ```ts
 * import { decodeSockaddr } from "ringside-uring/abi";
 *
 * declare const buf: Uint8Array, msgh: RecvmsgHeader;
 * const source = decodeSockaddr(buf, Math.min(recvmsgOutNamelen(buf), msgh.namelen), recvmsgName());
 * ```
 */
export function recvmsgName(base = 0): number {
  return base + OUT_SIZE;
}

/**
 * Where the first control message (`struct cmsghdr`) starts, or -1 when the kernel wrote none. Matches liburing's
 * `io_uring_recvmsg_cmsg_firsthdr`.
 *
 * @param buf The buffer.
 * @param msgh The msghdr lengths the request was prepared with.
 * @param base Where the header starts in `buf`.
 * @returns A byte index into `buf`, or -1.
 *
 * @example
 * ```ts
 * declare const buf: Uint8Array, msgh: RecvmsgHeader;
 * for (let c = recvmsgCmsgFirsthdr(buf, msgh); c >= 0; c = recvmsgCmsgNexthdr(buf, msgh, c)) {
 *   console.log(cmsgLevel(buf, c), cmsgType(buf, c));
 * }
 * ```
 */
export function recvmsgCmsgFirsthdr(buf: RecvmsgBuffer, msgh: RecvmsgHeader, base = 0): number {
  if (recvmsgOutControllen(buf, base) < CMSGHDR_SIZE) return -1;
  return base + OUT_SIZE + msgh.namelen;
}

/**
 * Where the control message after the one at `cmsg` starts, or -1 when it was the last (or a header is
 * malformed). Matches liburing's `io_uring_recvmsg_cmsg_nexthdr`.
 *
 * @param buf The buffer.
 * @param msgh The msghdr lengths the request was prepared with.
 * @param cmsg The index of a control message, from {@link recvmsgCmsgFirsthdr} or this function.
 * @param base Where the header starts in `buf`.
 * @returns A byte index into `buf`, or -1.
 *
 * @example
 * ```ts
 * declare const buf: Uint8Array, msgh: RecvmsgHeader;
 * const second = recvmsgCmsgNexthdr(buf, msgh, recvmsgCmsgFirsthdr(buf, msgh));
 * ```
 */
export function recvmsgCmsgNexthdr(buf: RecvmsgBuffer, msgh: RecvmsgHeader, cmsg: number, base = 0): number {
  const len = cmsgLen(buf, cmsg);
  if (len < CMSGHDR_SIZE) return -1;
  const controllen = recvmsgOutControllen(buf, base);
  // liburing measures the end from firsthdr, which is NULL when controllen < sizeof(cmsghdr): then nothing fits.
  if (controllen < CMSGHDR_SIZE) return -1;
  const end = base + OUT_SIZE + msgh.namelen + controllen;
  // cmsg_len is a u64 the kernel (or garbage) wrote: one that runs past the end ends the walk before it is aligned,
  // as liburing's pointer comparisons would after aligning it.
  if (len > end - cmsg) return -1;
  const next = cmsg + cmsgAlign(len);
  if (next + CMSGHDR_SIZE > end) return -1;
  const nextLen = cmsgLen(buf, next);
  if (nextLen > end - next || next + cmsgAlign(nextLen) > end) return -1;
  return next;
}

/**
 * Where the payload starts: after the header and the full name and control areas `msgh` reserved. Matches
 * liburing's `io_uring_recvmsg_payload`.
 *
 * @param msgh The msghdr lengths the request was prepared with.
 * @param base Where the header starts in the buffer.
 * @returns A byte index into the buffer.
 *
 * @example
 * ```ts
 * declare const buf: Uint8Array, msgh: RecvmsgHeader;
 * const first = buf[recvmsgPayload(msgh)];
 * ```
 */
export function recvmsgPayload(msgh: RecvmsgHeader, base = 0): number {
  return base + OUT_SIZE + msgh.namelen + msgh.controllen;
}

/**
 * How many payload bytes the buffer holds: from {@link recvmsgPayload} to `base + bufLen`, and 0 when `bufLen` is
 * negative or ends before the payload. Matches current liburing's `io_uring_recvmsg_payload_length` (liburing 2.3
 * returned the difference wrapped to an unsigned int in those two cases).
 *
 * @param bufLen The bytes the kernel used (the CQE's res).
 * @param msgh The msghdr lengths the request was prepared with.
 * @param base Where the header starts in the buffer.
 *
 * @example
 * ```ts
 * declare const res: number, msgh: RecvmsgHeader;
 * const n = recvmsgPayloadLength(res, msgh);
 * ```
 */
export function recvmsgPayloadLength(bufLen: number, msgh: RecvmsgHeader, base = 0): number {
  if (bufLen < 0) return 0;
  const start = recvmsgPayload(msgh, base);
  const end = base + bufLen;
  return start >= end ? 0 : end - start;
}

/**
 * The `cmsg_len` of the control message at `cmsg`: header plus data, before alignment (a 64-bit size_t, read as a
 * number).
 *
 * @param buf The buffer.
 * @param cmsg The index of the control message.
 *
 * @example
 * ```ts
 * import { CMSGHDR_SIZE } from "ringside-uring/abi";
 *
 * declare const buf: Uint8Array, c: number; // c from recvmsgCmsgFirsthdr
 * const dataLen = cmsgLen(buf, c) - CMSGHDR_SIZE;
 * ```
 */
export function cmsgLen(buf: RecvmsgBuffer, cmsg: number): number {
  return readU32(buf, cmsg) + readU32(buf, cmsg + 4) * TWO_32;
}

/**
 * The `cmsg_level` (SOL_SOCKET 1, IPPROTO_IP 0, IPPROTO_IPV6 41, ...) of the control message at `cmsg`.
 *
 * @param buf The buffer.
 * @param cmsg The index of the control message.
 *
 * @example
 * ```ts
 * import { SOL_SOCKET } from "ringside-uring/abi";
 *
 * declare const buf: Uint8Array, c: number; // c from recvmsgCmsgFirsthdr
 * if (cmsgLevel(buf, c) === SOL_SOCKET) console.log("a socket-level control message");
 * ```
 */
export function cmsgLevel(buf: RecvmsgBuffer, cmsg: number): number {
  return readU32(buf, cmsg + 8) | 0;
}

/**
 * The `cmsg_type` (SCM_RIGHTS 1, SO_TIMESTAMP 29, IP_PKTINFO 8, ...) of the control message at `cmsg`.
 *
 * @param buf The buffer.
 * @param cmsg The index of the control message.
 *
 * @example
 * ```ts
 * import { SCM_RIGHTS, SOL_SOCKET } from "ringside-uring/abi";
 *
 * declare const buf: Uint8Array, c: number; // c from recvmsgCmsgFirsthdr
 * const rights = cmsgLevel(buf, c) === SOL_SOCKET && cmsgType(buf, c) === SCM_RIGHTS;
 * ```
 */
export function cmsgType(buf: RecvmsgBuffer, cmsg: number): number {
  return readU32(buf, cmsg + 12) | 0;
}

/**
 * Where the data of the control message at `cmsg` starts (CMSG_DATA): right after its 16-byte header.
 *
 * @param cmsg The index of the control message.
 * @returns A byte index into the buffer.
 *
 * @example
 * ```ts
 * declare const buf: Uint8Array, c: number; // an SCM_RIGHTS message, from recvmsgCmsgFirsthdr
 * const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
 * const fd = view.getInt32(cmsgData(c), true);
 * ```
 */
export function cmsgData(cmsg: number): number {
  return cmsg + CMSGHDR_SIZE;
}
