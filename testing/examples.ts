/**
 * Running an example as a child process under the runtime running the test.
 *
 * @module
 */
import process from "node:process";
import { spawn, type SpawnSyncReturns, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backend } from "../ffi/mod.ts";

const examples = join(dirname(fileURLToPath(import.meta.url)), "..", "examples");

/** The command and arguments that run `examples/<name>` with `args` under this runtime. */
export function exampleCommand(name: string, args: readonly string[] = []): [string, string[]] {
  const script = join(examples, name);
  return [process.execPath, backend.runtime === "deno" ? ["run", "-A", script, ...args] : [script, ...args]];
}

const env = () => ({ ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" });

/** Runs an example to completion (30 s at most) and returns its output. */
export function runExample(name: string, args: readonly string[] = []): SpawnSyncReturns<string> {
  const [cmd, argv] = exampleCommand(name, args);
  return spawnSync(cmd, argv, { encoding: "utf8", env: env(), timeout: 30_000 });
}

/**
 * Starts a long-running example; the caller ends it (by signal) and awaits `exited`. It is killed (SIGKILL) after
 * `killAfterMs` (30 s) in any case, so a hung example cannot outlive its test. `prefix`, when given, is a command
 * that runs the example (such as the seccomp helper of testing/refused.ts, ending in `--`).
 */
export function startExample(name: string, args: readonly string[] = [], killAfterMs = 30_000,
  prefix: readonly string[] = []) {
  const [runtime, runtimeArgs] = exampleCommand(name, args);
  const [cmd, ...argv] = [...prefix, runtime, ...runtimeArgs];
  const child = spawn(cmd!, argv, { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  );
  const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  exited.finally(() => clearTimeout(killer));
  return {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    /**
     * Resolves once stdout contains `text`; rejects when the example exits first or after `ms` (by default as long
     * as the example may live: a slow start, as under emulation or on a loaded machine, is not a failure).
     */
    async waitFor(text: string, ms = killAfterMs): Promise<void> {
      const t0 = Date.now();
      let gone = false; // every output stream closed: nothing more will come
      child.once("close", () => (gone = true));
      while (!stdout.includes(text)) {
        if (gone) throw new Error(`example ${name} ended before printing ${JSON.stringify(text)}: ${stdout}${stderr}`);
        if (Date.now() - t0 > ms) throw new Error(`example ${name} did not print ${JSON.stringify(text)}: ${stdout}${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
