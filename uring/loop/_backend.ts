/**
 * Which backend a Loop runs on: io_uring, or the epoll backend (uring/epoll/) where io_uring is refused. The choice
 * comes from `LoopOptions.backend`, else the environment variable RINGSIDE_BACKEND, else `"auto"`: io_uring, and
 * the epoll backend when io_uring cannot be set up for a reason that will not go away while the process runs (a
 * seccomp filter, the io_uring_disabled sysctl or its group, a security module, a kernel without io_uring or too old
 * for the loop, no liburing, a locked-memory limit the rings do not fit), said once per process on stderr.
 *
 * @module
 */
import process from "node:process";
import { refuse } from "../core/errors.ts";
import { diagnoseSetupFailure, type SetupFailureCause } from "../ring/setup_diagnosis.ts";

/** What a Loop may be asked to run on. */
export type BackendChoice = "io_uring" | "epoll" | "auto";

/** Setup failures that stay for the life of the process: `"auto"` falls back to epoll on these. */
const LASTING: ReadonlySet<SetupFailureCause> = new Set<SetupFailureCause>([
  "liburing-missing",
  "kernel-too-old",
  "kernel-without-io-uring",
  "seccomp",
  "sysctl-disabled",
  "sysctl-group",
  "security-module",
  "memlock",
]);

let warned = false;

/** The backend asked for: `option`, else RINGSIDE_BACKEND, else `"auto"`; anything else is refused. */
export function wantedBackend(option: string | undefined): BackendChoice {
  const from = option !== undefined ? "backend" : "RINGSIDE_BACKEND";
  const wanted = option ?? (process.env.RINGSIDE_BACKEND || "auto");
  if (wanted !== "io_uring" && wanted !== "epoll" && wanted !== "auto") {
    refuse("make a loop", `${from} must be "io_uring", "epoll" or "auto", got ${JSON.stringify(wanted)}`);
  }
  return wanted;
}

/** Why io_uring cannot be used for good, from the error setting up a ring; undefined for any other failure. */
export function lastingSetupFailure(err: unknown): string | undefined {
  const d = diagnoseSetupFailure(err);
  return LASTING.has(d.cause) ? d.reason : undefined;
}

/** Whether a loop made with `"auto"` falls back to the epoll backend when setup fails for `cause`. */
export function fallsBackOn(cause: SetupFailureCause): boolean {
  return LASTING.has(cause);
}

/** Says once per process, on stderr, that loops run on the epoll backend and why. */
export function warnFallback(reason: string): void {
  if (warned) return;
  warned = true;
  console.warn(`ringside: io_uring is not available (${reason}); loops use the epoll backend ` +
    `(RINGSIDE_BACKEND=epoll chooses it without this warning; \`npm run doctor\` explains)`);
}
