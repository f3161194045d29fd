/**
 * What only io_uring can do, and so what the epoll backend refuses: requests that name kernel-side state of a ring
 * (registered files and buffers, direct descriptors, another ring), that the kernel alone can perform (uring_cmd
 * passthrough, zero-copy send with its notification, futex waits on the ring) or that need a larger SQE or CQE.
 * Such a request completes with -EOPNOTSUPP, and the note returned here says which part needs io_uring; a loop
 * puts the note in the error it rejects with.
 *
 * @module
 */
import {
  IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_NOP_CQE32,
  IORING_NOP_FIXED_BUFFER,
  IORING_NOP_FIXED_FILE,
  IORING_OP_ACCEPT,
  IORING_OP_ASYNC_CANCEL,
  IORING_OP_CLOSE,
  IORING_OP_FILES_UPDATE,
  IORING_OP_FIXED_FD_INSTALL,
  IORING_OP_FUTEX_WAIT,
  IORING_OP_FUTEX_WAITV,
  IORING_OP_FUTEX_WAKE,
  IORING_OP_MSG_RING,
  IORING_OP_NOP,
  IORING_OP_NOP128,
  IORING_OP_OPENAT,
  IORING_OP_OPENAT2,
  IORING_OP_PIPE,
  IORING_OP_READ_FIXED,
  IORING_OP_READV_FIXED,
  IORING_OP_RECV,
  IORING_OP_RECV_ZC,
  IORING_OP_RECVMSG,
  IORING_OP_SEND,
  IORING_OP_SEND_ZC,
  IORING_OP_SENDMSG,
  IORING_OP_SENDMSG_ZC,
  IORING_OP_SOCKET,
  IORING_OP_SPLICE,
  IORING_OP_TEE,
  IORING_OP_URING_CMD,
  IORING_OP_URING_CMD128,
  IORING_OP_WAITID,
  IORING_OP_WRITE_FIXED,
  IORING_OP_WRITEV_FIXED,
  IORING_RECVSEND_BUNDLE,
  IORING_RECVSEND_FIXED_BUF,
  IOSQE_BUFFER_SELECT,
  IOSQE_FIXED_FILE,
  OPCODES,
  SPLICE_F_FD_IN_FIXED,
} from "../abi/uapi.ts";
import type { Req } from "./_request.ts";

/** The suffix of every note. */
const NEEDS = "needs the io_uring backend (this loop runs on the epoll backend)";

/** Opcodes only the kernel's io_uring performs, with what they are. */
const ONLY_IO_URING = new Map<number, string>([
  [IORING_OP_URING_CMD, "passthrough to a driver"],
  [IORING_OP_URING_CMD128, "passthrough to a driver"],
  [IORING_OP_MSG_RING, "a message to another ring"],
  [IORING_OP_SEND_ZC, "zero-copy send"],
  [IORING_OP_SENDMSG_ZC, "zero-copy send"],
  [IORING_OP_RECV_ZC, "zero-copy receive"],
  [IORING_OP_READ_FIXED, "I/O on registered buffers"],
  [IORING_OP_WRITE_FIXED, "I/O on registered buffers"],
  [IORING_OP_READV_FIXED, "I/O on registered buffers"],
  [IORING_OP_WRITEV_FIXED, "I/O on registered buffers"],
  [IORING_OP_FILES_UPDATE, "the registered file table"],
  [IORING_OP_FIXED_FD_INSTALL, "the registered file table"],
  [IORING_OP_NOP128, "128-byte SQEs"],
  [IORING_OP_FUTEX_WAIT, "futex waits on the ring"],
  [IORING_OP_FUTEX_WAKE, "futex waits on the ring"],
  [IORING_OP_FUTEX_WAITV, "futex waits on the ring"],
  [IORING_OP_WAITID, "waiting for a child on the ring"],
]);

/** Opcodes that may put their new descriptor in the registered file table (`file_index`). */
const DIRECT_TARGETS = new Set([IORING_OP_ACCEPT, IORING_OP_SOCKET, IORING_OP_OPENAT, IORING_OP_OPENAT2,
  IORING_OP_PIPE, IORING_OP_CLOSE]);

/** The name of `opcode` (`IORING_OP_URING_CMD`), or a number for one this build does not know. */
export function opcodeName(opcode: number): string {
  return OPCODES.find((o) => o.value === opcode)?.name ?? `opcode ${opcode}`;
}

/**
 * Why the epoll backend cannot run `r` (the note of its -EOPNOTSUPP), or undefined when it can.
 */
export function refusal(r: Req): string | undefined {
  const name = opcodeName(r.opcode);
  const what = ONLY_IO_URING.get(r.opcode);
  if (what !== undefined) return `${name} (${what}) ${NEEDS}`;
  if (r.sqeFlags & IOSQE_FIXED_FILE) return `IOSQE_FIXED_FILE (a registered file) on ${name} ${NEEDS}`;
  if (r.personality !== 0) return `a registered personality on ${name} ${NEEDS}`;
  if (DIRECT_TARGETS.has(r.opcode) && r.fileIndex !== 0) {
    return `a direct descriptor (file_index) on ${name} ${NEEDS}`;
  }
  switch (r.opcode) {
    case IORING_OP_SEND:
    case IORING_OP_RECV:
    case IORING_OP_SENDMSG:
    case IORING_OP_RECVMSG:
      if (r.ioprio & IORING_RECVSEND_FIXED_BUF) return `IORING_RECVSEND_FIXED_BUF on ${name} ${NEEDS}`;
      if (r.ioprio & IORING_RECVSEND_BUNDLE) return `IORING_RECVSEND_BUNDLE on ${name} ${NEEDS}`;
      if ((r.opcode === IORING_OP_SEND || r.opcode === IORING_OP_SENDMSG) && r.sqeFlags & IOSQE_BUFFER_SELECT) {
        return `a send from provided buffers (IOSQE_BUFFER_SELECT on ${name}) ${NEEDS}`;
      }
      break;
    case IORING_OP_SPLICE:
    case IORING_OP_TEE:
      if (r.opFlags & SPLICE_F_FD_IN_FIXED) return `SPLICE_F_FD_IN_FIXED on ${name} ${NEEDS}`;
      break;
    case IORING_OP_ASYNC_CANCEL:
      if (r.opFlags & IORING_ASYNC_CANCEL_FD_FIXED) return `IORING_ASYNC_CANCEL_FD_FIXED ${NEEDS}`;
      break;
    case IORING_OP_NOP:
      if (r.opFlags & (IORING_NOP_FIXED_FILE | IORING_NOP_FIXED_BUFFER)) {
        return `a registered file or buffer on IORING_OP_NOP ${NEEDS}`;
      }
      if (r.opFlags & IORING_NOP_CQE32) return `IORING_NOP_CQE32 (32-byte CQEs) ${NEEDS}`;
      break;
  }
  return undefined;
}
