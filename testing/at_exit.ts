/**
 * Cleanups for tests that a runner may abandon (a per-test timeout ends the test's body but not its process, and the
 * test's `finally` never runs): the mounts, sysctls and child processes a test must not leave behind.
 *
 * @module
 */
import process from "node:process";

/** What tests left to undo (unmounts, sysctls, enable_uring), done when the process exits. */
const leftovers = new Set<() => void>();
let exitHooked = false;

function undoLeftovers(): void {
  for (const undo of leftovers) {
    try {
      undo();
    } catch {
      // Best effort: the process is ending.
    }
  }
  leftovers.clear();
}

/**
 * Runs `undo` when the process exits, unless the returned function was called first: the cleanup of a test the
 * runner abandoned. Bun runs `process` "exit" listeners at the end of `bun test`; Deno runs "unload" listeners at the
 * end of `deno test` (and not the former), so both are listened to.
 *
 * @param undo What to undo; synchronous.
 * @returns Forgets `undo` (call it once the test has cleaned up itself).
 */
export function atExit(undo: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.on("exit", undoLeftovers);
    globalThis.addEventListener?.("unload", undoLeftovers);
  }
  leftovers.add(undo);
  return () => void leftovers.delete(undo);
}
