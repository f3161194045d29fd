import { test } from "node:test";
import { code, makePipe, readText as read, track, withLoop, writeText as write } from "../../testing/fixtures.ts";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { backend, libc } from "../../ffi/mod.ts";
import { skipIf } from "../../testing/skip.ts";
import { Loop } from "../loop/loop.ts";
import { read as readOp } from "../fs/fs.ts";
import { Ring } from "../ring/ring.ts";
import { Operation, PromiseOp } from "../loop/operation.ts";
import type { UringError } from "../core/errors.ts";
import type { Sqe } from "../ring/sqe.ts";
import { sqeSetData } from "../ring/sqe.ts";
import { kernelVersionAtLeast, probeOpcodes } from "../ring/probe.ts";
import { registerFiles, registerSyncCancel } from "../ring/register.ts";
import { prepNop } from "../prep/nop.ts";
import { prepPollAdd, prepPollMultishot } from "../prep/poll.ts";
import { prepLinkTimeout, prepTimeout } from "../prep/timeout.ts";
import { prepRecv } from "../prep/net.ts";
import {
  IORING_CQE_F_MORE,
  IORING_OP_EPOLL_WAIT,
  IORING_OP_POLL_ADD,
  IORING_OP_TIMEOUT,
  IORING_TIMEOUT_ETIME_SUCCESS,
  IORING_TIMEOUT_MULTISHOT,
  IOSQE_ASYNC,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_FIXED_FILE,
  IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK,
  IOSQE_IO_LINK,
} from "../abi/uapi.ts";
import {
  cancel,
  cancelAny,
  cancelFd,
  cancelOpcode,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLLIN,
  EPOLLOUT,
  epollCtl,
  epollWait,
  nop,
  pollAdd,
  POLLIN,
  POLLOUT,
  pollRemove,
  pollUpdate,
  submitPoll,
  submitTimeout,
  timeout,
  timeoutRemove,
  timeoutUpdate,
} from "./ops.ts";
import { accept, bind, connect, listen, send, socket } from "../net/net.ts";
import { AF_UNIX, SOCK_STREAM } from "../abi/sockaddr.ts";

// ---- Fixtures ---------------------------------------------------------------------------------------------------

function it(name: string, reason: string | false, fn: () => void | Promise<void>): void {
  test(name, skipIf(reason, name), fn);
}

const has = (op: number) => probeOpcodes().isSupported(op);
const since = (major: number, minor: number, what: string) =>
  !kernelVersionAtLeast(major, minor) && `${what} needs Linux ${major}.${minor}`;






/** A connected AF_UNIX stream pair in the abstract namespace, made through the ring. */
async function unixPair(loop: Loop): Promise<[number, number]> {
  const path = `\0ringside-ops-${Math.random().toString(36).slice(2)}`;
  const l = track(await socket(loop, AF_UNIX, SOCK_STREAM));
  await bind(loop, l, { path });
  await listen(loop, l);
  const c = track(await socket(loop, AF_UNIX, SOCK_STREAM));
  const accepting = accept(loop, l);
  await connect(loop, c, { path });
  return [c, track((await accepting).fd)];
}


/** Sets SQE flags on top of what the prep function wrote. */
function withFlags(sqe: Sqe, flags: number): void {
  sqe.u8[1] |= flags;
}

