/**
 * The spectrum of a weight update: its top singular values by randomized subspace
 * iteration (Halko, Martinsson & Tropp 2011, "Finding structure with randomness",
 * arXiv 0909.4061, Algorithm 4.4), and two summaries of how many directions it uses —
 * the stable rank ‖Δ‖_F² / σ₁² (Rudelson & Vershynin 2007, "Sampling from large matrices",
 * J. ACM 54(4)) and the effective rank exp H(σ/‖σ‖₁) (Roy & Vetterli 2007, "The effective
 * rank: a measure of effective dimensionality", EUSIPCO).
 *
 * Shape letters: m rows, n cols (the tensor, row-major float32), l = k + oversample
 * sketch columns. Sketches are stored transposed, l rows of length m or n, so every
 * inner loop runs over contiguous memory.
 */
import type { Rng } from "../random/index.js";

/** HMT §4.2: "p = 5 or p = 10" oversampling is usually enough; take the safer 10. */
export const DEFAULT_OVERSAMPLE = 10;
/** HMT §4.5: q = 1 or 2 for slowly decaying spectra, as fine-tune updates often have. */
export const DEFAULT_POWER_ITERATIONS = 2;

export interface SpectrumOptions {
  /** How many singular values (the top k = min(rank, rows, cols) come back). */
  rank: number;
  oversample?: number;
  powerIterations?: number;
  /** Draws the Gaussian test matrix Ω; the same seed gives the same values. */
  rng: Rng;
}

/**
 * The top min(rank, rows, cols) singular values of a row-major matrix, descending, in
 * float64. When rank + oversample ≥ min(rows, cols) the sketch could only rotate the
 * matrix, so it is skipped and the values are exact (one-sided Jacobi on the matrix).
 * A matrix with a NaN or ±∞ entry gives NaN values. The input is not modified.
 */
export function singularValues(matrix: Float32Array, rows: number, cols: number, opts: SpectrumOptions): Float64Array {
  const p = opts.oversample ?? DEFAULT_OVERSAMPLE;
  const q = opts.powerIterations ?? DEFAULT_POWER_ITERATIONS;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || rows * cols !== matrix.length) {
    throw new RangeError(`matrix of length ${matrix.length} is not ${rows} × ${cols}`);
  }
  if (!Number.isInteger(opts.rank) || opts.rank < 1) throw new RangeError(`rank must be an integer ≥ 1, got ${opts.rank}`);
  if (!Number.isInteger(p) || p < 0) throw new RangeError(`oversample must be an integer ≥ 0, got ${p}`);
  if (!Number.isInteger(q) || q < 0) throw new RangeError(`powerIterations must be an integer ≥ 0, got ${q}`);
  const m = rows;
  const n = cols;
  const minDim = Math.min(m, n);
  const k = Math.min(opts.rank, minDim);
  for (let i = 0; i < matrix.length; i++) if (!Number.isFinite(matrix[i])) return new Float64Array(k).fill(NaN);
  if (k === 0) return new Float64Array(0);
  if (opts.rank + p >= minDim) return topDescending(jacobiRowNorms(shortSideRows(matrix, m, n), minDim, Math.max(m, n)), k);

  const l = k + p;
  // 1. Y = A Ω with Ω (n × l) standard normal, stored as Ωᵀ (l × n); Q = orth(Y).
  const omega = new Float64Array(l * n);
  for (let i = 0; i < omega.length; i++) omega[i] = opts.rng.normal();
  const qt = new Float64Array(l * m); // Qᵀ (l, m)
  multiplyRows(matrix, m, n, omega, l, qt);
  orthonormalizeRows(qt, l, m);
  // 2. q rounds of Ỹ = Aᵀ Q, Q̃ = orth(Ỹ); Y = A Q̃, Q = orth(Y). Re-orthonormalising at
  //    every half-step (HMT Algorithm 4.4) keeps the small directions from being lost
  //    to rounding as (A Aᵀ)^q A Ω tilts towards the top singular vector.
  const zt = new Float64Array(l * n); // (Aᵀ Q)ᵀ = Qᵀ A (l, n)
  for (let round = 0; round < q; round++) {
    multiplyTransposed(matrix, m, n, qt, l, zt);
    orthonormalizeRows(zt, l, n);
    multiplyRows(matrix, m, n, zt, l, qt);
    orthonormalizeRows(qt, l, m);
  }
  // 3. B = Qᵀ A (l × n) has the singular values of A restricted to range(Q).
  multiplyTransposed(matrix, m, n, qt, l, zt);
  return topDescending(jacobiRowNorms(zt, l, n), k);
}

