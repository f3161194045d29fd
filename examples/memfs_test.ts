/**
 * examples/memfs.ts, mounted by a child process and driven by real tools from other processes (ls, stat, cat, cp,
 * dd, find, mv, rm, ln, chmod, truncate, touch, sha256sum, diff; mknod, mkfifo, fallocate, flock, perl's sysseek,
 * python's fcntl.lockf), and by system calls of this process (bind and connect through node:net, the xattr calls
 * through libc), once over FUSE over io_uring and once over /dev/fuse. The child serves; this process runs tools
 * asynchronously, and its own system calls on the mount only block this process, not the server.
 *
 * Every test unmounts (SIGTERM to the server, then a lazy umount2 as a last resort) and puts
 * /sys/module/fuse/parameters/enable_uring back as it found it, also when it fails.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { encodeCString, errnoName, libc } from "../ffi/mod.ts";
import { skipIf, startExample } from "../testing/mod.ts";
import { atExit, MOUNT_TEST_TIMEOUT_MS } from "../testing/fuse.ts";
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

/** A memfs mounted for a test: the temp directory, the mountpoint under it, and the server process. */
interface Mounted {
  base: string;
  m: string;
  server: ReturnType<typeof startExample>;
}

/**
 * Mounts memfs at `base/mnt` over `transport` (with `extra` arguments), runs `body`, and unmounts whatever happens:
 * SIGKILL and a lazy umount2 when the server is still up, enable_uring put back as it was, the directory removed.
 */
async function withMemfs(transport: "io_uring" | "classic", extra: string[], body: (t: Mounted) => Promise<void>,
  killAfterMs = 110_000): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), `ringside-memfs-${transport}-`));
  const m = join(base, "mnt");
  mkdirSync(m);
  let restore: boolean | undefined;
  if (transport === "io_uring") restore = setFuseUringEnabled(true);
  const server = startExample("memfs.ts", [m, ...(transport === "classic" ? ["--classic"] : []), ...extra],
    killAfterMs);
  // A test the runner abandons (past its timeout) never reaches the finally below if the process ends first, and Bun
  // kills the server child when it abandons it: the same cleanup then runs at exit, so that no mount is left behind.
  const cleanup = () => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
    if (findMount(m)) umount2Sync(m, MNT_DETACH);
    if (restore !== undefined) setFuseUringEnabled(restore);
    restore = undefined;
    if (!findMount(m)) rmSync(base, { recursive: true, force: true });
  };
  const forget = atExit(cleanup);
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
    await body({ base, m, server });
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
    cleanup();
    forget();
  }
}

function exercise(transport: "io_uring" | "classic", extra: string[] = []): Promise<void> {
  // The tools' workload takes more than the default 30 s on a slow machine (an emulated one, under QEMU's TCG).
  return withMemfs(transport, extra, async ({ base, m, server }) => {
    const src = join(base, "src");
    mkdirSync(src);
    const files = makeTree(src);
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
  });
}

const uringName = "memfs over FUSE over io_uring: real tools copy a tree in and out and see every operation";
test(uringName, { ...skipIf(notRoot || noFuse || noUring, uringName), timeout: MOUNT_TEST_TIMEOUT_MS },
  () => exercise("io_uring"));

const classicName = "memfs over /dev/fuse (--classic): the same tools see the same filesystem";
test(classicName, { ...skipIf(notRoot || noFuse, classicName), timeout: MOUNT_TEST_TIMEOUT_MS },
  () => exercise("classic"));

const owningName = "memfs over FUSE over io_uring on an owning loop (--owning): the same tools, the same answers";
test(owningName, { ...skipIf(notRoot || noFuse || noUring, owningName), timeout: MOUNT_TEST_TIMEOUT_MS },
  () => exercise("io_uring", ["--owning"]));

// ---- What a filesystem has beyond files and directories, each over both transports -------------------------

const TRANSPORTS = [
  { transport: "io_uring", skip: notRoot || noFuse || noUring },
  { transport: "classic", skip: notRoot || noFuse },
] as const;

/** Debian's python3 (a version manager's shim in PATH may take a second to start). */
const PYTHON = "/usr/bin/python3";
const noPython = !existsSync(PYTHON) &&
  `${PYTHON} is missing (apt-get install python3): it takes fcntl locks and calls copy_file_range`;

