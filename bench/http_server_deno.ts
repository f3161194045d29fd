/**
 * The Deno.serve variant of bench/http.ts (`deno-serve`): the same site as examples/http_server.ts (`GET /` and
 * `HEAD /` 200 `Hello, World!`, other paths 404, other methods 405, `Content-Type: text/plain; charset=utf-8`).
 * Deno adds its own `date` header; keep-alive and pipelining are Deno's (hyper).
 *
 *   deno run -A bench/http_server_deno.ts [PORT] [--host ADDRESS]
 *
 * Prints the port alone on one line once it listens; serves until it is killed (SIGTERM's default action).
 *
 * @module
 */
import { route } from "./http_server_node.ts";

const args = Deno.args;
const hostAt = args.indexOf("--host");
const hostname = hostAt >= 0 ? args[hostAt + 1]! : "127.0.0.1";
const port = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== "--host") ?? 0);

const headers = { "Content-Type": "text/plain; charset=utf-8" };
Deno.serve({ hostname, port, onListen: (a) => console.log(a.port) }, (req) => {
  const r = route(req.method, req.url);
  return new Response(r.body, { status: r.status, headers: r.status === 405 ? { ...headers, Allow: "GET, HEAD" } : headers });
});
