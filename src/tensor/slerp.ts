/**
 * Spherical linear interpolation (Shoemake 1985, "Animating rotation with quaternion curves",
 * SIGGRAPH '85) of two flat weight vectors, as mergekit applies it to a whole tensor:
 *
 *   1. â, b̂ = a/‖a‖, b/‖b‖ (a norm ≤ 1e-8 is left undivided)
 *   2. d = â·b̂; when |d| > 0.9995 the arc is too flat for sin Ω to be trusted: θ = (1 − t)·a + t·b
 *   3. otherwise Ω = arccos d and θ = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b
 *
 * The sin weights multiply the original vectors, not the normalised ones, so the norm moves
 * smoothly between ‖a‖ and ‖b‖. Dot products and norms are accumulated in float64; a NaN
 * anywhere makes d NaN and the whole output NaN (nothing is hidden). Pure array math, here so
 * that src/weights (the `slerp` and `cpi` merges) and src/train (the cpi-ft recipe) share it.
 */

/** Above this |cos Ω| slerp falls back to linear interpolation (mergekit's threshold). */
export const SLERP_DOT_THRESHOLD = 0.9995;
/** Norms at or below this are not divided by (mergekit's eps). */
const NORM_EPS = 1e-8;

/**
 * out = slerp(t; a, b), every entry. `include` (1 = counted) restricts the entries that define the
 * angle; null counts all. Used whole by the `slerp` merge and on the non-core entries by CPI-FT.
 */
export function slerpInto(
  out: Float32Array | Float64Array,
  t: number,
  a: Float32Array | Float64Array,
  b: Float32Array | Float64Array,
  include: Uint8Array | null = null,
): void {
  const n = a.length;
  if (b.length !== n || out.length !== n) throw new Error(`slerpInto: lengths ${a.length}, ${b.length}, ${out.length} differ`);
  let aa = 0, bb = 0, ab = 0;
  for (let j = 0; j < n; j++) {
    if (include !== null && include[j] === 0) continue;
    aa += a[j] * a[j];
    bb += b[j] * b[j];
    ab += a[j] * b[j];
  }
  const na = Math.sqrt(aa), nb = Math.sqrt(bb);
  const dot = ab / ((na > NORM_EPS ? na : 1) * (nb > NORM_EPS ? nb : 1));
  let s0: number, s1: number;
  if (Math.abs(dot) > SLERP_DOT_THRESHOLD) {
    s0 = 1 - t;
    s1 = t;
  } else {
    const omega = Math.acos(dot);
    const sinOmega = Math.sin(omega);
    s0 = Math.sin(omega - omega * t) / sinOmega;
    s1 = Math.sin(omega * t) / sinOmega;
  }
  for (let j = 0; j < n; j++) out[j] = s0 * a[j] + s1 * b[j];
}

/**
 * The iterated spherical running mean of `models` with positive `weights`, angles measured on the
 * entries where `include` is 1 (null: all): m_1 = θ_1, m_k = slerp(m_{k−1}, θ_k; w_k / (w_1 + … + w_k)),
 * in the given order. SLERP is defined for two endpoints; with equal weights and flat arcs this is
 * the arithmetic mean, with two models and equal weights the SLERP midpoint. It depends on the
 * order on a curved arc, hence the fixed order.
 */
export function sphericalRunningMean(models: readonly (Float32Array | Float64Array)[], weights: readonly number[], include: Uint8Array | null): Float64Array {
  const acc = Float64Array.from(models[0]);
  let total = weights[0];
  for (let k = 1; k < models.length; k++) {
    total += weights[k];
    slerpInto(acc, weights[k] / total, acc, models[k], include); // in place: each entry is read before it is written
  }
  return acc;
}