/** Declares `name` once per transport, mounting memfs (with `extra`) around `body`. */
function onBoth(name: string, extra: string[], body: (t: Mounted) => Promise<void>, skip: string | false = false):
  void {
  for (const { transport, skip: why } of TRANSPORTS) {
    const full = `memfs over ${transport}: ${name}`;
    test(full, { ...skipIf(why || skip, full), timeout: MOUNT_TEST_TIMEOUT_MS },
      () => withMemfs(transport, extra, body));
  }
}

/** The server's resident memory in bytes (VmRSS of /proc/PID/status). */
function rss(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(kib, `no VmRSS for ${pid}`);
  return Number(kib[1]) * 1024;
}

/** Polls `check` until it returns true (2 s at most): the kernel sends FORGET for an unlinked file a little later. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (const t0 = Date.now(); !(await check());) {
    assert.ok(Date.now() - t0 < 2000, what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The lines of /proc/locks about inode `ino` of the mount at `m` (the kernel's own lock table). */
function kernelLocks(m: string, ino: string): string[] {
  // fs/locks.c lock_get_status prints "%02x:%02x:%lu", MAJOR and MINOR of the superblock's device and the inode.
  const dev = statSync(m).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00);
  const id = `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}:${ino}`;
  return readFileSync("/proc/locks", "utf8").split("\n").filter((l) => l.includes(` ${id} `));
}

onBoth("mknod, mkfifo and bind make FIFOs, devices and sockets, and they work", [], async ({ base, m }) => {
  await ok("mkfifo mnt/fifo && mknod mnt/chr c 1 7 && mknod mnt/blk b 8 3 && mknod mnt/wide c 300 70000", base);
  await ok("mknod -m 600 mnt/p600 p", base);
  assert.equal(await ok("stat -c '%F %a' mnt/p600 && rm mnt/p600", base), "fifo 600\n");
  assert.equal(await ok("stat -c '%n %F %t:%T %a' mnt/fifo mnt/chr mnt/blk mnt/wide", base),
    "mnt/fifo fifo 0:0 644\nmnt/chr character special file 1:7 644\nmnt/blk block special file 8:3 644\n" +
      "mnt/wide character special file 12c:11170 644\n");
  assert.match(await ok("ls -l mnt", base), /^crw-r--r-- 1 root root 300, 70000 .* wide$/m);

  // A FIFO carries data from one process to another (the kernel's pipe behind memfs's inode).
  assert.equal(await ok("cat mnt/fifo > got & echo 'through the fifo' > mnt/fifo; wait; cat got", base),
    "through the fifo\n");

  // A UNIX socket bound on a path in the mount (the kernel asks memfs for an S_IFSOCK node), then connected to.
  const path = join(m, "sock");
  const server = createServer((c) => c.on("data", (d) => c.end(`echo ${d}`)));
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path, resolve));
  try {
    assert.equal((await ok("stat -c %F mnt/sock", base)).trim(), "socket");
    const reply = await new Promise<string>((resolve, reject) => {
      let got = "";
      const c = createConnection(path, () => c.write("hi"));
      c.setEncoding("utf8").on("data", (d: string) => (got += d)).on("end", () => resolve(got)).on("error", reject);
    });
    assert.equal(reply, "echo hi");
  } finally {
    await new Promise((r) => server.close(r));
  }
  await ok("rm -f mnt/sock mnt/fifo mnt/chr mnt/blk mnt/wide", base);
  assert.equal(await ok("ls -A mnt", base), "");
});

