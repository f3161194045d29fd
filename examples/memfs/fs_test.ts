/**
 * memfs's handlers called directly, without a mount: the limits (NAME_MAX, PATH_MAX, the file size, the
 * capacity), node types, byte names, extended attribute flags, fallocate modes, copy_file_range and SEEK_DATA /
 * SEEK_HOLE. memfs_test.ts drives the same through the kernel with real tools.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type DirentWriter,
  type Entry,
  type FuseHandlers,
  FUSE_WRITE_KILL_SUIDGID,
  type RequestContext,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  SEEK_DATA,
  SEEK_HOLE,
} from "ringside-uring/fuse";
import { MAX_FILE_SIZE, MemFs } from "./fs.ts";
import { PAGE_SIZE } from "./pages.ts";

const ctx: RequestContext = { uid: 0, gid: 0, pid: 1, opcode: 0, signal: new AbortController().signal };
const enc = (s: string) => new TextEncoder().encode(s);
const name = (n: number, c = "a") => enc(c.repeat(n));

/** A filesystem and its handlers, every one present (these tests call them all). */
function mem(capacity = 1 << 30): { fs: MemFs; h: Required<FuseHandlers<Uint8Array>> } {
  const fs = new MemFs({ capacity });
  return { fs, h: fs.handlers() as Required<FuseHandlers<Uint8Array>> };
}

/** Calls a handler that answers synchronously. */
function sync<T>(v: T | Promise<T>): T {
  assert.ok(!(v instanceof Promise), "memfs answered with a promise");
  return v as T;
}

/** Creates a regular file; returns its node ID. */
function file(h: Required<FuseHandlers<Uint8Array>>, n: string, parent = 1): number {
  return sync(h.create(ctx, parent, enc(n), 0o644, 0, 0, 0)).entry.ino;
}

/** The names a readdir lists, as bytes. */
function list(h: Required<FuseHandlers<Uint8Array>>, ino: number): Uint8Array[] {
  const names: Uint8Array[] = [];
  const out: DirentWriter = {
    size: 1 << 20,
    add: (n) => (names.push(typeof n === "string" ? enc(n) : n), true),
    addPlus: (n) => (names.push(typeof n === "string" ? enc(n) : n), true),
  };
  const fh = sync(h.opendir(ctx, ino, 0))!.fh!;
  sync(h.readdir(ctx, ino, fh, 0, out));
  return names.slice(2);
}

test("names are bytes: two names that differ only in a non-UTF-8 byte are two entries", () => {
  const { h } = mem();
  const e9 = Uint8Array.of(0x63, 0xe9); // "c" + latin1 é
  const e8 = Uint8Array.of(0x63, 0xe8);
  const utf8 = enc("c\u00e9"); // the same letter in UTF-8
  for (const n of [e9, e8, utf8]) sync(h.mknod(ctx, 1, n, S_IFREG | 0o644, 0, 0));
  assert.deepEqual(list(h, 1), [e9, e8, utf8]);
  assert.throws(() => h.lookup(ctx, 1, Uint8Array.of(0x63, 0xea)), { code: "ENOENT" });
  const ino = sync(h.lookup(ctx, 1, e8)).ino;
  assert.notEqual(ino, sync(h.lookup(ctx, 1, e9)).ino);
  sync(h.rename(ctx, 1, e8, 1, Uint8Array.of(0xff), 0));
  assert.equal(sync(h.lookup(ctx, 1, Uint8Array.of(0xff))).ino, ino);
});

test("NAME_MAX: 255 bytes is a name, 256 is ENAMETOOLONG wherever a name comes in", () => {
  const { h } = mem();
  const ok = file(h, "a".repeat(255));
  const long = name(256);
  assert.equal(sync(h.lookup(ctx, 1, name(255))).ino, ok);
  assert.throws(() => h.lookup(ctx, 1, long), { code: "ENAMETOOLONG" });
  assert.throws(() => h.create(ctx, 1, long, 0o644, 0, 0, 0), { code: "ENAMETOOLONG" });
  assert.throws(() => h.mknod(ctx, 1, long, S_IFIFO | 0o644, 0, 0), { code: "ENAMETOOLONG" });
  assert.throws(() => h.mkdir(ctx, 1, long, 0o755, 0), { code: "ENAMETOOLONG" });
  assert.throws(() => h.symlink(ctx, 1, long, enc("x")), { code: "ENAMETOOLONG" });
  assert.throws(() => h.link(ctx, ok, 1, long), { code: "ENAMETOOLONG" });
  assert.throws(() => h.rename(ctx, 1, name(255), 1, long, 0), { code: "ENAMETOOLONG" });
  assert.equal(list(h, 1).length, 1, "nothing was stored under a long name");
  // A symbolic link's target: shorter than PATH_MAX.
  sync(h.symlink(ctx, 1, enc("l"), name(4095, "t")));
  assert.throws(() => h.symlink(ctx, 1, enc("m"), name(4096, "t")), { code: "ENAMETOOLONG" });
  assert.equal(sync(h.statfs(ctx, 1)).namelen, 255);
});

