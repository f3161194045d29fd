/**
 * Checks uring/abi/uapi.ts three ways: against the C compiler and the io_uring headers installed on this
 * machine (every constant, struct size and member offset they define, and nothing they define missing
 * from uapi.ts); against values spelled out below from the Linux 6.18 to 7.2 headers for everything the
 * installed headers are too old to have; and against ABI facts checked by hand on Linux 6.18 (offsets the kernel returned, values it accepted).
 *
 * Runs under `bun test` and `deno test -A`. Without gcc or an io_uring header the compiler tests are
 * skipped with the reason; the kernel-table and recorded-facts tests still run.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as uapi from "./uapi.ts";

// ---------------------------------------------------------------------------------------------------------
// What uapi.ts exports: constants (numbers and bigints) and struct layouts (objects with a SIZE)
// ---------------------------------------------------------------------------------------------------------

type Layout = Readonly<Record<string, number> & { SIZE: number }>;

const constants = new Map<string, number | bigint>();
const layouts = new Map<string, Layout>();
for (const [name, value] of Object.entries(uapi)) {
  if (typeof value === "number" || typeof value === "bigint") constants.set(name, value);
  else if (typeof value === "object" && value !== null && !Array.isArray(value) && "SIZE" in value) {
    layouts.set(name, value as Layout);
  }
}

/** Every checkable name: constants by name, struct members as "struct.member" (including "struct.SIZE"). */
const uapiValues = new Map<string, number | bigint>(constants);
for (const [struct, layout] of layouts) {
  for (const [member, offset] of Object.entries(layout)) uapiValues.set(`${struct}.${member}`, offset);
}

// ---------------------------------------------------------------------------------------------------------
// Names whose value changed between the installed (older) headers and 7.2, and names the older headers
// have that 7.2 no longer has. Both are explicit so that any other difference fails.
// ---------------------------------------------------------------------------------------------------------

const CHANGED_SINCE_OLDER_HEADERS = new Map<string, string>([
  ["IORING_OP_LAST", "grows with every new opcode"],
  ["IORING_REGISTER_LAST", "grows with every new register opcode"],
  ["__IO_URING_QUERY_MAX", "grows with every new query opcode"],
  ["__ZCRX_CTRL_LAST", "grows with every new zcrx control opcode"],
  ["io_uring_zcrx_ifq_reg.__resv", "7.2 put event_desc at 72 and moved __resv to 80"],
  ["IORING_URING_CMD_MASK", "gained IORING_URING_CMD_MULTISHOT in 6.18"],
  ["io_uring_sync_cancel_reg.pad", "6.6 put opcode at 32 and moved pad to 33"],
  ["io_uring_buf_reg.resv", "min_left took its first 4 bytes (2026 fix, in stable 6.18.y)"],
]);

const GONE_SINCE_OLDER_HEADERS = new Map<string, string>([
  ["io_sqring_offsets.resv2", "renamed user_addr in 6.5"],
  ["io_cqring_offsets.resv2", "renamed user_addr in 6.5"],
  ["io_uring_buf_reg.pad", "renamed flags in 6.4"],
  ["io_uring_getevents_arg.pad", "renamed min_wait_usec in 6.12"],
  ["io_uring_zcrx_ifq_reg.__resv2", "renamed rx_buf_len in 7.0"],
  ["io_uring_query_zcrx.__resv1", "renamed features in 7.0"],
  ["io_uring_buf_ring.__empty_bufs", "part of the __DECLARE_FLEX_ARRAY expansion, not a member"],
  ["io_uring_task_restriction.__empty_restrictions", "part of the __DECLARE_FLEX_ARRAY expansion, not a member"],
  ["io_uring_notification_slot", "zero-copy notifier slots, gone from later headers"],
  ["io_uring_notification_register", "zero-copy notifier registration, gone from later headers"],
]);

// ---------------------------------------------------------------------------------------------------------
// Values read from the Linux 6.18, 6.19 and 7.2 uapi headers (include/uapi/linux/io_uring.h,
// include/uapi/linux/io_uring/{query,zcrx,bpf_filter}.h, linux/blkdev.h) and io_uring/memmap.h, for names the
// installed headers are too old to define or never define. Written out independently of uapi.ts, in the headers'
// notation, so that a typo there fails a test.
// ---------------------------------------------------------------------------------------------------------

