/**
 * The paired bootstrap: covers the true difference on synthetic paired data, is
 * deterministic for a seed and moves with another, keeps the pairing (a constant
 * per-item shift gives a zero-width interval however noisy the items), and records its
 * seed and resample count.
 */
import { describe, expect, it } from "vitest";
import { pairedBinary, pairedBootstrap, quantileSorted } from "../../src/stats/index.js";
import { mulberry32 } from "../helpers/rng.js";

/** n items with base ~ U(0, 1) and tuned = base + delta + small noise. */
function synthetic(n: number, delta: number, seed: number): { base: number[]; tuned: number[] } {
  const r = mulberry32(seed);
  const base = Array.from({ length: n }, () => r());
  return { base, tuned: base.map((b) => b + delta + 0.2 * (r() - 0.5)) };
}

describe("pairedBootstrap", () => {
  it("covers the true difference in about 95% of synthetic experiments", () => {
    let covered = 0;
    const runs = 100;
    for (let s = 0; s < runs; s++) {
      const { base, tuned } = synthetic(60, 0.1, 1000 + s);
      const r = pairedBootstrap(base, tuned, { seed: s, iterations: 1000 });
      if (r.lo <= 0.1 && 0.1 <= r.hi) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(88);
  });

  it("is deterministic for a seed, differs for another, and records both", () => {
    const { base, tuned } = synthetic(200, 0.05, 3);
    const a = pairedBootstrap(base, tuned, { seed: 7 });
    const b = pairedBootstrap(base, tuned, { seed: 7 });
    const c = pairedBootstrap(base, tuned, { seed: 8 });
    expect(a).toEqual(b);
    expect([c.lo, c.hi]).not.toEqual([a.lo, a.hi]);
    expect(a).toMatchObject({ n: 200, seed: 7, iterations: 10_000, confidence: 0.95, method: "paired-bootstrap-percentile" });
    expect(a.lo).toBeLessThan(a.meanDifference);
    expect(a.hi).toBeGreaterThan(a.meanDifference);
  });

  it("keeps the pairing: a constant shift of noisy items has a zero-width interval", () => {
    const r = mulberry32(1);
    const base = Array.from({ length: 50 }, () => 100 * r());
    const res = pairedBootstrap(base, base.map((x) => x + 2), { seed: 1, iterations: 500 });
    expect(res.lo).toBeCloseTo(2, 9);
    expect(res.hi).toBeCloseTo(2, 9);
  });

  it("says nothing about no items and refuses unpaired or non-finite input", () => {
    const empty = pairedBootstrap([], [], { seed: 1 });
    expect(empty.meanDifference).toBeNaN();
    expect(empty.lo).toBeNaN();
    expect(() => pairedBootstrap([1], [1, 2], { seed: 1 })).toThrow(/equal lengths/);
    expect(() => pairedBootstrap([1], [NaN], { seed: 1 })).toThrow(/item 0/);
    expect(() => pairedBootstrap([1], [1], { seed: 1, iterations: 0 })).toThrow(/iterations/);
  });

  it("interpolates quantiles as R's type 7", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileSorted([10, 20, 30, 40, 50], 0.025)).toBeCloseTo(11, 12);
  });
});

describe("pairedBinary", () => {
  it("puts Wilson, the paired bootstrap and McNemar together on the same items", () => {
    const base = [true, true, false, false, true, false, false, false];
    const tuned = [true, false, true, true, true, true, true, false];
    const r = pairedBinary(base, tuned, { seed: 4, iterations: 2000 });
    expect(r.n).toBe(8);
    expect(r.base).toMatchObject({ k: 3, n: 8 });
    expect(r.tuned).toMatchObject({ k: 6, n: 8 });
    expect(r.difference.meanDifference).toBeCloseTo(3 / 8, 12);
    expect(r.mcnemar).toMatchObject({ b: 1, c: 4 });
    expect(r.mcnemar.p).toBeCloseTo(0.375, 12); // 2 · (1 + 5)/32
  });

  it("finds nothing in a self-vs-self comparison", () => {
    const x = [true, false, true, true, false];
    const r = pairedBinary(x, x, { seed: 1, iterations: 500 });
    expect([r.difference.lo, r.difference.hi]).toEqual([0, 0]);
    expect(r.mcnemar.p).toBe(1);
  });
});
