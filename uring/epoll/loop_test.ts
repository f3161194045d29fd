/**
 * Loops on the epoll backend, in both modes: the scheduler, the streams, the buffer pools, files, SCM_RIGHTS,
 * `serve`, closing with work in flight, and what is refused (clearly) because only io_uring can do it. Each test
 * picks the backend with `withLoop(fn, { backend: "epoll", mode })`.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { connect as netConnect } from "node:net";
import { spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { it, pipePair, socketPair, tempDir, track, withLoop } from "../../testing/mod.ts";
import { libc } from "../../ffi/mod.ts";
import { Loop, type LoopOptions } from "../loop/loop.ts";
import { UringError } from "../core/errors.ts";
import { BufferRing } from "../buffers/buffer_ring.ts";
import { AcceptStream, PollStream, ReadStream, RecvStream, TickStream } from "../streams/mod.ts";
import { recv, recvmsg, send, sendAll, sendmsg, sendZc } from "../net/mod.ts";
import { controlFds, scmRights } from "../net/control_message.ts";
import { nop, POLLIN, timeout } from "../ops/mod.ts";
import { close, open, read, readFile, readFiles, rename, statx, unlink, writeFile } from "../fs/mod.ts";
import { serve } from "../server/server.ts";
import { registerFilesSparse } from "../ring/registered_files.ts";
import { IORING_SETUP_CQE32 } from "../abi/uapi.ts";
import { cmsgSpace } from "../abi/cmsg.ts";
import { isEpollRing } from "./mod.ts";

const MODES = ["integrated", "owning"] as const;

/** Declares `name` once per mode, run on a fresh epoll loop (owning mode inside `loop.run`). */
function onEpoll(name: string, fn: (loop: Loop) => Promise<void>, options: LoopOptions = {}): void {
  for (const mode of MODES) {
    it(`${name} (${mode})`, false, () =>
      withLoop((loop) => mode === "owning" ? loop.run(() => fn(loop)) : fn(loop), { ...options, backend: "epoll", mode }));
  }
}

const text = (s: string) => new TextEncoder().encode(s);

/** A cheap running digest of a byte stream, to compare what was sent with what arrived. */
class Digest {
  value = 0;
  length = 0;
  add(b: Uint8Array): void {
    let h = this.value;
    for (let i = 0; i < b.length; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
    this.value = h;
    this.length += b.length;
  }
}

/**
 * Closes `br` once no request uses it: a stream left with `break` cancels its request, whose final CQE comes a
 * little later.
 */
async function closeWhenIdle(loop: Loop, br: BufferRing): Promise<void> {
  while (br.users > 0) await timeout(loop, 1);
  br.close();
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + (i >> 9)) & 0xff;
  return b;
}

it("a loop made with backend \"epoll\" runs on an EpollRing and says so; RINGSIDE_BACKEND chooses too", false,
  async () => {
    const loop = new Loop({ backend: "epoll" });
    try {
      assert.equal(loop.backend, "epoll");
      assert.ok(isEpollRing(loop.ring));
      assert.equal(await nop(loop), 0);
    } finally {
      await loop.close();
    }
    const saved = process.env.RINGSIDE_BACKEND;
    try {
      process.env.RINGSIDE_BACKEND = "epoll";
      const fromEnv = new Loop();
      assert.equal(fromEnv.backend, "epoll");
      await fromEnv.close();
      process.env.RINGSIDE_BACKEND = "kqueue";
      assert.throws(() => new Loop(), (e: unknown) => e instanceof UringError && /RINGSIDE_BACKEND/.test(e.message));
      assert.throws(() => new Loop({ backend: "select" as never }), /backend must be/);
    } finally {
      if (saved === undefined) delete process.env.RINGSIDE_BACKEND;
      else process.env.RINGSIDE_BACKEND = saved;
    }
  });

onEpoll("64 MiB through a pool of two 64 KiB buffers over a socket pair arrive whole and in order", async (loop) => {
  const [a, b] = socketPair();
  track(a);
  track(b);
  const br = BufferRing.create(loop.ring, { bgid: 1, entries: 2, bufferSize: 64 << 10 });
  try {
    const sent = new Digest();
    const got = new Digest();
    const chunk = 1 << 20;
    const writer = (async () => {
      for (let i = 0; i < 64; i++) {
        const data = pattern(chunk, i);
        sent.add(data);
        await sendAll(loop, a, data);
      }
    })();
    const stream = new RecvStream(loop, b, br);
    for await (const piece of stream) {
      got.add(piece);
      if (got.length === 64 * chunk) break;
    }
    await writer;
    assert.equal(got.length, 64 * chunk);
    assert.equal(got.value, sent.value);
  } finally {
    await closeWhenIdle(loop, br);
  }
});

