/**
 * The transport-neutral dispatcher without a mount: requests built byte by byte as the kernel lays them out,
 * replies read back at the offsets of linux/fuse.h. Runs anywhere (no root, no /dev/fuse).
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as abi from "./abi.ts";
import { Dispatcher, FuseRequest, NO_REPLY } from "./dispatch.ts";
import {
  type Entry,
  errnoOf,
  F_RDLCK,
  F_UNLCK,
  F_WRLCK,
  type FileLock,
  FuseError,
  type FuseHandlers,
  LOCK_EX,
  LOCK_SH,
  LOCK_TO_EOF,
  LOCK_UN,
} from "./handlers.ts";
import { S_IFDIR, S_IFREG } from "../abi/structs.ts";
import { getU64, putU64 as setU64 } from "../abi/_u64.ts";

const t = { sec: 1_700_000_000, nsec: 123 };
const fileAttr = { ino: 7, mode: S_IFREG | 0o640, nlink: 1, size: 5000, atime: t, mtime: t, ctime: t, uid: 3 };
const encoder = new TextEncoder();

/** A request whose first argument and payload lie in separate buffers, as over io_uring. */
function request(opcode: number, nodeid: number, op: Uint8Array, payload: Uint8Array = new Uint8Array(0)): FuseRequest {
  const r = new FuseRequest();
  r.opcode = opcode;
  r.nodeid = nodeid;
  r.uid = 1000;
  r.opView = new DataView(op.buffer, op.byteOffset, op.byteLength);
  r.opOff = 0;
  r.payBytes = payload;
  r.payOff = 0;
  r.payLen = payload.byteLength;
  return r;
}

function cstrings(...s: string[]): Uint8Array {
  return encoder.encode(s.map((x) => x + "\0").join(""));
}

function out(size = 8192): { view: DataView; bytes: Uint8Array } {
  const bytes = new Uint8Array(size);
  return { view: new DataView(bytes.buffer), bytes };
}

test("LOOKUP takes the name from the payload and answers a fuse_entry_out with the default timeouts", () => {
  let seen = "";
  const d = new Dispatcher({
    lookup: (ctx, parent, name) => {
      seen = `${ctx.uid} ${parent} ${name}`;
      return { ino: 7, generation: 2, attr: fileAttr };
    },
  }, { entryTimeout: 1.5, attrTimeout: 0.25 });
  const o = out();
  const n = d.handle(request(abi.FUSE_LOOKUP, 1, new Uint8Array(0), cstrings("héllo")), o.view, o.bytes, 8192);
  assert.equal(n, abi.fuse_entry_out.SIZE);
  assert.equal(seen, "1000 1 héllo");
  const v = o.view;
  assert.equal(getU64(v, abi.fuse_entry_out.nodeid), 7);
  assert.equal(getU64(v, abi.fuse_entry_out.generation), 2);
  assert.equal(getU64(v, abi.fuse_entry_out.entry_valid), 1);
  assert.equal(v.getUint32(abi.fuse_entry_out.entry_valid_nsec, true), 500_000_000);
  assert.equal(getU64(v, abi.fuse_entry_out.attr_valid), 0);
  assert.equal(v.getUint32(abi.fuse_entry_out.attr_valid_nsec, true), 250_000_000);
  const a = abi.fuse_entry_out.attr;
  assert.equal(getU64(v, a + abi.fuse_attr.size), 5000);
  assert.equal(getU64(v, a + abi.fuse_attr.blocks), 10);
  assert.equal(getU64(v, a + abi.fuse_attr.mtime), t.sec);
  assert.equal(v.getUint32(a + abi.fuse_attr.mtimensec, true), 123);
  assert.equal(v.getUint32(a + abi.fuse_attr.mode, true), S_IFREG | 0o640);
  assert.equal(v.getUint32(a + abi.fuse_attr.uid, true), 3);
  assert.equal(v.getUint32(a + abi.fuse_attr.blksize, true), 4096);
});

test("errors: FuseError keeps its errno, errno-named codes too, anything else is EIO and reported", () => {
  const reported: unknown[] = [];
  const d = new Dispatcher({
    lookup: (_c, _p, name) => {
      if (name === "a") throw new FuseError("ENOTEMPTY");
      if (name === "b") throw Object.assign(new Error("from below"), { code: "EACCES" });
      throw new TypeError("oops");
    },
  }, { onError: (e) => reported.push(e) });
  const o = out();
  const call = (name: string) => d.handle(request(abi.FUSE_LOOKUP, 1, new Uint8Array(0), cstrings(name)), o.view,
    o.bytes, 8192);
  assert.equal(call("a"), -39);
  assert.equal(call("b"), -13);
  assert.equal(call("c"), -5);
  assert.equal(reported.length, 1);
  assert.ok(reported[0] instanceof TypeError);
  assert.equal(errnoOf(new FuseError(2)), 2);
  assert.equal(new FuseError("ENOENT", "gone").message, "ENOENT: gone");
  assert.throws(() => new FuseError("ENOTANERRNO"), RangeError);
});

