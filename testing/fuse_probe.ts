/**
 * Test support, not part of the library: `fuse_probe.c` (next to this file), built with gcc (testing/cc.ts), runs
 * as a child process and makes system calls on a mounted FUSE filesystem one command at a time (see the C file for
 * the commands). A test that serves the mount in its own thread can only touch it from another process; this one takes
 * names as raw bytes (hex), holds file descriptors and locks across commands, and can be interrupted by a signal.
 *
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { errnoName } from "../ffi/mod.ts";
import { buildC, ccUnavailable } from "./cc.ts";

const SOURCE = decodeURIComponent(new URL("./fuse_probe.c", import.meta.url).pathname);

/** Why the probe cannot run on this machine (no gcc), or undefined when it can. */
export function probeUnavailable(): string | undefined {
  return ccUnavailable();
}

/** Bytes (or a string's UTF-8) as the probe's hex; "-" for none. */
export function hex(data: Uint8Array | string): string {
  const b = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return b.length === 0 ? "-" : Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** One probe process. Commands run in order; each resolves with its answer line. */
export class Probe {
  readonly child: ChildProcessWithoutNullStreams;
  private buffered = "";
  private readonly waiting: Array<(line: string) => void> = [];
  private readonly exited: Promise<void>;

  constructor() {
    this.child = spawn(buildC(SOURCE, ["-O1", "-Wall", "-Werror"]), [], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8").on("data", (d: string) => {
      this.buffered += d;
      let nl;
      while ((nl = this.buffered.indexOf("\n")) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    this.exited = new Promise((resolve) => this.child.on("exit", () => resolve()));
    // A probe that died answers every command still waiting, so no test hangs on it.
    void this.exited.then(() => {
      for (const w of this.waiting.splice(0)) w("exited");
    });
  }

  /** The probe's process ID (to signal it). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one command line; resolves with the answer ("ok ...", "err <errno>", or "exited"). */
  send(command: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(command + "\n");
    });
  }

  /** Runs a command that must succeed; returns what follows "ok" (split on spaces), or throws with the errno. */
  async ok(command: string): Promise<string[]> {
    const line = await this.send(command);
    if (line !== "ok" && !line.startsWith("ok ")) throw new Error(`probe: \`${command}\` answered ${explain(line)}`);
    return line.split(" ").slice(1);
  }

  /** Runs a command that must fail; returns the errno's name ("ENOENT" ...). */
  async fails(command: string): Promise<string> {
    const line = await this.send(command);
    if (!line.startsWith("err ")) throw new Error(`probe: \`${command}\` did not fail: ${line}`);
    return errnoName(Number(line.slice(4)));
  }

  /** Ends the probe (closing its descriptors, which releases its locks) and waits for it to exit. */
  async close(): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

function explain(line: string): string {
  return line.startsWith("err ") ? `${errnoName(Number(line.slice(4)))} (${line})` : line;
}
