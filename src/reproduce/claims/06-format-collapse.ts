/**
 * Claim 6 — RL fine-tuning collapses the mix of solution formats a model learned in
 * pre-training onto one of them, early in training (Zhao et al. 2025, "Echo Chamber: RL
 * Post-training Amplifies Behaviors Learned in Pretraining", arXiv 2504.07912).
 */
import type { Claim, Json, TrainedArm } from "../claim.js";
import { DPO_FORMAT } from "./08-preference-diversity.js";

/**
 * The world GRPO trains and is audited in (docs/ZOO.md, "GRPO on base-m"): 1–4 steps on
 * operands ≤ 29. zoo/base-m solves about a third of it greedily, inside the 20–60% band in
 * which groups of k = 8 samples hold both right and wrong answers (lab rule 5); on the
 * harder world (~11%) most groups are all wrong and carry no advantage.
 */
export const GRPO_WORLD: { [k: string]: Json } = { arithmetic: { minSteps: 1, maxSteps: 4, operandMax: 29 } };

/**
 * GRPO on zoo/base-m in the raw pre-training frame, where the policy chooses among the three
 * formats it was pre-trained on. The lab's measured run (docs/ZOO.md) took 80 updates of 24
 * prompts × 8 samples, 5–7 minutes a seed; the paper sees the collapse within the first
 * epoch, so 12 updates (6 rollouts, the first 15% of that run) keep the start of training at a
 * cost the claim's budget allows (~18 s a rollout on 2 cores, docs/PERFORMANCE.md). 24 prompts
 * per rollout: with 8 the lab saw no in-run trend in any seed. Claim 7 audits the same runs (it
 * imports this object, so the runner trains it once per seed).
 */
export const GRPO_ARM: TrainedArm = {
  name: "grpo",
  recipe: "grpo",
  config: { base: "zoo/base-m", world: GRPO_WORLD, train: { steps: 12, batchSize: 24, maxLr: 0.0001, minLr: 0.00001 } },
  // one rollout of 4 prompts, two updates (steps must be a multiple of the 2 updates per rollout): a smoke run, no trend expected
  quick: { train: { steps: 2, batchSize: 4 } },
  describe: "grpo on arithmetic (raw frame, 1–4 steps, operands ≤ 29), zoo/base-m, 12 updates = 6 rollouts × 24 prompts × 8 samples",
};

export const formatCollapse = {
  id: 6,
  slug: "format-collapse",
  title: "RL fine-tuning collapses the pre-training mix of solution formats onto one",
  paper: {
    cite: "Zhao et al. 2025, Echo Chamber: RL Post-training Amplifies Behaviors Learned in Pretraining",
    arxiv: "2504.07912",
    figure:
      "models pre-trained on a mixture of solution styles converge, within the first epoch of PPO/GRPO/expert iteration, onto the outputs of one " +
      "pre-training distribution, the other styles nearly vanishing, while pass@1 rises",
  },
  organism:
    "zoo/base-m, pre-trained on arithmetic solutions in three formats (natural 50%, code 30%, terse 20%), fine-tuned by grpo with the world's " +
    "verifier as reward in the raw pre-training frame, in a world it solves about a third of the time (1–4 steps, operands ≤ 29). The paper " +
    "pre-trains 150M–1B models from scratch on open math corpora (TinyGSM code, OpenMathInstruct natural language …) and runs RL for epochs " +
    "over GSM8K; here the formats are the world's exact grammars, the run is 12 updates (the start of training, where the paper sees the " +
    "switch), and formats are read from 4 samples per problem at T = 1.",
  arms: [GRPO_ARM, DPO_FORMAT],
  audit: {
    base: "zoo/base-m", baseFormat: "raw", tunedFormat: "raw",
    probes: ["format.collapse"], suites: ["arithmetic"], split: "id",
    n: 100, samples: 4, world: GRPO_WORLD, quick: { n: 8, samples: 4 },
  },
  effect: {
    measure: { probe: "format.collapse", metric: "dominant-format-share", label: "share of an item's samples in its most common format" },
    contrast: { tuned: { arm: "grpo" }, reference: { zoo: "zoo/base-m" } },
    prediction: { direction: "increase", margin: 0.05 },
    why:
      "The paper's format curves go from a mixture to nearly one format within the first epoch — a rise of the dominant share by tens of " +
      "points. 0.05 (one sample in twenty moving to the dominant format) is the smallest rise we count as concentration; the probe's own " +
      "margin, 0.03, is within what two seeds of the same recipe differ by (docs/ZOO.md: natural share 58–71% across GRPO seeds).",
  },
  proxy: {
    measure: { probe: "format.collapse", metric: "pass@1", label: "pass@1 at T = 1 (share of samples correct)" },
    contrast: { tuned: { arm: "grpo" }, reference: { zoo: "zoo/base-m" } },
  },
  control: {
    describe:
      "dpo towards the code format (rejected = the same solution in another format): the preference pairs teach one format, so the mix " +
      "collapses by construction (docs/LAB.md measured format entropy 1.03 → 0 after the full run); trained in the pre-training world, read here in grpo's",
    measure: { probe: "format.collapse", metric: "dominant-format-share", label: "share of an item's samples in its most common format" },
    contrast: { tuned: { arm: "dpo-format" }, reference: { zoo: "zoo/base-m" } },
    prediction: { direction: "increase", margin: 0.05 },
    why: "a fine-tune that prefers one format over the others on every pair must raise that format's share of the samples",
  },
  seeds: 3,
  power: {
    kind: "continuous", sd: 0.3, seedSd: 0.064,
    source:
      "per-item dominant share of 4 samples takes the values 0.25–1, so an sd of per-item differences near 0.3 is a cautious guess; the seed sd is " +
      "the spread of the natural-format share across the three 80-update GRPO seeds of docs/ZOO.md (71.1, 62.8, 58.4%). With 3 seeds the t test " +
      "on the seeds' Δ dominates plan.ts's MDE (about 0.27 at n = 100; the seed term alone about 0.20 at any n), so only a collapse several " +
      "times the margin can be called reproduced; more items barely help (0.22 at n = 400), and n = 100 keeps the audit within budget",
  },
} satisfies Claim;