test("absent handlers: ENOSYS, or libfuse's defaults for open, release, flush, fsync, access and statfs", () => {
  const d = new Dispatcher({});
  const o = out();
  const op = new Uint8Array(64);
  assert.equal(d.handle(request(abi.FUSE_MKDIR, 1, op.subarray(0, 8), cstrings("x")), o.view, o.bytes, 8192), -38);
  assert.equal(d.handle(request(abi.FUSE_GETXATTR, 1, op), o.view, o.bytes, 8192), -38);
  assert.equal(d.handle(request(abi.FUSE_OPEN, 2, op.subarray(0, 8)), o.view, o.bytes, 8192), abi.fuse_open_out.SIZE);
  for (const opcode of [abi.FUSE_RELEASE, abi.FUSE_FLUSH, abi.FUSE_FSYNC, abi.FUSE_ACCESS, abi.FUSE_RELEASEDIR]) {
    assert.equal(d.handle(request(opcode, 2, op.subarray(0, 24)), o.view, o.bytes, 8192), 0);
  }
  assert.equal(d.handle(request(abi.FUSE_STATFS, 1, op.subarray(0, 0)), o.view, o.bytes, 8192), abi.fuse_kstatfs.SIZE);
  assert.equal(d.handle(request(abi.FUSE_INTERRUPT, 1, op.subarray(0, 8)), o.view, o.bytes, 8192), NO_REPLY);
});

test("READ copies what the handler returns, clipped to the size asked for; promises are awaited", async () => {
  const data = encoder.encode("0123456789");
  const d = new Dispatcher({ read: (_c, _i, fh, offset, size) => Promise.resolve(data.subarray(offset + fh, 99 + size)) });
  const op = new Uint8Array(abi.fuse_read_in.SIZE);
  const v = new DataView(op.buffer);
  setU64(v, abi.fuse_read_in.fh, 1);
  setU64(v, abi.fuse_read_in.offset, 2);
  v.setUint32(abi.fuse_read_in.size, 4, true);
  const o = out();
  const n = d.handle(request(abi.FUSE_READ, 7, op), o.view, o.bytes, 8192);
  assert.ok(n instanceof Promise);
  assert.equal(await n, 4);
  assert.equal(new TextDecoder().decode(o.bytes.subarray(0, 4)), "3456");
});

test("WRITE hands over the payload and answers fuse_write_out", () => {
  let got = "";
  const d = new Dispatcher({
    write: (_c, ino, fh, offset, bytes) => {
      got = `${ino} ${fh} ${offset} ${new TextDecoder().decode(bytes)}`;
      return bytes.byteLength;
    },
  });
  const op = new Uint8Array(abi.fuse_write_in.SIZE);
  const v = new DataView(op.buffer);
  setU64(v, abi.fuse_write_in.fh, 9);
  setU64(v, abi.fuse_write_in.offset, 2 ** 40);
  v.setUint32(abi.fuse_write_in.size, 3, true);
  const o = out();
  assert.equal(d.handle(request(abi.FUSE_WRITE, 7, op, encoder.encode("abcdef")), o.view, o.bytes, 8192), 8);
  assert.equal(got, `7 9 ${2 ** 40} abc`);
  assert.equal(o.view.getUint32(abi.fuse_write_out.size, true), 3);
  // A count that is not one of the bytes handed over is the handler's bug: EIO and reported, never a write(2) that
  // answers 0 (callers retry it forever) or more than was written.
  const reported: unknown[] = [];
  for (const bad of [undefined, 4, -1, 1.5, "3"]) {
    const w = new Dispatcher({ write: () => bad as number }, { onError: (e) => reported.push(e) });
    assert.equal(w.handle(request(abi.FUSE_WRITE, 7, op, encoder.encode("abcdef")), o.view, o.bytes, 8192), -5,
      String(bad));
  }
  assert.equal(reported.length, 5);
  assert.match(String(reported[0]), /WRITE/);
});

