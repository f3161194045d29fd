/**
 * Metadata, paths, allocation, advice, extended attributes and pipes through fs.ts on the real kernel, checked by
 * their effect as node:fs sees it (statSync, readdirSync, readlinkSync, file contents) or by the errno the kernel
 * gives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { libc } from "../../ffi/mod.ts";
import { Loop } from "../loop/loop.ts";
import { NativeMemory, pageSize } from "../core/memory.ts";
import { UringError } from "../core/errors.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_FTRUNCATE, IORING_OP_PIPE } from "../abi/uapi.ts";
import { skipIf } from "../../testing/skip.ts";
import { pipePair as makePipe, tempDir, withLoop } from "../../testing/fixtures.ts";
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_REMOVEDIR,
  close,
  closeDirect,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  fadvise,
  fallocate,
  fdatasync,
  fgetxattr,
  fileType,
  fsetxattr,
  fstat,
  fsync,
  ftruncate,
  getxattr,
  link,
  linkat,
  lstat,
  madvise,
  MADV_DONTNEED,
  MADV_WILLNEED,
  mkdir,
  mkdirat,
  O_CREAT,
  O_DIRECTORY,
  O_RDONLY,
  O_RDWR,
  open,
  openat,
  openat2,
  openat2Direct,
  pipe,
  pipeDirect,
  POSIX_FADV_DONTNEED,
  POSIX_FADV_SEQUENTIAL,
  POSIX_FADV_WILLNEED,
  read,
  rename,
  renameat,
  RENAME_NOREPLACE,
  RESOLVE_BENEATH,
  RESOLVE_NO_SYMLINKS,
  rmdir,
  setxattr,
  splice,
  statx,
  STATX_BASIC_STATS,
  STATX_BTIME,
  symlink,
  symlinkat,
  SYNC_FILE_RANGE_WAIT_AFTER,
  SYNC_FILE_RANGE_WRITE,
  syncFileRange,
  tee,
  unlink,
  unlinkat,
  write,
  XATTR_CREATE,
  XATTR_REPLACE,
} from "./fs.ts";
import { registerFilesSparse } from "../ring/register.ts";

const { dir, file: tmpPath } = tempDir("ringside-fsops-");

const enc = new TextEncoder();
const dec = new TextDecoder();

// ---- What this machine can do, decided before the tests are defined ------------------------------------------

const probe = probeOpcodes();
const noFtruncate = !probe.isSupported(IORING_OP_FTRUNCATE) && "IORING_OP_FTRUNCATE needs Linux 6.9";
const noPipe = !probe.isSupported(IORING_OP_PIPE) && "IORING_OP_PIPE needs Linux 6.16";

/** Whether the test directory's filesystem takes user.* extended attributes (tmpfs and ext4 do; some do not). */
const noXattr: string | false = await (async () => {
  const loop = new Loop();
  const p = tmpPath("probe");
  try {
    await setxattr(loop, p, "user.ringside.probe", "1");
    return false;
  } catch (e) {
    const code = (e as UringError).code;
    if (code === "ENOTSUP" || code === "EOPNOTSUPP") return `the filesystem of ${dir} refuses user xattrs (${code})`;
    return false; // any other failure is ringside's: let the test run and fail on it
  } finally {
    await loop.close();
    rmSync(p, { force: true });
  }
})();

/** Linux's `makedev`, as node:fs reports `dev`. */
function makedev(major: number, minor: number): number {
  return (minor & 0xff) + (major & 0xfff) * 256 + (minor & ~0xff) * 4096 + Math.floor(major / 4096) * 2 ** 32;
}

// ---- statx ---------------------------------------------------------------------------------------------------