const KERNEL_CONSTANTS: Record<string, number | bigint> = {
  // sqe->flags, setup and enter flags
  IORING_RW_ATTR_FLAG_PI: 1 << 0,
  IORING_SETUP_NO_MMAP: 1 << 14,
  IORING_SETUP_REGISTERED_FD_ONLY: 1 << 15,
  IORING_SETUP_NO_SQARRAY: 1 << 16,
  IORING_SETUP_HYBRID_IOPOLL: 1 << 17,
  IORING_SETUP_CQE_MIXED: 1 << 18,
  IORING_SETUP_SQE_MIXED: 1 << 19,
  IORING_SETUP_SQ_REWIND: 1 << 20,
  IORING_ENTER_ABS_TIMER: 1 << 5,
  IORING_ENTER_EXT_ARG_REG: 1 << 6,
  IORING_ENTER_NO_IOWAIT: 1 << 7,
  // enum io_uring_op, from IORING_OP_READ_MULTISHOT on
  IORING_OP_READ_MULTISHOT: 49,
  IORING_OP_WAITID: 50,
  IORING_OP_FUTEX_WAIT: 51,
  IORING_OP_FUTEX_WAKE: 52,
  IORING_OP_FUTEX_WAITV: 53,
  IORING_OP_FIXED_FD_INSTALL: 54,
  IORING_OP_FTRUNCATE: 55,
  IORING_OP_BIND: 56,
  IORING_OP_LISTEN: 57,
  IORING_OP_RECV_ZC: 58,
  IORING_OP_EPOLL_WAIT: 59,
  IORING_OP_READV_FIXED: 60,
  IORING_OP_WRITEV_FIXED: 61,
  IORING_OP_PIPE: 62,
  IORING_OP_NOP128: 63,
  IORING_OP_URING_CMD128: 64,
  IORING_OP_LAST: 65,
  // per-opcode flags
  IORING_URING_CMD_MULTISHOT: 1 << 1,
  IORING_URING_CMD_MASK: (1 << 0) | (1 << 1),
  IORING_TIMEOUT_MULTISHOT: 1 << 6,
  IORING_TIMEOUT_IMMEDIATE_ARG: 1 << 7,
  IORING_RECVSEND_BUNDLE: 1 << 4,
  IORING_SEND_VECTORIZED: 1 << 5,
  IORING_ACCEPT_DONTWAIT: 1 << 1,
  IORING_ACCEPT_POLL_FIRST: 1 << 2,
  IORING_MSG_RING_FLAGS_PASS: 1 << 1,
  IORING_FIXED_FD_NO_CLOEXEC: 1 << 0,
  IORING_NOP_INJECT_RESULT: 1 << 0,
  IORING_NOP_FILE: 1 << 1,
  IORING_NOP_FIXED_FILE: 1 << 2,
  IORING_NOP_FIXED_BUFFER: 1 << 3,
  IORING_NOP_TW: 1 << 4,
  IORING_NOP_CQE32: 1 << 5,
  // cqe->flags
  IORING_CQE_F_BUF_MORE: 1 << 4,
  IORING_CQE_F_SKIP: 1 << 5,
  IORING_CQE_F_32: 1 << 15,
  // mmap offsets (0x80000000ULL, 16); the last three are io_uring/memmap.h
  IORING_OFF_PBUF_RING: 2 ** 31,
  IORING_OFF_PBUF_SHIFT: 16,
  IORING_MAP_OFF_PARAM_REGION: 0x20000000,
  IORING_MAP_OFF_ZCRX_REGION: 0x30000000,
  IORING_OFF_ZCRX_SHIFT: 16,
  // features
  IORING_FEAT_REG_REG_RING: 1 << 13,
  IORING_FEAT_RECVSEND_BUNDLE: 1 << 14,
  IORING_FEAT_MIN_TIMEOUT: 1 << 15,
  IORING_FEAT_RW_ATTR: 1 << 16,
  IORING_FEAT_NO_IOWAIT: 1 << 17,
  // enum io_uring_register_op, from IORING_REGISTER_PBUF_STATUS on
  IORING_REGISTER_PBUF_STATUS: 26,
  IORING_REGISTER_NAPI: 27,
  IORING_UNREGISTER_NAPI: 28,
  IORING_REGISTER_CLOCK: 29,
  IORING_REGISTER_CLONE_BUFFERS: 30,
  IORING_REGISTER_SEND_MSG_RING: 31,
  IORING_REGISTER_ZCRX_IFQ: 32,
  IORING_REGISTER_RESIZE_RINGS: 33,
  IORING_REGISTER_MEM_REGION: 34,
  IORING_REGISTER_QUERY: 35,
  IORING_REGISTER_ZCRX_CTRL: 36,
  IORING_REGISTER_BPF_FILTER: 37,
  IORING_REGISTER_LAST: 38,
  IORING_REGISTER_USE_REGISTERED_RING: 2 ** 31,
  // register arguments
  IORING_MEM_REGION_TYPE_USER: 1,
  IORING_MEM_REGION_REG_WAIT_ARG: 1,
  IORING_REGISTER_SRC_REGISTERED: 1 << 0,
  IORING_REGISTER_DST_REPLACE: 1 << 1,
  IOU_PBUF_RING_MMAP: 1,
  IOU_PBUF_RING_INC: 2,
  IO_URING_NAPI_REGISTER_OP: 0,
  IO_URING_NAPI_STATIC_ADD_ID: 1,
  IO_URING_NAPI_STATIC_DEL_ID: 2,
  IO_URING_NAPI_TRACKING_DYNAMIC: 0,
  IO_URING_NAPI_TRACKING_STATIC: 1,
  IO_URING_NAPI_TRACKING_INACTIVE: 255,
  IORING_REG_WAIT_TS: 1 << 0,
  // enum io_uring_socket_op and TX timestamps
  SOCKET_URING_OP_SIOCINQ: 0,
  SOCKET_URING_OP_SIOCOUTQ: 1,
  SOCKET_URING_OP_GETSOCKOPT: 2,
  SOCKET_URING_OP_SETSOCKOPT: 3,
  SOCKET_URING_OP_TX_TIMESTAMP: 4,
  SOCKET_URING_OP_GETSOCKNAME: 5,
  IORING_TIMESTAMP_HW_SHIFT: 16,
  IORING_TIMESTAMP_TYPE_SHIFT: 16 + 1,
  IORING_CQE_F_TSTAMP_HW: 1 << 16,
  // linux/blkdev.h: _IO(0x12, 0); ZONE_RESET_ALL _IO(0x12, 1) from its 2026-07 patch series (not in 7.2)
  BLOCK_URING_CMD_DISCARD: (0x12 << 8) | 0,
  BLOCK_URING_CMD_ZONE_RESET_ALL: (0x12 << 8) | 1,
  // zcrx
  IORING_ZCRX_AREA_SHIFT: 48,
  IORING_ZCRX_AREA_MASK: ~((1n << 48n) - 1n) & 0xffff_ffff_ffff_ffffn,
  IORING_ZCRX_AREA_DMABUF: 1,
  ZCRX_REG_IMPORT: 1,
  ZCRX_REG_NODEV: 2,
  ZCRX_FEATURE_RX_PAGE_SIZE: 1 << 0,
  ZCRX_FEATURE_EVENT: 1 << 1,
  ZCRX_EVENT_ALLOC_FAIL: 0,
  ZCRX_EVENT_COPY: 1,
  __ZCRX_EVENT_TYPE_LAST: 2,
  ZCRX_EVENT_DESC_FLAG_STATS: 1 << 0,
  ZCRX_CTRL_FLUSH_RQ: 0,
  ZCRX_CTRL_EXPORT: 1,
  ZCRX_CTRL_ARM_EVENT: 2,
  __ZCRX_CTRL_LAST: 3,
  // linux/io_uring/query.h
  IO_URING_QUERY_OPCODES: 0,
  IO_URING_QUERY_ZCRX: 1,
  IO_URING_QUERY_SCQ: 2,
  IO_URING_QUERY_ZCRX_EVENT: 3,
  __IO_URING_QUERY_MAX: 4,
  // linux/io_uring/bpf_filter.h
  IO_URING_BPF_CMD_FILTER: 1,
  IO_URING_BPF_FILTER_DENY_REST: 1,
  IO_URING_BPF_FILTER_SZ_STRICT: 2,
};