onBoth("names are bytes, up to NAME_MAX (255): longer ones are ENAMETOOLONG", [], async ({ base }) => {
  // café in latin1 (\351), its neighbour (\350), and in UTF-8: three names, none confused with another.
  await ok("cd mnt && printf 9 > \"$(printf 'caf\\351')\" && printf 8 > \"$(printf 'caf\\350')\" && printf u > café",
    base);
  const hex = async (cmd: string) => (await ok(cmd, base)).trim().split(/\s+/).join(" ");
  assert.equal(await hex("cd mnt && printf '%s\\n' * | od -An -tx1 -v"),
    "63 61 66 c3 a9 0a 63 61 66 e8 0a 63 61 66 e9 0a");
  assert.equal(await ok("cd mnt && cat \"$(printf 'caf\\351')\" \"$(printf 'caf\\350')\" café", base), "98u");
  await ok("cd mnt && mv \"$(printf 'caf\\351')\" \"$(printf '\\377\\001')\" && ln café \"$(printf '\\200')\"", base);
  assert.equal(await hex("cd mnt && printf '%s\\n' * | od -An -tx1 -v"),
    "63 61 66 c3 a9 0a 63 61 66 e8 0a 80 0a ff 01 0a");
  assert.equal(await ok("cd mnt && stat -c %h \"$(printf '\\200')\" && cat \"$(printf '\\377\\001')\"", base), "2\n9");
  await ok("rm mnt/*", base);

  const n255 = "n".repeat(255);
  const n256 = "l".repeat(256);
  await ok(`touch mnt/${n255} && mkdir mnt/d`, base);
  for (const cmd of [`touch mnt/${n256}`, `stat mnt/${n256}`, `mkdir mnt/${n256}`, `mkfifo mnt/${n256}`,
    `ln -s target mnt/${n256}`, `ln mnt/${n255} mnt/${n256}`, `mv mnt/${n255} mnt/d/${n256}`]) {
    assert.match(await fails(cmd, base), /File name too long/, cmd);
  }
  assert.equal(await ok("ls mnt | wc -l && ls mnt/d | wc -l", base), "2\n0\n");
  assert.equal((await ok("stat -f -c %l mnt", base)).trim(), "255");
});

onBoth("files are sparse: huge truncates cost nothing, holes read as zeros, SEEK_DATA/SEEK_HOLE find data",
  ["--size", "256m"], async ({ base, server }) => {
  const free = async () => Number((await ok("stat -f -c %f mnt", base)).trim());
  const freeBefore = await free();
  const rssBefore = rss(server.child.pid!);
  // 999 999 999 999 999 bytes is below memfs's 4 PiB: a sparse file (pjdfstest's truncate/12.t accepts that).
  await ok("truncate -s 999999999999999 mnt/huge", base);
  assert.equal(await ok("stat -c '%s %b' mnt/huge", base), "999999999999999 0\n");
  assert.match(await fails("truncate -s 4503599627370497 mnt/huge", base), /File too large/);
  assert.match(await fails("printf x | dd of=mnt/huge bs=1 seek=4503599627370496 oflag=seek_bytes status=none", base),
    /File too large/);

  // 4 GiB of hole: no memory, no blocks; reading from the middle gives zeros.
  await ok("truncate -s 4G mnt/big", base);
  assert.equal(await ok("dd if=mnt/big bs=1M skip=2047 count=2 status=none | tr -d '\\0' | wc -c", base), "0\n");
  assert.equal(await ok("stat -c '%s %b' mnt/big && du -k mnt/big | cut -f1", base), "4294967296 0\n0\n");
  assert.equal(await free(), freeBefore, "statfs counts no block for the holes");
  const grew = rss(server.child.pid!) - rssBefore;
  assert.ok(grew < 64 << 20, `the server grew by ${grew} bytes for a 4 GiB sparse file`);

  // One block of data at 3 GiB: SEEK_DATA finds it, SEEK_HOLE finds where it ends (perl's sysseek is lseek).
  await ok("printf data | dd of=mnt/big bs=4 seek=3221225472 oflag=seek_bytes conv=notrunc status=none", base);
  const seek = async (whence: number, from: number) =>
    (await ok(`perl -e 'open(F, "<", $ARGV[0]) or die; my $r = sysseek(F, $ARGV[1], $ARGV[2]); ` +
      `print defined($r) ? $r + 0 : $!{ENXIO} ? "ENXIO" : "error $!"' mnt/big ${from} ${whence}`, base)).trim();
  const GiB3 = 3 * 2 ** 30;
  assert.equal(await seek(3, 0), String(GiB3)); // SEEK_DATA
  assert.equal(await seek(4, 0), "0"); // SEEK_HOLE
  assert.equal(await seek(4, GiB3 + 2), String(GiB3 + 4096));
  assert.equal(await seek(3, GiB3 + 4096), "ENXIO");
  assert.equal(await ok("stat -c %b mnt/big", base), "8\n");

  // fallocate: allocates (blocks and statfs count it), keeps the size with -n, punches holes with -p; other
  // modes are not supported.
  await ok("fallocate -l 1M mnt/fa", base);
  assert.equal(await ok("stat -c '%s %b' mnt/fa", base), "1048576 2048\n");
  await ok("fallocate -n -o 1M -l 1M mnt/fa", base);
  assert.equal(await ok("stat -c '%s %b' mnt/fa", base), "1048576 4096\n");
  await ok("fallocate -p -o 64K -l 512K mnt/fa", base);
  assert.equal(await ok("stat -c '%s %b' mnt/fa", base), "1048576 3072\n");
  assert.match(await fails("fallocate -z -l 4K mnt/fa", base), /Operation not supported/);
  assert.match(await fails("fallocate -l 4503599627370497 mnt/fa", base), /File too large/);

  // Copies of a sparse file are the same and as sparse: cp (which walks it with SEEK_DATA/SEEK_HOLE), and
  // copy_file_range(2) (python's os.copy_file_range), which memfs copies itself, holes as holes.
  await ok("truncate -s 100M mnt/sp && printf x | dd of=mnt/sp bs=1 seek=50M oflag=seek_bytes conv=notrunc " +
    "status=none && cp mnt/sp mnt/cp && cmp mnt/sp mnt/cp", base);
  assert.equal(await ok("stat -c %b mnt/cp", base), "8\n", "cp stored the holes");
  await ok(`${PYTHON} -c 'import os; a = os.open("mnt/sp", os.O_RDONLY); ` +
    `b = os.open("mnt/cfr", os.O_WRONLY | os.O_CREAT, 0o644); n = 100 << 20; ` +
    `assert os.copy_file_range(a, b, n, 0, 0) == n' && cmp mnt/sp mnt/cfr`, base);
  assert.equal(await ok("stat -c %b mnt/cfr", base), "8\n", "copy_file_range stored the holes");

  // The capacity (--size 256m): writing past it is ENOSPC, space fallocated before stays writable, rm frees.
  await ok("fallocate -l 1M mnt/reserved", base);
  assert.match(await fails("dd if=/dev/zero of=mnt/fill bs=1M count=300 status=none", base), /No space left/);
  assert.ok(await free() < 16, `${await free()} blocks still free`);
  await ok("dd if=/dev/urandom of=mnt/reserved bs=64k count=16 conv=notrunc status=none", base);
  await ok("rm mnt/fill mnt/fa mnt/cp mnt/cfr", base);
  await eventually(async () => await free() > 60000, "rm gave the space back");
  assert.match(await ok("df -B1M mnt", base), /memfs\s+256\s/);
}, noPython);

