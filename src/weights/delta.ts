/**
 * How far one tensor moved in a fine-tune: the task vector Δ = θ₁ − θ₀ (Ilharco et al.
 * 2023, "Editing models with task arithmetic", arXiv 2212.04089) measured by its
 * Frobenius norm, its size relative to the base ‖Δ‖_F / ‖θ₀‖_F, the cosine between base
 * and tuned weights, and how many entries did not move at all or moved negligibly.
 *
 * Everything is a ratio of sums, so a group of tensors (a layer, a module kind, the whole
 * model) is measured exactly by adding the tensors' `DeltaPartial`s and calling
 * `statsOf` once — never by averaging per-tensor ratios, which would weigh a 4k-entry
 * norm vector like a 16M-entry projection.
 *
 * Sums run in float64 over float32 inputs. ‖Δ‖² is summed from the differences
 * themselves, not as ‖θ₁‖² + ‖θ₀‖² − 2⟨θ₀, θ₁⟩, which would cancel catastrophically for
 * the small updates a fine-tune makes. NaN in an input is never hidden: the sums, the
 * ratios and maxAbs become NaN, and `nonFinite` counts the entries responsible.
 */

/**
 * Default for "moved negligibly": |Δᵢ| ≤ 1e-3 · RMS(θ₀). A bf16 weight of typical size
 * (≈ RMS) has a rounding step of 2⁻⁸ · |w| ≈ 3.9e-3 · RMS, so a change below 1e-3 · RMS
 * (under half a step, 2⁻⁹ ≈ 2.0e-3) does not survive a bf16 save: it is below what the
 * format most checkpoints ship in can represent.
 */
export const DEFAULT_SPARSITY_THRESHOLD = 1e-3;

export interface DeltaOptions {
  /** Relative threshold for `sparsity` (see DEFAULT_SPARSITY_THRESHOLD). */
  threshold?: number;
}

/** Sums over one tensor (or, added up, over a group); `statsOf` turns them into ratios. */
export interface DeltaPartial {
  /** The relative threshold the `small` counts used (partials with different ones do not add). */
  threshold: number;
  numel: number;
  /** Σ θ₀ᵢ². */
  baseSq: number;
  /** Σ θ₁ᵢ². */
  tunedSq: number;
  /** Σ Δᵢ². */
  deltaSq: number;
  /** Σ θ₀ᵢ θ₁ᵢ. */
  dot: number;
  /** Entries with θ₁ᵢ = θ₀ᵢ exactly. */
  unchanged: number;
  /** Entries with |Δᵢ| ≤ threshold · RMS(θ₀) of their own tensor (≤ threshold when RMS = 0). */
  small: number;
  /** max |Δᵢ|; NaN once any Δᵢ is NaN. */
  maxAbs: number;
  /** Entries where θ₀ᵢ or θ₁ᵢ is NaN or ±Infinity. */
  nonFinite: number;
}

export interface DeltaStats {
  numel: number;
  /** ‖θ₀‖_F */
  baseNorm: number;
  /** ‖θ₁‖_F */
  tunedNorm: number;
  /** ‖Δ‖_F */
  deltaNorm: number;
  /** ‖Δ‖_F / ‖θ₀‖_F; null when ‖θ₀‖ = 0 (no scale to compare with). */
  relative: number | null;
  /** cos(θ₀, θ₁) = ⟨θ₀, θ₁⟩ / (‖θ₀‖ ‖θ₁‖); null when either norm is 0. */
  cosine: number | null;
  /** Share of entries exactly equal; null when numel = 0, NaN when nonFinite > 0. */
  unchanged: number | null;
  /** Share of entries with |Δᵢ| ≤ threshold · RMS(θ₀); null when numel = 0, NaN when nonFinite > 0. */
  sparsity: number | null;
  /** max |Δᵢ| (0 for an empty tensor). */
  maxAbs: number;
  /** Entries where either input is not finite (the numbers above are then NaN or ∞). */
  nonFinite: number;
  /** The relative threshold behind `sparsity`. */
  threshold: number;
}

/** The neutral element of `addPartials`: start a group's aggregate here. */
export function emptyPartial(threshold = DEFAULT_SPARSITY_THRESHOLD): DeltaPartial {
  return { threshold, numel: 0, baseSq: 0, tunedSq: 0, deltaSq: 0, dot: 0, unchanged: 0, small: 0, maxAbs: 0, nonFinite: 0 };
}