const KERNEL_LAYOUTS: Record<string, Record<string, number>> = {
  // Only the members the installed headers lack; the rest of io_uring_sqe is checked by the compiler.
  io_uring_sqe: {
    level: 16, optname: 20, waitid_flags: 28, futex_flags: 28, install_fd_flags: 28, nop_flags: 28,
    pipe_flags: 28, zcrx_ifq_idx: 44, optlen: 44, write_stream: 44, __pad4: 45, attr_ptr: 48,
    attr_type_mask: 56, optval: 48,
  },
  io_sqring_offsets: { user_addr: 32 },
  io_cqring_offsets: { user_addr: 32 },
  io_uring_getevents_arg: { min_wait_usec: 12 },
  io_uring_sync_cancel_reg: { opcode: 32, pad: 33, pad2: 40 },
  // min_left: a 2026 fix that stable 6.18.y carries (this machine's kernel has it); v6.18 has resv u64[3] at 16
  io_uring_buf_reg: { flags: 14, min_left: 16, resv: 20 },
  io_uring_attr_pi: { SIZE: 32, flags: 0, app_tag: 2, len: 4, addr: 8, seed: 16, rsvd: 24 },
  io_uring_region_desc: { SIZE: 64, user_addr: 0, size: 8, flags: 16, id: 20, mmap_offset: 24, __resv: 32 },
  io_uring_mem_region_reg: { SIZE: 32, region_uptr: 0, flags: 8, __resv: 16 },
  io_uring_clock_register: { SIZE: 16, clockid: 0, __resv: 4 },
  io_uring_clone_buffers: { SIZE: 32, src_fd: 0, flags: 4, src_off: 8, dst_off: 12, nr: 16, pad: 20 },
  io_uring_buf_status: { SIZE: 40, buf_group: 0, head: 4, resv: 8 },
  io_uring_napi: { SIZE: 16, busy_poll_to: 0, prefer_busy_poll: 4, opcode: 5, pad: 6, op_param: 8, resv: 12 },
  io_uring_reg_wait: {
    SIZE: 64, ts: 0, min_wait_usec: 16, flags: 20, sigmask: 24, sigmask_sz: 32, pad: 36, pad2: 48,
  },
  io_timespec: { SIZE: 16, tv_sec: 0, tv_nsec: 8 },
  io_uring_zcrx_rqe: { SIZE: 16, off: 0, len: 8, __pad: 12 },
  io_uring_zcrx_cqe: { SIZE: 16, off: 0, __pad: 8 },
  io_uring_zcrx_offsets: { SIZE: 32, head: 0, tail: 4, rqes: 8, __resv2: 12, __resv: 16 },
  io_uring_zcrx_area_reg: { SIZE: 48, addr: 0, len: 8, rq_area_token: 16, flags: 24, dmabuf_fd: 28, __resv2: 32 },
  io_uring_zcrx_ifq_reg: {
    SIZE: 96, if_idx: 0, if_rxq: 4, rq_entries: 8, flags: 12, area_ptr: 16, region_ptr: 24, offsets: 32,
    zcrx_id: 64, rx_buf_len: 68, event_desc: 72, __resv: 80,
  },
  zcrx_stats: { SIZE: 16, copy_count: 0, copy_bytes: 8 },
  zcrx_event_desc: { SIZE: 96, user_data: 0, type_mask: 8, flags: 12, stats_offset: 16, __resv2: 24 },
  zcrx_ctrl_flush_rq: { SIZE: 48, __resv: 0 },
  zcrx_ctrl_export: { SIZE: 48, zcrx_fd: 0, __resv1: 4 },
  zcrx_ctrl_arm_event: { SIZE: 48, event_type: 0, __resv: 4 },
  zcrx_ctrl: { SIZE: 72, zcrx_id: 0, op: 4, __resv: 8, zc_export: 24, zc_flush: 24, zc_arm_event: 24 },
  io_uring_task_restriction: { SIZE: 16, flags: 0, nr_res: 2, resv: 4, restrictions: 16 },
  io_uring_query_hdr: { SIZE: 40, next_entry: 0, query_data: 8, query_op: 16, size: 20, result: 24, __resv: 28 },
  io_uring_query_opcode: {
    SIZE: 48, nr_request_opcodes: 0, nr_register_opcodes: 4, feature_flags: 8, ring_setup_flags: 16,
    enter_flags: 24, sqe_flags: 32, nr_query_opcodes: 40, __pad: 44,
  },
  io_uring_query_zcrx: {
    SIZE: 40, register_flags: 0, area_flags: 8, nr_ctrl_opcodes: 16, features: 20, rq_hdr_size: 24,
    rq_hdr_alignment: 28, __resv2: 32,
  },
  io_uring_query_zcrx_event: {
    SIZE: 48, event_flags: 0, stats_size: 4, stats_off_alignment: 8, __resv1: 12, __resv2: 16,
  },
  io_uring_query_scq: { SIZE: 16, hdr_size: 0, hdr_alignment: 8 },
  // linux/io_uring/bpf_filter.h (checked with gcc against Debian's linux-libc-dev 7.2.13)
  io_uring_bpf_ctx: {
    SIZE: 40, user_data: 0, opcode: 8, sqe_flags: 9, pdu_size: 10, pad: 11, socket: 16, open: 16, connect: 16,
  },
  io_uring_bpf_filter: {
    SIZE: 64, opcode: 0, flags: 4, filter_len: 8, pdu_size: 12, resv: 13, filter_ptr: 16, resv2: 24,
  },
  io_uring_bpf: { SIZE: 72, cmd_type: 0, cmd_flags: 2, resv: 4, filter: 8 },
};

