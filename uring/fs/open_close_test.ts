/**
 * open, openat, openat2, their direct forms, close and closeDirect on the real kernel, checked by what node:fs sees
 * and by the errno the kernel gives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { UringError } from "../core/errors.ts";
import { registerFiles, registerFilesSparse } from "../ring/registered_files.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { it, tempDir, withLoop } from "../../testing/mod.ts";
import {
  AT_FDCWD,
  close,
  closeDirect,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  open,
  openat,
  openat2,
  openat2Direct,
  openatDirect,
  read,
  RESOLVE_BENEATH,
  RESOLVE_NO_SYMLINKS,
  write,
} from "./mod.ts";

const { dir, file: tmpPath } = tempDir("ringside-open-");

const enc = new TextEncoder();
const dec = new TextDecoder();

// Opening into a slot of the file table (file_index in the SQE) is Linux 5.15; older kernels do not look at the
// field and open a plain descriptor instead. Debian's 5.10 backport lacks it too (it lacks 5.15's MKDIRAT). No
// probe tells, only the version.
const noDirectOpen = !kernelVersionAtLeast(5, 15) && "opening into a direct descriptor slot needs Linux 5.15";

test("failed operations reject with the errno name: ENOENT, EEXIST, EBADF", () =>
  withLoop(async (loop) => {
    const missing = join(dir, "does-not-exist");
    await assert.rejects(open(loop, missing), (e: unknown) => {
      assert.ok(e instanceof UringError);
      assert.equal(e.code, "ENOENT");
      assert.match(e.message, /does-not-exist.*ENOENT/);
      return true;
    });
    const existing = tmpPath("x");
    await assert.rejects(open(loop, existing, O_WRONLY | O_CREAT | O_EXCL), { code: "EEXIST" });
    await assert.rejects(open(loop, existing, "wx"), { code: "EEXIST" });
    await assert.rejects(read(loop, 999_999, new Uint8Array(4), 0), { code: "EBADF" });
    await assert.rejects(close(loop, 999_999), { code: "EBADF" });
    const fd = await open(loop, existing, O_RDONLY);
    await assert.rejects(write(loop, fd, enc.encode("no"), 0), { code: "EBADF" }, "read-only descriptor");
    await close(loop, fd);
  }));

test("openat creates with the mode given, relative to a directory descriptor, and close really closes", () =>
  withLoop(async (loop) => {
    const sub = join(dir, "openat-dir");
    mkdirSync(sub, 0o755); // node:fs: IORING_OP_MKDIRAT is 5.15, and mkdir is not what this test is about
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

it("openat2Direct opens into the registered file table", noDirectOpen, () =>
  withLoop(async (loop) => {
    registerFiles(loop.ring, [-1, -1, -1, -1]);
    const p = tmpPath("direct2");
    const slot = await openat2Direct(loop, AT_FDCWD, p, { resolve: RESOLVE_NO_SYMLINKS }, 3);
    assert.equal(slot, 3);
    const buf = new Uint8Array(7);
    assert.equal(await read(loop, 3, buf, 0, { fixed: true }), 7);
    assert.equal(dec.decode(buf), "direct2");
    await closeDirect(loop, 3);
  }));

const noAlloc = !kernelVersionAtLeast(5, 19) && "sparse file tables and IORING_FILE_INDEX_ALLOC need Linux 5.19";

it("direct descriptors: open into a fixed slot, read and write through it, close it", noDirectOpen || noAlloc, () =>
  withLoop(async (loop) => {
    registerFilesSparse(loop.ring, 8);
    const path = tmpPath("0123456789");
    const slot = await openatDirect(loop, AT_FDCWD, path, O_RDWR, 0, 5);
    assert.equal(slot, 5);
    const buf = new Uint8Array(4);
    assert.equal(await read(loop, slot, buf, 3, { fixed: true }), 4);
    assert.equal(dec.decode(buf), "3456");
    assert.equal(await write(loop, slot, enc.encode("ab"), 0, { fixed: true }), 2);
    assert.equal(readFileSync(path, "utf8"), "ab23456789");
    // Slot 5 is not a normal descriptor of this process (or it is some other file).
    const alloc = await openatDirect(loop, AT_FDCWD, path, O_RDONLY);
    assert.ok(alloc >= 0 && alloc < 8 && alloc !== 5, `allocated slot ${alloc}`);
    await closeDirect(loop, slot);
    await closeDirect(loop, alloc);
    await assert.rejects(read(loop, slot, buf, 0, { fixed: true }), { code: "EBADF" }, "the slot is empty now");
    await assert.rejects(closeDirect(loop, slot), { code: "EBADF" });
  }));
