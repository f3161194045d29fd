/**
 * testing/fuse.ts leaves no mount behind, even for a test the runner abandons after its timeout (whose `finally`
 * never runs): testing/fuse_abandoned_child.ts is run under this runtime's test runner with TMPDIR pointing at a fresh
 * directory, and once the run has ended no mount is left under it.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { backend } from "../ffi/mod.ts";
import { MNT_DETACH, umount2Sync } from "../uring/fuse/mount.ts";
import { cannotMount, MOUNT_TEST_TIMEOUT_MS } from "./fuse.ts";
import { skipIf } from "./skip.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The mountpoints under `dir` (fields 5 of /proc/self/mountinfo; none of ours holds a space). */
function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p.startsWith(dir + "/"));
}

const name = "a mounting test the runner abandons after its timeout leaves no mount behind when the run ends";
test(name, { ...skipIf(cannotMount, name), timeout: MOUNT_TEST_TIMEOUT_MS }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), "ringside-abandoned-"));
  try {
    const script = "testing/fuse_abandoned_child.ts";
    // deno test type checks by default (the suite's own check covers this file; under QEMU it alone took a minute).
    const args = backend.runtime === "deno" ? ["test", "-A", "--no-check", script] : ["test", `./${script}`];
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, TMPDIR: tmp, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
      const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("exit", (code) => {
        clearTimeout(killer);
        resolve({ code, out });
      });
    });
    // The scenario happened: the child mounted under `tmp`, and its runner gave up on the test.
    assert.match(run.out, new RegExp(`mounted ${tmp}/ringside-fuse-`), run.out);
    assert.match(run.out, /timed out/, run.out);
    assert.notEqual(run.code, 0, run.out);
    assert.deepEqual(mountsUnder(tmp), [], "the abandoned test's mount is gone");
  } finally {
    for (const m of mountsUnder(tmp)) umount2Sync(m, MNT_DETACH);
    rmSync(tmp, { recursive: true, force: true });
  }
});
