/**
 * Two independent samples (e.g. the rewards of a run's first and last quarter of
 * rollouts): the difference of their means with a percentile bootstrap interval,
 * resampling each sample on its own (Efron & Tibshirani 1993, ch. 8 / 13).
 */
import { createRng } from "../random/index.js";
import { quantileSorted } from "./bootstrap.js";

export interface TwoSampleResult {
  /** mean(b) − mean(a); NaN when either sample is empty. */
  difference: number;
  lo: number;
  hi: number;
  confidence: number;
  iterations: number;
  seed: number;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export function bootstrapMeanDifference(
  a: readonly number[], b: readonly number[], opts: { seed: number; iterations?: number; confidence?: number },
): TwoSampleResult {
  const iterations = opts.iterations ?? 10_000;
  const confidence = opts.confidence ?? 0.95;
  const base = { confidence, iterations, seed: opts.seed };
  if (a.length === 0 || b.length === 0) return { ...base, difference: NaN, lo: NaN, hi: NaN };
  const rng = createRng(opts.seed);
  const resampledMean = (xs: readonly number[]) => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[rng.int(xs.length)];
    return s / xs.length;
  };
  const diffs = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) diffs[i] = resampledMean(b) - resampledMean(a);
  diffs.sort();
  const alpha = 1 - confidence;
  return { ...base, difference: mean(b) - mean(a), lo: quantileSorted(diffs, alpha / 2), hi: quantileSorted(diffs, 1 - alpha / 2) };
}
