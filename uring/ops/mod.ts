/**
 * TODO(arch): by-name exports of this layer.
 *
 * @module
 */
export * from "./ops.ts";