// ---------------------------------------------------------------------------------------------------------
// Probing the machine: gcc, the io_uring headers, and a C program printing what they define
// ---------------------------------------------------------------------------------------------------------

interface HeaderSpec {
  /** How reports name the header. */
  label: string;
  /** Lines that include it (and what it needs first). */
  includes: string[];
}

const HEADER_SPECS: HeaderSpec[] = [
  {
    label: "<linux/io_uring.h>",
    includes: [
      "#include <linux/io_uring.h>",
      "#if __has_include(<linux/io_uring/query.h>)",
      "#include <linux/io_uring/query.h>",
      "#endif",
    ],
  },
  {
    label: "<liburing/io_uring.h> (liburing-dev)",
    includes: [
      "#include <liburing/compat.h>",
      "#include <liburing/io_uring.h>",
      "#if __has_include(<liburing/io_uring/query.h>)",
      "#include <liburing/io_uring/query.h>",
      "#endif",
    ],
  },
];

const PRELUDE = [
  "#define _GNU_SOURCE",
  "#include <stddef.h>",
  "#include <stdio.h>",
  "#include <sys/uio.h>",
  "#include <linux/time_types.h>",
  "#if __has_include(<linux/openat2.h>)",
  "#include <linux/openat2.h>",
  "#endif",
  "#if __has_include(<linux/blkdev.h>)",
  "#include <linux/blkdev.h>",
  "#endif",
];

const PRINTERS = [
  "static void pv(const char *n, int neg, unsigned long long u, long long s) {",
  '  if (neg) printf("%s %lld\\n", n, s); else printf("%s %llu\\n", n, u);',
  "}",
  "#define PV(n, v) pv(n, (v) < 0, (unsigned long long)(v), (long long)(v))",
  'static void ps(const char *n, size_t v) { printf("%s %zu\\n", n, v); }',
];

/** Name prefixes of io_uring's constants, used to list what a header defines. */
const NAME_PATTERN =
  /^(IORING_|IOSQE_|IO_URING_|IOU_|IO_WQ_|SOCKET_URING_|SPLICE_F_FD_IN_FIXED$|BLOCK_URING_|ZCRX_|__ZCRX_|__IO_URING_)/;
/** Struct names io_uring headers define. */
const STRUCT_PATTERN = /^(io_uring_|io_sqring_|io_cqring_|io_timespec$|zcrx_)/;

interface HeaderResult {
  label: string;
  /** What the compiled program printed: name or "struct.member" to its value. */
  values: Map<string, bigint>;
  /** Checked names the header does not define. */
  absent: Set<string>;
  /** Constants, structs and "struct.member"s the header defines (parsed from the preprocessor). */
  defined: { constants: Set<string>; structs: Set<string>; members: Set<string> };
}

interface Probe {
  /** Why the compiler tests cannot run, or undefined. */
  skip?: string;
  /** An unexpected failure while probing, reported by the compiler tests. */
  error?: string;
  headers: HeaderResult[];
}

