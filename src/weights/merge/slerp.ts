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
 * anywhere makes d NaN and the whole tensor NaN (nothing is hidden). The math is `slerpInto` in
 * src/tensor/slerp.ts, which the cpi merge and the cpi-ft recipe share.
 */
import { z } from "zod";
import { slerpInto } from "../../tensor/index.js";
import { checkWithBase } from "./input.js";
import type { MergeMethod, MergeTensorInput } from "./method.js";

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
