/**
 * An HTTP/1.1 hello-world server on the connection core (`serveCallbacks`: multishot accept, multishot recv over a
 * shared buffer ring, callbacks with no promise per request): keep-alive connections, pipelined requests (all those
 * of one read answered with one send), requests
 * and bodies split across reads at any byte, `Connection: close`, and HTTP/1.0 (closing unless it asks for
 * keep-alive). `GET /` answers `Hello, World!`, other paths 404, other methods 405. Bad requests get their status
 * (400, 414, 431, 501, 505; the rules are in examples/http/parser.ts) and the connection is closed.
 *
 *   bun examples/http_server.ts 8080             # then: curl http://127.0.0.1:8080/
 *   deno run -A examples/http_server.ts 8080
 *   bun examples/http_server.ts 0 --owning       # port 0: the kernel picks one; --owning: loop.run() owns the thread
 *
 * Arguments: `[PORT] [--host ADDRESS] [--owning]` (port 8080 and host 127.0.0.1 by default). Prints one line,
 * `listening on 127.0.0.1:8080`, once it listens; SIGINT or SIGTERM close the listener and every connection, then
 * the loop, and print `http_server: stopped` on stderr.
 *
 * Other programs (the benchmarks) import {@link serveHttp}; {@link RequestParser} is the incremental parser
 * (examples/http/parser.ts) and examples/http/responses.ts has the responses.
 *
 * @module
 */
import type { Loop } from "ringside-uring/loop";
import { timeout } from "ringside-uring/ops";
import { serveCallbacks, type ServeOptions } from "ringside-uring/server";
import { runServerExample } from "./echo_server.ts";
import { type HttpRequest, RequestParser } from "./http/parser.ts";
import { Answers } from "./http/responses.ts";

export { type HttpRequest, RequestParser } from "./http/parser.ts";

/** How long a connection that got its last response may take to close its side, by default (milliseconds). */
export const LINGER_MS = 2000;

/** Where and how {@link serveHttp} listens: `port` (0 picks one), `host`, `signal` to stop, `onListen`, and more. */
export interface HttpOptions extends ServeOptions {
  /**
   * After the last response of a connection (an error, `Connection: close`, HTTP/1.0), how long to wait for the
   * client's EOF before closing anyway (default {@link LINGER_MS}).
   */
  lingerMs?: number | undefined;
}

/**
 * Serves the hello-world HTTP/1.1 site on `loop` until `options.signal` aborts. In owning mode call it inside
 * `loop.run()`.
 *
 * Each read is parsed whole as it arrives and its complete requests are answered with one send (the responses are
 * native memory, sent in place). After the response that ends a connection the server sends FIN (`conn.end()`:
 * shutdown SHUT_WR once the responses are sent) and reads on, dropping what
 * comes, until the client closes too or `lingerMs` passes: closing at once with unread input would make the kernel
 * reset the connection (tcp_close in net/ipv4/tcp.c sends RST when data is left unread), and the client could lose
 * the response it had not read yet.
 *
 * @param loop The loop (the caller closes it afterwards).
 * @param options `port`, `host` (default 127.0.0.1), `signal`, `onListen(address)`, `lingerMs`, `bufferCount` ...
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
export function serveHttp(loop: Loop, options: HttpOptions): Promise<void> {
  const answers = new Answers();
  const lingerMs = options.lingerMs ?? LINGER_MS;
  // The Answers' memory is freed only once every connection is closed: no send uses it any more.
  return serveCallbacks<HttpConnection>(loop, options, {
    onOpen: () => new HttpConnection(),
    onData: (conn, bytes, start, end) => {
      const h = conn.context;
      if (h.linger !== null) return; // waiting for the client's EOF after our FIN; what it still sends is dropped
      h.parser.push(bytes, h.requests, start, end);
      if (h.requests.length > 0) {
        conn.send(answers.batch(h.requests));
        h.parser.recycle(h.requests);
      }
      if (h.parser.done) {
        conn.end();
        const stop = h.linger = new AbortController();
        // The ring's clock (owning mode runs no runtime timers while it waits in the kernel).
        timeout(loop, lingerMs, { signal: stop.signal }).then(() => conn.close(), () => {});
      }
    },
    onClose: (conn) => conn.context?.linger?.abort(),
  }).finally(() => answers.free());
}

/** What a connection of {@link serveHttp} keeps: its parser, the requests of the read being answered, the linger. */
class HttpConnection {
  readonly parser = new RequestParser();
  readonly requests: HttpRequest[] = [];
  /** Stops the linger's timeout once the connection closes. */
  linger: AbortController | null = null;
}

if (import.meta.main) await runServerExample("http_server", 8080, serveHttp);
