/**
 * Checks uring/fuse/abi.ts against the C compiler and the `linux/fuse.h` installed on this machine: every
 * constant, struct size and member offset the header has is compiled and compared. What the header is too old
 * to have (it may predate FUSE over io_uring, protocol 7.42) is compared with values spelled out below from the
 * Linux 6.18 header (include/uapi/linux/fuse.h) and fs/fuse/dev_uring.c. The io_uring facts checked by hand on Linux 6.18 are
 * checked too.
 *
 * Without gcc or the header the compiler test is skipped with the reason; the spelled-out checks still run.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as abi from "./abi.ts";
import { skipIf } from "../../testing/mod.ts";

const HEADER = "/usr/include/linux/fuse.h";

type Layout = Readonly<Record<string, number>>;

const constants = new Map<string, number>();
const layouts = new Map<string, Layout>();
for (const [name, value] of Object.entries(abi)) {
  if (typeof value === "number") constants.set(name, value);
  else if (typeof value === "object" && value !== null && "SIZE" in value) layouts.set(name, value as Layout);
}

/** Ours by design, not a copy of the kernel's. */
const OURS = new Set(["FUSE_KERNEL_MINOR_VERSION"]);

/** Members whose offset differs between older headers and 6.18, with the reason. */
const CHANGED = new Map<string, string>([
  ["fuse_init_out.unused", "7.40/7.43 took its first words for max_stack_depth and request_timeout (u16 unused[11])"],
]);

/** Values from the Linux 6.18 header and fs/fuse/dev_uring.c, for what older installed headers lack. */
const SPELLED = new Map<string, number>([
  ["FUSE_STATX", 52],
  // Protocol 7.45 (Linux 6.18): FUSE_COPY_FILE_RANGE_64 and its reply, struct fuse_copy_file_range_out { u64 }.
  ["FUSE_COPY_FILE_RANGE_64", 53],
  ["fuse_copy_file_range_out.SIZE", 8],
  ["fuse_copy_file_range_out.bytes_copied", 0],
  ["FUSE_CREATE_SUPP_GROUP", 2 ** 34],
  ["FUSE_HAS_EXPIRE_ONLY", 2 ** 35],
  ["FUSE_DIRECT_IO_ALLOW_MMAP", 2 ** 36],
  ["FUSE_PASSTHROUGH", 2 ** 37],
  ["FUSE_NO_EXPORT_SUPPORT", 2 ** 38],
  ["FUSE_HAS_RESEND", 2 ** 39],
  ["FUSE_ALLOW_IDMAP", 2 ** 40],
  ["FUSE_OVER_IO_URING", 2 ** 41],
  ["FUSE_REQUEST_TIMEOUT", 2 ** 42],
  ["FOPEN_PASSTHROUGH", 1 << 7],
  ["FUSE_URING_IN_OUT_HEADER_SZ", 128],
  ["FUSE_URING_OP_IN_OUT_SZ", 128],
  ["FUSE_IO_URING_CMD_INVALID", 0],
  ["FUSE_IO_URING_CMD_REGISTER", 1],
  ["FUSE_IO_URING_CMD_COMMIT_AND_FETCH", 2],
  ["fuse_init_out.max_stack_depth", 36],
  ["fuse_init_out.request_timeout", 40],
  ["fuse_init_out.unused", 42],
  ["fuse_open_out.backing_id", 12],
  ["fuse_uring_ent_in_out.SIZE", 32],
  ["fuse_uring_ent_in_out.flags", 0],
  ["fuse_uring_ent_in_out.commit_id", 8],
  ["fuse_uring_ent_in_out.payload_sz", 16],
  ["fuse_uring_ent_in_out.padding", 20],
  ["fuse_uring_ent_in_out.reserved", 24],
  ["fuse_uring_req_header.SIZE", 288],
  ["fuse_uring_req_header.in_out", 0],
  ["fuse_uring_req_header.op_in", 128],
  ["fuse_uring_req_header.ring_ent_in_out", 256],
  ["fuse_uring_cmd_req.SIZE", 24],
  ["fuse_uring_cmd_req.flags", 0],
  ["fuse_uring_cmd_req.commit_id", 8],
  ["fuse_uring_cmd_req.qid", 16],
  ["fuse_uring_cmd_req.padding", 18],
]);

