/**
 * `ftledger diff BASE TUNED…`: where in the weights each fine-tune changed the model.
 * Streams every tensor once (the base's, then each tuned model's into one reused buffer),
 * so memory stays at about two tensors plus a mask per tuned model, whatever the model size.
 *
 *   per tensor        ‖Δ‖_F, ‖Δ‖/‖θ₀‖, cos(θ₀, θ₁), sparsity of Δ, stable / effective rank of Δ
 *   per group         the same from summed squares (layer × module kind, module kind, layer, total)
 *   several tuned     core regions (top-p% of |τ|, CPI-FT arXiv 2508.21741), their Jaccard
 *                     overlap per layer and overall, and tasks clustered by overlap
 */
import { createRng, hash32 } from "../random/index.js";
import { clusterBySimilarity } from "./cluster.js";
import { coreMask, jaccard, overlapCounts } from "./core-regions.js";
import { addPartials, deltaPartial, statsOf, type DeltaPartial, type DeltaStats } from "./delta.js";
import { wfail, type WeightsResult } from "./errors.js";
import { MODULE_KINDS, parseTensorName, type ModuleKind } from "./names.js";
import { Scratch, sharedTensors, type ModelWeights } from "./source.js";
import { effectiveRank, singularValues, stableRank, type EffectiveRank } from "./spectrum.js";

export const DIFF_SCHEMA = "ftledger.weights-diff/1";

export interface DiffOptions {
  /** Sparsity counts |Δ_i| ≤ threshold · RMS(θ₀) as unchanged (delta.ts). */
  threshold?: number;
  /**
   * Which matrices get a spectrum (randomized SVD of Δ): "auto" = up to RANK_AUTO_MAX entries
   * (every zoo matrix, none of a 7B model's largest, which would dominate the run), "all", "none".
   */
  rank?: "auto" | "all" | "none";
  /** Singular values kept per matrix (128: exact for every zoo matrix, whose short side is ≤ 128; the top 128 otherwise). */
  rankK?: number;
  /** Core region size p (the paper's 1%). */
  coreFraction?: number;
  seed?: number;
  onProgress?: (done: number, total: number, tensor: string) => void;
}

export const RANK_AUTO_MAX = 1 << 22;
export const DIFF_DEFAULTS = { threshold: 1e-3, rank: "auto", rankK: 128, coreFraction: 0.01, seed: 1 } as const;

export interface TensorDiff {
  name: string;
  layer: number | null;
  module: ModuleKind;
  shape: number[];
  dtype: string;
  stats: DeltaStats;
  /** ‖Δ‖_F² / σ₁²; null for vectors or when not computed. */
  stableRank: number | null;
  /** exp(entropy of the normalised singular values); `exact` false when only the top-k were computed ([lower, upper] bracket it). */
  effectiveRank: EffectiveRank | null;
}

export interface GroupDiff {
  layer: number | null;
  module: ModuleKind | null;
  tensors: number;
  stats: DeltaStats;
}

export interface TunedDiff {
  label: string;
  dir: string;
  tensors: TensorDiff[];
  /** One row per (layer, module kind) present. */
  byLayerModule: GroupDiff[];
  byModule: GroupDiff[];
  byLayer: GroupDiff[];
  total: GroupDiff;
}

export interface OverlapResult {
  coreFraction: number;
  labels: string[];
  /** Jaccard of the core regions over all tensors (summed intersections over summed unions). */
  overall: (number | null)[][];
  byLayer: { layer: number | null; jaccard: (number | null)[][] }[];
  clusters: string[][];
  merges: { a: string[]; b: string[]; similarity: number }[];
}

export interface DiffResult {
  schema: typeof DIFF_SCHEMA;
  base: { label: string; dir: string };
  tuned: TunedDiff[];
  overlap: OverlapResult | null;
  settings: { threshold: number; rank: string; rankK: number; coreFraction: number; seed: number };
}

const key = (layer: number | null, module: ModuleKind | null) => `${layer ?? "-"}|${module ?? "-"}`;