test("kill indications reach the handlers: WRITE's write_flags, OPEN's and CREATE's open_flags, FATTR_KILL_SUIDGID",
  () => {
  const got: unknown[] = [];
  const d = new Dispatcher({
    write: (_c, _i, _fh, _off, bytes, flags, writeFlags) => {
      got.push(["write", flags, writeFlags]);
      return bytes.byteLength;
    },
    open: (_c, _i, flags, openFlags) => void got.push(["open", flags, openFlags]),
    opendir: (_c, _i, flags) => void got.push(["opendir", flags]),
    create: (_c, _p, name, mode, umask, flags, openFlags) => {
      got.push(["create", name, mode, umask, flags, openFlags]);
      return { entry: { ino: 7, attr: fileAttr } };
    },
    setattr: (_c, _i, c) => {
      got.push(["setattr", c]);
      return fileAttr;
    },
  });
  const o = out();
  const w = new Uint8Array(abi.fuse_write_in.SIZE);
  const wv = new DataView(w.buffer);
  wv.setUint32(abi.fuse_write_in.size, 1, true);
  wv.setUint32(abi.fuse_write_in.write_flags, abi.FUSE_WRITE_KILL_SUIDGID | abi.FUSE_WRITE_LOCKOWNER, true);
  wv.setUint32(abi.fuse_write_in.flags, 0o102001, true); // O_LARGEFILE | O_APPEND | O_WRONLY
  assert.equal(d.handle(request(abi.FUSE_WRITE, 7, w, encoder.encode("x")), o.view, o.bytes, 8192), 8);
  const op = new Uint8Array(abi.fuse_create_in.SIZE);
  const v = new DataView(op.buffer);
  v.setUint32(abi.fuse_open_in.flags, 0o1001, true); // O_TRUNC | O_WRONLY
  v.setUint32(abi.fuse_open_in.open_flags, abi.FUSE_OPEN_KILL_SUIDGID, true);
  assert.equal(d.handle(request(abi.FUSE_OPEN, 7, op.subarray(0, 8)), o.view, o.bytes, 8192), abi.fuse_open_out.SIZE);
  assert.equal(d.handle(request(abi.FUSE_OPENDIR, 1, op.subarray(0, 8)), o.view, o.bytes, 8192),
    abi.fuse_open_out.SIZE);
  v.setUint32(abi.fuse_create_in.flags, 0o1101, true); // O_TRUNC | O_CREAT | O_WRONLY
  v.setUint32(abi.fuse_create_in.mode, 0o100644, true);
  v.setUint32(abi.fuse_create_in.umask, 0o22, true);
  v.setUint32(abi.fuse_create_in.open_flags, abi.FUSE_OPEN_KILL_SUIDGID, true);
  assert.equal(d.handle(request(abi.FUSE_CREATE, 1, op, cstrings("f")), o.view, o.bytes, 8192),
    abi.fuse_entry_out.SIZE + abi.fuse_open_out.SIZE);
  const sa = new Uint8Array(abi.fuse_setattr_in.SIZE);
  const sv = new DataView(sa.buffer);
  sv.setUint32(abi.fuse_setattr_in.valid, abi.FATTR_SIZE | abi.FATTR_LOCKOWNER | abi.FATTR_KILL_SUIDGID, true);
  assert.equal(d.handle(request(abi.FUSE_SETATTR, 7, sa), o.view, o.bytes, 8192), abi.fuse_attr_out.SIZE);
  sv.setUint32(abi.fuse_setattr_in.valid, abi.FATTR_SIZE, true);
  assert.equal(d.handle(request(abi.FUSE_SETATTR, 7, sa), o.view, o.bytes, 8192), abi.fuse_attr_out.SIZE);
  assert.deepEqual(got, [
    ["write", 0o102001, abi.FUSE_WRITE_KILL_SUIDGID | abi.FUSE_WRITE_LOCKOWNER],
    ["open", 0o1001, abi.FUSE_OPEN_KILL_SUIDGID],
    ["opendir", 0o1001],
    ["create", "f", 0o100644, 0o22, 0o1101, abi.FUSE_OPEN_KILL_SUIDGID],
    ["setattr", { size: 0, killSuidgid: true }],
    ["setattr", { size: 0 }],
  ]);
});

test("READDIR packs 8-byte aligned fuse_dirents and stops at the first entry that does not fit", () => {
  const names = ["a", "bcdefghij", "x".repeat(40), "last"];
  let added = 0;
  const d = new Dispatcher({
    readdir: (_c, _i, _f, offset, w) => {
      for (let i = offset; i < names.length; i++) {
        if (!w.add(names[i]!, 100 + i, i === 0 ? S_IFDIR : S_IFREG, i + 1)) return;
        added++;
      }
    },
  });
  const op = new Uint8Array(abi.fuse_read_in.SIZE);
  // 32 + 40 + 64 = 136 bytes for three entries; the fourth (32) does not fit in 150.
  new DataView(op.buffer).setUint32(abi.fuse_read_in.size, 150, true);
  const o = out();
  assert.equal(d.handle(request(abi.FUSE_READDIR, 1, op), o.view, o.bytes, 8192), 136);
  assert.equal(added, 3);
  const v = o.view;
  let at = 0;
  for (let i = 0; i < 3; i++) {
    const len = v.getUint32(at + abi.fuse_dirent.namelen, true);
    assert.equal(len, names[i]!.length);
    assert.equal(getU64(v, at + abi.fuse_dirent.ino), 100 + i);
    assert.equal(getU64(v, at + abi.fuse_dirent.off), i + 1);
    assert.equal(v.getUint32(at + abi.fuse_dirent.type, true), i === 0 ? 4 : 8); // DT_DIR, DT_REG
    assert.equal(new TextDecoder().decode(o.bytes.subarray(at + abi.FUSE_NAME_OFFSET, at + abi.FUSE_NAME_OFFSET + len)),
      names[i]);
    at += (abi.FUSE_NAME_OFFSET + len + 7) & ~7;
  }
  assert.equal(at, 136);
});

