/**
 * The per-tensor parameter fusion of Core Parameter Isolation Fine-Tuning, CPI-FT (Wang, Liang,
 * Peng 2025, "Not All Parameters Are Created Equal: Smart Isolation Boosts Fine-Tuning
 * Performance", arXiv 2508.21741; EMNLP 2025): each task's core region (the top p of |θ_i − θ_base|,
 * p = 1% in the paper) is transplanted from its own fine-tune into a unified backbone, and the
 * non-core entries of the tasks are fused by SLERP. Pure array math, here so that the `cpi` merge
 * (src/weights/merge/cpi.ts, which documents our reading of the paper) and the cpi-ft recipe
 * (src/train/recipes/cpi-ft.ts, which fine-tunes the fused model with the cores frozen) share it.
 *
 *   1. τ_i = θ_i − θ_base; core_i = the top `fractions[i]` of |τ_i| (ceil(p·n) entries; ./top-k.ts)
 *   2. backbone = the spherical running mean of θ_1..θ_M (./slerp.ts), its angles measured on the
 *      entries in no task's core, so the fused non-core values do not depend on the core values
 *   3. every core entry takes the value of its owning task's θ_i; an entry in several cores goes to
 *      the task with the largest |τ_i| there (an exact tie: the earlier task)
 */
import { sphericalRunningMean } from "./slerp.js";
import { taskVector } from "./task-vector.js";
import { topFractionMask } from "./top-k.js";

/**
 * Which task owns each entry: −1 for none (non-core), else the index of the task whose core holds
 * it, the largest |τ_i| winning an overlap (a NaN counts as largest, so it reaches the output).
 */
export function cpiCoreOwners(base: Float32Array, models: readonly Float32Array[], fractions: readonly number[]): Int32Array {
  const n = base.length;
  const owner = new Int32Array(n).fill(-1);
  const best = new Float32Array(n);
  const tau = new Float32Array(n);
  models.forEach((model, i) => {
    taskVector(model, base, tau);
    const core = topFractionMask(tau, fractions[i]);
    for (let j = 0; j < n; j++) {
      if (core[j] === 0) continue;
      const mag = Number.isNaN(tau[j]) ? Infinity : Math.abs(tau[j]);
      if (owner[j] < 0 || mag > best[j]) {
        owner[j] = i;
        best[j] = mag;
      }
    }
  });
  return owner;
}

/** One tensor fused (steps 1–3 above): the merged values and each entry's owning task (−1: non-core). */
export function cpiFuse(
  base: Float32Array, models: readonly Float32Array[], fractions: readonly number[], weights: readonly number[],
): { merged: Float32Array; owner: Int32Array } {
  const n = base.length;
  const owner = cpiCoreOwners(base, models, fractions);
  const nonCore = new Uint8Array(n);
  for (let j = 0; j < n; j++) nonCore[j] = owner[j] < 0 ? 1 : 0;
  const merged = Float32Array.from(sphericalRunningMean(models, weights, nonCore));
  for (let j = 0; j < n; j++) if (owner[j] >= 0) merged[j] = models[owner[j]][j];
  return { merged, owner };
}
