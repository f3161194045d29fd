import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { tempDir, withLoop } from "../../testing/mod.ts";
import { UringError } from "../core/errors.ts";
import { Loop } from "../loop/loop.ts";
import { FileHandle, openFile } from "./file_handle.ts";
import { open } from "./open_close.ts";

const tmp = tempDir("ringside-file-handle-");
const enc = new TextEncoder();

test("a file handle writes, reads at the position and at offsets, stats, truncates and syncs", async () => {
  await withLoop(async (loop) => {
    const path = tmp.path("h");
    const f = await openFile(loop, path, "w+", 0o600);
    assert.equal(await f.write(enc.encode("hello ")), 6);
    assert.equal(await f.writev([enc.encode("wor"), enc.encode("ld")]), 5);
    await f.sync();
    await f.sync({ dataOnly: true });
    assert.equal((await f.stat()).size, 11);
    const buf = new Uint8Array(5);
    assert.equal(await f.read(buf, 6), 5);
    assert.equal(new TextDecoder().decode(buf), "world");
    const a = new Uint8Array(2);
    const b = new Uint8Array(3);
    assert.equal(await f.readv([a, b], 0), 5);
    assert.equal(new TextDecoder().decode(a) + new TextDecoder().decode(b), "hello");
    await f.truncate(5);
    assert.equal(readFileSync(path, "utf8"), "hello");
    await f.close();
    await f.close(); // once only
    assert.equal(f.fd, -1);
    await assert.rejects(f.read(buf), (e: unknown) => e instanceof UringError && e.code === "ERINGSIDE");
  });
});

test("await using closes handles and loops, and FileHandle.from owns a descriptor", async () => {
  let fd = -1;
  let loopRef: Loop | undefined;
  {
    await using loop = new Loop();
    loopRef = loop;
    {
      await using f = FileHandle.from(loop, await open(loop, "/etc/hostname"));
      fd = f.fd;
      assert.ok(fd >= 0);
    }
    // The descriptor is closed: fstat through a new handle on it fails with EBADF.
    await assert.rejects(FileHandle.from(loop, fd).stat(), (e: unknown) => e instanceof UringError && e.code === "EBADF");
  }
  await assert.rejects(openFile(loopRef, "/etc/hostname"), (e: unknown) => e instanceof Error);
});
