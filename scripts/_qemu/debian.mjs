// Debian's kernels for scripts/kernels.mjs: finds this machine's Debian mirror in /etc/apt, keeps an apt state of
// its own per suite (sources list, lists, cache) under the cache directory, resolves the suite's current kernel
// image package from its Packages index (what linux-image-amd64 depends on) and extracts it (dpkg-deb -x, never
// installed). Plain Node, no dependencies.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The kernels we know how to fetch: the short name used on the command line, and the Debian suite. */
export const KERNELS = [
  { name: "5.10", suite: "bullseye" },
  { name: "6.1", suite: "bookworm" },
  { name: "6.12", suite: "trixie" },
  { name: "7.x", suite: "sid" },
];

const ARCH = "amd64";
const DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

function log(line) {
  console.error(`kernels: ${line}`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  return r;
}

// --- the machine's mirror --------------------------------------------------------------------------------------

/** Entries of a one-line sources.list: { types, uris, suites, components, signedBy }. */
function parseOneLine(text) {
  const out = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const opts = Object.fromEntries(
      (m[2] ?? "").trim().split(/\s+/).filter(Boolean).map((kv) => kv.split("=")),
    );
    out.push({
      types: [m[1]],
      uris: [m[3]],
      suites: [m[4]],
      components: m[5].split(/\s+/).filter(Boolean),
      signedBy: opts["signed-by"] ?? null,
    });
  }
  return out;
}

/** Entries of a deb822 .sources file. */
function parseDeb822(text) {
  const out = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = {};
    let last = null;
    for (const raw of stanza.split("\n")) {
      if (raw.startsWith("#")) continue;
      if (/^\s/.test(raw) && last) {
        fields[last] += "\n" + raw.trim();
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) {
        last = m[1].toLowerCase();
        fields[last] = m[2];
      }
    }
    if (!fields.uris || !fields.suites) continue;
    if ((fields.enabled ?? "yes").toLowerCase() === "no") continue;
    const words = (s) => (s ?? "").split(/\s+/).filter(Boolean);
    const signedBy = fields["signed-by"] && !fields["signed-by"].includes("\n") ? fields["signed-by"].trim() : null;
    out.push({
      types: words(fields.types || "deb"),
      uris: words(fields.uris),
      suites: words(fields.suites),
      components: words(fields.components),
      signedBy,
    });
  }
  return out;
}

/** Every enabled source of this machine's apt configuration. */
export function machineSources() {
  const entries = [];
  const main = "/etc/apt/sources.list";
  if (existsSync(main)) entries.push(...parseOneLine(readFileSync(main, "utf8")));
  const dir = "/etc/apt/sources.list.d";
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (name.endsWith(".list")) entries.push(...parseOneLine(readFileSync(p, "utf8")));
      else if (name.endsWith(".sources")) entries.push(...parseDeb822(readFileSync(p, "utf8")));
    }
  }
  return entries.filter((e) => e.types.includes("deb"));
}

const CODENAMES = ["buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid", "unstable", "stable", "testing", "oldstable"];

/**
 * The Debian archive and security URIs configured on this machine, with their keyrings:
 * { archive: { uri, signedBy }, security: { uri, signedBy } | null }. The archive is the entry serving a plain
 * Debian suite (bookworm, ...), the security archive the one serving a `<suite>-security` suite.
 */
export function debianMirror() {
  const sources = machineSources();
  const baseOf = (s) => s.replace(/[-/](security|updates|backports|proposed-updates)$/, "").replace(/\/updates$/, "");
  let archive = null;
  let security = null;
  for (const e of sources) {
    for (const suite of e.suites) {
      const isDebian = CODENAMES.includes(baseOf(suite));
      if (!isDebian) continue;
      if (/-security$|\/updates$/.test(suite)) security ??= { uri: e.uris[0], signedBy: e.signedBy };
      else if (suite === baseOf(suite)) archive ??= { uri: e.uris[0], signedBy: e.signedBy };
    }
  }
  if (!archive) {
    throw new Error(
      "no Debian archive in /etc/apt/sources.list or /etc/apt/sources.list.d/*.{list,sources}; " +
        "kernels.mjs fetches Debian's kernel packages from the mirror configured there",
    );
  }
  return { archive, security };
}

// --- per-suite apt state ---------------------------------------------------------------------------------------

