/** What a training recipe declares: its model, its data and its default schedule. */
import type { CharTokenizer, ModelConfig } from "../../model/index.js";
import type { BatchSource } from "../batches.js";

export interface RecipeDefaults {
  steps: number;
  batchSize: number;
  maxLr: number;
  minLr: number;
  warmupSteps: number;
}

export interface Recipe {
  name: string;
  /** One line for `ftledger lab train --help`. */
  description: string;
  defaults: RecipeDefaults;
  model(tokenizer: CharTokenizer): ModelConfig;
  data(a: { tokenizer: CharTokenizer; config: ModelConfig; batchSize: number; seed: number }): BatchSource;
}
