/**
 * Test support, not part of the library: running a program of this repository, under the runtime running the test,
 * where io_uring is refused the three ways a machine refuses it: a seccomp filter answering EPERM to the io_uring
 * system calls (what Docker's default profile does; testing/seccomp_eperm.c), a small RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK (the same helper), and `kernel.io_uring_disabled = 2` (set for the length of one call, as root, and
 * always restored). Used by uring/ring/refused_test.ts and uring/doctor/refused_test.ts.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { backend } from "../ffi/mod.ts";
import { trySetup } from "../uring/ring/probe.ts";
import { diagnoseSetupFailure } from "../uring/ring/setup_diagnosis.ts";
import { atExit } from "./at_exit.ts";
import { buildC, ccUnavailable } from "./cc.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const HELPER_SOURCE = join(ROOT, "testing", "seccomp_eperm.c");
const SYSCTL = "/proc/sys/kernel/io_uring_disabled";

/** What `new Ring()` or `new Loop()` did in the child: nothing to report, or the error and its diagnosis. */
export type Attempt =
  | { readonly ok: true }
  | {
    readonly ok: false;
    readonly isUringError: boolean;
    readonly code: string;
    readonly message: string;
    readonly cause: string;
    readonly reason: string;
    readonly fix: readonly string[];
  };

/** What testing/refused_child.ts prints. */
export interface ChildReport {
  /** The environment as the child's diagnosis read it (memlock as a string: JSON has no Infinity). */
  readonly env: {
    readonly seccomp: number | null;
    readonly capIpcLock: boolean | null;
    readonly memlockSoft: string | null;
    readonly ioUringDisabled: number | null;
    readonly setupGate: string | null;
  };
  readonly ring: Attempt;
  readonly loop: Attempt;
}

/** How the child is confined: a seccomp filter (the default), and/or a locked-memory limit in bytes. */
export interface Confinement {
  readonly seccomp?: boolean;
  readonly memlock?: number;
}

/** A finished child. */
export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The seccomp helper's executable, built (once) from testing/seccomp_eperm.c. */
function helper(): string {
  return buildC(HELPER_SOURCE, ["-O1", "-Wall", "-Werror"]);
}

/** Why no ring can be set up here at all, so that no test of a refusal means anything; or undefined. */
export function setupUnavailable(): string | undefined {
  const s = trySetup();
  return s.ok ? undefined : `no ring can be set up here at all (${diagnoseSetupFailure(s.error).cause})`;
}

/** Why the seccomp helper cannot be built or used here, or undefined. */
export function helperUnavailable(): string | undefined {
  if (process.arch !== "x64" && process.arch !== "arm64") {
    return `the seccomp helper knows the system call numbers of x86_64 and aarch64, not ${process.arch}`;
  }
  return ccUnavailable() ?? setupUnavailable();
}

/** Why `kernel.io_uring_disabled` cannot be set by this test, or undefined. */
export function sysctlUnavailable(): string | undefined {
  if (!existsSync(SYSCTL)) return `${SYSCTL} is missing (the sysctl arrived in Linux 6.6)`;
  if (process.getuid?.() !== 0) return `setting ${SYSCTL} needs root`;
  return setupUnavailable();
}

/**
 * Why a small RLIMIT_MEMLOCK does not stop setup on this kernel, or undefined when it does. The rings count against
 * the limit of a process without CAP_IPC_LOCK before Linux 5.12, and on many kernels since 6.15 (where they are
 * io_uring memory regions); not on 5.10 stable kernels carrying 5.15's io_uring, nor on every newer one, and the
 * release cannot tell. So the helper asks the kernel itself, without ringside: io_uring_setup(4096) under a 4 KiB
 * limit, without CAP_IPC_LOCK.
 */
export function memlockUnavailable(): string | undefined {
  const no = helperUnavailable();
  if (no) return no;
  const probe = spawnSync(helper(), ["--no-filter", "--memlock", "4096", "--probe-setup", "4096"], {
    encoding: "utf8",
  });
  if (probe.stdout.trim() === "ok") {
    return "this kernel does not count rings against RLIMIT_MEMLOCK (the helper set up 4096 entries under a 4 KiB " +
      "limit without CAP_IPC_LOCK): from 5.12 the memory cgroup pays for them";
  }
  return undefined;
}

/** The command line that runs `script` (a path under the repository) with `args` under this runtime. */
function runtimeCommand(script: string, args: readonly string[]): string[] {
  const path = join(ROOT, script);
  return backend.runtime === "deno" ? [process.execPath, "run", "-A", path, ...args] : [process.execPath, path, ...args];
}

/** Runs `argv` to completion (two minutes at most: a TCG guest starts a runtime slowly) and collects its output. */
function run(argv: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", (e) => {
      clearTimeout(killer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `script` with `args` under this runtime: confined by the helper when `confine` is given, else as it is (for
 * a run under `kernel.io_uring_disabled`).
 */
export function runScript(script: string, args: readonly string[], confine?: Confinement): Promise<Run> {
  const argv = runtimeCommand(script, args);
  if (!confine) return run(argv);
  return run([...confinedCommand(confine), ...argv]);
}

/**
 * The command prefix that runs a program confined by the helper (`[helper, ...options, "--"]`), for a child the
 * test starts itself (a server it talks to); {@link runScript} uses the same.
 */
export function confinedCommand(confine: Confinement = {}): string[] {
  return [
    helper(),
    ...(confine.seccomp === false ? ["--no-filter"] : []),
    ...(confine.memlock !== undefined ? ["--memlock", String(confine.memlock)] : []),
    "--",
  ];
}

/** Runs testing/refused_child.ts (`new Ring(entries)`, `new Loop()`) and parses its report. */
export async function runChild(entries: number, confine?: Confinement): Promise<ChildReport> {
  const r = await runScript("testing/refused_child.ts", [String(entries)], confine);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as ChildReport;
  } catch {
    throw new Error(`refused_child.ts printed no report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/**
 * Sets `kernel.io_uring_disabled` to `value` for the length of `fn` and restores the value it had, whatever
 * happens: in `finally`, and on SIGINT, SIGTERM and SIGHUP (then exiting as the signal would). The sysctl is
 * machine-wide: every process setting up a ring meanwhile is refused, so `fn` should only start a child and wait
 * for it. Rings that exist already are not affected (the kernel checks at io_uring_setup only).
 */
export async function withIoUringDisabled<T>(value: number, fn: () => Promise<T>): Promise<T> {
  const previous = readFileSync(SYSCTL, "utf8").trim();
  const restore = () => writeFileSync(SYSCTL, previous);
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const handlers = signals.map((s) => {
    const h = () => {
      restore();
      process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[s]);
    };
    process.on(s, h);
    return [s, h] as const;
  });
  // A runner that abandons the test (its timeout) still ends the process: restore then (exit or unload).
  const forget = atExit(restore);
  try {
    writeFileSync(SYSCTL, String(value));
    return await fn();
  } finally {
    restore();
    forget();
    for (const [s, h] of handlers) process.off(s, h);
  }
}

/** The value of `kernel.io_uring_disabled` now (to check it was restored). */
export function ioUringDisabledNow(): string {
  return readFileSync(SYSCTL, "utf8").trim();
}
