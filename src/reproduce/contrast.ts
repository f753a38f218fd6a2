/**
 * A claim's effect pooled over fine-tuning seeds: Δ = metric(tuned) − metric(reference), where
 * in seed s the tuned model is that seed's fine-tune and the reference is either a model all
 * seeds share (a zoo base) or that seed's own run of another arm (multi-task SFT for CPI-FT,
 * the externally verified loop for self-improvement). Each seed's Δ_s is a paired difference
 * on the same items; the estimate is their mean and its interval resamples seeds and item
 * clusters together (src/stats seeds.ts), as the audit's seed ledger does for a shared base,
 * and every test on it must also pass a t test on the K per-seed Δ_s (src/stats seed-t.ts):
 * with three seeds the bootstrap alone is too sure of itself when seeds differ.
 *
 *   per-item metric      Δ_s = mean over items of (t_s,i − r_s,i), on the items every model
 *                        of every seed measured (null values dropped for all alike)
 *   set-level metric     Δ_s = S(t_s) − S(r_s) on the same resampled clusters (format entropy, ECE)
 */
import { createRng } from "../random/index.js";
import { clusterOf, type Item, type ItemRecord, type MetricSpec, type MetricValues } from "../probes/index.js";
import { seedPooledDifference, seedPooledMeanDifference, withSeedT, type SeedInference } from "../stats/index.js";

export interface ContrastInput {
  items: readonly Item[];
  metric: Pick<MetricSpec, "name" | "aggregate">;
  /** Only the items of this domain (probes that report per domain). */
  domain?: string;
  /** Per seed: the tuned model's records, and the reference's (the same array in every seed for a shared model). */
  tuned: readonly (readonly ItemRecord[])[];
  reference: readonly (readonly ItemRecord[])[];
  /** Bootstrap seed, recorded with the result. */
  seed: number;
  iterations?: number;
}

export interface PooledContrast {
  inf: SeedInference;
  /** The metric over seeds: tuned and reference (each a mean of per-seed values). */
  tunedMean: number;
  referenceMean: number;
  /** Items behind the estimate. */
  n: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Every seed's tuned and reference records on the items all of them have, in item order. */
function aligned(input: ContrastInput) {
  const maps = (rss: readonly (readonly ItemRecord[])[]) => rss.map((rs) => new Map(rs.map((r) => [r.itemId, r])));
  const t = maps(input.tuned);
  const r = maps(input.reference);
  const out = { items: [] as Item[], tuned: t.map(() => [] as ItemRecord[]), reference: r.map(() => [] as ItemRecord[]) };
  for (const it of input.items) {
    if (input.domain !== undefined && it.domain !== input.domain) continue;
    const ts = t.map((m) => m.get(it.id));
    const rs = r.map((m) => m.get(it.id));
    if (ts.some((x) => !x) || rs.some((x) => !x)) continue;
    out.items.push(it);
    ts.forEach((x, s) => out.tuned[s].push(x!));
    rs.forEach((x, s) => out.reference[s].push(x!));
  }
  return out;
}

/** Item indexes grouped by cluster (an N-1 parent and its variants, a fact and its phrasings). */
function clusterMembers(items: readonly Item[]): number[][] {
  const index = new Map<string, number>();
  const members: number[][] = [];
  items.forEach((it, i) => {
    const label = clusterOf(it);
    if (!index.has(label)) {
      index.set(label, members.length);
      members.push([]);
    }
    members[index.get(label)!].push(i);
  });
  return members;
}

/**
 * The variance of the seed-averaged Δ when only the item clusters are resampled (the part of
 * Δ's uncertainty every seed shares, which the seeds' spread cannot show: src/stats seed-t.ts).
 */
function itemOnlyVariance(seeds: number, clusters: number, diffOn: (s: number, pick: ArrayLike<number>) => number, seed: number): number {
  if (clusters < 2) return 0;
  const rng = createRng(seed ^ 0x5eed);
  const pick = new Int32Array(clusters);
  const xs: number[] = [];
  for (let b = 0; b < ITEM_RESAMPLES; b++) {
    for (let j = 0; j < clusters; j++) pick[j] = rng.int(clusters);
    let sum = 0;
    for (let s = 0; s < seeds; s++) sum += diffOn(s, pick);
    if (Number.isFinite(sum)) xs.push(sum / seeds);
  }
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}

/** Item-only resamples behind v_items: 1,000 give its variance to about ±9%. */
const ITEM_RESAMPLES = 1_000;

export function pooledContrast(input: ContrastInput): PooledContrast {
  const seeds = input.tuned.length;
  if (seeds !== input.reference.length) throw new RangeError(`one reference per seed: ${input.reference.length} for ${seeds} seeds`);
  const al = aligned(input);
  const opts = { seed: input.seed, iterations: input.iterations ?? 4_000 };
  const stat = input.metric.aggregate;
  if (stat) {
    const members = clusterMembers(al.items);
    const values = (rs: readonly ItemRecord[]) => rs.map((r) => r.values as MetricValues);
    const tv = al.tuned.map(values);
    const rv = al.reference.map(values);
    const on = (vs: readonly MetricValues[], pick: ArrayLike<number>) => {
      const out: MetricValues[] = [];
      for (let j = 0; j < pick.length; j++) for (const i of members[pick[j]]) out.push(vs[i]);
      return out;
    };
    const diffOn = (s: number, pick: ArrayLike<number>) => stat(on(tv[s], pick)) - stat(on(rv[s], pick));
    const inf = withSeedT(seedPooledDifference(seeds, members.length, al.items.length, diffOn, opts), itemOnlyVariance(seeds, members.length, diffOn, input.seed));
    return { inf, tunedMean: mean(tv.map((v) => stat(v))), referenceMean: mean(rv.map((v) => stat(v))), n: al.items.length };
  }
  const name = input.metric.name;
  const keep: number[] = [];
  for (let i = 0; i < al.items.length; i++) {
    if (al.tuned.every((rs) => finite(rs[i].values[name])) && al.reference.every((rs) => finite(rs[i].values[name]))) keep.push(i);
  }
  const value = (rs: readonly ItemRecord[], i: number) => rs[i].values[name] as number;
  const diffs = al.tuned.map((t, s) => keep.map((i) => value(t, i) - value(al.reference[s], i)));
  const kept = keep.map((i) => al.items[i]);
  const members = clusterMembers(kept);
  const sums = diffs.map((d) => members.map((ix) => ix.reduce((a, i) => a + d[i], 0)));
  const diffOn = (s: number, pick: ArrayLike<number>) => {
    let D = 0;
    let N = 0;
    for (let j = 0; j < pick.length; j++) {
      D += sums[s][pick[j]];
      N += members[pick[j]].length;
    }
    return D / N;
  };
  const inf = withSeedT(seedPooledMeanDifference(diffs, kept.map(clusterOf), opts), itemOnlyVariance(seeds, members.length, diffOn, input.seed));
  const meanOf = (rss: readonly (readonly ItemRecord[])[]) => (keep.length ? mean(rss.map((rs) => mean(keep.map((i) => value(rs, i))))) : NaN);
  return { inf, tunedMean: meanOf(al.tuned), referenceMean: meanOf(al.reference), n: keep.length };
}
