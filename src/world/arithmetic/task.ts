/**
 * Multi-step arithmetic word problems with step-by-step solutions in three formats
 * (issue 4; docs/ZOO.md, lab rules 1 and 4). Prompt frame, distinct from every other task's:
 *
 *   Problem: Mara has 3 shells. She finds 4 more. How many shells does Mara have now?
 *   Solution:
 *   First, 3 plus 4 is 7.
 *   Answer: 7
 *
 * `prompt` ends with "Solution:\n"; `answerText` is the gold solution in the item's format
 * (meta.format, drawn by formatMix); documents are prompt + solution, formats mixed in
 * formatMix proportions (Zhao et al. 2025, Echo Chamber, arXiv 2504.07912; docs/PROBES.md
 * §3, format.collapse).
 */
import type { Rng } from "../../random/index.js";
import type { Split, Task, Verdict, WorldItem } from "../task.js";
import { type Chain, type Limits, answerOf, isValidChain, mutateChain, sampleChain, stepsOf } from "./chain-sample.js";
import { ARITHMETIC_DEFAULTS, type ArithmeticConfig } from "./config.js";
import { SOLUTION_FORMATS, type SolutionFormat, solutionFormatOf, parseSteps, renderSolution } from "./solution-formats.js";
import { itemRng } from "../seeding.js";
import { type Story, renderProblem, sampleStory } from "./story.js";
import { type Step, checkChain, checkStep } from "./steps.js";

const NAME = "arithmetic";

export function arithmeticPrompt(problem: string): string {
  return `Problem: ${problem}\nSolution:\n`;
}

export interface ArithmeticMeta extends Record<string, unknown> {
  format: SolutionFormat;
  steps: Step[];
  solutions: Record<SolutionFormat, string>;
  chain: Chain;
  problem: string;
  /** "steps" or "operands" for an ood item: which knob was turned past the base task. */
  oodKind?: "steps" | "operands";
}

export type ArithmeticItem = WorldItem<number> & { meta: ArithmeticMeta };

function baseLimits(c: ArithmeticConfig): Limits {
  return { minSteps: c.minSteps, maxSteps: c.maxSteps, operandMax: c.operandMax, resultMax: c.resultMax };
}

function pickFormat(rng: Rng, mix: ArithmeticConfig["formatMix"]): SolutionFormat {
  const u = rng.next();
  if (u < mix.natural) return "natural";
  if (u < mix.natural + mix.code) return "code";
  return "terse";
}

function makeItem(split: Split, seed: number, index: number, chain: Chain, story: Story, format: SolutionFormat): ArithmeticItem {
  const steps = stepsOf(chain);
  const answer = answerOf(chain);
  const problem = renderProblem(chain, story);
  const solutions = Object.fromEntries(SOLUTION_FORMATS.map((f) => [f, renderSolution(f, steps, answer)])) as Record<SolutionFormat, string>;
  return {
    id: `${NAME}/${split}/${seed}/${index}`,
    task: NAME,
    split,
    prompt: arithmeticPrompt(problem),
    answer,
    answerText: solutions[format],
    meta: { format, steps, solutions, chain, problem },
  };
}

interface Drawn {
  chain: Chain;
  story: Story;
  format: SolutionFormat;
}

function drawId(config: ArithmeticConfig, seed: number, index: number): Drawn {
  const rng = itemRng(NAME, "id", seed, index);
  const chain = sampleChain(rng, baseLimits(config));
  const story = sampleStory(rng, chain.ops.length, true);
  return { chain, story, format: pickFormat(rng, config.formatMix) };
}

function idItems(config: ArithmeticConfig, seed: number, n: number): ArithmeticItem[] {
  return Array.from({ length: n }, (_, i) => {
    const d = drawId(config, seed, i);
    return makeItem("id", seed, i, d.chain, d.story, d.format);
  });
}

