/**
 * Loaders return data, not exceptions (docs/CONTRIBUTING.md §9): `{ ok: true, value }` or
 * `{ ok: false, error }`. Throwing is kept for programmer bugs (wrong argument shapes).
 */
import type { FormatError } from "./errors.js";

export type Result<T, E = FormatError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(error: FormatError): { ok: false; error: FormatError } {
  return { ok: false, error };
}
