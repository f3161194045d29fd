/**
 * The incremental HTTP/1.x request parser of examples/http_server.ts: request heads in, {@link HttpRequest}s out,
 * bodies skipped (`Content-Length` and `Transfer-Encoding: chunked`), bad input answered with one error status.
 *
 * It reads line by line and keeps only the line in progress between chunks, so what it reports depends on the bytes
 * alone, never on where the reads split them (examples/http_parser_fuzz_test.ts checks this against a whole-input
 * reference). Every limit is a property of the bytes too: a request line longer than {@link REQUEST_LINE_LIMIT}
 * bytes is 414 however it arrives, a head longer than {@link HEAD_LIMIT} is 431, as soon as the bytes received
 * prove it.
 *
 * The rules (RFC 9112), and the choices made where the RFC leaves one:
 * - Lines end in CRLF or a bare LF (section 2.2 lets a recipient accept LF alone); a CR anywhere else is 400.
 * - Empty lines before a request line are skipped (section 2.2).
 * - Request line: `token SP target SP HTTP/d.d`, one space each; the target is visible ASCII. HTTP/1.0 and 1.1
 *   are served (1.2 and up as 1.1); another major version is 505; anything else 400.
 * - Field lines: `token ":" OWS value OWS`. Whitespace before the colon, obsolete line folding (a line starting
 *   with SP or HTAB) and control characters (NUL included) in a value are 400 (sections 5.1 and 5.2).
 * - HTTP/1.1 needs exactly one `Host` field, HTTP/1.0 at most one (section 3.2): 400 otherwise.
 * - `Content-Length`: digits only, one field line (a repeated one is 400 even when the values agree, and so is a
 *   list), at most 2^53 - 1.
 * - `Transfer-Encoding` (section 6.1): only in HTTP/1.1 and without `Content-Length` (400 otherwise: framing
 *   that cannot be trusted); its last coding must be `chunked` and chunked may appear once (400); codings before
 *   it other than gzip, deflate and compress are 501. Chunked bodies are skipped: sizes in hex (extensions allowed),
 *   data, CRLF, and the trailer section after the last chunk.
 * - Limits: {@link REQUEST_LINE_LIMIT} (414), {@link HEAD_LIMIT} and {@link MAX_HEADERS} (431),
 *   {@link CHUNK_LINE_LIMIT} (400), trailers {@link HEAD_LIMIT} (431).
 *
 * A request is reported when its head is complete, before its body has arrived (a server may answer then); a
 * framing error in the body that follows is reported as an error after it. After a request that ends the
 * connection (`keepAlive` false) or an error, nothing more is parsed.
 *
 * @module
 */

/** One request head, as {@link RequestParser} reports it. */
export interface HttpRequest {
  /** The method (`GET`), or `""` for input that is not a request (see `error`). */
  method: string;
  /** The request target as sent (`/`, `/a?b=1`). */
  target: string;
  /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
  minor: number;
  /** Whether the connection stays open after the response (the version's default and `Connection`). */
  keepAlive: boolean;
  /** The status to answer with when the input cannot be parsed (400, 414, 431, 501, 505); 0 for a valid request. */
  error: number;
}

/** The most request objects a parser keeps for reuse (a pipelined batch). */
const MAX_SPARE = 64;

/** The longest request line accepted, in bytes before its LF (CR included); longer ones get 414. */
export const REQUEST_LINE_LIMIT = 8 * 1024;
/** The longest request head accepted (request line, field lines and the empty line, every LF counted); 431. */
export const HEAD_LIMIT = 16 * 1024;
/** The most field lines in one head; one more is 431. */
export const MAX_HEADERS = 100;
/** The longest chunk-size line (size and extensions) accepted, in bytes before its LF; longer ones get 400. */
export const CHUNK_LINE_LIMIT = 4 * 1024;

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const SEMICOLON = 59;

/** What the parser expects next. */
const REQUEST_LINE = 0;
const HEADERS = 1;
const BODY = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_END = 5;
const TRAILERS = 6;

/** tchar of RFC 9110 section 5.6.2: the bytes of a token (methods, field names). */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}
/** The value of a hex digit, or 255. */
const HEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 16; i++) {
  HEX["0123456789abcdef".charCodeAt(i)] = i;
  HEX["0123456789ABCDEF".charCodeAt(i)] = i;
}
/** Transfer codings that may come before the final `chunked`: the body is skipped, so none needs decoding. */
const KNOWN_CODINGS = new Set(["gzip", "x-gzip", "deflate", "compress", "x-compress"]);

