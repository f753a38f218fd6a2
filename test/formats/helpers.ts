/** Shared helpers for the format tests: temp folders and a result unwrapper. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { formatFormatError, type FormatError, type Result } from "../../src/formats/index.js";

/** A fresh temp folder, removed after the file's tests. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `ftledger-${prefix}-`));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The value of an ok result; a failed one fails the test with the rendered message. */
export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(formatFormatError(r.error));
  return r.value;
}

/** The error of a failed result; an ok one fails the test. */
export function errorOf<T>(r: Result<T>): FormatError {
  if (r.ok) throw new Error("expected an error, the load succeeded");
  return r.error;
}

/** Same bytes (so NaN payloads and -0 count). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Deterministic float32 values with a spread of magnitudes and some special values. */
export function sampleFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * 10 ** ((i % 7) - 3);
  }
  if (n > 3) [out[0], out[1], out[2]] = [-0, Infinity, 1e-40];
  return out;
}