test("READDIRPLUS writes a fuse_entry_out before each dirent", () => {
  const entry: Entry = { ino: 7, attr: fileAttr };
  const d = new Dispatcher({ readdirplus: (_c, _i, _f, _o, w) => void w.addPlus("file", entry, 1) });
  const op = new Uint8Array(abi.fuse_read_in.SIZE);
  new DataView(op.buffer).setUint32(abi.fuse_read_in.size, 4096, true);
  const o = out();
  assert.equal(d.handle(request(abi.FUSE_READDIRPLUS, 1, op), o.view, o.bytes, 8192), 160);
  assert.equal(getU64(o.view, abi.fuse_direntplus.entry_out + abi.fuse_entry_out.nodeid), 7);
  assert.equal(o.view.getUint32(abi.fuse_direntplus.dirent + abi.fuse_dirent.namelen, true), 4);
  assert.equal(new TextDecoder().decode(o.bytes.subarray(abi.FUSE_NAME_OFFSET_DIRENTPLUS,
    abi.FUSE_NAME_OFFSET_DIRENTPLUS + 4)), "file");
});

test("SETATTR decodes only the fields `valid` marks, with NOW flags and nanoseconds", () => {
  let changes: unknown;
  const d = new Dispatcher({
    setattr: (_c, _i, c) => {
      changes = c;
      return fileAttr;
    },
  });
  const op = new Uint8Array(abi.fuse_setattr_in.SIZE);
  const v = new DataView(op.buffer);
  v.setUint32(abi.fuse_setattr_in.valid, abi.FATTR_MODE | abi.FATTR_SIZE | abi.FATTR_ATIME | abi.FATTR_ATIME_NOW |
    abi.FATTR_MTIME | abi.FATTR_FH, true);
  v.setUint32(abi.fuse_setattr_in.mode, 0o100600, true);
  setU64(v, abi.fuse_setattr_in.size, 1234);
  setU64(v, abi.fuse_setattr_in.mtime, -5);
  v.setUint32(abi.fuse_setattr_in.mtimensec, 999, true);
  setU64(v, abi.fuse_setattr_in.fh, 4);
  v.setUint32(abi.fuse_setattr_in.uid, 55, true); // not marked valid: ignored
  const o = out();
  assert.equal(d.handle(request(abi.FUSE_SETATTR, 7, op), o.view, o.bytes, 8192), abi.fuse_attr_out.SIZE);
  assert.deepEqual(changes, { mode: 0o100600, size: 1234, atime: "now", mtime: { sec: -5, nsec: 999 }, fh: 4 });
});

test("RENAME, SYMLINK and LINK read their names in kernel order", () => {
  const calls: string[] = [];
  const entry: Entry = { ino: 7, attr: fileAttr };
  const h: FuseHandlers = {
    rename: (_c, p, n, np, nn, f) => void calls.push(`rename ${p}/${n} ${np}/${nn} ${f}`),
    symlink: (_c, p, n, target) => (calls.push(`symlink ${p}/${n} -> ${target}`), entry),
    link: (_c, ino, np, nn) => (calls.push(`link ${ino} ${np}/${nn}`), entry),
  };
  const d = new Dispatcher(h);
  const o = out();
  const r2 = new Uint8Array(abi.fuse_rename2_in.SIZE);
  setU64(new DataView(r2.buffer), abi.fuse_rename2_in.newdir, 9);
  new DataView(r2.buffer).setUint32(abi.fuse_rename2_in.flags, 1, true);
  assert.equal(d.handle(request(abi.FUSE_RENAME2, 2, r2, cstrings("old", "new")), o.view, o.bytes, 8192), 0);
  d.handle(request(abi.FUSE_SYMLINK, 2, new Uint8Array(0), cstrings("ln", "../target")), o.view, o.bytes, 8192);
  const li = new Uint8Array(abi.fuse_link_in.SIZE);
  setU64(new DataView(li.buffer), abi.fuse_link_in.oldnodeid, 7);
  d.handle(request(abi.FUSE_LINK, 3, li, cstrings("hard")), o.view, o.bytes, 8192);
  assert.deepEqual(calls, ["rename 2/old 9/new 1", "symlink 2/ln -> ../target", "link 7 3/hard"]);
});

test("FORGET and BATCH_FORGET call forget and take no reply", () => {
  const forgotten: string[] = [];
  const d = new Dispatcher({ forget: (ino, n) => void forgotten.push(`${ino}:${n}`) });
  const o = out();
  const f = new Uint8Array(8);
  setU64(new DataView(f.buffer), 0, 3);
  assert.equal(d.handle(request(abi.FUSE_FORGET, 5, f), o.view, o.bytes, 8192), NO_REPLY);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(abi.fuse_batch_forget_in.count, 2, true);
  const list = new Uint8Array(32);
  const lv = new DataView(list.buffer);
  setU64(lv, 0, 10);
  setU64(lv, 8, 1);
  setU64(lv, 16, 11);
  setU64(lv, 24, 2);
  assert.equal(d.handle(request(abi.FUSE_BATCH_FORGET, 0, b, list), o.view, o.bytes, 8192), NO_REPLY);
  assert.deepEqual(forgotten, ["5:3", "10:1", "11:2"]);
});

