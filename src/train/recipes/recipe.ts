/**
 * What a training recipe declares: its model, its data and its default schedule; and
 * the factory that builds one from a validated config (docs/CONTRIBUTING.md §7–§8).
 */
import type { z } from "zod";
import type { Tokenizer, LoraConfig, ModelConfig } from "../../model/index.js";
import type { Kernels } from "../../tensor/index.js";
import type { BatchSource } from "../batches.js";
import type { Objective } from "../objective.js";
import type { StepLog, TrainError } from "../trainer.js";

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
  /**
   * The tokenizer a fresh run trains with: "char" (the default) or a tokenizer.json path,
   * relative to the config file's folder (RunSettings.configDir). A fine-tune always trains
   * with its base checkpoint's tokenizer (naming another one is an error); a resumed run
   * with its checkpoint's.
   */
  tokenizer?: string;
  /**
   * Train a LoRA adapter on the frozen base instead of the base's weights (adapter.ts):
   * runLab attaches a fresh seeded adapter and checkpoints only the adapter (PEFT folder).
   */
  adapter?: LoraConfig;
  /** The model to train; `base` is the base checkpoint's config when the recipe has one. */
  model(tokenizer: Tokenizer, base?: ModelConfig): ModelConfig;
  /**
   * Asynchronous work the data need first (e.g. imitation: load a teacher and sample it).
   * runLab awaits it once per run, fresh or resumed, right before `data()`, with the
   * run's kernels and seed; the result is a reason the run cannot start, or null.
   * NOTE: what it makes lives in the recipe's closure, so `data()` may depend on it.
   */
  prepare?(a: { kernels: Kernels; tokenizer: Tokenizer; seed: number; onProgress?: PrepareProgress }): Promise<string | null>;
  /** What each update trains on: batches (supervised recipes) or an objective that makes its own (grpo). */
  data(a: { tokenizer: Tokenizer; config: ModelConfig; batchSize: number; seed: number }): BatchSource | Objective;
  /**
   * Weights a fresh run starts from in place of the base's, made by `prepare` (cpi-ft: the fused
   * model); a resumed run loads its checkpoint instead. Same length as the model's parameters.
   */
  startWeights?(): Float32Array;
  /**
   * 1 for each parameter element the optimiser must leave as it is (trainer.ts `frozen`; cpi-ft:
   * the tasks' core regions), made by `prepare` on fresh and resumed runs alike — so it must be
   * rebuilt identically; put its hash in the data's `info`, which a resume checks.
   */
  frozen?(): Uint8Array;
  /**
   * The rows this recipe trains on, as TRL-compatible JSON objects, in the order a run with
   * `seed` first visits them (`ftledger lab data`): sft `{messages}`, dpo `{prompt, chosen,
   * rejected}`, grpo `{prompt, verifier, …}`. `config` is the model's (the base's for a
   * fine-tune). Absent for recipes whose rows are not static data (pretrain's windows, the
   * toy language, imitation's teacher samples). Throws an Error with a user-facing message.
   */
  rows?(a: { tokenizer: Tokenizer; config: ModelConfig; seed: number }): AsyncIterable<TrainingRow>;
  /**
   * A recipe whose trainable parameters are not one Llama's (softcot: a projection between
   * two frozen models) runs its own resumable loop in the run-folder layout; runLab hands
   * the whole run to it (and `model`/`data` are never called).
   */
  run?(o: RunSettings, recipeName: string): Promise<LabRunResult>;
}

/**
 * How a lab run is started, the recipe aside (runLab's options; what a recipe with its own
 * loop receives). Here rather than in run.ts so that recipes never import the runner.
 */
export interface RunSettings {
  dir: string;
  kernels: Kernels;
  seed: number;
  steps?: number;
  checkpointEvery?: number;
  /** Continue from the newest checkpoint in `dir` (an error if there is none). */
  resume?: boolean;
  /** The folder of the config file, which a recipe's relative paths (its tokenizer) are relative to (default: the working directory). */
  configDir?: string;
  onStep?: (log: StepLog) => void;
  /** Progress of the recipe's preparation before the first update (imitation: sampling its teacher). */
  onPrepareProgress?: PrepareProgress;
}

export type LabRunResult =
  | {
    ok: true; checkpoint: string; losses: number[]; resumedFrom: number; note?: string;
    /** The data source's report (e.g. sft: examples kept and dropped), as in run.json. */
    data?: Record<string, string | number>;
    base?: { path: string; checkpoint: string; sha256: string };
  }
  | { ok: false; message: string; checkpoint: string | null; error?: TrainError };

/** One row of `Recipe.rows`: a JSON object. */
export type TrainingRow = Record<string, unknown>;

/** A registry entry: metadata as data, a zod schema whose defaults fill a partial config, and `create`. */
export interface RecipeFactory<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  /** Paper or document the recipe follows. */
  reference?: string;
  /** The shape of its rows when its recipes have `rows` (`ftledger lab data`), e.g. `{"messages": […]}`. */
  rows?: string;
  schema: S;
  create(config: z.output<S>): Recipe;
}
