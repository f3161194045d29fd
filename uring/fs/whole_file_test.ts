import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { it, tempDir, withLoop } from "../../testing/mod.ts";
import { UringError } from "../core/errors.ts";
import { copyFile, readFile, readFiles, writeFile } from "./whole_file.ts";
import { chainsSupported } from "./_read_chain.ts";

const tmp = tempDir("ringside-whole-file-");

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

test("readFile gives what node:fs readFileSync gives, for empty, small, 64 KiB-boundary and large files", async () => {
  await withLoop(async (loop) => {
    for (const size of [0, 1, 4095, 65535, 65536, 65537, 3 * 1024 * 1024 + 5]) {
      const path = tmp.file(pattern(size, size));
      const got = await readFile(loop, path);
      assert.equal(got.byteLength, size, `size ${size}`);
      assert.deepEqual(got, new Uint8Array(readFileSync(path)), `content of ${size} bytes`);
    }
  });
});

test("readFile reads files whose size stat does not tell (procfs) to their end", async () => {
  await withLoop(async (loop) => {
    const got = new TextDecoder().decode(await readFile(loop, "/proc/self/status"));
    assert.match(got, /^Name:/);
    assert.match(got, /VmRSS|Threads/);
  });
});

test("readFiles returns every file in the order given, with more files than workers", async () => {
  await withLoop(async (loop) => {
    const paths = Array.from({ length: 300 }, (_, i) => tmp.file(pattern((i * 997) % 20000, i)));
    const got = await readFiles(loop, paths, { concurrency: 16 });
    assert.equal(got.length, paths.length);
    for (let i = 0; i < paths.length; i++) assert.deepEqual(got[i], new Uint8Array(readFileSync(paths[i]!)), paths[i]!);
  });
});

test("a failure names the path and its errno, and readFiles rejects with it", async () => {
  await withLoop(async (loop) => {
    const missing = tmp.path("no-such-file");
    await assert.rejects(readFile(loop, missing), (e: unknown) => {
      assert.ok(e instanceof UringError);
      assert.equal(e.code, "ENOENT");
      assert.ok(e.message.includes(JSON.stringify(missing)), e.message);
      return true;
    });
    await assert.rejects(readFile(loop, tmp.dir), (e: unknown) => e instanceof UringError && e.code === "EISDIR" &&
      e.message.includes(JSON.stringify(tmp.dir)));
    const ok = tmp.file("fine");
    await assert.rejects(readFiles(loop, [ok, missing, ok]), (e: unknown) => e instanceof UringError && e.code === "ENOENT");
    await assert.rejects(readFiles(loop, [ok], { concurrency: 0 }), (e: unknown) => e instanceof UringError && e.code === "ERINGSIDE");
  });
});

test("writeFile creates, truncates, appends and refuses to replace with wx; copyFile keeps bytes and mode", async () => {
  await withLoop(async (loop) => {
    const path = tmp.path("written");
    await writeFile(loop, path, pattern(100_000, 3), { mode: 0o640 });
    assert.deepEqual(new Uint8Array(readFileSync(path)), pattern(100_000, 3));
    assert.equal(statSync(path).mode & 0o777, 0o640 & ~process.umask());
    await writeFile(loop, path, "short");
    assert.equal(readFileSync(path, "utf8"), "short");
    await writeFile(loop, path, " and more", { flag: "a" });
    assert.equal(readFileSync(path, "utf8"), "short and more");
    await assert.rejects(writeFile(loop, path, "x", { flag: "wx" }), (e: unknown) => e instanceof UringError && e.code === "EEXIST");

    const big = tmp.file(pattern(2 * 1024 * 1024 + 17, 9));
    writeFileSync(tmp.path("dst"), "old contents that must go");
    const n = await copyFile(loop, big, tmp.path("dst"));
    assert.equal(n, 2 * 1024 * 1024 + 17);
    assert.deepEqual(new Uint8Array(readFileSync(tmp.path("dst"))), pattern(2 * 1024 * 1024 + 17, 9));
    await assert.rejects(copyFile(loop, tmp.path("nope"), tmp.path("dst2")), (e: unknown) => e instanceof UringError &&
      e.code === "ENOENT" && e.message.includes("nope"));
  });
});

it("readFiles reads each small file with one linked chain (open direct, read, close direct)",
  !chainsSupported() && "sparse file tables and IORING_REGISTER_FILE_ALLOC_RANGE (the chains' slots) need Linux 6.0",
  () =>
    withLoop(async (loop) => {
      const paths = Array.from({ length: 100 }, (_, i) => tmp.file(pattern(100 + i, i)));
      const before = loop.stats.started;
      const got = await readFiles(loop, paths, { concurrency: 32 });
      assert.equal(loop.stats.started - before, 2 * paths.length, "a statx and one chain per file");
      for (let i = 0; i < paths.length; i++) assert.deepEqual(got[i], pattern(100 + i, i));
    }));