// ---- Extended attributes, through libc's calls on paths in the mount ------------------------------------------

/** A C string of raw bytes (a name that is not UTF-8). */
function cBytes(...parts: (string | number[])[]): Uint8Array {
  const bytes = parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p);
  return Uint8Array.from([...bytes, 0]);
}

/** setxattr(2): 0 or the errno name. */
function setx(path: string, name: Uint8Array | string, value: Uint8Array | string, flags = 0): string | 0 {
  const c = libc();
  const v = typeof value === "string" ? new TextEncoder().encode(value) : value;
  const n = typeof name === "string" ? encodeCString(name) : name;
  return c.setxattr(encodeCString(path), n, v, v.byteLength, flags) === 0 ? 0 : errnoName(c.errno());
}

/** getxattr(2) with a buffer of `size` bytes (0: the size query): the value, its size, or the errno name. */
function getx(path: string, name: Uint8Array | string, size = 65536): Uint8Array | number | string {
  const c = libc();
  const buf = new Uint8Array(size);
  const n = c.getxattr(encodeCString(path), typeof name === "string" ? encodeCString(name) : name,
    size ? buf : null, size);
  if (n < 0) return errnoName(c.errno());
  return size ? buf.slice(0, n) : n;
}

/** listxattr(2): the names, one character per byte (latin1), or the errno name. */
function listx(path: string): string[] | string {
  const c = libc();
  const buf = new Uint8Array(65536);
  const n = c.listxattr(encodeCString(path), buf, buf.byteLength);
  if (n < 0) return errnoName(c.errno());
  return Buffer.from(buf.subarray(0, n)).toString("latin1").split("\0").filter(Boolean);
}

