/**
 * Wilson score intervals against published numbers: Newcombe 1998 (Stat. Med. 17,
 * Table II, method 3) and the closed forms at k = 0 and k = n, plus the normal quantile
 * against R's qnorm / scipy's norm.ppf.
 */
import { describe, expect, it } from "vitest";
import { normalQuantile, proportion, twoSidedZ, wilson } from "../../src/stats/index.js";

describe("normalQuantile (AS 241)", () => {
  it("matches qnorm to 1e-13 across the range", () => {
    const cases: [number, number][] = [
      [0.975, 1.959963984540054], [0.995, 2.5758293035489004], [0.9, 1.2815515655446004],
      [0.5, 0], [1e-10, -6.361340902404056], [0.025, -1.959963984540054],
    ];
    for (const [p, z] of cases) expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-13);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(twoSidedZ(0.95)).toBeCloseTo(1.959963984540054, 14);
    expect(() => twoSidedZ(1)).toThrow(/confidence/);
  });
});

describe("wilson", () => {
  it("reproduces Newcombe 1998's Wilson intervals (81/263, 15/148, 0/20, 1/29)", () => {
    const table: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662], [15, 148, 0.0624, 0.1605], [0, 20, 0, 0.1611], [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, lo, hi] of table) {
      const w = wilson(k, n);
      expect(w.lo).toBeCloseTo(lo, 4);
      expect(w.hi).toBeCloseTo(hi, 4);
    }
  });

  it("gives 0/10, 5/10, 10/10 exactly (closed forms z²/(n + z²) at the edges)", () => {
    const z2 = 1.959963984540054 ** 2;
    const none = wilson(0, 10);
    expect(none).toMatchObject({ k: 0, n: 10, p: 0, lo: 0, confidence: 0.95 });
    expect(none.hi).toBeCloseTo(z2 / (10 + z2), 12); // 0.277533
    const half = wilson(5, 10);
    expect(half.lo).toBeCloseTo(0.236593, 6);
    expect(half.hi).toBeCloseTo(0.763407, 6);
    const all = wilson(10, 10);
    expect(all.hi).toBe(1);
    expect(all.lo).toBeCloseTo(10 / (10 + z2), 12); // 0.722467
  });

  it("says nothing about n = 0 (NaN, never 0) and refuses impossible counts", () => {
    const w = wilson(0, 0);
    expect(w.p).toBeNaN();
    expect(w.lo).toBeNaN();
    expect(w.hi).toBeNaN();
    expect(() => wilson(3, 2)).toThrow(/k must be/);
    expect(() => wilson(-1, 2)).toThrow(/k must be/);
    expect(() => wilson(1, 2.5)).toThrow(/n must be/);
  });

  it("widens with the confidence level and counts booleans", () => {
    expect(wilson(5, 10, 0.99).lo).toBeLessThan(wilson(5, 10).lo);
    expect(proportion([true, false, true, true])).toMatchObject({ k: 3, n: 4, p: 0.75 });
  });
});