onEpoll("zero-copy views hold their buffer until the next pull; a queue limit of one still loses nothing",
  async (loop) => {
    const [a, b] = socketPair();
    track(a);
    track(b);
    const br = BufferRing.create(loop.ring, { bgid: 2, entries: 2, bufferSize: 1024 });
    try {
      const stream = new RecvStream(loop, b, br, { zeroCopy: true, maxQueued: 1 });
      const sent = new Digest();
      const got = new Digest();
      const writer = (async () => {
        for (let i = 0; i < 40; i++) {
          const data = pattern(3000 + i, i);
          sent.add(data);
          await sendAll(loop, a, data);
        }
      })();
      for await (const view of stream) {
        got.add(view);
        // The view is ours until the next pull: the bytes must not change under us meanwhile.
        const before = view.slice();
        await timeout(loop, 1);
        assert.deepEqual(view, before);
        if (got.length === sent.length && sent.length > 0) {
          await writer;
          if (got.length === sent.length) break;
        }
      }
      await writer;
      assert.equal(got.value, sent.value);
    } finally {
      await closeWhenIdle(loop, br);
    }
  });

onEpoll("an accept stream yields each connection; a poll stream one event per write; ticks count", async (loop) => {
  const lfd = track(libc().socket(1, 1 | 0x80000, 0));
  const name = `ringside-epoll-accept-${libc().getpid()}-${Math.random().toString(36).slice(2, 8)}`;
  const addr = new Uint8Array(110);
  addr[0] = 1;
  addr.set(text(name), 3);
  assert.equal(libc().bind(lfd, addr, 3 + name.length), 0);
  assert.equal(libc().listen(lfd, 16), 0);
  const accepts = new AcceptStream(loop, lfd);
  for (let i = 0; i < 5; i++) assert.equal(libc().connect(track(libc().socket(1, 1 | 0x80000, 0)), addr, 3 + name.length), 0);
  let n = 0;
  for await (const fd of accepts) {
    track(fd);
    if (++n === 5) break;
  }
  const [r, w] = pipePair();
  track(r);
  track(w);
  const polls = new PollStream(loop, r, POLLIN);
  const it = polls[Symbol.asyncIterator]();
  libc().write(w, text("x"), 1);
  assert.ok(((await it.next()).value as number) & POLLIN);
  libc().read(r, new Uint8Array(1), 1);
  libc().write(w, text("y"), 1);
  assert.ok(((await it.next()).value as number) & POLLIN);
  await it.return!();
  const ticks: number[] = [];
  for await (const t of new TickStream(loop, 5, { count: 3 })) ticks.push(t);
  assert.deepEqual(ticks, [1, 2, 3]);
});

onEpoll("a read stream on a pipe delivers every write, and ends at end of file", async (loop) => {
  const [r, w] = pipePair();
  track(r);
  const br = BufferRing.create(loop.ring, { bgid: 3, entries: 4, bufferSize: 256 });
  try {
    const sent = new Digest();
    const got = new Digest();
    const writer = (async () => {
      for (let i = 0; i < 30; i++) {
        const data = pattern(200 + i * 7, i);
        sent.add(data);
        let off = 0;
        while (off < data.length) off += Number(libc().write(w, data.subarray(off), data.length - off));
        await timeout(loop, 1);
      }
      libc().close(w);
    })();
    for await (const piece of new ReadStream(loop, r, br)) got.add(piece);
    await writer;
    assert.equal(got.length, sent.length);
    assert.equal(got.value, sent.value);
  } finally {
    await closeWhenIdle(loop, br);
  }
});

onEpoll("sendmsg and recvmsg pass a pipe's write end with SCM_RIGHTS", async (loop) => {
  const [a, b] = socketPair();
  track(a);
  track(b);
  const [r, w] = pipePair();
  track(r);
  track(w);
  assert.equal(await sendmsg(loop, a, { data: text("take this"), control: [scmRights([w])] }), 9);
  const into = new Uint8Array(32);
  const m = await recvmsg(loop, b, { data: into, controlLength: cmsgSpace(4) });
  assert.equal(m.bytes, 9);
  const [passed] = controlFds(m.control);
  assert.ok(passed !== undefined && passed >= 0);
  track(passed!);
  libc().write(passed!, text("via the passed fd"), 17);
  const buf = new Uint8Array(32);
  assert.equal(await read(loop, r, buf), 17);
});