test("u64 helpers: exact to 2^53, two's complement below zero", () => {
  const v = new DataView(new ArrayBuffer(8));
  setU64(v, 0, 2 ** 53 - 1);
  assert.equal(getU64(v, 0), 2 ** 53 - 1);
  setU64(v, 0, -1);
  assert.equal(v.getBigUint64(0, true), 2n ** 64n - 1n);
});

/** Bytes with a NUL after each part (names as the kernel sends them). */
function raw(...parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p, 0]));
}

test("names: \"bytes\" hands over the kernel's bytes in copies; \"string\" decodes strict UTF-8 or answers", () => {
  const seen: unknown[] = [];
  const bytes = new Dispatcher<"bytes">({
    mkdir: (_c, _p, name) => (seen.push(name), { ino: 7, attr: fileAttr }),
    rename: (_c, _p, name, _np, newName) => void seen.push(name, newName),
  }, { names: "bytes" });
  const o = out();
  const payload = raw([0xe9], [0xff, 0xfe]);
  assert.equal(bytes.handle(request(abi.FUSE_MKDIR, 1, new Uint8Array(8), payload), o.view, o.bytes, 8192),
    abi.fuse_entry_out.SIZE);
  assert.equal(bytes.handle(request(abi.FUSE_RENAME, 1, new Uint8Array(8), payload), o.view, o.bytes, 8192), 0);
  payload.fill(0x41); // the request buffer is reused: what the handlers kept must not change
  assert.deepEqual(seen, [Uint8Array.of(0xe9), Uint8Array.of(0xe9), Uint8Array.of(0xff, 0xfe)]);

  let called = 0;
  const decoded: string[] = [];
  const strings = new Dispatcher({
    lookup: () => (called++, { ino: 7, attr: fileAttr }),
    mkdir: () => (called++, { ino: 7, attr: fileAttr }),
    symlink: (_c, _p, name, target) => (decoded.push(name, target), { ino: 7, attr: fileAttr }),
  });
  const call = (op: number, p: Uint8Array) =>
    strings.handle(request(op, 1, new Uint8Array(8), p), o.view, o.bytes, 8192);
  assert.equal(call(abi.FUSE_LOOKUP, raw([0xe9])), -2, "ENOENT: no such name can exist");
  assert.equal(call(abi.FUSE_MKDIR, raw([0xc3, 0x28])), -84, "EILSEQ");
  assert.equal(call(abi.FUSE_SYMLINK, raw([0x61], [0xff])), -84, "a target that is not UTF-8: EILSEQ");
  assert.equal(called, 0);
  assert.equal(call(abi.FUSE_MKDIR, encoder.encode("no NUL")), -22, "EINVAL for a name the kernel did not end");
  // A leading U+FEFF is part of the name.
  call(abi.FUSE_SYMLINK, raw([0xef, 0xbb, 0xbf, 0x61], [0xc3, 0xa9]));
  assert.deepEqual(decoded, ["\ufeffa", "é"]);
  assert.throws(() => new Dispatcher({}, { names: "latin1" as "bytes" }), /names must be "string" or "bytes"/);
});

test("directory entries and link targets may be bytes in either mode; names the kernel would refuse are EIO", () => {
  const reported: unknown[] = [];
  let entries: (string | Uint8Array)[] = [];
  const d = new Dispatcher({
    readdir: (_c, _i, _f, _o, w) => void entries.forEach((n, i) => w.add(n, 10 + i, S_IFREG, i + 1)),
    readlink: (_c, ino) => ino === 2 ? Uint8Array.of(0xff, 0x2f) : ino === 3 ? "a\0b" : "é",
  }, { onError: (e) => reported.push(e) });
  const op = new Uint8Array(abi.fuse_read_in.SIZE);
  new DataView(op.buffer).setUint32(abi.fuse_read_in.size, 4096, true);
  const o = out();
  entries = [Uint8Array.of(0xe9), "é"];
  assert.equal(d.handle(request(abi.FUSE_READDIR, 1, op), o.view, o.bytes, 8192), 64);
  assert.equal(o.bytes[abi.FUSE_NAME_OFFSET], 0xe9);
  assert.deepEqual([...o.bytes.subarray(32 + abi.FUSE_NAME_OFFSET, 32 + abi.FUSE_NAME_OFFSET + 2)], [0xc3, 0xa9]);
  for (const bad of [Uint8Array.of(0x61, 0x2f), "a/b", "", Uint8Array.of(0x61, 0), "x".repeat(1025)]) {
    entries = [bad];
    assert.equal(d.handle(request(abi.FUSE_READDIR, 1, op), o.view, o.bytes, 8192), -5, JSON.stringify(bad));
  }
  assert.equal(reported.length, 5);
  assert.match(String(reported[0]), /directory entry.*'\/'/);
  assert.equal(d.handle(request(abi.FUSE_READLINK, 2, new Uint8Array(0)), o.view, o.bytes, 8192), 2);
  assert.deepEqual([...o.bytes.subarray(0, 2)], [0xff, 0x2f]);
  assert.equal(d.handle(request(abi.FUSE_READLINK, 4, new Uint8Array(0)), o.view, o.bytes, 8192), 2);
  assert.equal(d.handle(request(abi.FUSE_READLINK, 3, new Uint8Array(0)), o.view, o.bytes, 8192), -5);
});

