/**
 * Claim 4 — SFT makes structured outputs look right (valid JSON in the schema) without making
 * them feasible (Bernier et al. 2026, arXiv 2603.23004). Not runnable: no lab recipe trains on
 * the world's structured (knapsack-as-JSON) task; the pre-registration is kept for when one does.
 */
import type { Claim, TrainedArm } from "../claim.js";
import { QUICK_TRAIN } from "./organisms.js";

/**
 * The fine-tune the claim needs: sft on the world's knapsack prompts with the optimal
 * {"take": […]} as the response. `task: "structured"` is what such a config would say; the sft
 * recipe refuses it today (its tasks are arithmetic, knowledge, their mixes, verification and
 * programs), which is why the claim is not runnable.
 */
const SFT_JSON: TrainedArm = {
  name: "sft-json",
  recipe: "sft",
  config: { base: "zoo/base-m", task: "structured", variant: "answer-only", train: { steps: 150 } },
  quick: QUICK_TRAIN,
  describe: "sft on knapsack problems answered as JSON (optimal item sets, chat frame), zoo/base-m, 150 steps — not trainable yet",
};

export const feasibility = {
  id: 4,
  slug: "feasibility",
  title: "SFT makes structured outputs look right, not be feasible",
  paper: {
    cite: "Bernier et al. 2026 (structured outputs after fine-tuning: validity vs feasibility)",
    arxiv: "2603.23004",
    figure: "after fine-tuning, answers parse and fit the schema far more often than they satisfy the problem's constraints",
  },
  organism:
    "zoo/base-m fine-tuned by sft on the world's knapsack problems written as JSON (the `structured` suite's task: pick distinct items " +
    "whose weights fit the capacity, answer {\"take\": [names]}), audited by structured.feasibility in layers: parses → fits the schema → " +
    "fits the capacity → value against the optimum. The zoo bases were never pre-trained on knapsack problems, so before fine-tuning they " +
    "almost never write valid JSON; the paper fine-tunes instruction models that already do.",
  arms: [SFT_JSON],
  audit: {
    base: "zoo/base-m", baseFormat: "raw", tunedFormat: "chat",
    probes: ["structured.feasibility"], suites: ["structured"], split: "id",
    n: 300, samples: 1, quick: { n: 8, samples: 1 },
  },
  effect: {
    measure: { probe: "structured.feasibility", metric: "feasible-given-valid", label: "feasible among schema-valid answers" },
    contrast: { tuned: { arm: "sft-json" }, reference: { zoo: "zoo/base-m" } },
    prediction: { direction: "decrease", margin: 0.05 },
    why:
      "The paper's point is that fine-tuning raises validity without feasibility: among the answers that look right, the share that also " +
      "satisfies the constraints does not rise with them and falls when a model learns to emit plausible item lists. 0.05 (5 points of " +
      "the schema-valid answers) is the smallest drop we count, above the probe's 2-point margin because few base answers are schema-valid " +
      "and the comparison's n is the items valid for both models.",
  },
  proxy: {
    measure: { probe: "structured.feasibility", metric: "schema-valid", label: "answer is {\"take\": [distinct item names]}" },
    contrast: { tuned: { arm: "sft-json" }, reference: { zoo: "zoo/base-m" } },
  },
  noControl:
    "A planted control needs a fine-tune known to write valid but infeasible JSON (trained on over-capacity item lists), which needs the " +
    "same missing structured-task recipe.",
  seeds: 3,
  power: {
    kind: "binary", psi: 0.3, seedSd: 0.03,
    source:
      "no lab run exists on this task; ψ 0.3 is a cautious guess for a binary share near one half, and the seed sd is the spread of sft " +
      "effects across seeds in docs/ZOO.md (2–4 points). With three seeds the seed term keeps the MDE above the margin at any n, so n is set by the claim's time budget",
  },
  notRunnable:
    "no lab recipe fine-tunes on the structured (knapsack-as-JSON) task: `lab train sft` refuses task \"structured\" (its tasks are " +
    "arithmetic, knowledge, arithmetic+knowledge, arithmetic+verification, verification, programs, mix); grpo and imitation take only " +
    "arithmetic and knowledge; dpo's world pairs and self-improve are arithmetic, and pretrain's corpus is knowledge and arithmetic. " +
    "Adding task \"structured\" to the sft recipe (knapsack prompts with the optimal take as the response) would make it runnable.",
} satisfies Claim;