test("statx reports what node:fs statSync reports, to the nanosecond", () =>
  withLoop(async (loop) => {
    const p = tmpPath(randomBytes(12345));
    const st = await statx(loop, p);
    const ref = statSync(p, { bigint: true });
    assert.equal(st.mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
    assert.equal(st.size, 12345);
    assert.equal(st.size, Number(ref.size));
    assert.equal(st.mode, Number(ref.mode));
    assert.equal(fileType(st.mode), "file");
    assert.equal(st.nlink, Number(ref.nlink));
    assert.equal(st.uid, Number(ref.uid));
    assert.equal(st.gid, Number(ref.gid));
    assert.equal(st.ino, Number(ref.ino));
    assert.equal(st.blocks, Number(ref.blocks));
    assert.equal(st.blksize, Number(ref.blksize));
    assert.equal(makedev(st.devMajor, st.devMinor), Number(ref.dev));
    // node:fs gives nanoseconds on Bun but only milliseconds or whole seconds on Deno; coreutils stat(1) gives
    // nanoseconds on both, so seconds are compared with node:fs and the full values with stat(1).
    const sec = (ns: bigint) => Number(ns / 1_000_000_000n);
    assert.equal(st.mtime.sec, sec(ref.mtimeNs));
    assert.equal(st.ctime.sec, sec(ref.ctimeNs));
    assert.equal(st.atime.sec, sec(ref.atimeNs));
    if (st.mask & STATX_BTIME) assert.equal(st.btime.sec, sec(ref.birthtimeNs));
    assert.equal(st.mtimeMs, st.mtime.sec * 1000 + st.mtime.nsec / 1e6);
    const text = (t: { sec: number; nsec: number }) => `${t.sec}.${String(t.nsec).padStart(9, "0")}`;
    const coreutils = execFileSync("stat", ["-c", "%.9X %.9Y %.9Z %.9W", p], { encoding: "utf8" }).trim();
    const birth = st.mask & STATX_BTIME ? text(st.btime) : "0.000000000";
    assert.equal([text(st.atime), text(st.mtime), text(st.ctime), birth].join(" "), coreutils);

    const d = await statx(loop, dir);
    assert.equal(fileType(d.mode), "directory");
    assert.equal(d.ino, statSync(dir).ino);
  }));

test("fstat follows the descriptor, lstat does not follow a symbolic link, statx does", () =>
  withLoop(async (loop) => {
    const target = tmpPath("target");
    const ln = tmpPath();
    symlinkSync(target, ln);
    const fd = await open(loop, target);
    try {
      assert.equal((await fstat(loop, fd)).ino, statSync(target).ino);
      assert.equal((await statx(loop, "", { dirfd: fd, flags: AT_EMPTY_PATH })).size, 6);
    } finally {
      await close(loop, fd);
    }
    const l = await lstat(loop, ln);
    assert.equal(fileType(l.mode), "symlink");
    assert.equal(l.ino, lstatSync(ln).ino);
    assert.equal(l.size, target.length, "a symlink's size is its target's length");
    const s = await statx(loop, ln);
    assert.equal(fileType(s.mode), "file");
    assert.equal(s.ino, statSync(target).ino);
    await assert.rejects(statx(loop, join(dir, "missing")), { code: "ENOENT" });
    await assert.rejects(statx(loop, join(target, "x")), { code: "ENOTDIR" });
  }));

// ---- open, openat2, close ------------------------------------------------------------------------------------

test("openat creates with the mode given, relative to a directory descriptor, and close really closes", () =>
  withLoop(async (loop) => {
    const sub = join(dir, "openat-dir");
    await mkdir(loop, sub, 0o755);
    const dfd = await open(loop, sub, O_RDONLY | O_DIRECTORY);
    try {
      const fd = await openat(loop, dfd, "created", O_RDWR | O_CREAT, 0o600);
      await write(loop, fd, enc.encode("in sub"), 0);
      assert.equal(readFileSync(join(sub, "created"), "utf8"), "in sub");
      assert.equal(statSync(join(sub, "created")).mode & 0o777, 0o600);
      await close(loop, fd);
      await assert.rejects(read(loop, fd, new Uint8Array(1), 0), { code: "EBADF" }, "the descriptor is gone");
      await assert.rejects(openat(loop, dfd, "nothing-here"), { code: "ENOENT" });
      await assert.rejects(open(loop, join(sub, "created"), O_RDONLY | O_DIRECTORY), { code: "ENOTDIR" });
    } finally {
      await close(loop, dfd);
    }
  }));

test("openat2 with RESOLVE_NO_SYMLINKS refuses a symbolic link with ELOOP; RESOLVE_BENEATH refuses '..'", () =>
  withLoop(async (loop) => {
    const target = tmpPath("real");
    const ln = tmpPath();
    symlinkSync(target, ln);
    const fd = await openat2(loop, AT_FDCWD, ln, { flags: O_RDONLY });
    const buf = new Uint8Array(4);
    assert.equal(await read(loop, fd, buf, 0), 4);
    assert.equal(dec.decode(buf), "real", "without restrictions the link is followed");
    await close(loop, fd);
    await assert.rejects(openat2(loop, AT_FDCWD, ln, { resolve: RESOLVE_NO_SYMLINKS }), { code: "ELOOP" });
    const direct = await openat2(loop, AT_FDCWD, target, { resolve: RESOLVE_NO_SYMLINKS });
    await close(loop, direct);

    const dfd = await open(loop, dir, O_RDONLY | O_DIRECTORY);
    try {
      await assert.rejects(openat2(loop, dfd, "../etc", { resolve: RESOLVE_BENEATH }), { code: "EXDEV" });
      const made = await openat2(loop, dfd, "by-openat2", { flags: "w", mode: 0o640 });
      await close(loop, made);
      assert.equal(statSync(join(dir, "by-openat2")).mode & 0o777, 0o640);
      // openat2 refuses what openat ignores: a mode without O_CREAT.
      await assert.rejects(openat2(loop, dfd, "by-openat2", { flags: O_RDONLY, mode: 0o600 }), { code: "EINVAL" });
    } finally {
      await close(loop, dfd);
    }
  }));

test("openat2Direct opens into the registered file table", () =>
  withLoop(async (loop) => {
    registerFilesSparse(loop.ring, 4);
    const p = tmpPath("direct2");
    const slot = await openat2Direct(loop, AT_FDCWD, p, { resolve: RESOLVE_NO_SYMLINKS }, 3);
    assert.equal(slot, 3);
    const buf = new Uint8Array(7);
    assert.equal(await read(loop, 3, buf, 0, { fixed: true }), 7);
    assert.equal(dec.decode(buf), "direct2");
    await closeDirect(loop, 3);
  }));

// ---- Paths ---------------------------------------------------------------------------------------------------

test("mkdirat, symlinkat, linkat, renameat and unlinkat change the directory as node:fs sees it", () =>
  withLoop(async (loop) => {
    const root = join(dir, "tree");
    await mkdir(loop, root);
    assert.ok(statSync(root).isDirectory());
    const dfd = await open(loop, root, O_RDONLY | O_DIRECTORY);
    try {
      await mkdirat(loop, dfd, "sub", 0o700);
      assert.equal(statSync(join(root, "sub")).mode & 0o777, 0o700);
      await assert.rejects(mkdirat(loop, dfd, "sub"), { code: "EEXIST" });

      writeFileSync(join(root, "file"), "content");
      await symlinkat(loop, "file", dfd, "soft");
      assert.equal(readlinkSync(join(root, "soft")), "file");
      await assert.rejects(symlink(loop, "x", join(root, "soft")), { code: "EEXIST" });

      await linkat(loop, dfd, "file", dfd, "hard");
      assert.equal(statSync(join(root, "file")).nlink, 2);
      assert.equal(statSync(join(root, "hard")).ino, statSync(join(root, "file")).ino);
      await link(loop, join(root, "file"), join(root, "hard2"));
      assert.equal(statSync(join(root, "file")).nlink, 3);

      await renameat(loop, dfd, "hard2", dfd, "moved");
      assert.ok(!existsSync(join(root, "hard2")));
      assert.equal(readFileSync(join(root, "moved"), "utf8"), "content");
      await assert.rejects(renameat(loop, dfd, "moved", dfd, "hard", RENAME_NOREPLACE), { code: "EEXIST" });
      await rename(loop, join(root, "moved"), join(root, "sub", "moved"));
      assert.deepEqual(readdirSync(join(root, "sub")), ["moved"]);

      await unlinkat(loop, dfd, "hard");
      await unlink(loop, join(root, "sub", "moved"));
      await assert.rejects(unlinkat(loop, dfd, "sub"), { code: "EISDIR" });
      await unlinkat(loop, dfd, "sub", AT_REMOVEDIR);
      assert.deepEqual(readdirSync(root).sort(), ["file", "soft"]);
      assert.equal(statSync(join(root, "file")).nlink, 1);
      await assert.rejects(unlink(loop, join(root, "gone")), { code: "ENOENT" });
      await unlink(loop, join(root, "soft"));
      await unlink(loop, join(root, "file"));
      await assert.rejects(rmdir(loop, dir), { code: "ENOTEMPTY" });
    } finally {
      await close(loop, dfd);
    }
    await rmdir(loop, root);
    assert.ok(!existsSync(root));
  }));

// ---- Syncing, allocation, truncation, advice -----------------------------------------------------------------

test("fsync, fdatasync and sync_file_range complete on a file and report EBADF/ESPIPE where the kernel refuses", () =>
  withLoop(async (loop) => {
    const p = tmpPath();
    const fd = await open(loop, p, "w+");
    const [r, w] = makePipe();
    try {
      await write(loop, fd, randomBytes(65536), 0);
      await fsync(loop, fd);
      await fdatasync(loop, fd);
      await syncFileRange(loop, fd, 0, 65536, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
      await syncFileRange(loop, fd, 0, 0);
      assert.equal(statSync(p).size, 65536);
      await assert.rejects(fsync(loop, 999_999), { code: "EBADF" });
      await assert.rejects(syncFileRange(loop, r, 0, 0), { code: "ESPIPE" }, "not on a pipe");
      await assert.rejects(syncFileRange(loop, fd, 0, 2 ** 32), RangeError, "len is 32-bit");
    } finally {
      await close(loop, fd);
      libc().close(r);
      libc().close(w);
    }
  }));

test("fallocate grows the file and allocates blocks; FALLOC_FL_PUNCH_HOLE frees them and reads as zeros", () =>
  withLoop(async (loop) => {
    const p = tmpPath();
    const fd = await open(loop, p, "w+");
    try {
      const MiB = 1 << 20;
      await fallocate(loop, fd, 0, 0, MiB);
      let st = statSync(p);
      assert.equal(st.size, MiB);
      assert.ok(st.blocks * 512 >= MiB, `${st.blocks} blocks allocated`);
      await fallocate(loop, fd, FALLOC_FL_KEEP_SIZE, MiB, MiB);
      st = statSync(p);
      assert.equal(st.size, MiB, "KEEP_SIZE allocates past the end without growing");
      assert.ok(st.blocks * 512 >= 2 * MiB);

      await write(loop, fd, new Uint8Array(MiB).fill(0xab), 0);
      await fsync(loop, fd);
      const before = statSync(p).blocks;
      await fallocate(loop, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 65536, 256 * 1024);
      st = statSync(p);
      assert.equal(st.size, MiB);
      assert.ok(st.blocks <= before - (256 * 1024) / 512, `blocks ${before} -> ${st.blocks}`);
      const data = readFileSync(p);
      assert.ok(data.subarray(65536, 65536 + 256 * 1024).every((b) => b === 0), "the hole reads as zeros");
      assert.ok(data.subarray(0, 65536).every((b) => b === 0xab));
      assert.ok(data.subarray(65536 + 256 * 1024).every((b) => b === 0xab));
      await assert.rejects(fallocate(loop, fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), { code: "EOPNOTSUPP" },
        "PUNCH_HOLE without KEEP_SIZE");
    } finally {
      await close(loop, fd);
    }
  }));

test("ftruncate shortens and extends a file", skipIf(noFtruncate, "ftruncate"), () =>
  withLoop(async (loop) => {
    const p = tmpPath("0123456789");
    const fd = await open(loop, p, O_RDWR);
    try {
      await ftruncate(loop, fd, 4);
      assert.equal(readFileSync(p, "utf8"), "0123");
      await ftruncate(loop, fd, 8);
      assert.deepEqual([...readFileSync(p)], [...enc.encode("0123"), 0, 0, 0, 0]);
      const ro = await open(loop, p, O_RDONLY);
      await assert.rejects(ftruncate(loop, ro, 0), { code: "EINVAL" }, "a read-only descriptor");
      await close(loop, ro);
    } finally {
      await close(loop, fd);
    }
  }));

test("fadvise accepts advice for a file range and the kernel's EINVAL/ESPIPE come back by name", () =>
  withLoop(async (loop) => {
    const p = tmpPath(randomBytes(200_000));
    const fd = await open(loop, p);
    const [r, w] = makePipe();
    try {
      await fadvise(loop, fd, 0, 0, POSIX_FADV_SEQUENTIAL);
      await fadvise(loop, fd, 0, 100_000, POSIX_FADV_WILLNEED);
      await fadvise(loop, fd, 0, 0, POSIX_FADV_DONTNEED);
      await fadvise(loop, fd, 0, 2 ** 33, POSIX_FADV_DONTNEED); // a 64-bit length
      // The data is still the file's after the page cache was dropped.
      const buf = new Uint8Array(16);
      await read(loop, fd, buf, 0);
      assert.deepEqual(Buffer.from(buf), readFileSync(p).subarray(0, 16));
      await assert.rejects(fadvise(loop, fd, 0, 0, 99), { code: "EINVAL" });
      await assert.rejects(fadvise(loop, r, 0, 0, POSIX_FADV_SEQUENTIAL), { code: "ESPIPE" });
    } finally {
      await close(loop, fd);
      libc().close(r);
      libc().close(w);
    }
  }));

test("madvise MADV_DONTNEED on native memory makes the range read as zeros; GC memory is refused", () =>
  withLoop(async (loop) => {
    const page = pageSize();
    const mem = NativeMemory.allocate(4 * page);
    try {
      mem.bytes.fill(7);
      await madvise(loop, mem.bytes.subarray(page, 3 * page), MADV_DONTNEED);
      assert.ok(mem.bytes.subarray(0, page).every((b) => b === 7), "the page before is untouched");
      assert.ok(mem.bytes.subarray(page, 3 * page).every((b) => b === 0), "the advised pages read as zeros");
      assert.ok(mem.bytes.subarray(3 * page).every((b) => b === 7), "the page after is untouched");
      await madvise(loop, mem.bytes, MADV_WILLNEED);
      assert.ok(!mem.isPinned);
      await assert.rejects(madvise(loop, new Uint8Array(page), MADV_DONTNEED), TypeError);
      await assert.rejects(madvise(loop, mem.bytes.subarray(1), MADV_DONTNEED), /whole pages/);
      // The kernel would round a partial page up and zero bytes the caller did not give (here 1..page-1).
      mem.bytes.fill(7);
      await assert.rejects(madvise(loop, mem.bytes.subarray(0, 1), MADV_DONTNEED), /whole pages/);
      assert.ok(mem.bytes.subarray(0, page).every((b) => b === 7), "nothing beyond the view was touched");
      // Only harmless advice: MADV_HWPOISON (100), MADV_REMOVE (9) and the like are refused before the kernel.
      for (const advice of [12345, 9, 100]) {
        await assert.rejects(madvise(loop, mem.bytes, advice), /advice must be/);
      }
      // Memory the kernel holds keeps its pages.
      mem.pin();
      await assert.rejects(madvise(loop, mem.bytes, MADV_DONTNEED), /the kernel holds this memory/);
      mem.unpin();
    } finally {
      mem.free();
    }
  }));

// ---- Extended attributes -------------------------------------------------------------------------------------

test("setxattr/getxattr and fsetxattr/fgetxattr store and return the bytes", skipIf(noXattr, "xattr"), () =>
  withLoop(async (loop) => {
    const p = tmpPath("x");
    await setxattr(loop, p, "user.greeting", "hello");
    assert.equal(dec.decode(await getxattr(loop, p, "user.greeting")), "hello");
    const value = randomBytes(3000);
    await setxattr(loop, p, "user.blob", value, XATTR_CREATE);
    assert.deepEqual(Buffer.from(await getxattr(loop, p, "user.blob")), value);
    await assert.rejects(setxattr(loop, p, "user.blob", "again", XATTR_CREATE), { code: "EEXIST" });
    await assert.rejects(setxattr(loop, p, "user.none", "x", XATTR_REPLACE), { code: "ENODATA" });
    await assert.rejects(getxattr(loop, p, "user.missing"), { code: "ENODATA" });
    await assert.rejects(getxattr(loop, p, "user.blob", { size: 10 }), { code: "ERANGE" });

    const fd = await open(loop, p, O_RDWR);
    try {
      await fsetxattr(loop, fd, "user.viafd", new Uint16Array([1, 2, 3]));
      assert.deepEqual([...await fgetxattr(loop, fd, "user.viafd")], [1, 0, 2, 0, 3, 0]);
      assert.equal(dec.decode(await fgetxattr(loop, fd, "user.greeting")), "hello");
      await assert.rejects(fgetxattr(loop, fd, "user.missing"), { code: "ENODATA" });
    } finally {
      await close(loop, fd);
    }
    await assert.rejects(getxattr(loop, join(dir, "missing"), "user.x"), { code: "ENOENT" });
    await assert.rejects(setxattr(loop, p, "user.big", new Uint8Array(65537)), RangeError);
  }));

// ---- Pipes: splice, tee, pipe --------------------------------------------------------------------------------

test("splice moves file bytes into a pipe and from the pipe into another file", () =>
  withLoop(async (loop) => {
    const data = randomBytes(40_000);
    const src = tmpPath(data);
    const dst = tmpPath();
    const [r, w] = makePipe();
    const fin = await open(loop, src);
    const fout = await open(loop, dst, "w");
    try {
      let moved = 0;
      while (moved < data.length) {
        const n = await splice(loop, fin, moved, w, -1, Math.min(16384, data.length - moved));
        assert.ok(n > 0);
        let out = 0;
        while (out < n) out += await splice(loop, r, -1, fout, moved + out, n - out);
        moved += n;
      }
      assert.equal(await splice(loop, fin, data.length, w, -1, 100), 0, "end of file");
      assert.deepEqual(readFileSync(dst), data);
      await assert.rejects(splice(loop, fin, 0, fout, 0, 10), { code: "EINVAL" }, "neither end is a pipe");
    } finally {
      await close(loop, fin);
      await close(loop, fout);
      libc().close(r);
      libc().close(w);
    }
  }));

test("tee duplicates pipe contents into a second pipe without consuming them", () =>
  withLoop(async (loop) => {
    const [ar, aw] = makePipe();
    const [br, bw] = makePipe();
    try {
      const payload = enc.encode("duplicate me");
      assert.equal(libc().write(aw, payload, payload.length), payload.length);
      assert.equal(await tee(loop, ar, bw, 4096), payload.length);
      const a = new Uint8Array(64), b = new Uint8Array(64);
      assert.equal(await read(loop, ar, a), payload.length, "the source still holds the bytes");
      assert.equal(await read(loop, br, b), payload.length);
      assert.equal(dec.decode(a.subarray(0, payload.length)), "duplicate me");
      assert.equal(dec.decode(b.subarray(0, payload.length)), "duplicate me");
    } finally {
      for (const fd of [ar, aw, br, bw]) libc().close(fd);
    }
  }));

test("pipe creates a connected pair of descriptors", skipIf(noPipe, "pipe"), () =>
  withLoop(async (loop) => {
    const [r, w] = await pipe(loop);
    assert.ok(r >= 0 && w >= 0 && r !== w, `fds ${r}, ${w}`);
    try {
      await write(loop, w, enc.encode("through the pipe"));
      const buf = new Uint8Array(32);
      const n = await read(loop, r, buf);
      assert.equal(dec.decode(buf.subarray(0, n)), "through the pipe");
      assert.equal((await fstat(loop, r)).mode & 0o170000, 0o010000, "a FIFO");
    } finally {
      await close(loop, r);
      await close(loop, w);
    }
  }));

test("pipeDirect makes a pipe of direct descriptors; splice reads from one with fixedIn", skipIf(noPipe, "pipeDirect"), () =>
  withLoop(async (loop) => {
    registerFilesSparse(loop.ring, 8);
    const [r, w] = await pipeDirect(loop);
    assert.ok(r >= 0 && r < 8 && w >= 0 && w < 8 && r !== w, `slots ${r}, ${w}`);
    const dst = tmpPath();
    const fd = await open(loop, dst, "w");
    try {
      assert.equal(await write(loop, w, enc.encode("direct pipe"), -1, { fixed: true }), 11);
      assert.equal(await splice(loop, r, -1, fd, 0, 64, 0, { fixedIn: true }), 11);
      assert.equal(readFileSync(dst, "utf8"), "direct pipe");
      await write(loop, w, enc.encode("again"), -1, { fixed: true });
      const buf = new Uint8Array(8);
      assert.equal(await read(loop, r, buf, -1, { fixed: true }), 5);
      assert.equal(dec.decode(buf.subarray(0, 5)), "again");
    } finally {
      await close(loop, fd);
      await closeDirect(loop, r);
      await closeDirect(loop, w);
    }
  }));
