/**
 * Control messages (`struct cmsghdr` and the data after it, include/linux/socket.h) as JavaScript values: what a
 * sendmsg carries in `msg_control`, what a recvmsg reads out of it, and the room one takes there (`CMSG_SPACE`).
 * The header's layout (`CMSGHDR_SIZE`, `cmsgAlign`) is in `structs.ts`.
 *
 * @example
 * ```ts
 * import { SCM_RIGHTS, SOL_SOCKET } from "ringside-uring/abi";
 *
 * const data = new Uint8Array(new Int32Array([7]).buffer); // one descriptor
 * const rights: ControlMessage = { level: SOL_SOCKET, type: SCM_RIGHTS, data };
 * console.log(cmsgSpace(rights.data.byteLength)); // 24
 * ```
 *
 * @module
 */
import { CMSGHDR_SIZE, cmsgAlign } from "./structs.ts";

/** One control message: a `struct cmsghdr`'s level and type, and its data. */
export interface ControlMessage {
  /** `cmsg_level`: SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 ... */
  level: number;
  /** `cmsg_type`: SCM_RIGHTS, SCM_CREDENTIALS, IP_PKTINFO ... */
  type: number;
  /** The data after the header (a copy, owned by the caller, when received). */
  data: Uint8Array;
}

/**
 * The room a control message with `dataLength` bytes of data takes in `msg_control`: `CMSG_SPACE(dataLength)`, the
 * header and the data, each rounded up to 8 bytes. Sum these to size the control area of a receive.
 *
 * @param dataLength The data bytes (4 per descriptor for SCM_RIGHTS).
 * @returns The bytes the message takes.
 *
 * @example
 * ```ts
 * const room = cmsgSpace(4 * 3); // three descriptors: 32 bytes
 * ```
 */
export function cmsgSpace(dataLength: number): number {
  return CMSGHDR_SIZE + cmsgAlign(dataLength);
}
