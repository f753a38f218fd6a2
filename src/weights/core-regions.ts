/**
 * Core regions of a fine-tune (Core Parameter Isolation Fine-Tuning, Wang, Liang & Peng
 * 2025, arXiv 2508.21741; EMNLP 2025): the core region of a task vector τ = θ_tuned − θ_base in
 * one tensor is the top-p fraction of its entries by |τ| (p = 1% in the paper). Two tasks
 * whose core regions overlap strongly compete for the same parameters; the paper groups
 * tasks by the overlap of their regions, which ./cluster.ts does with the Jaccard index.
 *
 * The diff driver sums `overlapCounts` over the tensors of a layer (or the model) and
 * takes one Jaccard of the sums — never a mean of per-tensor Jaccards, which would weigh
 * a norm vector like a projection matrix.
 */
import { topFractionMask } from "./merge/index.js";

/** CPI-FT's core share: the top p = 1% of |τ| (arXiv 2508.21741, its main setting). */
export const DEFAULT_CORE_FRACTION = 0.01;

/**
 * 1 for the core region of τ: exactly k = ceil(fraction · n) entries of largest |τᵢ|
 * (ties: the lower index wins; a NaN ranks above every number, so it is always in the
 * core and visible), 0 elsewhere. Expected O(n) by quickselect on a copy of |τ|
 * (`topFractionMask` in src/tensor/top-k.ts, shared with the TIES and CPI merges so that
 * "core region" means one thing). τ is not modified; fraction must lie in [0, 1].
 */
export function coreMask(tau: Float32Array, fraction: number): Uint8Array {
  return topFractionMask(tau, fraction);
}

/** Sizes of A ∩ B and A ∪ B; sums of these over tensors give a group's overlap. */
export interface OverlapCounts {
  intersection: number;
  union: number;
}

/** |A ∩ B| and |A ∪ B| of two masks of the same length (any nonzero byte is "in"). */
export function overlapCounts(a: Uint8Array, b: Uint8Array): OverlapCounts {
  if (a.length !== b.length) throw new RangeError(`masks differ in length: ${a.length} vs ${b.length}`);
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) intersection++;
    if (x || y) union++;
  }
  return { intersection, union };
}

/** Counts of two groups together (for summing over tensors, layers or model pairs). */
export function addOverlaps(a: OverlapCounts, b: OverlapCounts): OverlapCounts {
  return { intersection: a.intersection + b.intersection, union: a.union + b.union };
}

/** Jaccard index |A ∩ B| / |A ∪ B| (Jaccard 1912); null when both sets are empty. */
export function jaccard(counts: OverlapCounts): number | null {
  return counts.union === 0 ? null : counts.intersection / counts.union;
}
