/**
 * Claim 8 — preference tuning cuts the diversity of outputs in code and raises it in
 * creative writing (Shypula et al. 2025, "Evaluating the Diversity and Quality of LLM
 * Generated Content", arXiv 2504.12522). The lab can run the code half only, on the world's
 * straight-line code solutions; the creative half is not runnable (see `effect.why`).
 */
import type { Claim, TrainedArm } from "../claim.js";

/**
 * DPO steps of both arms: the lab's measured run took 200 updates (7–10 minutes a seed on a
 * loaded machine, docs/LAB.md); 40 updates of 16 pairs (one pass over 640 pairs, about 50 s a
 * run with the native kernels) fit the claim's budget of two arms × three seeds. lr 1e-4 → 1e-5
 * as the recipe's default; 2 warmup steps instead of 10, so most of the short run is at full lr.
 */
const DPO_TRAIN = { steps: 40, batchSize: 16, maxLr: 0.0001, minLr: 0.00001, warmupSteps: 2 };
/** The quick smoke run: 32 pairs (two updates' worth), so the reference log-probs take seconds. */
const DPO_QUICK = { pairs: { count: 32 }, train: { steps: 3, warmupSteps: 0 } };

/**
 * DPO for correctness: chosen = a verified solution in the code format, rejected = the same
 * solution with a wrong last result and Answer line. Chosen and rejected share the format and
 * every token up to the changed step, so the pairs prefer quality, not a format: a fall of
 * the solutions' structural diversity is the preference tuning's doing, not the data's.
 */
export const DPO_CORRECT: TrainedArm = {
  name: "dpo-correct",
  recipe: "dpo",
  config: { base: "zoo/base-m", frame: "raw", pairs: { target: "code", rejected: "wrong-answer", count: 640 }, train: DPO_TRAIN },
  quick: DPO_QUICK,
  describe: "dpo preferring correct over wrong answers, both in the code format (raw frame), zoo/base-m, 40 updates × 16 pairs",
};

/**
 * DPO towards one format: rejected = the same correct solution in another format. It teaches
 * the code format over the others, so the format mix collapses by construction (docs/LAB.md:
 * entropy 1.03 → 0 after the full run). Claim 8's and claim 6's planted control.
 */
export const DPO_FORMAT: TrainedArm = {
  name: "dpo-format",
  recipe: "dpo",
  config: { base: "zoo/base-m", frame: "raw", pairs: { target: "code", rejected: "other-format", count: 640 }, train: DPO_TRAIN },
  quick: DPO_QUICK,
  describe: "dpo preferring the code format over the other two (same correct solution), raw frame, zoo/base-m, 40 updates × 16 pairs",
};

export const preferenceDiversity = {
  id: 8,
  slug: "preference-diversity",
  title: "Preference tuning cuts the structural diversity of code-like outputs (the code half)",
  paper: {
    cite: "Shypula et al. 2025, Evaluating the Diversity and Quality of LLM Generated Content",
    arxiv: "2504.12522",
    figure:
      "preference-tuned models (DPO, PPO, GRPO) show lower lexical and syntactic diversity of their programs than SFT or base models, while " +
      "their effective semantic diversity (among outputs that pass the quality bar) is higher, because more of their outputs pass",
  },
  organism:
    "zoo/base-m tuned by dpo in its raw pre-training frame on the world's arithmetic pairs, the chosen solution written in the code format " +
    "(numbered assignments with their values: a straight-line program) and the rejected one the same program with a wrong result. The paper " +
    "samples program-synthesis and creative-writing tasks from 1B–70B open models with and without preference tuning on human/AI-ranked " +
    "pairs. The lab's pairs exist for arithmetic only (no recipe builds program or story pairs), and no zoo model was pre-trained on the " +
    "world's programs or stories (docs/PROBES.md: the zoo saw arithmetic, knowledge and reference text only), so the code half is measured " +
    "on code-format arithmetic solutions and the creative-writing half cannot be run.",
  arms: [DPO_CORRECT, DPO_FORMAT],
  audit: {
    base: "zoo/base-m", baseFormat: "raw", tunedFormat: "raw",
    probes: ["diversity"], suites: ["arithmetic"], split: "id",
    n: 100, samples: 4, quick: { n: 8, samples: 4 },
  },
  effect: {
    measure: { probe: "diversity", metric: "syntactic-diversity", domain: "arithmetic", label: "syntactic diversity: chance two samples differ in format or step count" },
    contrast: { tuned: { arm: "dpo-correct" }, reference: { zoo: "zoo/base-m" } },
    prediction: { direction: "decrease", margin: 0.05 },
    why:
      "The paper finds preference tuning lowers the syntactic (AST-level) diversity of generated programs. Here a sample's shape is its format " +
      "and step count, and 0.05 is the probe's margin: a 5-point fall of the chance that two samples differ in shape. Only this half of the " +
      "claim is judged. The other half — preference tuning RAISES diversity in creative writing — is not runnable: the world's stories suite " +
      "exists, but no zoo base was pre-trained on stories (its samples there are not stories at all) and the dpo recipe builds no story pairs, " +
      "so no preference-tuned storyteller can be made in the lab.",
  },
  proxy: {
    measure: { probe: "diversity", metric: "validity", domain: "arithmetic", label: "share of samples correct" },
    contrast: { tuned: { arm: "dpo-correct" }, reference: { zoo: "zoo/base-m" } },
  },
  control: {
    describe: "dpo preferring the code format over the other two: only one format is left to write, so the chance that two samples differ in shape falls by construction",
    measure: { probe: "diversity", metric: "syntactic-diversity", domain: "arithmetic", label: "syntactic diversity: chance two samples differ in format or step count" },
    contrast: { tuned: { arm: "dpo-format" }, reference: { zoo: "zoo/base-m" } },
    prediction: { direction: "decrease", margin: 0.05 },
    why: "with every sample in one format, two samples can differ in shape only by their step count, which the item fixes for a correct solution",
  },
  seeds: 3,
  power: {
    kind: "continuous", sd: 0.35, seedSd: 0.05,
    source:
      "per item the index over 4 samples lies in [0, 1]; the base writes three formats (natural 51%, code 28%, terse 20%, docs/LAB.md), so its " +
      "per-item value spreads widely and an sd of per-item differences near 0.35 is a cautious guess. Seed sd: DPO seeds' code share spread " +
      "70–82% in docs/LAB.md. With 3 seeds the t test on the seeds' Δ dominates plan.ts's MDE: " +
      "about 0.27 at n = 100 (the seed term alone about 0.15 at any n), so only a fall several times the margin can be called reproduced; " +
      "n = 100 keeps the audit of seven models within budget",
  },
} satisfies Claim;
