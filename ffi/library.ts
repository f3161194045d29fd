/**
 * Binding a symbol table to a shared library, with optional symbols that may be absent (newer liburing exports)
 * and aliases (one C function bound twice with different parameter types).
 *
 * @module
 */
import { backend } from "./backend.ts";
import type { NativeFunction, SymbolSpec } from "./types.ts";

/** A symbol as declared in ringside's tables: its C name when the key differs, and whether it may be missing. */
export interface Declared extends SymbolSpec {
  /** The C symbol, when the table's key is an alias (the same function with other parameter types). */
  readonly symbol?: string;
  /** A symbol that newer library versions export; absent ones are reported, never required. */
  readonly optional?: boolean;
}

/** The bound functions of a declared table; optional ones are undefined when the library lacks them. */
export type Bound<T extends Record<string, Declared>> = {
  readonly [K in keyof T]: T[K] extends { optional: true } ? NativeFunction | undefined : NativeFunction;
};

/**
 * Binds `table` from the library at `path`: the plain required symbols in one open, each alias and each optional
 * symbol in its own (a runtime refuses a whole table when one symbol is missing, and binds a symbol by its C name).
 * Throws when a required symbol is missing.
 */
export function bindTable<T extends Record<string, Declared>>(path: string, table: T): Bound<T> {
  const out: Record<string, NativeFunction | undefined> = {};
  const plain: Record<string, SymbolSpec> = {};
  for (const [key, d] of Object.entries(table)) {
    if (!d.symbol && !d.optional) plain[key] = { args: d.args, returns: d.returns };
  }
  const lib = backend.open(path, plain);
  for (const key of Object.keys(plain)) out[key] = lib.symbols[key];
  for (const [key, d] of Object.entries(table)) {
    if (key in plain) continue;
    const cname = d.symbol ?? key;
    try {
      out[key] = backend.open(path, { [cname]: { args: d.args, returns: d.returns } }).symbols[cname];
    } catch (e) {
      if (!d.optional) throw e;
      out[key] = undefined;
    }
  }
  return out as Bound<T>;
}