test("GETXATTR and LISTXATTR: the size alone for size 0, ERANGE for a small buffer, the NUL-separated list", () => {
  const d = new Dispatcher<"bytes">({
    getxattr: (_c, _i, name) => name[0] === 0x61 ? encoder.encode("value") : Promise.reject(new FuseError("ENODATA")),
    listxattr: () => ["user.a", Uint8Array.of(0x75, 0x2e, 0xff)],
    setxattr: (_c, _i, name, value, flags) => void seen.push([name, value, flags]),
  }, { names: "bytes" });
  const seen: unknown[] = [];
  const o = out();
  const sized = (size: number) => {
    const op = new Uint8Array(abi.fuse_getxattr_in.SIZE);
    new DataView(op.buffer).setUint32(abi.fuse_getxattr_in.size, size, true);
    return op;
  };
  assert.equal(d.handle(request(abi.FUSE_GETXATTR, 2, sized(0), raw([0x61])), o.view, o.bytes, 8192),
    abi.fuse_getxattr_out.SIZE);
  assert.equal(o.view.getUint32(abi.fuse_getxattr_out.size, true), 5);
  assert.equal(d.handle(request(abi.FUSE_GETXATTR, 2, sized(4), raw([0x61])), o.view, o.bytes, 8192), -34);
  assert.equal(d.handle(request(abi.FUSE_GETXATTR, 2, sized(5), raw([0x61])), o.view, o.bytes, 8192), 5);
  assert.equal(d.handle(request(abi.FUSE_LISTXATTR, 2, sized(0)), o.view, o.bytes, 8192), abi.fuse_getxattr_out.SIZE);
  assert.equal(o.view.getUint32(abi.fuse_getxattr_out.size, true), 11);
  assert.equal(d.handle(request(abi.FUSE_LISTXATTR, 2, sized(10)), o.view, o.bytes, 8192), -34);
  assert.equal(d.handle(request(abi.FUSE_LISTXATTR, 2, sized(64)), o.view, o.bytes, 8192), 11);
  assert.deepEqual([...o.bytes.subarray(0, 11)], [...encoder.encode("user.a\0u."), 0xff, 0]);
  // SETXATTR: the compat struct (size, flags), then the name and the value in the payload.
  const op = new Uint8Array(abi.FUSE_COMPAT_SETXATTR_IN_SIZE);
  new DataView(op.buffer).setUint32(abi.fuse_setxattr_in.size, 3, true);
  new DataView(op.buffer).setUint32(abi.fuse_setxattr_in.flags, 2, true);
  const payload = Uint8Array.of(0x75, 0x2e, 0xe9, 0, 1, 0, 2, 9, 9);
  assert.equal(d.handle(request(abi.FUSE_SETXATTR, 2, op, payload), o.view, o.bytes, 8192), 0);
  assert.deepEqual(seen, [[Uint8Array.of(0x75, 0x2e, 0xe9), Uint8Array.of(1, 0, 2), 2]]);
  new DataView(op.buffer).setUint32(abi.fuse_setxattr_in.size, 6, true);
  assert.equal(d.handle(request(abi.FUSE_SETXATTR, 2, op, payload), o.view, o.bytes, 8192), -22, "past the payload");
});

