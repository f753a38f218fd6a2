/**
 * Claim 11 — self-improvement is bounded by the generation–verification gap: a model that keeps
 * what its own verification accepts gains no more than that verification can tell apart
 * (Song et al. 2024, "Mind the Gap", arXiv 2412.02674).
 */
import type { Claim, Json, TrainedArm } from "../claim.js";
import { QUICK_TRAIN } from "./organisms.js";

/**
 * 2–3 steps, operands ≤ 49: hard enough that accuracy stays well below 100%, short enough that a
 * sample plus the verification question fit the 256-token context (docs/LAB.md: four steps overflow).
 */
const SI_WORLD: { [k: string]: Json } = { arithmetic: { minSteps: 2, maxSteps: 3, operandMax: 49 } };

/**
 * V, the model that improves itself: zoo/base-m taught arithmetic chains (code format) and the
 * probe's "Is this answer correct?" verdict in one sft run. One stage of 150 steps, where the lab's
 * experiment used three (1,200 updates); that experiment's verification stayed near chance anyway,
 * so a short teaching run leaves V in the same regime, a gap near zero.
 */
const TEACH: TrainedArm = {
  name: "teach",
  recipe: "sft",
  config: {
    base: "zoo/base-m", task: "arithmetic+verification", variant: "with-reasoning", format: "code", world: SI_WORLD,
    train: { steps: 150, warmupSteps: 10 },
  },
  quick: QUICK_TRAIN,
  describe: "sft teaching zoo/base-m arithmetic chains (code format) and the Yes/No verdict of its own solutions, 150 steps",
};

/**
 * The loop's rounds, sized to the registry's time: 3 rounds (the recipe's default; the paper saw gains
 * saturate within two or three) of 24 fresh prompts × 4 samples, 8 updates per round, then the measuring round.
 * Everything else is the recipe's default (64 replayed verification rows per round, both arms).
 */
const LOOP: { [k: string]: Json } = {
  base: "@arm:teach", world: SI_WORLD, rounds: 3, prompts: { count: 24, offset: 5000 }, k: 4,
  train: { steps: 8, warmupSteps: 1 },
};
const LOOP_QUICK: { [k: string]: Json } = { rounds: 1, prompts: { count: 4 }, k: 2, replay: { verification: 8 }, train: { steps: 2, warmupSteps: 0 } };

const SELF: TrainedArm = {
  name: "self",
  recipe: "self-improve",
  config: { ...LOOP, filter: "self" },
  quick: LOOP_QUICK,
  describe: "self-improve from teach: keep the samples the model's own Yes/No accepts, sft on them; 3 rounds",
};

const EXTERNAL: TrainedArm = {
  name: "external",
  recipe: "self-improve",
  config: { ...LOOP, filter: "external" },
  quick: LOOP_QUICK,
  describe: "the same loop filtered by the world's exact verifier (a verification with the largest possible gap); 3 rounds",
};

export const selfImprove = {
  id: 11,
  slug: "self-improve",
  title: "Self-improvement stalls when verification is no better than generation",
  paper: {
    cite: "Song et al. 2024, Mind the Gap: Examining the Self-Improvement Capabilities of Large Language Models",
    arxiv: "2412.02674",
    figure:
      "self-improvement (generate → self-verify → update) can gain only as far as the model's verification beats its generation " +
      "(the relative generation–verification gap, which grows with pre-training compute); iterative self-improvement saturates " +
      "within two or three rounds",
  },
  organism:
    "zoo/base-m taught in one sft run to solve arithmetic chains (code format, chat frame, 2–3 steps, operands ≤ 49) and to answer " +
    "\"Is this answer correct?\" with Yes/No, exactly as the self-verification.gap probe asks. From it, two loops of the self-improve " +
    "recipe with the same prompts and sampling seeds: one keeps the samples its own verdict accepts (the paper's loop), one keeps what " +
    "the world's verifier accepts (external verification, whose gap is as large as it can be). A 1.2M-parameter character model's " +
    "taught verification is near chance (docs/LAB.md), so its gap is near zero: the regime where the paper predicts no gain. The " +
    "paper's models are 0.5–72B LLMs verifying by prompting; its loops run on benchmark questions.",
  arms: [TEACH, SELF, EXTERNAL],
  audit: {
    base: "zoo/base-m", baseFormat: "chat", tunedFormat: "chat",
    probes: ["task.accuracy"], suites: ["arithmetic"], split: "id",
    n: 200, samples: 1, world: SI_WORLD, quick: { n: 8, samples: 1 },
  },
  effect: {
    measure: { probe: "task.accuracy", metric: "accuracy", domain: "arithmetic", label: "greedy task accuracy on arithmetic" },
    contrast: { tuned: { arm: "self" }, reference: { arm: "external" } },
    prediction: { direction: "decrease", margin: 0.05 },
    why:
      "With no verification gap, the self filter keeps wrong samples about as often as the model writes them, and the paper's bound " +
      "says the loop cannot gain; the externally filtered loop trains only on correct samples. So, per seed, the self-verified loop " +
      "should end below the externally verified one. The paper gives no size for a small model; 5 points of accuracy, paired by item, " +
      "is the smallest difference we count (above the probe's 2-point margin, which three seeds of a sampled loop cannot resolve).",
  },
  proxy: {
    measure: { probe: "task.accuracy", metric: "accuracy", domain: "arithmetic", label: "greedy task accuracy on arithmetic" },
    contrast: { tuned: { arm: "self" }, reference: { arm: "teach" } },
  },
  noControl:
    "The contrast's reference is already the planted case: external verification is the largest gap there is. A planted stall, a " +
    "loop with filter `none` (keep everything: a gap of exactly zero), would be a third loop per seed, and with a taught verifier that " +
    "accepts most samples (0.7 in docs/LAB.md) it would repeat the judged contrast rather than test the probe apart from it. No recipe " +
    "makes a verification known to beat generation by a set amount, which a dose–response control would need.",
  seeds: 3,
  power: {
    kind: "binary", psi: 0.3, seedSd: 0.04,
    source:
      "docs/LAB.md, self-improvement (3 seeds, n = 100 items): self − external after three rounds −0.10 to −0.12 with 95% intervals " +
      "0.14–0.29 wide; gen utilities near 0.4–0.6 give a discordance near 0.3, and the seeds of a sampled loop spread by a few points. " +
      "With three seeds the planned MDE stays well above the margin at any n; n = 200 keeps the audit to about a minute",
  },
} satisfies Claim;
