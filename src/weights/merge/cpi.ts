/**
 * `cpi`: the parameter-fusion step of Core Parameter Isolation Fine-Tuning, CPI-FT (Wang, Liang,
 * Peng 2025, "Not All Parameters Are Created Equal: Smart Isolation Boosts Fine-Tuning
 * Performance", arXiv 2508.21741; EMNLP 2025). Each listed model is a single-task fine-tune of
 * base_model. What the paper states (abstract and method overview): a task's core region is
 * where its update magnitude |θ_i − θ_base| is largest (the top p, p = 1% in its main results);
 * for each task the core parameters of its own fine-tune are transplanted into a unified
 * backbone, and the non-core parameters of the tasks are fused by SLERP. The paper's other
 * steps (clustering tasks by core overlap, staged SFT with frozen cores) are training, not merging.
 *
 * Per tensor:
 *   1. τ_i = θ_i − θ_base; core_i = the top `core_fraction_i` of |τ_i| (ceil(p·n) entries; ./top-k.ts)
 *   2. backbone = the spherical running mean of θ_1..θ_M (below), its angles measured on the
 *      entries in no task's core, so the fused non-core values do not depend on the core values
 *   3. every core entry takes the value of its owning task's θ_i
 *
 * Our reading where the text we could read is silent (the method section was not available to us):
 *   - Overlapping cores: the entry goes to the task with the largest |τ_i| there (the task that
 *     moved it most needs it most; an exact tie goes to the earlier model in the config).
 *   - More than two tasks: SLERP is defined for two endpoints, so we use the iterated spherical
 *     running mean m_1 = θ_1, m_k = slerp(m_{k−1}, θ_k; w_k / (w_1 + … + w_k)), in config order.
 *     With equal weights and flat arcs it is the arithmetic mean; with two tasks and equal weights
 *     it is the SLERP midpoint. It depends on the order on a curved arc, hence the fixed order.
 */
import { z } from "zod";
import { checkWithBase } from "./input.js";
import type { MergeMethod, MergeTensorInput } from "./method.js";
import { slerpInto } from "./slerp.js";
import { taskVector } from "./task-vectors.js";
import { topFractionMask } from "./top-k.js";

const modelParams = z.strictObject({
  // the paper's p = 1%: a task's core is the top 1% of its update magnitudes
  core_fraction: z.number().min(0).max(1).default(0.01),
  // the paper fuses tasks symmetrically: equal shares in the non-core spherical mean
  weight: z.number().finite().gt(0).default(1),
});

const params = z.strictObject({});

/**
 * Which task owns each entry: −1 for none (non-core), else the index of the task whose core holds
 * it, the largest |τ_i| winning an overlap (a NaN counts as largest, so it reaches the output).
 */
export function cpiCoreOwners(base: Float32Array, models: readonly Float32Array[], fractions: readonly number[]): Int32Array {
  const n = base.length;
  const owner = new Int32Array(n).fill(-1);
  const best = new Float32Array(n);
  models.forEach((model, i) => {
    const tau = taskVector(model, base);
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

/**
 * The iterated spherical running mean of `models` with positive `weights` (see the top comment),
 * angles measured on the entries where `include` is 1 (null: all).
 */
export function sphericalRunningMean(models: readonly Float32Array[], weights: readonly number[], include: Uint8Array | null): Float64Array {
  const acc = Float64Array.from(models[0]);
  let total = weights[0];
  for (let k = 1; k < models.length; k++) {
    total += weights[k];
    slerpInto(acc, weights[k] / total, acc, models[k], include); // in place: each entry is read before it is written
  }
  return acc;
}

export const cpi = {
  name: "cpi",
  description: "CPI-FT fusion: SLERP the tasks' non-core weights, transplant each task's core (top |θ_i − θ_base|) entries.",
  reference: "Wang, Liang, Peng 2025, Core Parameter Isolation Fine-Tuning, arXiv 2508.21741",
  base: "required",
  minModels: 1,
  modelParams,
  params,
  merge(input: MergeTensorInput): Float32Array {
    const { n, base } = checkWithBase(cpi, input);
    params.parse(input.params);
    const mp = input.modelParams.map((p) => modelParams.parse(p));
    const owner = cpiCoreOwners(base, input.models, mp.map((p) => p.core_fraction));
    const nonCore = new Uint8Array(n);
    for (let j = 0; j < n; j++) nonCore[j] = owner[j] < 0 ? 1 : 0;
    const fused = sphericalRunningMean(input.models, mp.map((p) => p.weight), nonCore);
    const out = Float32Array.from(fused);
    for (let j = 0; j < n; j++) if (owner[j] >= 0) out[j] = input.models[owner[j]][j];
    return out;
  },
} satisfies MergeMethod;
