/**
 * The io_uring kernel ABI as plain constants and struct layouts, through Linux 7.2, named exactly as
 * `include/uapi/linux/io_uring.h` (and `linux/io_uring/{query,zcrx,bpf_filter}.h`) names them.
 *
 * Every constant says which kernel added it; a version ending in `?` was not confirmed from the kernel
 * history. Struct layouts are objects of byte offsets with a `SIZE`; members of a C union share an offset.
 * Values at or above 2^31 are non-negative numbers (combine them with `>>> 0` after bitwise operations);
 * the only value needing more than 53 bits is a bigint.
 *
 * Sources: the kernel's uapi headers (v6.18, v6.19 merge of 2025-12, and Debian's linux-libc-dev 7.2.13), the
 * io_uring pull requests and patch series for each release, and the BTF of the 6.18 kernel this project is
 * developed on. The test-only `linux/io_uring/mock_file.h` (IORING_MOCK_*, for the kernel's own selftests through
 * CONFIG_IO_URING_MOCK_FILE) is not mirrored.
 *
 * @example
 * ```ts
 * import { IORING_OP_RECV, io_uring_sqe, opcodeName } from "./uapi.ts";
 * const view = new DataView(new ArrayBuffer(io_uring_sqe.SIZE));
 * view.setUint8(io_uring_sqe.opcode, IORING_OP_RECV);
 * console.log(opcodeName(view.getUint8(io_uring_sqe.opcode))); // "IORING_OP_RECV"
 * ```
 *
 * @module
 */

// ---------------------------------------------------------------------------------------------------------
// Submission queue entry flags (sqe->flags): enum io_uring_sqe_flags_bit and the IOSQE_* masks
// ---------------------------------------------------------------------------------------------------------

/** Bit number of IOSQE_FIXED_FILE. Linux 5.1 */
export const IOSQE_FIXED_FILE_BIT = 0;
/** Bit number of IOSQE_IO_DRAIN. Linux 5.2 */
export const IOSQE_IO_DRAIN_BIT = 1;
/** Bit number of IOSQE_IO_LINK. Linux 5.3 */
export const IOSQE_IO_LINK_BIT = 2;
/** Bit number of IOSQE_IO_HARDLINK. Linux 5.5 */
export const IOSQE_IO_HARDLINK_BIT = 3;
/** Bit number of IOSQE_ASYNC. Linux 5.6 */
export const IOSQE_ASYNC_BIT = 4;
/** Bit number of IOSQE_BUFFER_SELECT. Linux 5.7 */
export const IOSQE_BUFFER_SELECT_BIT = 5;
/** Bit number of IOSQE_CQE_SKIP_SUCCESS. Linux 5.17 */
export const IOSQE_CQE_SKIP_SUCCESS_BIT = 6;

/** sqe->fd is an index into the registered file table. Linux 5.1 */
export const IOSQE_FIXED_FILE = 1 << IOSQE_FIXED_FILE_BIT;
/** Start this request only after all earlier ones completed. Linux 5.2 */
export const IOSQE_IO_DRAIN = 1 << IOSQE_IO_DRAIN_BIT;
/** Link the next SQE to this one; the chain breaks on error. Linux 5.3 */
export const IOSQE_IO_LINK = 1 << IOSQE_IO_LINK_BIT;
/** Link the next SQE to this one and keep the chain on error. Linux 5.5 */
export const IOSQE_IO_HARDLINK = 1 << IOSQE_IO_HARDLINK_BIT;
/** Always punt the request to an io-wq worker. Linux 5.6 */
export const IOSQE_ASYNC = 1 << IOSQE_ASYNC_BIT;
/** Pick a buffer from the provided-buffer group in sqe->buf_group. Linux 5.7 */
export const IOSQE_BUFFER_SELECT = 1 << IOSQE_BUFFER_SELECT_BIT;
/** Post no CQE when the request succeeds. Linux 5.17 */
export const IOSQE_CQE_SKIP_SUCCESS = 1 << IOSQE_CQE_SKIP_SUCCESS_BIT;

/** sqe->file_index value asking the kernel to allocate a free direct descriptor. Linux 5.19 */
export const IORING_FILE_INDEX_ALLOC = 0xffffffff;

/** sqe->attr_type_mask bit: sqe->attr_ptr points to a struct io_uring_attr_pi. Linux 6.14 */
export const IORING_RW_ATTR_FLAG_PI = 1 << 0;

// ---------------------------------------------------------------------------------------------------------
// io_uring_setup(2) flags (io_uring_params.flags)
// ---------------------------------------------------------------------------------------------------------

/** Busy-poll for completions (O_DIRECT files on polled block devices). Linux 5.1 */
export const IORING_SETUP_IOPOLL = 1 << 0;
/** A kernel thread polls the SQ; submission without a syscall. Linux 5.1 */
export const IORING_SETUP_SQPOLL = 1 << 1;
/** Pin the SQPOLL thread to io_uring_params.sq_thread_cpu. Linux 5.1 */
export const IORING_SETUP_SQ_AFF = 1 << 2;
/** Use io_uring_params.cq_entries as the CQ size. Linux 5.5 */
export const IORING_SETUP_CQSIZE = 1 << 3;
/** Clamp oversized SQ/CQ sizes instead of failing with EINVAL. Linux 5.6 */
export const IORING_SETUP_CLAMP = 1 << 4;
/** Share the io-wq backend of the ring in io_uring_params.wq_fd. Linux 5.6 */
export const IORING_SETUP_ATTACH_WQ = 1 << 5;
/** Start disabled; enable with IORING_REGISTER_ENABLE_RINGS (after restrictions). Linux 5.10 */
export const IORING_SETUP_R_DISABLED = 1 << 6;
/** Keep submitting the batch after an SQE fails to prepare. Linux 5.18 */
export const IORING_SETUP_SUBMIT_ALL = 1 << 7;
/** Run completion task work at the next kernel transition instead of interrupting. Linux 5.19 */
export const IORING_SETUP_COOP_TASKRUN = 1 << 8;
/** Set IORING_SQ_TASKRUN in the SQ flags when task work is pending. Linux 5.19 */
export const IORING_SETUP_TASKRUN_FLAG = 1 << 9;
/** SQEs are 128 bytes (80-byte command area at offset 48). Linux 5.19 */
export const IORING_SETUP_SQE128 = 1 << 10;
/** CQEs are 32 bytes (16 extra bytes in big_cqe). Linux 5.19 */
export const IORING_SETUP_CQE32 = 1 << 11;
/** Only one task submits; lets the kernel skip locking. Linux 6.0 */
export const IORING_SETUP_SINGLE_ISSUER = 1 << 12;
/** Run task work only when the submitter waits with GETEVENTS (needs SINGLE_ISSUER). Linux 6.1 */
export const IORING_SETUP_DEFER_TASKRUN = 1 << 13;
/** The application supplies the ring memory (sq_off/cq_off.user_addr). Linux 6.5 */
export const IORING_SETUP_NO_MMAP = 1 << 14;
/** Return a registered ring index instead of a file descriptor. Linux 6.5 */
export const IORING_SETUP_REGISTERED_FD_ONLY = 1 << 15;
/** No SQ index array: the SQ tail indexes the SQE array directly. Linux 6.6 */
export const IORING_SETUP_NO_SQARRAY = 1 << 16;
/** With IOPOLL: sleep before polling, then poll (hybrid polling). Linux 6.13 */
export const IORING_SETUP_HYBRID_IOPOLL = 1 << 17;
/** 16- and 32-byte CQEs in one ring; big ones carry IORING_CQE_F_32. Linux 6.18 */
export const IORING_SETUP_CQE_MIXED = 1 << 18;
/** 64- and 128-byte SQEs in one ring; big ones use the *128 opcodes. Linux 6.19 */
export const IORING_SETUP_SQE_MIXED = 1 << 19;
/**
 * Every submit reads SQEs from slot 0 on, ignoring the SQ head and tail (which stay 0): put a batch at the start
 * of the SQE array and pass its size as to_submit. Needs NO_SQARRAY; not with SQPOLL. Linux 7.0
 */
export const IORING_SETUP_SQ_REWIND = 1 << 20;

// ---------------------------------------------------------------------------------------------------------
// Opcodes: enum io_uring_op (sqe->opcode)
// ---------------------------------------------------------------------------------------------------------

