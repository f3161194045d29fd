/**
 * The `struct msghdr` of a sendmsg or recvmsg request, built in one arena chunk of the operation together with what
 * it points at (name, iovecs, control data), and the control messages read back from a received one. Every msghdr
 * field is written, absent ones as 0: the header must never point the kernel anywhere by accident (an arena chunk
 * may hold a previous message's bytes).
 *
 * Chunk layout: the 56-byte msghdr at 0, the name at {@link NAME_AT}, then the iovecs, then the control area.
 *
 * @module
 */
import type { Chunk } from "../loop/_arena.ts";
import type { Operation, OpHost } from "../loop/operation.ts";
import { refuse } from "../core/errors.ts";
import { getU64, putU64 } from "../abi/_u64.ts";
import { CMSGHDR_SIZE, cmsgAlign, IOVEC_SIZE, MSGHDR, putIovec } from "../abi/structs.ts";
import { type ControlMessage, cmsgSpace } from "../abi/cmsg.ts";
import { encodeSockaddr, SOCKADDR_STORAGE_SIZE, type SocketAddressInput, sockaddrLength } from "../abi/sockaddr.ts";
import { viewList } from "./_request.ts";

/** Where the name (`msg_name`) starts in the chunk: after the 56-byte msghdr, on a 64-byte boundary. */
export const NAME_AT = 64;

/** Zeroes every msghdr field at the start of `v`. */
function clearMsghdr(v: DataView): void {
  putU64(v, MSGHDR.name, 0);
  v.setUint32(MSGHDR.namelen, 0, true);
  putU64(v, MSGHDR.iov, 0);
  putU64(v, MSGHDR.iovlen, 0);
  putU64(v, MSGHDR.control, 0);
  putU64(v, MSGHDR.controllen, 0);
  v.setUint32(MSGHDR.flags, 0, true);
}

/**
 * Builds an outgoing msghdr in one arena chunk of `op`: header, name, iovecs, control. Data views are pinned
 * (native) or copied into bounce chunks. Returns the msghdr's address.
 */
export function writeOutgoingMsghdr(
  loop: OpHost, op: Operation, name: string,
  msg: {
    readonly data?: ArrayBufferView | readonly ArrayBufferView[] | undefined;
    readonly address?: SocketAddressInput | undefined;
    readonly control?: readonly ControlMessage[] | undefined;
  },
): number {
  if (msg === null || typeof msg !== "object") refuse(name, "the message must be an object");
  const list = viewList(name, msg.data);
  const control = msg.control ?? [];
  let controlLen = 0;
  for (const c of control) {
    if (!c || !(c.data instanceof Uint8Array)) refuse(name, "each control message needs a Uint8Array data");
    controlLen += cmsgSpace(c.data.byteLength);
  }
  const nameLen = msg.address ? sockaddrLength(msg.address) : 0;
  const iovAt = NAME_AT + cmsgAlign(nameLen);
  const controlAt = iovAt + list.length * IOVEC_SIZE;
  const c = op.chunk(loop, controlAt + controlLen);
  const v = c.view;
  clearMsghdr(v);
  if (msg.address) {
    encodeSockaddr(msg.address, c.bytes, NAME_AT);
    putU64(v, MSGHDR.name, c.address + NAME_AT);
    v.setUint32(MSGHDR.namelen, nameLen, true);
  }
  for (let i = 0; i < list.length; i++) {
    const view = list[i]!; // viewList checked every entry
    const len = view.byteLength;
    putIovec(v, iovAt + i * IOVEC_SIZE, len ? op.kernelAddress(loop, view, false) : 0, len);
  }
  if (list.length) {
    putU64(v, MSGHDR.iov, c.address + iovAt);
    putU64(v, MSGHDR.iovlen, list.length);
  }
  if (controlLen) {
    let at = controlAt;
    for (const m of control) {
      putU64(v, at, CMSGHDR_SIZE + m.data.byteLength);
      v.setInt32(at + 8, m.level, true);
      v.setInt32(at + 12, m.type, true);
      c.bytes.set(m.data, at + CMSGHDR_SIZE);
      at += cmsgSpace(m.data.byteLength);
    }
    putU64(v, MSGHDR.control, c.address + controlAt);
    putU64(v, MSGHDR.controllen, controlLen);
  }
  return c.address;
}

/**
 * Builds the msghdr of a receive in one arena chunk of `op`: room for any address (sockaddr_storage) at
 * {@link NAME_AT}, the iovecs over `list` (in order: the result count is spread over the views in that order when
 * bounced bytes are copied back), and `controlLen` bytes of control area at the returned `controlAt`.
 */
export function writeIncomingMsghdr(
  loop: OpHost, op: Operation, list: readonly ArrayBufferView[], controlLen: number,
): { chunk: Chunk; controlAt: number } {
  const iovAt = NAME_AT + SOCKADDR_STORAGE_SIZE;
  const controlAt = iovAt + list.length * IOVEC_SIZE;
  const c = op.chunk(loop, controlAt + controlLen);
  const v = c.view;
  clearMsghdr(v);
  putU64(v, MSGHDR.name, c.address + NAME_AT);
  v.setUint32(MSGHDR.namelen, SOCKADDR_STORAGE_SIZE, true);
  for (let i = 0; i < list.length; i++) {
    const view = list[i]!; // from viewList: every entry checked
    putIovec(v, iovAt + i * IOVEC_SIZE, op.kernelAddress(loop, view, true), view.byteLength);
  }
  if (list.length) {
    putU64(v, MSGHDR.iov, c.address + iovAt);
    putU64(v, MSGHDR.iovlen, list.length);
  }
  if (controlLen) {
    putU64(v, MSGHDR.control, c.address + controlAt);
    putU64(v, MSGHDR.controllen, controlLen);
  }
  return { chunk: c, controlAt };
}

/** Copies out the control messages the kernel wrote (CMSG_FIRSTHDR / CMSG_NXTHDR over `len` bytes from `at`). */
export function readControl(c: Chunk, at: number, len: number): ControlMessage[] {
  const out: ControlMessage[] = [];
  const end = at + Math.min(len, c.bytes.byteLength - at);
  const v = c.view;
  for (let p = at; p + CMSGHDR_SIZE <= end;) {
    const l = getU64(v, p);
    if (l < CMSGHDR_SIZE || p + l > end) break;
    out.push({
      level: v.getInt32(p + 8, true),
      type: v.getInt32(p + 12, true),
      data: c.bytes.slice(p + CMSGHDR_SIZE, p + l),
    });
    p += cmsgAlign(l);
  }
  return out;
}
