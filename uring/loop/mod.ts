/**
 * TODO(arch): by-name exports of this layer.
 *
 * @module
 */
export * from "./inbox.ts";
export * from "./loop.ts";
export * from "./operation.ts";
export * from "./start.ts";