/** Do nothing; completes with res 0 (or an injected result). Linux 5.1 */
export const IORING_OP_NOP = 0;
/** preadv2(2). Linux 5.1 */
export const IORING_OP_READV = 1;
/** pwritev2(2). Linux 5.1 */
export const IORING_OP_WRITEV = 2;
/** fsync(2) / fdatasync(2). Linux 5.1 */
export const IORING_OP_FSYNC = 3;
/** Read into a registered buffer. Linux 5.1 */
export const IORING_OP_READ_FIXED = 4;
/** Write from a registered buffer. Linux 5.1 */
export const IORING_OP_WRITE_FIXED = 5;
/** Poll a file descriptor (one-shot, or multishot with IORING_POLL_ADD_MULTI). Linux 5.1 */
export const IORING_OP_POLL_ADD = 6;
/** Remove or update a poll request. Linux 5.1 */
export const IORING_OP_POLL_REMOVE = 7;
/** sync_file_range(2). Linux 5.2 */
export const IORING_OP_SYNC_FILE_RANGE = 8;
/** sendmsg(2). Linux 5.3 */
export const IORING_OP_SENDMSG = 9;
/** recvmsg(2). Linux 5.3 */
export const IORING_OP_RECVMSG = 10;
/** Timeout, completing after a time or a number of completions. Linux 5.4 */
export const IORING_OP_TIMEOUT = 11;
/** Remove or update a timeout. Linux 5.5 */
export const IORING_OP_TIMEOUT_REMOVE = 12;
/** accept4(2). Linux 5.5 */
export const IORING_OP_ACCEPT = 13;
/** Cancel an in-flight request. Linux 5.5 */
export const IORING_OP_ASYNC_CANCEL = 14;
/** Timeout for the request linked before it. Linux 5.5 */
export const IORING_OP_LINK_TIMEOUT = 15;
/** connect(2). Linux 5.5 */
export const IORING_OP_CONNECT = 16;
/** fallocate(2). Linux 5.6 */
export const IORING_OP_FALLOCATE = 17;
/** openat(2). Linux 5.6 */
export const IORING_OP_OPENAT = 18;
/** close(2), also of direct descriptors. Linux 5.6 */
export const IORING_OP_CLOSE = 19;
/** Update registered files from within the ring. Linux 5.6 */
export const IORING_OP_FILES_UPDATE = 20;
/** statx(2). Linux 5.6 */
export const IORING_OP_STATX = 21;
/** read(2)/pread(2) into a plain buffer. Linux 5.6 */
export const IORING_OP_READ = 22;
/** write(2)/pwrite(2) from a plain buffer. Linux 5.6 */
export const IORING_OP_WRITE = 23;
/** posix_fadvise(2). Linux 5.6 */
export const IORING_OP_FADVISE = 24;
/** madvise(2). Linux 5.6 */
export const IORING_OP_MADVISE = 25;
/** send(2). Linux 5.6 */
export const IORING_OP_SEND = 26;
/** recv(2); multishot with IORING_RECV_MULTISHOT. Linux 5.6 */
export const IORING_OP_RECV = 27;
/** openat2(2). Linux 5.6 */
export const IORING_OP_OPENAT2 = 28;
/** epoll_ctl(2). Linux 5.6 */
export const IORING_OP_EPOLL_CTL = 29;
/** splice(2). Linux 5.7 */
export const IORING_OP_SPLICE = 30;
/** Hand buffers to a legacy provided-buffer group. Linux 5.7 */
export const IORING_OP_PROVIDE_BUFFERS = 31;
/** Take buffers back from a legacy provided-buffer group. Linux 5.7 */
export const IORING_OP_REMOVE_BUFFERS = 32;
/** tee(2). Linux 5.8 */
export const IORING_OP_TEE = 33;
/** shutdown(2). Linux 5.11 */
export const IORING_OP_SHUTDOWN = 34;
/** renameat2(2). Linux 5.11 */
export const IORING_OP_RENAMEAT = 35;
/** unlinkat(2). Linux 5.11 */
export const IORING_OP_UNLINKAT = 36;
/** mkdirat(2). Linux 5.15 */
export const IORING_OP_MKDIRAT = 37;
/** symlinkat(2). Linux 5.15 */
export const IORING_OP_SYMLINKAT = 38;
/** linkat(2). Linux 5.15 */
export const IORING_OP_LINKAT = 39;
/** Post a CQE to (or pass a direct descriptor to) another ring. Linux 5.18 */
export const IORING_OP_MSG_RING = 40;
/** fsetxattr(2). Linux 5.19 */
export const IORING_OP_FSETXATTR = 41;
/** setxattr(2). Linux 5.19 */
export const IORING_OP_SETXATTR = 42;
/** fgetxattr(2). Linux 5.19 */
export const IORING_OP_FGETXATTR = 43;
/** getxattr(2). Linux 5.19 */
export const IORING_OP_GETXATTR = 44;
/** socket(2), optionally into a direct descriptor. Linux 5.19 */
export const IORING_OP_SOCKET = 45;
/** Driver-specific command (sqe->cmd_op) on a file, e.g. NVMe, ublk, sockets. Linux 5.19 */
export const IORING_OP_URING_CMD = 46;
/** Zero-copy send; a second CQE with IORING_CQE_F_NOTIF releases the buffer. Linux 6.0 */
export const IORING_OP_SEND_ZC = 47;
/** Zero-copy sendmsg. Linux 6.1 */
export const IORING_OP_SENDMSG_ZC = 48;
/** Multishot read into provided buffers (pipes, sockets, eventfd). Linux 6.7 */
export const IORING_OP_READ_MULTISHOT = 49;
/** waitid(2). Linux 6.7 */
export const IORING_OP_WAITID = 50;
/** futex2 wait. Linux 6.7 */
export const IORING_OP_FUTEX_WAIT = 51;
/** futex2 wake. Linux 6.7 */
export const IORING_OP_FUTEX_WAKE = 52;
/** futex_waitv(2). Linux 6.7 */
export const IORING_OP_FUTEX_WAITV = 53;
/** Install a direct descriptor as a normal file descriptor. Linux 6.8 */
export const IORING_OP_FIXED_FD_INSTALL = 54;
/** ftruncate(2). Linux 6.9 */
export const IORING_OP_FTRUNCATE = 55;
/** bind(2). Linux 6.11 */
export const IORING_OP_BIND = 56;
/** listen(2). Linux 6.11 */
export const IORING_OP_LISTEN = 57;
/** Zero-copy receive from a zcrx interface queue. Linux 6.15 */
export const IORING_OP_RECV_ZC = 58;
/** epoll_wait(2). Linux 6.15 */
export const IORING_OP_EPOLL_WAIT = 59;
/** preadv2(2) into registered buffers. Linux 6.15 */
export const IORING_OP_READV_FIXED = 60;
/** pwritev2(2) from registered buffers. Linux 6.15 */
export const IORING_OP_WRITEV_FIXED = 61;
/** pipe2(2), optionally into direct descriptors. Linux 6.16 */
export const IORING_OP_PIPE = 62;
/** NOP in a 128-byte SQE slot (IORING_SETUP_SQE_MIXED rings). Linux 6.19 */
export const IORING_OP_NOP128 = 63;
/** URING_CMD with a 128-byte SQE (IORING_SETUP_SQE_MIXED rings). Linux 6.19 */
export const IORING_OP_URING_CMD128 = 64;
/** One past the last opcode, not an opcode itself: 65 since 6.19 (still in 7.2), 63 in 6.18. Linux 5.5? */
export const IORING_OP_LAST = 65;

// ---------------------------------------------------------------------------------------------------------
// Per-opcode flags
// ---------------------------------------------------------------------------------------------------------

/** sqe->uring_cmd_flags: use the registered buffer at sqe->buf_index. Linux 6.1 */
export const IORING_URING_CMD_FIXED = 1 << 0;
/** sqe->uring_cmd_flags: multishot command (needs IOSQE_BUFFER_SELECT, not with FIXED). Linux 6.18 */
export const IORING_URING_CMD_MULTISHOT = 1 << 1;
/** All sqe->uring_cmd_flags bits userspace may set (FIXED | MULTISHOT since 6.18). Linux 6.1 */
export const IORING_URING_CMD_MASK = IORING_URING_CMD_FIXED | IORING_URING_CMD_MULTISHOT;

/** sqe->fsync_flags: fdatasync instead of fsync. Linux 5.1 */
export const IORING_FSYNC_DATASYNC = 1 << 0;

/** sqe->timeout_flags: the timespec is an absolute time. Linux 5.5 */
export const IORING_TIMEOUT_ABS = 1 << 0;
/** sqe->timeout_flags (TIMEOUT_REMOVE): update an existing timeout. Linux 5.11 */
export const IORING_TIMEOUT_UPDATE = 1 << 1;
/** sqe->timeout_flags: measure against CLOCK_BOOTTIME. Linux 5.15 */
export const IORING_TIMEOUT_BOOTTIME = 1 << 2;
/** sqe->timeout_flags: measure against CLOCK_REALTIME. Linux 5.15 */
export const IORING_TIMEOUT_REALTIME = 1 << 3;
/** sqe->timeout_flags (TIMEOUT_REMOVE): update an existing linked timeout. Linux 5.15 */
export const IORING_LINK_TIMEOUT_UPDATE = 1 << 4;
/** sqe->timeout_flags: report expiry as success (res 0) instead of -ETIME. Linux 5.16 */
export const IORING_TIMEOUT_ETIME_SUCCESS = 1 << 5;
/** sqe->timeout_flags: multishot timeout (repeats sqe->off times, 0 = forever). Linux 6.4 */
export const IORING_TIMEOUT_MULTISHOT = 1 << 6;
/** sqe->timeout_flags: sqe->addr (addr2 for an update) is the time in nanoseconds, not a timespec pointer. Linux 7.1 */
export const IORING_TIMEOUT_IMMEDIATE_ARG = 1 << 7;
/** Mask of the timeout clock selection bits. Linux 5.15 */
export const IORING_TIMEOUT_CLOCK_MASK = IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME;
/** Mask of the timeout update bits. Linux 5.15 */
export const IORING_TIMEOUT_UPDATE_MASK = IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE;

/** sqe->splice_flags: sqe->splice_fd_in is a registered file index (bit 31). Linux 5.7 */
export const SPLICE_F_FD_IN_FIXED = 0x80000000;

/** POLL_ADD flags in sqe->len: multishot poll. Linux 5.13 */
export const IORING_POLL_ADD_MULTI = 1 << 0;
/** POLL_REMOVE flags in sqe->len: update the poll mask. Linux 5.13 */
export const IORING_POLL_UPDATE_EVENTS = 1 << 1;
/** POLL_REMOVE flags in sqe->len: update the user_data. Linux 5.13 */
export const IORING_POLL_UPDATE_USER_DATA = 1 << 2;
/** POLL_ADD flags in sqe->len: level-triggered poll. Linux 6.0 (6.18 refuses it in POLL_ADD's len with EINVAL) */
export const IORING_POLL_ADD_LEVEL = 1 << 3;

/** ASYNC_CANCEL: cancel every request matching the key. Linux 5.19 */
export const IORING_ASYNC_CANCEL_ALL = 1 << 0;
/** ASYNC_CANCEL: match on sqe->fd instead of user_data. Linux 5.19 */
export const IORING_ASYNC_CANCEL_FD = 1 << 1;
/** ASYNC_CANCEL: match any request. Linux 5.19 */
export const IORING_ASYNC_CANCEL_ANY = 1 << 2;
/** ASYNC_CANCEL: sqe->fd is a registered file index. Linux 6.0 */
export const IORING_ASYNC_CANCEL_FD_FIXED = 1 << 3;
/** ASYNC_CANCEL: match on user_data (the default when no other key is given). Linux 6.6 */
export const IORING_ASYNC_CANCEL_USERDATA = 1 << 4;
/** ASYNC_CANCEL: match on opcode. Linux 6.6 */
export const IORING_ASYNC_CANCEL_OP = 1 << 5;

