/**
 * The CPU time of a server process as someone watching it from outside reads it, and a CPU quota to hold a server
 * to: what bench/http.ts and bench/echo.ts measure their servers with.
 *
 * {@link procCpu} reads utime and stime of a whole process (every thread, the ones that already exited included)
 * from /proc/PID/stat, as `ps`, `top` and `pidstat` do. The kernel keeps the total exact (the scheduler's
 * sum_exec_runtime, thread_group_cputime in kernel/sched/cputime.c) but only samples which part was user and which
 * system, one tick at a time (account_process_tick), and scales the samples to the total over the process's whole
 * life, each part clamped so that it never decreases (cputime_adjust). So the total of a window is as exact as the
 * 10 ms units allow, while the split of a short window is an estimate with few samples (with HZ 250, at most 75 in
 * 300 ms) that the lifetime scaling and the clamps distort further; over windows of seconds it settles on what the
 * window's own samples say. Windows must also start after warm-up: start-up and JIT compilation are user time a
 * long-running server has paid long ago. bench/echo.ts's header has the measurements behind this.
 *
 * {@link CpuQuota} puts a process in a new cgroup whose CPU bandwidth is capped (cgroup v2 `cpu.max`, or cgroup v1
 * `cpu.cfs_quota_us` where the cpu controller is bound to v1), so that the server, not the load generator, sets the
 * pace: its requests per second are then its efficiency at a fixed CPU budget.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

let ticks: number | undefined;

/** Clock ticks per second of /proc's times (`getconf CLK_TCK`; 100 when it cannot be asked). */
export function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    const n = Number((r.stdout ?? "").trim());
    ticks = !r.error && r.status === 0 && Number.isInteger(n) && n > 0 ? n : 100;
  }
  return ticks;
}

/** CPU time of a process, in nanoseconds. */
export interface ProcCpu {
  userNs: number;
  sysNs: number;
}

/**
 * utime and stime of process `pid` and all its threads, from /proc/PID/stat (fields 14 and 15, in clock ticks), in
 * nanoseconds; null when the process is gone or /proc cannot be read.
 *
 * @param pid the process
 * @returns its CPU time so far
 * @example
 * ```ts
 * import process from "node:process";
 * const before = procCpu(process.pid);
 * ```
 */
export function procCpu(pid: number): ProcCpu | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  // Field 2 (comm) is in parentheses and may hold spaces and parentheses: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]); // field 14
  const stime = Number(fields[12]); // field 15
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  const ns = 1e9 / clockTicks();
  return { userNs: utime * ns, sysNs: stime * ns };
}

/** The CPU time `pid` spent between two {@link procCpu} readings; null when either is missing. */
export function cpuDelta(before: ProcCpu | null, after: ProcCpu | null): ProcCpu | null {
  if (!before || !after) return null;
  return { userNs: after.userNs - before.userNs, sysNs: after.sysNs - before.sysNs };
}

// ---- CPU quota ---------------------------------------------------------------------------------------------------

/** Where the cpu controller can be used, and how. */
interface CpuController {
  version: 1 | 2;
  /** The hierarchy's root directory. */
  root: string;
}

let controller: CpuController | string | undefined;

/** The mounts of this process: type, mount point, options. */
function mounts(): { type: string; dir: string; opts: string }[] {
  try {
    return readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")).filter((f) => f.length >= 4)
      .map((f) => ({ type: f[2]!, dir: f[1]!, opts: f[3]! }));
  } catch {
    return [];
  }
}

/** The cpu controller to use, or why there is none. */
function findController(): CpuController | string {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "not root (cgroups are created as root)";
  const all = mounts();
  for (const { type, dir } of all) {
    if (type !== "cgroup2") continue;
    try {
      if (readFileSync(join(dir, "cgroup.controllers"), "utf8").split(/\s+/).includes("cpu")) return { version: 2, root: dir };
    } catch {
      // not readable: try the next
    }
  }
  for (const { type, dir, opts } of all) {
    if (type === "cgroup" && opts.split(",").includes("cpu") && existsSync(join(dir, "cpu.cfs_quota_us"))) {
      return { version: 1, root: dir };
    }
  }
  return all.some((m) => m.type === "cgroup2")
    ? "cgroup2 is mounted without the cpu controller (bound to a v1 hierarchy elsewhere?) and no v1 cpu hierarchy is mounted"
    : "no cgroup2 or cgroup v1 cpu hierarchy is mounted";
}

/**
 * Why a CPU quota cannot be set here, or null when it can: needs root and a cgroup2 hierarchy with the cpu
 * controller (or a cgroup v1 cpu hierarchy).
 *
 * @returns the reason, or null
 * @example
 * ```ts
 * const why = cpuQuotaUnavailable();
 * if (why) console.log(`skipping the server-bound rows: ${why}`);
 * ```
 */
