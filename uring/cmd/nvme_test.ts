import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Loop } from "../loop/loop.ts";
import { Sqe } from "../ring/sqe.ts";
import { UringError } from "../core/errors.ts";
import { close, open } from "../fs/mod.ts";
import { runExample, skipIf } from "../../testing/mod.ts";
import { setupFlagSupported } from "../ring/probe.ts";
import { IORING_OP_URING_CMD, IORING_SETUP_CQE32, IORING_SETUP_SQE128 } from "../abi/uapi.ts";
import { ioc } from "./ioctl.ts";
import {
  NVME_ID_CNS_CTRL,
  NVME_ID_CNS_NS,
  NVME_IOCTL_ID,
  nvme_uring_cmd,
  NVME_URING_CMD_ADMIN,
  NVME_URING_CMD_ADMIN_VEC,
  NVME_URING_CMD_IO,
  NVME_URING_CMD_IO_VEC,
  nvmeIdentifyController,
  nvmePassthru,
  nvmeRead,
  nvmeRwCommand,
  NvmeStatusError,
  parseIdController,
  parseIdNamespace,
  prepNvmeIdentify,
  prepNvmeRead,
  prepNvmeUringCmd,
  prepNvmeWrite,
  writeNvmeUringCmd,
} from "./nvme.ts";

// ---- The layout, written out from include/uapi/linux/nvme_ioctl.h (struct nvme_uring_cmd) -----------------------
//
//   __u8 opcode; __u8 flags; __u16 rsvd1; __u32 nsid; __u32 cdw2; __u32 cdw3; __u64 metadata; __u64 addr;
//   __u32 metadata_len; __u32 data_len; __u32 cdw10 ... cdw15; __u32 timeout_ms; __u32 rsvd2;
//
// Natural alignment and no padding: [offset, size] of each field, 72 bytes in all.
const HEADER: Record<string, readonly [number, number]> = {
  opcode: [0, 1],
  flags: [1, 1],
  rsvd1: [2, 2],
  nsid: [4, 4],
  cdw2: [8, 4],
  cdw3: [12, 4],
  metadata: [16, 8],
  addr: [24, 8],
  metadata_len: [32, 4],
  data_len: [36, 4],
  cdw10: [40, 4],
  cdw11: [44, 4],
  cdw12: [48, 4],
  cdw13: [52, 4],
  cdw14: [56, 4],
  cdw15: [60, 4],
  timeout_ms: [64, 4],
  rsvd2: [68, 4],
};
const CMD_AT = 48; // sqe->cmd

const refused = (re: RegExp) => (e: unknown) => e instanceof UringError && e.code === "ERINGSIDE" && re.test(e.message);

test("struct nvme_uring_cmd's offsets are the kernel header's, and its fields tile 72 bytes", () => {
  let end = 0;
  for (const [field, [offset, size]] of Object.entries(HEADER)) {
    assert.equal(nvme_uring_cmd[field as keyof typeof nvme_uring_cmd], offset, field);
    assert.equal(offset, end, `${field} follows the previous field with no padding`);
    assert.equal(offset % size, 0, `${field} is naturally aligned`);
    end = offset + size;
  }
  assert.equal(end, 72);
  assert.equal(nvme_uring_cmd.SIZE, 72);
  assert.ok(CMD_AT + 72 <= 128, "it fits the command area of a 128-byte SQE");
});

test("the NVMe cmd_op values are _IOWR('N', 0x80..0x83, struct nvme_uring_cmd)", () => {
  // _IOC(dir, type, nr, size) = dir << 30 | size << 16 | type << 8 | nr, with _IOC_READ|_IOC_WRITE = 3.
  assert.equal(NVME_URING_CMD_IO, 0xc0484e80);
  assert.equal(NVME_URING_CMD_IO_VEC, 0xc0484e81);
  assert.equal(NVME_URING_CMD_ADMIN, 0xc0484e82);
  assert.equal(NVME_URING_CMD_ADMIN_VEC, 0xc0484e83);
  assert.equal(NVME_IOCTL_ID, 0x4e40, "_IO('N', 0x40)");
  assert.equal(ioc(2, 0x12, 114, 8), 0x80081272, "BLKGETSIZE64, _IOR(0x12, 114, size_t)");
});

