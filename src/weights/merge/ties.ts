/**
 * `ties`: TIES-Merging (Yadav et al. 2023, "TIES-Merging: Resolving Interference When Merging
 * Models", arXiv 2306.01708, §3), with mergekit's parameters:
 *
 *   1. Trim: keep the top-`density` entries of each τ_i = θ_i − θ_base by |τ_i|, zero the rest
 *      (k = floor(density · n) as mergekit counts them; ties between equal magnitudes go to the
 *      lower index; density 1 keeps all)
 *   2. Elect: γ = sign(Σ_i w_i·τ̂_i) per entry (mergekit's default "sum" consensus)
 *   3. Disjoint merge: sum the weighted entries whose sign agrees with γ, divided (normalize) by
 *      the sum of the agreeing models' weights
 *   4. θ = θ_base + λ · merged
 *
 * NOTE: a density so small that floor(density · n) is 0 trims that model's τ to nothing on this
 * tensor (mergekit stops with an assertion instead).
 */
import { z } from "zod";
import { checkWithBase } from "./input.js";
import type { MergeMethod, MergeTensorInput } from "./method.js";
import { combineTaskVectors, taskVector, type TaskVectorTerm } from "./task-vectors.js";
import { countForFraction, topKMask } from "../../tensor/index.js";

const modelParams = z.strictObject({
  // mergekit requires it; 1 gives every task vector the same say in the election
  weight: z.number().finite().default(1),
  // mergekit's default 1 keeps every entry; the paper trims to the top 20% (pass density: 0.2)
  density: z.number().min(0).max(1).default(1),
});

const params = z.strictObject({
  // mergekit's default for ties: the disjoint *mean* of the agreeing entries, as in the paper
  normalize: z.boolean().default(true),
  // the paper's scaling λ; 1 (mergekit's default) adds the merged task vector unscaled
  lambda: z.number().finite().default(1),
  // accepted so mergekit configs load; it only saves memory in mergekit and changes no number here
  int8_mask: z.boolean().default(false),
});

/** Step 1 for one model: its keep-mask (null = keep all), exported for the reference test. */
export function tiesTrimMask(model: Float32Array, base: Float32Array, density: number, scratch?: { tau?: Float32Array; into?: Float32Array }): Uint8Array | null {
  if (density >= 1) return null;
  const tau = taskVector(model, base, scratch?.into);
  if (scratch) scratch.tau = tau; // the caller may reuse it once the mask is made
  return topKMask(tau, countForFraction(density, base.length, "floor"));
}

export const ties = {
  name: "ties",
  description: "Trim task vectors to their largest entries, elect a sign per entry, average the agreeing ones.",
  reference: "Yadav et al. 2023, TIES-Merging, arXiv 2306.01708",
  base: "required",
  minModels: 1,
  modelParams,
  params,
  merge(input: MergeTensorInput): Float32Array {
    const { base } = checkWithBase(ties, input);
    const p = params.parse(input.params);
    // every model's task vector goes through the driver's scratch in turn: only its mask is kept
    const scratch: { tau?: Float32Array; into?: Float32Array } = input.scratch ? { into: input.scratch } : {};
    const terms: TaskVectorTerm[] = input.models.map((model, i) => {
      const mp = modelParams.parse(input.modelParams[i]);
      return { model, weight: mp.weight, keep: tiesTrimMask(model, base, mp.density, scratch), scale: 1 };
    });
    // the last task vector is no longer needed once its mask exists: the result is written over it
    return combineTaskVectors(base, terms, { consensus: true, normalize: p.normalize, lambda: p.lambda }, scratch.tau ?? input.scratch);
  },
} satisfies MergeMethod;
