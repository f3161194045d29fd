/**
 * Prints file metadata read with IORING_OP_STATX, laid out like coreutils `stat`.
 *
 *   bun examples/stat.ts PATH...
 *   deno run -A examples/stat.ts PATH...
 *
 * All paths are stat'ed at once (one SQE each, one submit); the answers are printed in order. Like `stat`, a
 * symbolic link is described itself, not what it points to (AT_SYMLINK_NOFOLLOW), and a path that fails is
 * reported on stderr with exit status 1.
 *
 * @module
 */
import { readFileSync, readlinkSync } from "node:fs";
import process from "node:process";
import { errnoMessage } from "../ffi/mod.ts";
import { UringError } from "ringside-uring/core";
import { Loop } from "ringside-uring/loop";
import { fileType, lstat, type Statx, STATX_BASIC_STATS, STATX_BTIME, type StatxTimestamp } from "ringside-uring/fs";

const TYPE_NAMES: Record<string, string> = {
  file: "regular file",
  directory: "directory",
  symlink: "symbolic link",
  fifo: "fifo",
  socket: "socket",
  char: "character special file",
  block: "block special file",
  unknown: "weird file",
};

/** `-rw-r--r--`: the type letter and the nine permission bits, with setuid, setgid and sticky as ls shows them. */
export function modeString(mode: number): string {
  const type = { file: "-", directory: "d", symlink: "l", fifo: "p", socket: "s", char: "c", block: "b" }[
    fileType(mode) as string
  ] ?? "?";
  const bit = (mask: number, c: string) => (mode & mask ? c : "-");
  const special = (exec: number, flag: number, on: string, off: string, plain: string) =>
    mode & flag ? (mode & exec ? on : off) : bit(exec, plain);
  return type +
    bit(0o400, "r") + bit(0o200, "w") + special(0o100, 0o4000, "s", "S", "x") +
    bit(0o040, "r") + bit(0o020, "w") + special(0o010, 0o2000, "s", "S", "x") +
    bit(0o004, "r") + bit(0o002, "w") + special(0o001, 0o1000, "t", "T", "x");
}

/** Reads `name:x:id:...` lines of /etc/passwd or /etc/group into id -> name. */
export function idNames(file: string): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [name, , id] = line.split(":");
      if (name !== undefined && id !== undefined && !names.has(Number(id))) names.set(Number(id), name);
    }
  } catch {
    // no such file: every id prints as UNKNOWN, as coreutils does when getpwuid fails
  }
  return names;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** `2024-05-01 12:34:56.123456789 +0200` in the local time zone, like `stat`'s %x/%y/%z/%w. */
export function formatTime(t: StatxTimestamp): string {
  const d = new Date(t.sec * 1000);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(t.nsec).padStart(9, "0")} ` +
    `${sign}${pad2(Math.floor(a / 60))}${pad2(a % 60)}`;
}

/**
 * The lines coreutils `stat PATH` prints for `st` (its default format, coreutils 8.31 and later).
 *
 * @example
 * ```ts
 * import { Loop, lstat } from "ringside-uring";
 * const loop = new Loop();
 * console.log(formatStat("/etc/hostname", await lstat(loop, "/etc/hostname"), idNames("/etc/passwd"), idNames("/etc/group")));
 * ```
 */
export function formatStat(
  path: string, st: Statx, users: Map<number, string>, groups: Map<number, string>, target?: string,
): string {
  const type = fileType(st.mode);
  const typeName = type === "file" && st.size === 0 ? "regular empty file" : TYPE_NAMES[type];
  const device = type === "char" || type === "block";
  const links = device ? `Links: ${String(st.nlink).padEnd(5)} Device type: ${st.rdevMajor},${st.rdevMinor}`
    : `Links: ${st.nlink}`;
  const perm = (st.mode & 0o7777).toString(8).padStart(4, "0");
  return [
    `  File: ${path}${target !== undefined ? ` -> ${target}` : ""}`,
    `  Size: ${String(st.size).padEnd(10)}\tBlocks: ${String(st.blocks).padEnd(10)} IO Block: ` +
    `${String(st.blksize).padEnd(6)} ${typeName}`,
    `Device: ${st.devMajor},${st.devMinor}\tInode: ${String(st.ino).padEnd(11)} ${links}`,
    `Access: (${perm}/${modeString(st.mode)})  Uid: (${String(st.uid).padStart(5)}/${
      (users.get(st.uid) ?? "UNKNOWN").padStart(8)
    })   Gid: (${String(st.gid).padStart(5)}/${(groups.get(st.gid) ?? "UNKNOWN").padStart(8)})`,
    `Access: ${formatTime(st.atime)}`,
    `Modify: ${formatTime(st.mtime)}`,
    `Change: ${formatTime(st.ctime)}`,
    ` Birth: ${st.mask & STATX_BTIME ? formatTime(st.btime) : "-"}`,
  ].join("\n");
}

if (import.meta.main) {
  const paths = process.argv.slice(2);
  if (paths.length === 0) {
    console.error("usage: stat.ts PATH...");
    process.exit(2);
  }
  const users = idNames("/etc/passwd");
  const groups = idNames("/etc/group");
  const loop = new Loop();
  // Every statx is submitted before the first is awaited: one io_uring_enter for all of them.
  const answers = paths.map((p) =>
    lstat(loop, p, { mask: STATX_BASIC_STATS | STATX_BTIME }).then((st) => ({ st }), (error: unknown) => ({ error }))
  );
  let status = 0;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const a = await answers[i]!;
    if ("error" in a) {
      const e = a.error;
      const why = e instanceof UringError && e.errno ? errnoMessage(e.errno) : String((e as Error).message ?? e);
      console.error(`stat: cannot statx '${path}': ${why}`);
      status = 1;
      continue;
    }
    let target: string | undefined;
    if (fileType(a.st.mode) === "symlink") {
      try {
        target = readlinkSync(path);
      } catch {
        target = "?";
      }
    }
    console.log(formatStat(path, a.st, users, groups, target));
  }
  await loop.close();
  process.exit(status);
}
