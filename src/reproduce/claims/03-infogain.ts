/**
 * Claim 3 — SFT raises accuracy and lowers the informativeness of reasoning steps
 * (Wu et al. 2025, "Knowledge or Reasoning?", arXiv 2506.02126).
 */
import type { Claim } from "../claim.js";
import { HARD_WORLD, SFT_REASONING } from "./organisms.js";

export const infogain = {
  id: 3,
  slug: "infogain",
  title: "SFT raises accuracy, lowers the information each reasoning step adds",
  paper: {
    cite: "Wu et al. 2025, Knowledge or Reasoning? A Close Look at How LLMs Think Across Domains",
    arxiv: "2506.02126",
    figure: "SFT lowers InfoGain of reasoning steps by 38.9% on average while raising final-answer accuracy",
  },
  organism:
    "zoo/base-m (1.2M parameters, char vocabulary) fine-tuned by sft on arithmetic chains of thought in one format (code), in a harder world " +
    "than its pre-training (2–4 steps, operands ≤ 49). The paper fine-tunes 7B models on medical and math reasoning traces; here the " +
    "training chains are the world's own exact solutions, so the fine-tune learns a correct but terse layout. InfoGain is scored by the base " +
    "(a fixed scorer) on the gold answer after each step prefix.",
  arms: [SFT_REASONING],
  audit: {
    base: "zoo/base-m", baseFormat: "raw", tunedFormat: "chat",
    probes: ["reasoning.infogain"], suites: ["arithmetic"], split: "id",
    n: 300, samples: 1, world: HARD_WORLD, quick: { n: 8, samples: 1 },
  },
  effect: {
    measure: { probe: "reasoning.infogain", metric: "mean-step-gain", label: "InfoGain: mean gain per step before the answer (nats)" },
    contrast: { tuned: { arm: "sft" }, reference: { zoo: "zoo/base-m" } },
    prediction: { direction: "decrease", margin: 0.1 },
    why:
      "The paper reports InfoGain 38.9% lower after SFT. The base's mean step gain on these items is about −4 nats (docs/PROBES.md's " +
      "example audit), so a relative drop of that size is far beyond 0.1 nats; 0.1 nats (a 10% change of the answer's probability per " +
      "step) is the smallest change we count.",
  },
  proxy: {
    measure: { probe: "reasoning.infogain", metric: "accuracy", domain: "arithmetic", label: "chain-of-thought accuracy" },
    contrast: { tuned: { arm: "sft" }, reference: { zoo: "zoo/base-m" } },
  },
  noControl:
    "No recipe writes chains whose steps are known to carry no information: answer-only data removes the chain, and InfoGain is then " +
    "not measurable at all (its `measurable` share falls instead), so it cannot show that the probe sees a drop.",
  seeds: 3,
  power: {
    kind: "continuous", sd: 2, seedSd: 0.3,
    source: "docs/PROBES.md's example audit (n = 50): Δ −2.2 nats with a 95% interval 6 nats wide, i.e. an sd of per-item differences near 2 nats",
  },
} satisfies Claim;