export function cpuQuotaUnavailable(): string | null {
  controller ??= findController();
  return typeof controller === "string" ? controller : null;
}

/**
 * Which cgroup hierarchy {@link CpuQuota} uses (`cgroup v2 at /sys/fs/cgroup`), or null when none can be used.
 *
 * @returns a few words, or null
 * @example
 * ```ts
 * console.log(cpuQuotaWhere() ?? "no CPU quota here");
 * ```
 */
export function cpuQuotaWhere(): string | null {
  if (cpuQuotaUnavailable() !== null) return null;
  const c = controller as CpuController;
  return `cgroup v${c.version} at ${c.root}`;
}

const PREFIX = "ringside-bench-";
const live = new Set<CpuQuota>();
let serial = 0;

/**
 * A cgroup with a CPU bandwidth limit, made by the bench and removed by it (also when it exits early). Put a process
 * in with {@link CpuQuota.add}: all its threads move with it and the children it starts later are born in it.
 *
 * @example
 * ```ts
 * if (cpuQuotaUnavailable() === null) {
 *   const quota = CpuQuota.create(40); // 40% of one CPU: 40 ms of every 100 ms
 *   // quota.add(serverPid); ... measure ...
 *   quota.remove();
 * }
 * ```
 */
export class CpuQuota {
  /** The cgroup's directory. */
  readonly path: string;
  /** 1 or 2: which cgroup version carries the cpu controller here. */
  readonly version: 1 | 2;
  /** The limit, in percent of one CPU. */
  readonly percent: number;
  private readonly root: string;

  private constructor(c: CpuController, path: string, percent: number) {
    this.version = c.version;
    this.root = c.root;
    this.path = path;
    this.percent = percent;
  }

  /**
   * Creates the cgroup, limited to `percent` of one CPU (per 100 ms period). Throws when it cannot (see
   * {@link cpuQuotaUnavailable}).
   */
  static create(percent: number): CpuQuota {
    if (!(percent > 0 && percent <= 1000)) throw new Error(`CpuQuota: percent must be in (0, 1000], got ${percent}`);
    const why = cpuQuotaUnavailable();
    if (why !== null) throw new Error(`CpuQuota: ${why}`);
    const c = controller as CpuController;
    removeStale(c);
    const period = 100_000;
    const quota = Math.round((period * percent) / 100);
    if (c.version === 2) {
      // The cpu controller must be enabled for the root's children (cgroup.subtree_control), which the root may do
      // whatever processes it holds (the no-internal-process rule spares the root).
      const control = join(c.root, "cgroup.subtree_control");
      if (!readFileSync(control, "utf8").split(/\s+/).includes("cpu")) writeFileSync(control, "+cpu");
    }
    const path = join(c.root, `${PREFIX}${process.pid}-${serial++}`);
    mkdirSync(path);
    const q = new CpuQuota(c, path, percent);
    live.add(q);
    try {
      if (c.version === 2) {
        writeFileSync(join(path, "cpu.max"), `${quota} ${period}`);
      } else {
        writeFileSync(join(path, "cpu.cfs_period_us"), String(period));
        writeFileSync(join(path, "cpu.cfs_quota_us"), String(quota));
      }
    } catch (e) {
      q.remove();
      throw e;
    }
    return q;
  }

  /** Moves process `pid` (all its threads) into the cgroup. */
  add(pid: number): void {
    writeFileSync(join(this.path, "cgroup.procs"), String(pid));
  }

  /** Moves whatever is left in the cgroup back to the root and removes the cgroup. Safe to call twice. */
  remove(): void {
    if (!live.delete(this)) return;
    evacuate(this.root, this.path);
    try {
      rmdirSync(this.path);
    } catch {
      // a process still moving out: removeStale() of a later run takes it
    }
  }
}

/** Moves every process of `dir` to the root cgroup. */
function evacuate(root: string, dir: string): void {
  let pids: string[] = [];
  try {
    pids = readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter((p) => p !== "");
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      writeFileSync(join(root, "cgroup.procs"), pid);
    } catch {
      // exited meanwhile
    }
  }
}

/** Removes the cgroups earlier runs left behind (their bench process is gone). */
function removeStale(c: CpuController): void {
  for (const name of readdirSync(c.root)) {
    const m = name.startsWith(PREFIX) ? /^(\d+)-/.exec(name.slice(PREFIX.length)) : null;
    if (!m || Number(m[1]) === process.pid || existsSync(`/proc/${m[1]}`)) continue;
    const dir = join(c.root, name);
    evacuate(c.root, dir);
    try {
      rmdirSync(dir);
    } catch {
      // still busy; the next run tries again
    }
  }
}

process.on("exit", () => {
  for (const q of [...live]) q.remove();
});
