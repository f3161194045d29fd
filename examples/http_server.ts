/**
 * An HTTP/1.1 hello-world server on the echo server's machinery (multishot accept, multishot recv over a shared
 * buffer ring): keep-alive connections, pipelined requests answered in one send, requests split across reads,
 * `Connection: close`, and HTTP/1.0 (closing unless it asks for keep-alive). `GET /` answers `Hello, World!`,
 * other paths 404, other methods 405.
 *
 *   bun examples/http_server.ts 8080             # then: curl http://127.0.0.1:8080/
 *   deno run -A examples/http_server.ts 8080
 *   bun examples/http_server.ts 0 --owning       # port 0: the kernel picks one; --owning: loop.run() owns the thread
 *
 * Arguments: `[PORT] [--host ADDRESS] [--owning]` (port 8080 and host 127.0.0.1 by default). Prints one line,
 * `listening on 127.0.0.1:8080`, once it listens; SIGINT or SIGTERM close the listener and every connection, then
 * the loop, and print `http_server: stopped` on stderr.
 *
 * Other programs (the benchmarks) import {@link serveHttp}; {@link RequestParser} is the incremental parser.
 *
 * @module
 */
import type { Loop } from "ringside-uring/loop";
import { NativeMemory } from "ringside-uring/core";
import { shutdown } from "ringside-uring/net";
import { type Connection, serve, type ServeOptions } from "ringside-uring/server";
import { SHUT_WR } from "ringside-uring/abi";
import { runServerExample } from "./echo_server.ts";

// ---- Parsing ----------------------------------------------------------------------------------------------------

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
  /** The status to answer with when the input cannot be parsed (400, 431, 501, 505); 0 for a valid request. */
  error: number;
}

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
/** The longest request head accepted (request line and headers); longer ones get 431. */
const MAX_HEAD = 16 * 1024;
const MAX_HEADERS = 100;

/**
 * An incremental HTTP/1.x request parser. Feed it each chunk as it arrives (views it does not keep: an incomplete
 * head is copied out); it reports every complete request head in order, skips `Content-Length` bodies, and stops
 * after a request that ends the connection (`keepAlive` false, or an `error`): input after it is ignored.
 *
 * @example
 * ```ts
 * const p = new RequestParser();
 * const out: HttpRequest[] = [];
 * p.push(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HT"), out); // one request
 * p.push(new TextEncoder().encode("TP/1.1\r\n\r\n"), out); // the second
 * ```
 */
export class RequestParser {
  /** Whether a request ended the connection: nothing more is parsed. */
  done = false;
  private carry = new Uint8Array(0);
  private carryLength = 0;
  private bodyLeft = 0;

