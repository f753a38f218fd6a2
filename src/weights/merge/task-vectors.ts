/**
 * Combining task vectors τ_i = θ_i − θ_base (Ilharco et al. 2023, "Editing Models with Task
 * Arithmetic", arXiv 2212.04089), optionally with TIES sign election and disjoint merge
 * (Yadav et al. 2023, arXiv 2306.01708, §3 "Elect" and "Disjoint Merge"). Shared by
 * task_arithmetic, ties, dare_linear and dare_ties, which differ only in how they sparsify τ_i
 * and whether they elect signs; the order of operations follows mergekit's generalized task
 * arithmetic (weight, elect, sum, normalize, then λ), so the same config gives the same numbers.
 */

/** One model's contribution: its tensor, weight, and which τ entries survive sparsification. */
export interface TaskVectorTerm {
  readonly model: Float32Array;
  readonly weight: number;
  /** 1 = kept, 0 = dropped; null keeps every entry. */
  readonly keep: Uint8Array | null;
  /** Factor on kept entries (DARE's 1/density rescale; 1 otherwise). */
  readonly scale: number;
}

export interface CombineOptions {
  /** TIES: keep only entries whose weighted sign agrees with the elected sign. */
  readonly consensus: boolean;
  /** Divide by the sum of the (agreeing) weights. */
  readonly normalize: boolean;
  /** Scale on the merged task vector before it is added to the base. */
  readonly lambda: number;
}

export { taskVector } from "../../tensor/index.js"; // τ = θ − θ_base, shared with src/train

/**
 * TIES's elected sign with mergekit's default "sum" rule: the sign of Σ_i w_i·τ_i, +1 when the
 * sum is exactly 0 (so an all-zero entry elects +1, and then nothing agrees with it).
 */
export function electSign(weightedSum: number): 1 | -1 {
  return weightedSum >= 0 ? 1 : -1;
}

/**
 * θ_base + λ · merge(w_i · τ̂_i), where τ̂_i = τ_i · keep_i · scale_i, accumulated in float64.
 *
 *   1. d_i = w_i · τ̂_i
 *   2. consensus: γ = electSign(Σ d_i); mixed = Σ {d_i : sign(d_i) = γ}; div = Σ {w_i : sign(d_i) = γ}
 *      otherwise: mixed = Σ d_i; div = Σ w_i
 *   3. normalize: mixed /= div (a zero divisor, i.e. no agreeing model, counts as 1, as in mergekit;
 *      without consensus |div| < 1e-8 counts as 1, also as in mergekit)
 *   4. out = θ_base + λ · mixed
 *
 * NOTE: a dropped entry is multiplied by 0 rather than skipped, so a NaN or ±Inf in a model
 * still poisons the output (NaN · 0 = NaN), as it does in torch; a NaN sum elects nothing and
 * gives NaN.
 */
export function combineTaskVectors(base: Float32Array, terms: readonly TaskVectorTerm[], o: CombineOptions, into?: Float32Array): Float32Array {
  const n = base.length;
  const m = terms.length;
  // `into`: a scratch array of the caller's (nothing else reads it) to write the result in, saving one tensor of memory
  const out = into && into.length === n ? into : new Float32Array(n);
  const d = new Float64Array(m);
  // NOTE: the per-term fields are hoisted into arrays and the keep masks multiply instead of
  // branch (a random 0/1 mask defeats branch prediction): ~3× faster on large tensors
  const models = terms.map((t) => t.model);
  const keeps = terms.map((t) => t.keep);
  const weights = Float64Array.from(terms, (t) => t.weight);
  const scales = Float64Array.from(terms, (t) => t.scale);
  let weightSum = 0;
  for (let i = 0; i < m; i++) weightSum += weights[i];
  const plainDivisor = Math.abs(weightSum) < 1e-8 ? 1 : weightSum;
  for (let j = 0; j < n; j++) {
    const b = base[j];
    let sum = 0;
    for (let i = 0; i < m; i++) {
      const keep = keeps[i];
      const factor = keep === null ? scales[i] : scales[i] * keep[j];
      const di = weights[i] * ((models[i][j] - b) * factor);
      d[i] = di;
      sum += di;
    }
    let mixed = sum;
    let divisor = plainDivisor;
    if (o.consensus) {
      if (Number.isNaN(sum)) {
        out[j] = NaN;
        continue;
      }
      const sign = electSign(sum);
      mixed = 0;
      divisor = 0;
      for (let i = 0; i < m; i++) {
        const agree = +(d[i] * sign > 0); // sign(d) = elected sign; a zero entry never agrees
        mixed += agree * d[i];
        divisor += agree * weights[i];
      }
      if (divisor === 0) divisor = 1;
    }
    if (o.normalize) mixed /= divisor;
    out[j] = b + o.lambda * mixed;
  }
  return out;
}