/** send/recv flags in sqe->ioprio: arm poll first instead of trying the transfer. Linux 5.19 */
export const IORING_RECVSEND_POLL_FIRST = 1 << 0;
/** Multishot recv: keep receiving into provided buffers. Linux 6.0 */
export const IORING_RECV_MULTISHOT = 1 << 1;
/** send/recv flags in sqe->ioprio: the registered buffer at sqe->buf_index (SEND/RECV since 7.2). Linux 6.0 */
export const IORING_RECVSEND_FIXED_BUF = 1 << 2;
/** SEND[MSG]_ZC: report in the notification CQE whether data was copied. Linux 6.2 */
export const IORING_SEND_ZC_REPORT_USAGE = 1 << 3;
/** send/recv with IOSQE_BUFFER_SELECT: use several provided buffers in one go. Linux 6.10 */
export const IORING_RECVSEND_BUNDLE = 1 << 4;
/** SEND[_ZC]: sqe->addr points to an iovec array of sqe->len entries. Linux 6.17 */
export const IORING_SEND_VECTORIZED = 1 << 5;
/** cqe->res bit of a zero-copy notification: the data was (partly) copied. Linux 6.2 */
export const IORING_NOTIF_USAGE_ZC_COPIED = 0x80000000;

/** accept flags in sqe->ioprio: multishot accept. Linux 5.19 */
export const IORING_ACCEPT_MULTISHOT = 1 << 0;
/** accept flags in sqe->ioprio: fail with -EAGAIN instead of waiting. Linux 6.10 */
export const IORING_ACCEPT_DONTWAIT = 1 << 1;
/** accept flags in sqe->ioprio: arm poll first. Linux 6.10 */
export const IORING_ACCEPT_POLL_FIRST = 1 << 2;

/** enum io_uring_msg_ring_flags, sqe->addr of MSG_RING: post sqe->len as res and sqe->off as user_data. Linux 5.18 */
export const IORING_MSG_DATA = 0;
/** enum io_uring_msg_ring_flags, sqe->addr of MSG_RING: pass a direct descriptor to the target ring. Linux 6.0 */
export const IORING_MSG_SEND_FD = 1;
/** sqe->msg_ring_flags: post no CQE in the target ring. Linux 6.0 */
export const IORING_MSG_RING_CQE_SKIP = 1 << 0;
/** sqe->msg_ring_flags: pass sqe->file_index through as the target cqe->flags. Linux 6.3 */
export const IORING_MSG_RING_FLAGS_PASS = 1 << 1;

/** sqe->install_fd_flags: do not set O_CLOEXEC on the installed descriptor. Linux 6.8 */
export const IORING_FIXED_FD_NO_CLOEXEC = 1 << 0;

/** sqe->nop_flags: complete with the result in sqe->len. Linux 6.10 */
export const IORING_NOP_INJECT_RESULT = 1 << 0;
/** sqe->nop_flags: look up the file in sqe->fd. Linux 6.13 */
export const IORING_NOP_FILE = 1 << 1;
/** sqe->nop_flags: sqe->fd is a registered file index. Linux 6.13 */
export const IORING_NOP_FIXED_FILE = 1 << 2;
/** sqe->nop_flags: look up the registered buffer at sqe->buf_index. Linux 6.13 */
export const IORING_NOP_FIXED_BUFFER = 1 << 3;
/** sqe->nop_flags: complete through task work. Linux 6.17 */
export const IORING_NOP_TW = 1 << 4;
/** sqe->nop_flags: post a 32-byte CQE (big_cqe = sqe->off, sqe->addr). Linux 6.18 */
export const IORING_NOP_CQE32 = 1 << 5;

// ---------------------------------------------------------------------------------------------------------
// Completion queue entry flags (cqe->flags)
// ---------------------------------------------------------------------------------------------------------

/** The upper 16 bits of cqe->flags hold the buffer ID used. Linux 5.7 */
export const IORING_CQE_F_BUFFER = 1 << 0;
/** The request stays armed and will post more CQEs. Linux 5.13 */
export const IORING_CQE_F_MORE = 1 << 1;
/** The socket had more data after this recv. Linux 5.19 */
export const IORING_CQE_F_SOCK_NONEMPTY = 1 << 2;
/** A zero-copy send notification: the buffer may be reused. Linux 6.0 */
export const IORING_CQE_F_NOTIF = 1 << 3;
/** Incremental provided buffer: this buffer ID will receive more data. Linux 6.12 */
export const IORING_CQE_F_BUF_MORE = 1 << 4;
/** Filler CQE in a CQE_MIXED ring: ignore it. Linux 6.18 */
export const IORING_CQE_F_SKIP = 1 << 5;
/** This CQE is 32 bytes (CQE_MIXED rings). Linux 6.18 */
export const IORING_CQE_F_32 = 1 << 15;
/** Shift of the buffer ID in cqe->flags. Linux 5.7 */
export const IORING_CQE_BUFFER_SHIFT = 16;

// ---------------------------------------------------------------------------------------------------------
// mmap(2) offsets
// ---------------------------------------------------------------------------------------------------------

/** mmap offset of the SQ ring (and of the single mapping with IORING_FEAT_SINGLE_MMAP). Linux 5.1 */
export const IORING_OFF_SQ_RING = 0;
/** mmap offset of the CQ ring. Linux 5.1 */
export const IORING_OFF_CQ_RING = 0x8000000;
/** mmap offset of the SQE array. Linux 5.1 */
export const IORING_OFF_SQES = 0x10000000;
/** mmap offset of a kernel-allocated buffer ring; add bgid << IORING_OFF_PBUF_SHIFT. Linux 6.4 */
export const IORING_OFF_PBUF_RING = 0x80000000;
/** Shift of the buffer group ID within IORING_OFF_PBUF_RING mappings. Linux 6.4 */
export const IORING_OFF_PBUF_SHIFT = 16;
/** Mask selecting the mapping type from an mmap offset. Linux 6.4 */
export const IORING_OFF_MMAP_MASK = 0xf8000000;
/** io_uring/memmap.h (not uapi): mmap offset of a MEM_REGION region (see region_desc.mmap_offset). Linux 6.13 */
export const IORING_MAP_OFF_PARAM_REGION = 0x20000000;
/** io_uring/memmap.h (not uapi): mmap offset of zcrx refill-queue regions (see region_desc.mmap_offset). Linux 6.15 */
export const IORING_MAP_OFF_ZCRX_REGION = 0x30000000;
/** io_uring/memmap.h (not uapi): shift of the zcrx ID within IORING_MAP_OFF_ZCRX_REGION offsets. Linux 6.16? */
export const IORING_OFF_ZCRX_SHIFT = 16;

// ---------------------------------------------------------------------------------------------------------
// Ring flags shared with userspace
// ---------------------------------------------------------------------------------------------------------

/** SQ ring flag: the SQPOLL thread sleeps; wake it with IORING_ENTER_SQ_WAKEUP. Linux 5.1 */
export const IORING_SQ_NEED_WAKEUP = 1 << 0;
/** SQ ring flag: completions overflowed the CQ ring and wait in the kernel. Linux 5.9? */
export const IORING_SQ_CQ_OVERFLOW = 1 << 1;
/** SQ ring flag: task work is pending; enter the kernel to run it. Linux 5.19 */
export const IORING_SQ_TASKRUN = 1 << 2;

/** CQ ring flag: do not signal the registered eventfd. Linux 5.8 */
export const IORING_CQ_EVENTFD_DISABLED = 1 << 0;

// ---------------------------------------------------------------------------------------------------------
// io_uring_enter(2) flags
// ---------------------------------------------------------------------------------------------------------

/** Wait for min_complete completions. Linux 5.1 */
export const IORING_ENTER_GETEVENTS = 1 << 0;
/** Wake the SQPOLL thread. Linux 5.1 */
export const IORING_ENTER_SQ_WAKEUP = 1 << 1;
/** Wait until the SQ has free space (SQPOLL). Linux 5.10 */
export const IORING_ENTER_SQ_WAIT = 1 << 2;
/** The argument is a struct io_uring_getevents_arg (timeout, sigmask). Linux 5.11 */
export const IORING_ENTER_EXT_ARG = 1 << 3;
/** fd is a registered ring index, not a file descriptor. Linux 5.18 */
export const IORING_ENTER_REGISTERED_RING = 1 << 4;
/** The EXT_ARG timeout is absolute (clock from IORING_REGISTER_CLOCK). Linux 6.12 */
export const IORING_ENTER_ABS_TIMER = 1 << 5;
/** The argument is an offset into the registered io_uring_reg_wait region. Linux 6.13 */
export const IORING_ENTER_EXT_ARG_REG = 1 << 6;
/** Do not account the wait as iowait. Linux 6.15 */
export const IORING_ENTER_NO_IOWAIT = 1 << 7;

// ---------------------------------------------------------------------------------------------------------
// Feature flags (io_uring_params.features)
// ---------------------------------------------------------------------------------------------------------

/** SQ and CQ rings share one mmap. Linux 5.4 */
export const IORING_FEAT_SINGLE_MMAP = 1 << 0;
/** Completions are never dropped on CQ overflow. Linux 5.5 */
export const IORING_FEAT_NODROP = 1 << 1;
/** SQE data is consumed at submission; it may be reused afterwards. Linux 5.5 */
export const IORING_FEAT_SUBMIT_STABLE = 1 << 2;
/** Offset -1 means the current file position for reads and writes. Linux 5.6 */
export const IORING_FEAT_RW_CUR_POS = 1 << 3;
/** Requests run with the submitter's credentials (personality support). Linux 5.6 */
export const IORING_FEAT_CUR_PERSONALITY = 1 << 4;
/** Internal poll instead of io-wq for pollable files. Linux 5.7 */
export const IORING_FEAT_FAST_POLL = 1 << 5;
/** 32-bit poll masks (poll32_events). Linux 5.9 */
export const IORING_FEAT_POLL_32BITS = 1 << 6;
/** SQPOLL works without registered files. Linux 5.11 */
export const IORING_FEAT_SQPOLL_NONFIXED = 1 << 7;
/** io_uring_enter accepts IORING_ENTER_EXT_ARG. Linux 5.11 */
export const IORING_FEAT_EXT_ARG = 1 << 8;
/** io-wq workers are threads of the submitting task. Linux 5.12 */
export const IORING_FEAT_NATIVE_WORKERS = 1 << 9;
/** Registered resources can carry tags (FILES2/BUFFERS2). Linux 5.13 */
export const IORING_FEAT_RSRC_TAGS = 1 << 10;
/** IOSQE_CQE_SKIP_SUCCESS is supported. Linux 5.17 */
export const IORING_FEAT_CQE_SKIP = 1 << 11;
/** Files of linked requests are resolved when the request runs. Linux 5.17 */
export const IORING_FEAT_LINKED_FILE = 1 << 12;
/** io_uring_register accepts IORING_REGISTER_USE_REGISTERED_RING. Linux 6.3 */
export const IORING_FEAT_REG_REG_RING = 1 << 13;
/** IORING_RECVSEND_BUNDLE is supported. Linux 6.10 */
export const IORING_FEAT_RECVSEND_BUNDLE = 1 << 14;
/** io_uring_getevents_arg.min_wait_usec is honoured. Linux 6.12 */
export const IORING_FEAT_MIN_TIMEOUT = 1 << 15;
/** Read/write attributes (sqe->attr_ptr, attr_type_mask) are supported. Linux 6.14 */
export const IORING_FEAT_RW_ATTR = 1 << 16;
/** IORING_ENTER_NO_IOWAIT is supported. Linux 6.15 */
export const IORING_FEAT_NO_IOWAIT = 1 << 17;

