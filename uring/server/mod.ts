/**
 * TCP servers on a `Loop`: {@link serve} runs a handler for every connection (multishot accept, multishot recv over
 * a buffer ring shared by all connections) until its signal aborts; {@link listenTcp} makes the listening socket on
 * its own, and {@link formatAddress} prints where it listens.
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
export { type Connection, type ConnectionHandler, serve, type ServeOptions, type ServerStats } from "./server.ts";
