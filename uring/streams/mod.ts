/**
 * TODO(arch): by-name exports of this layer.
 *
 * @module
 */
export * from "./buffered.ts";
export * from "./multishot.ts";
export * from "./recvmsg_stream.ts";
export * from "./stream.ts";
