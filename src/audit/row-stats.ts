/**
 * The statistics of one ledger row: a metric measured on the same items by the base and
 * by a tuned model (docs/PROBES.md §6).
 *
 *   binary       paired bootstrap CI of the difference of proportions, exact McNemar p,
 *                paired odds ratio, MDE by Connor's normal approximation
 *   continuous   paired bootstrap CI of the mean difference, sign-flip permutation p,
 *                Cohen's d_z, MDE from the sd of the differences
 *   set-level    (aggregate: ECE, entropy) paired bootstrap of S(tuned) − S(base) over
 *                items, paired permutation p; no effect size or MDE
 */
import type { MetricSpec, MetricValues } from "../probes/index.js";
import {
  cohensDz, discordantPairs, mcnemarExact, mdeMcNemar, mdePairedMean, pairedBootstrap, pairedBootstrapStatistic, pairedOddsRatio,
  pairedPermutation, signFlipTest, type EffectSize,
} from "../stats/index.js";

export interface RowStats {
  n: number;
  base: number;
  tuned: number;
  delta: number;
  ciLow: number;
  ciHigh: number;
  p: number;
  test: string;
  effect?: EffectSize;
  mde: number;
  /** Discordant pairs of a binary metric: b = base right, tuned wrong; c = the reverse. */
  discordant?: { b: number; c: number };
  note?: string;
}

export interface StatsSettings {
  /** Bootstrap resamples for means (≥ 2,000; docs/PROBES.md §6 uses 10,000). */
  iterations: number;
  /** Resamples for set-level statistics (each recomputes the statistic twice). */
  setIterations: number;
  /** Permutations for the Monte Carlo tests. */
  permutations: number;
  alpha: number;
}

export const DEFAULT_STATS: StatsSettings = { iterations: 10_000, setIterations: 2_000, permutations: 10_000, alpha: 0.05 };

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function sd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

const empty = (note: string): RowStats => ({ n: 0, base: NaN, tuned: NaN, delta: NaN, ciLow: NaN, ciHigh: NaN, p: NaN, test: "none", mde: NaN, note });

/** Statistics of `metric` over paired records (base[i] and tuned[i] are the same item). */
export function rowStats(metric: MetricSpec, base: readonly MetricValues[], tuned: readonly MetricValues[], seed: number, s: StatsSettings): RowStats {
  if (metric.aggregate) return setRow(metric.aggregate, base, tuned, seed, s);
  const b: number[] = [];
  const t: number[] = [];
  base.forEach((v, i) => {
    const x = v[metric.name];
    const y = tuned[i][metric.name];
    if (typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)) {
      b.push(x);
      t.push(y);
    }
  });
  if (b.length === 0) return empty("no item has this value for both models: cannot be computed");
  const ci = pairedBootstrap(b, t, { seed, iterations: s.iterations });
  const common = { n: b.length, base: mean(b), tuned: mean(t), delta: ci.meanDifference, ciLow: ci.lo, ciHigh: ci.hi };
  if (metric.kind === "binary") {
    const { b: lost, c: gained } = discordantPairs(b.map((x) => x === 1), t.map((x) => x === 1));
    const test = mcnemarExact(lost, gained);
    return {
      ...common, p: test.p, test: test.method, effect: pairedOddsRatio(lost, gained),
      mde: mdeMcNemar(lost, gained, b.length, { alpha: s.alpha }).mde, discordant: { b: lost, c: gained },
    };
  }
  const test = signFlipTest(b, t, { seed: seed + 1, iterations: s.permutations });
  const diffs = t.map((x, i) => x - b[i]);
  const sdd = sd(diffs);
  return {
    ...common, p: test.p, test: test.method, effect: cohensDz(b, t),
    mde: Number.isFinite(sdd) ? mdePairedMean(sdd, b.length, { alpha: s.alpha }).mde : NaN,
  };
}

function setRow(stat: (r: readonly MetricValues[]) => number, base: readonly MetricValues[], tuned: readonly MetricValues[], seed: number, s: StatsSettings): RowStats {
  if (base.length === 0) return empty("no item was measured for both models: cannot be computed");
  const sb = stat(base);
  const st = stat(tuned);
  if (!Number.isFinite(sb) || !Number.isFinite(st)) return { ...empty("the statistic is undefined on these items"), n: base.length, base: sb, tuned: st };
  const ci = pairedBootstrapStatistic(base, tuned, stat, { seed, iterations: s.setIterations });
  const test = pairedPermutation(base, tuned, stat, { seed: seed + 1, iterations: s.setIterations });
  const row: RowStats = { n: base.length, base: sb, tuned: st, delta: st - sb, ciLow: ci.lo, ciHigh: ci.hi, p: test.p, test: test.method, mde: NaN };
  if (ci.dropped > 0) row.note = `${ci.dropped} of ${ci.iterations} bootstrap resamples had an undefined statistic and were dropped`;
  return row;
}