/** The matrix in float64 as rows along its shorter side: A (m ≤ n) or Aᵀ (m > n). */
function shortSideRows(a: Float32Array, m: number, n: number): Float64Array {
  if (m <= n) return Float64Array.from(a);
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

function topDescending(values: Float64Array, k: number): Float64Array {
  values.sort();
  values.reverse();
  return values.slice(0, k);
}

/** Yᵀ = (A X)ᵀ: out[c, i] = ⟨A row i, xt row c⟩. a (m, n); xt (l, n); out (l, m). */
function multiplyRows(a: Float32Array, m: number, n: number, xt: Float64Array, l: number, out: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    let c = 0;
    // Four sketch rows per pass: each A entry is loaded once for four independent sums.
    for (; c + 3 < l; c += 4) {
      const x0 = c * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < n; t++) {
        const v = a[ai + t];
        s0 += v * xt[x0 + t];
        s1 += v * xt[x1 + t];
        s2 += v * xt[x2 + t];
        s3 += v * xt[x3 + t];
      }
      out[c * m + i] = s0;
      out[(c + 1) * m + i] = s1;
      out[(c + 2) * m + i] = s2;
      out[(c + 3) * m + i] = s3;
    }
    for (; c < l; c++) {
      const x0 = c * n;
      let s0 = 0;
      for (let t = 0; t < n; t++) s0 += a[ai + t] * xt[x0 + t];
      out[c * m + i] = s0;
    }
  }
}

/** (Aᵀ Y)ᵀ = Yᵀ A: out[c, :] = Σᵢ yt[c, i] · A row i. a (m, n); yt (l, m); out (l, n). */
function multiplyTransposed(a: Float32Array, m: number, n: number, yt: Float64Array, l: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    let c = 0;
    for (; c + 3 < l; c += 4) {
      const y0 = yt[c * m + i], y1 = yt[(c + 1) * m + i], y2 = yt[(c + 2) * m + i], y3 = yt[(c + 3) * m + i];
      const o0 = c * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      for (let t = 0; t < n; t++) {
        const v = a[ai + t];
        out[o0 + t] += y0 * v;
        out[o1 + t] += y1 * v;
        out[o2 + t] += y2 * v;
        out[o3 + t] += y3 * v;
      }
    }
    for (; c < l; c++) {
      const y0 = yt[c * m + i];
      const o0 = c * n;
      for (let t = 0; t < n; t++) out[o0 + t] += y0 * a[ai + t];
    }
  }
}

/**
 * A row whose length after projection falls below this share of its length before is
 * numerically inside the span of the earlier rows (A has lower rank than the sketch):
 * it is set to zero rather than normalised, since normalising rounding noise would
 * break orthonormality. A zero row of Qᵀ adds a zero row to B, which changes no
 * singular value.
 */
const DEPENDENT_ROW = 1e-12;

/** Modified Gram–Schmidt on the rows of v (r, len), twice ("twice is enough": Giraud et al. 2005). */
function orthonormalizeRows(v: Float64Array, r: number, len: number): void {
  for (let i = 0; i < r; i++) {
    const oi = i * len;
    const before = Math.sqrt(dotRows(v, oi, oi, len));
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const oj = j * len;
        const proj = dotRows(v, oi, oj, len);
        if (proj === 0) continue;
        for (let t = 0; t < len; t++) v[oi + t] -= proj * v[oj + t];
      }
    }
    const after = Math.sqrt(dotRows(v, oi, oi, len));
    const scale = after > DEPENDENT_ROW * before ? 1 / after : 0;
    for (let t = 0; t < len; t++) v[oi + t] *= scale;
  }
}

function dotRows(v: Float64Array, oi: number, oj: number, len: number): number {
  let s = 0;
  for (let t = 0; t < len; t++) s += v[oi + t] * v[oj + t];
  return s;
}

/** Rows count as orthogonal once |⟨wᵢ, wⱼ⟩| ≤ this · ‖wᵢ‖ ‖wⱼ‖ (a few float64 ulps). */
const JACOBI_TOL = 1e-15;
/** One-sided Jacobi converges quadratically, in well under 20 sweeps; 60 only stops a pathology. */
const JACOBI_MAX_SWEEPS = 60;

/**
 * Singular values of w (r, len), r ≤ len, by one-sided Jacobi (Hestenes 1958; Demmel &
 * Veselić 1992, "Jacobi's method is more accurate than QR", SIAM J. Matrix Anal. Appl.
 * 13(4)): plane rotations of pairs of rows until all rows are orthogonal; the row norms
 * are then the singular values. It works on w itself rather than on w wᵀ, whose
 * squaring would lose the small singular values to rounding. Overwrites w.
 */
