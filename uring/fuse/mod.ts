/**
 * FUSE filesystems in TypeScript, served over FUSE over io_uring (Linux 6.14) or classic /dev/fuse: the kernel
 * protocol (`abi.ts`), the handler interface a filesystem implements (`handlers.ts`), the transport-neutral
 * dispatcher (`dispatch.ts`), mounting (`mount.ts`) and the server (`server.ts`).
 *
 * @example
 * ```ts
 * import { FuseError, FuseServer, S_IFDIR, type FuseHandlers } from "./mod.ts";
 *
 * const t = { sec: 0, nsec: 0 };
 * const fs: FuseHandlers = {
 *   getattr: (_ctx, ino) => {
 *     if (ino !== 1) throw new FuseError("ENOENT");
 *     return { ino, mode: S_IFDIR | 0o755, nlink: 2, size: 0, atime: t, mtime: t, ctime: t };
 *   },
 * };
 * const server = await FuseServer.mount("/mnt/empty", fs);
 * console.log(server.transport); // "io_uring" when /sys/module/fuse/parameters/enable_uring is Y
 * await server.unmount();
 * ```
 *
 * @module
 */
export * from "./abi.ts";
export * from "./handlers.ts";
export { Dispatcher, type DispatchOptions, FuseRequest, getU64, NO_REPLY, setU64, writeAttr } from "./dispatch.ts";
export * from "./mount.ts";
export { FuseServer, type FuseServerOptions, type FuseServerStats } from "./server.ts";
