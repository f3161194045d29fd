/**
 * Test support, not part of the library: compiles the small C programs under testing/ (the liburing oracle, the
 * seccomp helper) with gcc, once per source and flags, into a cache directory of this user under the system's
 * temporary directory. A later run with the same source and flags reuses the executable.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** Why gcc cannot build here, or undefined when it can. Cheap enough to call when tests are defined. */
export function ccUnavailable(): string | undefined {
  const gcc = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  if (gcc.error || gcc.status !== 0) return "gcc is missing (apt-get install gcc)";
  return undefined;
}

/**
 * The cache directory: `ringside-cc-<uid>` under the temporary directory, used only when this user owns it and no
 * one else may write to it (another user could have put an executable there); otherwise a fresh one.
 */
function cacheDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = join(tmpdir(), `ringside-cc-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // It exists already; checked below.
  }
  try {
    const st = lstatSync(dir);
    if (st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0) return dir;
  } catch {
    // Unreadable: fall back to a private directory.
  }
  return mkdtempSync(join(tmpdir(), "ringside-cc-"));
}

/**
 * Builds `source` (a path) with gcc and `flags` unless the cache has it, and returns the executable's path. The
 * executable is named after the source's base name and a hash of its text, the flags, gcc's version and `inputs`,
 * so a changed source is rebuilt; it is written under a temporary name and renamed, so concurrent builds never see
 * half a file. Throws with gcc's messages when the build fails.
 *
 * @param source The C file.
 * @param flags gcc's options besides `-o` and the source (`["-O1", "-Wall", "-Werror"]`).
 * @param inputs Other files the build reads (headers outside the compiler's own), whose change asks for a rebuild.
 * @returns The path of the executable.
 */
export function buildC(source: string, flags: readonly string[], inputs: readonly string[] = []): string {
  const hasher = createHash("sha256").update(readFileSync(source)).update(flags.join("\0"))
    .update(spawnSync("gcc", ["-dumpfullversion"], { encoding: "utf8" }).stdout ?? "");
  for (const f of inputs) hasher.update(readFileSync(f));
  const hash = hasher.digest("hex").slice(0, 16);
  const base = (source.split("/").pop() ?? "prog").replace(/\.c$/, "");
  const dir = cacheDir();
  const out = join(dir, `${base}-${hash}`);
  if (existsSync(out)) return out;
  const partial = `${out}.${process.pid}.tmp`;
  const cc = spawnSync("gcc", [...flags, "-o", partial, source], { encoding: "utf8" });
  if (cc.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`Cannot build ${source}: gcc exited with ${cc.status}: ${cc.stderr || cc.error}`);
  }
  chmodSync(partial, 0o755);
  renameSync(partial, out);
  return out;
}
