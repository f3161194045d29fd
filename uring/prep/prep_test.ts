/**
 * Proof by bytes: every prep helper against liburing.
 *
 * Helpers that liburing 2.3 (the installed liburing.h) has are run side by side with it: the oracle
 * (`testing/liburing_oracle.c`) calls liburing's own inline helper on a zeroed SQE for each argument set and the
 * bytes must match exactly. Helpers newer than 2.3, and the cases where current liburing changed 2.3's behaviour,
 * are checked against field values spelled out from the newest liburing.h. The SQE under test sits in the middle of
 * a three-slot buffer, so a helper whose write lands outside its slot fails too.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { skipIf } from "../../testing/mod.ts";
import { Sqe, sqeSetBufGroup, sqeSetData, sqeSetFlags } from "../ring/sqe.ts";
import {
  BLOCK_URING_CMD_DISCARD,
  BLOCK_URING_CMD_ZONE_RESET_ALL,
  io_uring_sqe,
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_ASYNC_CANCEL_FD,
  IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_OP,
  IORING_ASYNC_CANCEL_USERDATA,
  IORING_FILE_INDEX_ALLOC,
  IORING_FIXED_FD_NO_CLOEXEC,
  IORING_FSYNC_DATASYNC,
  IORING_LINK_TIMEOUT_UPDATE,
  IORING_MSG_RING_CQE_SKIP,
  IORING_MSG_RING_FLAGS_PASS,
  IORING_MSG_SEND_FD,
  IORING_OP_ACCEPT,
  IORING_OP_BIND,
  IORING_OP_EPOLL_WAIT,
  IORING_OP_FADVISE,
  IORING_OP_FIXED_FD_INSTALL,
  IORING_OP_FTRUNCATE,
  IORING_OP_FUTEX_WAIT,
  IORING_OP_FUTEX_WAITV,
  IORING_OP_FUTEX_WAKE,
  IORING_OP_LINK_TIMEOUT,
  IORING_OP_LISTEN,
  IORING_OP_MADVISE,
  IORING_OP_MSG_RING,
  IORING_OP_NOP,
  IORING_OP_NOP128,
  IORING_OP_OPENAT,
  IORING_OP_OPENAT2,
  IORING_OP_PIPE,
  IORING_OP_READ,
  IORING_OP_READ_MULTISHOT,
  IORING_OP_READV_FIXED,
  IORING_OP_SEND,
  IORING_OP_SENDMSG_ZC,
  IORING_OP_SOCKET,
  IORING_OP_TIMEOUT,
  IORING_OP_TIMEOUT_REMOVE,
  IORING_OP_URING_CMD,
  IORING_OP_URING_CMD128,
  IORING_OP_WAITID,
  IORING_OP_WRITEV_FIXED,
  IORING_POLL_ADD_LEVEL,
  IORING_POLL_ADD_MULTI,
  IORING_POLL_UPDATE_EVENTS,
  IORING_POLL_UPDATE_USER_DATA,
  IORING_RECVSEND_BUNDLE,
  IORING_RECVSEND_FIXED_BUF,
  IORING_RECVSEND_POLL_FIRST,
  IORING_SEND_ZC_REPORT_USAGE,
  IORING_TIMEOUT_ABS,
  IORING_TIMEOUT_BOOTTIME,
  IORING_TIMEOUT_ETIME_SUCCESS,
  IORING_TIMEOUT_IMMEDIATE_ARG,
  IORING_TIMEOUT_MULTISHOT,
  IORING_TIMEOUT_REALTIME,
  IORING_TIMEOUT_UPDATE,
  IOSQE_BUFFER_SELECT,
  IOSQE_FIXED_FILE,
  IOSQE_IO_LINK,
  SOCKET_URING_OP_GETSOCKNAME,
  SOCKET_URING_OP_SETSOCKOPT,
  SPLICE_F_FD_IN_FIXED,
} from "../abi/uapi.ts";
import * as prep from "./mod.ts";
import { oracleUnavailable, runOracle } from "../../testing/liburing_oracle.ts";

// ---------------------------------------------------------------------------------------------------------------
// The SQE under test and how a difference is reported
// ---------------------------------------------------------------------------------------------------------------

const SLOT = 128;
const arena = new ArrayBuffer(3 * SLOT);
const u8 = new Uint8Array(arena);
const sqe64 = new Sqe(arena, SLOT, 64, 1);
const sqe128 = new Sqe(arena, SLOT, 128, 1);

/** Runs `fill` on a zeroed SQE in the middle slot and returns that slot's 128 bytes; throws on writes elsewhere. */
function bytesOf(fill: (sqe: Sqe) => void, big = false): Uint8Array {
  u8.fill(0);
  fill(big ? sqe128 : sqe64);
  for (let i = 0; i < u8.length; i++) {
    if ((i < SLOT || i >= 2 * SLOT) && u8[i] !== 0) throw new Error(`wrote byte ${i - SLOT} outside its SQE slot`);
  }
  return u8.slice(SLOT, 2 * SLOT);
}

// The canonical name of each region of the SQE (members of a union listed together), from the uapi offsets.
const REGIONS: readonly (readonly [string, number, number])[] = [
  ["opcode", io_uring_sqe.opcode, 1],
  ["flags", io_uring_sqe.flags, 1],
  ["ioprio", io_uring_sqe.ioprio, 2],
  ["fd", io_uring_sqe.fd, 4],
  ["off/addr2 (cmd_op, __pad1)", io_uring_sqe.off, 8],
  ["addr/splice_off_in (level, optname)", io_uring_sqe.addr, 8],
  ["len", io_uring_sqe.len, 4],
  ["op flags (rw_flags, msg_flags, timeout_flags, ...)", io_uring_sqe.rw_flags, 4],
  ["user_data", io_uring_sqe.user_data, 8],
  ["buf_index/buf_group", io_uring_sqe.buf_index, 2],
  ["personality", io_uring_sqe.personality, 2],
  ["file_index/splice_fd_in/optlen (addr_len)", io_uring_sqe.file_index, 4],
  ["addr3/optval", io_uring_sqe.addr3, 8],
  ["__pad2", io_uring_sqe.__pad2, 8],
  ["cmd[16..80) (the second half of a 128-byte SQE)", io_uring_sqe.SIZE, 64],
];

function hexLE(b: Uint8Array, off: number, size: number): string {
  let s = "";
  for (let i = off + size - 1; i >= off; i--) s += b[i]!.toString(16).padStart(2, "0");
  return "0x" + s;
}

/** The first SQE region where `actual` differs from `expected`, with both values, or undefined when equal. */
function firstDifference(expected: Uint8Array, actual: Uint8Array): string | undefined {
  for (let i = 0; i < SLOT; i++) {
    if (expected[i] === actual[i]) continue;
    const [name, off, size] = REGIONS.find(([, o, n]) => i >= o && i < o + n)!;
    return `${name} (bytes ${off}..${off + size - 1}): expected ${hexLE(expected, off, size)}, ` +
      `got ${hexLE(actual, off, size)}`;
  }
  return undefined;
}