function removex(path: string, name: string): string | 0 {
  const c = libc();
  return c.removexattr(encodeCString(path), encodeCString(name)) === 0 ? 0 : errnoName(c.errno());
}

onBoth("extended attributes: set, get, list, remove with setxattr(2)'s flags and errors", [], async ({ base, m }) => {
  await ok("touch mnt/f && mkdir mnt/d && mkfifo mnt/p", base);
  const f = join(m, "f");
  const XATTR_CREATE = 1;
  const XATTR_REPLACE = 2;
  assert.equal(setx(f, "user.color", "blue", XATTR_CREATE), 0);
  assert.equal(setx(f, "user.color", "red", XATTR_CREATE), "EEXIST");
  assert.equal(setx(f, "user.size", "big", XATTR_REPLACE), "ENODATA");
  assert.equal(setx(f, "user.color", "red", XATTR_REPLACE), 0);
  assert.equal(getx(f, "user.color", 0), 3, "the size query");
  assert.equal(getx(f, "user.color", 2), "ERANGE", "a buffer too small");
  assert.equal(Buffer.from(getx(f, "user.color") as Uint8Array).toString(), "red");
  assert.equal(getx(f, "user.size"), "ENODATA");
  // Any bytes in a value, any but NUL in a name.
  const binary = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
  assert.equal(setx(f, cBytes("user.caf", [0xe9]), binary), 0);
  assert.deepEqual(getx(f, cBytes("user.caf", [0xe9])), binary);
  assert.equal(getx(f, cBytes("user.caf", [0xe8])), "ENODATA");
  assert.equal(setx(f, "trusted.t", ""), 0);
  assert.deepEqual(listx(f), ["user.color", "user.caf\xe9", "trusted.t"]);
  // What memfs refuses: a namespace it does not keep. What Linux refuses before asking it: a name over 255 bytes
  // (ERANGE), a value over 64 KiB (E2BIG), user.* on a FIFO (EPERM).
  assert.equal(setx(f, "os2.name", "x"), "EOPNOTSUPP");
  assert.equal(setx(f, `user.${"x".repeat(251)}`, "x"), "ERANGE");
  assert.equal(setx(f, "user.big", new Uint8Array(65537)), "E2BIG");
  assert.equal(setx(join(m, "p"), "user.x", "x"), "EPERM");
  assert.equal(setx(f, "user.max", new Uint8Array(65536)), 0);
  assert.equal(setx(join(m, "d"), "user.on-a-dir", "yes"), 0);
  assert.deepEqual(listx(join(m, "d")), ["user.on-a-dir"]);
  assert.equal(removex(f, "user.color"), 0);
  assert.equal(removex(f, "user.color"), "ENODATA");
  assert.deepEqual(listx(f), ["user.caf\xe9", "trusted.t", "user.max"]);
  // The values take space: statfs shows it, and removing the file gives it back.
  const free = async () => Number((await ok("stat -f -c %f mnt", base)).trim());
  const before = await free();
  await ok("rm mnt/f", base);
  await eventually(async () => await free() > before, "the attributes' space came back");
});

// ---- Locks: flock(1) and python's fcntl.lockf in separate processes ------------------------------------------

/** A long-running child (a lock holder); `line` resolves at its first line of output. */
function holder(cmd: string, args: string[], cwd: string) {
  // Its own process group, so that stopping it stops what it started (flock(1)'s command).
  const child = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", "pipe"], detached: true });
  let out = "";
  let err = "";
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("\n")) resolve(out.trim());
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("exit", (code) => reject(new Error(`${cmd} exited ${code} before its first line: ${out}${err}`)));
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
    return exited;
  };
  return { child, line, exited, stop };
}

