/**
 * FuseServer in this process, with a small filesystem, driven by tools in child processes started
 * asynchronously (the serving thread is this one: nothing here may touch the mount synchronously). Proves the
 * transport choice and its fallbacks, that handlers reach the kernel the same way over both transports (values,
 * errnos, asynchronous handlers, concurrency), and how sessions end: parked ring commands complete with ENOTCONN
 * and /dev/fuse reads with ENODEV, whoever unmounts.
 *
 * Every test unmounts (a lazy `umount -l` from a child process as a last resort) and puts
 * /sys/module/fuse/parameters/enable_uring back as it found it, also when it fails.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { skipIf } from "../../testing/mod.ts";
import { cannotMount, noFuseUring as noUring, sh, withFuseMount } from "../../testing/fuse.ts";
import { Loop } from "../loop/loop.ts";
import { IORING_SETUP_SQE128 } from "../abi/uapi.ts";
import { FUSE_OVER_IO_URING, FUSE_ROOT_ID } from "./abi.ts";
import { type Attr, FuseError, type FuseHandlers } from "./handlers.ts";
import { S_IFDIR, S_IFREG } from "../abi/structs.ts";
import { findMount, setFuseUringEnabled } from "./mount.ts";
import { FuseServer, type FuseServerOptions } from "./server.ts";

const t0 = { sec: 1_000_000_000, nsec: 5 };
const HELLO = new TextEncoder().encode("hello world\n");
const FILES: Record<string, number> = { hello: 2, slow: 3, boom: 4 };

function attr(ino: number): Attr {
  if (ino === FUSE_ROOT_ID) return { ino, mode: S_IFDIR | 0o755, nlink: 2, size: 0, atime: t0, mtime: t0, ctime: t0 };
  return { ino, mode: S_IFREG | 0o644, nlink: 1, size: HELLO.byteLength, atime: t0, mtime: t0, ctime: t0 };
}

/** A read-only filesystem of three files: one answered at once, one after a delay, one whose getattr throws. */
function helloFs(): FuseHandlers {
  return {
    lookup: (_ctx, parent, name) => {
      const ino = parent === FUSE_ROOT_ID ? FILES[name] : undefined;
      if (ino === undefined) throw new FuseError("ENOENT");
      return { ino, attr: attr(ino), entryTimeout: 0, attrTimeout: 0 };
    },
    getattr: (_ctx, ino) => {
      if (ino === 4) throw new Error("a bug in the filesystem");
      return attr(ino);
    },
    // FOPEN_DIRECT_IO: every read reaches the server, none is answered from the page cache.
    open: () => ({ directIo: true }),
    read: async (_ctx, ino, _fh, offset, size) => {
      if (ino === 3) await delay(20);
      return HELLO.subarray(offset, offset + size);
    },
    readdir: (_ctx, ino, _fh, offset, out) => {
      const names = [".", "..", ...Object.keys(FILES)];
      for (let i = offset; i < names.length; i++) {
        const name = names[i]!;
        const child = i < 2 ? ino : FILES[name]!;
        if (!out.add(name, child, attr(child).mode, i + 1)) break;
      }
    },
  };
}

/** Mounts helloFs with `withFuseMount`, collecting what reaches onError. */
async function withMount(
  uring: boolean | undefined,
  options: FuseServerOptions<"string">,
  body: (server: FuseServer, dir: string, errors: unknown[]) => Promise<void>,
): Promise<void> {
  const errors: unknown[] = [];
  await withFuseMount(uring, helloFs(), { onError: (e) => errors.push(e), ...options }, (server, dir) =>
    body(server, dir, errors));
}

/** The same requests and answers over either transport. */
async function sameAnswers(server: FuseServer, dir: string, errors: unknown[]): Promise<void> {
  assert.equal((await sh(`ls '${dir}'`)).stdout, "boom\nhello\nslow\n");
  assert.equal((await sh(`cat '${dir}/hello'`)).stdout, "hello world\n");
  assert.equal((await sh(`stat -c '%s %a %h %X %F' '${dir}/hello'`)).stdout, "12 644 1 1000000000 regular file\n");
  // An asynchronous handler, eight callers at once.
  const slow = await Promise.all(Array.from({ length: 8 }, () => sh(`cat '${dir}/slow'`)));
  for (const r of slow) assert.equal(r.stdout, "hello world\n");
  assert.ok(server.stats.maxPending > 1, `the slow reads ran one at a time (${server.stats.maxPending})`);
  // Thrown FuseErrors keep their errno; other exceptions become EIO and reach onError; absent handlers ENOSYS.
  assert.match((await sh(`cat '${dir}/nope'`)).stderr, /No such file or directory/);
  assert.match((await sh(`stat '${dir}/boom'`)).stderr, /Input\/output error/);
  assert.match(String(errors.at(-1)), /a bug in the filesystem/);
  assert.match((await sh(`mkdir '${dir}/new'`)).stderr, /Function not implemented/);
}

