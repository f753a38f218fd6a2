/**
 * Paired continuous metrics: Δ = the mean of d_i = tuned_i − base_i over items (with
 * clusters, the ratio Σ_c D_c / Σ_c m_c of cluster totals D_c over cluster sizes m_c).
 *
 *   1. Studentized bootstrap (bootstrap-t; Efron & Tibshirani 1993, "An Introduction to
 *      the Bootstrap", ch. 12; Davison & Hinkley 1997 §5.2.1 for resampling clusters):
 *      B seeded resamples of whole clusters give t* = (Δ* − Δ̂) / se*, with se the
 *      cluster-robust (linearised) standard error
 *        se² = C/(C − 1) · Σ_c (D_c − Δ̂·m_c)² / N²
 *      and the one-sided p-values p(δ₀) = (1 + #{t* ≥ (Δ̂ − δ₀)/se}) / (B + 1) (and ≤).
 *      Second-order accurate where the percentile bootstrap is first-order: simulated
 *      coverage of nominal 95% intervals is in docs/PROBES.md §6. Every standard error
 *      carries a ridge of se²/C (see bootstrapT) so tied resamples do not give t* = ±∞.
 *   2. Small samples (fewer than MIN_BOOTSTRAP_CLUSTERS clusters): the sign-flip
 *      permutation test of the shifted totals D_c − δ₀·m_c (Fisher 1935; exact over all
 *      2^C sign patterns up to 16 clusters, B seeded patterns beyond), inverted into an
 *      interval: with A_s = Σ s_c D_c and M_s = Σ s_c m_c precomputed once per pattern,
 *      the statistic at any δ₀ is A_s − δ₀·M_s, so each δ₀ costs one pass over the patterns.
 *
 * Either way the p-value and the interval come from one family of tests (inference.ts).
 */
import { createRng } from "../random/index.js";
import { clusterTotals, type ClusterLabels, type ClusterTotals } from "./clusters.js";
import type { PairedInference } from "./inference.js";
import { undefinedInference } from "./inference.js";

/** Below this many clusters the interval comes from the sign-flip test, not the bootstrap. */
export const MIN_BOOTSTRAP_CLUSTERS = 20;
/** Up to this many clusters the sign-flip test enumerates all 2^C patterns. */
const EXACT_MAX_CLUSTERS = 16;

export interface MeanDifferenceOptions {
  seed: number;
  /** Bootstrap resamples (or Monte Carlo sign patterns). 10,000: p-values down to 1e-4, enough for Holm over a ledger. */
  iterations?: number;
  /** Force a method (default: by the number of clusters); for simulations that compare them. */
  method?: "bootstrap-t" | "sign-flip";
}

function differences(base: readonly number[], tuned: readonly number[]): number[] {
  if (base.length !== tuned.length) throw new RangeError(`base and tuned must pair item by item: ${base.length} vs ${tuned.length} values`);
  return base.map((b, i) => {
    const d = tuned[i] - b;
    if (!Number.isFinite(d)) throw new RangeError(`item ${i}: values must be finite numbers, got base ${b} and tuned ${tuned[i]}`);
    return d;
  });
}

/** Cluster-robust standard error of Σ D / Σ m over the clusters `pick` (indexes, repeats allowed). */
function ratioSe(t: ClusterTotals, pick: ArrayLike<number>): { est: number; se: number } {
  let D = 0;
  let N = 0;
  for (let j = 0; j < pick.length; j++) {
    D += t.sums[pick[j]];
    N += t.sizes[pick[j]];
  }
  const est = D / N;
  const C = pick.length;
  let ss = 0;
  for (let j = 0; j < C; j++) ss += (t.sums[pick[j]] - est * t.sizes[pick[j]]) ** 2;
  return { est, se: C > 1 ? Math.sqrt((C / (C - 1)) * ss) / N : NaN };
}

/** Count of sorted values ≥ x (tol: ties within rounding count as equal). */
function countAtLeast(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  return sorted.length - lo;
}

function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** t = (Δ − δ₀)/se, with a zero se giving 0 (no difference) or ±∞. */
function studentize(diff: number, se: number): number {
  if (se > 0) return diff / se;
  const TIE = 1e-12;
  return Math.abs(diff) <= TIE ? 0 : diff > 0 ? Infinity : -Infinity;
}

