/**
 * examples/memfs.ts, mounted by a child process and driven by real tools from other processes (ls, stat, cat, cp,
 * dd, find, mv, rm, ln, chmod, truncate, touch, sha256sum, diff), once over FUSE over io_uring and once over
 * /dev/fuse. The child serves; this process only runs tools asynchronously, so nothing here waits on the mount
 * from the serving thread.
 *
 * Every test unmounts (SIGTERM to the server, then a lazy umount2 as a last resort) and puts
 * /sys/module/fuse/parameters/enable_uring back as it found it, also when it fails.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { skipIf, startExample } from "../testing/mod.ts";
import { ENABLE_URING_PATH, findMount, MNT_DETACH, setFuseUringEnabled, umount2Sync } from "../uring/fuse/mount.ts";

const notRoot = (process.getuid?.() ?? 0) !== 0 && "mounting FUSE needs root";
const noFuse = !existsSync("/dev/fuse") && "/dev/fuse is missing (modprobe fuse)";
const noUring = !existsSync(ENABLE_URING_PATH) &&
  `${ENABLE_URING_PATH} is missing: the kernel has no FUSE over io_uring (Linux 6.14, CONFIG_FUSE_IO_URING=y)`;

/** Runs `cmd` with sh in a child process; resolves with its exit code and output. */
function sh(cmd: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", cmd], { cwd, env: { ...process.env, TZ: "UTC", LC_ALL: "C" }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
  });
}

/** Runs `cmd` and returns its stdout; throws with its stderr when it fails. */
async function ok(cmd: string, cwd: string): Promise<string> {
  const r = await sh(cmd, cwd);
  if (r.code !== 0) throw new Error(`\`${cmd}\` failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Runs `cmd`, expects it to fail, and returns its stderr. */
async function fails(cmd: string, cwd: string): Promise<string> {
  const r = await sh(cmd, cwd);
  assert.notEqual(r.code, 0, `\`${cmd}\` succeeded: ${r.stdout}`);
  return r.stderr;
}

/** A tree of about 4 MiB over nested directories, with deterministic contents. */
function makeTree(root: string): number {
  let x = 0x9e3779b9;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const dirs = [root];
  let files = 0;
  let bytes = 0;
  for (let d = 0; d < 8; d++) {
    const parent = dirs[Math.floor(rnd() * dirs.length)]!;
    const dir = join(parent, `dir${d}`);
    mkdirSync(dir);
    dirs.push(dir);
  }
  for (const dir of dirs) {
    for (let f = 0; f < 4; f++) {
      const size = f === 0 ? 0 : Math.floor(rnd() * 300_000) + (f === 3 ? 200_000 : 1);
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i += 4) {
        const v = (rnd() * 2 ** 32) >>> 0;
        data[i] = v;
        data[i + 1] = v >>> 8;
        data[i + 2] = v >>> 16;
        data[i + 3] = v >>> 24;
      }
      writeFileSync(join(dir, `file${f}.bin`), data);
      files++;
      bytes += size;
    }
  }
  assert.ok(bytes > 3 << 20, `the tree holds ${bytes} bytes`);
  return files;
}

