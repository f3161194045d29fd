/**
 * A file's contents as sparse pages: a map from page index to the bytes stored for that page, so that a hole (a
 * range never written, or punched out) costs no memory and reads back as zeros, and the storage every file uses
 * is charged to one {@link Space} that answers ENOSPC when the filesystem is full.
 *
 * A page covers {@link PAGE_SIZE} bytes of the file. Its storage starts at the page's first byte and is a whole
 * number of {@link BLOCK}s long, grown (doubling) as writes reach further into the page, so a small file costs a
 * block or two rather than a whole page. Bytes of a page past its storage are a hole too: SEEK_HOLE finds them.
 *
 * The file's size is the caller's: these pages know nothing of it, and never hold data past it because the caller
 * truncates them when the file shrinks.
 *
 * @module
 */
import { FuseError } from "ringside-uring/fuse";

/** Bytes of the file one page covers. */
export const PAGE_SIZE = 64 * 1024;
/** The unit a page's storage grows by, and the block size statfs and `st_blocks` count in. */
export const BLOCK = 4096;

/** Zeros that holes are read from: never written. */
const ZEROS = new Uint8Array(PAGE_SIZE);
/** Where a read across pages is assembled; reused, as the FUSE server copies a reply before taking the next. */
let scratch = new Uint8Array(0);

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/**
 * The storage a filesystem may use, in bytes, and how much of it is in use: file pages and extended attributes
 * are charged to it, and a charge that does not fit is refused with ENOSPC (as tmpfs refuses past its `size=`).
 *
 * @example
 * ```ts
 * const space = new Space(1 << 20);
 * space.charge(4096);
 * console.log(space.free); // 1044480
 * ```
 */
export class Space {
  /** Bytes in use. */
  used = 0;
  /** Bytes in all. */
  readonly capacity: number;

  /** @param capacity The bytes the filesystem may store. */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Bytes still free. */
  get free(): number {
    return this.capacity - this.used;
  }

  /** Takes `bytes`, or throws ENOSPC and takes nothing. */
  charge(bytes: number): void {
    if (bytes > this.free) throw new FuseError("ENOSPC");
    this.used += bytes;
  }

  /** Gives `bytes` back. */
  credit(bytes: number): void {
    this.used -= bytes;
  }
}

/**
 * One file's contents, page by page. Offsets are byte offsets in the file.
 *
 * @example
 * ```ts
 * const pages = new Pages(new Space(1 << 30));
 * pages.write(5 << 30, new TextEncoder().encode("far out")); // one block stored, 5 GiB of hole before it
 * console.log(pages.stored, pages.read(0, 4)); // 4096 Uint8Array(4) [0, 0, 0, 0]
 * ```
 */
export class Pages {
  /** Bytes of storage these pages hold (charged to the space). */
  stored = 0;
  private readonly pages = new Map<number, Uint8Array>();
  private readonly space: Space;

  /** @param space Where storage is charged. */
  constructor(space: Space) {
    this.space = space;
  }

  /**
   * `length` bytes from `offset`, holes as zeros. The result may be a view of the stored page or of a buffer that
   * the next read reuses: copy what you keep.
   */
  read(offset: number, length: number): Uint8Array {
    const index = Math.floor(offset / PAGE_SIZE);
    const at = offset - index * PAGE_SIZE;
    if (at + length <= PAGE_SIZE) {
      // Within one page: a view, no copy.
      const page = this.pages.get(index);
      if (!page) return ZEROS.subarray(0, length);
      if (at + length <= page.byteLength) return page.subarray(at, at + length);
    }
    if (scratch.byteLength < length) scratch = new Uint8Array(Math.max(length, scratch.byteLength * 2));
    const out = scratch.subarray(0, length);
    for (let done = 0; done < length;) {
      const pos = offset + done;
      const i = Math.floor(pos / PAGE_SIZE);
      const from = pos - i * PAGE_SIZE;
      const n = Math.min(length - done, PAGE_SIZE - from);
      const page = this.pages.get(i);
      const have = page ? Math.max(0, Math.min(n, page.byteLength - from)) : 0;
      if (have > 0) out.set(page!.subarray(from, from + have), done);
      out.fill(0, done + have, done + n);
      done += n;
    }
    return out;
  }

  /**
   * Stores `data` at `offset` and answers how many bytes were stored: all of them, or fewer when the space ran out
   * on the way (a short write, as a full disk gives); ENOSPC when not even the first byte fit.
   */
  write(offset: number, data: Uint8Array): number {
    let done = 0;
    while (done < data.byteLength) {
      const pos = offset + done;
      const i = Math.floor(pos / PAGE_SIZE);
      const at = pos - i * PAGE_SIZE;
      const n = Math.min(data.byteLength - done, PAGE_SIZE - at);
      let page: Uint8Array;
      try {
        page = this.reserve(i, at + n);
      } catch (e) {
        if (done > 0) return done;
        throw e;
      }
      page.set(n === data.byteLength ? data : data.subarray(done, done + n), at);
      done += n;
    }
    return done;
  }

