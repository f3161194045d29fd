/**
 * TCP servers on a `Loop`. {@link serveCallbacks} is the connection core: callbacks per connection (`onData` with
 * each chunk as a range of a provided buffer, `conn.send` to answer), no promise and no allocation per message.
 * {@link serve} is the async API on top of it: a handler per connection that reads with `for await` and awaits its
 * sends. Both accept with one multishot accept and receive with a multishot recv over a buffer ring shared by all
 * connections. {@link listenTcp} makes the listening socket on its own, and {@link formatAddress} prints where it
 * listens.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { formatAddress, serve } from "ringside-uring/server";
 *
 * const loop = new Loop();
 * const stop = new AbortController(); // stop.abort() stops the server
 * await serve(loop, {
 *   port: 9000,
 *   signal: stop.signal,
 *   onListen: (address) => console.log(`listening on ${formatAddress(address)}`),
 * }, async (conn) => {
 *   for await (const chunk of conn.input) await conn.send(chunk); // echo
 * });
 * await loop.close();
 * ```
 *
 * @module
 */
export { formatAddress, type ListenOptions, type Listener, listenTcp } from "./listen.ts";
export { serveCallbacks, type ServeOptions, type ServerStats } from "./callbacks.ts";
export { CallbackConnection, type CallbackHandlers } from "./connection.ts";
export { type Connection, type ConnectionHandler, serve } from "./server.ts";
export { ConnectionInput } from "./input.ts";
