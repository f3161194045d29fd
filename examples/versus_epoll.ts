/**
 * Your own io_uring-versus-epoll comparison: one small application run on `new Loop({ backend: "io_uring" })` and
 * on `new Loop({ backend: "epoll" })`, measured by the bench harness (`ringside-uring/bench`): rounds interleaved
 * (io_uring, epoll, io_uring, epoll, ...), medians with min and max, the ratio to epoll with its per-round range,
 * CPU time per operation (user and system), and `--json` for machines.
 *
 *   bun examples/versus_epoll.ts [--quick] [--json] [--connections 8] [--rounds N] [--ms N] [--no-pin]
 *   deno run -A examples/versus_epoll.ts ...
 *
 * The application: a TCP echo over 127.0.0.1 inside this process. `--connections` (8) client sockets each send 64
 * bytes and wait for them to come back; the server side of each connection receives and sends back what came.
 * One operation is one round trip; the CPU time is this whole process's (both sides of every connection), so
 * it is what the application costs on each backend. Replace `setUp`'s connections and `roundTrips` with your own
 * code to compare what you run. Default: 1 warm-up round and 7 measured rounds of 300 ms per backend (about five
 * seconds); `--quick`: 3 rounds of 100 ms.
 *
 * @module
 */
import process from "node:process";
import { Bench, cpuNs, nowNs, pooledStats, type Sample, type Stats, type Variant } from "ringside-uring/bench";
import { Loop } from "ringside-uring/loop";
import { AF_INET, SOCK_STREAM } from "ringside-uring/abi";
import { accept, connect, recv, send, socket } from "ringside-uring/net";
import { close } from "ringside-uring/fs";
import { listenTcp } from "ringside-uring/server";

const MESSAGE = 64;

const bench = new Bench("versus_epoll", {}, process.argv.slice(2), "round_trips_per_s");
const rest = [...bench.options.rest];
const at = rest.indexOf("--connections");
const connections = at < 0 ? 8 : Number(rest.splice(at, 2)[1]);
if (!Number.isInteger(connections) || connections < 1 || connections > 1000) {
  throw new Error(`--connections must be 1 to 1000, got ${connections}`);
}
if (rest.length > 0) throw new Error(`Unknown argument(s): ${rest.join(" ")}`);

/** The application on one loop: its connections, the server side of each echoing until the client closes. */
interface App {
  loop: Loop;
  clients: number[];
  servers: Promise<void>[];
}

/** The server side of one connection: sends back whatever arrives, until the peer closes. */
async function echo(loop: Loop, fd: number): Promise<void> {
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await recv(loop, fd, buf);
    if (n === 0) break;
    for (let sent = 0; sent < n;) sent += await send(loop, fd, buf.subarray(sent, n));
  }
  await close(loop, fd);
}

async function setUp(backend: "io_uring" | "epoll", listener: { fd: number; port: number }): Promise<App> {
  const loop = new Loop({ backend });
  const clients: number[] = [];
  const servers: Promise<void>[] = [];
  for (let i = 0; i < connections; i++) {
    const fd = await socket(loop, AF_INET, SOCK_STREAM);
    const accepting = accept(loop, listener.fd);
    await connect(loop, fd, { address: "127.0.0.1", port: listener.port });
    clients.push(fd);
    servers.push(echo(loop, (await accepting).fd));
  }
  return { loop, clients, servers };
}

/** One client's round trips until `deadline` (nowNs()); each echo is checked. */
async function roundTrips(loop: Loop, fd: number, deadline: number): Promise<number> {
  const out = new Uint8Array(MESSAGE).fill(fd & 0xff);
  const back = new Uint8Array(MESSAGE);
  let done = 0;
  while (nowNs() < deadline) {
    await send(loop, fd, out);
    for (let got = 0; got < MESSAGE;) {
      const n = await recv(loop, fd, back.subarray(got));
      if (n === 0) throw new Error("the server side closed the connection");
      got += n;
    }
    if (back[0] !== out[0] || back[MESSAGE - 1] !== out[0]) throw new Error("the echo came back different");
    done++;
  }
  return done;
}

/**
 * A contender for the harness: every connection of `app` busy for `ms`, timed with this process's CPU time. Each
 * sample is also kept in `samples` (warm-up rounds included), for the CPU ratio below.
 */
function variant(name: string, app: App, samples: Sample[]): Variant {
  return {
    name,
    run: async (ms: number): Promise<Sample> => {
      const c0 = cpuNs();
      const t0 = nowNs();
      const counts = await Promise.all(app.clients.map((fd) => roundTrips(app.loop, fd, t0 + ms * 1e6)));
      const ns = nowNs() - t0;
      const c1 = cpuNs();
      const s = { ops: counts.reduce((a, b) => a + b, 0), ns, userNs: c1.userNs - c0.userNs, sysNs: c1.sysNs - c0.sysNs };
      samples.push(s);
      return s;
    },
  };
}

/** CPU nanoseconds per operation over the measured samples together (the warm-up ones left out). */
function cpuPerOp(samples: readonly Sample[]): Stats {
  return pooledStats(samples.slice(bench.options.warmup).map((s) => ({ amount: s.userNs! + s.sysNs!, count: s.ops })));
}

async function tearDown(app: App): Promise<void> {
  for (const fd of app.clients) await close(app.loop, fd); // the server sides then read 0 and close theirs
  await Promise.all(app.servers);
  await app.loop.close();
}

// The listening socket, made at once with libc; both loops accept their connections on it, then it is closed.
const listener = listenTcp({ port: 0, host: "127.0.0.1" });
const apps: App[] = [];
try {
  for (const backend of ["io_uring", "epoll"] as const) {
    apps.push(await setUp(backend, { fd: listener.fd, port: listener.address.port }));
  }
} catch (e) {
  for (const app of apps) await tearDown(app);
  throw e;
} finally {
  const loop = apps[0]?.loop ?? new Loop({ backend: "epoll" });
  await close(loop, listener.fd);
  if (apps.length === 0) await loop.close();
}
try {
  const [uring, epoll] = apps as [App, App];
  bench.note(`versus_epoll: TCP echo of ${MESSAGE} bytes on 127.0.0.1, ${connections} connection(s) per loop, ` +
    `loops on ${uring.loop.backend} and ${epoll.loop.backend}; CPU time is the whole process's`);
  const uringSamples: Sample[] = [];
  const epollSamples: Sample[] = [];
  await bench.compare({ connections }, "epoll", [
    variant("io_uring", uring, uringSamples),
    variant("epoll", epoll, epollSamples),
  ]);
  bench.finish();
  const u = cpuPerOp(uringSamples);
  const e = cpuPerOp(epollSamples);
  bench.note(`CPU per round trip (user + system, all rounds pooled): io_uring ${(u.median / 1e3).toFixed(2)} us, ` +
    `epoll ${(e.median / 1e3).toFixed(2)} us: io_uring / epoll = ${(u.median / e.median).toFixed(3)}x`);
} finally {
  for (const app of apps) await tearDown(app);
}
