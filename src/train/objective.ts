/**
 * What one update differentiates. Supervised recipes give a `BatchSource` (a batch per
 * step; the loss is the model's masked cross-entropy); on-policy recipes (grpo) give an
 * `Objective` that samples, scores and sets per-token weights itself. The trainer sees
 * only objectives: a batch source is wrapped by `supervised`.
 */
import type { Llama } from "../model/index.js";
import type { BatchSource } from "./batches.js";

/** Numbers an objective reports per update (reward, KL, format shares …), logged to metrics.jsonl. */
export type StepMetrics = Record<string, number | Record<string, number>>;

export interface ObjectiveStep {
  /** The objective's value for this update (what the progress bar shows as loss). */
  loss: number;
  /** Tokens that carried weight in this update. */
  tokens: number;
  metrics?: StepMetrics;
}

export interface Objective {
  /**
   * Forward and backward for 0-based update `step`, adding d loss / d θ into the model's
   * gradients (zeroed by the caller). Throws `BatchError` for data the model cannot run.
   * Must be a pure function of (weights, step) so that a resumed run repeats itself.
   */
  gradients(model: Llama<Float32Array>, step: number): ObjectiveStep;
  /** Checkpoints may only fall on multiples of this (an objective that reuses one rollout for several updates). */
  stepMultiple?: number;
  /** Recorded in run.json; a resume must match it (as for a batch source). */
  info?: Record<string, string | number>;
  /** Why this objective cannot train at all; runLab refuses to start. */
  problem?: string;
}

export function isObjective(d: BatchSource | Objective): d is Objective {
  return typeof (d as Objective).gradients === "function";
}

/** Next-token cross-entropy on the source's batch for each step. */
export function supervised(data: BatchSource): Objective {
  return {
    info: data.info,
    problem: data.problem,
    gradients(model, step) {
      const r = model.forward(data.batch(step));
      if (r.count > 0) model.backward();
      return { loss: r.loss, tokens: r.count };
    },
  };
}
