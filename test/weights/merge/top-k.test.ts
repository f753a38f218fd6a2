/** The top-|x| masks behind TIES trimming and CPI core regions (src/weights/merge/top-k.ts). */
import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/random/index.js";
import { countForFraction, topFractionMask, topKMask } from "../../../src/weights/merge/index.js";

/** The k largest |x| by a full stable sort (a different algorithm from the quickselect under test). */
function sortReference(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b);
  const mask = new Array<number>(values.length).fill(0);
  for (const i of idx.slice(0, Math.max(0, k))) mask[i] = 1;
  return mask;
}

describe("topKMask", () => {
  it("keeps the largest magnitudes, ties to the lower index", () => {
    const v = Float32Array.from([3, -5, 1, 5, 0]); // |v| = 3 5 1 5 0
    expect([...topKMask(v, 2)]).toEqual([0, 1, 0, 1, 0]);
    expect([...topKMask(v, 1)]).toEqual([0, 1, 0, 0, 0]); // 5 at index 1 and 3: index 1 wins
    expect([...topKMask(v, 3)]).toEqual([1, 1, 0, 1, 0]);
    expect([...topKMask(v, 0)]).toEqual([0, 0, 0, 0, 0]);
    expect([...topKMask(v, 9)]).toEqual([1, 1, 1, 1, 1]);
  });

  it("picks exactly k from a run of equal values, lowest indices first", () => {
    const ones = new Float32Array(12).fill(-1);
    expect([...topKMask(ones, 5)]).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    const sparse = new Float32Array(100_000); // mostly exact zeros, as in a sparse task vector
    sparse[70_000] = 2;
    sparse[10] = -3;
    sparse[99_999] = 1;
    const m = topKMask(sparse, 4);
    expect(m.reduce((a, b) => a + b, 0)).toBe(4);
    expect([m[10], m[70_000], m[99_999], m[0]]).toEqual([1, 1, 1, 1]); // the 4th is the first zero
  });

  it("agrees with a full sort on random, sorted and repetitive inputs", () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + rng.int(200);
      const kind = trial % 3;
      const v = Float32Array.from({ length: n }, (_, i) => (kind === 0 ? rng.normal() : kind === 1 ? i - n / 2 : rng.int(4) - 2));
      const k = rng.int(n + 2);
      expect([...topKMask(v, k)], `trial ${trial} n=${n} k=${k}`).toEqual(sortReference(v, k));
    }
  });

  it("keeps float64 precision for Float64Array input and ranks NaN first", () => {
    expect([...topKMask(Float64Array.from([1, 1 + 1e-12]), 1)]).toEqual([0, 1]);
    expect([...topKMask(Float32Array.from([1, NaN, 2]), 1)]).toEqual([0, 1, 0]);
  });

  it("does not modify its input", () => {
    const v = Float32Array.from([4, -1, 3, 2]);
    topKMask(v, 2);
    expect([...v]).toEqual([4, -1, 3, 2]);
  });
});

describe("countForFraction and topFractionMask", () => {
  it("counts ceil or floor, snapping products that are integers up to rounding", () => {
    expect(countForFraction(0.07, 100, "ceil")).toBe(7); // 0.07·100 = 7.000000000000001 in binary
    expect(countForFraction(0.29, 100, "floor")).toBe(29); // 0.29·100 = 28.999999999999996
    expect(countForFraction(0.01, 17, "ceil")).toBe(1);
    expect(countForFraction(0.5, 17, "floor")).toBe(8);
    expect(countForFraction(0.5, 17, "ceil")).toBe(9);
    expect(countForFraction(0, 17, "ceil")).toBe(0);
    expect(countForFraction(1, 17, "floor")).toBe(17);
  });

  it("keeps ceil(fraction·n) entries", () => {
    const v = Float32Array.from([0.1, -0.9, 0.5, 0.3, -0.7, 0.2, 0.05]); // |v| order: 1, 4, 2, 3, 5, 0, 6
    expect([...topFractionMask(v, 0.3)]).toEqual([0, 1, 1, 0, 1, 0, 0]); // ceil(2.1) = 3
    expect([...topFractionMask(v, 0.01)]).toEqual([0, 1, 0, 0, 0, 0, 0]); // ceil(0.07) = 1
  });

  it("rejects a fraction outside [0, 1]", () => {
    expect(() => topFractionMask(new Float32Array(3), 1.5)).toThrow(/\[0, 1\]/);
    expect(() => topFractionMask(new Float32Array(3), NaN)).toThrow(/\[0, 1\]/);
  });
});
