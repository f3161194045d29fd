/**
 * The node:http variant of bench/http.ts (`node-http`), run under the runtime running the bench: the same site as
 * examples/http_server.ts (`GET /` and `HEAD /` 200 `Hello, World!`, other paths 404, other methods 405,
 * `Content-Type: text/plain; charset=utf-8`). node:http adds `Date`, `Connection: keep-alive` and `Keep-Alive`.
 * Also the routing the Bun.serve and Deno.serve variants share ({@link route}).
 *
 *   bun bench/http_server_node.ts [PORT] [--host ADDRESS]
 *   deno run -A bench/http_server_node.ts [PORT] [--host ADDRESS]
 *
 * Prints the port alone on one line once it listens; serves until it is killed (SIGTERM's default action).
 *
 * @module
 */
import { createServer } from "node:http";
import process from "node:process";

const BODY = "Hello, World!\n";

/**
 * What examples/http_server.ts answers to `method` and `url` (an origin-form target or a full URL): status and body.
 *
 * @param method the request's method
 * @param url the request target, or the absolute URL a runtime's Request carries
 * @returns the status and the body (the runtimes leave the body out of a HEAD response themselves)
 * @example
 * ```ts
 * route("GET", "http://127.0.0.1:8080/"); // { status: 200, body: "Hello, World!\n" }
 * ```
 */
export function route(method: string, url: string): { status: number; body: string } {
  // The path: after the authority of an absolute URL, up to the query.
  const start = url.charCodeAt(0) === 47 ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  const q = url.indexOf("?", start);
  const path = start < 0 ? "/" : url.slice(start, q < 0 ? url.length : q);
  if (method !== "GET" && method !== "HEAD") return { status: 405, body: "Method Not Allowed\n" };
  if (path !== "/") return { status: 404, body: "Not Found\n" };
  return { status: 200, body: BODY };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const hostAt = args.indexOf("--host");
  const host = hostAt >= 0 ? args[hostAt + 1]! : "127.0.0.1";
  const port = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== "--host") ?? 0);
  const server = createServer((req, res) => {
    const r = route(req.method ?? "GET", req.url ?? "/");
    const headers: Record<string, string | number> = {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": r.body.length, // ASCII
    };
    if (r.status === 405) headers.Allow = "GET, HEAD";
    res.writeHead(r.status, headers);
    res.end(r.body); // left out of a HEAD response by node:http
  });
  server.listen(port, host, () => {
    const a = server.address();
    console.log(typeof a === "object" && a !== null ? a.port : port);
  });
}
