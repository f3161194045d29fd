/**
 * TODO(arch): by-name exports of this layer.
 *
 * @module
 */
export * from "./buffer_ring.ts";
export * from "./fixed_buffers.ts";
