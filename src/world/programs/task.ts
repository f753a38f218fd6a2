/**
 * `programs`: write an expression for a spec given in words. Verified by execution
 * (semantic equivalence, never string match), so equivalent programs written
 * differently are all correct — the setting of Shypula et al. 2025 (arXiv 2504.12522;
 * diversity in docs/PROBES.md §3): syntactic diversity by AST shape, semantic diversity
 * by behaviour.
 */
import type { Split, Task, Verdict, WorldItem } from "../task.js";
import { degreeBound, parseProgram, shapeOf } from "./ast.js";
import { decidingInputs, firstDifference, gridInputs, isConstant, run, equivalent } from "./run.js";
import { oneElementChanges, parseSpecPrompt, randomSpec, renderSpec, specToExpr, type Spec } from "./spec.js";
import { pick, shuffled } from "../../random/index.js";
import { bucketOf, rngFor, type Bucket } from "../seeding.js";
import { equivalentPrograms } from "./variants.js";

export interface ProgramsConfig {
  /** Steps in an in-distribution spec (1–2: easy enough for a small model). */
  steps: [number, number];
  /** Steps out of distribution: longer chains than pre-training shows. */
  oodSteps: [number, number];
  /** Upper bound on prompt + answer characters (context 128 in the easy setting). */
  maxChars: number;
  /** Equivalent programs kept per spec (documents sample among them). */
  variants: number;
}

export const PROGRAMS_DEFAULTS: ProgramsConfig = { steps: [1, 2], oodSteps: [3, 4], maxChars: 120, variants: 4 };

const NAME = "programs";

function randomInBucket(key: string, steps: [number, number], bucket: Bucket | null): Spec {
  const rng = rngFor(key);
  for (;;) {
    const spec = randomSpec(rng, steps);
    if (bucket === null || bucketOf(renderSpec(spec)) === bucket) return spec;
  }
}

function makeItem(cfg: ProgramsConfig, spec: Spec, split: Split, seed: number, index: number): WorldItem<string> {
  const id = `${NAME}/${split}/${seed}/${index}`;
  const prompt = renderSpec(spec);
  const target = specToExpr(spec);
  const programs = equivalentPrograms(rngFor(`${id}/variants`), target, cfg.variants, cfg.maxChars - prompt.length);
  const tests = gridInputs(Math.max(degreeBound(target), 1));
  return {
    id, task: NAME, split, prompt,
    answer: programs[0],
    answerText: programs[0],
    meta: {
      spec, programs, shape: shapeOf(target), steps: spec.steps.length,
      tests: tests.map((t) => ({ ...t, out: run(target, t).toString() })),
    },
  };
}

function item(cfg: ProgramsConfig, seed: number, split: Split, index: number): WorldItem<string> {
  const key = `${NAME}/${split}/${seed}/${index}`;
  if (split === "ood") return makeItem(cfg, randomInBucket(key, cfg.oodSteps, null), split, seed, index);
  const parentSpec = randomInBucket(`${NAME}/id/${seed}/${index}`, cfg.steps, "id");
  if (split === "id") return makeItem(cfg, parentSpec, split, seed, index);
  const parentExpr = specToExpr(parentSpec);
  for (const c of shuffled(rngFor(key), oneElementChanges(parentSpec))) {
    const e = specToExpr(c.spec);
    if (isConstant(e) || equivalent(e, parentExpr) || bucketOf(renderSpec(c.spec)) !== "n1") continue;
    return { ...makeItem(cfg, c.spec, split, seed, index), parent: { id: `${NAME}/id/${seed}/${index}`, change: c.change } };
  }
  // NOTE: never seen; a spec with no usable neighbour would be a generator bug.
  throw new Error(`programs: no N-1 neighbour for ${NAME}/id/${seed}/${index}`);
}

export const programsTask: Task<string, ProgramsConfig> = {
  name: NAME,
  description: "write an x/y expression (+ - *) for a spec in words; verified by execution, any equivalent program is correct",
  defaults: PROGRAMS_DEFAULTS,
  items({ config, seed, split, n }) {
    return Array.from({ length: n }, (_, i) => item(config, seed, split, i));
  },
  verify(item, response): Verdict {
    const spec = parseSpecPrompt(item.prompt);
    if (!spec) return { correct: false, reason: "item prompt is not a programs spec" };
    const parsed = parseProgram(response);
    if (!parsed.ok) return { correct: false, reason: `syntax error: ${parsed.error}` };
    const target = specToExpr(spec);
    const diff = firstDifference(parsed.expr, target, decidingInputs(parsed.expr, target));
    if (diff) {
      return { correct: false, reason: `wrong at x=${diff.x} y=${diff.y}: got ${run(parsed.expr, diff)}, want ${run(target, diff)}` };
    }
    return { correct: true };
  },
  documents({ config, seed, n }) {
    const rng = rngFor(`${NAME}/documents/${seed}`);
    return Array.from({ length: n }, () => {
      let spec: Spec;
      do spec = randomSpec(rng, config.steps);
      while (bucketOf(renderSpec(spec)) !== "documents");
      const prompt = renderSpec(spec);
      return prompt + pick(rng, equivalentPrograms(rng, specToExpr(spec), config.variants, config.maxChars - prompt.length));
    });
  },
};