/** Resolves `p`'s value, or "pending" when it has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  return Promise.race([p, new Promise<"pending">((r) => setTimeout(() => r("pending"), ms))]);
}

onBoth("flock(1): exclusive and shared locks between processes, held by memfs, not the kernel", [],
  async ({ base, m }) => {
  await ok("touch mnt/lock", base);
  const ino = (await ok("stat -c %i mnt/lock", base)).trim();
  const h = holder("flock", ["mnt/lock", "sh", "-c", "echo held; exec sleep 60"], base);
  // The control: the same lock on a file outside the mount is in the kernel's table.
  writeFileSync(join(base, "ctl"), "");
  const ctl = holder("flock", ["ctl", "sh", "-c", "echo held; exec sleep 60"], base);
  try {
    assert.equal(await ctl.line, "held");
    assert.equal((kernelLocks(base, String(statSync(join(base, "ctl")).ino))).length, 1);
    await ctl.stop();
    assert.equal(await h.line, "held");
    const r = await sh("flock -n mnt/lock true", base);
    assert.equal(r.code, 1, `flock -n got the lock: ${r.stderr}`);
    assert.equal((await sh("flock -s -n mnt/lock true", base)).code, 1, "a shared lock beside an exclusive one");
    // memfs answered (FUSE_FLOCK_LOCKS): the kernel's own table has nothing on this inode.
    assert.deepEqual(kernelLocks(m, ino), []);
    // A waiting flock gets the lock once the holder's open file is released.
    const waiter = sh("flock -w 20 mnt/lock echo got", base);
    assert.equal(await within(waiter, 500), "pending");
    await h.stop();
    const got = await waiter;
    assert.equal(got.stdout, "got\n", got.stderr);
  } finally {
    await h.stop();
    await ctl.stop();
  }
  // Shared locks share; an exclusive one waits for both (each open() is its own owner).
  assert.equal(await ok("flock -s mnt/lock sh -c 'flock -s -n mnt/lock echo shared; flock -x -n mnt/lock true " +
    "|| echo refused'", base), "shared\nrefused\n");
});

/** python3 taking an fcntl record lock on `file`: mode ex/sh, blocking or not, over [start, start+len). */
const LOCKF = `
import fcntl, os, signal, sys, time
path, kind, start, length, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
f = open(path, "r+")
op = fcntl.LOCK_EX if kind == "ex" else fcntl.LOCK_SH
def alarm(*_):
    raise InterruptedError
signal.signal(signal.SIGALRM, alarm)
try:
    if mode == "nb":
        fcntl.lockf(f, op | fcntl.LOCK_NB, length, start)
    elif mode.startswith("alarm"):
        signal.alarm(int(mode[5:]))
        fcntl.lockf(f, op, length, start)
    else:
        fcntl.lockf(f, op, length, start)
except BlockingIOError:
    print("EAGAIN", flush=True)
    sys.exit(0)
except InterruptedError:
    print("EINTR", flush=True)
    sys.exit(0)
print("locked", flush=True)
if mode == "hold":
    sys.stdin.read()
elif mode == "getlk":
    import struct
    got = fcntl.fcntl(f, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
    t, _, s, l, pid = struct.unpack("hhqqi", got)
    print(t == fcntl.F_WRLCK, s, l, pid, flush=True)
`;

onBoth("fcntl record locks: conflicts by range between processes, waits, EINTR, released at close", [],
  async ({ base, m }) => {
  await ok("printf %0100d 0 > mnt/rec", base);
  const ino = (await ok("stat -c %i mnt/rec", base)).trim();
  const lockf = async (kind: string, start: number, len: number, mode: string) => {
    // timeout(1): a wait the filesystem never ends fails the test instead of hanging it (SIGTERM is fatal, and
    // a FUSE request's wait is killable: fs/fuse/dev.c request_wait_answer).
    const r = await sh(`timeout 20 ${PYTHON} -c '${LOCKF}' mnt/rec ${kind} ${start} ${len} ${mode}`, base);
    assert.equal(r.stderr, "", `python3 ${kind} ${start} ${len} ${mode}: exit ${r.code}`);
    return r;
  };
  const h = holder(PYTHON, ["-c", LOCKF, "mnt/rec", "ex", "0", "100", "hold"], base);
  try {
    assert.equal(await h.line, "locked");
    assert.equal((await lockf("ex", 50, 10, "nb")).stdout, "EAGAIN\n");
    assert.equal((await lockf("sh", 99, 1, "nb")).stdout, "EAGAIN\n");
    assert.equal((await lockf("ex", 100, 100, "nb")).stdout, "locked\n", "a range beside the held one");
    // F_GETLK through memfs names the holder, its range and its type (the asker's own lock does not count).
    assert.equal((await lockf("sh", 100, 1, "getlk")).stdout, `locked\nTrue 0 100 ${h.child.pid}\n`);
    assert.deepEqual(kernelLocks(m, ino), [], "the kernel holds no POSIX lock: memfs does");
    // A waiter the signal interrupts gets EINTR (FUSE_INTERRUPT reached memfs) while the lock is still held.
    const t0 = Date.now();
    assert.equal((await lockf("ex", 0, 1, "alarm1")).stdout, "EINTR\n");
    assert.ok(Date.now() - t0 < 10_000);
    // A waiter that waits gets the lock once the holder closes the file (FLUSH releases the owner's locks).
    const waiter = lockf("ex", 0, 100, "wait");
    assert.equal(await within(waiter, 500), "pending");
    h.child.stdin!.end();
    assert.equal((await waiter).stdout, "locked\n");
  } finally {
    await h.stop();
  }
}, noPython);