/** A raw operation that records every CQE it gets (multishot requests, whose CQEs PromiseOp would ignore). */
class Recorder extends Operation {
  readonly cqes: { res: number; flags: number }[] = [];
  readonly done: Promise<void>;
  private resolve!: () => void;
  private waiters: (() => void)[] = [];
  constructor(private readonly fn: (sqe: Sqe, op: Operation) => void) {
    super();
    this.done = new Promise((r) => (this.resolve = r));
  }
  prep(sqe: Sqe): void {
    this.fn(sqe, this);
  }
  complete(res: number, flags: number, more: boolean): void {
    this.cqes.push({ res, flags });
    for (const w of this.waiters.splice(0)) w();
    if (!more) this.resolve();
  }
  drop(): void {
    this.resolve();
  }
  /** Resolves once `n` CQEs have arrived (or rejects after `ms`). */
  async count(n: number, ms = 2000): Promise<void> {
    const deadline = performance.now() + ms;
    while (this.cqes.length < n) {
      if (performance.now() > deadline) throw new Error(`only ${this.cqes.length} of ${n} CQEs arrived`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

function ts(op: Operation, loop: Loop, ms: number): number {
  const c = op.chunk(loop, 16);
  c.view.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
  c.view.setBigInt64(8, BigInt(Math.round((ms % 1000) * 1e6)), true);
  return c.address;
}

// ---- NOP ------------------------------------------------------------------------------------------------------

it("nop resolves 0; IORING_NOP_INJECT_RESULT sets the result, a negative one rejects with its errno",
  since(6, 10, "IORING_NOP_INJECT_RESULT"), () =>
    withLoop(async (loop) => {
      assert.equal(await nop(loop), 0);
      assert.equal(await nop(loop, { result: 42 }), 42);
      await assert.rejects(nop(loop, { result: -11 }), code("EAGAIN"));
      await assert.rejects(nop(loop, { result: -4096 }), /result must be an int/);
    }));

it("nop with IORING_NOP_FILE checks the descriptor: EBADF once closed, and in the registered table with FIXED_FILE",
  since(6, 13, "IORING_NOP_FILE"), () =>
    withLoop(async (loop) => {
      const [r, w] = makePipe();
      assert.equal(await nop(loop, { fd: r }), 0);
      const spare = new Int32Array(2);
      libc().pipe2(spare, 0x80000);
      libc().close(spare[0]);
      libc().close(spare[1]);
      await assert.rejects(nop(loop, { fd: spare[0] }), code("EBADF"));
      registerFiles(loop.ring, [w, -1]);
      assert.equal(await nop(loop, { fd: 0, fixedFile: true }), 0);
      await assert.rejects(nop(loop, { fd: 1, fixedFile: true }), code("EBADF"));
      await assert.rejects(nop(loop, { bufIndex: 0 }), code("EFAULT"));
      // buf_index is 16 bits: 65536 would have named buffer 0.
      await assert.rejects(nop(loop, { bufIndex: 65536 }), /bufIndex must be 0 to 65535/);
    }));

it("nop with IORING_NOP_TW completes through task work, result injected all the same",
  since(6, 17, "IORING_NOP_TW"), () =>
    withLoop(async (loop) => {
      assert.equal(await nop(loop, { taskWork: true }), 0);
      assert.equal(await nop(loop, { taskWork: true, result: 9 }), 9);
    }));

// ---- Poll -----------------------------------------------------------------------------------------------------

it("pollAdd resolves to POLLIN once a pipe becomes readable", false, () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    const p = pollAdd(loop, r, POLLIN);
    let done = false;
    p.then(() => (done = true));
    await new Promise((res) => setTimeout(res, 10));
    assert.equal(done, false, "not readable yet");
    write(w, "x");
    assert.equal((await p) & POLLIN, POLLIN);
    // Already readable: a new poll completes at once.
    assert.equal((await pollAdd(loop, r, POLLIN)) & POLLIN, POLLIN);
  }));

it("pollRemove cancels a poll (ECANCELED) and rejects with ENOENT for one that already completed", false, () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    const poll = submitPoll(loop, r, POLLIN);
    await pollRemove(loop, poll);
    await assert.rejects(poll.promise, code("ECANCELED"));
    const done = submitPoll(loop, w, POLLOUT);
    await done.promise;
    await assert.rejects(pollRemove(loop, done), code("ENOENT"));
  }));

it("pollUpdate changes a pending poll's events: POLLIN on a pipe's write end becomes POLLOUT", false, () =>
  withLoop(async (loop) => {
    const [, w] = makePipe();
    const poll = submitPoll(loop, w, POLLIN);
    await new Promise((res) => setTimeout(res, 5));
    assert.equal(poll.state, 2, "still pending: a write end never has POLLIN");
    await pollUpdate(loop, poll, POLLOUT);
    assert.equal((await poll.promise) & POLLOUT, POLLOUT);
  }));

it("multishot poll (IORING_POLL_ADD_MULTI) posts a CQE with F_MORE each time the pipe becomes readable", false, () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    const op = loop.submit(new Recorder((sqe) => prepPollMultishot(sqe, r, POLLIN)));
    for (let i = 1; i <= 3; i++) {
      write(w, "x");
      await op.count(i);
      assert.equal(read(r), "x");
    }
    assert.equal(op.cqes.length, 3);
    for (const c of op.cqes) {
      assert.equal(c.res & POLLIN, POLLIN);
      assert.ok(c.flags & IORING_CQE_F_MORE, "still armed");
    }
    loop.cancel(op);
    await op.done;
    const last = op.cqes.at(-1)!;
    assert.equal(last.res, -125, "the final CQE is the cancellation");
    assert.equal(last.flags & IORING_CQE_F_MORE, 0);
  }));

