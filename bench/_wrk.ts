/**
 * Running wrk (Debian's package) against a server and reading what it counted: bench/http.ts's load generator.
 * One thread (`-t1`) pinned to a CPU of its own with taskset, so the server's CPU is the server's alone.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR } from "./harness.ts";

/** What one wrk run counted. */
export interface WrkResult {
  /** Responses completed (each pipelined request counts). */
  requests: number;
  /** The run's length as wrk measured it. */
  seconds: number;
  /** requests / seconds. */
  requestsPerS: number;
  /** Bytes read (wrk rounds them to 3 significant digits). */
  bytes: number;
  /** Socket errors: connect, read, write, timeout (added up). */
  socketErrors: number;
  /** Responses whose status was not 2xx or 3xx. */
  non2xx: number;
}

/**
 * The path of wrk, installing it (apt-get, as root) through scripts/ensure.mjs when it is missing; or null and why.
 *
 * @returns `{ path }` or `{ path: null, reason }`
 * @example
 * ```ts
 * const wrk = await findWrk();
 * if (!wrk.path) console.log(`no wrk: ${wrk.reason}`);
 * ```
 */
export async function findWrk(): Promise<{ path: string | null; reason?: string }> {
  // A computed specifier: neither type checker follows the plain-JS script.
  const url = pathToFileURL(join(BENCH_DIR, "..", "scripts", "ensure.mjs")).href;
  try {
    const m = (await import(url)) as { ensureWrk(): { path: string | null; reason?: string } };
    return m.ensureWrk();
  } catch (e) {
    return { path: null, reason: `cannot run scripts/ensure.mjs: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** How to run wrk. */
export interface WrkOptions {
  /** The URL (http://127.0.0.1:PORT/). */
  url: string;
  /** Connections (`-c`). */
  connections: number;
  /** Whole seconds (`-d`; wrk takes no fractions). */
  seconds: number;
  /** Requests written at once per connection (1: no script). */
  depth?: number | undefined;
  /** The CPU to pin wrk to, or null. */
  cpu?: number | null | undefined;
}

const UNITS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Parses wrk's report; throws when it has no request count. */
export function parseWrk(out: string): WrkResult {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)([KMGT]?B) read/.exec(out);
  if (!done) throw new Error(`wrk printed no result: ${out.trim()}`);
  const requests = Number(done[1]);
  const seconds = Number(done[2]) * UNITS[done[3]!]!;
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requests,
    seconds,
    requestsPerS: requests / seconds,
    bytes: Number(done[4]) * BYTES[done[5]!]!,
    socketErrors: errors ? errors.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

/**
 * Runs wrk with one thread and resolves with what it counted (rejects with its output when it fails). Runs
 * asynchronously, so the caller keeps draining its servers' pipes meanwhile.
 */
export function runWrk(wrk: string, o: WrkOptions): Promise<WrkResult> {
  const depth = o.depth ?? 1;
  const args = ["-t1", `-c${o.connections}`, `-d${Math.max(1, Math.round(o.seconds))}s`, "--timeout", "5s"];
  if (depth > 1) args.push("-s", join(BENCH_DIR, "http_pipeline.lua"));
  args.push(o.url);
  if (depth > 1) args.push("--", String(depth));
  const [cmd, argv] = o.cpu === null || o.cpu === undefined ? [wrk, args] : ["taskset", ["-c", String(o.cpu), wrk, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), (o.seconds + 30) * 1000);
    child.once("error", (e) => {
      clearTimeout(killer);
      reject(new Error(`cannot run wrk: ${e.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(killer);
      try {
        if (code !== 0) throw new Error(`wrk exited with ${signal ?? code}: ${out.trim()}`);
        resolve(parseWrk(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}