/**
 * An incremental HTTP/1.x request parser (the rules are in this module's doc). Feed it each chunk as it arrives
 * (views it does not keep: an incomplete line is copied out); it appends every complete request head to `out` in
 * order, skips bodies, and stops after a request that ends the connection or an error.
 *
 * @example
 * ```ts
 * const p = new RequestParser();
 * const out: HttpRequest[] = [];
 * p.push(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HT"), out); // one request
 * p.push(new TextEncoder().encode("TP/1.1\r\nHost: a\r\n\r\n"), out); // the second
 * p.push(new TextEncoder().encode("GET / HTTP/3.0\r\n\r\n"), out); // { error: 505, keepAlive: false, ... }
 * ```
 */
export class RequestParser {
  /** Whether a request ended the connection or the input was bad: nothing more is parsed. */
  done = false;
  private phase = REQUEST_LINE;
  /** The line in progress, when a chunk ended inside one. */
  private carry = new Uint8Array(0);
  private carryLength = 0;
  /** Body bytes left to skip (BODY, CHUNK_DATA). */
  private bodyLeft = 0;
  /** Bytes of the head (HEADERS) or trailer section (TRAILERS) so far, every LF counted. */
  private sectionBytes = 0;
  // The request whose head is being read.
  private method = "";
  private target = "";
  private minor = 1;
  private headers = 0;
  private close = false;
  private keepAlive = false;
  private hosts = 0;
  private contentLength = -1;
  private codings: string[] | null = null;
  /** Request objects given back with {@link recycle}, filled again by the next requests. */
  private readonly spare: HttpRequest[] = [];

  /**
   * Empties `requests` (answered, and no longer looked at) and keeps their objects for the next requests: a server
   * that parses a request per message then makes no garbage for it.
   *
   * @param requests Requests this parser reported.
   */
  recycle(requests: HttpRequest[]): void {
    for (let i = 0; i < requests.length && this.spare.length < MAX_SPARE; i++) this.spare.push(requests[i]!);
    requests.length = 0;
  }

  /**
   * Parses `chunk` (after whatever line was left incomplete before) and appends the complete request heads, and at
   * most one error, to `out`.
   *
   * @param chunk The bytes received; not kept.
   * @param out Where requests go, in order.
   * @param from Where the new bytes start in `chunk` (default 0).
   * @param to Where they end (default `chunk.byteLength`): a range of a larger buffer needs no view of its own.
   */
  push(chunk: Uint8Array, out: HttpRequest[], from = 0, to: number = chunk.byteLength): void {
    if (this.done) return;
    const len = to;
    let pos = from;
    if (this.carryLength > 0) {
      const found = chunk.indexOf(LF, pos);
      const lf = found < len ? found : -1;
      const take = (lf < 0 ? len : lf) - pos;
      if (this.carryLength + take > this.lineLimit()) return this.fail(this.limitStatus(), out);
      this.keep(chunk, pos, pos + take);
      if (lf < 0) return;
      const n = this.carryLength;
      this.carryLength = 0;
      this.line(this.carry, 0, n, out);
      pos = lf + 1;
    }
    while (pos < len && !this.done) {
      const phase = this.phase;
      if (phase === BODY || phase === CHUNK_DATA) {
        const n = Math.min(this.bodyLeft, len - pos);
        pos += n;
        this.bodyLeft -= n;
        if (this.bodyLeft === 0) this.phase = phase === BODY ? REQUEST_LINE : CHUNK_END;
        continue;
      }
      const found = chunk.indexOf(LF, pos);
      const lf = found < len ? found : -1;
      const end = lf < 0 ? len : lf;
      // A line longer than the limit is refused as soon as its bytes are here, whether or not its LF is.
      if (end - pos > this.lineLimit()) return this.fail(this.limitStatus(), out);
      if (lf < 0) {
        this.keep(chunk, pos, len);
        return;
      }
      this.line(chunk, pos, lf, out);
      pos = lf + 1;
    }
  }

  /** The most bytes the current line may have before its LF. */
  private lineLimit(): number {
    switch (this.phase) {
      case REQUEST_LINE:
        return REQUEST_LINE_LIMIT;
      case HEADERS:
      case TRAILERS:
        return HEAD_LIMIT - this.sectionBytes - 1;
      case CHUNK_SIZE:
        return CHUNK_LINE_LIMIT;
      default:
        return 1; // CHUNK_END: the CRLF after a chunk's data
    }
  }

  /** The status of a line over {@link lineLimit}. */
  private limitStatus(): number {
    const phase = this.phase;
    return phase === REQUEST_LINE ? 414 : phase === HEADERS || phase === TRAILERS ? 431 : 400;
  }

