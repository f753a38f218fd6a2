/**
 * `slerp`: spherical linear interpolation (Shoemake 1985, "Animating rotation with quaternion
 * curves", SIGGRAPH '85) between base_model (t = 0) and one other model (t = 1), applied as
 * mergekit applies it: to each whole tensor, flattened.
 *
 *   1. a = θ_base, b = θ_other; â, b̂ = a/‖a‖, b/‖b‖ (a norm ≤ 1e-8 is left undivided)
 *   2. d = â·b̂; when |d| > 0.9995 the arc is too flat for sin Ω to be trusted: θ = (1 − t)·a + t·b
 *   3. otherwise Ω = arccos d and θ = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b
 *
 * The sin weights multiply the original vectors, not the normalised ones, so the norm moves
 * smoothly between ‖a‖ and ‖b‖. Dot products and norms are accumulated in float64; a NaN
 * anywhere makes d NaN and the whole tensor NaN (nothing is hidden).
 */
import { z } from "zod";
import { checkWithBase } from "./input.js";
import type { MergeMethod, MergeTensorInput } from "./method.js";

/** Above this |cos Ω| slerp falls back to linear interpolation (mergekit's threshold). */
export const SLERP_DOT_THRESHOLD = 0.9995;
/** Norms at or below this are not divided by (mergekit's eps). */
const NORM_EPS = 1e-8;

/**
 * out = slerp(t; a, b), every entry. `include` (1 = counted) restricts the entries that define the
 * angle; null counts all. Used whole by `slerp` and on the non-core entries by `cpi` (./cpi.ts).
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

const modelParams = z.strictObject({});

const params = z.strictObject({
  // required, as in mergekit: there is no neutral point between two models to default to
  t: z.number().min(0).max(1),
});

export const slerp = {
  name: "slerp",
  description: "Spherical interpolation from base_model (t = 0) to the other model (t = 1), per tensor.",
  reference: "Shoemake 1985, Animating rotation with quaternion curves (SIGGRAPH '85), as applied by mergekit",
  base: "required",
  minModels: 1,
  maxModels: 1,
  modelParams,
  params,
  merge(input: MergeTensorInput): Float32Array {
    const { n, base } = checkWithBase(slerp, input);
    const { t } = params.parse(input.params);
    const out = new Float32Array(n);
    slerpInto(out, t, base, input.models[0]);
    return out;
  },
} satisfies MergeMethod;
