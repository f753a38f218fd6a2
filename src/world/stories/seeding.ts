/**
 * Seeding for a world task (a copy per task directory, so tasks stay independent): each item has its own rng (so item i does not depend
 * on n), and a prompt's hash puts it in one of three disjoint buckets — documents, id,
 * n1 — so pre-training text never contains an evaluation prompt and no N-1 prompt can
 * equal an in-distribution one, whatever n is.
 */
import { createRng, type Rng } from "../../model/rng.js";

/** FNV-1a with a murmur finaliser: a stable 32-bit hash of a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
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