// ---- The bytes each builder writes -------------------------------------------------------------------------------

/** A 128-byte SQE over its own memory, zeroed like `getSqe()` hands it out, with the command area dirtied. */
function freshSqe(): Sqe {
  const buf = new ArrayBuffer(128);
  const sqe = new Sqe(buf, 0, 128, 0);
  // Dirt where the command goes: the builder must write every byte of it, reserved ones included.
  sqe.u8.fill(0xee, CMD_AT);
  return sqe;
}

/** Reads a little-endian field as a number (u64 up to 2^53). */
function field(bytes: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[at + i]!;
  return v;
}

/**
 * Checks the 128 bytes against the header table: the SQE header (opcode URING_CMD, fd, cmd_op, nothing else), each
 * command field at CMD_AT + its offset, and zero bytes 120..127.
 */
function expectSqe(sqe: Sqe, fd: number, cmdOp: number, want: Partial<Record<keyof typeof HEADER, number>>): void {
  const b = sqe.u8;
  assert.equal(b[0], IORING_OP_URING_CMD, "sqe->opcode");
  assert.equal(field(b, 1, 1), 0, "sqe->flags");
  assert.equal(field(b, 2, 2), 0, "sqe->ioprio");
  assert.equal(field(b, 4, 4), fd >>> 0, "sqe->fd");
  assert.equal(field(b, 8, 4), cmdOp >>> 0, "sqe->cmd_op");
  for (let i = 12; i < CMD_AT; i++) assert.equal(b[i], 0, `SQE byte ${i} (__pad1, addr, len, uring_cmd_flags, ...)`);
  for (const [name, [offset, size]] of Object.entries(HEADER)) {
    const at = CMD_AT + offset;
    assert.equal(field(b, at, size), want[name] ?? 0, `nvme_uring_cmd.${name} (SQE byte ${at})`);
  }
  for (let i = CMD_AT + 72; i < 128; i++) assert.equal(b[i], 0, `SQE byte ${i} after the struct`);
}

test("prepNvmeIdentify writes Identify Controller and Identify Namespace as the header lays them out", () => {
  const page = 0x7f12_3456_7000;
  let sqe = freshSqe();
  prepNvmeIdentify(sqe, 5, page);
  expectSqe(sqe, 5, NVME_URING_CMD_ADMIN, { opcode: 0x06, addr: page, data_len: 4096, cdw10: NVME_ID_CNS_CTRL });

  sqe = freshSqe();
  prepNvmeIdentify(sqe, 6, page, NVME_ID_CNS_NS, 1);
  expectSqe(sqe, 6, NVME_URING_CMD_ADMIN, { opcode: 0x06, nsid: 1, addr: page, data_len: 4096, cdw10: 0 });
});

test("prepNvmeRead and prepNvmeWrite put SLBA in cdw10/11 and NLB-1 in cdw12", () => {
  const buf = 0x5555_0000_1000;
  const slba = 0x1_2345_6789; // above 2^32: cdw11 holds the high half
  let sqe = freshSqe();
  prepNvmeRead(sqe, 3, 1, slba, 8, buf, 8 * 512);
  expectSqe(sqe, 3, NVME_URING_CMD_IO, {
    opcode: 0x02, nsid: 1, addr: buf, data_len: 4096, cdw10: 0x2345_6789, cdw11: 1, cdw12: 7,
  });

  sqe = freshSqe();
  prepNvmeWrite(sqe, 4, 2, 0, 65536, buf, 65536 * 4096);
  expectSqe(sqe, 4, NVME_URING_CMD_IO, {
    opcode: 0x01, nsid: 2, addr: buf, data_len: 65536 * 4096 >>> 0, cdw10: 0, cdw11: 0, cdw12: 0xffff,
  });

  const fua = nvmeRwCommand(0x01, 1, 0, 1, buf, 512, { fua: true });
  assert.equal(fua.cdw12, 0x4000_0000, "FUA is cdw12 bit 30");
});