// ---------------------------------------------------------------------------------------------------------
// io_uring_register(2) opcodes: enum io_uring_register_op
// ---------------------------------------------------------------------------------------------------------

/** Register fixed buffers (iovec array). Linux 5.1 */
export const IORING_REGISTER_BUFFERS = 0;
/** Unregister all fixed buffers. Linux 5.1 */
export const IORING_UNREGISTER_BUFFERS = 1;
/** Register a file descriptor table. Linux 5.1 */
export const IORING_REGISTER_FILES = 2;
/** Unregister the file table. Linux 5.1 */
export const IORING_UNREGISTER_FILES = 3;
/** Register an eventfd signalled on completions. Linux 5.2 */
export const IORING_REGISTER_EVENTFD = 4;
/** Unregister the eventfd. Linux 5.2 */
export const IORING_UNREGISTER_EVENTFD = 5;
/** Update entries of the file table (struct io_uring_files_update). Linux 5.5 */
export const IORING_REGISTER_FILES_UPDATE = 6;
/** Register an eventfd signalled only for asynchronous completions. Linux 5.6 */
export const IORING_REGISTER_EVENTFD_ASYNC = 7;
/** Fill a struct io_uring_probe with the supported opcodes. Linux 5.6 */
export const IORING_REGISTER_PROBE = 8;
/** Register the current credentials; returns a personality ID. Linux 5.6 */
export const IORING_REGISTER_PERSONALITY = 9;
/** Unregister a personality ID. Linux 5.6 */
export const IORING_UNREGISTER_PERSONALITY = 10;
/** Restrict opcodes and flags of an R_DISABLED ring. Linux 5.10 */
export const IORING_REGISTER_RESTRICTIONS = 11;
/** Enable a ring created with IORING_SETUP_R_DISABLED. Linux 5.10 */
export const IORING_REGISTER_ENABLE_RINGS = 12;
/** Register files with tags (struct io_uring_rsrc_register). Linux 5.13 */
export const IORING_REGISTER_FILES2 = 13;
/** Update files with tags (struct io_uring_rsrc_update2). Linux 5.13 */
export const IORING_REGISTER_FILES_UPDATE2 = 14;
/** Register buffers with tags (struct io_uring_rsrc_register). Linux 5.13 */
export const IORING_REGISTER_BUFFERS2 = 15;
/** Update buffers with tags (struct io_uring_rsrc_update2). Linux 5.13 */
export const IORING_REGISTER_BUFFERS_UPDATE = 16;
/** Set the CPU affinity of io-wq workers. Linux 5.14 */
export const IORING_REGISTER_IOWQ_AFF = 17;
/** Clear the io-wq CPU affinity. Linux 5.14 */
export const IORING_UNREGISTER_IOWQ_AFF = 18;
/** Set/get the maximum number of bounded and unbounded io-wq workers. Linux 5.15 */
export const IORING_REGISTER_IOWQ_MAX_WORKERS = 19;
/** Register ring file descriptors for IORING_ENTER_REGISTERED_RING. Linux 5.18 */
export const IORING_REGISTER_RING_FDS = 20;
/** Unregister registered ring descriptors. Linux 5.18 */
export const IORING_UNREGISTER_RING_FDS = 21;
/** Register a provided-buffer ring (struct io_uring_buf_reg). Linux 5.19 */
export const IORING_REGISTER_PBUF_RING = 22;
/** Unregister a provided-buffer ring. Linux 5.19 */
export const IORING_UNREGISTER_PBUF_RING = 23;
/** Cancel requests synchronously (struct io_uring_sync_cancel_reg). Linux 6.0 */
export const IORING_REGISTER_SYNC_CANCEL = 24;
/** Set the range of file slots used for IORING_FILE_INDEX_ALLOC. Linux 6.0 */
export const IORING_REGISTER_FILE_ALLOC_RANGE = 25;
/** Read the head of a provided-buffer ring (struct io_uring_buf_status). Linux 6.8 */
export const IORING_REGISTER_PBUF_STATUS = 26;
/** Enable NAPI busy polling (struct io_uring_napi). Linux 6.9 */
export const IORING_REGISTER_NAPI = 27;
/** Disable NAPI busy polling. Linux 6.9 */
export const IORING_UNREGISTER_NAPI = 28;
/** Choose the clock for waits (struct io_uring_clock_register). Linux 6.12 */
export const IORING_REGISTER_CLOCK = 29;
/** Clone registered buffers from another ring (struct io_uring_clone_buffers). Linux 6.12 */
export const IORING_REGISTER_CLONE_BUFFERS = 30;
/** Send a MSG_RING SQE without a source ring (fd -1). Linux 6.13 */
export const IORING_REGISTER_SEND_MSG_RING = 31;
/** Register a zero-copy receive interface queue (struct io_uring_zcrx_ifq_reg). Linux 6.15 */
export const IORING_REGISTER_ZCRX_IFQ = 32;
/** Resize the SQ/CQ rings (struct io_uring_params). Linux 6.13 */
export const IORING_REGISTER_RESIZE_RINGS = 33;
/** Register a memory region, e.g. for registered wait arguments (struct io_uring_mem_region_reg). Linux 6.13 */
export const IORING_REGISTER_MEM_REGION = 34;
/** Query supported features (struct io_uring_query_hdr chain); works with fd -1. Linux 6.18 */
export const IORING_REGISTER_QUERY = 35;
/** Control a zcrx instance (struct zcrx_ctrl). Linux 6.19 */
export const IORING_REGISTER_ZCRX_CTRL = 36;
/** Attach a classic BPF filter to an opcode, for the ring or (fd -1) the task (struct io_uring_bpf). Linux 7.0 */
export const IORING_REGISTER_BPF_FILTER = 37;
/** One past the last register opcode, not an opcode itself: 38 since 7.0 (37 in 6.19, 36 in 6.18). Linux 5.10? */
export const IORING_REGISTER_LAST = 38;
/** Flag or-ed into the register opcode: fd is a registered ring index. Linux 6.3 */
export const IORING_REGISTER_USE_REGISTERED_RING = 0x80000000;

/** io-wq worker category for bounded work (IORING_REGISTER_IOWQ_MAX_WORKERS index). Linux 5.15 */
export const IO_WQ_BOUND = 0;
/** io-wq worker category for unbounded work. Linux 5.15 */
export const IO_WQ_UNBOUND = 1;

// ---------------------------------------------------------------------------------------------------------
// Register arguments: flags and enums
// ---------------------------------------------------------------------------------------------------------

/** io_uring_region_desc.flags: the region uses user memory at user_addr. Linux 6.13 */
export const IORING_MEM_REGION_TYPE_USER = 1;
/** io_uring_mem_region_reg.flags: the region holds registered wait arguments. Linux 6.13 */
export const IORING_MEM_REGION_REG_WAIT_ARG = 1;
/** io_uring_rsrc_register.flags: register a sparse (empty) table of nr entries. Linux 5.19 */
export const IORING_RSRC_REGISTER_SPARSE = 1 << 0;
/** File table update value: leave this slot unchanged. Linux 5.12 */
export const IORING_REGISTER_FILES_SKIP = -2;
/** io_uring_probe_op.flags: the opcode is supported. Linux 5.6 */
export const IO_URING_OP_SUPPORTED = 1 << 0;
/** io_uring_clone_buffers.flags: src_fd is a registered ring index. Linux 6.12 */
export const IORING_REGISTER_SRC_REGISTERED = 1 << 0;
/** io_uring_clone_buffers.flags: replace existing buffers in the destination range. Linux 6.13 */
export const IORING_REGISTER_DST_REPLACE = 1 << 1;

/** enum io_uring_register_pbuf_ring_flags: the kernel allocates the ring; mmap it at IORING_OFF_PBUF_RING. Linux 6.4 */
export const IOU_PBUF_RING_MMAP = 1;
/** enum io_uring_register_pbuf_ring_flags: buffers are consumed incrementally. Linux 6.12 */
export const IOU_PBUF_RING_INC = 2;

/** enum io_uring_napi_op: register NAPI settings. Linux 6.13 */
export const IO_URING_NAPI_REGISTER_OP = 0;
/** enum io_uring_napi_op: add a NAPI ID to the static list. Linux 6.13 */
export const IO_URING_NAPI_STATIC_ADD_ID = 1;
/** enum io_uring_napi_op: remove a NAPI ID from the static list. Linux 6.13 */
export const IO_URING_NAPI_STATIC_DEL_ID = 2;
/** enum io_uring_napi_tracking_strategy: track NAPI IDs of polled sockets. Linux 6.13 */
export const IO_URING_NAPI_TRACKING_DYNAMIC = 0;
/** enum io_uring_napi_tracking_strategy: only NAPI IDs added explicitly. Linux 6.13 */
export const IO_URING_NAPI_TRACKING_STATIC = 1;
/** enum io_uring_napi_tracking_strategy: no tracking. Linux 6.13 */
export const IO_URING_NAPI_TRACKING_INACTIVE = 255;

/** enum io_uring_register_restriction_op: allow a register opcode. Linux 5.10 */
export const IORING_RESTRICTION_REGISTER_OP = 0;
/** enum io_uring_register_restriction_op: allow an SQE opcode. Linux 5.10 */
export const IORING_RESTRICTION_SQE_OP = 1;
/** enum io_uring_register_restriction_op: allow these SQE flags. Linux 5.10 */
export const IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2;
/** enum io_uring_register_restriction_op: require these SQE flags on every SQE. Linux 5.10 */
export const IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3;
/** One past the last restriction opcode. Linux 5.10 */
export const IORING_RESTRICTION_LAST = 4;

