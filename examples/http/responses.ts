/**
 * The answers of examples/http_server.ts: which response each request gets, their bytes (bench/c/http_server.c
 * sends the same bytes), and one buffer for all the requests of a read, so that pipelined requests are answered
 * with one send.
 *
 * `GET /` and `HEAD /` answer 200 `Hello, World!`, other paths 404, other methods 405 (with `Allow`); a parse
 * error answers its status with `Connection: close`. HTTP/1.0 keep-alive requests get `Connection: keep-alive`,
 * requests that end the connection `Connection: close`.
 *
 * @module
 */
import { NativeMemory } from "ringside-uring/core";
import type { HttpRequest } from "./parser.ts";

/** The body of `GET /`. */
export const BODY = "Hello, World!\n";

/** The reason phrase of each status the server sends. */
export const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

/** One kind of response: its length, {@link REPEAT} copies, and the views of 1..REPEAT of them made so far. */
interface Answer {
  one: number;
  all: Uint8Array;
  views: (Uint8Array | undefined)[];
}

/** Copies of each response kept back to back, so that this many pipelined identical answers are one slice. */
export const REPEAT = 64;

/** The Connection header each answer code's low bits stand for. */
const CONNECTION = ["", "close", "keep-alive"] as const;

/**
 * The response to `req` as a small number: status * 8 + 4 for HEAD + the Connection header's index in
 * {@link CONNECTION}. Numbers, not strings: the server computes one per request, and a number is no garbage.
 */
export function answerCode(req: HttpRequest): number {
  if (req.error) return req.error * 8 + 1;
  const conn = !req.keepAlive ? 1 : req.minor === 0 ? 2 : 0;
  const method = req.method;
  const head = method === "HEAD";
  const t = req.target;
  const root = t === "/" || (t.charCodeAt(0) === 47 && t.charCodeAt(1) === 63); // "/" or "/?..."
  const status = method !== "GET" && !head ? 405 : root ? 200 : 404;
  return status * 8 + (head ? 4 : 0) + conn;
}

/** The key string of each answer code made so far. */
const KEYS = new Map<number, string>();

/** The response to `req`, as a cache key: status, whether it is for HEAD, and the Connection header to send. */
export function answerKey(req: HttpRequest): string {
  const code = answerCode(req);
  let key = KEYS.get(code);
  if (key === undefined) {
    key = `${code >> 3}|${code & 4 ? "head" : ""}|${CONNECTION[code & 3]}`;
    KEYS.set(code, key);
  }
  return key;
}

/** The response text of a key from {@link answerKey}. */
export function answerText(key: string): string {
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
 *
 * @example
 * ```ts
 * import { RequestParser, type HttpRequest } from "./parser.ts";
 * const answers = new Answers();
 * const reqs: HttpRequest[] = [];
 * new RequestParser().push(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), reqs);
 * const bytes = answers.batch(reqs); // HTTP/1.1 200 OK ... Hello, World!
 * answers.free(); // once no send uses them
 * ```
 */
export class Answers {
  private readonly kinds = new Map<string, Answer>();
  /** The same answers by {@link answerCode}. */
  private readonly byCode = new Map<number, Answer>();
  private readonly memory: NativeMemory[] = [];

  /** The response of `key`: its length, and {@link REPEAT} copies of it in native memory. */
  get(key: string): { one: number; all: Uint8Array } {
    let a = this.kinds.get(key);
    if (!a) {
      const bytes = new TextEncoder().encode(answerText(key));
      const mem = NativeMemory.allocate(bytes.byteLength * REPEAT);
      for (let i = 0; i < REPEAT; i++) mem.bytes.set(bytes, i * bytes.byteLength);
      this.memory.push(mem);
      a = { one: bytes.byteLength, all: mem.bytes, views: [] };
      this.kinds.set(key, a);
    }
    return a;
  }

  private answer(req: HttpRequest): Answer {
    const code = answerCode(req);
    let a = this.byCode.get(code);
    if (a === undefined) {
      a = this.get(answerKey(req)) as Answer;
      this.byCode.set(code, a);
    }
    return a;
  }

  /**
   * The responses to `requests` (at least one), in order, as one buffer: a slice of native memory when they are all
   * the same response (up to {@link REPEAT} of them; the same view each time), otherwise a new buffer with them
   * back to back.
   */
  batch(requests: readonly HttpRequest[]): Uint8Array {
    const first = this.answer(requests[0]!);
    const n = requests.length;
    let same = n <= REPEAT;
    for (let i = 1; same && i < n; i++) same = this.answer(requests[i]!) === first;
    if (same) return first.views[n] ??= first.all.subarray(0, first.one * n);
    const parts = requests.map((r) => {
      const a = this.answer(r);
      return a.all.subarray(0, a.one);
    });
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  /** Frees the responses: only once no send uses them (the server has stopped). */
  free(): void {
    for (const m of this.memory) m.free();
    this.memory.length = 0;
    this.kinds.clear();
    this.byCode.clear();
  }
}
