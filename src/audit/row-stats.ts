/**
 * The statistics of one ledger row: a metric measured on the same items by the base and
 * by a tuned model (docs/PROBES.md §6). Each row is one family of one-sided tests
 * (src/stats inference.ts), so its p-value, its interval at whatever level the ledger's
 * adjustment asks for, and its equivalence (TOST) p-value cannot disagree:
 *
 *   binary       Tango's score interval and the McNemar score test it inverts; clusters
 *                by the Rao–Scott design effect (also a continuous metric whose values on
 *                these items are all 0 or 1)
 *   continuous   the studentized bootstrap over clusters (the sign-flip test below 20
 *                clusters)
 *   set-level    (aggregate: ECE, entropy) the paired BCa bootstrap over clusters
 *
 * The MDE (`mdeAt`) accounts for the clustering; the ledger states it at its Bonferroni
 * level α/m (what the adjustment can at worst require of a row).
 */
import type { MetricSpec, MetricValues } from "../probes/index.js";
import {
  cohensDz, discordantPairs, mdeMcNemar, meanDesignEffect, mdePairedMean, pairedMeanDifference, pairedOddsRatio, pairedProportions, pairedSetStatistic,
  tostP, twoSidedP, type ClusterLabels, type EffectSize, type PairedInference,
} from "../stats/index.js";

export interface RowStats {
  n: number;
  /** Independent units (clusters) behind the n items. */
  clusters: number;
  base: number;
  tuned: number;
  delta: number;
  /** Two-sided p of Δ = 0. */
  p: number;
  /** TOST p of |Δ| ≥ margin (small: equivalent within the margin). */
  pTost: number;
  /** The method of the test and the interval: tango-score, bootstrap-t, sign-flip, bca. */
  test: string;
  /** Variance inflation from clustering, where the method estimates one (binary rows). */
  designEffect?: number;
  effect?: EffectSize;
  /** Minimum detectable effect (power 0.8) at a two-sided level α: the ledger asks at its Bonferroni level α/m. */
  mdeAt: (alpha: number) => number;
  /** Discordant pairs of a binary metric: b = base right, tuned wrong; c = the reverse. */
  discordant?: { b: number; c: number };
  note?: string;
  /** What the planner needs (src/stats plan.ts): the discordance or the sd of the differences, and the design effect. */
  plan?: { psi?: number; sd?: number; deff: number };
  /** The test family behind p, pTost and the row's interval (not serialised). */
  inference: PairedInference;
}

export interface StatsSettings {
  /** Bootstrap resamples for means (≥ 2,000; 10,000 resolves p-values to 1e-4, enough for Holm over a ledger). */
  iterations: number;
  /** Resamples for set-level statistics (each recomputes the statistic twice). */
  setIterations: number;
  alpha: number;
}

/**
 * 10,000 resamples for means and 5,000 for set statistics: their smallest p-values (about 1e-4
 * and 2e-4) reach Holm's first step, α/m, in ledgers of up to ~250 rows.
 */
export const DEFAULT_STATS: StatsSettings = { iterations: 10_000, setIterations: 5_000, alpha: 0.05 };

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function sd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** The shared fields of a row that has no test. */
function untested(inf: PairedInference, base: number, tuned: number, note: string): RowStats {
  return { n: inf.n, clusters: inf.clusters, base, tuned, delta: inf.estimate, p: NaN, pTost: NaN, test: inf.method, mdeAt: () => NaN, note, inference: inf };
}

/** The values of `metric` on items both records have, with their clusters. */
function bothMeasured(metric: string, base: readonly MetricValues[], tuned: readonly MetricValues[], clusters: ClusterLabels) {
  const b: number[] = [];
  const t: number[] = [];
  const c: string[] = [];
  base.forEach((v, i) => {
    const x = v[metric];
    const y = tuned[i][metric];
    if (typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)) {
      b.push(x);
      t.push(y);
      c.push(clusters[i]);
    }
  });
  return { b, t, c };
}

export interface RowContext {
  seed: number;
  settings: StatsSettings;
}

/**
 * A share metric whose values all lie in [0, 1] has its difference in [−1, 1]: the interval
 * is searched there and no further (intersecting an interval with the parameter space keeps
 * its coverage), so a 98-point loss never reads "−101 pp".
 */
