/**
 * The structured task's verifier in layers, so a probe can report parse rate,
 * schema-valid rate, feasible rate and optimality gap separately (docs/PROBES.md §3,
 * structured.feasibility). Each layer assumes the ones before it passed.
 */
import { solveKnapsack, totals, type Knapsack, type KnapsackAnswer } from "./knapsack.js";

export type ParseResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Layer 1: is the text (trimmed) valid JSON? */
export function parse(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text.trim()) as unknown };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Layer 2: exactly `{"take": [distinct known item names]}` and nothing else. */
export function schemaValid(value: unknown, problem: Knapsack): value is KnapsackAnswer {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== "take") return false;
  const take = (value as { take: unknown }).take;
  if (!Array.isArray(take)) return false;
  const names = new Set(problem.items.map((i) => i.name));
  const seen = new Set<string>();
  for (const t of take) {
    if (typeof t !== "string" || !names.has(t) || seen.has(t)) return false;
    seen.add(t);
  }
  return true;
}

/** Layer 3: the chosen items fit in the capacity. */
export function feasible(answer: KnapsackAnswer, problem: Knapsack): boolean {
  return totals(problem, answer.take).weight <= problem.capacity;
}

/** Layer 4: feasible and worth the exact optimum. */
export function optimal(answer: KnapsackAnswer, problem: Knapsack): boolean {
  return feasible(answer, problem) && totals(problem, answer.take).value === solveKnapsack(problem).best;
}

/** (optimum − value) / optimum for a feasible answer (0 when the optimum is 0); null when infeasible. */
export function optimalityGap(answer: KnapsackAnswer, problem: Knapsack): number | null {
  if (!feasible(answer, problem)) return null;
  const best = solveKnapsack(problem).best;
  return best === 0 ? 0 : (best - totals(problem, answer.take).value) / best;
}

export type KnapsackLayer = "parse" | "schema" | "feasible" | "optimal";

export interface KnapsackCheck {
  parsed: boolean;
  schemaValid: boolean;
  feasible: boolean;
  optimal: boolean;
  /** The first layer that failed, or null when optimal. */
  failedLayer: KnapsackLayer | null;
  value: number | null;
  gap: number | null;
  reason: string;
}

/** All four layers on one response. */
export function checkKnapsack(problem: Knapsack, text: string): KnapsackCheck {
  const none = { parsed: false, schemaValid: false, feasible: false, optimal: false, value: null, gap: null };
  const parsed = parse(text);
  if (!parsed.ok) return { ...none, failedLayer: "parse", reason: "not valid JSON" };
  if (!schemaValid(parsed.value, problem)) {
    return { ...none, parsed: true, failedLayer: "schema", reason: 'not {"take":[distinct item names]}' };
  }
  const answer = parsed.value;
  const { weight, value } = totals(problem, answer.take);
  if (!feasible(answer, problem)) {
    return {
      ...none, parsed: true, schemaValid: true, value, failedLayer: "feasible",
      reason: `infeasible: weight ${weight} > cap ${problem.capacity}`,
    };
  }
  const best = solveKnapsack(problem).best;
  const gap = optimalityGap(answer, problem);
  if (value !== best) {
    return {
      parsed: true, schemaValid: true, feasible: true, optimal: false, value, gap, failedLayer: "optimal",
      reason: `suboptimal: value ${value} < optimum ${best}`,
    };
  }
  return { parsed: true, schemaValid: true, feasible: true, optimal: true, value, gap, failedLayer: null, reason: "optimal" };
}