/** io_uring_reg_wait.flags: the ts field is valid. Linux 6.13 */
export const IORING_REG_WAIT_TS = 1 << 0;

// ---------------------------------------------------------------------------------------------------------
// uring_cmd command codes (sqe->cmd_op)
// ---------------------------------------------------------------------------------------------------------

/** enum io_uring_socket_op: bytes waiting to be read (ioctl SIOCINQ). Linux 6.7 */
export const SOCKET_URING_OP_SIOCINQ = 0;
/** enum io_uring_socket_op: bytes not yet sent (ioctl SIOCOUTQ). Linux 6.7 */
export const SOCKET_URING_OP_SIOCOUTQ = 1;
/** enum io_uring_socket_op: getsockopt (SOL_SOCKET only). Linux 6.7 */
export const SOCKET_URING_OP_GETSOCKOPT = 2;
/** enum io_uring_socket_op: setsockopt. Linux 6.7 */
export const SOCKET_URING_OP_SETSOCKOPT = 3;
/** enum io_uring_socket_op: transmit timestamps (needs CQE32 or CQE_MIXED). Linux 6.17 */
export const SOCKET_URING_OP_TX_TIMESTAMP = 4;
/** enum io_uring_socket_op: getsockname(2), or getpeername(2) when asked for the peer. Linux 6.19 */
export const SOCKET_URING_OP_GETSOCKNAME = 5;

/** TX_TIMESTAMP: cqe->flags bit marking a hardware timestamp. Linux 6.17 */
export const IORING_TIMESTAMP_HW_SHIFT = 16;
/** TX_TIMESTAMP: shift of the timestamp type (SCM_TSTAMP_*) in cqe->flags. Linux 6.17 */
export const IORING_TIMESTAMP_TYPE_SHIFT = IORING_TIMESTAMP_HW_SHIFT + 1;
/** TX_TIMESTAMP: cqe->flags flag for a hardware timestamp. Linux 6.17 */
export const IORING_CQE_F_TSTAMP_HW = 1 << IORING_TIMESTAMP_HW_SHIFT;

/** Block device discard (linux/blkdev.h, _IO(0x12, 0)): sqe->addr = start, sqe->addr3 = length. Linux 6.12 */
export const BLOCK_URING_CMD_DISCARD = 0x1200;
/**
 * Reset every sequential-write-required zone of a zoned block device (linux/blkdev.h, _IO(0x12, 1)); addr and addr3
 * must be 0. Posted in July 2026 with liburing's io_uring_prep_cmd_zone_reset_all ("since Linux 7.TBD"); not in
 * 7.2, whose blkdev_uring_cmd() answers EINVAL. Linux 7.3?
 */
export const BLOCK_URING_CMD_ZONE_RESET_ALL = 0x1201;

// ---------------------------------------------------------------------------------------------------------
// Zero-copy receive (zcrx)
// ---------------------------------------------------------------------------------------------------------

/** Bit at which the area ID is encoded in zcrx buffer offsets. Linux 6.15 */
export const IORING_ZCRX_AREA_SHIFT = 48;
/** Mask of the area ID bits in zcrx buffer offsets: ~((1 << 48) - 1) as u64; needs 64 bits, so a bigint. Linux 6.15 */
export const IORING_ZCRX_AREA_MASK = 0xffff000000000000n;
/** enum io_uring_zcrx_area_flags: the area is a dma-buf (io_uring_zcrx_area_reg.dmabuf_fd). Linux 6.16 */
export const IORING_ZCRX_AREA_DMABUF = 1;
/** enum zcrx_reg_flags: import a zcrx exported with ZCRX_CTRL_EXPORT (fd in if_idx). Linux 6.19 */
export const ZCRX_REG_IMPORT = 1;
/** enum zcrx_reg_flags: no net device: every byte is copied; the refill queue may need a flush. Linux 7.1 */
export const ZCRX_REG_NODEV = 2;
/** enum zcrx_features (io_uring_query_zcrx.features): rx_buf_len picks the rx page size. Linux 7.0 */
export const ZCRX_FEATURE_RX_PAGE_SIZE = 1 << 0;
/** enum zcrx_features: events through io_uring_zcrx_ifq_reg.event_desc (struct zcrx_event_desc). Linux 7.2 */
export const ZCRX_FEATURE_EVENT = 1 << 1;
/** enum zcrx_event_type: the page pool could not allocate (the zcrx is out of buffers). Linux 7.2 */
export const ZCRX_EVENT_ALLOC_FAIL = 0;
/** enum zcrx_event_type: data was copied instead of received in place. Linux 7.2 */
export const ZCRX_EVENT_COPY = 1;
/** enum zcrx_event_type: number of event types. Linux 7.2 */
export const __ZCRX_EVENT_TYPE_LAST = 2;
/** enum zcrx_event_desc_flags: stats_offset places a struct zcrx_stats in the refill region. Linux 7.2 */
export const ZCRX_EVENT_DESC_FLAG_STATS = 1 << 0;
/** enum zcrx_ctrl_op: flush the refill queue synchronously. Linux 6.19 */
export const ZCRX_CTRL_FLUSH_RQ = 0;
/** enum zcrx_ctrl_op: export the zcrx as a file descriptor for other rings. Linux 6.19 */
export const ZCRX_CTRL_EXPORT = 1;
/** enum zcrx_ctrl_op: re-arm an event type after its CQE was handled (struct zcrx_ctrl_arm_event). Linux 7.2 */
export const ZCRX_CTRL_ARM_EVENT = 2;
/** enum zcrx_ctrl_op: number of control opcodes: 3 since 7.2 (2 in 6.19). Linux 6.19 */
export const __ZCRX_CTRL_LAST = 3;

// ---------------------------------------------------------------------------------------------------------
// IORING_REGISTER_QUERY (linux/io_uring/query.h)
// ---------------------------------------------------------------------------------------------------------

/** Query: opcode, register-opcode, feature and flag support (struct io_uring_query_opcode). Linux 6.18 */
export const IO_URING_QUERY_OPCODES = 0;
/** Query: zcrx capabilities (struct io_uring_query_zcrx). Linux 6.19 */
export const IO_URING_QUERY_ZCRX = 1;
/** Query: SQ/CQ ring header size and alignment (struct io_uring_query_scq). Linux 6.19 */
export const IO_URING_QUERY_SCQ = 2;
/** Query: zcrx event types and the zcrx_stats layout (struct io_uring_query_zcrx_event). Linux 7.2 */
export const IO_URING_QUERY_ZCRX_EVENT = 3;
/** Number of query opcodes: 4 in the 7.2 header (3 in 6.19, 1 in 6.18). Linux 6.18 */
export const __IO_URING_QUERY_MAX = 4;

// ---------------------------------------------------------------------------------------------------------
// IORING_REGISTER_BPF_FILTER (linux/io_uring/bpf_filter.h)
// ---------------------------------------------------------------------------------------------------------

/** io_uring_bpf.cmd_type: register a filter (struct io_uring_bpf_filter). Linux 7.0 */
export const IO_URING_BPF_CMD_FILTER = 1;
/** io_uring_bpf_filter.flags: every opcode without a filter yet gets one that denies it. Linux 7.0 */
export const IO_URING_BPF_FILTER_DENY_REST = 1;
/** io_uring_bpf_filter.flags: refuse (EMSGSIZE) unless pdu_size equals the kernel's for the opcode. Linux 7.0 */
export const IO_URING_BPF_FILTER_SZ_STRICT = 2;

// ---------------------------------------------------------------------------------------------------------
// Struct layouts: SIZE in bytes and the byte offset of every member (union members share offsets)
// ---------------------------------------------------------------------------------------------------------

/** struct io_uring_sqe: submission queue entry, 64 bytes (128 with SQE128, cmd then 80 bytes). Linux 5.1 to 6.16 */
export const io_uring_sqe = Object.freeze({
  SIZE: 64,
  opcode: 0,
  flags: 1,
  ioprio: 2,
  fd: 4,
  off: 8,
  addr2: 8,
  cmd_op: 8,
  __pad1: 12,
  addr: 16,
  splice_off_in: 16,
  level: 16,
  optname: 20,
  len: 24,
  rw_flags: 28,
  fsync_flags: 28,
  poll_events: 28,
  poll32_events: 28,
  sync_range_flags: 28,
  msg_flags: 28,
  timeout_flags: 28,
  accept_flags: 28,
  cancel_flags: 28,
  open_flags: 28,
  statx_flags: 28,
  fadvise_advice: 28,
  splice_flags: 28,
  rename_flags: 28,
  unlink_flags: 28,
  hardlink_flags: 28,
  xattr_flags: 28,
  msg_ring_flags: 28,
  uring_cmd_flags: 28,
  waitid_flags: 28,
  futex_flags: 28,
  install_fd_flags: 28,
  nop_flags: 28,
  pipe_flags: 28,
  user_data: 32,
  buf_index: 40,
  buf_group: 40,
  personality: 42,
  splice_fd_in: 44,
  file_index: 44,
  zcrx_ifq_idx: 44,
  optlen: 44,
  addr_len: 44,
  __pad3: 46,
  write_stream: 44,
  __pad4: 45,
  addr3: 48,
  __pad2: 56,
  attr_ptr: 48,
  attr_type_mask: 56,
  optval: 48,
  cmd: 48,
} as const);

/** struct io_uring_attr_pi: protection information for reads/writes (IORING_RW_ATTR_FLAG_PI). Linux 6.14 */
export const io_uring_attr_pi = Object.freeze({
  SIZE: 32,
  flags: 0,
  app_tag: 2,
  len: 4,
  addr: 8,
  seed: 16,
  rsvd: 24,
} as const);

/** struct io_uring_cqe: completion queue entry, 16 bytes (32 with CQE32: big_cqe holds 16 more). Linux 5.1 */
export const io_uring_cqe = Object.freeze({
  SIZE: 16,
  user_data: 0,
  res: 8,
  flags: 12,
  big_cqe: 16,
} as const);

