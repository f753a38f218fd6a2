/**
 * What a training recipe declares: its model, its data and its default schedule; and
 * the factory that builds one from a validated config (docs/CONTRIBUTING.md §7–§8).
 */
import type { z } from "zod";
import type { CharTokenizer, ModelConfig } from "../../model/index.js";
import type { Kernels } from "../../tensor/index.js";
import type { BatchSource } from "../batches.js";
import type { Objective } from "../objective.js";

/** Progress of a recipe's preparation (e.g. "teacher samples", 320 of 1000). */
export type PrepareProgress = (label: string, done: number, total: number) => void;

export interface RecipeDefaults {
  steps: number;
  batchSize: number;
  maxLr: number;
  minLr: number;
  warmupSteps: number;
}

/** Weights a run starts from instead of a seeded random init (a fine-tune's base model). */
export interface RecipeBase {
  /** A checkpoint folder, or a run folder (its newest checkpoint is used). */
  path: string;
  /** What rules the base's model out for this recipe (e.g. a context too short), or null. */
  check?(config: ModelConfig): string | null;
}

export interface Recipe {
  name: string;
  /** One line for `ftledger lab train --help`. */
  description: string;
  defaults: RecipeDefaults;
  /** The recipe's validated config as data: recorded in run.json, and a resume must match it. */
  config?: unknown;
  /** Start from these weights (runLab loads them, and records their path and sha256 in run.json). */
  base?: RecipeBase;
  /** The model to train; `base` is the base checkpoint's config when the recipe has one. */
  model(tokenizer: CharTokenizer, base?: ModelConfig): ModelConfig;
  /**
   * Asynchronous work the data need first (e.g. imitation: load a teacher and sample it).
   * runLab awaits it once per run, fresh or resumed, right before `data()`, with the
   * run's kernels and seed; the result is a reason the run cannot start, or null.
   * NOTE: what it makes lives in the recipe's closure, so `data()` may depend on it.
   */
  prepare?(a: { kernels: Kernels; tokenizer: CharTokenizer; seed: number; onProgress?: PrepareProgress }): Promise<string | null>;
  /** What each update trains on: batches (supervised recipes) or an objective that makes its own (grpo). */
  data(a: { tokenizer: CharTokenizer; config: ModelConfig; batchSize: number; seed: number }): BatchSource | Objective;
}

/** A registry entry: metadata as data, a zod schema whose defaults fill a partial config, and `create`. */
export interface RecipeFactory<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  /** Paper or document the recipe follows. */
  reference?: string;
  schema: S;
  create(config: z.output<S>): Recipe;
}
