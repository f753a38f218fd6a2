/**
 * Random knapsack problems and their one-element (N-1) neighbours.
 */
import { type Rng, intIn, shuffled } from "../../random/index.js";
import { ITEM_NAMES, renderKnapsack, solveKnapsack, type Knapsack } from "./knapsack.js";
import { bucketOf, type Bucket } from "../seeding.js";

export interface StructuredConfig {
  /** In-distribution item count, inclusive range (small, so a small model can learn it). */
  items: [number, number];
  /** Out-of-distribution item count: more items than ever seen in pre-training. */
  oodItems: [number, number];
  /** Weight and value range of each item. */
  weight: [number, number];
  value: [number, number];
  /** Capacity range, in- and out-of-distribution (more items need more room). */
  capacity: [number, number];
  oodCapacity: [number, number];
}

export const STRUCTURED_DEFAULTS: StructuredConfig = {
  items: [3, 4],
  oodItems: [5, 6],
  weight: [1, 9],
  value: [1, 9],
  capacity: [5, 15],
  oodCapacity: [8, 20],
};

/**
 * A problem worth asking: not everything fits, something does, and the optimum is
 * unique (so the gold answer is the answer, and likelihood scoring is well defined).
 */
export function isInteresting(p: Knapsack): boolean {
  const total = p.items.reduce((s, i) => s + i.weight, 0);
  const lightest = Math.min(...p.items.map((i) => i.weight));
  return total > p.capacity && lightest <= p.capacity && solveKnapsack(p).optimalSets === 1;
}

export function randomKnapsack(rng: Rng, cfg: StructuredConfig, nItems: [number, number], capacity: [number, number], bucket: Bucket | null): Knapsack {
  for (;;) {
    const n = intIn(rng, nItems[0], nItems[1]);
    const p: Knapsack = {
      items: ITEM_NAMES.slice(0, n).map((name) => ({
        name, weight: intIn(rng, cfg.weight[0], cfg.weight[1]), value: intIn(rng, cfg.value[0], cfg.value[1]),
      })),
      capacity: intIn(rng, capacity[0], capacity[1]),
    };
    if (isInteresting(p) && (bucket === null || bucketOf(renderKnapsack(p)) === bucket)) return p;
  }
}

export interface KnapsackChange {
  problem: Knapsack;
  change: string;
}

/** Every problem that differs from `p` in one weight, one value or the capacity. */
export function oneElementChanges(p: Knapsack, cfg: StructuredConfig): KnapsackChange[] {
  const out: KnapsackChange[] = [];
  p.items.forEach((item, k) => {
    for (const field of ["weight", "value"] as const) {
      const [lo, hi] = cfg[field];
      for (let v = lo; v <= hi; v++) {
        if (v === item[field]) continue;
        const items = p.items.map((it, j) => (j === k ? { ...it, [field]: v } : it));
        out.push({ problem: { items, capacity: p.capacity }, change: `${item.name}.${field} ${item[field]}->${v}` });
      }
    }
  });
  for (let c = cfg.capacity[0]; c <= cfg.capacity[1]; c++) {
    if (c !== p.capacity) out.push({ problem: { items: p.items, capacity: c }, change: `cap ${p.capacity}->${c}` });
  }
  return out;
}

/** A random interesting one-element neighbour of `p` in the n1 bucket, or null if none exists. */
export function neighbour(rng: Rng, p: Knapsack, cfg: StructuredConfig): KnapsackChange | null {
  for (const c of shuffled(rng, oneElementChanges(p, cfg))) {
    if (isInteresting(c.problem) && bucketOf(renderKnapsack(c.problem)) === "n1") return c;
  }
  return null;
}