async function exercise(transport: "io_uring" | "classic", extra: string[] = []): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), `ringside-memfs-${transport}-`));
  const m = join(base, "mnt");
  const src = join(base, "src");
  mkdirSync(m);
  mkdirSync(src);
  const files = makeTree(src);
  let restore: boolean | undefined;
  if (transport === "io_uring") restore = setFuseUringEnabled(true);
  // The tools' workload takes more than the default 30 s on a slow machine (an emulated one, under QEMU's TCG).
  const server = startExample("memfs.ts", [m, ...(transport === "classic" ? ["--classic"] : []), ...extra], 110_000);
  try {
    await server.waitFor("memfs: mounted at", 15_000);
    // A connection that registered its ring keeps it when the switch goes back (fs/fuse/dev_uring.c checks
    // enable_uring || fc->io_uring): restore it as soon as the mount is up.
    if (restore !== undefined) {
      setFuseUringEnabled(restore);
      restore = undefined;
    }
    assert.match(server.stdout, new RegExp(`^memfs: mounted at ${m} over ${transport}`, "m"));
    assert.equal(findMount(m)?.fstype, "fuse.memfs");

    // An empty root, then a tree copied in and out, compared by listing, checksums and diff.
    assert.equal(await ok("ls -A mnt", base), "");
    await ok("cp -r src mnt/tree", base);
    assert.equal(await ok("cd mnt/tree && find . | sort", base), await ok("cd src && find . | sort", base));
    assert.equal(Number((await ok("find mnt/tree -type f | wc -l", base)).trim()), files);
    const sums = "find . -type f -exec sha256sum {} + | sort -k2";
    assert.equal(await ok(`cd mnt/tree && ${sums}`, base), await ok(`cd src && ${sums}`, base));
    await ok("cp -r mnt/tree out && diff -r src out", base);

    // dd in and out in several block sizes, fsync on the way in.
    await ok("dd if=/dev/urandom of=blob bs=64k count=40 status=none", base);
    await ok("dd if=blob of=mnt/blob bs=1M conv=fsync status=none", base);
    await ok("dd if=mnt/blob of=blob2 bs=4k status=none && cmp blob blob2", base);
    assert.equal(await ok("dd if=mnt/blob bs=4096 skip=100 count=3 status=none | sha256sum", base),
      await ok("dd if=blob bs=4096 skip=100 count=3 status=none | sha256sum", base));

    // Attributes: stat, chmod, truncate (shrink, then grow with zeros), utimens with nanoseconds.
    assert.equal((await ok("stat -c '%s %a %h %F' mnt/blob", base)).trim(), "2621440 644 1 regular file");
    await ok("chmod 600 mnt/blob", base);
    assert.equal((await ok("stat -c %a mnt/blob", base)).trim(), "600");
    await ok("truncate -s 1000 mnt/blob && truncate -s 5000 mnt/blob", base);
    assert.equal((await ok("stat -c %s mnt/blob", base)).trim(), "5000");
    assert.equal((await ok("head -c 1000 mnt/blob | cmp - blob -n 1000 && tail -c 4000 mnt/blob | tr -d '\\0' | wc -c",
      base)).trim(), "0");
    await ok("touch -d '2001-02-03 04:05:06.123456789' mnt/blob", base);
    assert.equal((await ok("stat -c %y mnt/blob", base)).trim(), "2001-02-03 04:05:06.123456789 +0000");

    // Names: mkdir, mv (rename across directories), symbolic and hard links, appends.
    await ok("mkdir mnt/d && mv mnt/blob mnt/d/moved", base);
    assert.equal(await ok("ls mnt/d", base), "moved\n");
    await fails("test -e mnt/blob", base);
    await ok("ln -s d/moved mnt/link && ln mnt/d/moved mnt/hard", base);
    assert.equal((await ok("readlink mnt/link", base)).trim(), "d/moved");
    await ok("cmp mnt/link mnt/d/moved", base);
    assert.equal((await ok("stat -c %h mnt/hard", base)).trim(), "2");
    await ok("echo hi > mnt/new && echo more >> mnt/new", base);
    assert.equal(await ok("cat mnt/new", base), "hi\nmore\n");
    await ok("printf abcdef > mnt/over && printf xy > mnt/over", base); // O_TRUNC: SETATTR size 0, then WRITE
    assert.equal(await ok("cat mnt/over && rm mnt/over", base), "xy");

    // A directory listing longer than one READDIR reply, continued from the offsets memfs handed out.
    await ok("mkdir mnt/many && for i in $(seq 300); do : > mnt/many/file-with-a-longish-name-$i; done", base);
    assert.equal((await ok("ls mnt/many | wc -l", base)).trim(), "300");
    assert.equal((await ok("ls -l mnt/many | grep -c '^-rw'", base)).trim(), "300");
    await ok("rm -r mnt/many", base);
    assert.match(await ok("ls -la mnt", base), /link -> d\/moved/);
    assert.match(await ok("stat -f -c '%S %b' mnt", base), /^4096 \d+/);

    // Errors come back with their errno.
    assert.match(await fails("cat mnt/missing", base), /No such file or directory/);
    assert.match(await fails("rmdir mnt/d", base), /Directory not empty/);
    assert.match(await fails("mkdir mnt/d", base), /File exists/);

    // Removal.
    await ok("rm -r mnt/tree && rm mnt/hard mnt/link", base);
    assert.equal((await ok("stat -c %h mnt/d/moved", base)).trim(), "1");
    assert.equal(await ok("ls mnt", base), "d\nnew\n");
    await ok("mv mnt/new mnt/d/new && rm -r mnt/d", base);
    assert.equal(await ok("ls -A mnt", base), "");

    // SIGTERM: the server unmounts and says so (Deno's child_process misreports the exit of a child that handled
    // a signal, so the closing line is the proof).
    server.child.kill("SIGTERM");
    await server.exited;
    const closing = /memfs: unmounted .* \((\d+) ring requests, (\d+) \/dev\/fuse requests, \d+ EAGAIN, (\d+) refused/
      .exec(server.stderr);
    assert.ok(closing, `no closing line: ${server.stderr}`);
    assert.equal(findMount(m), undefined);
    assert.equal(closing[3], "0", "the kernel refused replies");
    if (transport === "io_uring") {
      assert.ok(Number(closing[1]) > 1000, `only ${closing[1]} requests came through the ring`);
      // INIT, and the FORGETs of the removed files: those never go through the ring.
      assert.ok(Number(closing[2]) > 1, `only ${closing[2]} requests came through /dev/fuse`);
    } else {
      assert.equal(closing[1], "0");
      assert.ok(Number(closing[2]) > 1000);
    }
  } catch (e) {
    // A tool failing on the mount ("Transport endpoint is not connected") means the server died: say why.
    if (e instanceof Error && server.stderr) e.message += `\nmemfs stderr:\n${server.stderr}`;
    throw e;
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    // The server is gone (or never came up): a lazy unmount cannot wait for it.
    if (findMount(m)) umount2Sync(m, MNT_DETACH);
    if (restore !== undefined) setFuseUringEnabled(restore);
    rmSync(base, { recursive: true, force: true });
  }
}

const uringName = "memfs over FUSE over io_uring: real tools copy a tree in and out and see every operation";
test(uringName, skipIf(notRoot || noFuse || noUring, uringName), () => exercise("io_uring"));

const classicName = "memfs over /dev/fuse (--classic): the same tools see the same filesystem";
test(classicName, skipIf(notRoot || noFuse, classicName), () => exercise("classic"));

const owningName = "memfs over FUSE over io_uring on an owning loop (--owning): the same tools, the same answers";
test(owningName, skipIf(notRoot || noFuse || noUring, owningName), () => exercise("io_uring", ["--owning"]));
