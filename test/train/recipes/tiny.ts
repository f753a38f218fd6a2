/** A tiny pretrain config the recipe tests share (seconds on the TS kernels), and a base run made from it. */
import { createTsKernels } from "../../../src/tensor/index.js";
import { resolveRecipeConfig, runLab } from "../../../src/train/index.js";

export const tinyPretrain = {
  model: { dim: 32, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 64, contextLength: 128 },
  train: { steps: 50, batchSize: 8, maxLr: 1e-2, minLr: 1e-3, warmupSteps: 5 },
  world: { knowledge: { entities: 10 } },
  corpus: { documents: 300 },
};

/** Pre-train a tiny base into `dir` (fields of `json` override tinyPretrain's). */
export async function pretrainRun(dir: string, json: Record<string, unknown>, seed: number): Promise<void> {
  const r = resolveRecipeConfig("pretrain", { ...tinyPretrain, ...json });
  if (!r.ok) throw new Error(r.message);
  const run = await runLab({ recipe: r.value.recipe, dir, kernels: createTsKernels(), seed });
  if (!run.ok) throw new Error(run.message);
}