test("locks: OFFSET_MAX is LOCK_TO_EOF both ways, flock travels as FUSE_LK_FLOCK, owners are exact bigints", () => {
  const calls: unknown[] = [];
  let answer: FileLock = { start: 5, end: LOCK_TO_EOF, type: F_WRLCK, pid: 42 };
  const d = new Dispatcher({
    getlk: (_c, _i, fh, owner, lock) => (calls.push(["getlk", fh, owner, lock]), answer),
    setlk: (_c, _i, fh, owner, lock, wait) => void calls.push(["setlk", fh, owner, lock, wait]),
    flock: (_c, _i, fh, owner, op, wait) => void calls.push(["flock", fh, owner, op, wait]),
    flush: (_c, _i, _fh, owner) => void calls.push(["flush", owner]),
    release: (_c, _i, _fh, _flags, owner) => void calls.push(["release", owner]),
  });
  const owner = 0xfedcba9876543210n;
  const lk = (type: number, start: bigint, end: bigint, flags = 0) => {
    const op = new Uint8Array(abi.fuse_lk_in.SIZE);
    const v = new DataView(op.buffer);
    setU64(v, abi.fuse_lk_in.fh, 3);
    v.setBigUint64(abi.fuse_lk_in.owner, owner, true);
    v.setBigUint64(abi.fuse_lk_in.lk + abi.fuse_file_lock.start, start, true);
    v.setBigUint64(abi.fuse_lk_in.lk + abi.fuse_file_lock.end, end, true);
    v.setUint32(abi.fuse_lk_in.lk + abi.fuse_file_lock.type, type, true);
    v.setUint32(abi.fuse_lk_in.lk + abi.fuse_file_lock.pid, 77, true);
    v.setUint32(abi.fuse_lk_in.lk_flags, flags, true);
    return op;
  };
  const OFFSET_MAX = 2n ** 63n - 1n;
  const o = out();
  assert.equal(d.handle(request(abi.FUSE_SETLKW, 2, lk(F_RDLCK, 10n, OFFSET_MAX)), o.view, o.bytes, 8192), 0);
  assert.equal(d.handle(request(abi.FUSE_GETLK, 2, lk(F_WRLCK, 0n, 99n)), o.view, o.bytes, 8192), abi.fuse_lk_out.SIZE);
  const v = o.view;
  assert.equal(v.getBigUint64(abi.fuse_lk_out.lk + abi.fuse_file_lock.start, true), 5n);
  assert.equal(v.getBigUint64(abi.fuse_lk_out.lk + abi.fuse_file_lock.end, true), OFFSET_MAX);
  assert.equal(v.getUint32(abi.fuse_lk_out.lk + abi.fuse_file_lock.type, true), F_WRLCK);
  assert.equal(v.getUint32(abi.fuse_lk_out.lk + abi.fuse_file_lock.pid, true), 42);
  answer = { start: 1, end: 0, type: 7, pid: 0 };
  assert.equal(d.handle(request(abi.FUSE_GETLK, 2, lk(F_WRLCK, 0n, 99n)), o.view, o.bytes, 8192), -5, "bad type");
  for (const [type, op] of [[F_RDLCK, LOCK_SH], [F_WRLCK, LOCK_EX], [F_UNLCK, LOCK_UN]] as const) {
    d.handle(request(abi.FUSE_SETLK, 2, lk(type, 0n, OFFSET_MAX, abi.FUSE_LK_FLOCK)), o.view, o.bytes, 8192);
    assert.deepEqual(calls.at(-1), ["flock", 3, owner, op, false]);
  }
  const fl = new Uint8Array(abi.fuse_flush_in.SIZE);
  new DataView(fl.buffer).setBigUint64(abi.fuse_flush_in.lock_owner, owner, true);
  d.handle(request(abi.FUSE_FLUSH, 2, fl), o.view, o.bytes, 8192);
  const rel = new Uint8Array(abi.fuse_release_in.SIZE);
  new DataView(rel.buffer).setBigUint64(abi.fuse_release_in.lock_owner, owner, true);
  d.handle(request(abi.FUSE_RELEASE, 2, rel), o.view, o.bytes, 8192);
  new DataView(rel.buffer).setUint32(abi.fuse_release_in.release_flags, abi.FUSE_RELEASE_FLOCK_UNLOCK, true);
  d.handle(request(abi.FUSE_RELEASE, 2, rel), o.view, o.bytes, 8192);
  assert.deepEqual(calls.slice(0, 2), [
    ["setlk", 3, owner, { start: 10, end: LOCK_TO_EOF, type: F_RDLCK, pid: 77 }, true],
    ["getlk", 3, owner, { start: 0, end: 99, type: F_WRLCK, pid: 77 }],
  ]);
  assert.deepEqual(calls.slice(-3), [["flush", owner], ["release", undefined], ["release", owner]]);
});

test("COPY_FILE_RANGE answers a 32-bit fuse_write_out, COPY_FILE_RANGE_64 a 64-bit count; LSEEK an offset", () => {
  let copied = 2 ** 33;
  const d = new Dispatcher({
    copyFileRange: (_c, ...args) => (seen = args, copied),
    lseek: (_c, _i, _f, offset) => offset + 1,
    fallocate: (_c, ...args) => void (seen = args),
  });
  let seen: number[] = [];
  const op = new Uint8Array(abi.fuse_copy_file_range_in.SIZE);
  const v = new DataView(op.buffer);
  const c = abi.fuse_copy_file_range_in;
  const fields = [c.fh_in, c.off_in, c.nodeid_out, c.fh_out, c.off_out, c.len, c.flags];
  [1, 2, 3, 4, 5, 2 ** 40, 0].forEach((n, i) => setU64(v, fields[i]!, n));
  const o = out();
  assert.equal(d.handle(request(abi.FUSE_COPY_FILE_RANGE_64, 9, op), o.view, o.bytes, 8192), 8);
  assert.deepEqual(seen, [9, 1, 2, 3, 4, 5, 2 ** 40, 0]);
  assert.equal(getU64(o.view, abi.fuse_copy_file_range_out.bytes_copied), 2 ** 33);
  assert.equal(d.handle(request(abi.FUSE_COPY_FILE_RANGE, 9, op), o.view, o.bytes, 8192), -5, "more than 32 bits");
  copied = 4096;
  assert.equal(d.handle(request(abi.FUSE_COPY_FILE_RANGE, 9, op), o.view, o.bytes, 8192), abi.fuse_write_out.SIZE);
  assert.equal(o.view.getUint32(abi.fuse_write_out.size, true), 4096);
  const ls = new Uint8Array(abi.fuse_lseek_in.SIZE);
  setU64(new DataView(ls.buffer), abi.fuse_lseek_in.offset, 2 ** 40);
  assert.equal(d.handle(request(abi.FUSE_LSEEK, 9, ls), o.view, o.bytes, 8192), 8);
  assert.equal(getU64(o.view, abi.fuse_lseek_out.offset), 2 ** 40 + 1);
  const fa = new Uint8Array(abi.fuse_fallocate_in.SIZE);
  const fv = new DataView(fa.buffer);
  setU64(fv, abi.fuse_fallocate_in.fh, 6);
  setU64(fv, abi.fuse_fallocate_in.offset, 100);
  setU64(fv, abi.fuse_fallocate_in.length, 2 ** 35);
  fv.setUint32(abi.fuse_fallocate_in.mode, 3, true);
  assert.equal(d.handle(request(abi.FUSE_FALLOCATE, 9, fa), o.view, o.bytes, 8192), 0);
  assert.deepEqual(seen, [9, 6, 100, 2 ** 35, 3]);
});

