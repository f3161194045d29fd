/**
 * TODO(arch): by-name exports of this layer.
 *
 * @module
 */
export * from "./errno.ts";
export * from "./recvmsg_out.ts";
export * from "./sockaddr.ts";
export * from "./structs.ts";
export * from "./timespec.ts";
export * from "./u64.ts";
export * from "./uapi.ts";
