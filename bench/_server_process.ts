/**
 * Servers under test as child processes, for bench/echo.ts and bench/http.ts: started pinned to a CPU (taskset
 * execs the program, so the pid is the server's), their port read from the first line they print, their output
 * drained, and stopped with SIGTERM (SIGKILL after a grace). Every child still running when the bench exits, or is
 * interrupted, is killed.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { BENCH_DIR, runtime } from "./harness.ts";

/** Every child started and not yet seen to exit: killed on any way out. */
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    for (const c of live) c.kill("SIGKILL");
    process.exit(130);
  });
}

/** Kills every child still running (SIGKILL). */
export function killAll(): void {
  for (const c of live) c.kill("SIGKILL");
}

/** `cmd args`, pinned to `cpu` with taskset (which execs it: the pid is the program's), output piped. */
export function startPinned(
  cmd: string, args: readonly string[], cpu: number | null, env?: Record<string, string>,
): ChildProcess {
  const [file, argv] = cpu === null ? [cmd, [...args]] : ["taskset", ["-c", String(cpu), cmd, ...args]];
  const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  live.add(child);
  child.on("exit", () => live.delete(child));
  return child;
}

/** The command that runs the TypeScript file `file` (absolute) under this runtime with `args`. */
export function runtimeCommand(file: string, args: readonly string[]): { cmd: string; args: string[]; env?: Record<string, string> } {
  if (runtime.name === "bun") return { cmd: process.execPath, args: ["run", file, ...args] };
  const config = join(BENCH_DIR, "..", "deno.json");
  return {
    cmd: process.execPath,
    args: ["run", "-A", ...(existsSync(config) ? [`--config=${config}`] : []), file, ...args],
    env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
  };
}

/** Resolves when `child` has exited (at once if it already has), or to false after `ms`. */
export function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off("exit", done);
      resolve(false);
    }, ms);
    const done = () => {
      clearTimeout(t);
      resolve(true);
    };
    child.once("exit", done);
  });
}

/** A started server: its process, pid, port, and what it said on stderr. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  stderr: () => string;
  /** Whether it has exited. */
  gone: () => boolean;
}

/**
 * Starts a server and waits for the first line it prints: its port, alone (`8080`) or at the end
 * (`listening on 127.0.0.1:8080`). Rejects with its stderr when it exits or prints something else first.
 */
export async function startServer(
  name: string,
  command: { cmd: string; args: readonly string[]; env?: Record<string, string> | undefined },
  cpu: number | null,
  timeoutMs = 20_000,
): Promise<ServerProcess> {
  const child = startPinned(command.cmd, command.args, cpu, command.env);
  let err = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => {
    if (err.length < 8192) err += d;
  });
  child.stdout!.setEncoding("utf8");
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => fail(`printed no port within ${timeoutMs} ms`), timeoutMs);
    const onData = (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      const m = /(?:^|[ :])(\d+)\s*$/.exec(out.slice(0, nl));
      const port = m ? Number(m[1]) : NaN;
      if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        return fail(`printed ${JSON.stringify(out.slice(0, nl))}, not a port`);
      }
      cleanup();
      resolve(port);
    };
    const onExit = (code: number | null, sig: string | null) => fail(`exited (${sig ?? `status ${code}`})`);
    const onError = (e: Error) => fail(`cannot start: ${e.message}`);
    const cleanup = () => {
      clearTimeout(t);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    };
    function fail(why: string): void {
      cleanup();
      child.kill("SIGKILL");
      // Give stderr a moment to arrive before quoting it.
      setTimeout(() => reject(new Error(`The ${name} server ${why}: ${err.trim() || "(no stderr)"}`)), 50);
    }
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
  child.stdout!.resume(); // keep draining: the pipe must never fill
  return {
    child,
    pid: child.pid!,
    port,
    stderr: () => err.trim(),
    gone: () => child.exitCode !== null || child.signalCode !== null,
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the server is gone. */
export async function stopServer(s: ServerProcess, graceMs = 2000): Promise<void> {
  if (s.gone()) return;
  s.child.kill("SIGTERM");
  if (await exited(s.child, graceMs)) return;
  s.child.kill("SIGKILL");
  await exited(s.child, graceMs);
}

/**
 * Whether process `pid` holds an io_uring instance: one of its descriptors is the anonymous inode io_uring_setup
 * makes (io_uring/io_uring.c, io_uring_get_file: anon_inode_getfile_secure("[io_uring]", ...)); an epoll set shows
 * as "anon_inode:[eventpoll]". Null when /proc cannot tell (the process is gone, or not ours to read).
 */
export function holdsIoUring(pid: number): boolean | null {
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(dir);
  } catch {
    return null;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`${dir}/${fd}`) === "anon_inode:[io_uring]") return true;
    } catch {
      // closed between readdir and readlink
    }
  }
  return false;
}
