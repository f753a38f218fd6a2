/**
 * Paired bootstrap confidence interval for a mean difference over the same items
 * (Efron & Tibshirani 1993, "An Introduction to the Bootstrap", ch. 13: the percentile
 * interval). Pairing is kept by resampling items, not outcomes:
 *
 *   1. d_i = tuned_i − base_i for each of the n items.
 *   2. B times: draw n item indices with replacement, record the mean of their d_i.
 *   3. The interval is the (α/2, 1 − α/2) quantiles of the B means (type-7 linear
 *      interpolation, Hyndman & Fan 1996 — R's default), α = 1 − confidence.
 *
 * Seeded (mulberry32, src/random) and deterministic for a seed; the seed and the
 * number of resamples are part of the result so a report can state them.
 */
import { createRng } from "../random/index.js";

export interface PairedBootstrapOptions {
  /** Recorded in the result; the same seed and inputs give the same interval. */
  seed: number;
  /** Resamples B. 10,000: the percentile bounds then move by well under 0.5 pp between seeds. */
  iterations?: number;
  /** Default 0.95. */
  confidence?: number;
}

export interface PairedBootstrapResult {
  /** Items (pairs). */
  n: number;
  /** mean(tuned − base) over the items; NaN when n = 0. */
  meanDifference: number;
  /** Percentile interval of the mean difference; NaN when n = 0. */
  lo: number;
  hi: number;
  confidence: number;
  iterations: number;
  seed: number;
  method: "paired-bootstrap-percentile";
}

/** The q-quantile of sorted values, linear interpolation between order statistics (type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  if (i >= sorted.length - 1) return sorted[sorted.length - 1];
  return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]);
}

/** Defaults and checks shared by the paired bootstraps: equal lengths, B ≥ 1, confidence in (0, 1). */
export function checkPaired(base: ArrayLike<unknown>, tuned: ArrayLike<unknown>, opts: { iterations?: number; confidence?: number }, defaultIterations: number): { iterations: number; confidence: number } {
  const iterations = opts.iterations ?? defaultIterations;
  const confidence = opts.confidence ?? 0.95;
  if (base.length !== tuned.length) throw new RangeError(`paired values need equal lengths, got ${base.length} base and ${tuned.length} tuned`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be an integer ≥ 1, got ${iterations}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return { iterations, confidence };
}

/** Paired bootstrap CI of mean(tuned − base); `base[i]` and `tuned[i]` must be the same item. */
export function pairedBootstrap(base: readonly number[], tuned: readonly number[], opts: PairedBootstrapOptions): PairedBootstrapResult {
  const { iterations, confidence } = checkPaired(base, tuned, opts, 10_000);
  const n = base.length;
  const result = { n, confidence, iterations, seed: opts.seed, method: "paired-bootstrap-percentile" as const };
  if (n === 0) return { ...result, meanDifference: NaN, lo: NaN, hi: NaN };
  const d = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    d[i] = tuned[i] - base[i];
    if (!Number.isFinite(d[i])) throw new RangeError(`item ${i}: values must be finite numbers, got base ${base[i]} and tuned ${tuned[i]}`);
    sum += d[i];
  }
  const rng = createRng(opts.seed);
  const means = new Float64Array(iterations);
  for (let b = 0; b < iterations; b++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += d[rng.int(n)];
    means[b] = s / n;
  }
  means.sort();
  const alpha = 1 - confidence;
  return { ...result, meanDifference: sum / n, lo: quantileSorted(means, alpha / 2), hi: quantileSorted(means, 1 - alpha / 2) };
}
