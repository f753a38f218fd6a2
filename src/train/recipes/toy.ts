/**
 * Recipe `toy`: pre-train a small llama on the toy language (src/train/toy-language.ts).
 * The engine's smoke test and the demo's model; real model organisms come with the lab.
 */
import { CharTokenizer, type ModelConfig } from "../../model/index.js";
import { createRng } from "../../model/index.js";
import { windowBatches } from "../batches.js";
import { toyCorpus } from "../toy-language.js";
import type { Recipe } from "./recipe.js";

export const toy: Recipe = {
  name: "toy",
  description: "pre-train a ~100k-parameter llama on a tiny English-like grammar (about 15 s)",
  defaults: { steps: 300, batchSize: 16, maxLr: 1e-2, minLr: 1e-3, warmupSteps: 20 },
  model(tokenizer: CharTokenizer): ModelConfig {
    return {
      vocabSize: tokenizer.size, dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 192,
      contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
    };
  },
  data({ tokenizer, config, batchSize, seed }) {
    const stream = Int32Array.from(tokenizer.encode(toyCorpus(5000, createRng(seed + 1))));
    return windowBatches(stream, batchSize, config.contextLength, seed + 2);
  },
};
