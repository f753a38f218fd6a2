/**
 * Paired bootstrap confidence interval for the difference of a set-level statistic
 * (ECE, entropy, pass@k over items…) between two models measured on the same items
 * (Efron & Tibshirani 1993, "An Introduction to the Bootstrap", ch. 6 and 13: the
 * bootstrap of any plug-in statistic; the percentile interval). bootstrap.ts is the
 * special case stat = mean. Pairing is kept by resampling ITEMS, with the same indices
 * for both sides:
 *
 *   1. Observed difference D = stat(tuned) − stat(base).
 *   2. B times: draw n item indices with replacement; D* = stat(tuned[idx]) − stat(base[idx]).
 *   3. The interval is the (α/2, 1 − α/2) quantiles (type 7) of the D* that are not NaN.
 *
 * NOTE: a statistic can be undefined on a resample (e.g. a calibration error over the
 * answered items when a resample holds none). Those resamples are dropped and counted in
 * `dropped`; a report should show the count, since many drops mean the interval only
 * describes the resamples where the statistic exists.
 *
 * Seeded and deterministic for a seed: the indices are drawn exactly as bootstrap.ts
 * draws them, so with stat = mean both give the same interval for the same seed.
 */
import { createRng } from "../random/index.js";
import { checkPaired, quantileSorted, type PairedBootstrapResult } from "./bootstrap.js";

export interface PairedBootstrapStatisticOptions {
  /** Recorded in the result; the same seed and inputs give the same interval. */
  seed: number;
  /** Resamples B. 2,000: the count docs/PROBES.md §6 gives set-level rows; a set statistic costs O(n) or more per resample. */
  iterations?: number;
  /** Default 0.95. */
  confidence?: number;
}

/**
 * PairedBootstrapResult with `meanDifference` = stat(tuned) − stat(base), the difference
 * of the two statistics (for stat = mean it is the mean difference), and the number of
 * resamples dropped because the statistic was NaN on them.
 */
export interface PairedBootstrapStatisticResult extends PairedBootstrapResult {
  /** Resamples where stat(tuned*) − stat(base*) was NaN; lo and hi are NaN when all were. */
  dropped: number;
}

/** Paired bootstrap CI of stat(tuned) − stat(base); `base[i]` and `tuned[i]` must be the same item. */
export function pairedBootstrapStatistic<T>(
  base: readonly T[], tuned: readonly T[], stat: (xs: readonly T[]) => number, opts: PairedBootstrapStatisticOptions,
): PairedBootstrapStatisticResult {
  const { iterations, confidence } = checkPaired(base, tuned, opts, 2_000);
  const n = base.length;
  const result = { n, confidence, iterations, seed: opts.seed, method: "paired-bootstrap-percentile" as const };
  if (n === 0) return { ...result, meanDifference: NaN, lo: NaN, hi: NaN, dropped: 0 };
  const rng = createRng(opts.seed);
  const xs: T[] = new Array<T>(n);
  const ys: T[] = new Array<T>(n);
  const diffs = new Float64Array(iterations);
  let kept = 0;
  for (let b = 0; b < iterations; b++) {
    for (let j = 0; j < n; j++) {
      const i = rng.int(n);
      xs[j] = tuned[i];
      ys[j] = base[i];
    }
    const d = stat(xs) - stat(ys);
    if (!Number.isNaN(d)) diffs[kept++] = d;
  }
  const sorted = diffs.subarray(0, kept).sort();
  const alpha = 1 - confidence;
  return {
    ...result,
    meanDifference: stat(tuned) - stat(base),
    lo: quantileSorted(sorted, alpha / 2),
    hi: quantileSorted(sorted, 1 - alpha / 2),
    dropped: iterations - kept,
  };
}
