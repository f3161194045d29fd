/**
 * epollCtl and epollWait on the real kernel.
 */
import assert from "node:assert/strict";
import { backend } from "../../ffi/mod.ts";
import { code, it, makePipe, track, withLoop, writeText as write } from "../../testing/mod.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_EPOLL_WAIT } from "../abi/uapi.ts";
import { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLIN, EPOLLOUT, epollCtl, epollWait } from "./mod.ts";

const has = (op: number) => probeOpcodes().isSupported(op);

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
