/**
 * The file examples run as programs under the current runtime: cp.ts copies a random file byte for byte (checked
 * with cmp), stat.ts prints what coreutils stat prints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { runExample, skipIf, tempDir } from "../testing/mod.ts";

const { dir } = tempDir("ringside-examples-");

function has(cmd: string): boolean {
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
  return r.status === 0;
}
const noCmp = !has("cmp") && "cmp is not installed (apt-get install diffutils)";
const noStat = !has("stat") && "coreutils stat is not installed";

const cpName = "cp.ts copies a random 5 MiB file with linked READ_FIXED/WRITE_FIXED, identical by cmp";
test(cpName, skipIf(noCmp, cpName), () => {
  // Not a multiple of the 256 KiB block: the last read comes back short and breaks its link.
  const size = 5 * 1024 * 1024 + 12345;
  const src = join(dir, "src.bin");
  const dst = join(dir, "dst.bin");
  writeFileSync(src, randomBytes(size));
  const r = runExample("cp.ts", [src, dst]);
  assert.equal(r.status, 0, `cp.ts failed: ${r.stderr}`);
  assert.match(r.stdout, new RegExp(`copied ${size} bytes`));
  const cmp = spawnSync("cmp", [src, dst], { encoding: "utf8" });
  assert.equal(cmp.status, 0, `cmp: ${cmp.stdout}${cmp.stderr}`);
  assert.equal(statSync(dst).size, size);

  // An exact multiple of the block size (every read full, the end found by a read of 0) and an empty file.
  for (const n of [2 * 256 * 1024, 0]) {
    const s = join(dir, `src-${n}`);
    const d = join(dir, `dst-${n}`);
    writeFileSync(s, randomBytes(n));
    const again = runExample("cp.ts", [s, d]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(spawnSync("cmp", [s, d]).status, 0, `copy of ${n} bytes differs`);
  }
});

test("cp.ts reports a missing source and exits non-zero", () => {
  const r = runExample("cp.ts", [join(dir, "missing"), join(dir, "never")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ENOENT/);
});

const statName = "stat.ts prints what coreutils stat prints, with the size and inode node:fs reports";
test(statName, skipIf(noStat, statName), () => {
  const root = join(dir, "stat");
  mkdirSync(root);
  const file = join(root, "data");
  writeFileSync(file, randomBytes(10_000));
  writeFileSync(join(root, "empty"), "");
  symlinkSync("data", join(root, "link"));
  const paths = [file, join(root, "empty"), root];
  const ours = runExample("stat.ts", paths);
  assert.equal(ours.status, 0, ours.stderr);
  const theirs = spawnSync("stat", paths, { encoding: "utf8" });
  assert.equal(theirs.status, 0, theirs.stderr);
  assert.equal(ours.stdout, theirs.stdout);

  // Both programs readlink() a symbolic link, which may move its atime (relatime moves it while it is not after
  // the mtime; strictatime always): compare everything but that line.
  const noAtime = (text: string) => text.replace(/^Access: \d{4}-.*$/m, "Access: <atime>");
  const link = runExample("stat.ts", [join(root, "link")]);
  assert.equal(link.status, 0, link.stderr);
  assert.equal(noAtime(link.stdout), noAtime(spawnSync("stat", [join(root, "link")], { encoding: "utf8" }).stdout));
  assert.match(link.stdout, /File: .*link -> data$/m);
  assert.match(link.stdout, /\(0777\/lrwxrwxrwx\)/);

  const st = statSync(file);
  assert.match(ours.stdout, new RegExp(`^  Size: ${st.size} .*regular file$`, "m"));
  assert.match(ours.stdout, new RegExp(`Inode: ${st.ino} `));
});

test("stat.ts reports a missing path on stderr and exits 1, still printing the others", () => {
  const ok = join(dir, "present");
  writeFileSync(ok, "x");
  const r = runExample("stat.ts", [join(dir, "absent"), ok]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /stat: cannot statx '.*absent': No such file or directory/);
  assert.match(r.stdout, /Size: 1 /);
});
