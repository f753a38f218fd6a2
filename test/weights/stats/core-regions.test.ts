/**
 * Core regions (CPI-FT, arXiv 2508.21741): the top ceil(p·n) entries of |τ| with ties to
 * the lower index, against hand-worked examples and a full-sort reference; overlap counts
 * and the Jaccard index.
 */
import { describe, expect, it } from "vitest";
import { addOverlaps, coreMask, jaccard, overlapCounts } from "../../../src/weights/core-regions.js";
import { createRng } from "../../../src/random/index.js";

const f32 = (xs: number[]) => Float32Array.from(xs);
const ones = (mask: Uint8Array) => [...mask.keys()].filter((i) => mask[i] === 1);

/** The reference rule by full sort: |τ| descending, then index ascending; first k. */
function sortedMask(tau: Float32Array, k: number): number[] {
  const idx = [...tau.keys()].sort((a, b) => Math.abs(tau[b]) - Math.abs(tau[a]) || a - b);
  return idx.slice(0, k).sort((a, b) => a - b);
}

describe("coreMask", () => {
  //            index: 0    1   2  3   4  5    6   7
  const tau = f32([0.1, -5, 3, 0, -3, 2, 0.5, 3]);
  // |τ| = [0.1, 5, 3, 0, 3, 2, 0.5, 3]; 5 first, then the three 3s at indices 2, 4, 7.

  it("keeps exactly ceil(p·n) largest magnitudes, ties to the lower index", () => {
    expect(ones(coreMask(tau, 0.25))).toEqual([1, 2]); // k = 2: 5, then the first 3
    expect(ones(coreMask(tau, 0.3))).toEqual([1, 2, 4]); // k = ceil(2.4) = 3
    expect(ones(coreMask(tau, 0.5))).toEqual([1, 2, 4, 7]); // k = 4: all three 3s
    expect(ones(coreMask(tau, 0.6))).toEqual([1, 2, 4, 5, 7]); // k = ceil(4.8) = 5: then 2
    expect(ones(coreMask(tau, 0.01))).toEqual([1]); // k = ceil(0.08) = 1
    expect(ones(coreMask(tau, 0))).toEqual([]);
    expect(ones(coreMask(tau, 1))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(coreMask(f32([]), 0.5).length).toBe(0);
  });

  it("does not round 0.07 · 100 = 7.000000000000001 up to 8", () => {
    const t = Float32Array.from({ length: 100 }, (_, i) => i);
    expect(0.07 * 100).toBeGreaterThan(7);
    expect(ones(coreMask(t, 0.07))).toEqual([93, 94, 95, 96, 97, 98, 99]);
  });

  it("agrees with a full sort on large vectors with many ties, and leaves τ alone", () => {
    const rng = createRng(5);
    for (const n of [1, 2, 17, 1000, 10007]) {
      // Magnitudes from a small set of levels (many ties), a third exact zeros, random signs.
      const tau = Float32Array.from({ length: n }, () => (rng.next() < 0.33 ? 0 : (rng.int(20) - 10) / 4));
      const copy = tau.slice();
      for (const p of [0.01, 0.1, 0.5]) {
        const k = Math.ceil(p * n);
        const mask = coreMask(tau, p);
        expect(mask.reduce((s, x) => s + x, 0), `n=${n} p=${p}`).toBe(k);
        expect(ones(mask), `n=${n} p=${p}`).toEqual(sortedMask(tau, k));
      }
      expect([...tau]).toEqual([...copy]);
    }
  });

  it("ranks NaN above every number, so it is always in the core", () => {
    expect(ones(coreMask(f32([1, NaN, 100, -50]), 0.25))).toEqual([1]);
    expect(ones(coreMask(f32([1, NaN, 100, -50]), 0.5))).toEqual([1, 2]);
  });

  it("refuses a fraction outside [0, 1]", () => {
    expect(() => coreMask(tau, 1.5)).toThrow(/fraction/);
    expect(() => coreMask(tau, -0.1)).toThrow(/fraction/);
    expect(() => coreMask(tau, NaN)).toThrow(/fraction/);
  });
});

describe("overlapCounts and jaccard", () => {
  it("count a hand example: A = {0, 1, 4}, B = {1, 2, 4} → |A∩B| = 2, |A∪B| = 4, J = 0.5", () => {
    const a = Uint8Array.from([1, 1, 0, 0, 1]);
    const b = Uint8Array.from([0, 1, 1, 0, 1]);
    const c = overlapCounts(a, b);
    expect(c).toEqual({ intersection: 2, union: 4 });
    expect(jaccard(c)).toBe(0.5);
  });

  it("give 1 for identical masks, 0 for disjoint, null when both are empty", () => {
    const tau = Float32Array.from({ length: 500 }, (_, i) => Math.sin(i));
    const m = coreMask(tau, 0.05);
    expect(jaccard(overlapCounts(m, m.slice()))).toBe(1);
    const complement = m.map((x) => 1 - x);
    expect(jaccard(overlapCounts(m, complement))).toBe(0);
    expect(jaccard(overlapCounts(new Uint8Array(4), new Uint8Array(4)))).toBeNull();
  });

  it("sum over tensors before dividing, and refuse masks of different lengths", () => {
    // Tensor 1: J = 1/1; tensor 2: J = 0/3. Pooled: (1 + 0) / (1 + 3) = 0.25, not the mean 0.5.
    const t1 = overlapCounts(Uint8Array.from([1, 0]), Uint8Array.from([1, 0]));
    const t2 = overlapCounts(Uint8Array.from([1, 1, 0]), Uint8Array.from([0, 0, 1]));
    expect(jaccard(addOverlaps(t1, t2))).toBe(0.25);
    expect(() => overlapCounts(new Uint8Array(2), new Uint8Array(3))).toThrow(/length/);
  });
});
