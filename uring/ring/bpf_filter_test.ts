/**
 * registerBpfFilter (IORING_REGISTER_BPF_FILTER, Linux 7.0): what ringside refuses before the kernel, how the kernel
 * refuses malformed registrations, and filters that deny, read user_data, deny the rest, and read a SOCKET's
 * payload, checked by the CQEs of real requests.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { libc } from "../../ffi/mod.ts";
import { Ring } from "./ring.ts";
import { sqeSetData } from "./sqe.ts";
import { UringError } from "../core/errors.ts";
import { NativeMemory } from "../core/memory.ts";
import { putU64 } from "../abi/_u64.ts";
import { EACCES, EBADF, EINVAL, EMSGSIZE } from "../abi/errno.ts";
import { AF_INET, AF_UNIX, SOCK_STREAM } from "../abi/sockaddr.ts";
import {
  BPF_ABS,
  BPF_B,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_RET,
  BPF_W,
  type BpfInstruction,
  bpfJump,
  bpfStmt,
  sock_filter,
} from "../abi/bpf.ts";
import {
  io_uring_bpf,
  io_uring_bpf_ctx,
  io_uring_bpf_filter,
  IO_URING_BPF_CMD_FILTER,
  IORING_OP_NOP,
  IORING_OP_SOCKET,
  IORING_REGISTER_BPF_FILTER,
} from "../abi/uapi.ts";
import { prepNop } from "../prep/nop.ts";
import { prepClose } from "../prep/fs.ts";
import { prepSocket } from "../prep/net.ts";
import type { Sqe } from "./sqe.ts";
import { skipIf } from "../../testing/mod.ts";
import { registerOpMissing } from "./_since.ts";
import { registerBpfFilter } from "./bpf_filter.ts";

const noFilters = registerOpMissing(IORING_REGISTER_BPF_FILTER);
const hasFilters = !noFilters && "this kernel has IORING_REGISTER_BPF_FILTER (Linux 7.0)";

const ALLOW = bpfStmt(BPF_RET | BPF_K, 1);
const DENY = bpfStmt(BPF_RET | BPF_K, 0);

/** Submits one SQE filled by `fill` and returns its result. One at a time: a denied SQE ends its batch. */
function run1(ring: Ring, fill: (sqe: Sqe) => void): number {
  const sqe = ring.getSqe()!;
  sqeSetData(sqe, 1); // before `fill`, which may set its own (preparing leaves user_data alone)
  fill(sqe);
  let res: number | undefined;
  while (res === undefined) {
    ring.submitAndWait(1);
    ring.forEachCqe((_, r) => void (res = r));
  }
  return res;
}

function withRing(fn: (ring: Ring) => void): void {
  const ring = new Ring(8);
  try {
    fn(ring);
  } finally {
    ring.close();
  }
}

const refusedBy = (why: RegExp) => (e: unknown) =>
  e instanceof UringError && e.code === "ERINGSIDE" && why.test(e.message);

test("registerBpfFilter refuses what the kernel would, before it sees it", () =>
  withRing((ring) => {
    assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, []), refusedBy(/1 to 4096 instructions/));
    assert.throws(() => registerBpfFilter(ring, 200, [ALLOW]), refusedBy(/opcode must be an integer from 0 to/));
    assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, [bpfStmt(BPF_LD | BPF_W | BPF_ABS, 2), ALLOW]),
      refusedBy(/program\[0\] loads offset 2: loads must be 4-byte aligned/));
    assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, [bpfStmt(BPF_LD | BPF_W | BPF_ABS, 40), ALLOW]),
      refusedBy(/inside io_uring_bpf_ctx \(40 bytes\)/));
    assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, [bpfJump(BPF_JMP | BPF_JEQ | BPF_K, 0, 256, 0)]),
      refusedBy(/program\[0\]\.jt/));
    assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, [ALLOW], { pduSize: 256 }), refusedBy(/pduSize must be/));
    assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, [{ code: 6, jt: 0, jf: 0, k: -1 }]), refusedBy(/program\[0\]\.k must be/));
  }));

test("registerBpfFilter on a closed ring is refused", () => {
  const ring = new Ring(4);
  ring.close();
  assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, [ALLOW]), refusedBy(/closed/));
});

const old = "registerBpfFilter on a kernel without IORING_REGISTER_BPF_FILTER says it needs Linux 7.0";
test(old, skipIf(hasFilters, old), () =>
  withRing((ring) => {
    assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, [ALLOW]), (e: unknown) =>
      e instanceof UringError && e.code === "EINVAL" && /IORING_REGISTER_BPF_FILTER needs Linux 7\.0/.test(e.message));
  }));

/** A raw struct io_uring_bpf for `program` (in `mem`), for what the typed call refuses itself. */
function rawFilter(mem: NativeMemory, opcode: number, program: readonly BpfInstruction[]): Uint8Array {
  const arg = new Uint8Array(io_uring_bpf.SIZE);
  const v = new DataView(arg.buffer);
  const f = io_uring_bpf.filter;
  const pv = new DataView(mem.buffer);
  program.forEach((ins, i) => {
    pv.setUint16(i * sock_filter.SIZE + sock_filter.code, ins.code, true);
    pv.setUint32(i * sock_filter.SIZE + sock_filter.k, ins.k, true);
  });
  v.setUint16(io_uring_bpf.cmd_type, IO_URING_BPF_CMD_FILTER, true);
  v.setUint32(f + io_uring_bpf_filter.opcode, opcode, true);
  v.setUint32(f + io_uring_bpf_filter.filter_len, program.length, true);
  putU64(v, f + io_uring_bpf_filter.filter_ptr, mem.address);
  return arg;
}