// ---- epoll ----------------------------------------------------------------------------------------------------

let epollCreate: ((flags: number) => number) | undefined;
function epollFd(): number {
  epollCreate ??= backend.open("libc.so.6", { epoll_create1: { args: ["i32"], returns: "i32" } }).symbols
    .epoll_create1 as (flags: number) => number;
  const fd = epollCreate(0x80000);
  assert.ok(fd >= 0, "epoll_create1");
  return track(fd);
}

it("epollCtl adds, modifies and removes; epollWait returns the ready events with their data",
  !has(IORING_OP_EPOLL_WAIT) && "IORING_OP_EPOLL_WAIT needs Linux 6.15", () =>
    withLoop(async (loop) => {
      const ep = epollFd();
      const [r, w] = makePipe();
      await epollCtl(loop, ep, EPOLL_CTL_ADD, r, { events: EPOLLIN, data: 2 ** 40 + 7 });
      const waiting = epollWait(loop, ep, 8);
      await new Promise((res) => setTimeout(res, 5));
      write(w, "e");
      assert.deepEqual(await waiting, [{ events: EPOLLIN, data: 2 ** 40 + 7 }]);
      await epollCtl(loop, ep, EPOLL_CTL_ADD, w, { events: EPOLLOUT, data: 9 });
      const both = await epollWait(loop, ep, 8);
      assert.deepEqual(both.map((e) => e.data).sort((a, b) => a - b), [9, 2 ** 40 + 7]);
      await epollCtl(loop, ep, EPOLL_CTL_MOD, w, { events: EPOLLIN, data: 10 });
      await epollCtl(loop, ep, EPOLL_CTL_DEL, r);
      await assert.rejects(epollCtl(loop, ep, EPOLL_CTL_DEL, r), code("ENOENT"));
      // Nothing ready now: the wait stays pending until its timeout.
      await assert.rejects(epollWait(loop, ep, 8, { timeoutMs: 20 }), { name: "TimeoutError" });
    }));

// ---- Timeouts -------------------------------------------------------------------------------------------------

it("a time too large for a timespec is refused instead of wrapping into a short one; Infinity means none", false,
  () =>
    withLoop(async (loop) => {
      // 2^64 s used to wrap to a timeout that expired at once; with timeoutMs it failed the recv as timed out.
      await assert.rejects(timeout(loop, 2 ** 64 * 1000), /does not fit a __kernel_timespec/);
      const [r, w] = makePipe();
      const buf = new Uint8Array(4);
      await assert.rejects(readOp(loop, r, buf, -1, { timeoutMs: 2 ** 64 * 1000 }), /does not fit/);
      const pending = readOp(loop, r, buf, -1, { timeoutMs: Infinity });
      write(w, "ok");
      assert.equal(await pending, 2);
    }));

it("timeout: relative, by completion count, absolute on CLOCK_REALTIME, on CLOCK_BOOTTIME", false, () =>
  withLoop(async (loop) => {
    let t0 = performance.now();
    assert.equal(await timeout(loop, 20), "expired");
    let ms = performance.now() - t0;
    assert.ok(ms >= 18 && ms < 1000, `relative: ${ms} ms`);

    const counted = timeout(loop, 10_000, { count: 2 });
    await nop(loop);
    await nop(loop);
    assert.equal(await counted, "count");

    t0 = performance.now();
    assert.equal(await timeout(loop, Date.now() + 30, { absolute: true, clock: "realtime" }), "expired");
    ms = performance.now() - t0;
    assert.ok(ms >= 20 && ms < 1000, `absolute realtime: ${ms} ms`);
    // An absolute time in the past expires at once.
    t0 = performance.now();
    assert.equal(await timeout(loop, Date.now() - 1000, { absolute: true, clock: "realtime" }), "expired");
    assert.ok(performance.now() - t0 < 500);

    t0 = performance.now();
    assert.equal(await timeout(loop, 15, { clock: "boottime" }), "expired");
    ms = performance.now() - t0;
    assert.ok(ms >= 13 && ms < 1000, `boottime: ${ms} ms`);
    // Absolute on CLOCK_BOOTTIME: /proc/uptime is that clock, to 10 ms.
    const uptimeMs = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;
    t0 = performance.now();
    assert.equal(await timeout(loop, uptimeMs + 100, { absolute: true, clock: "boottime" }), "expired");
    ms = performance.now() - t0;
    assert.ok(ms >= 70 && ms < 1000, `absolute boottime: ${ms} ms`);
  }));