function gcc(args: string[], cwd: string): string {
  return execFileSync("gcc", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function errorText(e: unknown): string {
  const err = e as { stderr?: unknown; message?: string };
  return String(err.stderr ?? "") || String(err.message ?? e);
}

/** Lists the io_uring constants, structs and members a header defines, from gcc -E output. */
function definedBy(dir: string, spec: HeaderSpec): HeaderResult["defined"] {
  const src = join(dir, "defined.c");
  writeFileSync(src, [...PRELUDE, ...spec.includes, ""].join("\n"));
  const defined = { constants: new Set<string>(), structs: new Set<string>(), members: new Set<string>() };
  for (const line of gcc(["-E", "-dM", src], dir).split("\n")) {
    const name = /^#define ([A-Za-z_]\w*)[ \t]/.exec(line)?.[1];
    if (name && NAME_PATTERN.test(name)) defined.constants.add(name);
  }
  const code = gcc(["-E", "-P", src], dir);
  for (const m of code.matchAll(/\benum\s*\w*\s*\{([^}]*)\}/g)) {
    for (const item of m[1]!.split(",")) {
      const name = /^\s*([A-Za-z_]\w*)/.exec(item)?.[1];
      if (name && NAME_PATTERN.test(name)) defined.constants.add(name);
    }
  }
  for (const m of code.matchAll(/\bstruct\s+(\w+)\s*\{/g)) {
    const struct = m[1]!; // a mandatory group
    if (!STRUCT_PATTERN.test(struct)) continue;
    defined.structs.add(struct);
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < code.length && depth > 0; i++) {
      if (code[i] === "{") depth++;
      else if (code[i] === "}") depth--;
    }
    const body = code
      .slice(start, i - 1)
      .replace(/__attribute__\s*\(\([^)]*\)\)/g, "")
      .replace(/\b(struct|union)\s*\{/g, " ")
      .replace(/\}/g, " ");
    for (const decl of body.split(";")) {
      const name = /([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*$/.exec(decl.trim())?.[1];
      if (name) defined.members.add(`${struct}.${name}`);
    }
  }
  return defined;
}

/**
 * Compiles a program printing every uapi.ts name the header can resolve. Names the header lacks make gcc
 * fail on their line; those lines are dropped and the program is compiled again.
 */
function compileAndRun(dir: string, spec: HeaderSpec): Pick<HeaderResult, "values" | "absent"> {
  const checks: { key: string; line: string }[] = [];
  for (const name of constants.keys()) checks.push({ key: name, line: `PV("${name}", ${name});` });
  for (const [struct, layout] of layouts) {
    for (const member of Object.keys(layout)) {
      const expr = member === "SIZE" ? `sizeof(struct ${struct})` : `offsetof(struct ${struct}, ${member})`;
      checks.push({ key: `${struct}.${member}`, line: `ps("${struct}.${member}", ${expr});` });
    }
  }
  const head = [...PRELUDE, ...spec.includes, ...PRINTERS, "int main(void) {"];
  const src = join(dir, "layout.c");
  const exe = join(dir, "layout");
  const absent = new Set<string>();
  let live = checks;
  for (let round = 0; round < 10; round++) {
    writeFileSync(src, [...head, ...live.map((c) => `  ${c.line}`), "  return 0;", "}", ""].join("\n"));
    let stderr: string | undefined;
    try {
      gcc(["-std=gnu11", "-w", "-fmax-errors=0", "-o", exe, src], dir);
    } catch (e) {
      stderr = errorText(e);
    }
    if (stderr === undefined) {
      const values = new Map<string, bigint>();
      for (const out of execFileSync(exe, { encoding: "utf8" }).trim().split("\n")) {
        const [key, value] = out.split(" ");
        if (key === undefined || value === undefined) throw new Error(`unexpected output from ${exe}: ${out}`);
        values.set(key, BigInt(value));
      }
      return { values, absent };
    }
    const failed = new Set<number>();
    for (const m of stderr.matchAll(/^[^\n:]*layout\.c:(\d+):\d+: error:/gm)) {
      const index = Number(m[1]) - head.length - 1;
      const check = live[index];
      if (!check) throw new Error(`gcc failed outside the checks:\n${stderr}`);
      failed.add(index);
      absent.add(check.key);
    }
    if (failed.size === 0) throw new Error(`gcc failed without a located error:\n${stderr}`);
    live = live.filter((_, index) => !failed.has(index));
  }
  throw new Error("gcc kept failing after dropping the names it reported");
}

function probe(): Probe {
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
  } catch {
    return { skip: "gcc is not installed (apt-get install gcc)", headers: [] };
  }
  const dir = mkdtempSync(join(tmpdir(), "ringside-uapi-"));
  try {
    const headers: HeaderResult[] = [];
    for (const spec of HEADER_SPECS) {
      const check = join(dir, "has.c");
      writeFileSync(check, [...PRELUDE, ...spec.includes, ""].join("\n"));
      try {
        gcc(["-fsyntax-only", check], dir);
      } catch {
        continue;
      }
      headers.push({ label: spec.label, ...compileAndRun(dir, spec), defined: definedBy(dir, spec) });
    }
    if (headers.length === 0) {
      return { skip: "no io_uring header found (apt-get install linux-libc-dev liburing-dev)", headers };
    }
    return { headers };
  } catch (e) {
    return { error: errorText(e), headers: [] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const machine = probe();
if (machine.skip) console.log(`uapi_test: compiler checks skipped: ${machine.skip}`);

function probeOk(): HeaderResult[] {
  if (machine.error) assert.fail(`probing the C headers failed: ${machine.error}`);
  return machine.headers;
}

/** Names whose value in at least one installed header equals uapi.ts (changed names excluded). */
function verifiedByC(): Set<string> {
  const verified = new Set<string>();
  for (const header of machine.headers) {
    for (const [key, value] of header.values) {
      if (!CHANGED_SINCE_OLDER_HEADERS.has(key) && BigInt(uapiValues.get(key)!) === value) verified.add(key);
    }
  }
  return verified;
}

function compare(header: HeaderResult, keys: Iterable<string>): string[] {
  const problems: string[] = [];
  for (const key of keys) {
    const c = header.values.get(key);
    if (c === undefined) continue;
    const ours = BigInt(uapiValues.get(key)!);
    if (c !== ours && !CHANGED_SINCE_OLDER_HEADERS.has(key)) {
      problems.push(`${key}: uapi.ts has ${ours}, ${header.label} has ${c}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Tests against the C compiler
// ---------------------------------------------------------------------------------------------------------

for (const spec of HEADER_SPECS) {
  const header = machine.headers.find((h) => h.label === spec.label);
  const skip = machine.skip ?? (machine.error || header ? undefined : `${spec.label} is not installed`);
  if (skip && !machine.skip) console.log(`uapi_test: ${spec.label} checks skipped: ${skip}`);
  test(`constants match the C compiler's view of ${spec.label}`, skip ? { skip } : {}, () => {
    const h = probeOk().find((x) => x.label === spec.label)!;
    const problems = compare(h, constants.keys());
    assert.deepEqual(problems, [], problems.join("\n"));
    assert.ok([...constants.keys()].some((name) => h.values.has(name)), "no constant was checked");
  });
  test(`${spec.label} defines nothing that uapi.ts lacks`, skip ? { skip } : {}, () => {
    const h = probeOk().find((x) => x.label === spec.label)!;
    const missing: string[] = [];
    for (const name of h.defined.constants) if (!constants.has(name)) missing.push(name);
    for (const struct of h.defined.structs) {
      if (!layouts.has(struct) && !GONE_SINCE_OLDER_HEADERS.has(struct)) missing.push(`struct ${struct}`);
    }
    for (const member of h.defined.members) {
      const [struct = member] = member.split(".");
      if (GONE_SINCE_OLDER_HEADERS.has(struct) || GONE_SINCE_OLDER_HEADERS.has(member)) continue;
      if (!uapiValues.has(member)) missing.push(member);
    }
    assert.deepEqual(missing, [], `defined by ${spec.label} but not by uapi.ts:\n${missing.join("\n")}`);
  });
}

if (machine.skip) {
  test("struct sizes and offsets match the C compiler", { skip: machine.skip }, () => {});
} else {
  for (const [struct, layout] of layouts) {
    const keys = Object.keys(layout).map((member) => `${struct}.${member}`);
    const inSomeHeader = machine.headers.some((h) => h.values.has(`${struct}.SIZE`));
    if (!machine.error && !inSomeHeader) continue; // only the kernel-table test can check it
    test(`${struct} size and offsets match the C compiler`, () => {
      const problems = probeOk().flatMap((h) => compare(h, keys));
      assert.deepEqual(problems, [], problems.join("\n"));
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tests against the 6.18 to 7.2 kernel table
// ---------------------------------------------------------------------------------------------------------

test("names the installed headers lack match the Linux 6.18 to 7.2 values spelled out here", () => {
  const kernel = new Map<string, number | bigint>(Object.entries(KERNEL_CONSTANTS));
  for (const [struct, layout] of Object.entries(KERNEL_LAYOUTS)) {
    for (const [member, offset] of Object.entries(layout)) kernel.set(`${struct}.${member}`, offset);
  }
  const problems: string[] = [];
  for (const [key, value] of kernel) {
    if (!uapiValues.has(key)) problems.push(`${key}: in the kernel header, missing from uapi.ts`);
    else if (BigInt(uapiValues.get(key)!) !== BigInt(value)) {
      problems.push(`${key}: uapi.ts has ${uapiValues.get(key)}, the kernel header has ${value}`);
    }
  }
  const byC = verifiedByC();
  const unchecked = [...uapiValues.keys()].filter((key) => !byC.has(key) && !kernel.has(key));
  if (machine.headers.length > 0) {
    for (const key of unchecked) problems.push(`${key}: checked neither by the C compiler nor by the kernel table`);
  }
  const checkedByTable = [...uapiValues.keys()].filter((key) => kernel.has(key) && !byC.has(key)).length;
  console.log(
    `uapi_test: ${constants.size} constants and ${uapiValues.size - constants.size} struct sizes/offsets in uapi.ts; ` +
      `${byC.size} checked against the C compiler (${machine.headers.map((h) => h.label).join(", ") || "none"}), ` +
      `${checkedByTable} more against the Linux 6.18 to 7.2 table` +
      (machine.headers.length === 0 ? `, ${unchecked.length} unchecked without a C compiler` : ""),
  );
  assert.deepEqual(problems, [], problems.join("\n"));
});

// ---------------------------------------------------------------------------------------------------------
// ABI facts checked by hand on Linux 6.18
// ---------------------------------------------------------------------------------------------------------

test("uapi.ts agrees with the ABI facts checked by hand on Linux 6.18", () => {
  const p = uapi.io_uring_params;
  assert.deepEqual(
    [p.SIZE, p.sq_entries, p.cq_entries, p.flags, p.sq_thread_cpu, p.sq_thread_idle, p.features, p.wq_fd],
    [120, 0, 4, 8, 12, 16, 20, 24],
  );
  assert.deepEqual([p.sq_off, p.cq_off], [40, 80]);
  assert.deepEqual([uapi.io_sqring_offsets.SIZE, uapi.io_cqring_offsets.SIZE], [40, 40]);
  const s = uapi.io_uring_sqe;
  assert.deepEqual(
    [s.SIZE, s.opcode, s.flags, s.ioprio, s.fd, s.off, s.addr2, s.cmd_op, s.addr, s.len, s.rw_flags, s.user_data],
    [64, 0, 1, 2, 4, 8, 8, 8, 16, 24, 28, 32],
  );
  assert.deepEqual(
    [s.buf_index, s.buf_group, s.personality, s.splice_fd_in, s.file_index, s.optlen],
    [40, 40, 42, 44, 44, 44],
  );
  assert.deepEqual([s.addr3, s.optval, s.cmd, s.__pad2], [48, 48, 48, 56]);
  assert.equal(128 - s.cmd, 80, "SQE128 command area is bytes 48..127");
  assert.deepEqual([s.level, s.optname], [16, 20], "GETSOCKOPT level @16, optname @20");
  const c = uapi.io_uring_cqe;
  assert.deepEqual([c.SIZE, c.user_data, c.res, c.flags, c.big_cqe], [16, 0, 8, 12, 16]);
  assert.deepEqual(
    [uapi.IORING_OFF_SQ_RING, uapi.IORING_OFF_CQ_RING, uapi.IORING_OFF_SQES, uapi.IORING_OFF_PBUF_RING],
    [0, 0x8000000, 0x10000000, 0x80000000],
  );
  assert.equal(uapi.IORING_OFF_PBUF_RING + (3 << uapi.IORING_OFF_PBUF_SHIFT), 0x80030000, "PBUF_RING | bgid << 16");
  const b = uapi.io_uring_buf;
  assert.deepEqual([b.SIZE, b.addr, b.len, b.bid, b.resv, uapi.io_uring_buf_ring.tail], [16, 0, 8, 12, 14, 14]);
  const r = uapi.io_uring_buf_reg;
  assert.deepEqual([r.SIZE, r.ring_addr, r.ring_entries, r.bgid, r.flags], [40, 0, 8, 12, 14]);
  assert.deepEqual([uapi.IOU_PBUF_RING_MMAP, uapi.IOU_PBUF_RING_INC], [1, 2]);
  assert.equal(uapi.IORING_OP_PIPE, 62, "probe last_op on 6.18 is 62 = PIPE");
  assert.deepEqual([uapi.IORING_OP_NOP128, uapi.IORING_OP_URING_CMD128], [63, 64]);
  assert.equal(uapi.IORING_REGISTER_QUERY, 35);
  assert.equal(uapi.IORING_SETUP_CQE_MIXED, 1 << 18, "CQE_MIXED is setup bit 18");
  assert.equal(uapi.IORING_SQ_CQ_OVERFLOW, 2);
  assert.deepEqual([uapi.IORING_URING_CMD_FIXED, uapi.IORING_URING_CMD_MULTISHOT], [1 << 0, 1 << 1]);
  assert.deepEqual(
    [
      uapi.SOCKET_URING_OP_SIOCINQ, uapi.SOCKET_URING_OP_SIOCOUTQ, uapi.SOCKET_URING_OP_GETSOCKOPT,
      uapi.SOCKET_URING_OP_SETSOCKOPT, uapi.SOCKET_URING_OP_TX_TIMESTAMP, uapi.SOCKET_URING_OP_GETSOCKNAME,
    ],
    [0, 1, 2, 3, 4, 5],
  );
  assert.equal(uapi.IORING_TIMESTAMP_TYPE_SHIFT, 17, "TX_TIMESTAMP type is stored at cqe->flags bit 17");
  assert.equal(uapi.BLOCK_URING_CMD_DISCARD, 0x1200);
  const since = new Map(uapi.OPCODES.map((o) => [o.name, o.since]));
  const kernelMdVersions: [string, string][] = [
    ["IORING_OP_READ_MULTISHOT", "6.7"], ["IORING_OP_WAITID", "6.7"], ["IORING_OP_FUTEX_WAIT", "6.7"],
    ["IORING_OP_FUTEX_WAKE", "6.7"], ["IORING_OP_FUTEX_WAITV", "6.7"], ["IORING_OP_FIXED_FD_INSTALL", "6.8"],
    ["IORING_OP_FTRUNCATE", "6.9"], ["IORING_OP_BIND", "6.11"], ["IORING_OP_LISTEN", "6.11"],
    ["IORING_OP_RECV_ZC", "6.15"], ["IORING_OP_EPOLL_WAIT", "6.15"], ["IORING_OP_READV_FIXED", "6.15"],
    ["IORING_OP_WRITEV_FIXED", "6.15"], ["IORING_OP_PIPE", "6.16"], ["IORING_OP_SOCKET", "5.19"],
    ["IORING_OP_URING_CMD", "5.19"], ["IORING_OP_SEND_ZC", "6.0"], ["IORING_OP_SENDMSG_ZC", "6.1"],
    ["IORING_OP_MSG_RING", "5.18"], ["IORING_OP_NOP128", "6.19"], ["IORING_OP_URING_CMD128", "6.19"],
  ];
  for (const [name, version] of kernelMdVersions) assert.equal(since.get(name), version, name);
  assert.equal(uapi.SETUP_FLAGS.find((f) => f.name === "IORING_SETUP_CQE_MIXED")?.since, "6.18");
});

// ---------------------------------------------------------------------------------------------------------
// Internal consistency of uapi.ts
// ---------------------------------------------------------------------------------------------------------

const TABLES: [string, readonly uapi.UapiConstant[], string][] = [
  ["OPCODES", uapi.OPCODES, "IORING_OP_"],
  ["SETUP_FLAGS", uapi.SETUP_FLAGS, "IORING_SETUP_"],
  ["FEATURES", uapi.FEATURES, "IORING_FEAT_"],
  ["ENTER_FLAGS", uapi.ENTER_FLAGS, "IORING_ENTER_"],
];

function versionKey(since: string): number {
  const [major, minor] = since.replace("?", "").split(".").map(Number);
  if (major === undefined || minor === undefined) throw new Error(`not a kernel version: ${since}`);
  return major * 1000 + minor;
}

test("OPCODES, SETUP_FLAGS, FEATURES and ENTER_FLAGS list every such constant once, in order, with its version", () => {
  for (const [table, rows, prefix] of TABLES) {
    const exported = [...constants.keys()].filter((n) => n.startsWith(prefix) && n !== "IORING_OP_LAST");
    assert.deepEqual(rows.map((r) => r.name).sort(), exported.sort(), `${table} names`);
    for (const [i, row] of rows.entries()) {
      assert.equal(row.value, constants.get(row.name), `${table}: ${row.name} value`);
      assert.match(row.since, /^\d+\.\d+\??$/, `${table}: ${row.name} since`);
      assert.ok(Object.isFrozen(row), `${table}: ${row.name} frozen`);
      const prev = rows[i - 1];
      if (!prev) continue;
      assert.ok(row.value > prev.value, `${table}: ${row.name} after ${prev.name}`);
      assert.ok(versionKey(row.since) >= versionKey(prev.since), `${table}: ${row.name} older than ${prev.name}`);
    }
    if (prefix === "IORING_OP_") assert.deepEqual(rows.map((r) => r.value), [...Array(uapi.IORING_OP_LAST).keys()]);
    else for (const [i, row] of rows.entries()) assert.equal(row.value, 2 ** i, `${table}: ${row.name} is bit ${i}`);
    assert.ok(Object.isFrozen(rows), `${table} frozen`);
  }
});

test("every export has a JSDoc comment and tabled constants name the same kernel version in it", () => {
  const source = readFileSync(new URL("./uapi.ts", import.meta.url), "utf8");
  const docs = new Map<string, string>();
  // Every group in these patterns is mandatory: a match always has them.
  for (const m of source.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export (?:const|function|interface) (\w+)/g)) {
    docs.set(m[2]!, m[1]!);
  }
  const exported = [...source.matchAll(/^export (?:const|function|interface) (\w+)/gm)].map((m) => m[1]!);
  assert.deepEqual(exported.filter((name) => !docs.has(name)), [], "exports without a JSDoc comment");
  const tabled = new Set(TABLES.flatMap(([, rows]) => rows.map((r) => r.name)));
  for (const name of constants.keys()) {
    assert.match(docs.get(name) ?? "", /Linux \d+\.\d+\??/, `${name}: JSDoc names no kernel version`);
  }
  for (const [, rows] of TABLES) {
    for (const row of rows) {
      assert.ok(tabled.has(row.name));
      assert.match(docs.get(row.name)!, new RegExp(`Linux ${row.since.replace(/[.?]/g, "\\$&")}\\s*$`), row.name);
    }
  }
});

test("opcodeName names every opcode and reports values it does not know", () => {
  assert.equal(uapi.opcodeName(uapi.IORING_OP_NOP), "IORING_OP_NOP");
  assert.equal(uapi.opcodeName(uapi.IORING_OP_PIPE), "IORING_OP_PIPE");
  assert.equal(uapi.opcodeName(uapi.IORING_OP_URING_CMD128), "IORING_OP_URING_CMD128");
  for (const row of uapi.OPCODES) assert.equal(uapi.opcodeName(row.value), row.name);
  assert.equal(uapi.opcodeName(uapi.IORING_OP_LAST), `unknown opcode ${uapi.IORING_OP_LAST}`);
  assert.equal(uapi.opcodeName(-1), "unknown opcode -1");
  assert.equal(uapi.opcodeName(1.5), "unknown opcode 1.5");
});

test("constants at or above 2^31 are non-negative numbers and only a 64-bit mask is a bigint", () => {
  const negative = [...constants].filter(([, v]) => v < 0).map(([n]) => n);
  assert.deepEqual(negative, ["IORING_REGISTER_FILES_SKIP"], "only the (-2) fd marker is negative");
  const big = [...constants].filter(([, v]) => typeof v === "bigint").map(([n]) => n);
  assert.deepEqual(big, ["IORING_ZCRX_AREA_MASK"]);
  assert.ok(uapi.IORING_ZCRX_AREA_MASK > BigInt(Number.MAX_SAFE_INTEGER), "the bigint really needs 64 bits");
  for (const [name, value] of constants) {
    if (typeof value === "number") assert.ok(Number.isSafeInteger(value) && value < 2 ** 32, name);
  }
  assert.equal(uapi.SPLICE_F_FD_IN_FIXED, 2 ** 31);
  assert.equal(uapi.IORING_NOTIF_USAGE_ZC_COPIED, 2 ** 31);
  assert.equal(uapi.IORING_REGISTER_USE_REGISTERED_RING, 2 ** 31);
  assert.equal(uapi.IORING_OFF_MMAP_MASK, 0xf8000000);
  assert.equal(uapi.IORING_FILE_INDEX_ALLOC, 2 ** 32 - 1);
});

test("every struct layout is frozen and its offsets lie within SIZE", () => {
  for (const [struct, layout] of layouts) {
    assert.ok(Object.isFrozen(layout), `${struct} is frozen`);
    assert.ok(Number.isInteger(layout.SIZE) && layout.SIZE > 0, `${struct}.SIZE`);
    for (const [member, offset] of Object.entries(layout)) {
      assert.match(member, /^[A-Za-z_]\w*$/, `${struct}.${member}`);
      assert.ok(Number.isInteger(offset) && offset >= 0 && offset <= layout.SIZE, `${struct}.${member} = ${offset}`);
    }
  }
});
