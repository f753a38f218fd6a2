/**
 * Seeding shared by every world task. Each item has its own rng (so item i does not
 * depend on how many items were asked for, and an N-1 item can regenerate its parent),
 * and a prompt's hash can put it in one of three disjoint buckets — documents, id, n1 —
 * so pre-training text never contains an evaluation prompt and no N-1 prompt can equal
 * an in-distribution one, whatever n is.
 */
import { createRng, fnv1a, hash32, type Rng } from "../random/index.js";

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