  /**
   * Stores zeros wherever the range is a hole, so that later writes there cannot run out of space
   * (fallocate mode 0 and FALLOC_FL_KEEP_SIZE). All or nothing: ENOSPC, with nothing stored, when it does not fit.
   */
  allocate(offset: number, length: number): void {
    // Every byte of the range needs storage; what these pages hold already is the most that can be reused. This
    // refuses a range far beyond the capacity before walking its pages.
    if (length - this.stored > this.space.free) throw new FuseError("ENOSPC");
    const end = offset + length;
    const first = Math.floor(offset / PAGE_SIZE);
    const last = Math.floor((end - 1) / PAGE_SIZE);
    let need = 0;
    for (let i = first; i <= last; i++) {
      const reach = i === last ? end - i * PAGE_SIZE : PAGE_SIZE;
      need += Math.max(0, this.grownLength(this.pages.get(i), reach) - (this.pages.get(i)?.byteLength ?? 0));
    }
    if (need > this.space.free) throw new FuseError("ENOSPC");
    for (let i = first; i <= last; i++) this.reserve(i, i === last ? end - i * PAGE_SIZE : PAGE_SIZE);
  }

  /** Makes the range a hole (FALLOC_FL_PUNCH_HOLE): pages it covers whole are dropped, the parts of others zeroed. */
  punch(offset: number, length: number): void {
    const end = offset + length;
    for (const [i, page] of this.pages) {
      const start = i * PAGE_SIZE;
      if (start + PAGE_SIZE <= offset || start >= end) continue;
      if (offset <= start && end >= start + PAGE_SIZE) {
        this.drop(i, page);
      } else {
        page.fill(0, Math.max(0, offset - start), Math.max(0, Math.min(page.byteLength, end - start)));
      }
    }
  }

  /**
   * The file shrinks to `size`: storage past it is dropped or given back, and the bytes of the last page past it
   * zeroed, so that growing the file again reads zeros there.
   */
  truncate(size: number): void {
    for (const [i, page] of this.pages) {
      const start = i * PAGE_SIZE;
      if (start >= size) {
        this.drop(i, page);
      } else if (start + page.byteLength > size) {
        const keep = roundUp(size - start, BLOCK);
        if (keep < page.byteLength) {
          const smaller = page.slice(0, keep);
          this.pages.set(i, smaller);
          this.stored -= page.byteLength - keep;
          this.space.credit(page.byteLength - keep);
          smaller.fill(0, size - start);
        } else {
          page.fill(0, size - start);
        }
      }
    }
  }

  /** Gives all storage back (the file is gone). */
  clear(): void {
    this.space.credit(this.stored);
    this.stored = 0;
    this.pages.clear();
  }

  /**
   * SEEK_DATA: the first offset from `offset` (and before `size`) that has storage, or -1 when there is none (the
   * kernel's ENXIO).
   */
  seekData(offset: number, size: number): number {
    let best = -1;
    for (const [i, page] of this.pages) {
      const start = i * PAGE_SIZE;
      const end = start + page.byteLength;
      if (end <= offset) continue;
      const at = Math.max(start, offset);
      if (at < size && (best < 0 || at < best)) best = at;
    }
    return best;
  }

  /**
   * SEEK_HOLE: the first offset from `offset` (before `size`) that has no storage, or `size` itself: the end of the
   * file counts as a hole (lseek(2)). The caller answers ENXIO for an offset at or past the size.
   */
  seekHole(offset: number, size: number): number {
    let pos = offset;
    while (pos < size) {
      const i = Math.floor(pos / PAGE_SIZE);
      const page = this.pages.get(i);
      const dataEnd = i * PAGE_SIZE + (page?.byteLength ?? 0);
      if (pos >= dataEnd) return pos;
      pos = dataEnd;
    }
    return size;
  }

  /** The length a page's storage grows to for holding `reach` bytes: doubling, in whole blocks, one page at most. */
  private grownLength(page: Uint8Array | undefined, reach: number): number {
    const have = page?.byteLength ?? 0;
    if (reach <= have) return have;
    return Math.min(PAGE_SIZE, Math.max(roundUp(reach, BLOCK), have * 2));
  }

  /** Page `i` with storage for its first `reach` bytes, charged to the space (ENOSPC when it does not fit). */
  private reserve(i: number, reach: number): Uint8Array {
    const page = this.pages.get(i);
    const length = this.grownLength(page, reach);
    if (page && length === page.byteLength) return page;
    const extra = length - (page?.byteLength ?? 0);
    this.space.charge(extra);
    this.stored += extra;
    const grown = new Uint8Array(length);
    if (page) grown.set(page);
    this.pages.set(i, grown);
    return grown;
  }

  private drop(i: number, page: Uint8Array): void {
    this.pages.delete(i);
    this.stored -= page.byteLength;
    this.space.credit(page.byteLength);
  }
}
