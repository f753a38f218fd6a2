/**
 * `linear`: a weighted average of the models' weights, the "model soup" of Wortsman et al. 2022
 * ("Model soups: averaging weights of multiple fine-tuned models improves accuracy without
 * increasing inference time", arXiv 2203.05482), with mergekit's parameters: per-model `weight`,
 * merge-wide `normalize`.
 *
 * θ = Σ_i w_i·θ_i / (normalize ? Σ_i w_i : 1), accumulated in float64.
 *
 * No base model: as in mergekit, a linear merge averages the listed models only; to put the base
 * into the soup, list it as a model with its own weight.
 */
import { z } from "zod";
import { checkInput } from "./input.js";
import type { MergeMethod, MergeTensorInput } from "./method.js";

const modelParams = z.strictObject({
  // mergekit requires it; 1 for every model is the uniform soup of the paper
  weight: z.number().finite().default(1),
});

const params = z.strictObject({
  // mergekit's default: weights are shares of the average, so any positive scale gives the same soup
  normalize: z.boolean().default(true),
});

export const linear = {
  name: "linear",
  description: "Weighted average of the models' weights (model soup).",
  reference: "Wortsman et al. 2022, Model soups, arXiv 2203.05482",
  base: "none",
  minModels: 1,
  modelParams,
  params,
  merge(input: MergeTensorInput): Float32Array {
    const n = checkInput(linear, input);
    const { normalize } = params.parse(input.params);
    const weights = input.modelParams.map((p) => modelParams.parse(p).weight);
    const weightSum = weights.reduce((a, w) => a + w, 0);
    // NOTE: weights summing to 0 cannot be normalised; like mergekit's task arithmetic we then
    // leave the sum undivided instead of writing ±Inf (the driver may reject such configs first)
    const divisor = normalize && Math.abs(weightSum) >= 1e-8 ? weightSum : 1;
    const out = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < weights.length; i++) s += weights[i] * input.models[i][j];
      out[j] = s / divisor;
    }
    return out;
  },
} satisfies MergeMethod;
