/** A tiny pretrain config the recipe tests share (seconds on the TS kernels). */
export const tinyPretrain = {
  model: { dim: 32, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 64, contextLength: 128 },
  train: { steps: 50, batchSize: 8, maxLr: 1e-2, minLr: 1e-3, warmupSteps: 5 },
  world: { knowledge: { entities: 10 } },
  corpus: { documents: 300 },
};
