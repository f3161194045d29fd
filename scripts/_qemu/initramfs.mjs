// The initramfs scripts/kernels.mjs boots each kernel with: busybox-static, scripts/_qemu/init.sh as /init, and
// the kernel's own modules needed to mount the host's root over virtio 9p (plus overlayfs), decompressed, in
// dependency order, listed in /modules/order. Written as a gzip'd cpio "newc" archive by hand (no cpio needed).

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";

const HERE = dirname(fileURLToPath(import.meta.url));
export const INIT_TEMPLATE = join(HERE, "init.sh");

/** What init needs: the 9p filesystem, its virtio transport, the virtio PCI bus, and overlayfs (optional). */
export const WANTED_MODULES = ["virtio_pci", "9pnet_virtio", "9p", "overlay"];
const OPTIONAL_MODULES = new Set(["overlay"]);

/** Module names as the kernel knows them: dashes and underscores are the same. */
const norm = (name) => name.replace(/-/g, "_");

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.ko(\.(xz|zst|gz))?$/.test(e.name)) out.push(p);
  }
  return out;
}

/** A module file's contents, decompressed. */
function readModule(path) {
  if (path.endsWith(".ko")) return readFileSync(path);
  if (path.endsWith(".gz")) return gunzipSync(readFileSync(path));
  const tool = path.endsWith(".xz") ? "xz" : "zstd";
  const r = spawnSync(tool, ["-dc", path], { maxBuffer: 256 << 20 });
  if (r.error || r.status !== 0) {
    throw new Error(`cannot decompress ${path} with ${tool} (apt-get install ${tool === "xz" ? "xz-utils" : "zstd"}): ${r.error?.message ?? r.stderr}`);
  }
  return r.stdout;
}

/** The `depends=` of a module's .modinfo section (what depmod turns into modules.dep). */
function modinfoDepends(bytes) {
  const text = bytes.toString("latin1");
  const m = /\0depends=([^\0]*)\0/.exec(text) ?? /^depends=([^\0]*)\0/.exec(text);
  return m ? m[1].split(",").map((s) => s.trim()).filter(Boolean).map(norm) : [];
}

/**
 * The modules to load for `wanted`, dependencies first, from the kernel's tree. Debian's packages ship no
 * modules.dep (depmod runs at install time), so the dependencies are read from each module's modinfo, which is
 * what depmod records; modules.builtin says which are built into the kernel and need no loading.
 * Returns { order: [{ name, path, bytes }], builtin: [names], missing: [names] } and the equivalent modules.dep text.
 */
export function resolveModules(modulesDir, wanted = WANTED_MODULES) {
  const byName = new Map();
  for (const p of walk(join(modulesDir, "kernel"))) byName.set(norm(basename(p).replace(/\.ko(\..*)?$/, "")), p);
  const builtinFile = join(modulesDir, "modules.builtin");
  const builtin = new Set(
    existsSync(builtinFile)
      ? readFileSync(builtinFile, "utf8").split("\n").filter(Boolean).map((l) => norm(basename(l).replace(/\.ko$/, "")))
      : [],
  );
  const order = [];
  const seen = new Set();
  const builtins = [];
  const missing = [];
  const depLines = [];
  const visit = (name, chain) => {
    if (seen.has(name)) return;
    seen.add(name);
    const path = byName.get(name);
    if (!path) {
      if (builtin.has(name)) builtins.push(name);
      else if (!OPTIONAL_MODULES.has(name) || chain.length) missing.push(name);
      return;
    }
    const bytes = readModule(path);
    const deps = modinfoDepends(bytes);
    for (const d of deps) visit(d, [...chain, name]);
    depLines.push(`${relative(modulesDir, path)}: ${deps.map((d) => byName.get(d)).filter(Boolean).map((p) => relative(modulesDir, p)).join(" ")}`);
    order.push({ name, path, bytes });
  };
  for (const w of wanted) visit(norm(w), []);
  return { order, builtin: builtins, missing, modulesDep: depLines.join("\n") + "\n" };
}

// --- cpio newc ------------------------------------------------------------------------------------------------

function newcEntry(name, mode, data, ino) {
  const nameBytes = Buffer.from(name + "\0");
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
  const header = Buffer.from("070701" + fields.map((n) => n.toString(16).padStart(8, "0")).join(""), "ascii");
  const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  return [header, nameBytes, pad(header.length + nameBytes.length), data, pad(data.length)];
}

/** A gzip'd newc archive of `entries`: [{ name, type: "dir"|"file"|"symlink", mode?, data?, target? }]. */
export function cpioGz(entries) {
  const parts = [];
  let ino = 1;
  for (const e of entries) {
    if (e.type === "dir") parts.push(...newcEntry(e.name, 0o040000 | (e.mode ?? 0o755), Buffer.alloc(0), ino++));
    else if (e.type === "symlink") parts.push(...newcEntry(e.name, 0o120000 | 0o777, Buffer.from(e.target), ino++));
    else parts.push(...newcEntry(e.name, 0o100000 | (e.mode ?? 0o644), Buffer.from(e.data), ino++));
  }
  parts.push(...newcEntry("TRAILER!!!", 0, Buffer.alloc(0), 0));
  return gzipSync(Buffer.concat(parts), { level: 6 });
}

/** Where busybox-static puts its binary. */
export function findBusybox() {
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (!existsSync(p)) continue;
    // A dynamically linked busybox (Debian's busybox, not busybox-static) would need its libraries in the image.
    const head = readFileSync(p).subarray(0, 4096).toString("latin1");
    if (!head.includes("ld-linux")) return p;
  }
  return null;
}

/**
 * Writes the initramfs for one extracted kernel to `outPath` and returns what went in:
 * { path, size, modules: [names in load order], builtin, missing }.
 */
export function buildInitramfs(kernel, outPath) {
  const busybox = findBusybox();
  if (!busybox) throw new Error("no static busybox (apt-get install busybox-static)");
  const mods = resolveModules(kernel.modules);
  const hard = mods.missing.filter((m) => !OPTIONAL_MODULES.has(m));
  if (hard.length) {
    throw new Error(`${kernel.abi}: modules ${hard.join(", ")} are neither in ${kernel.modules} nor built in`);
  }
  const entries = [
    ...["bin", "dev", "proc", "sys", "tmp", "modules", "host", "newroot", "rw", "out"].map((name) => ({ name, type: "dir" })),
    { name: "bin/busybox", type: "file", mode: 0o755, data: readFileSync(busybox) },
    { name: "bin/sh", type: "symlink", target: "busybox" },
    { name: "init", type: "file", mode: 0o755, data: readFileSync(INIT_TEMPLATE) },
    { name: "modules/order", type: "file", data: mods.order.map((m) => m.name).join("\n") + "\n" },
    { name: "modules/modules.dep", type: "file", data: mods.modulesDep },
    ...mods.order.map((m) => ({ name: `modules/${m.name}.ko`, type: "file", data: m.bytes })),
  ];
  const gz = cpioGz(entries);
  writeFileSync(outPath, gz);
  return {
    path: outPath,
    size: statSync(outPath).size,
    modules: mods.order.map((m) => m.name),
    builtin: mods.builtin,
    missing: mods.missing,
  };
}