it("multishot timeout (IORING_TIMEOUT_MULTISHOT) ticks N times, F_MORE on all but the last",
  since(6, 4, "IORING_TIMEOUT_MULTISHOT"), () =>
    withLoop(async (loop) => {
      const t0 = performance.now();
      const op = loop.submit(new Recorder((sqe, o) => prepTimeout(sqe, ts(o, loop, 10), 4, IORING_TIMEOUT_MULTISHOT)));
      await op.done;
      const ms = performance.now() - t0;
      assert.deepEqual(op.cqes.map((c) => [c.res, c.flags & IORING_CQE_F_MORE]),
        [[-62, IORING_CQE_F_MORE], [-62, IORING_CQE_F_MORE], [-62, IORING_CQE_F_MORE], [-62, 0]]);
      assert.ok(ms >= 35 && ms < 2000, `4 ticks of 10 ms took ${ms} ms`);
    }));

it("timeoutUpdate gives a pending timeout a new expiry; timeoutRemove cancels one (ECANCELED) or fails (ENOENT)",
  false, () =>
    withLoop(async (loop) => {
      const t0 = performance.now();
      const long = submitTimeout(loop, 60_000);
      await timeoutUpdate(loop, long, 10);
      assert.equal(await long.promise, "expired");
      assert.ok(performance.now() - t0 < 2000);

      const other = submitTimeout(loop, 60_000);
      await timeoutRemove(loop, other);
      await assert.rejects(other.promise, code("ECANCELED"));
      await assert.rejects(timeoutRemove(loop, other), code("ENOENT"));
      await assert.rejects(timeoutUpdate(loop, other, 5), code("ENOENT"));
      // An AbortSignal removes a timeout too.
      const ac = new AbortController();
      const aborted = timeout(loop, 60_000, { signal: ac.signal });
      ac.abort();
      await assert.rejects(aborted, { name: "AbortError" });
    }));

// ---- Links, drain, skip, async ------------------------------------------------------------------------------

it("a linked timeout cancels a recv that never gets data: -ECANCELED for the recv, -ETIME for the timeout",
  false, () =>
    withLoop(async (loop) => {
      const [, server] = await unixPair(loop);
      const buf = new Uint8Array(8);
      const r = loop.submit(new PromiseOp("recv", (sqe, o) => {
        prepRecv(sqe, server, o.kernelAddress(loop, buf, true), buf.length, 0);
        withFlags(sqe, IOSQE_IO_LINK);
      }));
      const t = loop.submit(new PromiseOp("link_timeout", (sqe, o) => prepLinkTimeout(sqe, ts(o, loop, 15), 0)));
      const [rr, tr] = await Promise.allSettled([r.promise, t.promise]);
      assert.equal(rr.status, "rejected");
      assert.equal(((rr as PromiseRejectedResult).reason as UringError).code, "ECANCELED");
      assert.equal(((tr as PromiseRejectedResult).reason as UringError).code, "ETIME");
    }));

it("links: a failed head cancels its IO_LINK successor; IO_HARDLINK and ETIME_SUCCESS keep the chain going",
  since(6, 10, "IORING_NOP_INJECT_RESULT"), () =>
    withLoop(async (loop) => {
      const chain = (headFlags: number, head: (sqe: Sqe, o: Operation) => void) => {
        const a = loop.submit(new PromiseOp("head", (sqe, o) => {
          head(sqe, o);
          withFlags(sqe, headFlags);
        }));
        const b = loop.submit(new PromiseOp("next", (sqe) => prepNop(sqe)));
        return Promise.allSettled([a.promise, b.promise]);
      };
      const failingNop = (sqe: Sqe) => {
        prepNop(sqe);
        sqe.u32[7] = 1; // IORING_NOP_INJECT_RESULT
        sqe.u32[6] = -22 >>> 0;
      };
      let [a, b] = await chain(IOSQE_IO_LINK, failingNop);
      assert.equal(((a as PromiseRejectedResult).reason as UringError).code, "EINVAL");
      assert.equal(((b as PromiseRejectedResult).reason as UringError).code, "ECANCELED");

      [a, b] = await chain(IOSQE_IO_HARDLINK, failingNop);
      assert.equal(((a as PromiseRejectedResult).reason as UringError).code, "EINVAL");
      assert.deepEqual(b, { status: "fulfilled", value: 0 });

      // A timeout's -ETIME counts as failure for links, unless IORING_TIMEOUT_ETIME_SUCCESS.
      [a, b] = await chain(IOSQE_IO_LINK, (sqe, o) => prepTimeout(sqe, ts(o, loop, 1), 0, 0));
      assert.equal(((b as PromiseRejectedResult).reason as UringError).code, "ECANCELED");
      [a, b] = await chain(IOSQE_IO_LINK,
        (sqe, o) => prepTimeout(sqe, ts(o, loop, 1), 0, IORING_TIMEOUT_ETIME_SUCCESS));
      assert.equal(((a as PromiseRejectedResult).reason as UringError).code, "ETIME");
      assert.deepEqual(b, { status: "fulfilled", value: 0 });
    }));

