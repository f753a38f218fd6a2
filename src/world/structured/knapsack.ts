/**
 * The structured task's problem: a 0/1 knapsack small enough to solve exactly by
 * enumeration, written in its own compact prompt frame and answered as JSON.
 *
 *   Pack: a w3 v5; b w4 v6; c w2 v3; cap 6\nJSON:{"take":["a","c"]}
 */

export interface KnapsackItem {
  name: string;
  weight: number;
  value: number;
}

export interface Knapsack {
  items: KnapsackItem[];
  capacity: number;
}

export interface KnapsackAnswer {
  take: string[];
}

export const ITEM_NAMES = ["a", "b", "c", "d", "e", "f"] as const;

export const PROMPT_PREFIX = "Pack: ";
export const PROMPT_CUE = "\nJSON:";

export function renderKnapsack(p: Knapsack): string {
  const items = p.items.map((i) => `${i.name} w${i.weight} v${i.value}`).join("; ");
  return `${PROMPT_PREFIX}${items}; cap ${p.capacity}${PROMPT_CUE}`;
}

/** Canonical answer text: compact JSON, items in name order. */
export function renderAnswer(a: KnapsackAnswer): string {
  const names: readonly string[] = ITEM_NAMES;
  const take = a.take.slice().sort((u, v) => names.indexOf(u) - names.indexOf(v));
  return JSON.stringify({ take });
}

/** Reads a problem back from its prompt (so verification needs only the prompt). */
export function parseKnapsackPrompt(prompt: string): Knapsack | null {
  const m = /^Pack: (.*); cap (\d+)\nJSON:$/.exec(prompt);
  if (!m) return null;
  const items: KnapsackItem[] = [];
  for (const part of m[1].split("; ")) {
    const im = /^([a-z]) w(\d+) v(\d+)$/.exec(part);
    if (!im) return null;
    items.push({ name: im[1], weight: Number(im[2]), value: Number(im[3]) });
  }
  return { items, capacity: Number(m[2]) };
}

export function totals(p: Knapsack, take: readonly string[]): { weight: number; value: number } {
  let weight = 0;
  let value = 0;
  for (const name of take) {
    const item = p.items.find((i) => i.name === name);
    if (!item) continue;
    weight += item.weight;
    value += item.value;
  }
  return { weight, value };
}

export interface KnapsackSolution {
  /** The optimum value. */
  best: number;
  /** One optimal set (the first in mask order). */
  take: string[];
  /** How many feasible sets reach the optimum. */
  optimalSets: number;
}

/** Exact optimum by enumerating all 2^n subsets (n ≤ 6 here). */
export function solveKnapsack(p: Knapsack): KnapsackSolution {
  const n = p.items.length;
  let best = -1;
  let bestMask = 0;
  let optimalSets = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let w = 0;
    let v = 0;
    for (let k = 0; k < n; k++) {
      if (mask & (1 << k)) {
        w += p.items[k].weight;
        v += p.items[k].value;
      }
    }
    if (w > p.capacity) continue;
    if (v > best) {
      best = v;
      bestMask = mask;
      optimalSets = 1;
    } else if (v === best) optimalSets++;
  }
  const take = p.items.filter((_, k) => bestMask & (1 << k)).map((i) => i.name);
  return { best, take, optimalSets };
}