const headerText = existsSync(HEADER) ? readFileSync(HEADER, "utf8") : "";

/** The body of `struct name { ... }` in the header, or undefined. */
function structBody(name: string): string | undefined {
  const m = new RegExp(`struct ${name} \\{([^}]*)\\}`).exec(headerText);
  return m?.[1];
}

function has(text: string, word: string): boolean {
  return new RegExp(`\\b${word}\\b`).test(text);
}

/** What the compiler should check (in the header) and what must be spelled out (not in it). */
function split(): { compiled: string[]; spelled: string[] } {
  const compiled: string[] = [];
  const spelled: string[] = [];
  for (const name of constants.keys()) {
    if (OURS.has(name)) continue;
    (headerText && has(headerText, name) ? compiled : spelled).push(name);
  }
  for (const [struct, layout] of layouts) {
    const body = structBody(struct);
    for (const member of Object.keys(layout)) {
      const key = `${struct}.${member}`;
      if (body !== undefined && member === "SIZE") compiled.push(key);
      else if (body !== undefined && has(body, member) && !CHANGED.has(key)) compiled.push(key);
      else spelled.push(key);
    }
  }
  return { compiled, spelled };
}

function ours(key: string): number {
  const dot = key.indexOf(".");
  const value = dot < 0 ? constants.get(key) : layouts.get(key.slice(0, dot))?.[key.slice(dot + 1)];
  assert.ok(value !== undefined, `${key} is not in abi.ts`);
  return value;
}

const gcc = spawnSync("gcc", ["--version"]);
const noCompiler = gcc.error || gcc.status !== 0
  ? "gcc is missing (apt-get install gcc)"
  : !existsSync(HEADER)
  ? `${HEADER} is missing (apt-get install linux-libc-dev)`
  : false;