/**
 * python3 taking open file description locks (F_OFD_SETLK, whose owner is the open file) through two opens of
 * `file`, closing the first in between; prints what the attempts got (the last one after the first's release).
 */
const OFD = `
import fcntl, os, struct, sys, time
def lock(fd):
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
        return "locked"
    except BlockingIOError:
        return "EAGAIN"
a = os.open(sys.argv[1], os.O_RDWR)
b = os.open(sys.argv[1], os.O_RDWR)
print(lock(a), lock(b))
os.close(a)
# FUSE sends RELEASE after close() returns (fs/fuse/file.c fuse_file_put, in the background): give it 2 s.
for _ in range(100):
    if lock(b) == "locked":
        break
    time.sleep(0.02)
print(lock(b))
`;

onBoth("open file description locks (F_OFD_SETLK) go when their open file is closed", [], async ({ base }) => {
  await ok("touch mnt/ofd ofd", base);
  // The reference: the kernel's own locks on the temp directory's filesystem.
  const expected = "locked EAGAIN\nlocked\n";
  assert.equal(await ok(`timeout 20 ${PYTHON} -c '${OFD}' ofd`, base), expected, "the kernel's OFD locks");
  // FUSE sends no unlock for them at close (neither FLUSH's owner nor RELEASE names the open file): memfs drops
  // them at RELEASE of the file handle they were taken through.
  assert.equal(await ok(`timeout 20 ${PYTHON} -c '${OFD}' mnt/ofd`, base), expected, "memfs's OFD locks");
}, noPython);

// ---- Privileges a write, a truncate or a chown takes away (FUSE_HANDLE_KILLPRIV_V2) -------------------------------

const noSetpriv = !existsSync("/usr/bin/setpriv") && "setpriv(1) is missing (apt-get install util-linux)";
const noSetcap = !existsSync("/usr/sbin/setcap") && "setcap(8) is missing (apt-get install libcap2-bin)";

/**
 * Writes, truncates, chowns, fallocates and copy_file_ranges into a set-user-ID, set-group-ID, group-executable
 * file as root and as uid 65534 (no capabilities, by setpriv), and writes, truncates and chowns of a file with
 * capabilities (setcap), each followed by the mode (or the capabilities) they leave: run in the current directory,
 * the same on tmpfs and on memfs.
 */
const PRIVILEGES = `
set -e
COPY='import os; os.copy_file_range(os.open("src", os.O_RDONLY), os.open("f", os.O_WRONLY), 4)'
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
mode() { stat -c "$1: %a %u" f; }
printf abc > f
chmod 6777 f; nobody sh -c 'printf x >> f'; mode "unprivileged write"
chmod 6777 f; printf y >> f; mode "root's write"
chmod 6777 f; nobody truncate -s 1 f; mode "unprivileged truncate"
chmod 6777 f; nobody sh -c ': > f'; mode "unprivileged O_TRUNC open"
chmod 6777 f; truncate -s 2 f; mode "root's truncate"
chmod 6777 f; chown 65534 f; mode "root's chown"
chown 0 f
chmod 6777 f; nobody fallocate -l 8192 f; mode "unprivileged fallocate"
chmod 6777 f; fallocate -l 16384 f; mode "root's fallocate"
printf data > src
chmod 6777 f; nobody ${PYTHON} -c "$COPY"; mode "unprivileged copy_file_range"
chmod 6777 f
setcap cap_net_raw+ep f; echo "capabilities: $(getcap f)"
printf z >> f; echo "after root's write: $(getcap f)"; mode "and the mode"
setcap cap_net_raw+ep f; nobody sh -c 'printf z >> f'; echo "after an unprivileged write: $(getcap f)"
setcap cap_net_raw+ep f; truncate -s 0 f; echo "after a truncate: $(getcap f)"
setcap cap_net_raw+ep f; chown 1 f; echo "after a chown: $(getcap f)"
`;

