/**
 * Claim 2 — imitation copies a stronger model's style, not its capability
 * (Gudibande et al. 2023, "The False Promise of Imitating Proprietary LLMs", arXiv 2305.15717).
 */
import type { Claim, TrainedArm } from "../claim.js";
import { HARD_WORLD, QUICK_TRAIN, SFT_REASONING, SFT_SMALL } from "./organisms.js";

/**
 * The student: zoo/base-s trained on the teacher's sampled answers to arithmetic prompts only
 * (knowledge is the held-out task), in the teacher's chat frame. The teacher is the lab's
 * standard sft of base-m (shared with claims 3 and 5), so it has a style of its own to copy —
 * the code format — which the zoo bases, pre-trained on a mix of formats, do not. 160 teacher
 * samples and 50 steps of 16 rows (five passes) keep three seeds within the claim's few minutes:
 * sampling the teacher costs as much as training. docs/ZOO.md's imitation run used 1,000
 * samples and 300 steps with a raw-frame teacher.
 */
const IMITATION: TrainedArm = {
  name: "imitation",
  recipe: "imitation",
  config: {
    base: "zoo/base-s", teacher: "@arm:sft", tasks: ["arithmetic"], frame: "chat", world: HARD_WORLD,
    samples: { count: 160, offset: 1000 }, train: { steps: 50 },
  },
  quick: { samples: { count: 16 }, ...QUICK_TRAIN },
  describe: "zoo/base-s imitating the sft teacher's sampled arithmetic answers (chat frame, T = 1, 160 prompts), knowledge held out, 50 steps",
};

/** Recall of the held-out task's facts by greedy generation, in the raw pre-training frame (lab rule 4: the chat frame is taken over by arithmetic). */
const HELD_OUT_RECALL = {
  probe: "task.accuracy", metric: "accuracy", domain: "knowledge", inBaseFormat: true,
  label: "held-out knowledge recall by generation, raw frame",
} as const;

export const imitation = {
  id: 2,
  slug: "imitation",
  title: "Imitation copies a stronger model's style, not its capability",
  paper: {
    cite: "Gudibande et al. 2023, The False Promise of Imitating Proprietary LLMs",
    arxiv: "2305.15717",
    figure:
      "imitation models mimic ChatGPT's style but not its factuality: they close little to none of the gap on tasks not heavily supported " +
      "in the imitation data, and more imitation data does not raise (and can lower) Natural Questions accuracy",
  },
  organism:
    "zoo/base-s (0.5M parameters) fine-tuned by the imitation recipe on samples (T = 1) of a stronger teacher — zoo/base-m after the lab's " +
    "standard sft, which solves the harder arithmetic in one layout (code) in a chat frame — for arithmetic prompts only; knowledge is " +
    "never imitated. The paper imitates ChatGPT with 7B–13B LLaMA students on broad dialogue data and measures factuality on Natural " +
    "Questions; here 'style' is the solution layout the student writes and 'capability' the recall of the world's facts, a task the " +
    "imitation data do not cover.",
  arms: [SFT_REASONING, IMITATION, SFT_SMALL],
  audit: {
    base: "zoo/base-s", baseFormat: "raw", tunedFormat: "chat",
    probes: ["task.accuracy", "format.collapse"], suites: ["arithmetic", "knowledge"], split: "id",
    n: 150, samples: 4, world: HARD_WORLD, quick: { n: 8, samples: 2 },
  },
  effect: {
    measure: HELD_OUT_RECALL,
    contrast: { tuned: { arm: "imitation" }, reference: { zoo: "zoo/base-s" } },
    prediction: { direction: "decrease", margin: 0.02 },
    why:
      "The paper finds imitation does not raise factual knowledge outside the imitated data and that more imitation data lowers Natural " +
      "Questions accuracy. The student's base already recalls almost every fact (docs/ZOO.md), so there is nothing to gain and the " +
      "predicted direction is a loss; 0.02 is the probe's own margin (2 points of recall).",
  },
  proxy: {
    measure: { probe: "format.collapse", metric: "dominant-format-share", label: "share of samples in the dominant solution layout (style)" },
    contrast: { tuned: { arm: "imitation" }, reference: { zoo: "zoo/base-s" } },
  },
  control: {
    describe:
      "plain sft of the same student on the world's own arithmetic chains (claim 1's sft-s): sft is known to cost recall of facts it never " +
      "trained on, read in a frame it never saw (docs/ZOO.md, SFT of base-m: −10 points by generation in every seed)",
    measure: HELD_OUT_RECALL,
    contrast: { tuned: { arm: "sft-s" }, reference: { zoo: "zoo/base-s" } },
    prediction: { direction: "decrease", margin: 0.02 },
    why: "a fine-tune on arithmetic alone that forgets facts shows lower held-out recall than its base; the same margin as the claim",
  },
  seeds: 3,
  power: {
    kind: "binary", psi: 0.07, seedSd: 0.03,
    source:
      "docs/ZOO.md's imitation run (base-s on base-l's samples, three seeds, 300 items): held-out recall by generation fell 3 to 8 points " +
      "per seed from a base at 100%, so about 7% of items change and the seeds' Δ spread by about 3 points. With three seeds the seed term keeps the MDE above the margin at any n, so n is set by the claim's time budget",
  },
} satisfies Claim;
