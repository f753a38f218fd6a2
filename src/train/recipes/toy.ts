/**
 * Recipe `toy`: pre-train a small llama on the toy language (src/train/toy-language.ts).
 * The engine's smoke test and the demo's model; it takes no config.
 */
import { z } from "zod";
import { type Tokenizer, type ModelConfig } from "../../model/index.js";
import { createRng } from "../../random/index.js";
import { windowBatches } from "../batches.js";
import { toyCorpus } from "../toy-language.js";
import type { Recipe, RecipeFactory } from "./recipe.js";

const toySchema = z.strictObject({});

/** Both the recipe itself (the demo uses it directly) and its registry entry. */
export const toy: Recipe & RecipeFactory<typeof toySchema> = {
  name: "toy",
  description: "pre-train a ~100k-parameter llama on a tiny English-like grammar (about 15 s)",
  schema: toySchema,
  create: () => toy,
  defaults: { steps: 300, batchSize: 16, maxLr: 1e-2, minLr: 1e-3, warmupSteps: 20 },
  model(tokenizer: Tokenizer): ModelConfig {
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