/** struct io_sqring_offsets: SQ ring offsets, returned in io_uring_params.sq_off. Linux 5.1 (user_addr 6.5) */
export const io_sqring_offsets = Object.freeze({
  SIZE: 40,
  head: 0,
  tail: 4,
  ring_mask: 8,
  ring_entries: 12,
  flags: 16,
  dropped: 20,
  array: 24,
  resv1: 28,
  user_addr: 32,
} as const);

/** struct io_cqring_offsets: CQ ring offsets, in io_uring_params.cq_off. Linux 5.1 (flags 5.8, user_addr 6.5) */
export const io_cqring_offsets = Object.freeze({
  SIZE: 40,
  head: 0,
  tail: 4,
  ring_mask: 8,
  ring_entries: 12,
  overflow: 16,
  cqes: 20,
  flags: 24,
  resv1: 28,
  user_addr: 32,
} as const);

/** struct io_uring_params: io_uring_setup(2) argument, filled in by the kernel. Linux 5.1 (wq_fd 5.6) */
export const io_uring_params = Object.freeze({
  SIZE: 120,
  sq_entries: 0,
  cq_entries: 4,
  flags: 8,
  sq_thread_cpu: 12,
  sq_thread_idle: 16,
  features: 20,
  wq_fd: 24,
  resv: 28,
  sq_off: 40,
  cq_off: 80,
} as const);

/** struct io_uring_files_update: IORING_REGISTER_FILES_UPDATE argument (superseded by rsrc_update). Linux 5.5 */
export const io_uring_files_update = Object.freeze({
  SIZE: 16,
  offset: 0,
  resv: 4,
  fds: 8,
} as const);

/** struct io_uring_region_desc: a memory region for MEM_REGION, zcrx and ring resizing. Linux 6.13 */
export const io_uring_region_desc = Object.freeze({
  SIZE: 64,
  user_addr: 0,
  size: 8,
  flags: 16,
  id: 20,
  mmap_offset: 24,
  __resv: 32,
} as const);

/** struct io_uring_mem_region_reg: IORING_REGISTER_MEM_REGION argument. Linux 6.13 */
export const io_uring_mem_region_reg = Object.freeze({
  SIZE: 32,
  region_uptr: 0,
  flags: 8,
  __resv: 16,
} as const);

/** struct io_uring_rsrc_register: IORING_REGISTER_FILES2/BUFFERS2 argument. Linux 5.13 (flags 5.19) */
export const io_uring_rsrc_register = Object.freeze({
  SIZE: 32,
  nr: 0,
  flags: 4,
  resv2: 8,
  data: 16,
  tags: 24,
} as const);

/** struct io_uring_rsrc_update: IORING_REGISTER_FILES_UPDATE argument. Linux 5.13 */
export const io_uring_rsrc_update = Object.freeze({
  SIZE: 16,
  offset: 0,
  resv: 4,
  data: 8,
} as const);

/** struct io_uring_rsrc_update2: IORING_REGISTER_FILES_UPDATE2/BUFFERS_UPDATE argument. Linux 5.13 */
export const io_uring_rsrc_update2 = Object.freeze({
  SIZE: 32,
  offset: 0,
  resv: 4,
  data: 8,
  tags: 16,
  nr: 24,
  resv2: 28,
} as const);

/** struct io_uring_probe_op: one entry of io_uring_probe.ops. Linux 5.6 */
export const io_uring_probe_op = Object.freeze({
  SIZE: 8,
  op: 0,
  resv: 1,
  flags: 2,
  resv2: 4,
} as const);

/** struct io_uring_probe: IORING_REGISTER_PROBE result header; ops[] follows at offset 16. Linux 5.6 */
export const io_uring_probe = Object.freeze({
  SIZE: 16,
  last_op: 0,
  ops_len: 1,
  resv: 2,
  resv2: 4,
  ops: 16,
} as const);

/** struct io_uring_restriction: one IORING_REGISTER_RESTRICTIONS entry. Linux 5.10 */
export const io_uring_restriction = Object.freeze({
  SIZE: 16,
  opcode: 0,
  register_op: 2,
  sqe_op: 2,
  sqe_flags: 2,
  resv: 3,
  resv2: 4,
} as const);

/** struct io_uring_task_restriction: REGISTER_RESTRICTIONS with fd -1; nr_res entries follow. Linux 7.0 */
export const io_uring_task_restriction = Object.freeze({
  SIZE: 16,
  flags: 0,
  nr_res: 2,
  resv: 4,
  restrictions: 16,
} as const);

/** struct io_uring_clock_register: IORING_REGISTER_CLOCK argument. Linux 6.12 */
export const io_uring_clock_register = Object.freeze({
  SIZE: 16,
  clockid: 0,
  __resv: 4,
} as const);

/** struct io_uring_clone_buffers: IORING_REGISTER_CLONE_BUFFERS argument. Linux 6.12 (src_off, dst_off, nr 6.13) */
export const io_uring_clone_buffers = Object.freeze({
  SIZE: 32,
  src_fd: 0,
  flags: 4,
  src_off: 8,
  dst_off: 12,
  nr: 16,
  pad: 20,
} as const);

/** struct io_uring_buf: one provided-buffer ring entry. Linux 5.19 */
export const io_uring_buf = Object.freeze({
  SIZE: 16,
  addr: 0,
  len: 8,
  bid: 12,
  resv: 14,
} as const);

/** struct io_uring_buf_ring: provided-buffer ring; the u16 tail overlays bufs[0].resv at byte 14. Linux 5.19 */
export const io_uring_buf_ring = Object.freeze({
  SIZE: 16,
  resv1: 0,
  resv2: 8,
  resv3: 12,
  tail: 14,
  bufs: 0,
} as const);

/** struct io_uring_buf_reg: IORING_(UN)REGISTER_PBUF_RING argument. Linux 5.19 (min_left: see below) */
export const io_uring_buf_reg = Object.freeze({
  SIZE: 40,
  ring_addr: 0,
  ring_entries: 8,
  bgid: 12,
  flags: 14,
  // min_left (u32) was carved out of resv by a 2026 fix for incremental buffers that stable 6.18.y carries
  // (this project's 6.18 kernel has it); the v6.18 and v6.19 tags still have resv u64[3] at 16.
  min_left: 16,
  resv: 20,
} as const);

/** struct io_uring_buf_status: IORING_REGISTER_PBUF_STATUS argument. Linux 6.8 */
export const io_uring_buf_status = Object.freeze({
  SIZE: 40,
  buf_group: 0,
  head: 4,
  resv: 8,
} as const);

/** struct io_uring_napi: IORING_(UN)REGISTER_NAPI argument. Linux 6.9 (opcode, op_param 6.13) */
export const io_uring_napi = Object.freeze({
  SIZE: 16,
  busy_poll_to: 0,
  prefer_busy_poll: 4,
  opcode: 5,
  pad: 6,
  op_param: 8,
  resv: 12,
} as const);

/** struct io_uring_reg_wait: one registered wait argument (IORING_ENTER_EXT_ARG_REG). Linux 6.13 */
export const io_uring_reg_wait = Object.freeze({
  SIZE: 64,
  ts: 0,
  min_wait_usec: 16,
  flags: 20,
  sigmask: 24,
  sigmask_sz: 32,
  pad: 36,
  pad2: 48,
} as const);

/** struct io_uring_getevents_arg: io_uring_enter(2) EXT_ARG argument. Linux 5.11 (min_wait_usec 6.12) */
export const io_uring_getevents_arg = Object.freeze({
  SIZE: 24,
  sigmask: 0,
  sigmask_sz: 8,
  min_wait_usec: 12,
  ts: 16,
} as const);

/** struct io_uring_sync_cancel_reg: IORING_REGISTER_SYNC_CANCEL argument. Linux 6.0 (opcode 6.6) */
export const io_uring_sync_cancel_reg = Object.freeze({
  SIZE: 64,
  addr: 0,
  fd: 8,
  flags: 12,
  timeout: 16,
  opcode: 32,
  pad: 33,
  pad2: 40,
} as const);

/** struct io_uring_file_index_range: IORING_REGISTER_FILE_ALLOC_RANGE argument, [off, off + len). Linux 6.0 */
export const io_uring_file_index_range = Object.freeze({
  SIZE: 16,
  off: 0,
  len: 4,
  resv: 8,
} as const);

/** struct io_uring_recvmsg_out: header the kernel writes at the start of a multishot recvmsg buffer. Linux 6.0 */
export const io_uring_recvmsg_out = Object.freeze({
  SIZE: 16,
  namelen: 0,
  controllen: 4,
  payloadlen: 8,
  flags: 12,
} as const);

/** struct io_timespec: TX_TIMESTAMP timestamp in the second half of a 32-byte CQE. Linux 6.17 */
export const io_timespec = Object.freeze({
  SIZE: 16,
  tv_sec: 0,
  tv_nsec: 8,
} as const);

/** struct io_uring_zcrx_rqe: zcrx refill queue entry. Linux 6.15 */
export const io_uring_zcrx_rqe = Object.freeze({
  SIZE: 16,
  off: 0,
  len: 8,
  __pad: 12,
} as const);

/** struct io_uring_zcrx_cqe: zcrx completion data in the second half of a 32-byte CQE. Linux 6.15 */
export const io_uring_zcrx_cqe = Object.freeze({
  SIZE: 16,
  off: 0,
  __pad: 8,
} as const);

/** struct io_uring_zcrx_offsets: offsets within the zcrx refill queue region. Linux 6.15 */
export const io_uring_zcrx_offsets = Object.freeze({
  SIZE: 32,
  head: 0,
  tail: 4,
  rqes: 8,
  __resv2: 12,
  __resv: 16,
} as const);

/** struct io_uring_zcrx_area_reg: zcrx buffer area (user memory or dma-buf). Linux 6.15 (dmabuf_fd 6.16) */
export const io_uring_zcrx_area_reg = Object.freeze({
  SIZE: 48,
  addr: 0,
  len: 8,
  rq_area_token: 16,
  flags: 24,
  dmabuf_fd: 28,
  __resv2: 32,
} as const);

/** struct io_uring_zcrx_ifq_reg: IORING_REGISTER_ZCRX_IFQ argument. Linux 6.15 (rx_buf_len 7.0, event_desc 7.2) */
export const io_uring_zcrx_ifq_reg = Object.freeze({
  SIZE: 96,
  if_idx: 0,
  if_rxq: 4,
  rq_entries: 8,
  flags: 12,
  area_ptr: 16,
  region_ptr: 24,
  offsets: 32,
  zcrx_id: 64,
  // rx_buf_len was __resv2 (u32) before 7.0; event_desc took the first u64 of __resv[3] in 7.2.
  rx_buf_len: 68,
  event_desc: 72,
  __resv: 80,
} as const);

