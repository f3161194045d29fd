/**
 * The Bun.serve variant of bench/http.ts (`bun-serve`): the same site as examples/http_server.ts (`GET /` and
 * `HEAD /` 200 `Hello, World!`, other paths 404, other methods 405, `Content-Type: text/plain; charset=utf-8`).
 * Bun adds its own `Date` header; keep-alive and pipelining are Bun's.
 *
 *   bun bench/http_server_bun.ts [PORT] [--host ADDRESS]
 *
 * Prints the port alone on one line once it listens; serves until it is killed (SIGTERM's default action).
 *
 * @module
 */
import { route } from "./http_server_node.ts";

const args = process.argv.slice(2);
const hostAt = args.indexOf("--host");
const host = hostAt >= 0 ? args[hostAt + 1]! : "127.0.0.1";
const port = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== "--host") ?? 0);

const headers = { "Content-Type": "text/plain; charset=utf-8" };
const server = Bun.serve({
  hostname: host,
  port,
  fetch(req) {
    const r = route(req.method, req.url);
    return new Response(r.body, { status: r.status, headers: r.status === 405 ? { ...headers, Allow: "GET, HEAD" } : headers });
  },
});
console.log(server.port);
