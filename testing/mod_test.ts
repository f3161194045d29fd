import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { libc } from "../ffi/mod.ts";
import { Loop, open, read } from "ringside-uring";
import * as ringside from "ringside-uring";
import * as testing from "./mod.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// ---- The package ------------------------------------------------------------------------------------------------

test("the package's entry point exports the public API, and its example runs", async () => {
  for (const name of ["Ring", "Loop", "NativeMemory", "BufferRing", "RecvStream", "AcceptStream", "read", "close"]) {
    assert.ok(name in ringside, `${name} is exported`);
  }
  const loop = new Loop();
  try {
    const fd = await open(loop, "/etc/hostname");
    const buf = new Uint8Array(256);
    const n = await read(loop, fd, buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n)), readFileSync("/etc/hostname", "utf8").slice(0, 256));
    await ringside.close(loop, fd);
  } finally {
    await loop.close();
  }
});

test("every subpath package.json exports resolves by its bare name to a module that exports something", async () => {
  const exports = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).exports as Record<string, string>;
  const subpaths = Object.keys(exports).filter((k) => k !== ".");
  assert.ok(subpaths.length > 0, "package.json has subpath exports");
  for (const sub of subpaths) {
    const name = `ringside-uring/${sub.slice(2)}`;
    const mod = await import(name);
    assert.ok(Object.keys(mod).length > 0, `${name} exports something`);
  }
});

// ---- testing/mod.ts: what the test files share ------------------------------------------------------------------

/** Whether `fd` is open (fcntl F_GETFD succeeds). */
const isOpen = (fd: number) => libc().fcntl(fd, 1, 0) >= 0;

test("testing/mod.ts exports each shared helper by name", () => {
  const helpers = [
    "it",
    "skipIf",
    "track",
    "closeTracked",
    "withLoop",
    "tempDir",
    "socketPair",
    "pipePair",
    "makePipe",
    "readText",
    "writeText",
    "code",
    "rawSqe",
    "incrementalRefused",
    "resizeRefused",
    "exampleCommand",
    "runExample",
    "startExample",
    "forEachBackend",
  ];
  for (const name of helpers) {
    assert.equal(typeof (testing as Record<string, unknown>)[name], "function", `${name} is exported`);
  }
  assert.deepEqual(Object.keys(testing).sort(), [...helpers].sort(), "and nothing else");
});

const declared: string[] = [];
testing.forEachBackend((b) => {
  declared.push(b.name("x"));
  b.it("forEachBackend's loops run on their backend; what needs io_uring is skipped on epoll only", false, () =>
    b.withLoop(async (loop) => {
      assert.equal(loop.backend, b.backend);
      assert.equal(b.needsIoUring("registered files"), b.backend === "epoll" && "registered files needs the io_uring backend");
    }));
});

test("forEachBackend declares each test once per backend, its name suffixed with the backend", () => {
  assert.deepEqual(declared, ["x [io_uring]", "x [epoll]"]);
});

test("withLoop closes the loop and every tracked fd, also when the test fails", async () => {
  let kept: number[] = [];
  let seen: Loop | undefined;
  await testing.withLoop(async (loop) => {
    seen = loop;
    const [r, w] = testing.makePipe();
    kept = [r, w];
    testing.writeText(w, "hi");
    assert.equal(testing.readText(r), "hi");
  });
  assert.ok(seen && kept.length === 2);
  assert.deepEqual(kept.map(isOpen), [false, false], "tracked fds are closed");
  await assert.rejects(read(seen!, 0, new Uint8Array(1)), /the loop is closed/);

  const [r, w] = testing.pipePair();
  await assert.rejects(
    testing.withLoop(() => {
      testing.track(r);
      testing.track(w);
      return Promise.reject(new Error("the test failed"));
    }),
    /the test failed/,
  );
  assert.deepEqual([r, w].map(isOpen), [false, false], "closed after a failure too");
});

test("withLoop fails a test that leaves an operation in flight, and passes on the loop options", async () => {
  const [r, w] = testing.pipePair();
  try {
    let pending: Promise<number> | undefined;
    await assert.rejects(
      testing.withLoop(async (loop) => {
        assert.equal(loop.ring.sqEntries, 8);
        pending = read(loop, r, new Uint8Array(8));
        pending.catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 5));
      }, { entries: 8 }),
      /nothing left in flight/,
    );
    await assert.rejects(pending!, "closing the loop ended the read");
  } finally {
    libc().close(r);
    libc().close(w);
  }
});

test("socketPair connects two stream sockets both ways; tempDir hands out paths in one private directory", () => {
  const [a, b] = testing.socketPair();
  try {
    testing.writeText(a, "ping");
    assert.equal(testing.readText(b), "ping");
    testing.writeText(b, "pong");
    assert.equal(testing.readText(a), "pong");
  } finally {
    libc().close(a);
    libc().close(b);
  }
  const tmp = testing.tempDir("ringside-testing-");
  const written = tmp.file("content");
  assert.equal(readFileSync(written, "utf8"), "content");
  assert.notEqual(tmp.file(), written, "each file() is a fresh path");
  assert.equal(dirname(tmp.path("named")), tmp.dir);
  assert.equal(dirname(written), tmp.dir);
});

test("no test file defines its own copy of a helper testing/mod.ts shares", () => {
  const names = [...Object.keys(testing), "pipe"].join("|");
  const definition = new RegExp(
    `^(?:export )?(?:(?:async )?function\\*? (${names})\\b|(?:const|let) (${names}) =)`,
    "m",
  );
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== "node_modules" && !e.name.startsWith(".")) walk(p);
      else if (e.isFile() && e.name.endsWith("_test.ts")) {
        const m = definition.exec(readFileSync(p, "utf8"));
        if (m) found.push(`${relative(root, p)}: ${m[1] ?? m[2]}`);
      }
    }
  };
  for (const dir of ["ffi", "uring", "examples", "bench"]) walk(join(root, dir));
  assert.deepEqual(found, [], "import these from testing/mod.ts instead");
});
