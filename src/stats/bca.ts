/**
 * Set-level metrics (a statistic S over all items' records: ECE, format entropy, the
 * dominant format's share): Δ = S(tuned) − S(base) on the same items, with a paired
 * bootstrap that resamples whole clusters and the BCa interval (Efron 1987, "Better
 * bootstrap confidence intervals", JASA 82(397); Efron & Tibshirani 1993 ch. 14):
 *
 *   z₀ = Φ⁻¹(G(Δ̂))                      bias correction, G the bootstrap CDF of Δ*
 *   a  = Σ (θ̄ − θ₍ₖ₎)³ / (6·(Σ (θ̄ − θ₍ₖ₎)²)^{3/2})   acceleration, jackknife over clusters
 *   lower bound at α:  G⁻¹(Φ(z₀ + (z₀ + z_α) / (1 − a·(z₀ + z_α))))
 *
 * Inverting the lower bound gives the one-sided p-value at any δ₀: with
 * w = Φ⁻¹(G(δ₀)) − z₀, pGreater(δ₀) = Φ(w / (1 + a·w) − z₀) (a = z₀ = 0: the percentile
 * method's G(δ₀)), so the p-value and the interval agree by construction.
 * Small samples: fewer than MIN_SET_CLUSTERS clusters give no interval ("too few items"),
 * since a set statistic's bootstrap distribution is then too coarse to invert.
 */
import { createRng } from "../random/index.js";
import { clusterTotals, type ClusterLabels } from "./clusters.js";
import { undefinedInference, type PairedInference } from "./inference.js";
import { normalCdf, normalQuantile } from "./normal.js";

export const MIN_SET_CLUSTERS = 10;

export interface SetStatisticOptions {
  seed: number;
  /** Resamples (each recomputes S twice). 2,000, as for any BCa interval. */
  iterations?: number;
}

export interface SetInference extends PairedInference {
  /** Resamples whose statistic was undefined (NaN), dropped. */
  dropped: number;
}

/** Inference on S(tuned) − S(base) for records paired by index. */
export function pairedSetStatistic<R>(
  base: readonly R[], tuned: readonly R[], stat: (records: readonly R[]) => number, clusters: ClusterLabels | undefined, opts: SetStatisticOptions,
): SetInference {
  const n = base.length;
  if (tuned.length !== n) throw new RangeError(`base and tuned must pair item by item: ${n} vs ${tuned.length} records`);
  const members = clusterTotals(new Array<number>(n).fill(0), clusters).members;
  const C = members.length;
  const est = stat(tuned) - stat(base);
  const none = (why: string): SetInference => ({ ...undefinedInference("bca", n, C, est, why), dropped: 0 });
  if (!Number.isFinite(est)) return none("the statistic is undefined on these items");
  if (C < MIN_SET_CLUSTERS) return none(`a set-level interval needs at least ${MIN_SET_CLUSTERS} independent items (clusters), got ${C}`);
  const diffOf = (pick: ArrayLike<number>) => {
    const b: R[] = [];
    const t: R[] = [];
    for (let j = 0; j < pick.length; j++) for (const i of members[pick[j]]) {
      b.push(base[i]);
      t.push(tuned[i]);
    }
    return stat(t) - stat(b);
  };

  // 1. the bootstrap distribution of Δ*
  const B = opts.iterations ?? 2_000;
  const rng = createRng(opts.seed);
  const pick = new Int32Array(C);
  const stars: number[] = [];
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < C; j++) pick[j] = rng.int(C);
    const v = diffOf(pick);
    if (Number.isFinite(v)) stars.push(v);
  }
  if (stars.length < B / 2) return none(`the statistic was undefined on ${B - stars.length} of ${B} resamples`);
  const sorted = Float64Array.from(stars).sort();
  const G = (x: number) => {
    // mid-rank CDF, kept inside (0, 1) so its normal quantile is finite
    let below = 0;
    let equal = 0;
    for (const v of sorted) {
      if (v < x) below++;
      else if (v === x) equal++;
    }
    return (below + 0.5 * equal + 0.5) / (sorted.length + 1);
  };

  // 2. bias correction and acceleration (jackknife, leaving out one cluster at a time)
  const z0 = normalQuantile(G(est));
  const jack: number[] = [];
  for (let k = 0; k < C; k++) {
    const keep = Array.from({ length: C - 1 }, (_, j) => (j < k ? j : j + 1));
    const v = diffOf(keep);
    if (Number.isFinite(v)) jack.push(v);
  }
  const mean = jack.reduce((x, y) => x + y, 0) / jack.length;
  let s2 = 0;
  let s3 = 0;
  for (const v of jack) {
    s2 += (mean - v) ** 2;
    s3 += (mean - v) ** 3;
  }
  const a = s2 > 0 ? s3 / (6 * s2 ** 1.5) : 0;

  // 3. the one-sided p-values that the BCa bounds invert
  const pGreater = (d0: number) => {
    const w = normalQuantile(G(d0)) - z0;
    const denom = 1 + a * w;
    if (denom <= 0) return w > 0 ? 1 : 0;
    return normalCdf(w / denom - z0);
  };
  const lo = Math.min(sorted[0], est);
  const hi = Math.max(sorted[sorted.length - 1], est);
  const pad = hi > lo ? (hi - lo) * 1e-6 : 0;
  return {
    method: "bca", estimate: est, n, clusters: C, designEffect: NaN, range: [lo - pad, hi + pad], degenerate: !(hi > lo),
    pGreater, pLess: (d0) => 1 - pGreater(d0), dropped: B - stars.length,
  };
}
