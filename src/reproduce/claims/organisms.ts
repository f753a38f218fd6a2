/**
 * Settings several claims share, so that their organisms are the same models (the runner
 * trains an arm once per seed when two claims give it the same recipe and config).
 */
import type { Json, TrainedArm } from "../claim.js";

/**
 * The harder arithmetic world the lab's fine-tuning experiments use (docs/LAB.md): 2–4 steps,
 * operands ≤ 49. zoo/base-m solves about 11% of it, so a fine-tune has room to gain.
 */
export const HARD_WORLD: { [k: string]: Json } = { arithmetic: { minSteps: 2, maxSteps: 4, operandMax: 49 } };

/** The quick smoke run's fine-tune: a few steps, enough to write a checkpoint the audit can open. */
export const QUICK_TRAIN: { [k: string]: Json } = { train: { steps: 3, warmupSteps: 0 } };

/** SFT on arithmetic with its chain of thought, all in the `code` format, in the chat frame, on a zoo base. */
function reasoningSft(name: string, base: string, steps: number): TrainedArm {
  return {
    name,
    recipe: "sft",
    config: { base, task: "arithmetic", variant: "with-reasoning", format: "code", world: HARD_WORLD, train: { steps } },
    quick: QUICK_TRAIN,
    describe: `sft on arithmetic with its chain of thought (code format, chat frame), ${base}, ${steps} steps`,
  };
}

/**
 * The lab's standard fine-tune on zoo/base-m (+79 pp on the hard world, docs/LAB.md). 150
 * steps: the loss is at ~0.1 by step 30.
 */
export const SFT_REASONING: TrainedArm = reasoningSft("sft", "zoo/base-m", 150);

/**
 * The small fine-tune of the EFT 2×2 (scripts/experiments/eft2x2.sh's sft-s), on zoo/base-s.
 * 60 steps rather than 150: the loss is near its floor by step 30, base-s is the smallest
 * model, and claims 1 and 2 budget three seeds in a few minutes.
 */
export const SFT_SMALL: TrainedArm = reasoningSft("sft-s", "zoo/base-s", 60);

/** The same SFT with answers only: the chain of thought is gone from the training data. */
export const SFT_ANSWER_ONLY: TrainedArm = {
  name: "sft-answer-only",
  recipe: "sft",
  config: { base: "zoo/base-m", task: "arithmetic", variant: "answer-only", world: HARD_WORLD, train: { steps: 150 } },
  quick: QUICK_TRAIN,
  describe: "sft on arithmetic answers without any reasoning (chat frame), zoo/base-m, 150 steps",
};