function fromHex(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// Argument values: edges of each C type, and the flags each parameter takes
// ---------------------------------------------------------------------------------------------------------------

const MAX = 2 ** 53 - 1;
const BIG = 0x12_3456_7890;
const ADDR = [0x7fff_0000_1000, 0, 0xffff_ffff, 0x1_0000_0000, BIG, MAX] as const;
const FD = [5, 0, -1, -100, 0x7fff_ffff, -0x8000_0000, 0x1_0000_0005] as const;
const I32 = [7, 0, -1, 0x7fff_ffff, -0x8000_0000, 0x8000_0000, 0xffff_ffff, 0x1_0000_0005] as const;
const U32 = [4096, 0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0005] as const;
const U64 = [0x1000, 0, 0xffff_ffff, 0x1_0000_0000, BIG, MAX, -1, -2] as const;
const U16 = [16, 0, 0xffff, 0x1_0000, 0x1_2345] as const;
const SIZE = [4096, 0, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0005, MAX] as const;
// IORING_FILE_INDEX_ALLOC is left out: current liburing stores it differently from 2.3 (spelled out below).
const FILE_INDEX = [3, 0, 0xffff_fffe] as const;
const MODE = [0o644, 0, 0o7777, 0xffff_ffff] as const;
const RWF = [0, 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x7f, -1] as const;
const MSG = [0, 0x40, 0x100, 0x4000, 0x8000, 0x400_0000, 0x4000_0000, -1] as const;
const SOCK = [0, 0x800, 0x8_0000, 0x8_0800, -1] as const;
const OPEN = [0, 1, 0o1101, 0x8_0000, 0x4000, 0x20_0000, -1] as const;
const AT = [0, 0x100, 0x200, 0x400, 0x800, 0x1000, -1] as const;
const ADVICE = [0, 1, 2, 3, 4, 5, -1] as const;
const TIMEOUT = [
  0, IORING_TIMEOUT_ABS, IORING_TIMEOUT_BOOTTIME, IORING_TIMEOUT_REALTIME, IORING_TIMEOUT_ETIME_SUCCESS,
  IORING_TIMEOUT_MULTISHOT, IORING_LINK_TIMEOUT_UPDATE, IORING_TIMEOUT_UPDATE, 0x7f, 0xffff_ffff,
] as const;
const POLL = [1, 0, 4, 0x2000, 0x8000_0000, 0xffff_ffff] as const;
const POLL_UPDATE = [
  IORING_POLL_UPDATE_EVENTS, 0, IORING_POLL_UPDATE_USER_DATA, IORING_POLL_ADD_MULTI, IORING_POLL_ADD_LEVEL, 0xf,
] as const;
const CANCEL = [
  0, IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_FD, IORING_ASYNC_CANCEL_ANY, IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_USERDATA, IORING_ASYNC_CANCEL_OP, 0x3f, -1,
] as const;
const ZC = [
  0, IORING_RECVSEND_POLL_FIRST, IORING_SEND_ZC_REPORT_USAGE, IORING_RECVSEND_FIXED_BUF, 0xffff, 0x1_0000,
] as const;
const SPLICE = [0, 1, 2, 4, 8, SPLICE_F_FD_IN_FIXED, 0x8000_000f] as const;

// ---------------------------------------------------------------------------------------------------------------
// Helpers proven against the liburing 2.3 oracle
// ---------------------------------------------------------------------------------------------------------------

interface OracleCase {
  /** The TS function's name. */
  name: string;
  /** The oracle command: liburing's name without `io_uring_`. */
  c: string;
  run: (sqe: Sqe, args: readonly number[]) => void;
  argSets: number[][];
}

type Params<A extends number[]> = { [K in keyof A]: readonly number[] };

/**
 * One helper and the values each parameter takes. The argument sets are the first value of every parameter, then
 * each other value of each parameter with the rest at their first value.
 */
function h<A extends number[]>(c: string, fn: (sqe: Sqe, ...args: A) => void, ...params: Params<A>): OracleCase {
  const lists = params as readonly (readonly number[])[];
  const base = lists.map((p) => {
    const [first] = p;
    if (first === undefined) throw new Error(`${c}: every parameter needs at least one value`);
    return first;
  });
  const argSets = [base];
  lists.forEach((p, i) => {
    for (const v of p.slice(1)) argSets.push(base.map((b, j) => (j === i ? v : b)));
  });
  return { name: fn.name, c, run: (sqe, args) => fn(sqe, ...(args as A)), argSets };
}

const ORACLE: OracleCase[] = [
  {
    ...h("prep_rw", (s, op: number, fd: number, addr: number, len: number, off: number) =>
      prep.prepRw(op, s, fd, addr, len, off), [22, 0, 64, 0xff, 0x1ff], FD, ADDR, U32, U64),
    name: "prepRw",
  },
  h("prep_nop", prep.prepNop),
  h("prep_read", prep.prepRead, FD, ADDR, U32, U64),
  h("prep_write", prep.prepWrite, FD, ADDR, U32, U64),
  h("prep_readv", prep.prepReadv, FD, ADDR, U32, U64),
  h("prep_readv2", prep.prepReadv2, FD, ADDR, U32, U64, RWF),
  h("prep_writev", prep.prepWritev, FD, ADDR, U32, U64),
  h("prep_writev2", prep.prepWritev2, FD, ADDR, U32, U64, RWF),
  h("prep_read_fixed", prep.prepReadFixed, FD, ADDR, U32, U64, U16),
  h("prep_write_fixed", prep.prepWriteFixed, FD, ADDR, U32, U64, U16),
  h("prep_openat", prep.prepOpenat, FD, ADDR, OPEN, MODE),
  h("prep_openat_direct", prep.prepOpenatDirect, FD, ADDR, OPEN, MODE, FILE_INDEX),
  h("prep_openat2", prep.prepOpenat2, FD, ADDR, ADDR),
  h("prep_openat2_direct", prep.prepOpenat2Direct, FD, ADDR, ADDR, FILE_INDEX),
  h("prep_close", prep.prepClose, FD),
  h("prep_close_direct", prep.prepCloseDirect, [...FILE_INDEX, 0xffff_ffff]),
  h("prep_statx", prep.prepStatx, FD, ADDR, AT, [0x7ff, 0, 0xfff, 0xffff_ffff], ADDR),
  h("prep_unlinkat", prep.prepUnlinkat, FD, ADDR, AT),
  h("prep_unlink", prep.prepUnlink, ADDR, AT),
  h("prep_renameat", prep.prepRenameat, FD, ADDR, FD, ADDR, [0, 1, 2, 4, 0xffff_ffff]),
  h("prep_rename", prep.prepRename, ADDR, ADDR),
  h("prep_mkdirat", prep.prepMkdirat, FD, ADDR, MODE),
  h("prep_mkdir", prep.prepMkdir, ADDR, MODE),
  h("prep_symlinkat", prep.prepSymlinkat, ADDR, FD, ADDR),
  h("prep_symlink", prep.prepSymlink, ADDR, ADDR),
  h("prep_linkat", prep.prepLinkat, FD, ADDR, FD, ADDR, AT),
  h("prep_link", prep.prepLink, ADDR, ADDR, AT),
  h("prep_getxattr", prep.prepGetxattr, ADDR, ADDR, ADDR, U32),
  h("prep_setxattr", prep.prepSetxattr, ADDR, ADDR, ADDR, [0, 1, 2, -1], U32),
  h("prep_fgetxattr", prep.prepFgetxattr, FD, ADDR, ADDR, U32),
  h("prep_fsetxattr", prep.prepFsetxattr, FD, ADDR, ADDR, [0, 1, 2, -1], U32),
  h("prep_fadvise", prep.prepFadvise, FD, U64, U32, ADVICE),
  h("prep_madvise", prep.prepMadvise, ADDR, U32, ADVICE),
  h("prep_fallocate", prep.prepFallocate, FD, [0, 1, 3, 0x10, -1], U64, U64),
  h("prep_fsync", prep.prepFsync, FD, [0, IORING_FSYNC_DATASYNC, 0xffff_ffff]),
  h("prep_sync_file_range", prep.prepSyncFileRange, FD, U32, U64, [0, 1, 2, 4, 7, -1]),
  h("prep_socket", prep.prepSocket, [2, 10, 1, -1], [1, 2, 0x8_0001, 0x801, -1, 0x8000_0000], [0, 6, 17, -1], U32),
  h("prep_socket_direct", prep.prepSocketDirect, [2, 10, -1], [1, 0x801, -1], [0, 6], FILE_INDEX, U32),
  h("prep_socket_direct_alloc", prep.prepSocketDirectAlloc, [2, 10, -1], [1, 0x801, -1], [0, 6], U32),
  h("prep_accept", prep.prepAccept, FD, ADDR, ADDR, SOCK),
  h("prep_accept_direct", prep.prepAcceptDirect, FD, ADDR, ADDR, SOCK, FILE_INDEX),
  h("prep_multishot_accept", prep.prepMultishotAccept, FD, ADDR, ADDR, SOCK),
  h("prep_multishot_accept_direct", prep.prepMultishotAcceptDirect, FD, ADDR, ADDR, SOCK),
  h("prep_connect", prep.prepConnect, FD, ADDR, [16, 0, 28, 110, 0xffff_ffff, 0x1_0000_0010]),
  h("prep_send", prep.prepSend, FD, ADDR, SIZE, MSG),
  h("prep_send_set_addr", prep.prepSendSetAddr, ADDR, U16),
  h("prep_send_zc", prep.prepSendZc, FD, ADDR, SIZE, MSG, ZC),
  h("prep_send_zc_fixed", prep.prepSendZcFixed, FD, ADDR, SIZE, MSG, ZC, U16),
  h("prep_sendmsg", prep.prepSendmsg, FD, ADDR, MSG),
  h("prep_sendmsg_zc", prep.prepSendmsgZc, FD, ADDR, MSG),
  h("prep_recv", prep.prepRecv, FD, ADDR, SIZE, MSG),
  h("prep_recv_multishot", prep.prepRecvMultishot, FD, ADDR, SIZE, MSG),
  h("prep_recvmsg", prep.prepRecvmsg, FD, ADDR, MSG),
  h("prep_recvmsg_multishot", prep.prepRecvmsgMultishot, FD, ADDR, MSG),
  h("prep_shutdown", prep.prepShutdown, FD, [0, 1, 2, -1]),
  h("prep_poll_add", prep.prepPollAdd, FD, POLL),
  h("prep_poll_multishot", prep.prepPollMultishot, FD, POLL),
  h("prep_poll_remove", prep.prepPollRemove, U64),
  h("prep_poll_update", prep.prepPollUpdate, U64, U64, POLL, POLL_UPDATE),
  h("prep_timeout", prep.prepTimeout, ADDR, U32, TIMEOUT),
  h("prep_timeout_remove", prep.prepTimeoutRemove, U64, TIMEOUT),
  h("prep_timeout_update", prep.prepTimeoutUpdate, ADDR, U64, TIMEOUT),
  h("prep_link_timeout", prep.prepLinkTimeout, ADDR, TIMEOUT),
  h("prep_cancel64", prep.prepCancel64, U64, CANCEL),
  h("prep_cancel", prep.prepCancel, ADDR, CANCEL),
  h("prep_cancel_fd", prep.prepCancelFd, FD, CANCEL),
  h("prep_msg_ring", prep.prepMsgRing, FD, U32, U64, [0, IORING_MSG_RING_CQE_SKIP, 0xffff_ffff]),
  h("prep_provide_buffers", prep.prepProvideBuffers, ADDR, I32, I32, U16, I32),
  h("prep_remove_buffers", prep.prepRemoveBuffers, I32, U16),
  h("prep_splice", prep.prepSplice, FD, U64, FD, U64, U32, SPLICE),
  h("prep_tee", prep.prepTee, FD, FD, U32, SPLICE),
  h("prep_epoll_ctl", prep.prepEpollCtl, FD, FD, [1, 2, 3, -1], ADDR),
  h("prep_files_update", prep.prepFilesUpdate, ADDR, U32, [0, 5, -1, 0x7fff_ffff, 0xffff_ffff, 0x1_0000_0005]),
  h("sqe_set_data64", sqeSetData, [7, 0, 0xffff_ffff, 0x1_0000_0000, BIG, MAX]),
  h("sqe_set_flags", sqeSetFlags, [IOSQE_IO_LINK, 0, 0x7f, 0xff, 0x1ff]),
];

function argText(v: number): string {
  return v < 0 ? String(v) : "0x" + v.toString(16);
}

function commandOf(c: OracleCase, args: readonly number[]): string {
  return [c.c, ...args.map(argText)].join(" ");
}

const unavailable = oracleUnavailable();
// One printed line for all the oracle tests rather than one per helper.
const noOracle = unavailable && `cannot run the liburing oracle: ${unavailable}`;
let oracleOutput: Map<string, string> | undefined;

/** liburing's bytes for one command; the oracle runs once, for every case of every test, on first use. */
function oracleBytes(command: string): Uint8Array {
  if (!oracleOutput) {
    const commands = ORACLE.flatMap((c) => c.argSets.map((args) => commandOf(c, args)));
    const out = runOracle(commands);
    oracleOutput = new Map(commands.map((cmd, i) => [cmd, out[i]!])); // runOracle: one line per command
  }
  return fromHex(oracleOutput.get(command)!);
}

for (const c of ORACLE) {
  const name = `${c.name} writes the bytes liburing 2.3's io_uring_${c.c} writes (${c.argSets.length} argument sets)`;
  test(name, skipIf(noOracle), () => {
    const failures: string[] = [];
    for (const args of c.argSets) {
      const command = commandOf(c, args);
      let diff: string | undefined;
      try {
        diff = firstDifference(oracleBytes(command), bytesOf((sqe) => c.run(sqe, args)));
      } catch (e) {
        if (String(e).includes("oracle")) throw e;
        diff = String(e);
      }
      if (diff) failures.push(`${command}: ${diff}`);
    }
    assert.deepEqual(failures, [], `${c.name} differs from liburing:\n  ${failures.slice(0, 8).join("\n  ")}`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers newer than liburing 2.3, and current liburing's changes: field values spelled out from its liburing.h
// ---------------------------------------------------------------------------------------------------------------

const FIELD_SIZE: Readonly<Record<string, number>> = {
  opcode: 1, flags: 1, ioprio: 2, fd: 4, off: 8, addr2: 8, cmd_op: 4, __pad1: 4, addr: 8, splice_off_in: 8,
  level: 4, optname: 4, len: 4, user_data: 8, buf_index: 2, buf_group: 2, personality: 2, splice_fd_in: 4,
  file_index: 4, optlen: 4, addr_len: 2, addr3: 8, optval: 8, __pad2: 8,
};

type SqeField = Exclude<keyof typeof io_uring_sqe, "SIZE">;
type Fields = Partial<Record<SqeField, number>>;

/** A 128-byte SQE image with `fields` set (as C would store them) and everything else zero. */
function imageOf(fields: Fields): Uint8Array {
  const b = new Uint8Array(SLOT);
  const view = new DataView(b.buffer);
  for (const [name, value] of Object.entries(fields) as [SqeField, number][]) {
    const off = io_uring_sqe[name];
    const size = FIELD_SIZE[name] ?? (off === io_uring_sqe.rw_flags ? 4 : 0);
    if (size === 8) view.setBigUint64(off, BigInt.asUintN(64, BigInt(value)), true);
    else if (size === 4 && value >= -(2 ** 31) && value < 2 ** 32) view.setUint32(off, value >>> 0, true);
    else if (size === 2 && value >= 0 && value <= 0xffff) view.setUint16(off, value, true);
    else if (size === 1 && value >= 0 && value <= 0xff) view.setUint8(off, value);
    else throw new Error(`bad expectation ${name} = ${value}`);
  }
  return b;
}

interface Spelled {
  /** The call, as written in the failure message. */
  call: string;
  run: (sqe: Sqe) => void;
  expect: Fields;
  /** Run on a 128-byte SQE. */
  big?: boolean;
}

const A = 0x7fff_0000_1000;
const A2 = 0x7fff_0000_2000;
const ALLOC = IORING_FILE_INDEX_ALLOC;

/** Spelled-out cases by helper, from the newest liburing.h (liburing 2.14 development tree). */
const SPELLED: Record<string, { liburing: string; cases: Spelled[] }> = {
  prepNop128: {
    liburing: "io_uring_prep_nop128",
    cases: [
      { call: "prepNop128()", run: (s) => prep.prepNop128(s), expect: { opcode: IORING_OP_NOP128, fd: -1 }, big: true },
    ],
  },
  prepReadvFixed: {
    liburing: "io_uring_prep_readv_fixed",
    cases: [
      {
        call: "prepReadvFixed(5, A, 3, BIG, RWF_NOWAIT, 2)",
        run: (s) => prep.prepReadvFixed(s, 5, A, 3, BIG, 8, 2),
        expect: { opcode: IORING_OP_READV_FIXED, fd: 5, addr: A, len: 3, off: BIG, rw_flags: 8, buf_index: 2 },
      },
      {
        call: "prepReadvFixed(-1, MAX, 0xffffffff, -1, -1, 0x10005)",
        run: (s) => prep.prepReadvFixed(s, -1, MAX, 0xffff_ffff, -1, -1, 0x1_0005),
        expect: {
          opcode: IORING_OP_READV_FIXED, fd: -1, addr: MAX, len: 0xffff_ffff, off: -1, rw_flags: -1, buf_index: 5,
        },
      },
    ],
  },
  prepWritevFixed: {
    liburing: "io_uring_prep_writev_fixed",
    cases: [
      {
        call: "prepWritevFixed(5, A, 3, BIG, RWF_DSYNC, 0xffff)",
        run: (s) => prep.prepWritevFixed(s, 5, A, 3, BIG, 2, 0xffff),
        expect: { opcode: IORING_OP_WRITEV_FIXED, fd: 5, addr: A, len: 3, off: BIG, rw_flags: 2, buf_index: 0xffff },
      },
      {
        call: "prepWritevFixed(0, 0, 0, MAX, 0, 0)",
        run: (s) => prep.prepWritevFixed(s, 0, 0, 0, MAX, 0, 0),
        expect: { opcode: IORING_OP_WRITEV_FIXED, off: MAX },
      },
    ],
  },
  prepReadMultishot: {
    liburing: "io_uring_prep_read_multishot",
    cases: [
      {
        call: "prepReadMultishot(7, 4096, 0, 3)",
        run: (s) => prep.prepReadMultishot(s, 7, 4096, 0, 3),
        expect: { opcode: IORING_OP_READ_MULTISHOT, flags: IOSQE_BUFFER_SELECT, fd: 7, len: 4096, buf_group: 3 },
      },
      {
        call: "prepReadMultishot(-1, 0, -1, 0xffff)",
        run: (s) => prep.prepReadMultishot(s, -1, 0, -1, 0xffff),
        expect: { opcode: IORING_OP_READ_MULTISHOT, flags: IOSQE_BUFFER_SELECT, fd: -1, off: -1, buf_group: 0xffff },
      },
      {
        call: "prepReadMultishot(3, 0xffffffff, BIG, 0) after sqeSetFlags(IO_LINK): flags become BUFFER_SELECT",
        run: (s) => {
          sqeSetFlags(s, IOSQE_IO_LINK);
          prep.prepReadMultishot(s, 3, 0xffff_ffff, BIG, 0);
        },
        expect: { opcode: IORING_OP_READ_MULTISHOT, flags: IOSQE_BUFFER_SELECT, fd: 3, len: 0xffff_ffff, off: BIG },
      },
    ],
  },
  prepOpen: {
    liburing: "io_uring_prep_open",
    cases: [
      {
        call: "prepOpen(A, O_WRONLY|O_CREAT|O_TRUNC, 0o644)",
        run: (s) => prep.prepOpen(s, A, 0o1101, 0o644),
        expect: { opcode: IORING_OP_OPENAT, fd: -100, addr: A, len: 0o644, open_flags: 0o1101 },
      },
      {
        call: "prepOpen(MAX, -1, 0xffffffff)",
        run: (s) => prep.prepOpen(s, MAX, -1, 0xffff_ffff),
        expect: { opcode: IORING_OP_OPENAT, fd: -100, addr: MAX, len: 0xffff_ffff, open_flags: 0xffff_ffff },
      },
    ],
  },
  prepOpenDirect: {
    liburing: "io_uring_prep_open_direct",
    cases: [
      {
        call: "prepOpenDirect(A, 0, 0, 3)",
        run: (s) => prep.prepOpenDirect(s, A, 0, 0, 3),
        expect: { opcode: IORING_OP_OPENAT, fd: -100, addr: A, file_index: 4 },
      },
      {
        call: "prepOpenDirect(A, O_RDWR, 0o600, IORING_FILE_INDEX_ALLOC)",
        run: (s) => prep.prepOpenDirect(s, A, 2, 0o600, ALLOC),
        expect: { opcode: IORING_OP_OPENAT, fd: -100, addr: A, len: 0o600, open_flags: 2, file_index: ALLOC },
      },
    ],
  },
  prepOpenatDirect: {
    liburing: "io_uring_prep_openat_direct (IORING_FILE_INDEX_ALLOC, changed since 2.3)",
    cases: [
      {
        call: "prepOpenatDirect(5, A, 0, 0, IORING_FILE_INDEX_ALLOC)",
        run: (s) => prep.prepOpenatDirect(s, 5, A, 0, 0, ALLOC),
        expect: { opcode: IORING_OP_OPENAT, fd: 5, addr: A, file_index: ALLOC },
      },
      {
        call: "prepOpenatDirect(5, A, 0, 0, -1) (-1 is ALLOC as an unsigned int)",
        run: (s) => prep.prepOpenatDirect(s, 5, A, 0, 0, -1),
        expect: { opcode: IORING_OP_OPENAT, fd: 5, addr: A, file_index: ALLOC },
      },
    ],
  },
  prepOpenat2Direct: {
    liburing: "io_uring_prep_openat2_direct (IORING_FILE_INDEX_ALLOC, changed since 2.3)",
    cases: [
      {
        call: "prepOpenat2Direct(-100, A, A2, IORING_FILE_INDEX_ALLOC)",
        run: (s) => prep.prepOpenat2Direct(s, -100, A, A2, ALLOC),
        expect: { opcode: IORING_OP_OPENAT2, fd: -100, addr: A, len: 24, off: A2, file_index: ALLOC },
      },
    ],
  },
  prepAcceptDirect: {
    liburing: "io_uring_prep_accept_direct (IORING_FILE_INDEX_ALLOC, changed since 2.3)",
    cases: [
      {
        call: "prepAcceptDirect(3, A, A2, SOCK_NONBLOCK, IORING_FILE_INDEX_ALLOC)",
        run: (s) => prep.prepAcceptDirect(s, 3, A, A2, 0x800, ALLOC),
        expect: { opcode: IORING_OP_ACCEPT, fd: 3, addr: A, off: A2, accept_flags: 0x800, file_index: ALLOC },
      },
    ],
  },
  prepSocketDirect: {
    liburing: "io_uring_prep_socket_direct (IORING_FILE_INDEX_ALLOC, changed since 2.3)",
    cases: [
      {
        call: "prepSocketDirect(AF_INET, SOCK_STREAM, 0, IORING_FILE_INDEX_ALLOC, 0)",
        run: (s) => prep.prepSocketDirect(s, 2, 1, 0, ALLOC, 0),
        expect: { opcode: IORING_OP_SOCKET, fd: 2, off: 1, file_index: ALLOC },
      },
    ],
  },
  prepFadvise64: {
    liburing: "io_uring_prep_fadvise64",
    cases: [
      {
        call: "prepFadvise64(5, BIG, MAX, POSIX_FADV_DONTNEED)",
        run: (s) => prep.prepFadvise64(s, 5, BIG, MAX, 4),
        expect: { opcode: IORING_OP_FADVISE, fd: 5, off: BIG, addr: MAX, fadvise_advice: 4 },
      },
      {
        call: "prepFadvise64(-1, -1, -1, -1)",
        run: (s) => prep.prepFadvise64(s, -1, -1, -1, -1),
        expect: { opcode: IORING_OP_FADVISE, fd: -1, off: -1, addr: -1, fadvise_advice: -1 },
      },
    ],
  },
  prepMadvise64: {
    liburing: "io_uring_prep_madvise64",
    cases: [
      {
        call: "prepMadvise64(A, MAX, MADV_DONTNEED)",
        run: (s) => prep.prepMadvise64(s, A, MAX, 4),
        expect: { opcode: IORING_OP_MADVISE, fd: -1, addr: A, off: MAX, fadvise_advice: 4 },
      },
      {
        call: "prepMadvise64(0, 0x100000000, 0)",
        run: (s) => prep.prepMadvise64(s, 0, 0x1_0000_0000, 0),
        expect: { opcode: IORING_OP_MADVISE, fd: -1, off: 0x1_0000_0000 },
      },
    ],
  },
  prepFtruncate: {
    liburing: "io_uring_prep_ftruncate",
    cases: [
      {
        call: "prepFtruncate(5, MAX)",
        run: (s) => prep.prepFtruncate(s, 5, MAX),
        expect: { opcode: IORING_OP_FTRUNCATE, fd: 5, off: MAX },
      },
      {
        call: "prepFtruncate(-1, BIG)",
        run: (s) => prep.prepFtruncate(s, -1, BIG),
        expect: { opcode: IORING_OP_FTRUNCATE, fd: -1, off: BIG },
      },
    ],
  },
  prepBind: {
    liburing: "io_uring_prep_bind",
    cases: [
      {
        call: "prepBind(5, A, 16)",
        run: (s) => prep.prepBind(s, 5, A, 16),
        expect: { opcode: IORING_OP_BIND, fd: 5, addr: A, off: 16 },
      },
      {
        call: "prepBind(-1, MAX, 0xffffffff)",
        run: (s) => prep.prepBind(s, -1, MAX, 0xffff_ffff),
        expect: { opcode: IORING_OP_BIND, fd: -1, addr: MAX, off: 0xffff_ffff },
      },
      {
        call: "prepBind(5, A, -1) (socklen_t is unsigned 32-bit)",
        run: (s) => prep.prepBind(s, 5, A, -1),
        expect: { opcode: IORING_OP_BIND, fd: 5, addr: A, off: 0xffff_ffff },
      },
      {
        call: "prepBind(5, A, 0x100000010)",
        run: (s) => prep.prepBind(s, 5, A, 0x1_0000_0010),
        expect: { opcode: IORING_OP_BIND, fd: 5, addr: A, off: 0x10 },
      },
    ],
  },
  prepListen: {
    liburing: "io_uring_prep_listen",
    cases: [
      {
        call: "prepListen(5, 128)",
        run: (s) => prep.prepListen(s, 5, 128),
        expect: { opcode: IORING_OP_LISTEN, fd: 5, len: 128 },
      },
      {
        call: "prepListen(0x7fffffff, -1)",
        run: (s) => prep.prepListen(s, 0x7fff_ffff, -1),
        expect: { opcode: IORING_OP_LISTEN, fd: 0x7fff_ffff, len: 0xffff_ffff },
      },
    ],
  },
  prepSendBundle: {
    liburing: "io_uring_prep_send_bundle",
    cases: [
      {
        call: "prepSendBundle(5, 0, MSG_NOSIGNAL)",
        run: (s) => prep.prepSendBundle(s, 5, 0, 0x4000),
        expect: { opcode: IORING_OP_SEND, fd: 5, ioprio: IORING_RECVSEND_BUNDLE, msg_flags: 0x4000 },
      },
      {
        call: "prepSendBundle(-1, 0x100000005, -1)",
        run: (s) => prep.prepSendBundle(s, -1, 0x1_0000_0005, -1),
        expect: { opcode: IORING_OP_SEND, fd: -1, len: 5, ioprio: IORING_RECVSEND_BUNDLE, msg_flags: -1 },
      },
    ],
  },
  prepSendto: {
    liburing: "io_uring_prep_sendto",
    cases: [
      {
        call: "prepSendto(5, A, 100, MSG_DONTWAIT, A2, 16)",
        run: (s) => prep.prepSendto(s, 5, A, 100, 0x40, A2, 16),
        expect: { opcode: IORING_OP_SEND, fd: 5, addr: A, len: 100, msg_flags: 0x40, addr2: A2, addr_len: 16 },
      },
      {
        call: "prepSendto(5, MAX, 0xffffffff, 0, MAX, 0x10010) (addrlen is truncated to 16 bits)",
        run: (s) => prep.prepSendto(s, 5, MAX, 0xffff_ffff, 0, MAX, 0x1_0010),
        expect: { opcode: IORING_OP_SEND, fd: 5, addr: MAX, len: 0xffff_ffff, addr2: MAX, addr_len: 0x10 },
      },
    ],
  },
  prepSendmsgZcFixed: {
    liburing: "io_uring_prep_sendmsg_zc_fixed",
    cases: [
      {
        call: "prepSendmsgZcFixed(5, A, MSG_NOSIGNAL, 9)",
        run: (s) => prep.prepSendmsgZcFixed(s, 5, A, 0x4000, 9),
        expect: {
          opcode: IORING_OP_SENDMSG_ZC, fd: 5, addr: A, len: 1, msg_flags: 0x4000, ioprio: IORING_RECVSEND_FIXED_BUF,
          buf_index: 9,
        },
      },
      {
        call: "prepSendmsgZcFixed(-1, MAX, -1, 0x1ffff)",
        run: (s) => prep.prepSendmsgZcFixed(s, -1, MAX, -1, 0x1_ffff),
        expect: {
          opcode: IORING_OP_SENDMSG_ZC, fd: -1, addr: MAX, len: 1, msg_flags: -1, ioprio: IORING_RECVSEND_FIXED_BUF,
          buf_index: 0xffff,
        },
      },
    ],
  },
  prepEpollWait: {
    liburing: "io_uring_prep_epoll_wait",
    cases: [
      {
        call: "prepEpollWait(5, A, 64, 0)",
        run: (s) => prep.prepEpollWait(s, 5, A, 64, 0),
        expect: { opcode: IORING_OP_EPOLL_WAIT, fd: 5, addr: A, len: 64 },
      },
      {
        call: "prepEpollWait(-1, MAX, -1, 0xffffffff)",
        run: (s) => prep.prepEpollWait(s, -1, MAX, -1, 0xffff_ffff),
        expect: { opcode: IORING_OP_EPOLL_WAIT, fd: -1, addr: MAX, len: 0xffff_ffff, rw_flags: 0xffff_ffff },
      },
    ],
  },
  prepWaitid: {
    liburing: "io_uring_prep_waitid",
    cases: [
      {
        call: "prepWaitid(P_PID, 1234, A, WEXITED, 0)",
        run: (s) => prep.prepWaitid(s, 1, 1234, A, 4, 0),
        expect: { opcode: IORING_OP_WAITID, fd: 1234, len: 1, file_index: 4, addr2: A },
      },
      {
        call: "prepWaitid(P_PIDFD, 0xffffffff, MAX, WEXITED|WNOWAIT, 0xffffffff)",
        run: (s) => prep.prepWaitid(s, 3, 0xffff_ffff, MAX, 0x100_0004, 0xffff_ffff),
        expect: {
          opcode: IORING_OP_WAITID, fd: -1, len: 3, file_index: 0x100_0004, addr2: MAX, waitid_flags: 0xffff_ffff,
        },
      },
    ],
  },
  prepFutexWait: {
    liburing: "io_uring_prep_futex_wait",
    cases: [
      {
        call: "prepFutexWait(A, 7, FUTEX_BITSET_MATCH_ANY, FUTEX2_SIZE_U32|FUTEX2_PRIVATE, 0)",
        run: (s) => prep.prepFutexWait(s, A, 7, 0xffff_ffff, 0x82, 0),
        expect: { opcode: IORING_OP_FUTEX_WAIT, fd: 0x82, addr: A, off: 7, addr3: 0xffff_ffff },
      },
      {
        call: "prepFutexWait(MAX, MAX, -1, 0xffffffff, 1)",
        run: (s) => prep.prepFutexWait(s, MAX, MAX, -1, 0xffff_ffff, 1),
        expect: { opcode: IORING_OP_FUTEX_WAIT, fd: -1, addr: MAX, off: MAX, addr3: -1, futex_flags: 1 },
      },
    ],
  },
  prepFutexWake: {
    liburing: "io_uring_prep_futex_wake",
    cases: [
      {
        call: "prepFutexWake(A, 1, 0xffffffff, 0x82, 0)",
        run: (s) => prep.prepFutexWake(s, A, 1, 0xffff_ffff, 0x82, 0),
        expect: { opcode: IORING_OP_FUTEX_WAKE, fd: 0x82, addr: A, off: 1, addr3: 0xffff_ffff },
      },
      {
        call: "prepFutexWake(A, BIG, BIG, 3, 2)",
        run: (s) => prep.prepFutexWake(s, A, BIG, BIG, 3, 2),
        expect: { opcode: IORING_OP_FUTEX_WAKE, fd: 3, addr: A, off: BIG, addr3: BIG, futex_flags: 2 },
      },
    ],
  },
  prepFutexWaitv: {
    liburing: "io_uring_prep_futex_waitv",
    cases: [
      {
        call: "prepFutexWaitv(A, 2, 0)",
        run: (s) => prep.prepFutexWaitv(s, A, 2, 0),
        expect: { opcode: IORING_OP_FUTEX_WAITV, addr: A, len: 2 },
      },
      {
        call: "prepFutexWaitv(MAX, 0xffffffff, 0xffffffff)",
        run: (s) => prep.prepFutexWaitv(s, MAX, 0xffff_ffff, 0xffff_ffff),
        expect: { opcode: IORING_OP_FUTEX_WAITV, addr: MAX, len: 0xffff_ffff, futex_flags: 0xffff_ffff },
      },
    ],
  },
  prepFixedFdInstall: {
    liburing: "io_uring_prep_fixed_fd_install",
    cases: [
      {
        call: "prepFixedFdInstall(3, IORING_FIXED_FD_NO_CLOEXEC)",
        run: (s) => prep.prepFixedFdInstall(s, 3, IORING_FIXED_FD_NO_CLOEXEC),
        expect: {
          opcode: IORING_OP_FIXED_FD_INSTALL, flags: IOSQE_FIXED_FILE, fd: 3,
          install_fd_flags: IORING_FIXED_FD_NO_CLOEXEC,
        },
      },
      {
        call: "prepFixedFdInstall(0, 0) after sqeSetFlags(IO_LINK): flags become FIXED_FILE",
        run: (s) => {
          sqeSetFlags(s, IOSQE_IO_LINK);
          prep.prepFixedFdInstall(s, 0, 0);
        },
        expect: { opcode: IORING_OP_FIXED_FD_INSTALL, flags: IOSQE_FIXED_FILE },
      },
    ],
  },
  prepMsgRingCqeFlags: {
    liburing: "io_uring_prep_msg_ring_cqe_flags",
    cases: [
      {
        call: "prepMsgRingCqeFlags(9, 42, BIG, IORING_MSG_RING_CQE_SKIP, 0x10000)",
        run: (s) => prep.prepMsgRingCqeFlags(s, 9, 42, BIG, IORING_MSG_RING_CQE_SKIP, 0x1_0000),
        expect: {
          opcode: IORING_OP_MSG_RING, fd: 9, len: 42, off: BIG,
          msg_ring_flags: IORING_MSG_RING_FLAGS_PASS | IORING_MSG_RING_CQE_SKIP, file_index: 0x1_0000,
        },
      },
      {
        call: "prepMsgRingCqeFlags(-1, 0xffffffff, MAX, 0, 0xffffffff)",
        run: (s) => prep.prepMsgRingCqeFlags(s, -1, 0xffff_ffff, MAX, 0, 0xffff_ffff),
        expect: {
          opcode: IORING_OP_MSG_RING, fd: -1, len: 0xffff_ffff, off: MAX, msg_ring_flags: IORING_MSG_RING_FLAGS_PASS,
          file_index: 0xffff_ffff,
        },
      },
    ],
  },
  prepMsgRingFd: {
    liburing: "io_uring_prep_msg_ring_fd",
    cases: [
      {
        call: "prepMsgRingFd(9, 3, 5, BIG, 0)",
        run: (s) => prep.prepMsgRingFd(s, 9, 3, 5, BIG, 0),
        expect: { opcode: IORING_OP_MSG_RING, fd: 9, addr: IORING_MSG_SEND_FD, off: BIG, addr3: 3, file_index: 6 },
      },
      {
        call: "prepMsgRingFd(9, -1, IORING_FILE_INDEX_ALLOC, MAX, IORING_MSG_RING_CQE_SKIP) (source_fd sign-extends)",
        run: (s) => prep.prepMsgRingFd(s, 9, -1, ALLOC, MAX, IORING_MSG_RING_CQE_SKIP),
        expect: {
          opcode: IORING_OP_MSG_RING, fd: 9, addr: IORING_MSG_SEND_FD, off: MAX, addr3: -1, file_index: ALLOC,
          msg_ring_flags: IORING_MSG_RING_CQE_SKIP,
        },
      },
      {
        call: "prepMsgRingFd(9, 0x7fffffff, -1, 0, 0) (target -1 is ALLOC as an unsigned int)",
        run: (s) => prep.prepMsgRingFd(s, 9, 0x7fff_ffff, -1, 0, 0),
        expect: { opcode: IORING_OP_MSG_RING, fd: 9, addr: IORING_MSG_SEND_FD, addr3: 0x7fff_ffff, file_index: ALLOC },
      },
      {
        call: "prepMsgRingFd(9, 0x80000000, 0xfffffffe, 0, 0)",
        run: (s) => prep.prepMsgRingFd(s, 9, 0x8000_0000, 0xffff_fffe, 0, 0),
        expect: {
          opcode: IORING_OP_MSG_RING, fd: 9, addr: IORING_MSG_SEND_FD, addr3: -(2 ** 31), file_index: 0xffff_ffff,
        },
      },
    ],
  },
  prepMsgRingFdAlloc: {
    liburing: "io_uring_prep_msg_ring_fd_alloc",
    cases: [
      {
        call: "prepMsgRingFdAlloc(9, 3, MAX, 0)",
        run: (s) => prep.prepMsgRingFdAlloc(s, 9, 3, MAX, 0),
        expect: { opcode: IORING_OP_MSG_RING, fd: 9, addr: IORING_MSG_SEND_FD, off: MAX, addr3: 3, file_index: ALLOC },
      },
    ],
  },
  prepUringCmd: {
    liburing: "io_uring_prep_uring_cmd",
    cases: [
      {
        call: "prepUringCmd(0x12345678, 5)",
        run: (s) => prep.prepUringCmd(s, 0x1234_5678, 5),
        expect: { opcode: IORING_OP_URING_CMD, fd: 5, cmd_op: 0x1234_5678 },
      },
      {
        call: "prepUringCmd(0xffffffff, -1) on a 128-byte SQE",
        run: (s) => prep.prepUringCmd(s, 0xffff_ffff, -1),
        expect: { opcode: IORING_OP_URING_CMD, fd: -1, cmd_op: 0xffff_ffff },
        big: true,
      },
    ],
  },
  prepUringCmd128: {
    liburing: "io_uring_prep_uring_cmd128",
    cases: [
      {
        call: "prepUringCmd128(1, 7)",
        run: (s) => prep.prepUringCmd128(s, 1, 7),
        expect: { opcode: IORING_OP_URING_CMD128, fd: 7, cmd_op: 1 },
        big: true,
      },
      {
        call: "prepUringCmd128(-1, 0)",
        run: (s) => prep.prepUringCmd128(s, -1, 0),
        expect: { opcode: IORING_OP_URING_CMD128, cmd_op: 0xffff_ffff },
        big: true,
      },
    ],
  },
  prepCmdSock: {
    liburing: "io_uring_prep_cmd_sock",
    cases: [
      {
        call: "prepCmdSock(SETSOCKOPT, 5, SOL_SOCKET, SO_KEEPALIVE, A, 4)",
        run: (s) => prep.prepCmdSock(s, SOCKET_URING_OP_SETSOCKOPT, 5, 1, 9, A, 4),
        expect: {
          opcode: IORING_OP_URING_CMD, fd: 5, cmd_op: SOCKET_URING_OP_SETSOCKOPT, level: 1, optname: 9, optval: A,
          optlen: 4,
        },
      },
      {
        call: "prepCmdSock(0xffffffff, -1, -1, 0xffffffff, MAX, -1)",
        run: (s) => prep.prepCmdSock(s, 0xffff_ffff, -1, -1, 0xffff_ffff, MAX, -1),
        expect: {
          opcode: IORING_OP_URING_CMD, fd: -1, cmd_op: 0xffff_ffff, level: -1, optname: 0xffff_ffff, optval: MAX,
          optlen: -1,
        },
      },
    ],
  },
  prepCmdGetsockname: {
    liburing: "io_uring_prep_cmd_getsockname",
    cases: [
      {
        call: "prepCmdGetsockname(5, A, A2, 0)",
        run: (s) => prep.prepCmdGetsockname(s, 5, A, A2, 0),
        expect: { opcode: IORING_OP_URING_CMD, fd: 5, cmd_op: SOCKET_URING_OP_GETSOCKNAME, addr: A, addr3: A2 },
      },
      {
        call: "prepCmdGetsockname(-1, MAX, BIG, 1)",
        run: (s) => prep.prepCmdGetsockname(s, -1, MAX, BIG, 1),
        expect: {
          opcode: IORING_OP_URING_CMD, fd: -1, cmd_op: SOCKET_URING_OP_GETSOCKNAME, addr: MAX, addr3: BIG, optlen: 1,
        },
      },
    ],
  },
  prepCmdDiscard: {
    liburing: "io_uring_prep_cmd_discard",
    cases: [
      {
        call: "prepCmdDiscard(5, BIG, MAX)",
        run: (s) => prep.prepCmdDiscard(s, 5, BIG, MAX),
        expect: { opcode: IORING_OP_URING_CMD, fd: 5, cmd_op: BLOCK_URING_CMD_DISCARD, addr: BIG, addr3: MAX },
      },
      {
        call: "prepCmdDiscard(-1, 0, 0x100000000)",
        run: (s) => prep.prepCmdDiscard(s, -1, 0, 0x1_0000_0000),
        expect: { opcode: IORING_OP_URING_CMD, fd: -1, cmd_op: BLOCK_URING_CMD_DISCARD, addr3: 0x1_0000_0000 },
      },
    ],
  },
  prepCmdZoneResetAll: {
    liburing: "io_uring_prep_cmd_zone_reset_all (liburing 2.16)",
    cases: [
      {
        call: "prepCmdZoneResetAll(5)",
        run: (s) => prep.prepCmdZoneResetAll(s, 5),
        expect: { opcode: IORING_OP_URING_CMD, fd: 5, cmd_op: BLOCK_URING_CMD_ZONE_RESET_ALL },
      },
      {
        call: "prepCmdZoneResetAll(-1)",
        run: (s) => prep.prepCmdZoneResetAll(s, -1),
        expect: { opcode: IORING_OP_URING_CMD, fd: -1, cmd_op: BLOCK_URING_CMD_ZONE_RESET_ALL },
      },
    ],
  },
  prepTimeoutImmediate: {
    liburing: "io_uring_prep_timeout(sqe, NULL, count, 0), then addr = ns and timeout_flags = IMMEDIATE_ARG | flags",
    cases: [
      {
        call: "prepTimeoutImmediate(1.5 s, 0, 0)",
        run: (s) => prep.prepTimeoutImmediate(s, 1_500_000_000, 0, 0),
        expect: {
          opcode: IORING_OP_TIMEOUT, fd: -1, addr: 1_500_000_000, len: 1, timeout_flags: IORING_TIMEOUT_IMMEDIATE_ARG,
        },
      },
      {
        call: "prepTimeoutImmediate(MAX, 0x100000005, ABS | BOOTTIME)",
        run: (s) => prep.prepTimeoutImmediate(s, MAX, 0x1_0000_0005, IORING_TIMEOUT_ABS | IORING_TIMEOUT_BOOTTIME),
        expect: {
          opcode: IORING_OP_TIMEOUT, fd: -1, addr: MAX, len: 1, off: 5,
          timeout_flags: IORING_TIMEOUT_IMMEDIATE_ARG | IORING_TIMEOUT_ABS | IORING_TIMEOUT_BOOTTIME,
        },
      },
    ],
  },
  prepLinkTimeoutImmediate: {
    liburing: "io_uring_prep_link_timeout(sqe, NULL, flags), then addr = ns and IMMEDIATE_ARG in timeout_flags",
    cases: [
      {
        call: "prepLinkTimeoutImmediate(BIG, REALTIME)",
        run: (s) => prep.prepLinkTimeoutImmediate(s, BIG, IORING_TIMEOUT_REALTIME),
        expect: {
          opcode: IORING_OP_LINK_TIMEOUT, fd: -1, addr: BIG, len: 1,
          timeout_flags: IORING_TIMEOUT_IMMEDIATE_ARG | IORING_TIMEOUT_REALTIME,
        },
      },
    ],
  },
  prepTimeoutUpdateImmediate: {
    liburing: "io_uring_prep_timeout_update(sqe, NULL, user_data, flags), then addr2 = ns and IMMEDIATE_ARG",
    cases: [
      {
        call: "prepTimeoutUpdateImmediate(2 s, 7, 0)",
        run: (s) => prep.prepTimeoutUpdateImmediate(s, 2_000_000_000, 7, 0),
        expect: {
          opcode: IORING_OP_TIMEOUT_REMOVE, fd: -1, addr: 7, addr2: 2_000_000_000,
          timeout_flags: IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_IMMEDIATE_ARG,
        },
      },
      {
        call: "prepTimeoutUpdateImmediate(MAX, BIG, LINK_TIMEOUT_UPDATE)",
        run: (s) => prep.prepTimeoutUpdateImmediate(s, MAX, BIG, IORING_LINK_TIMEOUT_UPDATE),
        expect: {
          opcode: IORING_OP_TIMEOUT_REMOVE, fd: -1, addr: BIG, addr2: MAX,
          timeout_flags: IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_IMMEDIATE_ARG | IORING_LINK_TIMEOUT_UPDATE,
        },
      },
    ],
  },
  prepPipe: {
    liburing: "io_uring_prep_pipe",
    cases: [
      {
        call: "prepPipe(A, O_CLOEXEC)",
        run: (s) => prep.prepPipe(s, A, 0x8_0000),
        expect: { opcode: IORING_OP_PIPE, addr: A, pipe_flags: 0x8_0000 },
      },
      {
        call: "prepPipe(MAX, -1)",
        run: (s) => prep.prepPipe(s, MAX, -1),
        expect: { opcode: IORING_OP_PIPE, addr: MAX, pipe_flags: -1 },
      },
    ],
  },
  prepPipeDirect: {
    liburing: "io_uring_prep_pipe_direct",
    cases: [
      {
        call: "prepPipeDirect(A, O_NONBLOCK, 4)",
        run: (s) => prep.prepPipeDirect(s, A, 0x800, 4),
        expect: { opcode: IORING_OP_PIPE, addr: A, pipe_flags: 0x800, file_index: 5 },
      },
      {
        call: "prepPipeDirect(A, 0, IORING_FILE_INDEX_ALLOC)",
        run: (s) => prep.prepPipeDirect(s, A, 0, ALLOC),
        expect: { opcode: IORING_OP_PIPE, addr: A, file_index: ALLOC },
      },
    ],
  },
  sqeSetBufGroup: {
    liburing: "io_uring_sqe_set_buf_group",
    cases: [
      {
        call: "prepRead(5, 0, 4096, -1), sqeSetFlags(BUFFER_SELECT), sqeSetBufGroup(7)",
        run: (s) => {
          prep.prepRead(s, 5, 0, 4096, -1);
          sqeSetFlags(s, IOSQE_BUFFER_SELECT);
          sqeSetBufGroup(s, 7);
        },
        expect: { opcode: IORING_OP_READ, flags: IOSQE_BUFFER_SELECT, fd: 5, len: 4096, off: -1, buf_group: 7 },
      },
      {
        call: "sqeSetBufGroup(0x1ffff) (truncated to 16 bits)",
        run: (s) => sqeSetBufGroup(s, 0x1_ffff),
        expect: { buf_group: 0xffff },
      },
    ],
  },
  prepNop: {
    liburing: "io_uring_prep_nop (clearing flags set before, as 2.3's prep_rw does)",
    cases: [
      {
        call: "sqeSetFlags(IO_LINK), prepNop()",
        run: (s) => {
          sqeSetFlags(s, IOSQE_IO_LINK);
          prep.prepNop(s);
        },
        expect: { opcode: IORING_OP_NOP, fd: -1 },
      },
    ],
  },
};

for (const [helper, { liburing, cases }] of Object.entries(SPELLED)) {
  test(`${helper} writes the fields current liburing's ${liburing} writes`, () => {
    const failures: string[] = [];
    for (const c of cases) {
      let diff: string | undefined;
      try {
        diff = firstDifference(imageOf(c.expect), bytesOf(c.run, c.big));
      } catch (e) {
        diff = String(e);
      }
      if (diff) failures.push(`${c.call}: ${diff}`);
    }
    assert.deepEqual(failures, [], `${helper} differs from current liburing:\n  ${failures.join("\n  ")}`);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Coverage: every liburing prep helper has a TS twin, and every TS twin is proven above
// ---------------------------------------------------------------------------------------------------------------

/** Every io_uring_prep_* in the newest liburing.h (liburing 2.14 development tree), without the prefix. */
const CURRENT_LIBURING = [
  "rw", "splice", "tee", "readv", "readv2", "read_fixed", "readv_fixed", "writev", "writev2", "write_fixed",
  "writev_fixed", "recvmsg", "recvmsg_multishot", "sendmsg", "poll_add", "poll_multishot", "poll_remove",
  "poll_update", "fsync", "nop", "nop128", "timeout", "timeout_remove", "timeout_update", "accept", "accept_direct",
  "multishot_accept", "multishot_accept_direct", "cancel64", "cancel", "cancel_fd", "link_timeout", "connect", "bind",
  "listen", "epoll_wait", "files_update", "fallocate", "openat", "openat_direct", "open", "open_direct", "close",
  "close_direct", "read", "read_multishot", "write", "statx", "fadvise", "madvise", "fadvise64", "madvise64", "send",
  "send_bundle", "send_set_addr", "sendto", "send_zc", "send_zc_fixed", "sendmsg_zc", "sendmsg_zc_fixed", "recv",
  "recv_multishot", "openat2", "openat2_direct", "epoll_ctl", "provide_buffers", "remove_buffers", "shutdown",
  "unlinkat", "unlink", "renameat", "rename", "sync_file_range", "mkdirat", "mkdir", "symlinkat", "symlink", "linkat",
  "link", "msg_ring_cqe_flags", "msg_ring", "msg_ring_fd", "msg_ring_fd_alloc", "getxattr", "setxattr", "fgetxattr",
  "fsetxattr", "socket", "socket_direct", "socket_direct_alloc", "uring_cmd", "uring_cmd128", "cmd_sock",
  "cmd_getsockname", "waitid", "futex_wake", "futex_wait", "futex_waitv", "fixed_fd_install", "ftruncate",
  "cmd_discard", "pipe", "pipe_direct",
  // liburing 2.16 (2026-07): the zone reset of BLOCK_URING_CMD_ZONE_RESET_ALL
  "cmd_zone_reset_all",
];

function camel(snake: string): string {
  return "prep" + snake.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
}

test("every io_uring_prep_* helper of current liburing has a prep function of the same name", () => {
  const exports = prep as Record<string, unknown>;
  const missing = CURRENT_LIBURING.map(camel).filter((name) => typeof exports[name] !== "function");
  assert.deepEqual(missing, []);
  assert.equal(CURRENT_LIBURING.length, 104);
});

test("every exported prep function is proven against the 2.3 oracle or spelled-out bytes", () => {
  const proven = new Set([...ORACLE.map((c) => c.name), ...Object.keys(SPELLED)]);
  const exported = Object.entries(prep).filter(([name, v]) => name.startsWith("prep") && typeof v === "function");
  assert.deepEqual(exported.map(([name]) => name).filter((name) => !proven.has(name)), []);
});

const HEADER = "/usr/include/liburing.h";
const noHeader = !existsSync(HEADER) && `${HEADER} is missing (apt-get install liburing-dev)`;
const coverName = "every io_uring_prep_* helper in the installed liburing.h is run by the oracle or spelled out";
test(coverName, skipIf(noHeader, coverName), () => {
  const helper = /^(?:static inline|IOURINGINLINE) void io_uring_(prep_\w+)\(/gm;
  const inHeader = [...readFileSync(HEADER, "utf8").matchAll(helper)].map((m) => m[1]!); // group 1 always matches
  assert.ok(inHeader.length >= 70, `found only ${inHeader.length} helpers in ${HEADER}`);
  const covered = new Set([...ORACLE.map((c) => c.c), ...Object.keys(SPELLED).map((n) => n)]);
  assert.deepEqual(inHeader.filter((c) => !covered.has(c) && !covered.has(camel(c.slice(5)))), []);
});

test("prepCmdZoneResetAll writes the SQE computed by hand: URING_CMD, the fd, _IO(0x12, 1), nothing else", () => {
  // opcode 46 (IORING_OP_URING_CMD) at byte 0, fd 9 at 4..7, cmd_op 0x1201 at 8..11 (_IO(0x12, 1): type 0x12 in
  // bits 8..15, number 1 in 0..7, no direction or size): liburing's io_uring_prep_uring_cmd writes no other field.
  const expected = new Uint8Array(SLOT);
  expected.set([46, 0, 0, 0, 9, 0, 0, 0, 0x01, 0x12, 0, 0]);
  assert.deepEqual(bytesOf((s) => prep.prepCmdZoneResetAll(s, 9)), expected);
  assert.equal(BLOCK_URING_CMD_ZONE_RESET_ALL, (0x12 << 8) | 1);
});
