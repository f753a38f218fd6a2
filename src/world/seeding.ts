/**
 * Seeding shared by every world task. Each item has its own rng (so item i does not
 * depend on how many items were asked for, and an N-1 item can regenerate its parent),
 * and a prompt's hash can put it in one of three disjoint buckets — documents, id, n1 —
 * so pre-training text never contains an evaluation prompt and no N-1 prompt can equal
 * an in-distribution one, whatever n is.
 */
import { createRng, type Rng } from "../model/rng.js";

/** FNV-1a (32-bit) of a string. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** FNV-1a with a murmur finaliser: a stable, well-mixed 32-bit hash of a string. */
export function hash32(s: string): number {
  let h = fnv1a(s);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The rng of one item: `${task}/${stream}/${seed}/${index}`. */
export function itemRng(task: string, stream: string, seed: number, index: number): Rng {
  return createRng(fnv1a(`${task}/${stream}/${seed}/${index}`));
}

export function rngFor(key: string): Rng {
  return createRng(hash32(key));
}

export type Bucket = "documents" | "id" | "n1";

/** Which disjoint region a prompt belongs to (a third each). */
export function bucketOf(prompt: string): Bucket {
  const b = hash32(`bucket:${prompt}`) % 3;
  return b === 0 ? "documents" : b === 1 ? "id" : "n1";
}

/** Integer in [lo, hi], both inclusive. */
export function intIn(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** Fisher–Yates on a copy. */
export function shuffled<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
