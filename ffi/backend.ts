/**
 * The FFI of the runtime this process runs on, chosen by the module resolver rather than at run time:
 * `#ffi-backend` is a subpath import that package.json maps by condition (`bun` → bun.ts; `types` → a declaration
 * for type checkers) and deno.json maps to deno.ts. A static import, so bundlers (`bun build`, `bun build
 * --compile`, `deno compile`) follow it and carry the right file along; a computed `import()` left them a
 * specifier they could not resolve.
 *
 * @module
 */
export { backend } from "#ffi-backend";
