/**
 * statx, fstat and lstat on the real kernel, checked against node:fs statSync and coreutils stat(1).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lstatSync, statSync, symlinkSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { tempDir, withLoop } from "../../testing/mod.ts";
import { AT_EMPTY_PATH, close, fileType, fstat, lstat, open, statx, STATX_BASIC_STATS, STATX_BTIME } from "./mod.ts";

const { dir, file: tmpPath } = tempDir("ringside-statx-");

/** Linux's `makedev`, as node:fs reports `dev`. */
function makedev(major: number, minor: number): number {
  return (minor & 0xff) + (major & 0xfff) * 256 + (minor & ~0xff) * 4096 + Math.floor(major / 4096) * 2 ** 32;
}

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
