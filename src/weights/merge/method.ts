/**
 * The merge-method contract (mergekit's model, one file per method, an explicit registry
 * in ./registry.ts). A method merges ONE tensor at a time: the driver (../merge.ts) streams
 * the models' tensors through it, so memory stays at a few tensors whatever the model size.
 *
 * Parameters follow mergekit's YAML: per-model `parameters` (e.g. `weight`, `density`) and
 * merge-wide `parameters` (e.g. `normalize`, `lambda`, `t`). The driver resolves filters and
 * layer gradients, so a method sees plain numbers for this tensor.
 */
import type { Rng } from "../../random/index.js";
import type { z } from "zod";

/** One tensor's inputs, all the same length (row-major, float32). */
export interface MergeTensorInput {
  /** The tensor's name, e.g. "model.layers.3.self_attn.q_proj.weight". */
  readonly name: string;
  readonly shape: readonly number[];
  /** The base model's tensor (`base_model`), or null when the config has none. */
  readonly base: Float32Array | null;
  /** Each listed model's tensor, in the config's order (the base is not repeated here). */
  readonly models: readonly Float32Array[];
  /** Each model's resolved per-model parameters for this tensor (same order as `models`). */
  readonly modelParams: readonly Readonly<Record<string, number>>[];
  /** The merge-wide parameters resolved for this tensor. */
  readonly params: Readonly<Record<string, number | boolean>>;
  /** Seeded per tensor (from the config's seed and the tensor's name): same config → same bytes. */
  readonly rng: Rng;
  /**
   * A buffer of the tensor's length that the driver reuses from tensor to tensor (never an
   * input), which a method may fill and return as its result: the merge then makes no garbage
   * the size of a tensor. Absent: allocate.
   */
  readonly scratch?: Float32Array;
}

export interface MergeMethod {
  /** mergekit's name: "linear", "task_arithmetic", "ties", "dare_linear", "dare_ties", "slerp", "cpi". */
  readonly name: string;
  /** One line for --help and docs. */
  readonly description: string;
  /** The paper (or source) the method implements. */
  readonly reference: string;
  /** Whether the method needs `base_model` ("required"), cannot use one ("none"), or either. */
  readonly base: "required" | "optional" | "none";
  /** How many models it merges besides base_model, i.e. `models.length` (slerp: exactly 1, so 2 counting the base). */
  readonly minModels: number;
  readonly maxModels?: number;
  /** Per-model parameters with their defaults (validated after resolution, per tensor). */
  readonly modelParams: z.ZodType<Record<string, number>>;
  /** Merge-wide parameters with their defaults. */
  readonly params: z.ZodType<Record<string, number | boolean>>;
  /** The merged tensor (a fresh array; inputs are never modified). */
  merge(input: MergeTensorInput): Float32Array;
}
