/**
 * Reading /proc and /sys for the probes and the diagnosis: a file's text, a number, `/proc/self/status` fields.
 * Internal to the ring layer.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** The text of `path`, or undefined when it cannot be read. */
export function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The integer `path` holds, or undefined. */
export function readProcInt(path: string): number | undefined {
  const text = readProc(path);
  if (text === undefined) return undefined;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isNaN(n) ? undefined : n;
}

/** `Field:\tvalue` lines of /proc/self/status. */
export function procStatus(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (readProc("/proc/self/status") ?? "").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/** The first CPU this process may run on (for IORING_SETUP_SQ_AFF), from `Cpus_allowed_list`. */
export function firstAllowedCpu(): number {
  const m = /^(\d+)/.exec(procStatus().get("Cpus_allowed_list") ?? "");
  return m ? Number(m[1]) : 0;
}