test("every node type: FIFOs, sockets and devices keep their type and device number", () => {
  const { h } = mem();
  const rdev = (8 << 8) | 1; // new_encode_dev(MKDEV(8, 1))
  const types = [S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, 0o060000];
  types.forEach((t, i) => {
    const e: Entry = sync(h.mknod(ctx, 1, enc(`n${i}`), t | 0o640, rdev, 0));
    const a = sync(h.getattr(ctx, e.ino, undefined));
    assert.equal(a.mode & S_IFMT, t);
    assert.equal(a.mode & 0o7777, 0o640);
    assert.equal(a.rdev, t === S_IFCHR || t === 0o060000 ? rdev : 0);
  });
  assert.throws(() => h.mknod(ctx, 1, enc("d"), S_IFDIR | 0o755, 0, 0), { code: "EINVAL" });
});

test("the file size limit: EFBIG past 4 PiB for truncate, write and fallocate; below it, sparse", () => {
  const { h, fs } = mem(1 << 20);
  const ino = file(h, "f");
  const used = fs.space.used;
  assert.equal(sync(h.setattr(ctx, ino, { size: 999_999_999_999_999 })).size, 999_999_999_999_999);
  assert.equal(fs.space.used, used, "a sparse truncate stores nothing");
  assert.throws(() => h.setattr(ctx, ino, { size: MAX_FILE_SIZE + 1 }), { code: "EFBIG" });
  assert.throws(() => h.write(ctx, ino, 1, MAX_FILE_SIZE, enc("x"), 0, 0), { code: "EFBIG" });
  assert.equal(sync(h.write(ctx, ino, 1, MAX_FILE_SIZE - 2, enc("xyz"), 0, 0)), 2, "a short write up to the limit");
  assert.equal(sync(h.getattr(ctx, ino, undefined)).size, MAX_FILE_SIZE);
  assert.throws(() => h.fallocate(ctx, ino, 1, MAX_FILE_SIZE - 1, 2, 0), { code: "EFBIG" });
  assert.deepEqual([...sync(h.read(ctx, ino, 1, 1e15, 4))], [0, 0, 0, 0]);
});

test("the capacity: ENOSPC past it, short writes on the way, statfs counts it, unlink gives it back", () => {
  const { h, fs } = mem(4 * PAGE_SIZE);
  const ino = file(h, "f");
  const before = sync(h.statfs(ctx, 1));
  assert.equal(before.blocks, 64);
  assert.equal(before.bfree, 64);
  assert.equal(sync(h.write(ctx, ino, 1, 0, new Uint8Array(5 * PAGE_SIZE), 0, 0)), 4 * PAGE_SIZE);
  assert.throws(() => h.write(ctx, ino, 1, 4 * PAGE_SIZE, new Uint8Array(1), 0, 0), { code: "ENOSPC" });
  assert.equal(sync(h.statfs(ctx, 1)).bfree, 0);
  assert.equal(sync(h.getattr(ctx, ino, undefined)).blocks, 4 * PAGE_SIZE / 512);
  assert.throws(() => h.setxattr(ctx, ino, enc("user.a"), new Uint8Array(1), 0), { code: "ENOSPC" });
  sync(h.unlink(ctx, 1, enc("f")));
  assert.equal(fs.space.used, 4 * PAGE_SIZE, "still open and looked up");
  sync(h.release(ctx, ino, 1, 0, undefined));
  h.forget(ino, 1);
  assert.equal(fs.space.used, 0);
});

test("extended attributes: XATTR_CREATE / XATTR_REPLACE, ENODATA, namespaces, listing as bytes", () => {
  const { h } = mem();
  const ino = file(h, "f");
  const n = enc("user.k\u00e9y");
  sync(h.setxattr(ctx, ino, n, enc("v1"), 1));
  assert.throws(() => h.setxattr(ctx, ino, n, enc("v2"), 1), { code: "EEXIST" });
  sync(h.setxattr(ctx, ino, n, enc("v2"), 2));
  assert.throws(() => h.setxattr(ctx, ino, enc("user.other"), enc("v"), 2), { code: "ENODATA" });
  assert.deepEqual(sync(h.getxattr(ctx, ino, n)), enc("v2"));
  assert.throws(() => h.getxattr(ctx, ino, enc("user.none")), { code: "ENODATA" });
  assert.throws(() => h.setxattr(ctx, ino, enc("os2.x"), enc("v"), 0), { code: "EOPNOTSUPP" });
  sync(h.setxattr(ctx, ino, enc("trusted.t"), new Uint8Array(0), 0));
  assert.deepEqual(sync(h.listxattr(ctx, ino)), [n, enc("trusted.t")]);
  sync(h.removexattr(ctx, ino, n));
  assert.throws(() => h.removexattr(ctx, ino, n), { code: "ENODATA" });
  assert.deepEqual(sync(h.listxattr(ctx, ino)), [enc("trusted.t")]);
});

