// The uncompressed ELF kernel inside a bzImage, for QEMU's PVH boot (`-kernel vmlinux`): it skips the
// firmware's real-mode path and the kernel's own decompression, which under TCG takes about 10 of the ~18 seconds a
// boot to init takes. Used only for kernels built with CONFIG_PVH=y (all of Debian's amd64 kernels are), and only
// when what comes out is a whole ELF file; otherwise kernels.mjs boots the bzImage.

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const FORMATS = [
  { name: "xz", magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], cmd: ["xz", "-dc", "--single-stream"] },
  { name: "zstd", magic: [0x28, 0xb5, 0x2f, 0xfd], cmd: ["zstd", "-dc"] },
  { name: "gzip", magic: [0x1f, 0x8b, 0x08] },
];

/** Whether `buf` is a complete 64-bit little-endian ELF file (its section headers end within it). */
function wholeElf(buf) {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return false;
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  return shoff > 0 && shoff + shentsize * shnum <= buf.length;
}

function decompress(format, data) {
  if (format.name === "gzip") {
    try {
      return gunzipSync(data, { finishFlush: 2 /* Z_SYNC_FLUSH: tolerate what follows */ });
    } catch {
      return null;
    }
  }
  // zstd complains about the bytes after the frame and exits non-zero, having written the whole kernel first.
  const r = spawnSync(format.cmd[0], format.cmd.slice(1), { input: data, maxBuffer: 1 << 30 });
  return r.stdout?.length ? r.stdout : null;
}

/** Whether the kernel's config (boot/config-* or the module tree's config) has CONFIG_PVH=y. */
export function hasPvh(configPaths) {
  for (const p of configPaths) {
    if (existsSync(p)) return /^CONFIG_PVH=y$/m.test(readFileSync(p, "utf8"));
  }
  return false;
}

/**
 * Writes the ELF kernel found in `bzImage` to `out` (once; later calls reuse it) and returns `out`, or null when
 * none can be found.
 */
export function extractVmlinux(bzImage, out) {
  if (existsSync(out)) return out;
  const image = readFileSync(bzImage);
  for (const format of FORMATS) {
    let at = image.indexOf(Buffer.from(format.magic));
    // The first match can be a false one; try a few.
    for (let tries = 0; at >= 0 && tries < 4; tries++, at = image.indexOf(Buffer.from(format.magic), at + 1)) {
      const elf = decompress(format, image.subarray(at));
      if (elf && wholeElf(elf)) {
        writeFileSync(out + ".tmp", elf);
        renameSync(out + ".tmp", out);
        return out;
      }
    }
  }
  return null;
}
