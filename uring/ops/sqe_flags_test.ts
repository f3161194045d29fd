/**
 * The IOSQE_* flags on the real kernel, through raw operations: links and linked timeouts, hard links,
 * IO_DRAIN, CQE_SKIP_SUCCESS and ASYNC.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { it, socketPair, track, withLoop } from "../../testing/mod.ts";
import type { Loop } from "../loop/loop.ts";
import { Ring } from "../ring/ring.ts";
import { type Operation, PromiseOp } from "../loop/operation.ts";
import type { UringError } from "../core/errors.ts";
import { EINVAL } from "../abi/errno.ts";
import { type Sqe, sqeAddFlags, sqeSetData } from "../ring/sqe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { W_LEN, W_OP_FLAGS } from "../prep/base.ts";
import { prepNop } from "../prep/nop.ts";
import { prepLinkTimeout, prepTimeout } from "../prep/timeout.ts";
import { prepRecv } from "../prep/net.ts";
import { writeTimespecNs } from "../abi/timespec.ts";
import {
  IORING_NOP_INJECT_RESULT,
  IORING_TIMEOUT_ETIME_SUCCESS,
  IOSQE_ASYNC,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK,
  IOSQE_IO_LINK,
} from "../abi/uapi.ts";
import { send } from "../net/send_recv.ts";

const since = (major: number, minor: number, what: string) =>
  !kernelVersionAtLeast(major, minor) && `${what} needs Linux ${major}.${minor}`;

/** A `struct __kernel_timespec` of `ms` milliseconds in an arena chunk of `op`. */
function ts(op: Operation, loop: Loop, ms: number): number {
  const c = op.chunk(loop, 16);
  writeTimespecNs(c.view, 0, ms * 1e6);
  return c.address;
}

it("a linked timeout cancels a recv that never gets data: -ECANCELED for the recv, -ETIME for the timeout",
  false, () =>
    withLoop(async (loop) => {
      const [client, server] = socketPair();
      track(client);
      track(server);
      const buf = new Uint8Array(8);
      const r = loop.submit(new PromiseOp("recv", (sqe, o) => {
        prepRecv(sqe, server, o.kernelAddress(loop, buf, true), buf.length, 0);
        sqeAddFlags(sqe, IOSQE_IO_LINK);
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
          sqeAddFlags(sqe, headFlags);
        }));
        const b = loop.submit(new PromiseOp("next", (sqe) => prepNop(sqe)));
        return Promise.allSettled([a.promise, b.promise]);
      };
      const failingNop = (sqe: Sqe) => {
        prepNop(sqe);
        sqe.u32[W_OP_FLAGS] = IORING_NOP_INJECT_RESULT;
        sqe.u32[W_LEN] = -EINVAL >>> 0;
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
      sqeAddFlags(sqe, IOSQE_IO_DRAIN);
    }));
    const after = loop.submit(new PromiseOp("nop", (sqe) => prepNop(sqe)));
    await Promise.all([tag("timeout", slow.promise), tag("drained", drained.promise), tag("after", after.promise)]);
    // Both NOPs wait for the timeout. Between the two the order is the kernel's: when the drain ends, 6.1 queues
    // both deferred requests (marked REQ_F_FORCE_ASYNC) to io-wq workers, which may finish "after" first
    // (io_uring/io_uring.c: io_queue_deferred -> io_req_task_queue -> io_req_task_submit -> io_queue_iowq).
    assert.equal(order[0], "timeout", `order ${order}`);
    assert.deepEqual(order.slice(1).sort(), ["after", "drained"]);
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
          sqe.u32[W_OP_FLAGS] = IORING_NOP_INJECT_RESULT;
          sqe.u32[W_LEN] = result >>> 0;
        }
        sqeAddFlags(sqe, flags);
        sqeSetData(sqe, ud);
      };
      put(1, IOSQE_CQE_SKIP_SUCCESS);
      put(2, IOSQE_CQE_SKIP_SUCCESS, -EINVAL);
      put(3, 0);
      put(4, IOSQE_CQE_SKIP_SUCCESS);
      ring.submitAndWait(2);
      assert.equal(ring.sqPending(), 0, "all four were submitted");
      assert.equal(ring.submitAndWait(3, { timeoutNs: 20e6 }), 2, "no third CQE arrives");
      const seen: [number, number][] = [];
      ring.forEachCqe((ud, res) => seen.push([ud, res]));
      assert.deepEqual(seen.sort((a, b) => a[0] - b[0]), [[2, -EINVAL], [3, 0]]);
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
    const [client, server] = socketPair();
    track(client);
    track(server);
    const buf = new Uint8Array(16);
    const before = ioWorkerRuns();
    const r = loop.submit(new PromiseOp("recv", (sqe, o) => {
      prepRecv(sqe, server, o.kernelAddress(loop, buf, true), buf.length, 0);
      sqeAddFlags(sqe, IOSQE_ASYNC);
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
