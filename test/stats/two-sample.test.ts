/** Unpaired bootstrap of a mean difference, and the rising-trend permutation test. */
import { describe, expect, it } from "vitest";
import { bootstrapMeanDifference, risingTrend } from "../../src/stats/index.js";
import { createRng } from "../../src/random/index.js";

describe("bootstrapMeanDifference", () => {
  it("centres on mean(b) − mean(a), is deterministic for a seed, and covers a known shift", () => {
    const rng = createRng(3);
    const a = Array.from({ length: 40 }, () => rng.normal());
    const b = Array.from({ length: 30 }, () => 0.8 + rng.normal());
    const r = bootstrapMeanDifference(a, b, { seed: 1 });
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(r.difference).toBeCloseTo(mean(b) - mean(a), 12);
    expect(r.lo).toBeLessThan(0.8);
    expect(r.hi).toBeGreaterThan(0.8);
    expect(r.lo).toBeGreaterThan(0); // a shift of 0.8 sd with these n is clear
    expect(bootstrapMeanDifference(a, b, { seed: 1 })).toEqual(r);
    expect(bootstrapMeanDifference(a, b, { seed: 2 }).lo).not.toBe(r.lo);
  });

  it("gives NaN for an empty sample and a zero-width interval for constants", () => {
    expect(bootstrapMeanDifference([], [1], { seed: 1 }).difference).toBeNaN();
    const c = bootstrapMeanDifference([1, 1, 1], [3, 3], { seed: 1 });
    expect([c.difference, c.lo, c.hi]).toEqual([2, 2, 2]);
  });
});

describe("risingTrend", () => {
  it("finds a rising series significant and a falling or flat one not", () => {
    const rng = createRng(5);
    const up = Array.from({ length: 40 }, (_, i) => 0.01 * i + 0.1 * rng.normal());
    const r = risingTrend(up, { seed: 1 });
    expect(r.slope).toBeGreaterThan(0);
    expect(r.change).toBeCloseTo(r.slope * 39, 12);
    expect(r.p).toBeLessThan(0.01);
    expect(risingTrend(up.map((y) => -y), { seed: 1 }).p).toBeGreaterThan(0.9);
    expect(risingTrend([2, 2, 2, 2], { seed: 1 }).p).toBe(1); // every ordering ties
  });

  it("is exact for a perfectly ordered series (p = 1 / (permutations + 1) up to ties by chance)", () => {
    const r = risingTrend([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { seed: 1, permutations: 2000 });
    expect(r.p).toBeLessThan(0.002);
    expect(risingTrend([5], { seed: 1 }).p).toBeNaN();
  });
});
