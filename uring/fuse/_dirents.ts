/**
 * The READDIR / READDIRPLUS reply writer: `struct fuse_dirent` records (each a `fuse_entry_out` first for
 * READDIRPLUS), names as the kernel's bytes, every record padded to 8 bytes (fs/fuse/readdir.c FUSE_DIRENT_SIZE).
 *
 * @module
 */
import { S_IFMT } from "../abi/structs.ts";
import { putU64 } from "../abi/_u64.ts";
import { fuse_dirent, fuse_direntplus } from "./abi.ts";
import type { DirentWriter, Entry } from "./handlers.ts";
import { checkName, encodeNameInto } from "./_names.ts";

/** Writes a `fuse_entry_out` (the dispatcher's, with its default timeouts). */
export type EntryWriter = (v: DataView, off: number, e: Entry) => void;

/** The READDIR / READDIRPLUS reply writer over a payload area, reset for each request. */
export class Dirents implements DirentWriter {
  size = 0;
  used = 0;
  private view!: DataView;
  private bytes!: Uint8Array;
  private readonly writeEntry: EntryWriter;

  constructor(writeEntry: EntryWriter) {
    this.writeEntry = writeEntry;
  }

  reset(view: DataView, bytes: Uint8Array, size: number): void {
    this.view = view;
    this.bytes = bytes;
    this.size = size;
    this.used = 0;
  }

  add(name: string | Uint8Array, ino: number, mode: number, nextOffset: number): boolean {
    return this.put(name, ino, mode, nextOffset, null);
  }

  addPlus(name: string | Uint8Array, entry: Entry, nextOffset: number): boolean {
    return this.put(name, entry.ino, entry.attr.mode, nextOffset, entry);
  }

  private put(name: string | Uint8Array, ino: number, mode: number, nextOffset: number, entry: Entry | null):
    boolean {
    const head = entry ? fuse_direntplus.SIZE : fuse_dirent.SIZE;
    const at = this.used;
    const room = this.size - at - head;
    if (room <= 0) return false;
    // The name goes straight into the reply; a name that does not fit is not added.
    const dst = this.bytes.subarray(at + head, at + head + room);
    const written = encodeNameInto(name, dst);
    if (written < 0) {
      // Too long for what is left: still refuse a name the kernel could never take, whatever the room.
      if (typeof name !== "string") checkName(name, "a directory entry", true);
      return false;
    }
    checkName(dst.subarray(0, written), "a directory entry", true);
    const rec = (head + written + 7) & ~7;
    if (at + rec > this.size) return false;
    const v = this.view;
    const d = at + (entry ? fuse_direntplus.dirent : 0);
    if (entry) this.writeEntry(v, at, entry);
    putU64(v, d + fuse_dirent.ino, ino);
    putU64(v, d + fuse_dirent.off, nextOffset);
    v.setUint32(d + fuse_dirent.namelen, written, true);
    v.setUint32(d + fuse_dirent.type, (mode & S_IFMT) >>> 12, true);
    this.bytes.fill(0, at + head + written, at + rec);
    this.used = at + rec;
    return true;
  }
}
