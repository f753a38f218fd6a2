/**
 * `structured`: a 0/1 knapsack answered as compact JSON, verified in layers (parse,
 * schema, feasibility, optimality) — docs/PROBES.md §3, after Bernier et al. 2026
 * (arXiv 2603.23004): fine-tuning can make answers look right (schema-valid) without
 * making them feasible.
 */
import type { Split, Task, Verdict, WorldItem } from "../task.js";
import { parseKnapsackPrompt, renderAnswer, renderKnapsack, solveKnapsack, type Knapsack, type KnapsackAnswer } from "./knapsack.js";
import { STRUCTURED_DEFAULTS, neighbour, randomKnapsack, type StructuredConfig } from "./generate.js";
import { rngFor } from "../seeding.js";
import { checkKnapsack } from "./verifier.js";

const NAME = "structured";

function makeItem(problem: Knapsack, split: Split, seed: number, index: number): WorldItem<KnapsackAnswer> {
  const sol = solveKnapsack(problem);
  const answer = { take: sol.take };
  return {
    id: `${NAME}/${split}/${seed}/${index}`,
    task: NAME,
    split,
    prompt: renderKnapsack(problem),
    answer,
    answerText: renderAnswer(answer),
    meta: { problem, optimum: sol.best, nItems: problem.items.length, capacity: problem.capacity },
  };
}

function idProblem(cfg: StructuredConfig, seed: number, index: number): Knapsack {
  return randomKnapsack(rngFor(`${NAME}/id/${seed}/${index}`), cfg, cfg.items, cfg.capacity, "id");
}

function item(cfg: StructuredConfig, seed: number, split: Split, index: number): WorldItem<KnapsackAnswer> {
  if (split === "id") return makeItem(idProblem(cfg, seed, index), split, seed, index);
  const rng = rngFor(`${NAME}/${split}/${seed}/${index}`);
  if (split === "ood") return makeItem(randomKnapsack(rng, cfg, cfg.oodItems, cfg.oodCapacity, null), split, seed, index);
  const parent = makeItem(idProblem(cfg, seed, index), "id", seed, index);
  const c = neighbour(rng, parent.meta.problem as Knapsack, cfg);
  // NOTE: a problem with no interesting neighbour in the n1 bucket has never been seen; fail loudly.
  if (!c) throw new Error(`structured: no N-1 neighbour for ${parent.id}`);
  return { ...makeItem(c.problem, split, seed, index), parent: { id: parent.id, change: c.change } };
}

export const structuredTask: Task<KnapsackAnswer, StructuredConfig> = {
  name: NAME,
  description: "0/1 knapsack (3-4 items) answered as compact JSON; layered verifier: parse, schema, feasible, optimal",
  defaults: STRUCTURED_DEFAULTS,
  items({ config, seed, split, n }) {
    return Array.from({ length: n }, (_, i) => item(config, seed, split, i));
  },
  verify(item, response): Verdict {
    const problem = parseKnapsackPrompt(item.prompt);
    if (!problem) return { correct: false, reason: "item prompt is not a knapsack prompt" };
    const check = checkKnapsack(problem, response);
    return check.optimal ? { correct: true } : { correct: false, reason: check.reason };
  },
  documents({ config, seed, n }) {
    const rng = rngFor(`${NAME}/documents/${seed}`);
    return Array.from({ length: n }, () => {
      const p = randomKnapsack(rng, config, config.items, config.capacity, "documents");
      return renderKnapsack(p) + renderAnswer({ take: solveKnapsack(p).take });
    });
  },
};