test("prepNvmeUringCmd places every field of struct nvme_uring_cmd", () => {
  const sqe = freshSqe();
  const values = {
    opcode: 0x11, flags: 0x22, nsid: 0x5566_7788, cdw2: 0x0102_0304, cdw3: 0x0506_0708,
    metadata: 0x0011_1314_1516_1718, addr: 0x0012_2324_2526_2728, metadata_len: 0x3132_3334,
    data_len: 0x4142_4344, cdw10: 0x5152_5354, cdw11: 0x5556_5758, cdw12: 0x6162_6364, cdw13: 0x6566_6768,
    cdw14: 0x7172_7374, cdw15: 0x7576_7778, timeout_ms: 0x0102_0408,
  };
  prepNvmeUringCmd(sqe, -1, 0xdead_beef, {
    opcode: values.opcode, flags: values.flags, nsid: values.nsid, cdw2: values.cdw2, cdw3: values.cdw3,
    metadata: values.metadata, addr: values.addr, metadataLen: values.metadata_len, dataLen: values.data_len,
    cdw10: values.cdw10, cdw11: values.cdw11, cdw12: values.cdw12, cdw13: values.cdw13, cdw14: values.cdw14,
    cdw15: values.cdw15, timeoutMs: values.timeout_ms,
  });
  expectSqe(sqe, -1, 0xdead_beef, values);
});

test("NVMe command values the kernel could not take are refused", () => {
  const small = new ArrayBuffer(64);
  const sqe64 = new Sqe(small, 0, 64, 0);
  assert.throws(() => writeNvmeUringCmd(sqe64, { opcode: 6 }), refused(/128-byte SQE/));
  assert.throws(() => writeNvmeUringCmd(freshSqe(), { opcode: 256 }), refused(/opcode/));
  assert.throws(() => writeNvmeUringCmd(freshSqe(), { opcode: 6, nsid: -1 }), refused(/nsid/));
  assert.throws(() => writeNvmeUringCmd(freshSqe(), { opcode: 6, addr: 2 ** 53 }), refused(/addr/));
  assert.throws(() => nvmeRwCommand(2, 1, 0, 0, 0, 0), refused(/nlb/));
  assert.throws(() => nvmeRwCommand(2, 1, 0, 65537, 0, 0), refused(/nlb/));
  assert.throws(() => nvmeRwCommand(2, 1, -1, 1, 0, 0), refused(/slba/));
});

// ---- The C header itself: offsets, size, cmd_op values and the bytes of a filled struct -------------------------

const HEADER_FILE = "/usr/include/linux/nvme_ioctl.h";
function gccReason(): string | false {
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
  } catch {
    return "gcc is missing (apt-get install gcc)";
  }
  if (!existsSync(HEADER_FILE)) return `${HEADER_FILE} is missing (apt-get install linux-libc-dev)`;
  if (!readFileSync(HEADER_FILE, "utf8").includes("struct nvme_uring_cmd")) {
    return `${HEADER_FILE} predates struct nvme_uring_cmd (Linux 5.19 headers)`;
  }
  return false;
}
const noGcc = gccReason();

const C_PROGRAM = `
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <linux/ioctl.h>
#include <linux/nvme_ioctl.h>
#define OFF(f) printf("off %s %zu %zu\\n", #f, offsetof(struct nvme_uring_cmd, f), \\
  sizeof(((struct nvme_uring_cmd *)0)->f))
int main(void) {
  OFF(opcode); OFF(flags); OFF(rsvd1); OFF(nsid); OFF(cdw2); OFF(cdw3); OFF(metadata); OFF(addr);
  OFF(metadata_len); OFF(data_len); OFF(cdw10); OFF(cdw11); OFF(cdw12); OFF(cdw13); OFF(cdw14); OFF(cdw15);
  OFF(timeout_ms); OFF(rsvd2);
  printf("size %zu\\n", sizeof(struct nvme_uring_cmd));
  printf("op IO %u\\nop IO_VEC %u\\nop ADMIN %u\\nop ADMIN_VEC %u\\nop ID %u\\n", (unsigned)NVME_URING_CMD_IO,
    (unsigned)NVME_URING_CMD_IO_VEC, (unsigned)NVME_URING_CMD_ADMIN, (unsigned)NVME_URING_CMD_ADMIN_VEC,
    (unsigned)NVME_IOCTL_ID);
  struct nvme_uring_cmd c;
  memset(&c, 0, sizeof c);
  c.opcode = 0x11; c.flags = 0x22; c.nsid = 0x55667788; c.cdw2 = 0x01020304; c.cdw3 = 0x05060708;
  c.metadata = 0x0011131415161718ULL; c.addr = 0x0012232425262728ULL; c.metadata_len = 0x31323334;
  c.data_len = 0x41424344; c.cdw10 = 0x51525354; c.cdw11 = 0x55565758; c.cdw12 = 0x61626364; c.cdw13 = 0x65666768;
  c.cdw14 = 0x71727374; c.cdw15 = 0x75767778; c.timeout_ms = 0x01020408;
  printf("bytes");
  for (size_t i = 0; i < sizeof c; i++) printf(" %02x", ((unsigned char *)&c)[i]);
  printf("\\n");
  return 0;
}
`;