function sourcesFor(suite, mirror) {
  const line = (src, s) => {
    const keyring = src.signedBy ?? (existsSync(DEFAULT_KEYRING) ? DEFAULT_KEYRING : null);
    const opts = [`arch=${ARCH}`, ...(keyring ? [`signed-by=${keyring}`] : [])];
    return `deb [${opts.join(" ")}] ${src.uri} ${s} main`;
  };
  const lines = [line(mirror.archive, suite)];
  if (suite !== "sid" && suite !== "unstable") {
    lines.push(line(mirror.archive, `${suite}-updates`));
    if (mirror.security) lines.push(line(mirror.security, `${suite}-security`));
  }
  return lines.join("\n") + "\n";
}

function aptOptions(aptDir) {
  return [
    "-o", `Dir::Etc::sourcelist=${join(aptDir, "sources.list")}`,
    "-o", "Dir::Etc::sourceparts=-",
    "-o", `Dir::State::Lists=${join(aptDir, "lists")}`,
    "-o", `Dir::Cache=${join(aptDir, "cache")}`,
    // Not the machine's dpkg status: nothing here is installed, so no "Installed:" version gets in the way.
    "-o", `Dir::State::status=${join(aptDir, "status")}`,
    "-o", `APT::Architecture=${ARCH}`,
    "-o", "APT::Sandbox::User=root",
    "-o", "Acquire::Languages=none",
    "-o", "Debug::NoLocking=1",
  ];
}

/** How long a suite's package lists are used before `apt-get update` runs again (a failed download forces it). */
export const LISTS_MAX_AGE_MS = 6 * 3600_000;

/**
 * Runs `apt-get update` for one suite, unless its lists are fresh (younger than LISTS_MAX_AGE_MS and fetched from
 * the same sources) and `force` is false. On failure falls back to lists fetched earlier, if any.
 */
function updateSuite(aptDir, suite, mirror, force = false) {
  mkdirSync(join(aptDir, "lists", "partial"), { recursive: true });
  mkdirSync(join(aptDir, "cache", "archives", "partial"), { recursive: true });
  const sources = sourcesFor(suite, mirror);
  const stamp = join(aptDir, "updated");
  const fresh = existsSync(stamp) && readFileSync(stamp, "utf8") === sources &&
    Date.now() - statSync(stamp).mtimeMs < LISTS_MAX_AGE_MS;
  if (fresh && !force) return;
  writeFileSync(join(aptDir, "sources.list"), sources);
  if (!existsSync(join(aptDir, "status"))) writeFileSync(join(aptDir, "status"), "");
  rmSync(stamp, { force: true });
  const r = run("apt-get", [...aptOptions(aptDir), "-q", "update"], { timeout: 10 * 60_000 });
  const haveLists = readdirSync(join(aptDir, "lists")).some((f) => /_Packages(\.\w+)?$/.test(f));
  // apt-get update exits 0 with W: lines when one of several sources fails (a suite without -updates, ...).
  if (r.status !== 0) {
    if (!haveLists) throw new Error(`apt-get update for ${suite} failed:\n${r.stdout}${r.stderr}`);
    log(`apt-get update for ${suite} failed; using the package lists fetched earlier:\n${r.stderr.trim()}`);
  } else if (!haveLists) {
    throw new Error(`apt-get update for ${suite} fetched no Packages index:\n${r.stdout}${r.stderr}`);
  } else {
    writeFileSync(stamp, sources);
  }
}

/** The candidate version's fields of `pkg` (apt-cache show --no-all-versions), by lower-case name. */
function show(aptDir, pkg) {
  const r = run("apt-cache", [...aptOptions(aptDir), "show", "--no-all-versions", pkg]);
  if (r.status !== 0 || !r.stdout.trim()) throw new Error(`apt-cache show ${pkg} found nothing:\n${r.stderr}`);
  const fields = {};
  for (const m of r.stdout.split(/\n(?=\S)/).map((l) => /^([\w-]+):\s*([\s\S]*)$/.exec(l)).filter(Boolean)) {
    fields[m[1].toLowerCase()] = m[2].trim();
  }
  return fields;
}

