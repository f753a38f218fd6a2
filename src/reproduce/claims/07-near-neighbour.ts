/**
 * Claim 7 — RL-tuned models gain on the items they were tuned on and hold less of that on
 * near-neighbour (N-1) variants, the same problem with one element changed (Bernier et al.
 * 2026, arXiv 2603.23004; the probe is docs/PROBES.md's generalisation.n1).
 */
import type { Claim } from "../claim.js";
import { GRPO_ARM, GRPO_WORLD } from "./06-format-collapse.js";

export const nearNeighbour = {
  id: 7,
  slug: "near-neighbour",
  title: "RL-tuned models drop on near-neighbour (N-1) variants of their task",
  paper: {
    cite: "Bernier et al. 2026",
    arxiv: "2603.23004",
    figure: "after tuning, accuracy on in-distribution items exceeds accuracy on their one-element variants by more than it did before: the ID − N-1 gap widens",
  },
  organism:
    "claim 6's GRPO runs (the same arm, trained once per seed): zoo/base-m tuned by grpo with the world's verifier in the raw frame, 1–4 steps, " +
    "operands ≤ 29, 12 updates. Each audited pair is a held-out problem and its N-1 variant (one operand or one operation changed), both " +
    "answered greedily. The paper tunes large models on benchmark distributions; here the variant is an exact, verified change of the " +
    "world's own problem, so a variant is never harder by accident of wording.",
  arms: [GRPO_ARM],
  audit: {
    base: "zoo/base-m", baseFormat: "raw", tunedFormat: "raw",
    // split "id": the suite's id items WITH their N-1 variants (the audit's default); the probe pairs each variant with its parent
    probes: ["generalisation.n1"], suites: ["arithmetic"], split: "id",
    n: 200, samples: 1, world: GRPO_WORLD, quick: { n: 8, samples: 1 },
  },
  effect: {
    measure: { probe: "generalisation.n1", metric: "n1-gap", domain: "arithmetic", label: "ID − N-1 accuracy gap, per pair" },
    contrast: { tuned: { arm: "grpo" }, reference: { zoo: "zoo/base-m" } },
    prediction: { direction: "increase", margin: 0.05 },
    why:
      "The claim is that the tuned model's gain does not carry to near neighbours, so its ID − N-1 gap grows relative to the base's. The lab's " +
      "GRPO gained about 11 points of ID accuracy (docs/ZOO.md); a widening of 5 points — about half of such a gain not carrying over — is the " +
      "smallest we count (the probe's own 3-point margin is below the spread of GRPO seeds' accuracy, 6–8 points).",
  },
  proxy: {
    measure: { probe: "generalisation.n1", metric: "id-accuracy", domain: "arithmetic", label: "in-distribution accuracy (greedy), the parents" },
    contrast: { tuned: { arm: "grpo" }, reference: { zoo: "zoo/base-m" } },
  },
  noControl:
    "No lab recipe is known to widen the N-1 gap: memorising the audited parents would, but every recipe trains on ids ≥ 1000 and the audit " +
    "reads ids below that, so a planted gap would need a recipe that trains on the audit's own items — none exists, and adding one would test " +
    "the probe on leaked items, not the claim.",
  seeds: 3,
  power: {
    kind: "continuous", sd: 0.6, seedSd: 0.04,
    source:
      "per pair the gap is −1, 0 or 1; with the base near 34% accuracy (docs/ZOO.md) a pair's gap has an sd near 0.5 in each model, and the " +
      "difference of two correlated gaps an sd near 0.6. Seed sd: GRPO seeds' ID gains differed by 6–8 points (docs/ZOO.md), of which the gap is " +
      "assumed to keep about half. With 3 seeds the t test on the seeds' Δ dominates plan.ts's MDE: about 0.29 at n = 200 " +
      "(0.22 at n = 400, the seed term alone about 0.12), so only a widening several times the margin can be called reproduced; n = 200 keeps " +
      "the greedy audit of parents and variants within budget",
  },
} satisfies Claim;
