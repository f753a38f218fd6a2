/**
 * Paired proportions: Δ = P(tuned right) − P(base right) = (c − b)/n, with b items the
 * base got right and the tuned model wrong and c the reverse.
 *
 * The test is the score test of H0: Δ = δ₀ and the interval inverts it (Tango 1998,
 * "Equivalence test and confidence interval for the difference in proportions for the
 * paired-sample design", Statistics in Medicine 17(8)). With the discordant counts
 * n₁₂ = c (tuned right, base wrong) and n₂₁ = b:
 *
 *   Z(δ₀) = (n₁₂ − n₂₁ − n·δ₀) / √( n·(2·q̃ + δ₀·(1 − δ₀)) )
 *   q̃    = (√(B² − 4AC) − B) / (2A),  A = 2n,  B = −n₁₂ − n₂₁ + (2n − n₁₂ + n₂₁)·δ₀,
 *          C = −n₂₁·δ₀·(1 − δ₀)   (the constrained MLE of P(base right, tuned wrong))
 *
 * At δ₀ = 0, Z is McNemar's statistic (c − b)/√(b + c), so the p-value is McNemar's
 * (asymptotic, no continuity correction) and the interval excludes 0 exactly when it is
 * significant. Unlike a bootstrap of the differences, the interval has width when no item
 * changed: with n = 20 and b = c = 0 the 95% interval is ±16.1 pp, not [0, 0].
 *
 * Clusters (several items per unit: an N-1 parent and its variants, one fact in several
 * phrasings) are handled as Rao & Scott 1992 ("A simple method for analysing overdispersion
 * in clustered Poisson data", Biometrics 48) do for counts: n, b and c are divided by the
 * design effect — the ratio of the cluster-robust variance of the mean difference to its
 * variance under independence (floored at 1, and 1 when the differences do not vary).
 */
import { normalCdf } from "./normal.js";
import type { PairedInference } from "./inference.js";
import { clusterTotals, type ClusterLabels } from "./clusters.js";

/** Tango's score statistic for H0: Δ = δ₀ (n, n12, n21 may be fractional after a design-effect division). */
export function tangoZ(n: number, n12: number, n21: number, delta0: number): number {
  const num = n12 - n21 - n * delta0;
  const A = 2 * n;
  const B = -n12 - n21 + (2 * n - n12 + n21) * delta0;
  const C = -n21 * delta0 * (1 - delta0);
  const q = (Math.sqrt(Math.max(0, B * B - 4 * A * C)) - B) / (2 * A);
  const v = n * (2 * q + delta0 * (1 - delta0));
  if (v <= 0) return num === 0 ? 0 : num > 0 ? Infinity : -Infinity;
  return num / Math.sqrt(v);
}

/**
 * The design effect of a mean under clustering (Kish 1965): the cluster-robust
 * (linearised ratio-estimator) variance of the mean of d over its variance if the items
 * were independent, floored at 1; 1 without clusters or when d does not vary.
 */
export function meanDesignEffect(d: readonly number[], clusters: ClusterLabels | undefined): number {
  const n = d.length;
  if (!clusters || n < 2) return 1;
  const mean = d.reduce((a, x) => a + x, 0) / n;
  const s2 = d.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  if (!(s2 > 0)) return 1;
  const totals = clusterTotals(d, clusters);
  const C = totals.sums.length;
  if (C < 2) return 1;
  let ss = 0;
  for (let k = 0; k < C; k++) ss += (totals.sums[k] - mean * totals.sizes[k]) ** 2;
  const varCluster = (C / (C - 1)) * ss / (n * n);
  return Math.max(1, varCluster / (s2 / n));
}

/**
 * Inference on a paired binary metric: base[i], tuned[i] ∈ {0, 1} for the same item i;
 * `clusters[i]` the item's cluster, when items are clustered.
 */
export function pairedProportions(base: readonly number[], tuned: readonly number[], clusters?: ClusterLabels): PairedInference {
  const n = base.length;
  if (tuned.length !== n) throw new RangeError(`base and tuned must pair item by item: ${n} vs ${tuned.length} values`);
  let b = 0;
  let c = 0;
  const d: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if ((base[i] !== 0 && base[i] !== 1) || (tuned[i] !== 0 && tuned[i] !== 1)) {
      throw new RangeError(`item ${i}: binary values must be 0 or 1, got base ${base[i]} and tuned ${tuned[i]}`);
    }
    if (base[i] === 1 && tuned[i] === 0) b++;
    if (base[i] === 0 && tuned[i] === 1) c++;
    d[i] = tuned[i] - base[i];
  }
  const deff = meanDesignEffect(d, clusters);
  const nE = n / deff;
  const n12 = c / deff;
  const n21 = b / deff;
  const units = clusters ? new Set(clusters).size : n;
  // NOTE: Z is evaluated strictly inside (−1, 1); at the ends the score's variance is 0
  const EDGE = 1e-12;
  const z = (d0: number) => tangoZ(nE, n12, n21, Math.min(1 - EDGE, Math.max(-1 + EDGE, d0)));
  return {
    method: "tango-score",
    estimate: n > 0 ? (c - b) / n : NaN,
    n,
    clusters: units,
    designEffect: deff,
    range: [-1, 1],
    bounded: true,
    pGreater: (d0) => normalCdf(-z(d0)),
    pLess: (d0) => normalCdf(z(d0)),
    ...(n === 0 ? { problem: "no item has this value for both models" } : {}),
  };
}
