/**
 * `task_arithmetic`: add the models' task vectors to the base (Ilharco et al. 2023, "Editing
 * Models with Task Arithmetic", arXiv 2212.04089), with mergekit's parameters:
 *
 *   θ = θ_base + λ · Σ_i w_i·(θ_i − θ_base) / (normalize ? Σ_i w_i : 1)
 */
import { z } from "zod";
import { checkWithBase } from "./input.js";
import type { MergeMethod, MergeTensorInput } from "./method.js";
import { combineTaskVectors } from "./task-vectors.js";

const weightParams = z.strictObject({
  // mergekit requires it; 1 adds each task vector whole, the paper's plain sum
  weight: z.number().finite().default(1),
});

const params = z.strictObject({
  // mergekit's default for task_arithmetic: the weights are the task vectors' scales, not shares
  normalize: z.boolean().default(false),
  // the paper's scaling coefficient; 1 (mergekit's default) adds the weighted sum unscaled
  lambda: z.number().finite().default(1),
  // accepted so mergekit configs load; it only saves memory in mergekit and changes no number here
  int8_mask: z.boolean().default(false),
});

export const taskArithmetic = {
  name: "task_arithmetic",
  description: "Base plus the weighted sum of task vectors (θ_i − θ_base), scaled by lambda.",
  reference: "Ilharco et al. 2023, Editing Models with Task Arithmetic, arXiv 2212.04089",
  base: "required",
  minModels: 1,
  modelParams: weightParams,
  params,
  merge(input: MergeTensorInput): Float32Array {
    const { base } = checkWithBase(taskArithmetic, input);
    const p = params.parse(input.params);
    const terms = input.models.map((model, i) => ({ model, weight: weightParams.parse(input.modelParams[i]).weight, keep: null, scale: 1 }));
    return combineTaskVectors(base, terms, { consensus: false, normalize: p.normalize, lambda: p.lambda });
  },
} satisfies MergeMethod;
