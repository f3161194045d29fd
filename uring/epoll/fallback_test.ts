/**
 * `"auto"` where io_uring is refused: a program run under a seccomp filter that answers EPERM to the io_uring
 * system calls (what Docker's default profile does; testing/seccomp_eperm.c) gets loops on the epoll backend that
 * work, and one warning on stderr naming why; asked for io_uring explicitly, it gets the error instead.
 */
import assert from "node:assert/strict";
import { it } from "../../testing/mod.ts";
import { helperUnavailable, runScript } from "../../testing/refused.ts";

const noHelper = helperUnavailable();

it("under a seccomp filter, \"auto\" loops run on epoll, work, and warn once naming the filter", noHelper, async () => {
  const run = await runScript("testing/fallback_child.ts", [], { seccomp: true });
  const report = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
  assert.deepEqual(report.backends, ["epoll", "epoll"], run.stdout + run.stderr);
  assert.deepEqual(report.results, [0, 5, true, "expired", 0, 5, true, "expired"]);
  const warnings = run.stderr.split("\n").filter((l) => l.startsWith("ringside: io_uring is not available"));
  assert.equal(warnings.length, 1, run.stderr);
  assert.match(warnings[0]!, /seccomp/);
  assert.match(warnings[0]!, /epoll backend/);
});

it("under a seccomp filter, a loop asked for io_uring fails with the setup error, and no warning", noHelper,
  async () => {
    const run = await runScript("testing/fallback_child.ts", ["io_uring"], { seccomp: true });
    const report = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
    assert.equal(report.error?.code, "EPERM", run.stdout + run.stderr);
    assert.ok(!run.stderr.includes("ringside: io_uring is not available"));
  });

it("under a seccomp filter, a loop asked for epoll says nothing on stderr", noHelper, async () => {
  const run = await runScript("testing/fallback_child.ts", ["epoll"], { seccomp: true });
  const report = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
  assert.deepEqual(report.backends, ["epoll", "epoll"], run.stdout + run.stderr);
  assert.ok(!run.stderr.includes("ringside: io_uring is not available"));
});
