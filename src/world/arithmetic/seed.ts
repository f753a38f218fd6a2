/**
 * Per-item seeds: item i of a split is generated from its own rng, so item i does not
 * depend on how many items were asked for (an N-1 item can regenerate its parent).
 * NOTE: the knowledge task keeps its own copy; a shared src/world/seed.ts would do.
 */
import { type Rng, createRng } from "../../model/rng.js";

/** FNV-1a (32-bit) of a string. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function itemRng(task: string, stream: string, seed: number, index: number): Rng {
  return createRng(fnv1a(`${task}/${stream}/${seed}/${index}`));
}