/** struct zcrx_stats: copy-fallback counters kept in the refill region (ZCRX_EVENT_DESC_FLAG_STATS). Linux 7.2 */
export const zcrx_stats = Object.freeze({
  SIZE: 16,
  copy_count: 0,
  copy_bytes: 8,
} as const);

/** struct zcrx_event_desc: which zcrx events post CQEs, pointed to by io_uring_zcrx_ifq_reg.event_desc. Linux 7.2 */
export const zcrx_event_desc = Object.freeze({
  SIZE: 96,
  user_data: 0,
  type_mask: 8,
  flags: 12,
  stats_offset: 16,
  __resv2: 24,
} as const);

/** struct zcrx_ctrl_flush_rq: ZCRX_CTRL_FLUSH_RQ payload (reserved). Linux 6.19 */
export const zcrx_ctrl_flush_rq = Object.freeze({
  SIZE: 48,
  __resv: 0,
} as const);

/** struct zcrx_ctrl_export: ZCRX_CTRL_EXPORT payload; the kernel writes the new fd. Linux 6.19 */
export const zcrx_ctrl_export = Object.freeze({
  SIZE: 48,
  zcrx_fd: 0,
  __resv1: 4,
} as const);

/** struct zcrx_ctrl_arm_event: ZCRX_CTRL_ARM_EVENT payload: the zcrx_event_type to re-arm. Linux 7.2 */
export const zcrx_ctrl_arm_event = Object.freeze({
  SIZE: 48,
  event_type: 0,
  __resv: 4,
} as const);

/** struct zcrx_ctrl: IORING_REGISTER_ZCRX_CTRL argument. Linux 6.19 (zc_arm_event 7.2) */
export const zcrx_ctrl = Object.freeze({
  SIZE: 72,
  zcrx_id: 0,
  op: 4,
  __resv: 8,
  zc_export: 24,
  zc_flush: 24,
  zc_arm_event: 24,
} as const);

/** struct io_uring_query_hdr: one entry of an IORING_REGISTER_QUERY chain. Linux 6.18 */
export const io_uring_query_hdr = Object.freeze({
  SIZE: 40,
  next_entry: 0,
  query_data: 8,
  query_op: 16,
  size: 20,
  result: 24,
  __resv: 28,
} as const);

/** struct io_uring_query_opcode: IO_URING_QUERY_OPCODES result. Linux 6.18 */
export const io_uring_query_opcode = Object.freeze({
  SIZE: 48,
  nr_request_opcodes: 0,
  nr_register_opcodes: 4,
  feature_flags: 8,
  ring_setup_flags: 16,
  enter_flags: 24,
  sqe_flags: 32,
  nr_query_opcodes: 40,
  __pad: 44,
} as const);

/** struct io_uring_query_zcrx: IO_URING_QUERY_ZCRX result. Linux 6.19 (features, formerly __resv1: 7.0) */
export const io_uring_query_zcrx = Object.freeze({
  SIZE: 40,
  register_flags: 0,
  area_flags: 8,
  nr_ctrl_opcodes: 16,
  features: 20,
  rq_hdr_size: 24,
  rq_hdr_alignment: 28,
  __resv2: 32,
} as const);

/** struct io_uring_query_zcrx_event: IO_URING_QUERY_ZCRX_EVENT result. Linux 7.2 */
export const io_uring_query_zcrx_event = Object.freeze({
  SIZE: 48,
  event_flags: 0,
  stats_size: 4,
  stats_off_alignment: 8,
  __resv1: 12,
  __resv2: 16,
} as const);

/** struct io_uring_query_scq: IO_URING_QUERY_SCQ result. Linux 6.19 */
export const io_uring_query_scq = Object.freeze({
  SIZE: 16,
  hdr_size: 0,
  hdr_alignment: 8,
} as const);

/**
 * struct io_uring_bpf_ctx: what a filter's program reads (32-bit loads at 4-byte aligned offsets). The union at 16
 * holds the opcode's payload (`pdu_size` bytes): `socket` (SOCKET: u32 family +0, type +4, protocol +8), `open`
 * (OPENAT/OPENAT2: u64 flags +0, mode +8, resolve +16), `connect` (CONNECT: u32 family +0, be16 port +4, pad +6,
 * be32 v4_addr or v6_addr[16] +8). Linux 7.0 (connect 7.2)
 */
export const io_uring_bpf_ctx = Object.freeze({
  SIZE: 40,
  user_data: 0,
  opcode: 8,
  sqe_flags: 9,
  pdu_size: 10,
  pad: 11,
  socket: 16,
  open: 16,
  connect: 16,
} as const);

/** struct io_uring_bpf_filter: an opcode and a classic BPF program (struct sock_filter[filter_len]). Linux 7.0 */
export const io_uring_bpf_filter = Object.freeze({
  SIZE: 64,
  opcode: 0,
  flags: 4,
  filter_len: 8,
  pdu_size: 12,
  resv: 13,
  filter_ptr: 16,
  resv2: 24,
} as const);

/** struct io_uring_bpf: IORING_REGISTER_BPF_FILTER argument; the kernel writes filter.pdu_size back. Linux 7.0 */
export const io_uring_bpf = Object.freeze({
  SIZE: 72,
  cmd_type: 0,
  cmd_flags: 2,
  resv: 4,
  filter: 8,
} as const);

/** struct __kernel_timespec (linux/time_types.h): the 64-bit timespec io_uring timeouts use since Linux 5.4. */
export const __kernel_timespec = Object.freeze({
  SIZE: 16,
  tv_sec: 0,
  tv_nsec: 8,
} as const);

/** struct open_how (linux/openat2.h): IORING_OP_OPENAT2 argument. Linux 5.6 */
export const open_how = Object.freeze({
  SIZE: 24,
  flags: 0,
  mode: 8,
  resolve: 16,
} as const);

/** struct iovec (sys/uio.h), 64-bit: for READV/WRITEV (Linux 5.1), buffer registration, SEND_VECTORIZED. */
export const iovec = Object.freeze({
  SIZE: 16,
  iov_base: 0,
  iov_len: 8,
} as const);

// ---------------------------------------------------------------------------------------------------------
// Tables for diagnostics
// ---------------------------------------------------------------------------------------------------------

/** A named kernel constant and the kernel version that added it ("5.1"; a trailing "?" means unconfirmed). */
export interface UapiConstant {
  readonly name: string;
  readonly value: number;
  readonly since: string;
}

function table(rows: readonly (readonly [string, number, string])[]): readonly UapiConstant[] {
  return Object.freeze(rows.map(([name, value, since]) => Object.freeze({ name, value, since })));
}

/** Every opcode of enum io_uring_op (IORING_OP_LAST excluded), in opcode order, with the kernel that added it. */
export const OPCODES: readonly UapiConstant[] = table([
  ["IORING_OP_NOP", IORING_OP_NOP, "5.1"],
  ["IORING_OP_READV", IORING_OP_READV, "5.1"],
  ["IORING_OP_WRITEV", IORING_OP_WRITEV, "5.1"],
  ["IORING_OP_FSYNC", IORING_OP_FSYNC, "5.1"],
  ["IORING_OP_READ_FIXED", IORING_OP_READ_FIXED, "5.1"],
  ["IORING_OP_WRITE_FIXED", IORING_OP_WRITE_FIXED, "5.1"],
  ["IORING_OP_POLL_ADD", IORING_OP_POLL_ADD, "5.1"],
  ["IORING_OP_POLL_REMOVE", IORING_OP_POLL_REMOVE, "5.1"],
  ["IORING_OP_SYNC_FILE_RANGE", IORING_OP_SYNC_FILE_RANGE, "5.2"],
  ["IORING_OP_SENDMSG", IORING_OP_SENDMSG, "5.3"],
  ["IORING_OP_RECVMSG", IORING_OP_RECVMSG, "5.3"],
  ["IORING_OP_TIMEOUT", IORING_OP_TIMEOUT, "5.4"],
  ["IORING_OP_TIMEOUT_REMOVE", IORING_OP_TIMEOUT_REMOVE, "5.5"],
  ["IORING_OP_ACCEPT", IORING_OP_ACCEPT, "5.5"],
  ["IORING_OP_ASYNC_CANCEL", IORING_OP_ASYNC_CANCEL, "5.5"],
  ["IORING_OP_LINK_TIMEOUT", IORING_OP_LINK_TIMEOUT, "5.5"],
  ["IORING_OP_CONNECT", IORING_OP_CONNECT, "5.5"],
  ["IORING_OP_FALLOCATE", IORING_OP_FALLOCATE, "5.6"],
  ["IORING_OP_OPENAT", IORING_OP_OPENAT, "5.6"],
  ["IORING_OP_CLOSE", IORING_OP_CLOSE, "5.6"],
  ["IORING_OP_FILES_UPDATE", IORING_OP_FILES_UPDATE, "5.6"],
  ["IORING_OP_STATX", IORING_OP_STATX, "5.6"],
  ["IORING_OP_READ", IORING_OP_READ, "5.6"],
  ["IORING_OP_WRITE", IORING_OP_WRITE, "5.6"],
  ["IORING_OP_FADVISE", IORING_OP_FADVISE, "5.6"],
  ["IORING_OP_MADVISE", IORING_OP_MADVISE, "5.6"],
  ["IORING_OP_SEND", IORING_OP_SEND, "5.6"],
  ["IORING_OP_RECV", IORING_OP_RECV, "5.6"],
  ["IORING_OP_OPENAT2", IORING_OP_OPENAT2, "5.6"],
  ["IORING_OP_EPOLL_CTL", IORING_OP_EPOLL_CTL, "5.6"],
  ["IORING_OP_SPLICE", IORING_OP_SPLICE, "5.7"],
  ["IORING_OP_PROVIDE_BUFFERS", IORING_OP_PROVIDE_BUFFERS, "5.7"],
  ["IORING_OP_REMOVE_BUFFERS", IORING_OP_REMOVE_BUFFERS, "5.7"],
  ["IORING_OP_TEE", IORING_OP_TEE, "5.8"],
  ["IORING_OP_SHUTDOWN", IORING_OP_SHUTDOWN, "5.11"],
  ["IORING_OP_RENAMEAT", IORING_OP_RENAMEAT, "5.11"],
  ["IORING_OP_UNLINKAT", IORING_OP_UNLINKAT, "5.11"],
  ["IORING_OP_MKDIRAT", IORING_OP_MKDIRAT, "5.15"],
  ["IORING_OP_SYMLINKAT", IORING_OP_SYMLINKAT, "5.15"],
  ["IORING_OP_LINKAT", IORING_OP_LINKAT, "5.15"],
  ["IORING_OP_MSG_RING", IORING_OP_MSG_RING, "5.18"],
  ["IORING_OP_FSETXATTR", IORING_OP_FSETXATTR, "5.19"],
  ["IORING_OP_SETXATTR", IORING_OP_SETXATTR, "5.19"],
  ["IORING_OP_FGETXATTR", IORING_OP_FGETXATTR, "5.19"],
  ["IORING_OP_GETXATTR", IORING_OP_GETXATTR, "5.19"],
  ["IORING_OP_SOCKET", IORING_OP_SOCKET, "5.19"],
  ["IORING_OP_URING_CMD", IORING_OP_URING_CMD, "5.19"],
  ["IORING_OP_SEND_ZC", IORING_OP_SEND_ZC, "6.0"],
  ["IORING_OP_SENDMSG_ZC", IORING_OP_SENDMSG_ZC, "6.1"],
  ["IORING_OP_READ_MULTISHOT", IORING_OP_READ_MULTISHOT, "6.7"],
  ["IORING_OP_WAITID", IORING_OP_WAITID, "6.7"],
  ["IORING_OP_FUTEX_WAIT", IORING_OP_FUTEX_WAIT, "6.7"],
  ["IORING_OP_FUTEX_WAKE", IORING_OP_FUTEX_WAKE, "6.7"],
  ["IORING_OP_FUTEX_WAITV", IORING_OP_FUTEX_WAITV, "6.7"],
  ["IORING_OP_FIXED_FD_INSTALL", IORING_OP_FIXED_FD_INSTALL, "6.8"],
  ["IORING_OP_FTRUNCATE", IORING_OP_FTRUNCATE, "6.9"],
  ["IORING_OP_BIND", IORING_OP_BIND, "6.11"],
  ["IORING_OP_LISTEN", IORING_OP_LISTEN, "6.11"],
  ["IORING_OP_RECV_ZC", IORING_OP_RECV_ZC, "6.15"],
  ["IORING_OP_EPOLL_WAIT", IORING_OP_EPOLL_WAIT, "6.15"],
  ["IORING_OP_READV_FIXED", IORING_OP_READV_FIXED, "6.15"],
  ["IORING_OP_WRITEV_FIXED", IORING_OP_WRITEV_FIXED, "6.15"],
  ["IORING_OP_PIPE", IORING_OP_PIPE, "6.16"],
  ["IORING_OP_NOP128", IORING_OP_NOP128, "6.19"],
  ["IORING_OP_URING_CMD128", IORING_OP_URING_CMD128, "6.19"],
]);

