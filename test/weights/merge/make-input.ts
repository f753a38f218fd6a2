/** Builds a MergeTensorInput for the merge-method tests, and compares arrays with a readable failure. */
import { createRng } from "../../../src/random/index.js";
import type { MergeTensorInput } from "../../../src/weights/merge/index.js";

type Values = readonly number[] | Float32Array;

export function makeInput(o: {
  base?: Values | null;
  models: readonly Values[];
  modelParams?: readonly Record<string, number>[];
  params?: Record<string, number | boolean>;
  seed?: number;
}): MergeTensorInput {
  const models = o.models.map((m) => Float32Array.from(m));
  return {
    name: "test.weight",
    shape: [models[0].length],
    base: o.base ? Float32Array.from(o.base) : null,
    models,
    modelParams: o.modelParams ?? models.map(() => ({})),
    params: o.params ?? {},
    rng: createRng(o.seed ?? 1),
  };
}

/** Random float32 values, from a seeded rng. */
export function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/**
 * The largest |actual − expected| and the first index outside rtol·|expected| + atol (−1 if none).
 * NaN must meet NaN.
 */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): { maxDiff: number; firstBad: number } {
  if (actual.length !== expected.length) return { maxDiff: Infinity, firstBad: 0 };
  let maxDiff = 0;
  let firstBad = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    const bothNaN = Number.isNaN(a) && Number.isNaN(e);
    const d = bothNaN || a === e ? 0 : Math.abs(a - e);
    if (!(d <= maxDiff)) maxDiff = d;
    if (!bothNaN && !(d <= rtol * Math.abs(e) + atol) && firstBad < 0) firstBad = i;
  }
  return { maxDiff, firstBad };
}

/** Throws with the max difference and first bad index when `actual` is not close to `expected`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what = "values", rtol = 1e-6, atol = 1e-6): void {
  const { maxDiff, firstBad } = compare(actual, expected, rtol, atol);
  if (firstBad >= 0) {
    throw new Error(`${what}: max |diff| ${maxDiff}; first bad index ${firstBad}: got ${actual[firstBad]}, expected ${expected[firstBad]}`);
  }
}
