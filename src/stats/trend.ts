/**
 * Is a series rising? The least-squares slope of y against its index, with a one-sided
 * permutation p-value: the share of random orderings of the same values whose slope is
 * at least as large (an exact-in-the-limit test that assumes nothing about the values'
 * distribution; Good 2005, "Permutation, Parametric and Bootstrap Tests", ch. 3).
 */
import { createRng } from "../random/index.js";

export interface TrendResult {
  n: number;
  /** Change per step of the index. */
  slope: number;
  /** slope × (n − 1): the fitted change from the first point to the last. */
  change: number;
  /** P(slope of a random ordering ≥ this slope), with the observed ordering counted (never 0). */
  p: number;
  permutations: number;
  seed: number;
}

function slopeOf(ys: ArrayLike<number>): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  let my = 0;
  for (let i = 0; i < n; i++) my += ys[i];
  my /= n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - mx) * (ys[i] - my);
    sxx += (i - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

export function risingTrend(ys: readonly number[], opts: { seed: number; permutations?: number }): TrendResult {
  const permutations = opts.permutations ?? 10_000;
  const n = ys.length;
  const slope = slopeOf(ys);
  const result = { n, slope, change: slope * (n - 1), permutations, seed: opts.seed };
  if (!Number.isFinite(slope)) return { ...result, p: NaN };
  const rng = createRng(opts.seed);
  const shuffled = Float64Array.from(ys);
  let atLeast = 1; // the observed ordering
  for (let k = 0; k < permutations; k++) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    if (slopeOf(shuffled) >= slope - 1e-12) atLeast++;
  }
  return { ...result, p: atLeast / (permutations + 1) };
}