function withinShares(metric: MetricSpec, b: readonly number[], t: readonly number[], inf: PairedInference): PairedInference {
  const unit = (x: number) => x >= 0 && x <= 1;
  if (metric.unit !== "share" || inf.problem || !b.every(unit) || !t.every(unit)) return inf;
  return { ...inf, range: [-1, 1], bounded: true };
}

/** Statistics of `metric` over paired records (base[i] and tuned[i] are the same item, in cluster clusters[i]). */
export function rowStats(metric: MetricSpec, base: readonly MetricValues[], tuned: readonly MetricValues[], clusters: ClusterLabels, ctx: RowContext): RowStats {
  const { settings: s, seed } = ctx;
  if (metric.aggregate) return setRow(metric, base, tuned, clusters, seed, s);
  const { b, t, c } = bothMeasured(metric.name, base, tuned, clusters);
  const grouped = new Set(c).size < c.length ? c : undefined;
  // a continuous metric whose values are all 0 or 1 here (pass@1 of one sample, a share of one) is tested as binary:
  // a bootstrap of 0/1 differences has no width when few items differ, Tango's interval does
  const binaryValued = b.every((x) => x === 0 || x === 1) && t.every((x) => x === 0 || x === 1);
  if (metric.kind === "binary" || binaryValued) {
    const inf = pairedProportions(b, t, grouped);
    if (inf.problem) return untested(inf, NaN, NaN, `${inf.problem}: cannot be computed`);
    const { b: lost, c: gained } = discordantPairs(b.map((x) => x === 1), t.map((x) => x === 1));
    // the design effect divides the counts and n alike: ψ stays, n shrinks, the MDE grows by √deff
    const mdeAt = (alpha: number) => mdeMcNemar(lost, gained, b.length, { alpha }).mde * Math.sqrt(inf.designEffect);
    return {
      n: b.length, clusters: inf.clusters, base: mean(b), tuned: mean(t), delta: inf.estimate, p: twoSidedP(inf), pTost: tostP(inf, metric.margin),
      test: metric.kind === "binary" ? inf.method : `${inf.method} (0/1 values)`, designEffect: inf.designEffect, effect: pairedOddsRatio(lost, gained),
      mdeAt,
      discordant: { b: lost, c: gained }, inference: inf,
      plan: { psi: Math.max(lost + gained, 1) / b.length, deff: inf.designEffect },
    };
  }
  const inf = withinShares(metric, b, t, pairedMeanDifference(b, t, grouped, { seed, iterations: s.iterations }));
  if (inf.problem) return untested(inf, b.length ? mean(b) : NaN, t.length ? mean(t) : NaN, `${inf.problem}: cannot be computed`);
  const diffs = t.map((x, i) => x - b[i]);
  const sdd = sd(diffs);
  const deff = meanDesignEffect(diffs, grouped);
  return {
    n: b.length, clusters: inf.clusters, base: mean(b), tuned: mean(t), delta: inf.estimate, p: twoSidedP(inf), pTost: tostP(inf, metric.margin),
    test: inf.method, ...(grouped ? { designEffect: deff } : {}), effect: cohensDz(b, t),
    mdeAt: (alpha) => (Number.isFinite(sdd) && sdd > 0 ? mdePairedMean(sdd * Math.sqrt(deff), b.length, { alpha }).mde : NaN),
    inference: inf,
    ...(Number.isFinite(sdd) && sdd > 0 ? { plan: { sd: sdd, deff } } : {}),
  };
}

function setRow(metric: MetricSpec, base: readonly MetricValues[], tuned: readonly MetricValues[], clusters: ClusterLabels, seed: number, s: StatsSettings): RowStats {
  const stat = metric.aggregate!;
  const grouped = new Set(clusters).size < clusters.length ? clusters : undefined;
  const inf = pairedSetStatistic(base, tuned, stat, grouped, { seed, iterations: s.setIterations });
  const sb = base.length ? stat(base) : NaN;
  const st = tuned.length ? stat(tuned) : NaN;
  if (inf.problem) return untested(inf, sb, st, `${inf.problem}: no interval or test`);
  const row: RowStats = {
    n: base.length, clusters: inf.clusters, base: sb, tuned: st, delta: st - sb, p: twoSidedP(inf), pTost: tostP(inf, metric.margin),
    test: inf.method, mdeAt: () => NaN, inference: inf,
  };
  if (inf.dropped > 0) row.note = `${inf.dropped} bootstrap resamples had an undefined statistic and were dropped`;
  return row;
}