/** The package names of a Depends field (alternatives left out). */
function dependsOf(fields) {
  return (fields.depends ?? "").split(",").map((d) => d.trim()).filter((d) => d && !d.includes("|"))
    .map((d) => d.split(/[\s(:]/)[0]);
}

/**
 * What one suite's current kernel is: { suite, image, abi, version, packages }. `image` is the package that
 * linux-image-amd64 depends on (linux-image-6.1.0-XX-amd64), `abi` the release that `uname -r` will show, and
 * `packages` the image package plus the packages of the same ABI it depends on (newer suites split the image into
 * linux-binary-*, linux-modules-* and linux-base-*).
 */
export function resolveKernel(aptDir, suite) {
  const image = dependsOf(show(aptDir, "linux-image-amd64")).find((n) => /^linux-image-\d/.test(n));
  if (!image) throw new Error(`linux-image-amd64 in ${suite} depends on no linux-image-<version> package`);
  const abi = image.slice("linux-image-".length);
  const fields = show(aptDir, image);
  const version = fields.version;
  const packages = [image, ...dependsOf(fields).filter((n) => n.endsWith(`-${abi}`) && !/-(headers|doc|dbg)-/.test(n))];
  return { suite, image, abi, version, packages: [...new Set(packages)] };
}

/** The kernel image and module tree inside an extracted package tree. */
function layout(root, abi) {
  const modules = [join(root, "usr", "lib", "modules", abi), join(root, "lib", "modules", abi)].find((p) => existsSync(p));
  // Newer packages (sid's linux-binary-*) put the image in the module tree rather than in /boot.
  const vmlinuz = [join(root, "boot", `vmlinuz-${abi}`), ...(modules ? [join(modules, "vmlinuz")] : [])]
    .find((p) => existsSync(p));
  return vmlinuz && modules ? { vmlinuz, modules } : null;
}

/**
 * Makes one suite's current kernel available under `cacheDir`, fetching and extracting it when it is not there
 * yet, and returns { name, suite, image, abi, version, packages, dir, vmlinuz, modules }. Older extracted kernels of
 * the same suite are removed.
 */
export function fetchKernel(cacheDir, { name, suite }, mirror, { refresh = false } = {}) {
  const aptDir = join(cacheDir, "apt", suite);
  updateSuite(aptDir, suite, mirror, refresh);
  try {
    return fetchResolved(cacheDir, name, suite, aptDir, resolveKernel(aptDir, suite));
  } catch (e) {
    if (refresh) throw e;
    // Lists older than the mirror (a kernel replaced since): refresh them once and try again.
    log(`${name}: ${e.message.split("\n")[0]}; refreshing ${suite}'s package lists and trying again`);
    updateSuite(aptDir, suite, mirror, true);
    return fetchResolved(cacheDir, name, suite, aptDir, resolveKernel(aptDir, suite));
  }
}

function fetchResolved(cacheDir, name, suite, aptDir, k) {
  const suiteDir = join(cacheDir, "kernels", suite);
  const dir = join(suiteDir, `${k.abi}_${k.version}`.replace(/[^A-Za-z0-9.+_-]/g, "_"));
  const stamp = join(dir, ".complete");
  if (!existsSync(stamp)) {
    rmSync(dir, { recursive: true, force: true });
    const debs = join(dir, ".debs");
    mkdirSync(debs, { recursive: true });
    log(`${name}: fetching ${k.packages.join(" ")} (${k.version}) from ${suite}`);
    const t0 = Date.now();
    const r = run("apt-get", [...aptOptions(aptDir), "-q", "download", ...k.packages], { cwd: debs, timeout: 20 * 60_000 });
    if (r.status !== 0) throw new Error(`apt-get download ${k.packages.join(" ")} failed:\n${r.stdout}${r.stderr}`);
    for (const deb of readdirSync(debs).filter((f) => f.endsWith(".deb"))) {
      const x = run("dpkg-deb", ["-x", join(debs, deb), join(dir, "root")]);
      if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb} failed:\n${x.stderr}`);
    }
    rmSync(debs, { recursive: true, force: true });
    if (!layout(join(dir, "root"), k.abi)) {
      throw new Error(`${k.packages.join(" ")} has no vmlinuz (boot/vmlinuz-${k.abi} or modules/${k.abi}/vmlinuz) and modules/${k.abi} tree`);
    }
    writeFileSync(stamp, JSON.stringify(k, null, 2) + "\n");
    log(`${name}: extracted into ${dir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const other of readdirSync(suiteDir)) {
      const p = join(suiteDir, other);
      if (p !== dir && statSync(p).isDirectory()) rmSync(p, { recursive: true, force: true });
    }
  }
  return { name, ...k, dir, ...layout(join(dir, "root"), k.abi) };
}
