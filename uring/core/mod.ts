/**
 * TODO(arch): by-name exports of this layer.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./memory.ts";
export * from "./validate.ts";