const compiledName = "abi.ts matches the installed linux/fuse.h: every constant, struct size and offset it has";
test(compiledName, skipIf(noCompiler, compiledName), () => {
  const { compiled } = split();
  const lines = compiled.map((key) => {
    const [s, m] = key.split(".");
    const expr = m === undefined ? `(unsigned long long)(${s})` : m === "SIZE"
      ? `(unsigned long long)sizeof(struct ${s})`
      : `(unsigned long long)offsetof(struct ${s}, ${m})`;
    return `  printf("%s %llu\\n", "${key}", ${expr});`;
  });
  const src = `#include <stdio.h>\n#include <stddef.h>\n#include <sys/ioctl.h>\n#include <linux/fuse.h>\nint main(void) {\n${lines.join("\n")}\n` +
    `  return 0;\n}\n`;
  const dir = mkdtempSync(join(tmpdir(), "ringside-fuse-abi-"));
  try {
    writeFileSync(join(dir, "abi.c"), src);
    execFileSync("gcc", ["-o", join(dir, "abi"), join(dir, "abi.c")], { stdio: "pipe" });
    const out = execFileSync(join(dir, "abi"), { encoding: "utf8" });
    const got = new Map(out.trim().split("\n").map((l) => {
      const [k, v] = l.split(" ");
      assert.ok(v !== undefined, `"${l}" is not "<key> <value>"`);
      return [k, BigInt(v)] as const;
    }));
    const wrong: string[] = [];
    for (const key of compiled) {
      const mine = ours(key);
      let theirs = got.get(key)!;
      // (1 << 31) is an int in C: sign-extended when widened; compare 32-bit flags as 32 bits.
      if (mine < 2 ** 32) theirs &= 0xffffffffn;
      if (BigInt(mine) !== theirs) wrong.push(`${key}: abi.ts ${mine}, header ${theirs}`);
    }
    assert.deepEqual(wrong, []);
    assert.ok(compiled.length > 150, `only ${compiled.length} values were compared`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("what the installed header lacks matches the Linux 6.18 values spelled out here", () => {
  const { spelled } = split();
  const missing = spelled.filter((k) => !SPELLED.has(k));
  assert.deepEqual(missing, [], "values neither in the installed header nor spelled out in this test");
  for (const key of spelled) assert.equal(ours(key), SPELLED.get(key), key);
});

test("the FUSE over io_uring layout is the one checked by hand on Linux 6.18", () => {
  // iov[0] >= 288 B header: in_out[128] @0, op_in[128] @128, ring_ent_in_out @256 {u64 flags, u64 commit_id,
  // u32 payload_sz}; command area @48 of a 128-byte SQE = {u64 flags, u64 commit_id, u16 qid}; REGISTER 1,
  // COMMIT_AND_FETCH 2; INIT opcode 26; flags2 bit 9 = FUSE_OVER_IO_URING.
  assert.equal(abi.fuse_uring_req_header.SIZE, 288);
  assert.equal(abi.fuse_uring_req_header.op_in, 128);
  assert.equal(abi.fuse_uring_req_header.ring_ent_in_out, 256);
  assert.equal(abi.fuse_uring_ent_in_out.payload_sz, 16);
  assert.equal(abi.fuse_uring_cmd_req.qid, 16);
  assert.ok(abi.fuse_uring_cmd_req.SIZE <= 80, "the command must fit the 80-byte area of a 128-byte SQE");
  assert.equal(abi.FUSE_IO_URING_CMD_REGISTER, 1);
  assert.equal(abi.FUSE_IO_URING_CMD_COMMIT_AND_FETCH, 2);
  assert.equal(abi.FUSE_INIT, 26);
  assert.equal(abi.initFlagsHigh(abi.FUSE_OVER_IO_URING), 1 << 9);
  assert.equal(abi.initFlagsLow(abi.FUSE_OVER_IO_URING), 0);
  assert.equal(abi.initFlagsLow(abi.FUSE_INIT_EXT | abi.FUSE_ASYNC_READ), (1 << 30) | 1);
  assert.ok(abi.fuse_in_header.SIZE <= abi.FUSE_URING_IN_OUT_HEADER_SZ);
});

test("every first-argument size is the size of the struct the kernel sends as that opcode's first argument", () => {
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_READ], abi.fuse_read_in.SIZE);
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_WRITE], abi.fuse_write_in.SIZE);
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_CREATE], abi.fuse_create_in.SIZE);
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_SETATTR], abi.fuse_setattr_in.SIZE);
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_GETXATTR], abi.fuse_getxattr_in.SIZE);
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_LISTXATTR], abi.fuse_getxattr_in.SIZE);
  for (const op of [abi.FUSE_GETLK, abi.FUSE_SETLK, abi.FUSE_SETLKW]) {
    assert.equal(abi.FUSE_OP_IN_SIZE[op], abi.fuse_lk_in.SIZE);
  }
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_FALLOCATE], abi.fuse_fallocate_in.SIZE);
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_LSEEK], abi.fuse_lseek_in.SIZE);
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_COPY_FILE_RANGE], abi.fuse_copy_file_range_in.SIZE);
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_COPY_FILE_RANGE_64], abi.fuse_copy_file_range_in.SIZE);
  // Without FUSE_SETXATTR_EXT (never asked for) the kernel sends the 8-byte compat struct (fs/fuse/xattr.c).
  assert.equal(abi.FUSE_OP_IN_SIZE[abi.FUSE_SETXATTR], abi.FUSE_COMPAT_SETXATTR_IN_SIZE);
  assert.equal(abi.fuse_setxattr_in.setxattr_flags, abi.FUSE_COMPAT_SETXATTR_IN_SIZE);
  // Since 6.14 a name-only request has an empty first argument (fuse_set_zero_arg0): the name is payload.
  for (
    const op of [abi.FUSE_LOOKUP, abi.FUSE_UNLINK, abi.FUSE_RMDIR, abi.FUSE_SYMLINK, abi.FUSE_READLINK,
      abi.FUSE_REMOVEXATTR]
  ) {
    assert.equal(abi.FUSE_OP_IN_SIZE[op], undefined, abi.FUSE_OPCODE_NAMES[op] ?? `opcode ${op}`);
  }
  for (const size of Object.values(abi.FUSE_OP_IN_SIZE)) assert.ok(size <= abi.FUSE_URING_OP_IN_OUT_SZ);
});