test("fallocate: mode 0 grows, KEEP_SIZE does not, PUNCH_HOLE|KEEP_SIZE makes a hole, others EOPNOTSUPP", () => {
  const { h, fs } = mem();
  const ino = file(h, "f");
  sync(h.fallocate(ctx, ino, 1, 0, 3 * PAGE_SIZE, 0));
  assert.equal(sync(h.getattr(ctx, ino, undefined)).size, 3 * PAGE_SIZE);
  assert.equal(fs.space.used, 3 * PAGE_SIZE);
  sync(h.fallocate(ctx, ino, 1, 3 * PAGE_SIZE, PAGE_SIZE, 1));
  assert.equal(sync(h.getattr(ctx, ino, undefined)).size, 3 * PAGE_SIZE);
  assert.equal(fs.space.used, 4 * PAGE_SIZE);
  sync(h.write(ctx, ino, 1, 0, new Uint8Array(3 * PAGE_SIZE).fill(1), 0, 0));
  sync(h.fallocate(ctx, ino, 1, 10, 2 * PAGE_SIZE, 3));
  assert.equal(fs.space.used, 3 * PAGE_SIZE, "page 1 dropped");
  assert.deepEqual([...sync(h.read(ctx, ino, 1, 8, 4))], [1, 1, 0, 0]);
  assert.equal(sync(h.lseek(ctx, ino, 1, 10, SEEK_HOLE)), PAGE_SIZE);
  for (const mode of [2, 0x10, 0x08, 0x20]) {
    assert.throws(() => h.fallocate(ctx, ino, 1, 0, 1, mode), { code: "EOPNOTSUPP" }, `mode ${mode}`);
  }
});

test("SEEK_DATA / SEEK_HOLE: ENXIO at the end and past the last data", () => {
  const { h } = mem();
  const ino = file(h, "f");
  sync(h.setattr(ctx, ino, { size: 10 * PAGE_SIZE }));
  sync(h.write(ctx, ino, 1, 4 * PAGE_SIZE, enc("data"), 0, 0));
  assert.equal(sync(h.lseek(ctx, ino, 1, 0, SEEK_DATA)), 4 * PAGE_SIZE);
  assert.equal(sync(h.lseek(ctx, ino, 1, 4 * PAGE_SIZE, SEEK_HOLE)), 4 * PAGE_SIZE + 4096);
  assert.throws(() => h.lseek(ctx, ino, 1, 5 * PAGE_SIZE, SEEK_DATA), { code: "ENXIO" });
  assert.equal(sync(h.lseek(ctx, ino, 1, 9 * PAGE_SIZE, SEEK_HOLE)), 9 * PAGE_SIZE);
  assert.throws(() => h.lseek(ctx, ino, 1, 10 * PAGE_SIZE, SEEK_HOLE), { code: "ENXIO" });
});

test("copy_file_range copies data, keeps holes holes, stops at the source's end", () => {
  const { h, fs } = mem();
  const a = file(h, "a");
  const b = file(h, "b");
  sync(h.setattr(ctx, a, { size: 4 * PAGE_SIZE }));
  sync(h.write(ctx, a, 1, 3 * PAGE_SIZE, new Uint8Array(PAGE_SIZE).fill(7), 0, 0));
  const used = fs.space.used;
  assert.equal(sync(h.copyFileRange(ctx, a, 1, 0, b, 2, 100, 1e9, 0)), 4 * PAGE_SIZE);
  assert.equal(sync(h.getattr(ctx, b, undefined)).size, 100 + 4 * PAGE_SIZE);
  assert.equal(fs.space.used - used, PAGE_SIZE + 4096, "only the data was stored, not the holes");
  // Storage starts at a page's first byte: the data the copy put at 3 pages + 100 is found from page 3 on.
  assert.equal(sync(h.lseek(ctx, b, 2, 0, SEEK_DATA)), 3 * PAGE_SIZE);
  // A source page stored only in part: its hole is not copied as zeros either.
  const c = file(h, "c");
  sync(h.write(ctx, a, 1, 0, enc("abc"), 0, 0));
  const before = fs.space.used;
  assert.equal(sync(h.copyFileRange(ctx, a, 1, 0, c, 3, 0, PAGE_SIZE, 0)), PAGE_SIZE);
  assert.equal(fs.space.used - before, 4096);
  assert.deepEqual([...sync(h.read(ctx, b, 2, 3 * PAGE_SIZE + 98, 4))], [0, 0, 7, 7]);
  assert.equal(sync(h.copyFileRange(ctx, a, 1, 4 * PAGE_SIZE, b, 2, 0, 10, 0)), 0);
});

