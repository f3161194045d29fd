import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runExample, skipIf, startExample } from "../testing/mod.ts";
import { kernelVersionAtLeast } from "../uring/ring/kernel_version.ts";
import { probeOpcodes } from "../uring/ring/probe.ts";
import { IORING_OP_READ_MULTISHOT } from "../uring/abi/uapi.ts";

// What the examples need beyond a plain ring: a timeout flag no probe reports (the version tells), and an opcode.
const noTimers = !kernelVersionAtLeast(6, 4) && "timers.ts needs Linux 6.4 (IORING_TIMEOUT_MULTISHOT)";
const noTail = !probeOpcodes().isSupported(IORING_OP_READ_MULTISHOT) &&
  "tail.ts needs Linux 6.7 (IORING_OP_READ_MULTISHOT over a buffer ring)";

test("examples/nop.ts prints its NOP's completion", () => {
  const r = runExample("nop.ts");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^NOP completed: user_data=42 res=0 flags=0$/m);
});

test("examples/timers.ts prints the requested number of ticks, spaced by the interval",
  skipIf(noTimers), () => {
  const r = runExample("timers.ts", ["10", "3"]);
  assert.equal(r.status, 0, r.stderr);
  const times = [...r.stdout.matchAll(/^tick (\d) at ([\d.]+) ms$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
  assert.deepEqual(times.map(([n]) => n), [1, 2, 3]);
  assert.ok(times[2]![1] >= 25, `three 10 ms ticks took ${times[2]![1]} ms`);
});

test("examples/tail.ts follows a FIFO across writers and exits cleanly on SIGTERM", skipIf(noTail), async () => {
  const dir = mkdtempSync(join(tmpdir(), "ringside-tail-"));
  const fifo = join(dir, "fifo");
  try {
    execFileSync("mkfifo", [fifo]);
    const tail = startExample("tail.ts", [fifo]);
    await new Promise((r) => setTimeout(r, 300)); // let it open the FIFO and arm the read
    writeFileSync(fifo, "first line\n"); // a writer comes and goes
    await tail.waitFor("first line\n");
    writeFileSync(fifo, "second line\n"); // a second writer: following means no EOF in between
    await tail.waitFor("second line\n");
    tail.child.kill("SIGTERM");
    const { code, signal } = await tail.exited;
    // Deno's child_process reports a child that handled the signal and exited 0 as killed by it; the closing line
    // on stderr is the proof of a clean exit under both runtimes.
    assert.match(tail.stderr, /tail: stopped/);
    assert.ok(code === 0 || signal === "SIGTERM", `exit ${code} ${signal}`);
    assert.equal(tail.stdout, "first line\nsecond line\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Its client sockets are made with IORING_OP_SOCKET (5.19) on both loops, so the application is the same on each.
const noSocketOp = !kernelVersionAtLeast(5, 19) && "versus_epoll.ts makes its sockets with IORING_OP_SOCKET (Linux 5.19)";

test("examples/versus_epoll.ts compares one application on io_uring and on epoll, in JSON lines", skipIf(noSocketOp), () => {
  const r = runExample("versus_epoll.ts", ["--quick", "--json", "--no-pin", "--connections", "2"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const rate = (v: string) => lines.find((l) => l.variant === v && l.metric === "round_trips_per_s");
  const uring = rate("io_uring");
  const epoll = rate("epoll");
  assert.ok(uring && epoll, r.stdout);
  assert.ok((uring.value as number) > 0 && (epoll.value as number) > 0, r.stdout);
  assert.equal(uring.baseline, "epoll");
  assert.ok(Number.isFinite(uring.ratio), r.stdout);
  for (const v of ["io_uring", "epoll"]) {
    assert.ok(lines.some((l) => l.variant === v && l.metric === "user_ns_per_op"), `${v}: no CPU per operation`);
  }
  assert.match(r.stderr, /loops on io_uring and epoll/);
  assert.match(r.stderr, /io_uring \/ epoll = [\d.]+x/);
});