onEpoll("timeouts, per-operation deadlines (TimeoutError) and aborts (AbortError) on a recv with no data",
  async (loop) => {
    const [a, b] = socketPair();
    track(a);
    track(b);
    assert.equal(await timeout(loop, 5), "expired");
    const buf = new Uint8Array(8);
    await assert.rejects(recv(loop, b, buf, { timeoutMs: 20 }), { name: "TimeoutError" });
    const ac = new AbortController();
    const p = recv(loop, b, buf, { signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await assert.rejects(p, { name: "AbortError" });
    // And a recv that gets its data in time resolves.
    const q = recv(loop, b, buf, { timeoutMs: 2000 });
    await send(loop, a, text("ok"));
    assert.equal(await q, 2);
  });

onEpoll("files: written, read whole, statted, renamed, read many at once, unlinked", async (loop) => {
  const dir = tempDir("ringside-epoll-loop-");
  const path = dir.path("big");
  const data = pattern(3 << 20, 5);
  await writeFile(loop, path, data);
  const back = await readFile(loop, path);
  assert.equal(back.length, data.length);
  assert.ok(Buffer.from(back).equals(Buffer.from(data)));
  assert.equal((await statx(loop, path)).size, data.length);
  await rename(loop, path, dir.path("moved"));
  const small = Array.from({ length: 20 }, (_, i) => dir.file(`file ${i}`));
  const all = await readFiles(loop, small);
  assert.deepEqual(all.map((b) => new TextDecoder().decode(b)), small.map((_, i) => `file ${i}`));
  const fd = await open(loop, dir.path("moved"));
  const head = new Uint8Array(16);
  assert.equal(await read(loop, fd, head, 0), 16);
  assert.deepEqual(head, data.subarray(0, 16));
  await close(loop, fd);
  await unlink(loop, dir.path("moved"));
});

onEpoll("serve() echoes over TCP for node:net clients", async (loop) => {
  const stop = new AbortController();
  let listening!: (port: number) => void;
  const port = new Promise<number>((r) => (listening = r));
  const served = serve(loop, { port: 0, host: "127.0.0.1", signal: stop.signal, onListen: (a) => listening(a.port) },
    async (conn) => {
      for await (const chunk of conn.input) await conn.send(chunk);
    });
  try {
    const p = await port;
    const payload = Buffer.from(pattern(200_000, 9));
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const c = netConnect(p, "127.0.0.1");
      const parts: Buffer[] = [];
      let n = 0;
      c.on("data", (d: Buffer) => {
        parts.push(d);
        n += d.length;
        if (n >= payload.length) {
          c.destroy();
          resolve(Buffer.concat(parts));
        }
      });
      c.on("error", reject);
      c.write(payload);
    });
    assert.ok(echoed.equals(payload));
  } finally {
    stop.abort();
    await served;
  }
});

it("closing a loop with work in flight settles everything; a call a pool thread is inside is left, not freed",
  false, async () => {
    const dir = tempDir("ringside-epoll-close-");
    const fifo = dir.path("fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
    const loop = new Loop({ backend: "epoll" });
    const [a, b] = socketPair();
    const buf = new Uint8Array(8);
    // A pool thread is running once a file operation completed.
    await writeFile(loop, dir.path("warm"), "x");
    const pending = [
      recv(loop, b, buf),
      timeout(loop, 60_000),
      // Opening a FIFO for reading blocks until a writer comes: a pool thread sits in openat(2), uncancellable.
      open(loop, fifo),
    ];
    const settling = Promise.allSettled(pending);
    await new Promise((r) => setTimeout(r, 100));
    await loop.close(200);
    const settled = await settling;
    assert.ok(settled.every((s) => s.status === "rejected"), JSON.stringify(settled.map((s) => s.status)));
    assert.equal(loop.leakedOperations, 1);
    assert.match(String((settled[2] as PromiseRejectedResult).reason), /before the kernel completed it/);
    // Let the thread go: a writer opens the FIFO; its openat returns, and nothing is delivered to the closed loop.
    closeSync(openSync(fifo, "w"));
    for (const fd of [a, b]) libc().close(fd);
  });

onEpoll("what only io_uring does is refused by name: zero-copy send, registered files, CQE32 rings", async (loop) => {
  const [a, b] = socketPair();
  track(a);
  track(b);
  await assert.rejects(sendZc(loop, a, text("zc")), (e: unknown) => {
    assert.ok(e instanceof UringError);
    assert.equal(e.code, "EOPNOTSUPP");
    assert.match(e.message, /IORING_OP_SEND_ZC .*needs the io_uring backend/);
    return true;
  });
  assert.throws(() => registerFilesSparse(loop.ring, 8), (e: unknown) => {
    assert.ok(e instanceof UringError);
    assert.equal(e.code, "EOPNOTSUPP");
    assert.match(e.message, /IORING_REGISTER_FILES2? .*needs the io_uring backend|IORING_REGISTER_FILES.*needs the io_uring backend/);
    return true;
  });
  assert.throws(() => new Loop({ backend: "epoll", ring: { flags: IORING_SETUP_CQE32 } }),
    /IORING_SETUP_CQE32 needs the io_uring backend/);
  assert.throws(() => BufferRing.create(loop.ring, { bgid: 9, entries: 2, bufferSize: 64, mmap: true }),
    /IOU_PBUF_RING_MMAP/);
});
