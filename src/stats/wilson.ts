/**
 * The Wilson score interval for a binomial proportion (Wilson 1927, "Probable inference,
 * the law of succession, and statistical inference", JASA 22(158)): the set of p whose
 * score test does not reject k successes in n trials,
 *
 *   centre = (p̂ + z²/2n) / (1 + z²/n)
 *   half   = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)
 *
 * Unlike the Wald interval it stays inside [0, 1] and keeps its coverage near 0 and 1
 * (Newcombe 1998, "Two-sided confidence intervals for the single proportion", Stat.
 * Med. 17, method 3 — whose table the tests check).
 */
import { twoSidedZ } from "./normal.js";

export interface ProportionInterval {
  /** Successes. */
  k: number;
  /** Trials. */
  n: number;
  /** k / n; NaN when n = 0. */
  p: number;
  /** Bounds of the interval, in [0, 1]; NaN when n = 0 (no data says nothing, never 0). */
  lo: number;
  hi: number;
  /** e.g. 0.95. */
  confidence: number;
}

/** The Wilson score interval for k successes in n trials (n = 0 gives NaN p and bounds). */
export function wilson(k: number, n: number, confidence = 0.95): ProportionInterval {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer ≥ 0, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`k must be an integer in [0, n = ${n}], got ${k}`);
  const z = twoSidedZ(confidence);
  if (n === 0) return { k, n, p: NaN, lo: NaN, hi: NaN, confidence };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // NOTE: at k = 0 and k = n the bound is exactly 0 or 1 in exact arithmetic; rounding
  // can leave it a hair off, so pin it.
  return { k, n, p, lo: k === 0 ? 0 : Math.max(0, centre - half), hi: k === n ? 1 : Math.min(1, centre + half), confidence };
}

/** Wilson interval of the share of `true` among binary outcomes. */
export function proportion(outcomes: readonly boolean[], confidence = 0.95): ProportionInterval {
  let k = 0;
  for (const o of outcomes) if (o) k++;
  return wilson(k, outcomes.length, confidence);
}
