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
 * (`cpiFuse` in src/tensor/cpi-fusion.ts, shared with the cpi-ft recipe, which then fine-tunes the
 * fused model on mixed-task data with the cores frozen: src/train/recipes/cpi-ft.ts)
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
import { cpiFuse } from "../../tensor/index.js";
import { checkWithBase } from "./input.js";
import type { MergeMethod, MergeTensorInput } from "./method.js";

const modelParams = z.strictObject({
  // the paper's p = 1%: a task's core is the top 1% of its update magnitudes
  core_fraction: z.number().min(0).max(1).default(0.01),
  // the paper fuses tasks symmetrically: equal shares in the non-core spherical mean
  weight: z.number().finite().gt(0).default(1),
});

const params = z.strictObject({});

export const cpi = {
  name: "cpi",
  description: "CPI-FT fusion: SLERP the tasks' non-core weights, transplant each task's core (top |θ_i − θ_base|) entries.",
  reference: "Wang, Liang, Peng 2025, Core Parameter Isolation Fine-Tuning, arXiv 2508.21741",
  base: "required",
  minModels: 1,
  modelParams,
  params,
  merge(input: MergeTensorInput): Float32Array {
    const { base } = checkWithBase(cpi, input);
    params.parse(input.params);
    const mp = input.modelParams.map((p) => modelParams.parse(p));
    return cpiFuse(base, input.models, mp.map((p) => p.core_fraction), mp.map((p) => p.weight)).merged;
  },
} satisfies MergeMethod;
