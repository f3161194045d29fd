/**
 * NUL-terminated strings between JavaScript and C.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes `s` as UTF-8 with a terminating NUL, ready to pass as a `buffer` argument.
 *
 * @example
 * ```ts
 * encodeCString("/tmp"); // Uint8Array [47, 116, 109, 112, 0]
 * ```
 */
export function encodeCString(s: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(s);
  if (bytes.includes(0)) throw new TypeError(`Cannot pass a string with a NUL byte to C: ${JSON.stringify(s)}`);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * Decodes the NUL-terminated UTF-8 string at the start of `bytes` (the whole array when it has no NUL).
 *
 * @example
 * ```ts
 * cString(new Uint8Array([104, 105, 0, 120])); // "hi"
 * ```
 */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}
