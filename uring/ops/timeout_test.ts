/**
 * timeout, submitTimeout, timeoutRemove and timeoutUpdate on the real kernel, on every clock, and timeoutMs
 * values that do not fit a timespec.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { code, it, makePipe, withLoop, writeText as write } from "../../testing/mod.ts";
import { nop, submitTimeout, timeout, timeoutRemove, timeoutUpdate } from "./mod.ts";
import { read as readOp } from "../fs/mod.ts";

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
    // Absolute on CLOCK_BOOTTIME: /proc/uptime is that clock, truncated to 10 ms, so at least 90 ms remain from the
    // read, which comes after t0 (however slowly: under emulation the read alone can take tens of ms).
    t0 = performance.now();
    const uptimeMs = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;
    assert.equal(await timeout(loop, uptimeMs + 100, { absolute: true, clock: "boottime" }), "expired");
    ms = performance.now() - t0;
    assert.ok(ms >= 85 && ms < 1000, `absolute boottime: ${ms} ms`);
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