const malformed = "the kernel refuses malformed BPF filter registrations: EINVAL, and EMSGSIZE with its payload size";
test(malformed, skipIf(noFilters, malformed), () =>
  withRing((ring) => {
    const mem = NativeMemory.allocate(4096);
    try {
      const reg = (arg: Uint8Array, nr = 1) => ring.register(IORING_REGISTER_BPF_FILTER, arg, nr);
      const f = io_uring_bpf.filter;
      assert.equal(reg(new Uint8Array(io_uring_bpf.SIZE)), -EINVAL, "an empty struct (cmd_type 0)");
      assert.equal(reg(rawFilter(mem, IORING_OP_NOP, [ALLOW]), 0), -EINVAL, "nr_args 0");
      assert.equal(reg(rawFilter(mem, IORING_OP_NOP, [])), -EINVAL, "no instructions (filter_len 0)");
      const flags = rawFilter(mem, IORING_OP_NOP, [ALLOW]);
      flags[f + io_uring_bpf_filter.flags] = 4;
      assert.equal(reg(flags), -EINVAL, "an unknown flag");
      const resv = rawFilter(mem, IORING_OP_NOP, [ALLOW]);
      resv[io_uring_bpf.resv] = 1;
      assert.equal(reg(resv), -EINVAL, "a reserved field");
      assert.equal(reg(rawFilter(mem, IORING_OP_NOP, [bpfStmt(BPF_LD | BPF_B | BPF_ABS, 8), ALLOW])), -EINVAL,
        "a byte load, outside the instructions io_uring_check_cbpf_filter() allows");
      const big = rawFilter(mem, IORING_OP_NOP, [ALLOW]);
      big[f + io_uring_bpf_filter.pdu_size] = 8;
      assert.equal(reg(big), -EMSGSIZE, "a payload larger than the opcode's");
      assert.equal(big[f + io_uring_bpf_filter.pdu_size], 0, "the kernel wrote back NOP's payload size, 0");
      // None of these attached anything: NOPs still run.
      assert.equal(run1(ring, prepNop), 0);
    } finally {
      mem.free();
    }
  }));

const deny = "a filter that returns 0 fails its opcode's requests with EACCES and leaves other opcodes alone";
test(deny, skipIf(noFilters, deny), () =>
  withRing((ring) => {
    assert.deepEqual(registerBpfFilter(ring, IORING_OP_NOP, [DENY]), { pduSize: 0 });
    assert.equal(run1(ring, prepNop), -EACCES);
    assert.equal(run1(ring, (s) => prepClose(s, 0x7fff_fff0)), -EBADF, "CLOSE runs (and finds no such fd)");
  }));

const userData = "a filter reads the request's user_data: the low 32 bits are the word at offset 0";
test(userData, skipIf(noFilters, userData), () =>
  withRing((ring) => {
    registerBpfFilter(ring, IORING_OP_NOP, [
      bpfStmt(BPF_LD | BPF_W | BPF_ABS, io_uring_bpf_ctx.user_data),
      bpfJump(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
      ALLOW,
      DENY,
    ]);
    const nop = (ud: number) =>
      run1(ring, (s) => {
        prepNop(s);
        sqeSetData(s, ud);
      });
    assert.equal(nop(7), 0);
    assert.equal(nop(8), -EACCES);
    assert.equal(nop(7 + 2 ** 32), 0, "the high word is at offset 4, unread");
  }));

const rest = "denyRest fails every opcode that has no filter of its own";
test(rest, skipIf(noFilters, rest), () =>
  withRing((ring) => {
    registerBpfFilter(ring, IORING_OP_NOP, [ALLOW], { denyRest: true });
    assert.equal(run1(ring, prepNop), 0);
    assert.equal(run1(ring, (s) => prepClose(s, 0x7fff_fff0)), -EACCES);
  }));

const socketPayload = "a SOCKET filter reads the family from the payload and lets only AF_UNIX sockets be made";
test(socketPayload, skipIf(noFilters, socketPayload), () =>
  withRing((ring) => {
    assert.throws(() => registerBpfFilter(ring, IORING_OP_NOP, [ALLOW], { pduSize: 4 }), (e: unknown) =>
      e instanceof UringError && e.code === "EMSGSIZE" && /payload of IORING_OP_NOP is 0 bytes/.test(e.message));
    const { pduSize } = registerBpfFilter(ring, IORING_OP_SOCKET, [
      bpfStmt(BPF_LD | BPF_W | BPF_ABS, io_uring_bpf_ctx.socket), // socket.family
      bpfJump(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
      ALLOW,
      DENY,
    ], { pduSize: 12, strictPduSize: true });
    assert.equal(pduSize, 12, "family, type and protocol: three u32");
    const unix = run1(ring, (s) => prepSocket(s, AF_UNIX, SOCK_STREAM, 0, 0));
    assert.ok(unix >= 0, `an AF_UNIX socket was made (${unix})`);
    libc().close(unix);
    assert.equal(run1(ring, (s) => prepSocket(s, AF_INET, SOCK_STREAM, 0, 0)), -EACCES);
  }));
