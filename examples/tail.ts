/**
 * Follows a FIFO with one multishot read (READ_MULTISHOT, Linux 6.7): every write to it is printed as it arrives,
 * through buffers the kernel picks from a provided-buffer ring, across any number of writers, like `tail -f`.
 * SIGINT or SIGTERM stop it.
 *
 *   mkfifo /tmp/f; bun examples/tail.ts /tmp/f &  echo hello > /tmp/f
 *   deno run -A examples/tail.ts /tmp/f
 *
 * @module
 */
import process from "node:process";
import { Loop } from "ringside-uring/loop";
import { BufferRing } from "ringside-uring/buffers";
import { ReadStream } from "ringside-uring/streams";
import { close, open } from "ringside-uring/fs";

const path = process.argv[2];
if (!path) {
  console.error("usage: tail.ts FIFO");
  process.exit(2);
}

const loop = new Loop();
// O_RDWR: on Linux a FIFO opened for reading and writing neither waits for a writer nor sees EOF when the last
// writer leaves, which is what following it means. The multishot read waits for data.
const fd = await open(loop, path, 2);
const buffers = BufferRing.create(loop.ring, { bgid: 1, entries: 8, bufferSize: 4096 });
const stream = new ReadStream(loop, fd, buffers);
const stop = () => stream.cancel();
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
for await (const chunk of stream) process.stdout.write(chunk);
process.off("SIGINT", stop);
process.off("SIGTERM", stop);
await close(loop, fd);
await loop.close();
buffers.close();
console.error("tail: stopped");
