/**
 * Sockets on a `Loop`: the safe, typed layer over the socket opcodes. Every function takes the loop first and
 * returns a promise of the result; a failed completion rejects with a `UringError` whose `code` is the errno name
 * (`"ECONNREFUSED"`, `"EAGAIN"` ...), and bad input rejects before the kernel sees it.
 *
 * - Making and connecting sockets: {@link socket}, {@link bind}, {@link listen}, {@link accept}, {@link connect},
 *   {@link shutdown}, and {@link socketDirect} / {@link acceptDirect} for the registered file table.
 * - Bytes: {@link send}, {@link sendto}, {@link recv}, and {@link sendAll} for a whole buffer on a stream socket.
 * - Messages: {@link sendmsg} and {@link recvmsg} (several buffers, addresses, control messages), with
 *   {@link scmRights} / {@link controlFds} for passing descriptors and {@link cmsgSpace} for sizing control areas.
 * - Zero copy: {@link sendZc} and {@link sendmsgZc}, settled once the kernel lets go of the buffer.
 *
 * What the kernel reads or writes after a call returns never comes from garbage-collected memory: addresses,
 * msghdrs, iovecs and control data are built in native memory that lives until the operation's last CQE; data
 * views that lie in `NativeMemory` are used in place (pinned until then), other views go through native bounce
 * memory (copied in for sends, copied back for receives, before the promise resolves). Do not change a buffer while
 * an operation on it is pending.
 *
 * Defaults that differ from the bare system calls, for safety: new descriptors are close-on-exec (`SOCK_CLOEXEC`,
 * `MSG_CMSG_CLOEXEC`; `cloexec: false` turns it off) and sends never raise SIGPIPE (`MSG_NOSIGNAL` is always added).
 * Every function takes `{ signal?, timeoutMs? }`: aborting the signal cancels the request (the promise rejects with
 * an `AbortError` carrying the signal's reason) and `timeoutMs` bounds it with a linked timeout (a `TimeoutError`).
 *
 * Socket constants (`AF_*`, `SOCK_*`, `MSG_*`, `SHUT_*`) and address encoding are in `ringside-uring/abi`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { AF_INET, SOCK_STREAM } from "ringside-uring/abi";
 * import { accept, bind, connect, listen, recv, send, socket } from "ringside-uring/net";
 *
 * const loop = new Loop();
 * const server = await socket(loop, AF_INET, SOCK_STREAM);
 * await bind(loop, server, { address: "127.0.0.1", port: 8080 });
 * await listen(loop, server);
 * const client = await socket(loop, AF_INET, SOCK_STREAM);
 * const accepting = accept(loop, server);
 * await connect(loop, client, { address: "127.0.0.1", port: 8080 });
 * const conn = await accepting;
 * await send(loop, client, new TextEncoder().encode("hello"));
 * const buf = new Uint8Array(64);
 * const n = await recv(loop, conn.fd, buf); // 5
 * await loop.close();
 * ```
 *
 * @module
 */
export {
  accept,
  type AcceptDirectOptions,
  acceptDirect,
  type Accepted,
  type AcceptedDirect,
  type AcceptOptions,
  bind,
  connect,
  listen,
  shutdown,
  socket,
  socketDirect,
  type SocketOptions,
} from "./socket.ts";
export { type MsgOptions, recv, send, type SendRecvOptions, sendto } from "./send_recv.ts";
export { sendAll } from "./send_all.ts";
export {
  type IncomingMessage,
  type OutgoingMessage,
  type ReceivedMessage,
  recvmsg,
  type RecvmsgOptions,
  sendmsg,
} from "./message.ts";
export { controlFds, scmRights } from "./control_message.ts";
export { cmsgSpace, type ControlMessage } from "../abi/cmsg.ts";
export { type SendZcOptions, sendmsgZc, sendZc, type ZcOptions, type ZcResult } from "./zero_copy.ts";