function bootstrapT(t: ClusterTotals, n: number, opts: MeanDifferenceOptions): PairedInference {
  const C = t.sums.length;
  const B = opts.iterations ?? 10_000;
  const all = Array.from({ length: C }, (_, k) => k);
  const { est, se } = ratioSe(t, all);
  // NOTE: a resample of tied clusters has se* = 0 and t* = ±∞, which a metric with many
  // tied values (shares of a few samples) hits often enough to swamp the tail; one
  // pseudo-cluster's worth of the full sample's variance, se²/C, is added to every
  // standard error (observed and resampled alike, so the scale cancels).
  const ridge = (se * se) / C;
  const rng = createRng(opts.seed);
  const stars = new Float64Array(B);
  const pick = new Int32Array(C);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < C; j++) pick[j] = rng.int(C);
    const r = ratioSe(t, pick);
    stars[b] = studentize(r.est - est, Math.sqrt(r.se * r.se + ridge));
  }
  stars.sort();
  const seObs = Math.sqrt(se * se + ridge);
  const tObs = (d0: number) => studentize(est - d0, seObs);
  return {
    method: "bootstrap-t", estimate: est, n, clusters: C, designEffect: NaN, range: widen(rangeOf(t), est, se), degenerate: !(se > 0),
    pGreater: (d0) => (1 + countAtLeast(stars, tObs(d0))) / (B + 1),
    pLess: (d0) => (1 + countAtMost(stars, tObs(d0))) / (B + 1),
  };
}

/** The sign patterns' A_s = Σ s_c D_c and M_s = Σ s_c m_c: all 2^C, or B seeded ones (the observed pattern counted once). */
function signPatterns(t: ClusterTotals, opts: MeanDifferenceOptions): { A: Float64Array; M: Float64Array; exact: boolean } {
  const C = t.sums.length;
  if (C <= EXACT_MAX_CLUSTERS) {
    const P = 2 ** C;
    const A = new Float64Array(P);
    const M = new Float64Array(P);
    for (let s = 0; s < P; s++) {
      let a = 0;
      let m = 0;
      for (let k = 0; k < C; k++) {
        const sign = (s >> k) & 1 ? -1 : 1;
        a += sign * t.sums[k];
        m += sign * t.sizes[k];
      }
      A[s] = a;
      M[s] = m;
    }
    return { A, M, exact: true };
  }
  const B = opts.iterations ?? 10_000;
  const rng = createRng(opts.seed);
  const A = new Float64Array(B + 1);
  const M = new Float64Array(B + 1);
  A[0] = t.sums.reduce((x, y) => x + y, 0);
  M[0] = t.sizes.reduce((x, y) => x + y, 0);
  for (let b = 1; b <= B; b++) {
    let a = 0;
    let m = 0;
    for (let k = 0; k < C; k++) {
      const sign = rng.next() < 0.5 ? -1 : 1;
      a += sign * t.sums[k];
      m += sign * t.sizes[k];
    }
    A[b] = a;
    M[b] = m;
  }
  return { A, M, exact: false };
}

function signFlip(t: ClusterTotals, n: number, opts: MeanDifferenceOptions): PairedInference {
  const { A, M } = signPatterns(t, opts);
  const D = t.sums.reduce((x, y) => x + y, 0);
  const N = t.sizes.reduce((x, y) => x + y, 0);
  const scale = t.sums.reduce((x, y) => x + Math.abs(y), 0) + N;
  const tol = 1e-11 * scale;
  const count = (d0: number, atLeast: boolean) => {
    const obs = D - d0 * N;
    let k = 0;
    for (let s = 0; s < A.length; s++) {
      const v = A[s] - d0 * M[s];
      if (atLeast ? v >= obs - tol : v <= obs + tol) k++;
    }
    return k / A.length;
  };
  return {
    method: "sign-flip", estimate: D / N, n, clusters: t.sums.length, designEffect: NaN, range: rangeOf(t),
    degenerate: t.sums.every((s, k) => Math.abs(s / t.sizes[k] - D / N) <= 1e-12 * (1 + Math.abs(D / N))),
    pGreater: (d0) => count(d0, true),
    pLess: (d0) => count(d0, false),
  };
}

/** Δ lies between the smallest and largest cluster mean difference. */
function rangeOf(t: ClusterTotals): [number, number] {
  const means = t.sums.map((s, k) => s / t.sizes[k]);
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  // differences that do not vary: the range is the point itself, and so is the interval
  const pad = hi > lo ? (hi - lo) * 1e-6 : 0;
  return [lo - pad, hi + pad];
}

/** A bootstrap-t interval can reach past the data: the search range also spans ±20 standard errors. */
function widen([lo, hi]: [number, number], est: number, se: number): [number, number] {
  return Number.isFinite(se) && se > 0 ? [Math.min(lo, est - 20 * se), Math.max(hi, est + 20 * se)] : [lo, hi];
}

/** Inference on the mean paired difference of a continuous metric. */
export function pairedMeanDifference(base: readonly number[], tuned: readonly number[], clusters: ClusterLabels | undefined, opts: MeanDifferenceOptions): PairedInference {
  const d = differences(base, tuned);
  const t = clusterTotals(d, clusters);
  const C = t.sums.length;
  if (d.length === 0) return undefinedInference("bootstrap-t", 0, 0, NaN, "no item has this value for both models");
  if (C < 2) return undefinedInference("sign-flip", d.length, C, t.sums[0] / t.sizes[0], "needs at least 2 independent items (clusters) for an interval");
  const method = opts.method ?? (C < MIN_BOOTSTRAP_CLUSTERS ? "sign-flip" : "bootstrap-t");
  return method === "sign-flip" ? signFlip(t, d.length, opts) : bootstrapT(t, d.length, opts);
}