function jacobiRowNorms(w: Float64Array, r: number, len: number): Float64Array {
  for (let sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let i = 0; i < r - 1; i++) {
      const oi = i * len;
      for (let j = i + 1; j < r; j++) {
        const oj = j * len;
        let alpha = 0, beta = 0, gamma = 0;
        for (let t = 0; t < len; t++) {
          const x = w[oi + t];
          const y = w[oj + t];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= JACOBI_TOL * Math.sqrt(alpha) * Math.sqrt(beta)) continue;
        rotated = true;
        // The rotation that zeroes ⟨wᵢ', wⱼ'⟩: tan θ is the smaller root of t² + 2ζt − 1 = 0.
        const zeta = (beta - alpha) / (2 * gamma);
        const tan = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.hypot(1, zeta));
        const cos = 1 / Math.sqrt(1 + tan * tan);
        const sin = cos * tan;
        for (let t = 0; t < len; t++) {
          const x = w[oi + t];
          const y = w[oj + t];
          w[oi + t] = cos * x - sin * y;
          w[oj + t] = sin * x + cos * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(r);
  for (let i = 0; i < r; i++) norms[i] = Math.sqrt(dotRows(w, i * len, i * len, len));
  return norms;
}

/** Stable rank ‖Δ‖_F² / σ₁² ∈ [1, rank]; null when σ₁ = 0 (the zero matrix has none). */
export function stableRank(frobeniusSq: number, sigma1: number): number | null {
  if (sigma1 === 0) return null;
  return frobeniusSq / (sigma1 * sigma1);
}

/** What the caller knows beyond the top-k values: the total energy and the full rank. */
export interface SpectrumTail {
  /** ‖Δ‖_F² = Σ over all singular values of σᵢ² (e.g. a DeltaPartial's deltaSq). */
  frobeniusSq: number;
  /** min(rows, cols): how many singular values there are in all. */
  minDim: number;
}

export interface EffectiveRank {
  /** The effective rank (exact), or the estimate with the tail spread evenly (= upper). */
  value: number;
  /** True when the given values are the whole spectrum (no tail given, none missing, or no energy left). */
  exact: boolean;
  /** exp H of the known values alone: the tail can only raise it. */
  lower: number;
  /** exp H with the residual energy spread evenly over the missing directions. */
  upper: number;
}

/**
 * Effective rank exp(−Σ pᵢ log pᵢ), pᵢ = σᵢ / Σⱼ σⱼ (Roy & Vetterli 2007, eq. 1–2).
 *
 * Without `tail` the values are taken as the whole spectrum. With `tail`, the known top k
 * values leave residual energy R = ‖Δ‖_F² − Σ σᵢ² in the r = minDim − k values not
 * computed, each at most σ_k. NOTE: the approximation, and why it is a bracket:
 *  - lower: the known values alone. Adding a value no larger than any present one never
 *    lowers the entropy (∂H/∂u = (1/S)(Σ pᵢ log σᵢ − log u) ≥ 0 when u ≤ every σᵢ), so
 *    adding the tail in decreasing order can only raise it.
 *  - upper = value: R spread evenly, r values of √(R/r) (≤ σ_k, as R ≤ r σ_k²). For a
 *    fixed tail mass the even tail has the most entropy, the even tail has the most mass
 *    that energy R allows (Cauchy–Schwarz), and more even tail mass raises H (same
 *    derivative). A noise-like, flat tail is close to it; a steep one is nearer `lower`.
 * Both assume the given values are the true top k (randomized SVD with power iterations
 * is close; it can only underestimate them). R comes from a float64 difference, so tail
 * energy below ~1e-16 ‖Δ‖_F² is invisible and `upper` can sit a rounding hair below the
 * truth. Null when every σ is 0 and no energy is left.
 */
export function effectiveRank(sigmas: ArrayLike<number>, tail?: SpectrumTail): EffectiveRank | null {
  let mass = 0, energy = 0;
  for (let i = 0; i < sigmas.length; i++) {
    const s = sigmas[i];
    if (s < 0) throw new RangeError(`singular values are ≥ 0, got σ[${i}] = ${s}`);
    mass += s;
    energy += s * s;
  }
  if (tail !== undefined && Number.isNaN(tail.frobeniusSq)) return { value: NaN, exact: false, lower: NaN, upper: NaN };
  const lower = mass === 0 ? null : Math.exp(entropy(sigmas, mass, 0, 0));
  const residual = tail === undefined ? 0 : Math.max(0, tail.frobeniusSq - energy);
  const missing = tail === undefined ? 0 : Math.max(0, tail.minDim - sigmas.length);
  // NOTE: no tolerance on the residual. Entropy is sensitive to many tiny values (the
  // tail's mass grows like √(r·R)), so even a residual of 1e-10 ‖Δ‖_F² can move the
  // effective rank in the fifth digit; a rounding-level residual just gives upper ≈ lower.
  if (missing === 0 || !(residual > 0)) {
    return lower === null ? null : { value: lower, exact: true, lower, upper: lower };
  }
  const u = Math.sqrt(residual / missing);
  const upper = Math.exp(entropy(sigmas, mass + missing * u, u, missing));
  // With no known mass the tail alone still spans at least one direction: erank ≥ 1.
  return { value: upper, exact: false, lower: lower ?? 1, upper };
}

/** −Σ pᵢ log pᵢ over the given values plus `count` copies of `extra`, pᵢ = value / total. */
function entropy(sigmas: ArrayLike<number>, total: number, extra: number, count: number): number {
  let h = 0;
  for (let i = 0; i < sigmas.length; i++) {
    const p = sigmas[i] / total;
    if (p > 0) h -= p * Math.log(p);
    else if (p !== p) return NaN;
  }
  if (count > 0 && extra > 0) {
    const p = extra / total;
    h -= count * p * Math.log(p);
  }
  return h;
}