/** What PRIVILEGES prints on tmpfs (Linux 6.18), as the test checks before comparing memfs with it. */
const TMPFS_PRIVILEGES = [
  "unprivileged write: 777 0",
  "root's write: 6777 0",
  "unprivileged truncate: 777 0",
  "unprivileged O_TRUNC open: 777 0",
  "root's truncate: 6777 0",
  "root's chown: 777 65534",
  "unprivileged fallocate: 777 0",
  "root's fallocate: 6777 0",
  "unprivileged copy_file_range: 777 0",
  "capabilities: f cap_net_raw=ep",
  "after root's write: ",
  "and the mode: 6777 0",
  "after an unprivileged write: ",
  "after a truncate: ",
  "after a chown: ",
  "",
].join("\n");

/** Runs PRIVILEGES in a fresh tmpfs under `base` and in `dir` of the mount; checks both print TMPFS_PRIVILEGES. */
async function privilegesAsOnTmpfs(base: string, dir: string): Promise<void> {
  const tmpfs = join(base, "tmpfs");
  mkdirSync(tmpfs);
  await ok(`mount -t tmpfs -o size=1m ringside-memfs-test '${tmpfs}'`, base);
  try {
    assert.equal(await ok(PRIVILEGES, tmpfs), TMPFS_PRIVILEGES, "tmpfs, the reference");
  } finally {
    await sh(`umount '${tmpfs}'`, base);
  }
  mkdirSync(dir);
  // The unprivileged steps need no path through `base` (mode 0700): they work in their current directory.
  assert.equal(await ok(PRIVILEGES, dir), TMPFS_PRIVILEGES, "memfs, as tmpfs");
}

/** The requests memfs served, by opcode, from the line it prints on stderr after SIGTERM. */
async function stopAndCount(server: Mounted["server"]): Promise<Record<string, number>> {
  server.child.kill("SIGTERM");
  await server.exited;
  const line = /memfs: requests by opcode: (.*)/.exec(server.stderr);
  assert.ok(line, `no requests line: ${server.stderr}`);
  return Object.fromEntries(line[1]!.split(", ").map((s) => {
    const [op, n] = s.split(" ");
    return [op!, Number(n)];
  }));
}

const WRITES = 4096;

onBoth(`${WRITES} writes through the page cache are ${WRITES} WRITEs, no GETXATTR each; set-ID bits and ` +
  "file capabilities go on write, truncate, chown, fallocate and copy_file_range as on tmpfs", [], async ({ base, m, server }) => {
  // memfs answers getxattr: without FUSE_HANDLE_KILLPRIV_V2 each write would first ask for security.capability
  // (fs/inode.c file_remove_privs, security/commoncap.c cap_inode_need_killpriv): 2 x WRITES requests.
  await ok(`dd if=/dev/zero of=mnt/big bs=4k count=${WRITES} status=none`, base);
  await privilegesAsOnTmpfs(base, join(m, "privileges"));
  const n = await stopAndCount(server);
  assert.ok(n.WRITE! >= WRITES, JSON.stringify(n));
  // The dd writes ask once (the file then is S_NOSEC); PRIVILEGES asks a few times (set-ID files never are).
  assert.ok((n.GETXATTR ?? 0) < 64, `${n.GETXATTR} GETXATTRs for ${WRITES} writes: ${JSON.stringify(n)}`);
}, noSetpriv || noSetcap || noPython);

onBoth("with --direct-io (no check by the kernel), set-ID bits and file capabilities go as on tmpfs",
  ["--direct-io"], async ({ base, m }) => {
  // A direct write never reaches file_remove_privs (fs/fuse/file.c fuse_direct_write_iter): the kernel only says
  // FUSE_WRITE_KILL_SUIDGID, and memfs does the rest.
  await privilegesAsOnTmpfs(base, join(m, "privileges"));
}, noSetpriv || noSetcap || noPython);