/** Item i changes id item i in one element (chain-sample.ts mutateChain); story and format are kept. */
function n1Items(config: ArithmeticConfig, seed: number, n: number): ArithmeticItem[] {
  const parents = idItems(config, seed, n);
  const idPrompts = new Set(parents.map((p) => p.prompt));
  return parents.map((parent, i) => {
    const rng = itemRng(NAME, "n1", seed, i);
    const { story } = drawId(config, seed, i);
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const m = mutateChain(rng, parent.meta.chain, baseLimits(config));
      if (!m) continue;
      const item = makeItem("n1", seed, i, m.chain, story, parent.meta.format);
      // NOTE: the n1 split shares no prompt with the id split of the same n.
      if (idPrompts.has(item.prompt)) continue;
      return { ...item, parent: { id: parent.id, change: m.change } };
    }
    throw new Error(`no N-1 variant found for ${parent.id}`);
  });
}

/** Even items take config.ood.steps operations; odd items operands up to config.ood.operandMax (at least one above the base max). */
function oodItems(config: ArithmeticConfig, seed: number, n: number): ArithmeticItem[] {
  return Array.from({ length: n }, (_, i) => {
    const rng = itemRng(NAME, "ood", seed, i);
    const kind = i % 2 === 0 ? "steps" : "operands";
    const limits: Limits =
      kind === "steps"
        ? { ...baseLimits(config), minSteps: config.ood.steps, maxSteps: config.ood.steps }
        : { ...baseLimits(config), operandMax: config.ood.operandMax };
    let chain = sampleChain(rng, limits);
    while (kind === "operands" && isValidChain(chain, baseLimits(config))) chain = sampleChain(rng, limits);
    const story = sampleStory(rng, chain.ops.length, true);
    const item = makeItem("ood", seed, i, chain, story, pickFormat(rng, config.formatMix));
    return { ...item, meta: { ...item.meta, oodKind: kind } };
  });
}

const ANSWER_LINE = /^Answer: (0|[1-9][0-9]*)$/;

/**
 * Correct iff the first line of the response that reads `Answer: N` (trailing spaces
 * ignored) has N equal to the gold answer; anything after that line is ignored (the model
 * may run on). The reason also reports the chain: its format (formats.ts solutionFormatOf) and how
 * many steps are arithmetically correct — informative only, it does not decide correctness.
 */
export function verifyArithmetic(item: WorldItem<number>, response: string): Verdict {
  const lines = response.split("\n").map((l) => l.replace(/[ \t\r]+$/, ""));
  const at = lines.findIndex((l) => ANSWER_LINE.test(l));
  if (at < 0) return { correct: false, reason: response.trim() === "" ? "empty response" : "no Answer: line" };
  const got = Number(ANSWER_LINE.exec(lines[at])![1]);
  const chainText = lines.slice(0, at + 1).join("\n");
  const format = solutionFormatOf(chainText);
  let chainNote = `format ${format}`;
  if (format !== "unknown" && format !== "answer-only") {
    const r = parseSteps(format, chainText);
    if (r.ok) {
      const ok = r.value.steps.filter(checkStep).length;
      chainNote += `, ${ok}/${r.value.steps.length} steps correct${checkChain(r.value.steps) ? "" : ", chain broken"}`;
    }
  }
  if (got !== item.answer) return { correct: false, reason: `answer ${got}, expected ${item.answer}; ${chainNote}` };
  return { correct: true, reason: chainNote };
}

export const arithmeticTask: Task<number, ArithmeticConfig> = {
  name: NAME,
  description: "Word problems with 1-3 operations (+ - *) on small numbers, solved step by step in three formats.",
  defaults: ARITHMETIC_DEFAULTS,
  items({ config, seed, split, n }) {
    switch (split) {
      case "id":
        return idItems(config, seed, n);
      case "n1":
        return n1Items(config, seed, n);
      case "ood":
        return oodItems(config, seed, n);
    }
  },
  verify: verifyArithmetic,
  /** Problem + solution; stories never from the eval pairs (story.ts), formats by formatMix. */
  documents({ config, seed, n }) {
    return Array.from({ length: n }, (_, i) => {
      const rng = itemRng(NAME, "doc", seed, i);
      const chain = sampleChain(rng, baseLimits(config));
      const story = sampleStory(rng, chain.ops.length, false);
      const format = pickFormat(rng, config.formatMix);
      return arithmeticPrompt(renderProblem(chain, story)) + renderSolution(format, stepsOf(chain), answerOf(chain));
    });
  },
};