  /**
   * Parses `chunk` (after whatever was left incomplete before) and appends the complete request heads to `out`.
   *
   * @param chunk The bytes received; not kept.
   * @param out Where requests go, in order.
   */
  push(chunk: Uint8Array, out: HttpRequest[]): void {
    if (this.done) return;
    let data = chunk;
    if (this.carryLength > 0) {
      data = new Uint8Array(this.carryLength + chunk.byteLength);
      data.set(this.carry.subarray(0, this.carryLength));
      data.set(chunk, this.carryLength);
      this.carryLength = 0;
    }
    let pos = 0;
    while (pos < data.byteLength && !this.done) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, data.byteLength - pos);
        pos += n;
        this.bodyLeft -= n;
        continue;
      }
      const end = this.head(data, pos, out);
      if (end < 0) break;
      pos = end;
    }
    const rest = data.byteLength - pos;
    if (this.done || rest === 0) return;
    if (rest > MAX_HEAD) return this.fail(431, out);
    if (this.carry.byteLength < rest) this.carry = new Uint8Array(Math.max(rest, 2 * this.carry.byteLength, 256));
    this.carry.set(data.subarray(pos));
    this.carryLength = rest;
  }

  private fail(status: number, out: HttpRequest[]): void {
    out.push({ method: "", target: "", minor: 1, keepAlive: false, error: status });
    this.done = true;
  }

  /** Parses the head starting at `start`: returns where the next thing starts, or -1 when the head is incomplete. */
  private head(data: Uint8Array, start: number, out: HttpRequest[]): number {
    const len = data.byteLength;
    let p = start;
    // A server should ignore empty lines before a request line (RFC 9112 section 2.2).
    while (p < len && (data[p] === CR || data[p] === LF)) p++;
    if (p === len) return len;
    let nl = data.indexOf(LF, p);
    if (nl < 0) return -1;
    let e = nl > p && data[nl - 1] === CR ? nl - 1 : nl;
    const sp1 = data.indexOf(SP, p);
    const sp2 = sp1 < 0 || sp1 >= e ? -1 : data.indexOf(SP, sp1 + 1);
    if (sp1 <= p || sp2 < 0 || sp2 >= e || sp2 === sp1 + 1) {
      this.fail(400, out);
      return len;
    }
    const minor = version(data, sp2 + 1, e);
    if (minor < 0) {
      this.fail(minor === -2 ? 505 : 400, out);
      return len;
    }
    const method = latin1(data, p, sp1);
    const target = latin1(data, sp1 + 1, sp2);
    let close = false;
    let keepAlive = false;
    let contentLength = 0;
    let headers = 0;
    for (;;) {
      const s = nl + 1;
      nl = data.indexOf(LF, s);
      if (nl < 0) return -1;
      e = nl > s && data[nl - 1] === CR ? nl - 1 : nl;
      if (e === s) break; // the empty line: end of the head
      if (++headers > MAX_HEADERS) {
        this.fail(431, out);
        return len;
      }
      const colon = data.indexOf(COLON, s);
      if (colon <= s || colon >= e || data[s] === SP || data[s] === HT) {
        this.fail(400, out); // no name, or obsolete line folding
        return len;
      }
      let v = colon + 1;
      let ve = e;
      while (v < ve && (data[v] === SP || data[v] === HT)) v++;
      while (ve > v && (data[ve - 1] === SP || data[ve - 1] === HT)) ve--;
      if (nameIs(data, s, colon, "connection")) {
        for (const token of latin1(data, v, ve).toLowerCase().split(",")) {
          const t = token.trim();
          if (t === "close") close = true;
          else if (t === "keep-alive") keepAlive = true;
        }
      } else if (nameIs(data, s, colon, "content-length")) {
        const n = ve > v && ve - v <= 15 ? Number(latin1(data, v, ve)) : NaN;
        if (!Number.isSafeInteger(n) || n < 0 || (contentLength !== 0 && n !== contentLength)) {
          this.fail(400, out);
          return len;
        }
        contentLength = n;
      } else if (nameIs(data, s, colon, "transfer-encoding")) {
        this.fail(501, out); // a body this server cannot frame (chunked uploads)
        return len;
      }
    }
    const alive = !close && (minor === 1 || keepAlive);
    out.push({ method, target, minor, keepAlive: alive, error: 0 });
    this.bodyLeft = contentLength;
    if (!alive) this.done = true;
    return nl + 1;
  }
}

/** The minor version of `HTTP/1.x` at [from, to): 0 or 1 (1.2 and up are served as 1.1), -2 another major, -1 junk. */
function version(data: Uint8Array, from: number, to: number): number {
  if (to - from !== 8 || latin1(data, from, from + 5) !== "HTTP/" || data[from + 6] !== 46) return -1;
  const major = data[from + 5]! - 48;
  const minor = data[from + 7]! - 48;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return -1;
  if (major !== 1) return -2;
  return minor === 0 ? 0 : 1;
}

function latin1(data: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(data[i]!);
  return s;
}

