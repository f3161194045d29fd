/**
 * Test support, not part of the library: the program testing/refused.ts runs where io_uring is refused (under a
 * seccomp filter, a small RLIMIT_MEMLOCK, or kernel.io_uring_disabled = 2). It tries `new Ring(ENTRIES)` and
 * `new Loop()` and prints one JSON line: what each threw, the diagnosis of that error, and the environment as the
 * diagnosis read it.
 *
 *   bun testing/refused_child.ts [ENTRIES]   |   deno run -A testing/refused_child.ts [ENTRIES]
 *
 * @module
 */
import process from "node:process";
import { UringError } from "../uring/core/errors.ts";
import { Ring } from "../uring/ring/ring.ts";
import { Loop } from "../uring/loop/loop.ts";
import { diagnoseSetupFailure, setupEnvironment } from "../uring/ring/setup_diagnosis.ts";
import type { Attempt, ChildReport } from "./refused.ts";

async function attempt(make: () => { close(): unknown }): Promise<Attempt> {
  try {
    await make().close();
    return { ok: true };
  } catch (e) {
    const d = diagnoseSetupFailure(e);
    return {
      ok: false,
      isUringError: e instanceof UringError,
      code: e instanceof UringError ? e.code : String((e as Error)?.name),
      message: e instanceof Error ? e.message : String(e),
      cause: d.cause,
      reason: d.reason,
      fix: d.fix,
    };
  }
}

const entries = Number(process.argv[2] ?? 8);
const env = setupEnvironment();
const report: ChildReport = {
  env: {
    seccomp: env.seccomp ?? null,
    capIpcLock: env.capIpcLock ?? null,
    memlockSoft: env.memlock ? String(env.memlock.soft) : null,
    ioUringDisabled: env.ioUringDisabled ?? null,
    setupGate: env.setupGate ?? null,
  },
  ring: await attempt(() => new Ring(entries)),
  // io_uring explicitly: by default ("auto") a Loop falls back to the epoll backend where io_uring is refused.
  loop: await attempt(() => new Loop({ backend: "io_uring" })),
};
console.log(JSON.stringify(report));