/** A request with a unique ID, as read from the kernel. */
function withUnique(r: FuseRequest, unique: number): FuseRequest {
  r.uniqueLo = unique % 2 ** 32;
  r.uniqueHi = Math.floor(unique / 2 ** 32);
  return r;
}

function interrupt(target: number): FuseRequest {
  const op = new Uint8Array(abi.fuse_interrupt_in.SIZE);
  setU64(new DataView(op.buffer), abi.fuse_interrupt_in.unique, target);
  return withUnique(request(abi.FUSE_INTERRUPT, 0, op), target | 1);
}

test("INTERRUPT aborts a running handler's signal: an AbortError or the reason answers EINTR", async () => {
  const reported: unknown[] = [];
  const d = new Dispatcher({
    // Waits until interrupted, then rejects as the signal says (a FuseError EINTR).
    access: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
    // Rejects with a DOMException AbortError once interrupted; one not interrupted is just a failure (EIO).
    statfs: (ctx, ino) => new Promise((_, reject) => {
      const fail = () => reject(new DOMException("gave up", "AbortError"));
      if (ino === 2) queueMicrotask(fail);
      else ctx.signal.addEventListener("abort", fail);
    }),
  }, { onError: (e) => reported.push(e) });
  const o = out();
  const a = d.handle(withUnique(request(abi.FUSE_ACCESS, 1, new Uint8Array(8)), 10), o.view, o.bytes, 8192);
  const b = d.handle(withUnique(request(abi.FUSE_STATFS, 1, new Uint8Array(0)), 12), o.view, o.bytes, 8192);
  const c = d.handle(withUnique(request(abi.FUSE_STATFS, 2, new Uint8Array(0)), 14), o.view, o.bytes, 8192);
  assert.equal(d.interrupts.runningCount, 3);
  assert.equal(d.handle(interrupt(10), o.view, o.bytes, 8192), NO_REPLY);
  assert.equal(d.handle(interrupt(12), o.view, o.bytes, 8192), NO_REPLY);
  assert.deepEqual(await Promise.all([a, b, c]), [-4, -4, -5]);
  assert.equal(reported.length, 1, "the AbortError of a request not interrupted is reported");
  assert.equal(d.interrupts.runningCount, 0);
});

test("an INTERRUPT read before its request applies when it arrives; one that matches nothing is resent", () => {
  const resent: number[] = [];
  const aborted: boolean[] = [];
  const d = new Dispatcher({ access: (ctx) => void aborted.push(ctx.signal.aborted) });
  d.resendInterrupt = (lo, hi) => void resent.push(hi * 2 ** 32 + lo);
  const o = out();
  const access = (unique: number) =>
    d.handle(withUnique(request(abi.FUSE_ACCESS, 1, new Uint8Array(8)), unique), o.view, o.bytes, 8192);
  d.handle(interrupt(20), o.view, o.bytes, 8192);
  d.handle(interrupt(2 ** 40), o.view, o.bytes, 8192);
  access(2 ** 40); // its INTERRUPT was kept: the handler starts aborted
  assert.deepEqual(resent, [21], "the other kept INTERRUPT is answered EAGAIN, with its own unique ID");
  access(22); // nothing kept any more
  assert.deepEqual(aborted, [true, false]);
  assert.deepEqual(resent, [21]);
  // The request object is reused for the next request: readHeader starts it afresh.
  const req = withUnique(request(abi.FUSE_ACCESS, 1, new Uint8Array(8)), 30);
  req.interrupt();
  req.readHeader(new DataView(new ArrayBuffer(abi.fuse_in_header.SIZE)), 0);
  assert.equal(req.signal.aborted, false);
  assert.equal(req.interrupted, false);
});