  /** Copies `data[from, to)` after the incomplete line kept so far. */
  private keep(data: Uint8Array, from: number, to: number): void {
    const need = this.carryLength + to - from;
    if (this.carry.byteLength < need) {
      const bigger = new Uint8Array(Math.max(need, 2 * this.carry.byteLength, 256));
      bigger.set(this.carry.subarray(0, this.carryLength));
      this.carry = bigger;
    }
    this.carry.set(data.subarray(from, to), this.carryLength);
    this.carryLength = need;
  }

  private fail(status: number, out: HttpRequest[]): void {
    out.push({ method: "", target: "", minor: 1, keepAlive: false, error: status });
    this.done = true;
    this.carryLength = 0;
  }

  /** One complete line: `data[start, lf)`, LF excluded (a CR before it is stripped here). */
  private line(data: Uint8Array, start: number, lf: number, out: HttpRequest[]): void {
    const end = lf > start && data[lf - 1] === CR ? lf - 1 : lf;
    switch (this.phase) {
      case REQUEST_LINE:
        if (end === start) return; // an empty line before the request line
        this.sectionBytes = lf - start + 1;
        return this.requestLine(data, start, end, out);
      case HEADERS:
        this.sectionBytes += lf - start + 1;
        if (end === start) return this.endOfHead(out);
        return this.fieldLine(data, start, end, out);
      case CHUNK_SIZE:
        return this.chunkSize(data, start, end, out);
      case CHUNK_END:
        if (end !== start) return this.fail(400, out);
        this.phase = CHUNK_SIZE;
        return;
      default: // TRAILERS
        this.sectionBytes += lf - start + 1;
        if (end === start) {
          this.phase = REQUEST_LINE;
          return;
        }
        if (fieldEnd(data, start, end) < 0) return this.fail(400, out);
    }
  }

  private requestLine(data: Uint8Array, start: number, end: number, out: HttpRequest[]): void {
    let p = start;
    while (p < end && TCHAR[data[p]!]) p++;
    if (p === start || p === end || data[p] !== SP) return this.fail(400, out);
    const methodEnd = p++;
    const targetStart = p;
    while (p < end && data[p]! > SP && data[p]! < 0x7f) p++;
    if (p === targetStart || p === end || data[p] !== SP) return this.fail(400, out);
    const targetEnd = p++;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT, exactly (case-sensitive).
    if (
      end - p !== 8 || data[p] !== 72 || data[p + 1] !== 84 || data[p + 2] !== 84 || data[p + 3] !== 80 ||
      data[p + 4] !== 47 || data[p + 6] !== 46
    ) return this.fail(400, out);
    const major = data[p + 5]! - 48;
    const minor = data[p + 7]! - 48;
    if (major < 0 || major > 9 || minor < 0 || minor > 9) return this.fail(400, out);
    if (major !== 1) return this.fail(505, out);
    this.method = interned(data, start, methodEnd);
    this.target = interned(data, targetStart, targetEnd);
    this.minor = minor === 0 ? 0 : 1;
    this.headers = 0;
    this.close = false;
    this.keepAlive = false;
    this.hosts = 0;
    this.contentLength = -1;
    this.codings = null;
    this.phase = HEADERS;
  }

  private fieldLine(data: Uint8Array, start: number, end: number, out: HttpRequest[]): void {
    if (++this.headers > MAX_HEADERS) return this.fail(431, out);
    const colon = fieldEnd(data, start, end);
    if (colon < 0) return this.fail(400, out);
    let v = colon + 1;
    let ve = end;
    while (v < ve && (data[v] === SP || data[v] === HT)) v++;
    while (ve > v && (data[ve - 1] === SP || data[ve - 1] === HT)) ve--;
    const nameLength = colon - start;
    const first = data[start]! | 0x20;
    if (nameLength === 4 && first === 104 && nameIs(data, start, "host")) {
      this.hosts++;
    } else if (nameLength === 10 && first === 99 && nameIs(data, start, "connection")) {
      for (const token of latin1(data, v, ve).toLowerCase().split(",")) {
        const t = token.trim();
        if (t === "close") this.close = true;
        else if (t === "keep-alive") this.keepAlive = true;
      }
    } else if (nameLength === 14 && first === 99 && nameIs(data, start, "content-length")) {
      if (this.contentLength >= 0 || v === ve) return this.fail(400, out);
      let n = 0;
      for (let i = v; i < ve; i++) {
        const d = data[i]! - 48;
        if (d < 0 || d > 9) return this.fail(400, out);
        n = n * 10 + d;
        if (n > Number.MAX_SAFE_INTEGER) return this.fail(400, out);
      }
      this.contentLength = n;
    } else if (nameLength === 17 && first === 116 && nameIs(data, start, "transfer-encoding")) {
      this.codings ??= [];
      for (const c of latin1(data, v, ve).toLowerCase().split(",")) {
        const t = c.trim();
        if (t !== "") this.codings.push(t);
      }
    }
  }

