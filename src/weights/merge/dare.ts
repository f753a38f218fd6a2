/**
 * `dare_linear` and `dare_ties`: DARE, Drop And REscale (Yu et al. 2023, "Language Models are
 * Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch", arXiv 2311.03099,
 * §3): drop each entry of τ_i = θ_i − θ_base with probability 1 − density, rescale the kept ones
 * by 1/density (so E[τ̂_i] = τ_i), then combine as task arithmetic (dare_linear) or with TIES's
 * sign election and disjoint merge (dare_ties; ./ties.ts, arXiv 2306.01708).
 *
 * The random part (`dareKeepMask`) is separate from the deterministic part (`mergeDare`), so a
 * test can feed both a reference and this code the same masks. Masks are drawn from input.rng,
 * model by model in config order, entry by entry: the same seed gives the same bytes.
 *
 * NOTE: current mergekit rescales the kept entries to match τ_i's L1 norm instead of by
 * 1/density; both keep E[τ̂] ≈ τ, and we follow the paper.
 */
import { z } from "zod";
import type { Rng } from "../../random/index.js";
import { checkWithBase } from "./input.js";
import type { MergeMethod, MergeTensorInput } from "./method.js";
import { combineTaskVectors, type TaskVectorTerm } from "./task-vectors.js";

const modelParams = z.strictObject({
  // mergekit requires it; 1 adds each (rescaled) task vector whole
  weight: z.number().finite().default(1),
  // mergekit's default 1 drops nothing; the paper drops 90% (pass density: 0.1). 0 would divide by 0
  density: z.number().gt(0).max(1).default(1),
});

const params = z.strictObject({
  // mergekit's default for both DARE variants: weights are scales of the rescaled task vectors
  normalize: z.boolean().default(false),
  // task arithmetic's λ; 1 (mergekit's default) adds the merged task vector unscaled
  lambda: z.number().finite().default(1),
  // the paper's 1/density rescale, on by default as in mergekit; false only drops
  rescale: z.boolean().default(true),
  // accepted so mergekit configs load; it only saves memory in mergekit and changes no number here
  int8_mask: z.boolean().default(false),
});

/**
 * DARE's random drop for one task vector of n entries: 1 = kept (probability `density`), 0 =
 * dropped. density ≥ 1 keeps everything and draws nothing (null).
 */
export function dareKeepMask(n: number, density: number, rng: Rng): Uint8Array | null {
  if (density >= 1) return null;
  const keep = new Uint8Array(n);
  for (let j = 0; j < n; j++) keep[j] = rng.next() < density ? 1 : 0;
  return keep;
}

/** The deterministic part of DARE: given each model's keep-mask, rescale and combine (input.rng is not used). */
export function mergeDare(input: MergeTensorInput, masks: readonly (Uint8Array | null)[], consensus: boolean): Float32Array {
  const { n, base } = checkWithBase(consensus ? dareTies : dareLinear, input);
  if (masks.length !== input.models.length) throw new Error(`mergeDare: ${input.models.length} models but ${masks.length} masks`);
  const p = params.parse(input.params);
  const terms: TaskVectorTerm[] = input.models.map((model, i) => {
    const mp = modelParams.parse(input.modelParams[i]);
    const keep = masks[i];
    if (keep !== null && keep.length !== n) throw new Error(`mergeDare: mask ${i} has ${keep.length} entries, expected ${n}`);
    return { model, weight: mp.weight, keep, scale: p.rescale && keep !== null ? 1 / mp.density : 1 };
  });
  return combineTaskVectors(base, terms, { consensus, normalize: p.normalize, lambda: p.lambda });
}

function drawAndMerge(input: MergeTensorInput, consensus: boolean): Float32Array {
  const n = checkWithBase(consensus ? dareTies : dareLinear, input).n;
  const masks = input.modelParams.map((mp) => dareKeepMask(n, modelParams.parse(mp).density, input.rng));
  return mergeDare(input, masks, consensus);
}

const shared = {
  reference: "Yu et al. 2023, Language Models are Super Mario (DARE), arXiv 2311.03099",
  base: "required",
  minModels: 1,
  modelParams,
  params,
} as const;

export const dareLinear = {
  ...shared,
  name: "dare_linear",
  description: "Randomly drop task-vector entries, rescale by 1/density, add the weighted sum to the base.",
  merge: (input: MergeTensorInput): Float32Array => drawAndMerge(input, false),
} satisfies MergeMethod;

export const dareTies = {
  ...shared,
  name: "dare_ties",
  description: "DARE drop-and-rescale, then TIES sign election and disjoint merge.",
  merge: (input: MergeTensorInput): Float32Array => drawAndMerge(input, true),
} satisfies MergeMethod;
