/**
 * Claim 1 — knowledge follows pre-training scale, behaviour follows fine-tuning scale
 * (Mitchell et al. 2023, "An Emulator for Fine-Tuning Large-Scale Language Models",
 * arXiv 2310.12962). Tested by EFT up-scaling (docs/COMPOSE.md, claim 1's 2×2): the large
 * base given the small base's fine-tuning change at decode time.
 */
import type { Claim, ModelRef } from "../claim.js";
import { HARD_WORLD, SFT_SMALL } from "./organisms.js";

/** Up-scaling: large pre-training (base-l) with the small fine-tune's change (sft-s − base-s), β = 1. */
const UP_SCALED: ModelRef = { eft: { base: { zoo: "zoo/base-l" }, tuned: { arm: "sft-s" }, ref: { zoo: "zoo/base-s" }, beta: 1 } };

/** Recall of facts by greedy generation, read in the raw pre-training frame (chat makes every fine-tune answer with arithmetic). */
const RECALL_RAW = {
  probe: "task.accuracy", metric: "accuracy", domain: "knowledge", inBaseFormat: true,
  label: "knowledge recall by generation, raw frame",
} as const;

export const eft = {
  id: 1,
  slug: "eft",
  title: "Knowledge follows pre-training scale, behaviour follows fine-tuning scale (EFT up-scaling)",
  paper: {
    cite: "Mitchell et al. 2023, An Emulator for Fine-Tuning Large-Scale Language Models",
    arxiv: "2310.12962",
    figure: "scaling up pre-training tends to improve factuality, scaling up fine-tuning tends to improve helpfulness (the paper's pre-training vs fine-tuning scale comparison, EFT up-scaling)",
  },
  organism:
    "zoo/base-s (0.5M parameters) fine-tuned by sft on arithmetic chains of thought in the code format (chat frame, harder world: 2–4 steps, " +
    "operands ≤ 49), and its change emulated on zoo/base-l (3.2M) at decode time: eft(base-l + 1·(sft-s − base-s)), the up-scaling cell of " +
    "docs/COMPOSE.md's 2×2. The paper composes 7B/70B Llama-family chat models and scores factuality and helpfulness with GPT-4; here " +
    "knowledge is closed-book recall of the world's encyclopedia and behaviour is solving the fine-tune's arithmetic in its chat frame. " +
    "Caveat: every zoo scale was pre-trained on the same small encyclopedia and recalls almost all of it (docs/ZOO.md), so any knowledge " +
    "advantage of the larger pre-training can only show as facts the fine-tuning change costs it less — the down-scaling cell is left out.",
  arms: [SFT_SMALL],
  audit: {
    base: "zoo/base-l", baseFormat: "raw", tunedFormat: "chat",
    probes: ["task.accuracy"], suites: ["arithmetic", "knowledge"], split: "id",
    n: 120, samples: 1, world: HARD_WORLD, quick: { n: 8, samples: 1 },
  },
  effect: {
    measure: RECALL_RAW,
    contrast: { tuned: UP_SCALED, reference: { arm: "sft-s" } },
    prediction: { direction: "increase", margin: 0.05 },
    why:
      "With the fine-tune held fixed, the paper finds factuality rises with the scale of the pre-trained model it is emulated on: the " +
      "up-scaled model should know more than the small fine-tune itself. 0.05 (5 points of recall) is the smallest knowledge gain we " +
      "count: 2.5× the probe's own 2-point margin, since recall here is read through a fine-tuning change that itself costs facts.",
  },
  proxy: {
    measure: { probe: "task.accuracy", metric: "accuracy", domain: "arithmetic", label: "arithmetic accuracy, chat frame (the fine-tune's behaviour)" },
    contrast: { tuned: UP_SCALED, reference: { zoo: "zoo/base-l" } },
  },
  control: {
    describe:
      "the small fine-tune against the large base in the raw frame: sft is known to cost recall of facts it never trained on in a frame " +
      "it never saw (docs/ZOO.md, SFT of base-m: −10 points by generation in every seed), so the measure must see a knowledge difference there",
    measure: RECALL_RAW,
    contrast: { tuned: { arm: "sft-s" }, reference: { zoo: "zoo/base-l" } },
    prediction: { direction: "decrease", margin: 0.05 },
    why: "a fine-tune that forgets facts shows lower recall than an untouched base that knows them all; the same 5-point margin as the claim",
  },
  seeds: 3,
  power: {
    kind: "binary", psi: 0.2, seedSd: 0.02,
    source:
      "docs/COMPOSE.md's 2×2 (three seeds, 200 items): the up-scaled and small fine-tuned cells recalled 72–80% in every seed with per-seed " +
      "differences spread by about 2 points; the share of items on which they disagree is not reported, and 0.2 is a cautious guess " +
      "for two models that share one fine-tuning change. With three seeds the seed term keeps the MDE above the margin at any n, so n is set by the claim's time budget",
  },
} satisfies Claim;