test("rename with RENAME_WHITEOUT leaves a character device 0:0 behind", () => {
  const { h } = mem();
  file(h, "old");
  sync(h.rename(ctx, 1, enc("old"), 1, enc("new"), 4));
  const w = sync(h.lookup(ctx, 1, enc("old")));
  assert.equal(w.attr.mode & S_IFMT, S_IFCHR);
  assert.equal(w.attr.rdev, 0);
});

test("privileges: set-ID bits go where the kernel says (or for chown, fallocate, copy by non-root), capabilities go " +
  "on any change of contents or owner", () => {
  const { fs, h } = mem();
  const stale: number[] = [];
  fs.onStaleAttrs = (ino) => void stale.push(ino);
  const f = file(h, "f");
  const user: RequestContext = { ...ctx, uid: 1000, gid: 1000 };
  const mode = () => sync(h.getattr(ctx, f, undefined)).mode & 0o7777;
  const setMode = (m: number) => sync(h.setattr(ctx, f, { mode: m }));
  const caps = () => {
    try {
      sync(h.getxattr(ctx, f, enc("security.capability")));
      return true;
    } catch {
      return false;
    }
  };
  const setCaps = () => sync(h.setxattr(ctx, f, enc("security.capability"), new Uint8Array(20), 0));

  // A write: the bits only with FUSE_WRITE_KILL_SUIDGID; the capabilities anyway.
  setMode(0o6777);
  setCaps();
  sync(h.write(ctx, f, 1, 0, enc("x"), 0, 0));
  assert.equal(mode(), 0o6777);
  assert.equal(caps(), false);
  assert.deepEqual(stale, []);
  sync(h.write(user, f, 1, 0, enc("x"), 0, FUSE_WRITE_KILL_SUIDGID));
  assert.equal(mode(), 0o777);
  assert.deepEqual(stale, [f], "the kernel is told its cached mode is stale (a WRITE's reply has none)");
  // Set-group-ID without group-execute is the mandatory-locking mark: it stays.
  setMode(0o2767);
  sync(h.write(user, f, 1, 0, enc("x"), 0, FUSE_WRITE_KILL_SUIDGID));
  assert.equal(mode(), 0o2767);
  // A truncate: the bits with killSuidgid; the capabilities anyway.
  setMode(0o6777);
  setCaps();
  sync(h.setattr(ctx, f, { size: 1 }));
  assert.deepEqual([mode(), caps()], [0o6777, false]);
  sync(h.setattr(user, f, { size: 0, killSuidgid: true }));
  assert.equal(mode(), 0o777);
  // A chown, even by root; a mode given with it wins.
  setMode(0o6777);
  setCaps();
  sync(h.setattr(ctx, f, { uid: 5 }));
  assert.deepEqual([mode(), caps()], [0o777, false]);
  sync(h.setattr(ctx, f, { gid: 5, mode: 0o4755 }));
  assert.equal(mode(), 0o4755);
  // fallocate and copy_file_range: by root the bits stay, by anyone else they go.
  setMode(0o6777);
  sync(h.fallocate(ctx, f, 1, 0, 4096, 0));
  assert.equal(mode(), 0o6777);
  sync(h.fallocate(user, f, 1, 0, 8192, 0));
  assert.equal(mode(), 0o777);
  setMode(0o6777);
  assert.throws(() => h.fallocate(user, f, 1, 0, 4096, 16 /* FALLOC_FL_ZERO_RANGE */), { code: "EOPNOTSUPP" });
  assert.equal(mode(), 0o6777, "a refused fallocate changes nothing");
  const src = file(h, "src");
  sync(h.write(ctx, src, 1, 0, enc("data"), 0, 0));
  assert.equal(sync(h.copyFileRange(user, src, 1, 0, f, 1, 0, 4, 0)), 4);
  assert.equal(mode(), 0o777);
  // Directories keep theirs: a set-group-ID directory passes its group on.
  const d = sync(h.mkdir(ctx, 1, enc("d"), 0o2775, 0)).ino;
  sync(h.setattr(ctx, d, { uid: 5 }));
  assert.equal(sync(h.getattr(ctx, d, undefined)).mode & 0o7777, 0o2775);
});