/** Whether the header name at [from, to) is `lower`, ignoring ASCII case. */
function nameIs(data: Uint8Array, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((data[from + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

// ---- Answering --------------------------------------------------------------------------------------------------

const BODY = "Hello, World!\n";
const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};
/** Copies of each response kept back to back, so that this many pipelined identical answers go out in one send. */
const REPEAT = 32;

/** The response to `req`, as a cache key: status, whether it is for HEAD, and the Connection header to send. */
function answerKey(req: HttpRequest): string {
  const conn = !req.keepAlive ? "close" : req.minor === 0 ? "keep-alive" : "";
  if (req.error) return `${req.error}||close`;
  const path = req.target.split("?", 1)[0];
  const status = req.method !== "GET" && req.method !== "HEAD" ? 405 : path === "/" ? 200 : 404;
  return `${status}|${req.method === "HEAD" ? "head" : ""}|${conn}`;
}

function answerText(key: string): string {
  const [s, head, conn] = key.split("|");
  const status = Number(s);
  const body = status === 200 ? BODY : `${REASONS[status]}\n`;
  return `HTTP/1.1 ${status} ${REASONS[status]}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${body.length}\r\n` +
    (status === 405 ? "Allow: GET, HEAD\r\n" : "") +
    (conn ? `Connection: ${conn}\r\n` : "") +
    "\r\n" + (head ? "" : body);
}

/**
 * The encoded responses of one server, in native memory so that sends use them in place (no copy per request):
 * each kind is made on first use, {@link REPEAT} copies back to back.
 */
class Answers {
  private readonly kinds = new Map<string, { one: number; all: Uint8Array }>();
  private readonly memory: NativeMemory[] = [];

  get(key: string): { one: number; all: Uint8Array } {
    let a = this.kinds.get(key);
    if (!a) {
      const bytes = new TextEncoder().encode(answerText(key));
      const mem = NativeMemory.allocate(bytes.byteLength * REPEAT);
      for (let i = 0; i < REPEAT; i++) mem.bytes.set(bytes, i * bytes.byteLength);
      this.memory.push(mem);
      a = { one: bytes.byteLength, all: mem.bytes };
      this.kinds.set(key, a);
    }
    return a;
  }

  /** Frees the responses: only once no send uses them (the server has stopped). */
  free(): void {
    for (const m of this.memory) m.free();
    this.memory.length = 0;
    this.kinds.clear();
  }
}

/** Sends the responses to `requests`, in order: runs of the same response go out as one send from native memory. */
async function answer(conn: Connection, answers: Answers, requests: HttpRequest[]): Promise<void> {
  const keys = requests.map(answerKey);
  for (let i = 0; i < keys.length;) {
    const key = keys[i]!;
    let n = 1;
    while (i + n < keys.length && n < REPEAT && keys[i + n] === key) n++;
    const a = answers.get(key);
    await conn.send(a.all.subarray(0, a.one * n));
    i += n;
  }
}

/** Where and how {@link serveHttp} listens: `port` (0 picks one), `host`, `signal` to stop, `onListen`, and more. */
export type HttpOptions = ServeOptions;

/**
 * Serves the hello-world HTTP/1.1 site on `loop` until `options.signal` aborts. In owning mode call it inside
 * `loop.run()`.
 *
 * @param loop The loop (the caller closes it afterwards).
 * @param options `port`, `host` (default 127.0.0.1), `signal`, `onListen(address)`, `bufferCount`, `bufferSize` ...
 * @returns Resolves once the server has stopped and every connection is closed; rejects when it cannot listen.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * const loop = new Loop();
 * const stop = new AbortController();
 * const served = serveHttp(loop, { port: 8080, signal: stop.signal });
 * // curl http://127.0.0.1:8080/  ->  Hello, World!
 * stop.abort();
 * await served;
 * await loop.close();
 * ```
 */
export async function serveHttp(loop: Loop, options: HttpOptions): Promise<void> {
  const answers = new Answers();
  try {
    await serve(loop, options, async (conn) => {
      const parser = new RequestParser();
      const requests: HttpRequest[] = [];
      let closing = false;
      for await (const chunk of conn.input) {
        if (closing) continue; // waiting for the client's EOF after our FIN; what it still sends is dropped
        parser.push(chunk, requests);
        if (requests.length > 0) {
          await answer(conn, answers, requests);
          requests.length = 0;
        }
        if (parser.done) {
          // The last response is sent: send FIN, then read until the client closes too, so that unread input does
          // not make our close() reset the connection before the client has read the response.
          closing = true;
          await shutdown(loop, conn.fd, SHUT_WR, { signal: conn.signal });
        }
      }
    });
  } finally {
    answers.free();
  }
}

if (import.meta.main) await runServerExample("http_server", 8080, serveHttp);
