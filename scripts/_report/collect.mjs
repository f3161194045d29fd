// What the report is made of, gathered while `npm start` runs: a program's JSON output (a benchmark's result lines
// with `--json`, the doctor's object with `--json`), its notes, and the facts of this machine.

import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, machine, release, totalmem } from "node:os";
import { ROOT } from "../ensure.mjs";
import { commandFor } from "../run.mjs";
import { parseLines } from "./model.mjs";

/** stderr lines worth keeping in the report: a variant or a whole bench skipped, and why. */
const NOTE = /\bskip/i;
const MAX_NOTES = 20;

/**
 * Runs `file args` under `runtime` (binary `bin`) from the repo root with its stdout captured and resolves to
 * `{ code, results, text, notes }`: the benchmark result lines it printed, the rest of its stdout as text (copied
 * to our stdout as it arrives unless `quiet`), and its stderr lines that say something was skipped (stderr is
 * copied to ours as it arrives). `code` is 1 when it was killed by a signal or could not start.
 */
export function runCaptured(runtime, bin, file, args = [], { quiet = false } = {}) {
  const c = commandFor(runtime, bin, file, args);
  if (!quiet) console.error(`\n== ${runtime}: ${[file, ...args].join(" ")}`);
  return new Promise((done) => {
    const child = spawn(c.cmd, c.args, { cwd: ROOT, env: c.env, stdio: ["inherit", "pipe", "pipe"] });
    const out = { results: [], text: "", notes: [] };
    const pending = { stdout: "", stderr: "" };
    const onLine = {
      stdout: (line) => {
        const { results, rest } = parseLines(line);
        out.results.push(...results);
        if (rest.length) {
          out.text += `${line}\n`;
          if (!quiet) process.stdout.write(`${line}\n`);
        }
      },
      stderr: (line) => {
        process.stderr.write(`${line}\n`);
        if (NOTE.test(line) && out.notes.length < MAX_NOTES) out.notes.push(line.trim());
      },
    };
    for (const name of ["stdout", "stderr"]) {
      child[name].setEncoding("utf8").on("data", (chunk) => {
        const lines = (pending[name] + chunk).split("\n");
        pending[name] = lines.pop();
        for (const l of lines) onLine[name](l);
      });
    }
    // Ctrl-C reaches the child too (same process group); wait for it rather than dying first.
    const ignore = () => {};
    process.on("SIGINT", ignore);
    let finished = false;
    const finish = (code) => {
      if (finished) return;
      finished = true;
      process.off("SIGINT", ignore);
      for (const name of ["stdout", "stderr"]) if (pending[name]) onLine[name](pending[name]);
      done({ code, ...out });
    };
    child.on("error", (e) => {
      console.error(`start: cannot start ${runtime}: ${e.message}`);
      finish(1);
    });
    // "close" comes after both pipes drained, so no line is lost.
    child.on("close", (code, signal) => {
      if (signal) console.error(`start: ${runtime} was killed by ${signal}`);
      finish(code ?? 1);
    });
  });
}

/** The doctor's report under `runtime`: `{ runtime, report, error? }`, the object `doctor.ts --json` prints. */
export async function doctorJson(runtime, bin, file) {
  const r = await runCaptured(runtime, bin, file, ["--json"], { quiet: true });
  try {
    return { runtime, report: JSON.parse(r.text) };
  } catch {
    return { runtime, report: null, error: `doctor --json exited with ${r.code} and printed no JSON object` };
  }
}

function command(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.error || r.status !== 0 ? null : r.stdout.trim();
}

function osName() {
  try {
    return /^PRETTY_NAME="?(.*?)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** CPU model, cores, memory, kernel and system of this machine. */
export function machineFacts() {
  const c = cpus();
  return {
    cpu: c[0]?.model?.trim() ?? null,
    cores: c.length,
    memoryBytes: totalmem(),
    kernel: release(),
    uname: command("uname", ["-srvm"]),
    arch: machine(),
    os: osName(),
    node: process.version,
  };
}
