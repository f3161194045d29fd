/**
 * Test support for FUSE servers served in the test's own thread: why a mount cannot be made here, shell commands
 * run asynchronously in child processes (the serving thread must never touch the mount itself), and a mount that is
 * always unmounted and leaves `/sys/module/fuse/parameters/enable_uring` as it found it, also when the test fails.
 *
 * "Always" includes a test the runner gives up on. When a test outlives its timeout (Bun's default is 5 s), the runner
 * fails it and goes on without waiting for its body: the body's `finally` runs only if the process lives long enough,
 * and Bun kills the test's child processes at once (a server serving from a child then leaves its mount behind, and
 * every later access answers ENOTCONN). {@link unmountAtExit} unmounts, when the process exits, whatever is still
 * mounted then; {@link MOUNT_TEST_TIMEOUT_MS} is a test timeout longer than any wait inside a mounting test, so that
 * its own cleanup runs first.
 *
 * @module
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { FuseHandlers, NameEncoding, NameFor } from "../uring/fuse/handlers.ts";
import { ENABLE_URING_PATH, findMount, MNT_DETACH, setFuseUringEnabled, umount2Sync } from "../uring/fuse/mount.ts";
import { FuseServer, type FuseServerOptions } from "../uring/fuse/server.ts";
import { atExit } from "./at_exit.ts";

export { atExit };

/** Why this machine cannot mount FUSE (not root, no /dev/fuse), or false. */
export const cannotMount: string | false = ((process.getuid?.() ?? 0) !== 0 && "mounting FUSE needs root") ||
  (!existsSync("/dev/fuse") && "/dev/fuse is missing (modprobe fuse)");

/** Why this kernel has no FUSE over io_uring, or false. */
export const noFuseUring: string | false = !existsSync(ENABLE_URING_PATH) &&
  `${ENABLE_URING_PATH} is missing: the kernel has no FUSE over io_uring (Linux 6.14, CONFIG_FUSE_IO_URING=y)`;

/**
 * A `timeout` (ms) for `test()`'s options of a test that mounts: longer than every wait inside one (a server child
 * killed after 110 s, unmount graces of a few seconds), so that the test's own cleanup runs before the runner gives up.
 */
export const MOUNT_TEST_TIMEOUT_MS = 180_000;

/**
 * Unmounts `dir` (lazily) and removes it when the process exits, unless the returned function was called first.
 * `stop` ends the server first (kills its child process). A lazy unmount waits for no server: the kernel only detaches
 * the mount (a plain FUSE superblock sends no request when it goes; fs/fuse/inode.c fuse_conn_destroy sends DESTROY
 * only for fuseblk), so this is safe in the serving thread too.
 *
 * @param dir The mountpoint, a directory the test made.
 * @param stop Stops the server, if it runs in a child process.
 * @returns Forgets `dir` (call it once the test has unmounted it itself).
 */
export function unmountAtExit(dir: string, stop?: () => void): () => void {
  return atExit(() => {
    try {
      stop?.();
    } finally {
      if (findMount(dir)) umount2Sync(dir, MNT_DETACH);
      if (!findMount(dir)) rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Runs `cmd` with sh in a child process, asynchronously. */
export function sh(cmd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", cmd], { env: { ...process.env, LC_ALL: "C" } }, (err, stdout, stderr) => {
      const errCode = (err as { code?: unknown } | null)?.code;
      const code = err ? (typeof errCode === "number" ? errCode : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * Mounts `handlers` in a fresh directory, runs `body`, and always unmounts and restores enable_uring. With `uring`
 * set, enable_uring is that while mounting (a connection keeps its ring afterwards); undefined leaves it alone.
 */
export async function withFuseMount<M extends NameEncoding = "string">(
  uring: boolean | undefined,
  handlers: FuseHandlers<NameFor<M>>,
  options: FuseServerOptions<M>,
  body: (server: FuseServer, dir: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ringside-fuse-"));
  const forget = unmountAtExit(dir);
  let restore: boolean | undefined = uring === undefined ? undefined : setFuseUringEnabled(uring);
  const forgetRestore = atExit(() => restore !== undefined && setFuseUringEnabled(restore));
  let server: FuseServer | undefined;
  try {
    server = await FuseServer.mount(dir, handlers, options);
    if (restore !== undefined) {
      setFuseUringEnabled(restore);
      restore = undefined;
    }
    await body(server, dir);
  } finally {
    if (restore !== undefined) setFuseUringEnabled(restore);
    restore = undefined;
    forgetRestore();
    if (server && !server.isClosed) await server.unmount({ graceMs: 2000 }).catch(() => {});
    // Last resort, from another process: this thread may be the one serving the mount.
    if (findMount(dir)) await sh(`umount -l '${dir}'`);
    rmSync(dir, { recursive: true, force: true });
    forget();
  }
}
