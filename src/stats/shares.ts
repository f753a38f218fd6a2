/**
 * The share of each category among observations (e.g. solution formats of sampled
 * responses), each with its Wilson interval (wilson.ts).
 * NOTE: the interval treats observations as independent. Several samples of one prompt
 * are correlated, so with k > 1 samples per prompt the intervals are too narrow; with
 * one sample per prompt they are exact in the Wilson sense.
 */
import { wilson, type ProportionInterval } from "./wilson.js";

/** Shares of each of `categories` among `values` (they sum to 1 when there are values). */
export function categoryShares<C extends string>(values: readonly C[], categories: readonly C[], confidence = 0.95): Record<C, ProportionInterval> {
  const counts = new Map<C, number>(categories.map((c) => [c, 0]));
  for (const v of values) {
    const k = counts.get(v);
    if (k === undefined) throw new RangeError(`"${v}" is not one of the categories ${categories.join(", ")}`);
    counts.set(v, k + 1);
  }
  return Object.fromEntries(categories.map((c) => [c, wilson(counts.get(c)!, values.length, confidence)])) as Record<C, ProportionInterval>;
}
