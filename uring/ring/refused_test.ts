/**
 * Where io_uring is refused, `new Ring()` and `new Loop()` throw a UringError whose one message names the cause and
 * the fix: the diagnosis `doctor` prints. Each way is made real in a child process of this runtime: a seccomp filter
 * answering EPERM (Docker's default profile), `kernel.io_uring_disabled = 2`, and a small RLIMIT_MEMLOCK.
 */
import assert from "node:assert/strict";
import { it } from "../../testing/mod.ts";
import {
  type Attempt,
  type ChildReport,
  helperUnavailable,
  ioUringDisabledNow,
  memlockUnavailable,
  runChild,
  sysctlUnavailable,
  withIoUringDisabled,
} from "../../testing/refused.ts";

/** Both attempts failed with `code` and `cause`, each message holding the diagnosis: its reason and every fix. */
function assertRefused(r: ChildReport, code: string, cause: string): Extract<Attempt, { ok: false }>[] {
  const out: Extract<Attempt, { ok: false }>[] = [];
  for (const [what, a] of [["new Ring()", r.ring], ["new Loop()", r.loop]] as const) {
    assert.equal(a.ok, false, `${what} was set up`);
    if (a.ok) continue;
    assert.ok(a.isUringError, `${what} threw a UringError: ${a.code} ${a.message}`);
    assert.equal(a.code, code, a.message);
    assert.equal(a.cause, cause, a.message);
    assert.match(a.message, new RegExp(`^Cannot set up io_uring: ${code} \\(`));
    assert.ok(a.message.includes(a.reason), `${what}'s message holds the reason: ${a.message}`);
    for (const f of a.fix) assert.ok(a.message.includes(f), `${what}'s message holds the fix ${f}`);
    out.push(a);
  }
  // One message: the Loop's ring is refused for the same reason, in the same words.
  assert.equal(out[0]?.reason, out[1]?.reason);
  return out;
}

it("under a seccomp filter answering EPERM (Docker's default), new Ring() and new Loop() name the filter and the " +
  "profile to change", helperUnavailable(), async () => {
  const free = await runChild(8, { seccomp: false });
  assert.ok(free.ring.ok && free.loop.ok, "without the filter the child sets rings up");
  assert.equal(free.env.setupGate, "EINVAL");

  const r = await runChild(8, { seccomp: true });
  assert.equal(r.env.seccomp, 2, "the child runs under a seccomp filter");
  assert.equal(r.env.setupGate, "EPERM", "the filter refuses io_uring_setup before the kernel sees it");
  for (const a of assertRefused(r, "EPERM", "seccomp")) {
    assert.match(a.message, /a seccomp filter refuses io_uring_setup/);
    assert.match(a.message, /What to do: if this runs in a container, allow the io_uring_setup, io_uring_enter and /);
    assert.match(a.message, /seccomp=unconfined/);
  }
});

it("with kernel.io_uring_disabled = 2, new Ring() and new Loop() name the sysctl and how to set it back",
  sysctlUnavailable(), async () => {
    const before = ioUringDisabledNow();
    // The sysctl is machine-wide: the window covers starting one child and waiting for it, nothing more.
    const r = await withIoUringDisabled(2, () => runChild(8));
    assert.equal(ioUringDisabledNow(), before, "the sysctl is restored");
    assert.equal(r.env.ioUringDisabled, 2);
    for (const a of assertRefused(r, "EPERM", "sysctl-disabled")) {
      assert.match(a.message, /disabled for every process by \/proc\/sys\/kernel\/io_uring_disabled \(2\)/);
      assert.match(a.message, /What to do: as root: `sysctl -w kernel\.io_uring_disabled=0`/);
    }
  });

it("with a small RLIMIT_MEMLOCK and no CAP_IPC_LOCK, new Ring(4096) and new Loop() name the limit and how to " +
  "raise it", memlockUnavailable(), async () => {
  const r = await runChild(4096, { seccomp: false, memlock: 4096 });
  assert.equal(r.env.capIpcLock, false, "CAP_IPC_LOCK would exempt the child from the limit");
  assert.equal(r.env.memlockSoft, "4096");
  for (const a of assertRefused(r, "ENOMEM", "memlock")) {
    assert.match(a.message, /count against the locked-memory limit .*: RLIMIT_MEMLOCK is 4 KiB \(hard limit 4 KiB\)/);
    assert.match(a.message, /What to do: raise the locked-memory limit: `ulimit -l unlimited`/);
  }
  assert.match(r.ring.ok ? "" : r.ring.message, /Asked for 4096 entries, flags 0x0\.$/);
});
