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
import { type Entry, errnoOf, FuseError, type FuseHandlers } from "./handlers.ts";
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
