/**
 * The raw prep layer: one small pure function per liburing `io_uring_prep_*` helper (104 of them, named
 * `io_uring_prep_recv_multishot` → `prepRecvMultishot`), each writing one SQE the way liburing's inline helper does,
 * byte for byte; and the timeouts with the time in the SQE (`prepTimeoutImmediate` ..., IORING_TIMEOUT_IMMEDIATE_ARG,
 * Linux 7.1), which liburing sets by hand.
 *
 * Each takes an SQE fresh from `ring.getSqe()` (zeroed) and writes the fields liburing writes; nothing is allocated
 * and no BigInt is made. Addresses are plain numbers and the helpers are UNSAFE: the kernel dereferences them when
 * the request runs, which may be after submit returns, so the memory must stay valid until the CQE arrives.
 * 64-bit values are numbers up to 2^53 (negative ones are written as two's complement, so an offset of -1 is C's
 * `(__u64)-1`). Set SQE flags (`sqeSetFlags`) after preparing: like liburing 2.3's `io_uring_prep_rw`, preparing
 * clears them.
 *
 * The surface is the helpers and {@link prepRw} (liburing's `io_uring_prep_rw`, for opcodes without a helper).
 * The SQE field positions and the `file_index` setters the helpers share are the library's own and are not
 * exported here: write SQE fields through these helpers and the ring layer's `sqeSetData`, `sqeSetFlags` and
 * `sqeSetBufGroup`.
 *
 * @example
 * ```ts
 * import { prepRecvMultishot } from "ringside-uring/prep";
 * import { type Ring, sqeSetBufGroup, sqeSetData, sqeSetFlags } from "ringside-uring/ring";
 * import { IOSQE_BUFFER_SELECT } from "ringside-uring/abi";
 * declare const ring: Ring, sock: number; // and provided-buffer group 1 registered
 *
 * const sqe = ring.getSqe()!;
 * prepRecvMultishot(sqe, sock, 0, 0, 0);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * sqeSetData(sqe, 7);
 * ring.submit();
 * ```
 *
 * @module
 */
export { prepRw } from "./base.ts";
export { prepNop, prepNop128 } from "./nop.ts";
export {
  prepRead,
  prepReadFixed,
  prepReadMultishot,
  prepReadv,
  prepReadv2,
  prepReadvFixed,
  prepWrite,
  prepWriteFixed,
  prepWritev,
  prepWritev2,
  prepWritevFixed,
} from "./rw.ts";
export {
  prepClose,
  prepCloseDirect,
  prepFadvise,
  prepFadvise64,
  prepFallocate,
  prepFgetxattr,
  prepFsetxattr,
  prepFsync,
  prepFtruncate,
  prepGetxattr,
  prepLink,
  prepLinkat,
  prepMadvise,
  prepMadvise64,
  prepMkdir,
  prepMkdirat,
  prepOpen,
  prepOpenat,
  prepOpenat2,
  prepOpenat2Direct,
  prepOpenatDirect,
  prepOpenDirect,
  prepRename,
  prepRenameat,
  prepSetxattr,
  prepStatx,
  prepSymlink,
  prepSymlinkat,
  prepSyncFileRange,
  prepUnlink,
  prepUnlinkat,
} from "./fs.ts";
export {
  prepAccept,
  prepAcceptDirect,
  prepBind,
  prepConnect,
  prepListen,
  prepMultishotAccept,
  prepMultishotAcceptDirect,
  prepRecv,
  prepRecvmsg,
  prepRecvmsgMultishot,
  prepRecvMultishot,
  prepSend,
  prepSendBundle,
  prepSendmsg,
  prepSendmsgZc,
  prepSendmsgZcFixed,
  prepSendSetAddr,
  prepSendto,
  prepSendZc,
  prepSendZcFixed,
  prepShutdown,
  prepSocket,
  prepSocketDirect,
  prepSocketDirectAlloc,
} from "./net.ts";
export { prepPollAdd, prepPollMultishot, prepPollRemove, prepPollUpdate } from "./poll.ts";
export {
  prepLinkTimeout,
  prepLinkTimeoutImmediate,
  prepTimeout,
  prepTimeoutImmediate,
  prepTimeoutRemove,
  prepTimeoutUpdate,
  prepTimeoutUpdateImmediate,
} from "./timeout.ts";
export { prepCancel, prepCancel64, prepCancelFd } from "./cancel.ts";
export { prepMsgRing, prepMsgRingCqeFlags, prepMsgRingFd, prepMsgRingFdAlloc } from "./msg_ring.ts";
export { prepProvideBuffers, prepRemoveBuffers } from "./buffers.ts";
export { prepSplice, prepTee } from "./splice.ts";
export { prepFutexWait, prepFutexWaitv, prepFutexWake } from "./futex.ts";
export { prepWaitid } from "./waitid.ts";
export {
  prepCmdDiscard,
  prepCmdGetsockname,
  prepCmdSock,
  prepCmdZoneResetAll,
  prepUringCmd,
  prepUringCmd128,
} from "./cmd.ts";
export { prepEpollCtl, prepEpollWait } from "./epoll.ts";
export { prepPipe, prepPipeDirect } from "./pipe.ts";
export { prepFilesUpdate, prepFixedFdInstall } from "./files.ts";
