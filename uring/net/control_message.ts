/**
 * Passing file descriptors between processes over AF_UNIX sockets: {@link scmRights} makes the SOL_SOCKET /
 * SCM_RIGHTS control message that `sendmsg` carries, {@link controlFds} takes the descriptors out of what `recvmsg`
 * received (size its control area with `cmsgSpace(4 * count)`).
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { cmsgSpace, recvmsg, sendmsg } from "ringside-uring/net";
 *
 * declare const a: number, b: number; // the two ends of a connected AF_UNIX pair
 * declare const fd: number; // the descriptor to pass
 * const loop = new Loop();
 * await sendmsg(loop, a, { data: Uint8Array.of(0), control: [scmRights([fd])] });
 * const msg = await recvmsg(loop, b, { data: new Uint8Array(1), controlLength: cmsgSpace(4) });
 * const [copy] = controlFds(msg.control); // a new descriptor for the same file, owned by the receiver
 * ```
 *
 * @module
 */
import { checkFd } from "../core/_validate.ts";
import type { ControlMessage } from "../abi/cmsg.ts";
import { SCM_RIGHTS, SOL_SOCKET } from "../abi/sockaddr.ts";

/**
 * A SOL_SOCKET/SCM_RIGHTS control message passing `fds` to the peer of an AF_UNIX socket (the kernel duplicates
 * them into the receiving process).
 *
 * @param fds The descriptors to pass (at most 253, SCM_MAX_FD).
 * @returns The control message, for `sendmsg`'s `control`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { sendmsg } from "ringside-uring/net";
 *
 * declare const unixSock: number, pipeWriteEnd: number;
 * const loop = new Loop();
 * await sendmsg(loop, unixSock, { data: Uint8Array.of(0), control: [scmRights([pipeWriteEnd])] });
 * ```
 */
export function scmRights(fds: readonly number[]): ControlMessage {
  const data = new Uint8Array(fds.length * 4);
  const v = new DataView(data.buffer);
  fds.forEach((fd, i) => {
    checkFd("make an SCM_RIGHTS message", fd);
    v.setInt32(i * 4, fd, true);
  });
  return { level: SOL_SOCKET, type: SCM_RIGHTS, data };
}

/**
 * The descriptors carried by the SCM_RIGHTS messages among `control` (what `recvmsg` received). The caller owns
 * them and must close them.
 *
 * @param control Received control messages.
 * @returns The descriptors, in the order received.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { cmsgSpace, recvmsg } from "ringside-uring/net";
 *
 * declare const sock: number; // a connected AF_UNIX socket
 * const loop = new Loop();
 * const msg = await recvmsg(loop, sock, { data: new Uint8Array(16), controlLength: cmsgSpace(4) });
 * const [fd] = controlFds(msg.control);
 * ```
 */
export function controlFds(control: readonly ControlMessage[]): number[] {
  const out: number[] = [];
  for (const c of control) {
    if (c.level !== SOL_SOCKET || c.type !== SCM_RIGHTS) continue;
    const v = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
    for (let i = 0; i + 4 <= c.data.byteLength; i += 4) out.push(v.getInt32(i, true));
  }
  return out;
}
