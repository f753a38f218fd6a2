/**
 * Several fine-tunes of one recipe, differing only in the fine-tuning seed, audited on the
 * same items: the effect of the recipe is Δ = the mean over seeds of each seed's paired
 * difference Δ_s, and its interval must cover both sources of chance — which items were
 * drawn and which seeds were run. Items are crossed with seeds (every seed answers the same
 * items), so each bootstrap replicate resamples the seeds and, once for all of them, the
 * item clusters (the crossed "pigeonhole" bootstrap: Owen 2007, "The pigeonhole bootstrap",
 * Annals of Applied Statistics 1(2); it is mildly conservative for crossed designs, which
 * McCullagh 2000 shows no bootstrap can be exactly).
 *
 *   Δ*  = mean over the resampled seeds of Δ_s on the resampled clusters
 *   interval and p: percentile, by inversion (pGreater(δ₀) = G(δ₀), the share of Δ* ≤ δ₀)
 *
 * NOTE: with K seeds the resampled seed sets can take only C(2K − 1, K) values (10 for K = 3),
 * so the seed part of the interval is coarse; the between-seed spread is reported beside it.
 */
import { createRng } from "../random/index.js";
import { clusterTotals, type ClusterLabels } from "./clusters.js";
import { undefinedInference, type PairedInference } from "./inference.js";

export interface SeedOptions {
  seed: number;
  /** Bootstrap replicates. 4,000: percentile p-values down to 2.5e-4. */
  iterations?: number;
}

export interface SeedInference extends PairedInference {
  /** Each seed's own paired difference Δ_s on all items. */
  perSeed: number[];
  /** The standard deviation of Δ_s across seeds (n − 1). */
  seedSd: number;
}

/**
 * Inference on the mean over seeds of a paired difference. `diffOn(s, clusters)` is seed s's
 * difference on the items of the given cluster indexes (repeats allowed): the mean of the
 * per-item differences, or S(tuned_s) − S(base) for a set-level statistic.
 */
export function seedPooledDifference(
  seeds: number, clusters: number, items: number, diffOn: (s: number, pick: ArrayLike<number>) => number, opts: SeedOptions,
): SeedInference {
  const all = Array.from({ length: clusters }, (_, k) => k);
  const perSeed = Array.from({ length: seeds }, (_, s) => diffOn(s, all));
  const estimate = perSeed.reduce((a, b) => a + b, 0) / Math.max(1, seeds);
  const mean = estimate;
  const seedSd = seeds > 1 ? Math.sqrt(perSeed.reduce((a, x) => a + (x - mean) ** 2, 0) / (seeds - 1)) : NaN;
  const none = (why: string): SeedInference => ({ ...undefinedInference("seed-bootstrap", items, clusters, estimate, why), perSeed, seedSd });
  if (seeds < 2) return none("needs at least 2 fine-tuning seeds");
  if (clusters < 2) return none("needs at least 2 independent items (clusters)");
  if (!perSeed.every(Number.isFinite)) return none("the difference is undefined for some seed");
  const B = opts.iterations ?? 4_000;
  const rng = createRng(opts.seed);
  const pick = new Int32Array(clusters);
  const stars: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < clusters; j++) pick[j] = rng.int(clusters);
    let sum = 0;
    for (let k = 0; k < seeds; k++) sum += diffOn(rng.int(seeds), pick);
    const v = sum / seeds;
    if (Number.isFinite(v)) stars.push(v);
  }
  if (stars.length < B / 2) return none(`the difference was undefined on ${B - stars.length} of ${B} resamples`);
  const sorted = Float64Array.from(stars).sort();
  const cdf = (x: number, strict: boolean) => {
    let k = 0;
    for (const v of sorted) if (strict ? v < x : v <= x) k++;
    return k;
  };
  const lo = Math.min(sorted[0], estimate);
  const hi = Math.max(sorted[sorted.length - 1], estimate);
  const pad = hi > lo ? (hi - lo) * 1e-6 : 0;
  return {
    method: "seed-bootstrap", estimate, n: items, clusters, designEffect: NaN, range: [lo - pad, hi + pad], degenerate: !(hi > lo),
    // Δ > δ₀ is shown when few replicates fall at or below δ₀
    pGreater: (d0) => (1 + cdf(d0, false)) / (sorted.length + 1),
    pLess: (d0) => (1 + sorted.length - cdf(d0, true)) / (sorted.length + 1),
    perSeed, seedSd,
  };
}

/** `seedPooledDifference` for a per-item metric: diffs[s][i] = tuned_s − base on item i. */
export function seedPooledMeanDifference(diffs: readonly (readonly number[])[], clusters: ClusterLabels | undefined, opts: SeedOptions): SeedInference {
  const n = diffs[0]?.length ?? 0;
  const totals = diffs.map((d) => {
    if (d.length !== n) throw new RangeError(`every seed must have the same items: ${d.length} vs ${n} differences`);
    return clusterTotals(d, clusters);
  });
  const C = totals[0]?.sums.length ?? 0;
  const diffOn = (s: number, pick: ArrayLike<number>) => {
    let D = 0;
    let N = 0;
    for (let j = 0; j < pick.length; j++) {
      D += totals[s].sums[pick[j]];
      N += totals[s].sizes[pick[j]];
    }
    return D / N;
  };
  return seedPooledDifference(diffs.length, C, n, diffOn, opts);
}