/** The sums of one tensor pair (same length, same layout). Inputs are not modified. */
export function deltaPartial(base: Float32Array, tuned: Float32Array, opts: DeltaOptions = {}): DeltaPartial {
  const threshold = opts.threshold ?? DEFAULT_SPARSITY_THRESHOLD;
  if (base.length !== tuned.length) throw new RangeError(`base and tuned differ in length: ${base.length} vs ${tuned.length}`);
  if (!(threshold >= 0)) throw new RangeError(`threshold must be ≥ 0, got ${threshold}`);
  const n = base.length;
  // 1. One pass for the sums (and so RMS(θ₀), which the `small` test needs). NOTE: the
  //    squares of finite float32 values cannot overflow a float64 sum, so the sums are finite
  //    exactly when every entry is; only then is the per-entry finiteness check skipped (speed).
  let baseSq = 0;
  let tunedSq = 0;
  let deltaSq = 0;
  let dot = 0;
  let unchanged = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const b = base[i];
    const t = tuned[i];
    const d = t - b;
    baseSq += b * b;
    tunedSq += t * t;
    deltaSq += d * d;
    dot += b * t;
    unchanged += +(t === b); // +(…) rather than ?: keeps V8 from branching on random data (6× faster)
    maxAbs = Math.max(maxAbs, Math.abs(d)); // NaN propagates: a NaN change makes the largest change NaN
  }
  let nonFinite = 0;
  if (!Number.isFinite(baseSq) || !Number.isFinite(tunedSq)) {
    for (let i = 0; i < n; i++) if (!Number.isFinite(base[i]) || !Number.isFinite(tuned[i])) nonFinite++;
  }
  // 2. A second pass counts the negligible changes against this tensor's own scale.
  const rms = n > 0 ? Math.sqrt(baseSq / n) : 0;
  const cut = rms > 0 ? threshold * rms : threshold;
  let small = 0;
  for (let i = 0; i < n; i++) {
    small += +(Math.abs(tuned[i] - base[i]) <= cut);
  }
  return { threshold, numel: n, baseSq, tunedSq, deltaSq, dot, unchanged, small, maxAbs, nonFinite };
}

/** The sums of two groups together (a fresh record; the inputs are not modified). */
export function addPartials(a: DeltaPartial, b: DeltaPartial): DeltaPartial {
  if (a.threshold !== b.threshold) throw new RangeError(`cannot add partials with thresholds ${a.threshold} and ${b.threshold}`);
  return {
    threshold: a.threshold,
    numel: a.numel + b.numel,
    baseSq: a.baseSq + b.baseSq,
    tunedSq: a.tunedSq + b.tunedSq,
    deltaSq: a.deltaSq + b.deltaSq,
    dot: a.dot + b.dot,
    unchanged: a.unchanged + b.unchanged,
    small: a.small + b.small,
    // Math.max returns NaN when either is NaN, which is what we want.
    maxAbs: Math.max(a.maxAbs, b.maxAbs),
    nonFinite: a.nonFinite + b.nonFinite,
  };
}

/** The ratios of a tensor's or a group's sums. */
export function statsOf(p: DeltaPartial): DeltaStats {
  const baseNorm = Math.sqrt(p.baseSq);
  const tunedNorm = Math.sqrt(p.tunedSq);
  // NaN === 0 is false, so NaN norms give NaN ratios rather than null: a NaN must show.
  const relative = baseNorm === 0 ? null : Math.sqrt(p.deltaSq) / baseNorm;
  // Divide by each norm separately: baseSq · tunedSq can overflow where the norms do not.
  // Rounding can put |cos| a hair above 1; clamp (Math.min/max keep NaN).
  const cosine = baseNorm === 0 || tunedNorm === 0 ? null : Math.min(1, Math.max(-1, p.dot / baseNorm / tunedNorm));
  return {
    numel: p.numel,
    baseNorm,
    tunedNorm,
    deltaNorm: Math.sqrt(p.deltaSq),
    relative,
    cosine,
    unchanged: p.numel === 0 ? null : shareOrNaN(p.unchanged, p),
    sparsity: p.numel === 0 ? null : shareOrNaN(p.small, p),
    maxAbs: p.maxAbs,
    nonFinite: p.nonFinite,
    threshold: p.threshold,
  };
}

/**
 * A count's share of the entries, or NaN when some entry was not finite: NaN equals
 * nothing and ∞ − ∞ is NaN, so those counts would quietly read as a real share.
 */
function shareOrNaN(count: number, p: DeltaPartial): number {
  return p.nonFinite > 0 ? NaN : count / p.numel;
}

/** `statsOf(deltaPartial(base, tuned, opts))`: the measurements of one tensor pair. */
export function deltaStats(base: Float32Array, tuned: Float32Array, opts: DeltaOptions = {}): DeltaStats {
  return statsOf(deltaPartial(base, tuned, opts));
}