/** Sum partials into groups, keyed by `keyOf`. */
class Groups {
  readonly map = new Map<string, { layer: number | null; module: ModuleKind | null; tensors: number; partial: DeltaPartial }>();
  add(layer: number | null, module: ModuleKind | null, p: DeltaPartial): void {
    const k = key(layer, module);
    const g = this.map.get(k);
    if (g) {
      g.tensors++;
      g.partial = addPartials(g.partial, p);
    } else this.map.set(k, { layer, module, tensors: 1, partial: p });
  }
  rows(): GroupDiff[] {
    const order = (m: ModuleKind | null) => (m === null ? -1 : MODULE_KINDS.indexOf(m));
    return [...this.map.values()]
      .sort((a, b) => (a.layer ?? -1) - (b.layer ?? -1) || order(a.module) - order(b.module))
      .map((g) => ({ layer: g.layer, module: g.module, tensors: g.tensors, stats: statsOf(g.partial) }));
  }
}

/** Whether a tensor gets a spectrum under the rank policy: matrices only, "auto" up to RANK_AUTO_MAX entries. */
function wantsSpectrum(shape: readonly number[], numel: number, rank: NonNullable<DiffOptions["rank"]>): boolean {
  return shape.length === 2 && (rank === "all" || (rank === "auto" && numel <= RANK_AUTO_MAX));
}

/** Spectrum of a matrix Δ (rows × cols); none for Δ = 0. */
function spectrumOf(delta: Float32Array, shape: readonly number[], frobeniusSq: number, o: Required<Pick<DiffOptions, "rankK" | "seed">>, name: string) {
  if (frobeniusSq === 0) return { stableRank: null, effectiveRank: null };
  const [rows, cols] = shape;
  const rng = createRng(hash32(`${o.seed}:${name}`));
  const sigmas = singularValues(delta, rows, cols, { rank: o.rankK, rng });
  return { stableRank: stableRank(frobeniusSq, sigmas[0]), effectiveRank: effectiveRank(sigmas, { frobeniusSq, minDim: Math.min(rows, cols) }) };
}