const cName = "a C program built against linux/nvme_ioctl.h agrees on offsets, size, cmd_ops and bytes";
test(cName, skipIf(noGcc, cName), () => {
  const dir = mkdtempSync(join(tmpdir(), "ringside-nvme-"));
  try {
    writeFileSync(join(dir, "nvme.c"), C_PROGRAM);
    execFileSync("gcc", ["-O0", "-o", join(dir, "nvme"), join(dir, "nvme.c")]);
    const out = execFileSync(join(dir, "nvme"), { encoding: "utf8" });
    const lines = out.trim().split("\n");
    for (const line of lines.filter((l) => l.startsWith("off "))) {
      const [, name, offset, size] = line.split(" ");
      assert.ok(name, line);
      assert.deepEqual(HEADER[name], [Number(offset), Number(size)], `offsetof/sizeof ${name}`);
      assert.equal(nvme_uring_cmd[name as keyof typeof nvme_uring_cmd], Number(offset), name);
    }
    assert.equal(lines.filter((l) => l.startsWith("off ")).length, Object.keys(HEADER).length);
    assert.ok(lines.includes("size 72"));
    const op = (name: string) => Number(lines.find((l) => l.startsWith(`op ${name} `))!.split(" ")[2]);
    assert.equal(op("IO"), NVME_URING_CMD_IO);
    assert.equal(op("IO_VEC"), NVME_URING_CMD_IO_VEC);
    assert.equal(op("ADMIN"), NVME_URING_CMD_ADMIN);
    assert.equal(op("ADMIN_VEC"), NVME_URING_CMD_ADMIN_VEC);
    assert.equal(op("ID"), NVME_IOCTL_ID);

    // The same values through writeNvmeUringCmd: the 72 bytes must be the C struct's.
    const cBytes = lines.find((l) => l.startsWith("bytes "))!.slice(6).split(" ").map((h) => parseInt(h, 16));
    const sqe = freshSqe();
    writeNvmeUringCmd(sqe, {
      opcode: 0x11, flags: 0x22, nsid: 0x5566_7788, cdw2: 0x0102_0304, cdw3: 0x0506_0708,
      metadata: 0x0011_1314_1516_1718, addr: 0x0012_2324_2526_2728, metadataLen: 0x3132_3334,
      dataLen: 0x4142_4344, cdw10: 0x5152_5354, cdw11: 0x5556_5758, cdw12: 0x6162_6364, cdw13: 0x6566_6768,
      cdw14: 0x7172_7374, cdw15: 0x7576_7778, timeoutMs: 0x0102_0408,
    });
    assert.deepEqual([...sqe.u8.subarray(CMD_AT, CMD_AT + 72)], cBytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- Parsing Identify data ---------------------------------------------------------------------------------------

test("Identify Controller and Identify Namespace data are decoded at the specification's offsets", () => {
  const page = new Uint8Array(4096);
  const v = new DataView(page.buffer);
  const put = (at: number, width: number, s: string) => {
    const padded = s.padEnd(width, " ");
    for (let i = 0; i < width; i++) page[at + i] = padded.charCodeAt(i);
  };
  v.setUint16(0, 0x144d, true);
  v.setUint16(2, 0x144d, true);
  put(4, 20, "S4EWNX0R123456");
  put(24, 40, "Samsung SSD 980 PRO 1TB");
  put(64, 8, "5B2QGXA7");
  page[77] = 9;
  v.setUint16(78, 6, true);
  v.setUint32(80, 0x0001_0400, true);
  v.setUint32(516, 1, true);
  const c = parseIdController(page);
  assert.deepEqual({ ...c, raw: undefined }, {
    vid: 0x144d, ssvid: 0x144d, serial: "S4EWNX0R123456", model: "Samsung SSD 980 PRO 1TB", firmware: "5B2QGXA7",
    mdts: 9, cntlid: 6, version: "1.4.0", nn: 1, raw: undefined,
  });

  const ns = new Uint8Array(4096);
  const nv = new DataView(ns.buffer);
  nv.setUint32(0, 0x7470_2db0, true); // nsze
  nv.setUint32(4, 0, true);
  nv.setUint32(8, 0x7470_2db0, true);
  nv.setUint32(16, 0x1000, true);
  ns[25] = 1; // nlbaf: two formats
  ns[26] = 1; // flbas: format 1
  ns[128 + 2] = 9; // format 0: 512 B
  ns[132 + 2] = 12; // format 1: 4096 B
  nv.setUint16(132, 8, true);
  const n = parseIdNamespace(ns);
  assert.deepEqual({ ...n, raw: undefined }, {
    nsze: 0x7470_2db0, ncap: 0x7470_2db0, nuse: 0x1000, formatIndex: 1, lbaSize: 4096, metadataSize: 8,
    raw: undefined,
  });
});

test("NvmeStatusError names the status fields", () => {
  const e = new NvmeStatusError("run NVMe command 0x2", 0x4080, 0n);
  assert.equal(e.sct, 0);
  assert.equal(e.sc, 0x80);
  assert.equal(e.dnr, true);
  assert.match(e.message, /LBA Out of Range, do not retry/);
});

// ---- On a loop ---------------------------------------------------------------------------------------------------

const noBigRing = !setupFlagSupported(IORING_SETUP_SQE128 | IORING_SETUP_CQE32) &&
  "IORING_SETUP_SQE128 and IORING_SETUP_CQE32 need Linux 5.19";

test("NVMe passthrough is refused on a ring without 128-byte SQEs and on what is not an NVMe device",
  skipIf(noBigRing, "NVMe passthrough refusals"), async () => {
  const plain = new Loop();
  const big = new Loop({ ring: { flags: IORING_SETUP_SQE128 | IORING_SETUP_CQE32 } });
  try {
    const devNull = await open(big, "/dev/null", "r");
    const completed = [plain.stats.completed, big.stats.completed];
    await assert.rejects(nvmeIdentifyController(plain, devNull), refused(/IORING_SETUP_SQE128 \| IORING_SETUP_CQE32/));
    // /dev/null takes every uring_cmd and answers 0: an Identify there would "succeed" with a page of zeros.
    await assert.rejects(nvmeIdentifyController(big, devNull), refused(/\/dev\/null is not an NVMe character device/));
    await assert.rejects(nvmePassthru(big, devNull, NVME_URING_CMD_IO, { opcode: 2 }), refused(/not an NVMe/));
    // A _VEC command would make the driver read the data buffer as an iovec array: refused whatever the device.
    for (const vec of [NVME_URING_CMD_IO_VEC, NVME_URING_CMD_ADMIN_VEC]) {
      await assert.rejects(nvmePassthru(big, devNull, vec, { opcode: 2 }, { data: new Uint8Array(64) }),
        refused(/cmdOp must be NVME_URING_CMD_IO or NVME_URING_CMD_ADMIN/));
    }
    await assert.rejects(nvmeRead(big, devNull, 1, 0, 2, new Uint8Array(1000)), refused(/exactly 2 logical blocks/));
    assert.deepEqual([plain.stats.completed, big.stats.completed], completed, "nothing reached the kernel");
    await close(big, devNull);
  } finally {
    await plain.close();
    await big.close();
  }
});

test("examples/nvme_identify.ts explains why it cannot run where there is no NVMe device", () => {
  const present = existsSync("/dev") && /(^|\n)(ng\d+n\d+|nvme\d+)(\n|$)/.test(execFileSync("ls", ["/dev"], {
    encoding: "utf8",
  }));
  const r = runExample("nvme_identify.ts");
  if (present) {
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no NVMe device/);
  const named = runExample("nvme_identify.ts", ["/dev/ng9n9"]);
  assert.equal(named.status, 1, "a named device that is missing is an error");
  assert.match(named.stderr, /\/dev\/nvme9 \(the controller of \/dev\/ng9n9\) does not exist/);
});
