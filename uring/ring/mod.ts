/**
 * TODO(arch): by-name exports of this layer.
 *
 * @module
 */
export * from "./cqe.ts";
export * from "./probe.ts";
export * from "./register.ts";
export * from "./ring.ts";
export * from "./sqe.ts";