  private endOfHead(out: HttpRequest[]): void {
    if (this.hosts > 1 || (this.minor === 1 && this.hosts === 0)) return this.fail(400, out);
    let chunked = false;
    const codings = this.codings;
    if (codings !== null) {
      if (this.minor === 0 || this.contentLength >= 0 || codings.length === 0) return this.fail(400, out);
      const last = codings.length - 1;
      if (codings[last] !== "chunked") return this.fail(400, out);
      for (let i = 0; i < last; i++) {
        if (codings[i] === "chunked") return this.fail(400, out);
        if (!KNOWN_CODINGS.has(codings[i]!)) return this.fail(501, out);
      }
      chunked = true;
    }
    const keepAlive = !this.close && (this.minor === 1 || this.keepAlive);
    const r = this.spare.pop();
    if (r === undefined) {
      out.push({ method: this.method, target: this.target, minor: this.minor, keepAlive, error: 0 });
    } else {
      r.method = this.method;
      r.target = this.target;
      r.minor = this.minor;
      r.keepAlive = keepAlive;
      r.error = 0;
      out.push(r);
    }
    if (!keepAlive) {
      this.done = true;
      this.carryLength = 0;
    } else if (chunked) {
      this.phase = CHUNK_SIZE;
    } else if (this.contentLength > 0) {
      this.bodyLeft = this.contentLength;
      this.phase = BODY;
    } else {
      this.phase = REQUEST_LINE;
    }
  }

  /** chunk-size [ chunk-ext ]: hex digits, then nothing or `;` extensions (RFC 9112 section 7.1.1). */
  private chunkSize(data: Uint8Array, start: number, end: number, out: HttpRequest[]): void {
    let p = start;
    let size = 0;
    while (p < end && HEX[data[p]!] !== 255) {
      size = size * 16 + HEX[data[p]!]!;
      if (size > Number.MAX_SAFE_INTEGER) return this.fail(400, out);
      p++;
    }
    if (p === start) return this.fail(400, out);
    if (p < end) {
      let q = p;
      while (q < end && (data[q] === SP || data[q] === HT)) q++;
      if (q === end || data[q] !== SEMICOLON) return this.fail(400, out);
      for (; q < end; q++) {
        const c = data[q]!;
        if ((c < SP && c !== HT) || c === 0x7f) return this.fail(400, out);
      }
    }
    if (size === 0) {
      this.sectionBytes = 0;
      this.phase = TRAILERS;
    } else {
      this.bodyLeft = size;
      this.phase = CHUNK_DATA;
    }
  }
}

/**
 * Checks a field line `token ":" value` at [start, end) (no CR or LF in it): returns the colon's index, or -1 when
 * the name is empty or not a token (whitespace before the colon, obsolete folding) or the value holds a control
 * character other than HTAB.
 */
function fieldEnd(data: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end && TCHAR[data[p]!]) p++;
  if (p === start || p === end || data[p] !== COLON) return -1;
  for (let i = p + 1; i < end; i++) {
    const c = data[i]!;
    if ((c < SP && c !== HT) || c === 0x7f) return -1;
  }
  return p;
}

/** The longest method or target kept in {@link interned}'s table. */
const INTERN_MAX = 32;
/** {@link interned}'s table: a string per hash of its bytes (the last one seen with that hash). */
const INTERN = new Array<string>(256).fill("");

/**
 * The bytes at [from, to) as a string, one char per byte, without building a new string when the same short bytes
 * came before: a server sees the same few methods and targets over and over, and each string built is garbage.
 */
function interned(data: Uint8Array, from: number, to: number): string {
  const n = to - from;
  if (n > INTERN_MAX) return latin1(data, from, to);
  let h = n;
  for (let i = from; i < to; i++) h = (h * 31 + data[i]!) & 255;
  const s = INTERN[h]!;
  if (s.length === n) {
    let i = 0;
    while (i < n && s.charCodeAt(i) === data[from + i]) i++;
    if (i === n) return s;
  }
  return INTERN[h] = latin1(data, from, to);
}

/** The bytes at [from, to) as a string, one char per byte. */
function latin1(data: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(data[i]!);
  return s;
}

/** Whether the field name starting at `from` (its length already checked) is `lower`, ignoring ASCII case. */
function nameIs(data: Uint8Array, from: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((data[from + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