it("IOSQE_IO_DRAIN: a drained request waits for everything before it, and later requests wait for it", false, () =>
  withLoop(async (loop) => {
    const order: string[] = [];
    const tag = (name: string, p: Promise<unknown>) => p.then(() => order.push(name), () => order.push(name));
    const slow = loop.submit(new PromiseOp("timeout", (sqe, o) => prepTimeout(sqe, ts(o, loop, 30), 0, 0)));
    const drained = loop.submit(new PromiseOp("nop", (sqe) => {
      prepNop(sqe);
      withFlags(sqe, IOSQE_IO_DRAIN);
    }));
    const after = loop.submit(new PromiseOp("nop", (sqe) => prepNop(sqe)));
    await Promise.all([tag("timeout", slow.promise), tag("drained", drained.promise), tag("after", after.promise)]);
    assert.deepEqual(order, ["timeout", "drained", "after"]);
    // Without drain, a NOP overtakes the timeout.
    order.length = 0;
    const slow2 = loop.submit(new PromiseOp("timeout", (sqe, o) => prepTimeout(sqe, ts(o, loop, 20), 0, 0)));
    const quick = loop.submit(new PromiseOp("nop", (sqe) => prepNop(sqe)));
    await Promise.all([tag("timeout", slow2.promise), tag("nop", quick.promise)]);
    assert.deepEqual(order, ["nop", "timeout"]);
  }));

it("IOSQE_CQE_SKIP_SUCCESS (raw ring): a successful NOP posts no CQE, a failed one still does",
  since(6, 10, "IORING_NOP_INJECT_RESULT"), () => {
    const ring = new Ring(8);
    try {
      const put = (ud: number, flags: number, result?: number) => {
        const sqe = ring.getSqe()!;
        prepNop(sqe);
        if (result !== undefined) {
          sqe.u32[7] = 1; // IORING_NOP_INJECT_RESULT
          sqe.u32[6] = result >>> 0;
        }
        withFlags(sqe, flags);
        sqeSetData(sqe, ud);
      };
      put(1, IOSQE_CQE_SKIP_SUCCESS);
      put(2, IOSQE_CQE_SKIP_SUCCESS, -22);
      put(3, 0);
      put(4, IOSQE_CQE_SKIP_SUCCESS);
      ring.submitAndWait(2);
      assert.equal(ring.sqPending(), 0, "all four were submitted");
      assert.equal(ring.submitAndWait(3, { timeoutNs: 20e6 }), 2, "no third CQE arrives");
      const seen: [number, number][] = [];
      ring.forEachCqe((ud, res) => seen.push([ud, res]));
      assert.deepEqual(seen.sort((a, b) => a[0] - b[0]), [[2, -22], [3, 0]]);
    } finally {
      ring.close();
    }
  });

/** How many times each io-wq worker thread of this process has been scheduled (/proc/self/task/N/schedstat). */
function ioWorkerRuns(): Map<string, number> {
  const runs = new Map<string, number>();
  for (const t of readdirSync("/proc/self/task")) {
    try {
      if (!readFileSync(`/proc/self/task/${t}/comm`, "utf8").startsWith("iou-wrk")) continue;
      runs.set(t, Number(readFileSync(`/proc/self/task/${t}/schedstat`, "utf8").split(" ")[2]));
    } catch {
      // the thread exited meanwhile
    }
  }
  return runs;
}