export async function diffWeights(base: ModelWeights, tuned: readonly ModelWeights[], opts: DiffOptions = {}): Promise<WeightsResult<DiffResult>> {
  const o = { ...DIFF_DEFAULTS, ...opts };
  const names = sharedTensors(base, tuned);
  if (!names.ok) return names;
  const perTuned = tuned.map(() => ({ tensors: [] as TensorDiff[], lm: new Groups(), mod: new Groups(), lay: new Groups(), all: new Groups() }));
  const overlap = tuned.length >= 2;
  const pairs: [number, number][] = [];
  for (let a = 0; a < tuned.length; a++) for (let b = a + 1; b < tuned.length; b++) pairs.push([a, b]);
  const inter = new Map<string, number[]>(); // layer key → per pair summed intersections
  const union = new Map<string, number[]>();
  const total = names.value.length;
  const buf0 = new Scratch();
  const buf1 = new Scratch();
  for (const [i, name] of names.value.entries()) {
    o.onProgress?.(i, total, name);
    const info = base.source.info(name)!;
    const { layer, module } = parseTensorName(name);
    const numel = info.shape.reduce((a, b) => a * b, 1);
    const theta0 = await base.source.readTensor(name, buf0.get(numel));
    if (!theta0.ok) return wfail({ code: "format", error: theta0.error });
    const theta1 = buf1.get(numel); // each tuned tensor in turn, then its Δ in place
    const masks: Uint8Array[] = [];
    for (const [t, m] of tuned.entries()) {
      const r = await m.source.readTensor(name, theta1);
      if (!r.ok) return wfail({ code: "format", error: r.error });
      const p = deltaPartial(theta0.value, theta1, { threshold: o.threshold });
      const stats = statsOf(p);
      const wantSpectrum = wantsSpectrum(info.shape, numel, o.rank);
      const delta = theta1;
      if (wantSpectrum || overlap) for (let j = 0; j < delta.length; j++) delta[j] -= theta0.value[j];
      const spectrum = wantSpectrum ? spectrumOf(delta, info.shape, stats.deltaNorm * stats.deltaNorm, o, name) : { stableRank: null, effectiveRank: null };
      const acc = perTuned[t];
      acc.tensors.push({ name, layer, module, shape: [...info.shape], dtype: info.dtype, stats, ...spectrum });
      acc.lm.add(layer, module, p);
      acc.mod.add(null, module, p);
      acc.lay.add(layer, null, p);
      acc.all.add(null, null, p);
      if (overlap) masks.push(changedCore(delta, o.coreFraction));
    }
    if (overlap) {
      const lk = String(layer);
      const I = inter.get(lk) ?? inter.set(lk, pairs.map(() => 0)).get(lk)!;
      const U = union.get(lk) ?? union.set(lk, pairs.map(() => 0)).get(lk)!;
      pairs.forEach(([a, b], k) => {
        const c = overlapCounts(masks[a], masks[b]);
        I[k] += c.intersection;
        U[k] += c.union;
      });
    }
  }
  o.onProgress?.(total, total, "");
  const result: DiffResult = {
    schema: DIFF_SCHEMA,
    base: { label: base.label, dir: base.dir },
    tuned: tuned.map((m, t) => {
      const acc = perTuned[t];
      return { label: m.label, dir: m.dir, tensors: acc.tensors, byLayerModule: acc.lm.rows(), byModule: acc.mod.rows(), byLayer: acc.lay.rows(), total: acc.all.rows()[0] };
    }),
    overlap: overlap ? overlapOf(tuned.map((m) => m.label), pairs, inter, union, o.coreFraction) : null,
    settings: { threshold: o.threshold, rank: o.rank, rankK: o.rankK, coreFraction: o.coreFraction, seed: o.seed },
  };
  return { ok: true, value: result };
}

/**
 * The core region among the entries that changed: an entry a fine-tune left exactly as it was
 * is not part of its core, however the top-p% cut falls (a frozen tensor, a LoRA's untouched
 * rows), or two fine-tunes that both left a tensor alone would "overlap" there completely.
 */
function changedCore(delta: Float32Array, fraction: number): Uint8Array {
  const mask = coreMask(delta, fraction);
  for (let i = 0; i < mask.length; i++) if (mask[i] && delta[i] === 0) mask[i] = 0;
  return mask;
}

function overlapOf(labels: string[], pairs: [number, number][], inter: Map<string, number[]>, union: Map<string, number[]>, coreFraction: number): OverlapResult {
  const matrix = (I: number[], U: number[]) => {
    const m: (number | null)[][] = labels.map((_, a) => labels.map((__, b) => (a === b ? 1 : null)));
    pairs.forEach(([a, b], k) => {
      const j = jaccard({ intersection: I[k], union: U[k] });
      m[a][b] = j;
      m[b][a] = j;
    });
    return m;
  };
  const layerKeys = [...inter.keys()].sort((x, y) => (x === "null" ? -1 : Number(x)) - (y === "null" ? -1 : Number(y)));
  const sumI = pairs.map((_, k) => layerKeys.reduce((s, l) => s + inter.get(l)![k], 0));
  const sumU = pairs.map((_, k) => layerKeys.reduce((s, l) => s + union.get(l)![k], 0));
  const overall = matrix(sumI, sumU);
  const similarity = overall.map((row) => row.map((v) => v ?? 0));
  const clustered = clusterBySimilarity(labels, similarity);
  return {
    coreFraction, labels, overall,
    byLayer: layerKeys.map((l) => ({ layer: l === "null" ? null : Number(l), jaccard: matrix(inter.get(l)!, union.get(l)!) })),
    clusters: clustered.ok ? clustered.value.clusters : labels.map((l) => [l]),
    merges: clustered.ok ? clustered.value.merges : [],
  };
}