/** Every io_uring_setup(2) flag, in bit order, with the kernel that added it. */
export const SETUP_FLAGS: readonly UapiConstant[] = table([
  ["IORING_SETUP_IOPOLL", IORING_SETUP_IOPOLL, "5.1"],
  ["IORING_SETUP_SQPOLL", IORING_SETUP_SQPOLL, "5.1"],
  ["IORING_SETUP_SQ_AFF", IORING_SETUP_SQ_AFF, "5.1"],
  ["IORING_SETUP_CQSIZE", IORING_SETUP_CQSIZE, "5.5"],
  ["IORING_SETUP_CLAMP", IORING_SETUP_CLAMP, "5.6"],
  ["IORING_SETUP_ATTACH_WQ", IORING_SETUP_ATTACH_WQ, "5.6"],
  ["IORING_SETUP_R_DISABLED", IORING_SETUP_R_DISABLED, "5.10"],
  ["IORING_SETUP_SUBMIT_ALL", IORING_SETUP_SUBMIT_ALL, "5.18"],
  ["IORING_SETUP_COOP_TASKRUN", IORING_SETUP_COOP_TASKRUN, "5.19"],
  ["IORING_SETUP_TASKRUN_FLAG", IORING_SETUP_TASKRUN_FLAG, "5.19"],
  ["IORING_SETUP_SQE128", IORING_SETUP_SQE128, "5.19"],
  ["IORING_SETUP_CQE32", IORING_SETUP_CQE32, "5.19"],
  ["IORING_SETUP_SINGLE_ISSUER", IORING_SETUP_SINGLE_ISSUER, "6.0"],
  ["IORING_SETUP_DEFER_TASKRUN", IORING_SETUP_DEFER_TASKRUN, "6.1"],
  ["IORING_SETUP_NO_MMAP", IORING_SETUP_NO_MMAP, "6.5"],
  ["IORING_SETUP_REGISTERED_FD_ONLY", IORING_SETUP_REGISTERED_FD_ONLY, "6.5"],
  ["IORING_SETUP_NO_SQARRAY", IORING_SETUP_NO_SQARRAY, "6.6"],
  ["IORING_SETUP_HYBRID_IOPOLL", IORING_SETUP_HYBRID_IOPOLL, "6.13"],
  ["IORING_SETUP_CQE_MIXED", IORING_SETUP_CQE_MIXED, "6.18"],
  ["IORING_SETUP_SQE_MIXED", IORING_SETUP_SQE_MIXED, "6.19"],
  ["IORING_SETUP_SQ_REWIND", IORING_SETUP_SQ_REWIND, "7.0"],
]);

/** Every io_uring_params.features bit, in bit order, with the kernel that added it. */
export const FEATURES: readonly UapiConstant[] = table([
  ["IORING_FEAT_SINGLE_MMAP", IORING_FEAT_SINGLE_MMAP, "5.4"],
  ["IORING_FEAT_NODROP", IORING_FEAT_NODROP, "5.5"],
  ["IORING_FEAT_SUBMIT_STABLE", IORING_FEAT_SUBMIT_STABLE, "5.5"],
  ["IORING_FEAT_RW_CUR_POS", IORING_FEAT_RW_CUR_POS, "5.6"],
  ["IORING_FEAT_CUR_PERSONALITY", IORING_FEAT_CUR_PERSONALITY, "5.6"],
  ["IORING_FEAT_FAST_POLL", IORING_FEAT_FAST_POLL, "5.7"],
  ["IORING_FEAT_POLL_32BITS", IORING_FEAT_POLL_32BITS, "5.9"],
  ["IORING_FEAT_SQPOLL_NONFIXED", IORING_FEAT_SQPOLL_NONFIXED, "5.11"],
  ["IORING_FEAT_EXT_ARG", IORING_FEAT_EXT_ARG, "5.11"],
  ["IORING_FEAT_NATIVE_WORKERS", IORING_FEAT_NATIVE_WORKERS, "5.12"],
  ["IORING_FEAT_RSRC_TAGS", IORING_FEAT_RSRC_TAGS, "5.13"],
  ["IORING_FEAT_CQE_SKIP", IORING_FEAT_CQE_SKIP, "5.17"],
  ["IORING_FEAT_LINKED_FILE", IORING_FEAT_LINKED_FILE, "5.17"],
  ["IORING_FEAT_REG_REG_RING", IORING_FEAT_REG_REG_RING, "6.3"],
  ["IORING_FEAT_RECVSEND_BUNDLE", IORING_FEAT_RECVSEND_BUNDLE, "6.10"],
  ["IORING_FEAT_MIN_TIMEOUT", IORING_FEAT_MIN_TIMEOUT, "6.12"],
  ["IORING_FEAT_RW_ATTR", IORING_FEAT_RW_ATTR, "6.14"],
  ["IORING_FEAT_NO_IOWAIT", IORING_FEAT_NO_IOWAIT, "6.15"],
]);

/** Every `sqe->flags` bit (`IOSQE_*`), in bit order, with the kernel that added it. */
export const SQE_FLAGS: readonly UapiConstant[] = table([
  ["IOSQE_FIXED_FILE", IOSQE_FIXED_FILE, "5.1"],
  ["IOSQE_IO_DRAIN", IOSQE_IO_DRAIN, "5.2"],
  ["IOSQE_IO_LINK", IOSQE_IO_LINK, "5.3"],
  ["IOSQE_IO_HARDLINK", IOSQE_IO_HARDLINK, "5.5"],
  ["IOSQE_ASYNC", IOSQE_ASYNC, "5.6"],
  ["IOSQE_BUFFER_SELECT", IOSQE_BUFFER_SELECT, "5.7"],
  ["IOSQE_CQE_SKIP_SUCCESS", IOSQE_CQE_SKIP_SUCCESS, "5.17"],
]);

/** Every io_uring_enter(2) flag, in bit order, with the kernel that added it. */
export const ENTER_FLAGS: readonly UapiConstant[] = table([
  ["IORING_ENTER_GETEVENTS", IORING_ENTER_GETEVENTS, "5.1"],
  ["IORING_ENTER_SQ_WAKEUP", IORING_ENTER_SQ_WAKEUP, "5.1"],
  ["IORING_ENTER_SQ_WAIT", IORING_ENTER_SQ_WAIT, "5.10"],
  ["IORING_ENTER_EXT_ARG", IORING_ENTER_EXT_ARG, "5.11"],
  ["IORING_ENTER_REGISTERED_RING", IORING_ENTER_REGISTERED_RING, "5.18"],
  ["IORING_ENTER_ABS_TIMER", IORING_ENTER_ABS_TIMER, "6.12"],
  ["IORING_ENTER_EXT_ARG_REG", IORING_ENTER_EXT_ARG_REG, "6.13"],
  ["IORING_ENTER_NO_IOWAIT", IORING_ENTER_NO_IOWAIT, "6.15"],
]);

/**
 * The kernel's name for an opcode.
 *
 * @param op An `sqe->opcode` value.
 * @returns The name, such as `"IORING_OP_RECV"`, or `"unknown opcode 99"` for a value this table lacks.
 * @example
 * ```ts
 * opcodeName(IORING_OP_PIPE); // "IORING_OP_PIPE"
 * ```
 */
export function opcodeName(op: number): string {
  return OPCODES[op]?.value === op ? OPCODES[op].name : `unknown opcode ${op}`;
}
