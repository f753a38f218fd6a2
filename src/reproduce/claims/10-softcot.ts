/**
 * Claim 10 — a frozen backbone with a small trained auxiliary gains a task without the
 * forgetting a full fine-tune risks (Xu et al. 2025, SoftCoT, arXiv 2502.12134).
 */
import type { Claim, TrainedArm } from "../claim.js";
import { HARD_WORLD, QUICK_TRAIN, SFT_REASONING } from "./organisms.js";

/**
 * SoftCoT on the same arithmetic examples and schedule as the sft arm (code format, chat frame,
 * harder world, 150 steps at sft's learning rate, as in docs/LAB.md's claim-10 experiment):
 * frozen zoo/base-m, k = 4 thoughts from frozen zoo/base-s, only the projection trains. Its
 * checkpoint is not a model folder the audit can open; it is trained because the run checks, at
 * its end, that the backbone's weights still hash to the sha256 recorded at its start, and fails
 * otherwise (src/train/softcot-run.ts). That check is what this claim uses.
 */
const SOFTCOT: TrainedArm = {
  name: "softcot",
  recipe: "softcot",
  config: {
    backbone: "zoo/base-m", assistant: "zoo/base-s", k: 4, frame: "chat", variant: "with-reasoning", format: "code",
    world: HARD_WORLD, train: { steps: 150 },
  },
  quick: QUICK_TRAIN,
  describe: "softcot: frozen zoo/base-m fed 4 soft thoughts from frozen zoo/base-s through a trained projection, same examples and steps as sft (150)",
};

export const softcot = {
  id: 10,
  slug: "softcot",
  title: "A frozen backbone with a small auxiliary keeps what a full fine-tune forgets",
  paper: {
    cite: "Xu et al. 2025, SoftCoT: Soft Chain-of-Thought for Efficient Reasoning with LLMs",
    arxiv: "2502.12134",
    figure:
      "abstract: methods that fine-tune the whole model for chain-of-thought reasoning risk catastrophic forgetting; SoftCoT keeps the backbone LLM " +
      "frozen and trains only a small assistant's projection, so the backbone's knowledge is preserved",
  },
  organism:
    "zoo/base-m fine-tuned two ways on the same arithmetic chains of thought (code format, chat frame, harder world): fully by sft " +
    "(the lab's standard 150-step fine-tune), and by softcot (frozen base-m, thoughts from frozen base-s, only a 12k-parameter projection " +
    "trains). A softcot checkpoint cannot be opened by the audit (it is not a model folder, docs/LAB.md), so its task gain is not measured " +
    "here. Its retained capability does not need the audit: the backbone is frozen, and every softcot run fails unless the backbone's " +
    "weights at its end hash to the sha256 recorded at its start, so a softcot run that finishes has exactly zoo/base-m's closed-book " +
    "recall. The judged contrast is therefore sft against zoo/base-m itself, per seed: the forgetting softcot avoids by construction. " +
    "Recall is asked in the raw frame, base-m's pre-training frame, where it knows its facts and which neither fine-tune trained on. " +
    "The paper's backbones are instruction-tuned LLMs asked in their own chat format; ours was never taught to answer facts in chat.",
  arms: [SFT_REASONING, SOFTCOT],
  audit: {
    base: "zoo/base-m", baseFormat: "raw", tunedFormat: "raw",
    probes: ["knowledge.retention"], suites: ["knowledge"], split: "id",
    n: 400, samples: 1, world: HARD_WORLD, quick: { n: 8, samples: 1 },
  },
  effect: {
    measure: { probe: "knowledge.retention", metric: "closed-book", label: "closed-book recall by option likelihood, raw frame" },
    contrast: { tuned: { arm: "sft" }, reference: { zoo: "zoo/base-m" } },
    prediction: { direction: "decrease", margin: 0.02 },
    why:
      "The paper's premise is that the full fine-tune forgets what the frozen backbone keeps; softcot's recall equals the base's exactly " +
      "(its backbone is verified unchanged), so softcot − sft = base − sft, and the claim predicts sft below the base. The paper gives no " +
      "size for the forgetting; 2 points of recall is the probe's own margin, the smallest loss of facts we count.",
  },
  noControl:
    "No lab recipe is known to erase closed-book recall in the raw frame: sft on another task barely moves it (docs/LAB.md's softcot " +
    "section), and a fine-tune on another world's encyclopedia (another world seed) asks about other people, so it contradicts none of " +
    "the audited facts. A control would need a new recipe that rewrites the base's own facts, not a stand-in.",
  seeds: 3,
  power: {
    kind: "binary", psi: 0.02, seedSd: 0.005,
    source:
      "docs/LAB.md, SoftCoT against a full SFT (n = 200, 3 seeds): sft − base in the raw frame −0.3 pp [−1.5, +0.5], seeds 99.0, 99.5, " +
      "99.0 against 99.5; the base near ceiling leaves few discordant facts (ψ ≈ 0.01–0.02, the higher taken) and a seed sd under a point",
  },
} satisfies Claim;