test("chains keep exactly-once on a 4-entry ring, where a 3-SQE chain waits for room, with aborts mixed in", async () => {
  await withLoop(async (loop) => {
    const paths = Array.from({ length: 60 }, (_, i) => tmp.file(pattern(10 + i, i)));
    const got = await readFiles(loop, paths, { concurrency: 16 });
    for (let i = 0; i < paths.length; i++) assert.deepEqual(got[i], pattern(10 + i, i));
    const stop = new AbortController();
    const aborted = readFiles(loop, paths, { concurrency: 16, signal: stop.signal });
    stop.abort();
    await assert.rejects(aborted, (e: unknown) => e instanceof Error && e.name === "AbortError");
    // Every slot came back: a full read afterwards still gets every file.
    const again = await readFiles(loop, paths, { concurrency: 16 });
    assert.equal(again.length, paths.length);
    assert.equal(loop.stats.inFlight, 0);
  }, { entries: 4 });
});

test("a ring with a file table of the program's own is left alone: readFiles uses plain descriptors there", async () => {
  const { openSync, closeSync } = await import("node:fs");
  const { registerFiles } = await import("../ring/registered_files.ts");
  await withLoop(async (loop) => {
    const fd = openSync("/etc/hostname", "r");
    try {
      registerFiles(loop.ring, [fd]);
      const paths = Array.from({ length: 10 }, (_, i) => tmp.file(pattern(50, i)));
      const before = loop.stats.started;
      const got = await readFiles(loop, paths);
      assert.ok(loop.stats.started - before >= 3 * paths.length, "open, read and close per file");
      for (let i = 0; i < paths.length; i++) assert.deepEqual(got[i], pattern(50, i));
    } finally {
      closeSync(fd);
    }
  });
});

test("files that hand out less than asked before their end are read to the end: procfs, FIFOs", async () => {
  const { spawn } = await import("node:child_process");
  const { execFileSync } = await import("node:child_process");
  await withLoop(async (loop) => {
    for (const p of ["/proc/self/mountinfo", "/proc/kallsyms"]) {
      const [viaRing] = await readFiles(loop, [p]);
      const one = await readFile(loop, p);
      const expected = readFileSync(p).byteLength;
      // The files change a little between reads (mountinfo as tests mount); far more than one page must come back.
      assert.ok(viaRing!.byteLength > 8192 || expected <= 8192, `${p}: ${viaRing!.byteLength} of ~${expected}`);
      assert.ok(one.byteLength > 8192 || expected <= 8192, `${p}: ${one.byteLength} of ~${expected}`);
    }
    const fifo = tmp.path("fifo");
    execFileSync("mkfifo", [fifo]);
    // io_uring opens a FIFO without waiting for a writer (the open is tried non-blocking first), so a read before
    // any writer is there would see the end at once. This test holds a write end itself (O_RDWR, never read from)
    // while a writer writes twice with a pause, then lets go: a reader that stopped at the first short read would
    // miss "second"; one that reads to the end gets both, and the end once every writer is gone.
    const { openSync, closeSync, constants } = await import("node:fs");
    const keeper = openSync(fifo, constants.O_RDWR);
    const writer = spawn("sh", ["-c", `exec 3>${fifo}; printf first >&3; sleep 0.3; printf second >&3`]);
    const reading = readFile(loop, fifo);
    await new Promise((r) => writer.on("exit", r));
    closeSync(keeper);
    assert.equal(new TextDecoder().decode(await reading), "firstsecond");
  });
});

test("copyFile onto itself (same path or a hard link) leaves the file as it was", async () => {
  const { linkSync } = await import("node:fs");
  await withLoop(async (loop) => {
    const p = tmp.file(pattern(5000, 1));
    assert.equal(await copyFile(loop, p, p), 5000);
    assert.deepEqual(new Uint8Array(readFileSync(p)), pattern(5000, 1));
    const l = tmp.path("hardlink");
    linkSync(p, l);
    await copyFile(loop, p, l);
    assert.deepEqual(new Uint8Array(readFileSync(p)), pattern(5000, 1));
  });
});

test("a ring too small for a chain still reads files (plain descriptors)", async () => {
  await withLoop(async (loop) => {
    const p = tmp.file(pattern(3000, 2));
    assert.deepEqual(await readFile(loop, p), pattern(3000, 2));
    assert.deepEqual((await readFiles(loop, [p, p]))[1], pattern(3000, 2));
  }, { entries: 2 });
});

test("after the program replaces the table readFiles registered, readFiles leaves the new table's slots alone", async () => {
  const { openSync, closeSync } = await import("node:fs");
  const { registerFiles, unregisterFiles } = await import("../ring/registered_files.ts");
  const { read } = await import("./read_write.ts");
  await withLoop(async (loop) => {
    const p = tmp.file(pattern(100, 5));
    assert.deepEqual(await readFile(loop, p), pattern(100, 5)); // may register the chains' table
    try {
      unregisterFiles(loop.ring);
    } catch {
      // no table was registered (an old kernel): nothing to replace
    }
    const fd = openSync(p, "r");
    try {
      registerFiles(loop.ring, [fd]);
      assert.deepEqual(await readFile(loop, p), pattern(100, 5));
      const buf = new Uint8Array(100);
      assert.equal(await read(loop, 0, buf, 0, { fixed: true }), 100, "slot 0 still holds the program's file");
      assert.deepEqual(buf, pattern(100, 5));
    } finally {
      closeSync(fd);
    }
  });
});
