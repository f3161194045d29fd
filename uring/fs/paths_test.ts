/**
 * mkdir, symlink, link, rename, unlink and rmdir (and their *at forms) on the real kernel, checked by the directory
 * as node:fs sees it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it, tempDir, withLoop } from "../../testing/mod.ts";
import { probeOpcodes } from "../ring/probe.ts";
import {
  IORING_OP_LINKAT,
  IORING_OP_MKDIRAT,
  IORING_OP_RENAMEAT,
  IORING_OP_SYMLINKAT,
  IORING_OP_UNLINKAT,
} from "../abi/uapi.ts";
import {
  AT_REMOVEDIR,
  close,
  link,
  linkat,
  mkdir,
  mkdirat,
  O_DIRECTORY,
  O_RDONLY,
  open,
  rename,
  renameat,
  RENAME_NOREPLACE,
  rmdir,
  symlink,
  symlinkat,
  unlink,
  unlinkat,
} from "./mod.ts";

const { dir } = tempDir("ringside-paths-");

const has = (op: number, name: string, version: string) =>
  !probeOpcodes().isSupported(op) && `${name} needs Linux ${version}`;
const noMkdir = has(IORING_OP_MKDIRAT, "IORING_OP_MKDIRAT", "5.15") ||
  has(IORING_OP_SYMLINKAT, "IORING_OP_SYMLINKAT", "5.15") || has(IORING_OP_LINKAT, "IORING_OP_LINKAT", "5.15");
const noRename = has(IORING_OP_RENAMEAT, "IORING_OP_RENAMEAT", "5.11") ||
  has(IORING_OP_UNLINKAT, "IORING_OP_UNLINKAT", "5.11");
const noTree = noMkdir || noRename;

it("mkdirat, symlinkat, linkat, renameat and unlinkat change the directory as node:fs sees it", noTree, () =>
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

it("renameat, rename, unlinkat, unlink and rmdir change a directory made with node:fs", noRename, () =>
  withLoop(async (loop) => {
    const root = join(dir, "by-node");
    mkdirSync(join(root, "sub"), { recursive: true });
    writeFileSync(join(root, "file"), "content");
    const dfd = await open(loop, root, O_RDONLY | O_DIRECTORY);
    try {
      await renameat(loop, dfd, "file", dfd, "moved");
      assert.ok(!existsSync(join(root, "file")));
      assert.equal(readFileSync(join(root, "moved"), "utf8"), "content");
      writeFileSync(join(root, "other"), "x");
      await assert.rejects(renameat(loop, dfd, "moved", dfd, "other", RENAME_NOREPLACE), { code: "EEXIST" });
      await rename(loop, join(root, "moved"), join(root, "sub", "moved"));
      assert.deepEqual(readdirSync(join(root, "sub")), ["moved"]);
      await unlinkat(loop, dfd, "other");
      await assert.rejects(unlinkat(loop, dfd, "sub"), { code: "EISDIR" });
      await unlink(loop, join(root, "sub", "moved"));
      await unlinkat(loop, dfd, "sub", AT_REMOVEDIR);
      assert.deepEqual(readdirSync(root), []);
      await assert.rejects(unlink(loop, join(root, "gone")), { code: "ENOENT" });
      await assert.rejects(rmdir(loop, dir), { code: "ENOTEMPTY" });
    } finally {
      await close(loop, dfd);
    }
    await rmdir(loop, root);
    assert.ok(!existsSync(root));
  }));