it("IOSQE_ASYNC: a recv is issued from an io-wq worker thread (one runs) and still gets its data", false, () =>
  withLoop(async (loop) => {
    const [client, server] = await unixPair(loop);
    const buf = new Uint8Array(16);
    const before = ioWorkerRuns();
    const r = loop.submit(new PromiseOp("recv", (sqe, o) => {
      prepRecv(sqe, server, o.kernelAddress(loop, buf, true), buf.length, 0);
      withFlags(sqe, IOSQE_ASYNC);
    }));
    let ran = false;
    for (let i = 0; i < 100 && !ran; i++) {
      await new Promise((res) => setTimeout(res, 2));
      for (const [t, n] of ioWorkerRuns()) if (n > (before.get(t) ?? 0)) ran = true;
    }
    assert.ok(ran, "an iou-wrk thread was created or woken for the request");
    await send(loop, client, new TextEncoder().encode("async"));
    assert.equal(await r.promise, 5);
    assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), "async");
  }));

// ---- Cancellation ------------------------------------------------------------------------------------------

it("cancel by user_data: the target rejects with ECANCELED; a second cancel finds nothing (ENOENT)", false, () =>
  withLoop(async (loop) => {
    const [r] = makePipe();
    const poll = submitPoll(loop, r, POLLIN);
    assert.equal(await cancel(loop, poll), 1);
    await assert.rejects(poll.promise, code("ECANCELED"));
    await assert.rejects(cancel(loop, poll), code("ENOENT"));
    assert.equal(await cancel(loop, poll, { all: true }), 0, "ALL reports a count, 0 here");
  }));

it("cancel by fd: one match, or all of them with IORING_ASYNC_CANCEL_ALL; by fixed fd", false, () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    const polls = [submitPoll(loop, r, POLLIN), submitPoll(loop, r, POLLIN), submitPoll(loop, r, POLLIN)];
    assert.equal(await cancelFd(loop, r), 1);
    assert.equal(await cancelFd(loop, r, { all: true }), 2);
    for (const p of polls) await assert.rejects(p.promise, code("ECANCELED"));
    await assert.rejects(cancelFd(loop, r), code("ENOENT"));

    registerFiles(loop.ring, [w, r]);
    const fixed = loop.submit(new PromiseOp("poll", (sqe) => {
      prepPollAdd(sqe, 1, POLLIN);
      withFlags(sqe, IOSQE_FIXED_FILE);
    }));
    // With FD_FIXED the number is a slot (1 holds the pipe's read end), not descriptor 1 (stdout).
    await assert.rejects(cancelFd(loop, 1), code("ENOENT"));
    assert.equal(await cancelFd(loop, 1, { fixed: true }), 1);
    await assert.rejects(fixed.promise, code("ECANCELED"));
  }));

it("cancel by opcode (IORING_ASYNC_CANCEL_OP) and cancel any (IORING_ASYNC_CANCEL_ANY)",
  since(6, 6, "IORING_ASYNC_CANCEL_OP"), () =>
    withLoop(async (loop) => {
      const [r] = makePipe();
      const t1 = submitTimeout(loop, 60_000);
      const t2 = submitTimeout(loop, 60_000);
      const p = submitPoll(loop, r, POLLIN);
      assert.equal(await cancelOpcode(loop, IORING_OP_TIMEOUT, { all: true }), 2);
      await assert.rejects(t1.promise, code("ECANCELED"));
      await assert.rejects(t2.promise, code("ECANCELED"));
      assert.equal(p.state, 2, "the poll is untouched");
      assert.equal(await cancelOpcode(loop, IORING_OP_POLL_ADD), 1);
      await assert.rejects(p.promise, code("ECANCELED"));

      const many = [submitPoll(loop, r, POLLIN), submitTimeout(loop, 60_000), submitPoll(loop, r, POLLIN)];
      assert.equal(await cancelAny(loop), 3);
      for (const m of many) await assert.rejects(m.promise, code("ECANCELED"));
      assert.equal(await cancelAny(loop), 0);
    }));

it("synchronous cancel (IORING_REGISTER_SYNC_CANCEL): the target's CQE is posted when the call returns",
  since(6, 0, "IORING_REGISTER_SYNC_CANCEL"), () =>
    withLoop(async (loop) => {
      const [r] = makePipe();
      const poll = submitPoll(loop, r, POLLIN);
      loop.flush();
      assert.equal(registerSyncCancel(loop.ring, { userData: poll.userData }), 1);
      assert.ok(loop.ring.cqReady() >= 1, "the CQE is already in the CQ");
      await assert.rejects(poll.promise, code("ECANCELED"));
      assert.throws(() => registerSyncCancel(loop.ring, { userData: poll.userData }), /ENOENT/);
    }));