const classicName = "classic transport: requests read from /dev/fuse through the ring, replies written with write()";
test(classicName, skipIf(cannotMount, classicName), async () => {
  await withMount(undefined, { transport: "classic" }, async (server, dir, errors) => {
    assert.equal(server.transport, "classic");
    assert.equal(server.fallbackReason, "");
    assert.equal(Math.floor(server.initFlags / 2 ** 32), 0, "no flags2 bit (FUSE_OVER_IO_URING) agreed");
    await sameAnswers(server, dir, errors);
    assert.equal(server.stats.ringRequests, 0);
    assert.ok(server.stats.deviceRequests > 10);
    await server.unmount();
    assert.equal(findMount(dir), undefined);
    assert.ok(server.isClosed);
    assert.equal(server.stats.replyErrors, 0);
    assert.ok((server.stats.endings["device:ENODEV"] ?? 0) >= 1, JSON.stringify(server.stats.endings));
  });
});

const uringName = "io_uring transport: INIT over /dev/fuse, then every request through REGISTER / COMMIT_AND_FETCH";
test(uringName, skipIf(cannotMount || noUring, uringName), async () => {
  await withMount(true, { queueDepth: 2 }, async (server, dir, errors) => {
    assert.equal(server.transport, "io_uring", server.fallbackReason);
    assert.ok(server.protocolMinor >= 42);
    assert.ok(Math.floor(server.initFlags / FUSE_OVER_IO_URING) % 2 === 1, "FUSE_OVER_IO_URING agreed");
    await sameAnswers(server, dir, errors);
    assert.ok(server.stats.ringRequests > 10);
    assert.equal(server.stats.deviceRequests, 1, "only INIT came through /dev/fuse");
    // Someone else unmounts: the parked entries complete with ENOTCONN, the reader with ENODEV, the session ends.
    const r = await sh(`umount '${dir}'`);
    assert.equal(r.code, 0, r.stderr);
    await server.closed;
    assert.equal(server.stats.replyErrors, 0);
    const ended = server.stats.endings;
    assert.equal(ended["ring:ENOTCONN"], 2 * Number((await sh("nproc --all")).stdout.trim()), JSON.stringify(ended));
    assert.equal(ended["device:ENODEV"], 1, JSON.stringify(ended));
  });
});

const ownName = "io_uring transport on an owning loop: the loop blocks in the kernel and still serves and unmounts";
test(ownName, skipIf(cannotMount || noUring, ownName), async () => {
  const loop = new Loop({ mode: "owning", ring: { flags: IORING_SETUP_SQE128 } });
  try {
    await loop.run(() =>
      withMount(true, { loop, tickMs: 20 }, async (server, dir) => {
        assert.equal(server.transport, "io_uring", server.fallbackReason);
        assert.equal((await sh(`cat '${dir}/hello' '${dir}/slow'`)).stdout, "hello world\nhello world\n");
        await server.unmount();
        assert.equal(findMount(dir), undefined);
      })
    );
  } finally {
    await loop.close();
  }
});

const autoName = "auto falls back to classic when the kernel does not offer FUSE_OVER_IO_URING (enable_uring N)";
test(autoName, skipIf(cannotMount || noUring, autoName), async () => {
  await withMount(false, {}, async (server, dir) => {
    assert.equal(server.transport, "classic");
    assert.match(server.fallbackReason, /did not offer FUSE_OVER_IO_URING.*enable_uring is N/);
    assert.equal((await sh(`cat '${dir}/hello'`)).stdout, "hello world\n");
  });
});

const forcedName = "transport io_uring refuses to serve without it and leaves no mount behind";
test(forcedName, skipIf(cannotMount || noUring, forcedName), async () => {
  const dir = mkdtempSync(join(tmpdir(), "ringside-fuse-"));
  const before = setFuseUringEnabled(false);
  try {
    await assert.rejects(FuseServer.mount(dir, helloFs(), { transport: "io_uring" }),
      (e: Error & { code?: string }) => e.code === "EOPNOTSUPP" && /enable_uring is N/.test(e.message));
    assert.equal(findMount(dir), undefined);
  } finally {
    setFuseUringEnabled(before);
    if (findMount(dir)) await sh(`umount -l '${dir}'`);
    rmSync(dir, { recursive: true, force: true });
  }
});

const sqeName = "auto falls back to classic on a loop whose ring is not SQE128 (uring_cmd needs the 80-byte area)";
test(sqeName, skipIf(cannotMount || noUring, sqeName), async () => {
  const loop = new Loop();
  try {
    await withMount(true, { loop }, async (server, dir) => {
      assert.equal(server.transport, "classic");
      assert.match(server.fallbackReason, /SQE128/);
      assert.equal((await sh(`cat '${dir}/hello'`)).stdout, "hello world\n");
      await server.unmount();
    });
  } finally {
    await loop.close();
  }
});

test("mounting on a missing directory fails with ENOENT before touching /dev/fuse", async () => {
  await assert.rejects(FuseServer.mount("/nonexistent/ringside-fuse", {}), (e: Error & { code?: string }) =>
    e.code === "ENOENT");
});
