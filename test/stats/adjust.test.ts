/**
 * Holm and Benjamini–Hochberg adjustments against values worked by hand from the
 * definitions (the same numbers R's p.adjust gives):
 *
 *   p = (0.01, 0.04, 0.03), sorted 0.01, 0.03, 0.04, m = 3
 *     holm: 3·0.01 = 0.03; max(0.03, 2·0.03) = 0.06; max(0.06, 1·0.04) = 0.06
 *     BH:   3/3·0.04 = 0.04; min(0.04, 3/2·0.03 = 0.045) = 0.04; min(0.04, 3·0.01) = 0.03
 *   p = (0.01, 0.02, 0.03, 0.04, 0.05)
 *     holm: 0.05, 0.08, 0.09, max(0.09, 0.08), max(0.09, 0.05) → 0.05 0.08 0.09 0.09 0.09
 *     BH:   every m/j·p_(j) = 0.05 → all 0.05
 */
import { describe, expect, it } from "vitest";
import { benjaminiHochberg, holm, pAdjust } from "../../src/stats/index.js";
import { mulberry32 } from "../helpers/rng.js";

const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => (Number.isNaN(want[i]) ? expect(g).toBeNaN() : expect(g).toBeCloseTo(want[i], 14)));
};

describe("holm", () => {
  it("matches hand-worked values, in the input order", () => {
    close(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06]);
    close(holm([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05, 0.08, 0.09, 0.09, 0.09]);
    close(holm([0.05, 0.04, 0.03, 0.02, 0.01]), [0.09, 0.09, 0.09, 0.08, 0.05]);
  });

  it("caps at 1 and leaves a single p-value alone", () => {
    close(holm([0.5, 0.6]), [1, 1]);
    close(holm([0.2]), [0.2]);
    expect(holm([])).toEqual([]);
  });
});

describe("benjaminiHochberg", () => {
  it("matches hand-worked values, in the input order", () => {
    close(benjaminiHochberg([0.01, 0.04, 0.03]), [0.03, 0.04, 0.04]);
    close(benjaminiHochberg([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05, 0.05, 0.05, 0.05, 0.05]);
    // m = 4: 0.8; min(0.8, 4/3·0.6 = 0.8); min(0.8, 2·0.02) = 0.04; 4·0.001 = 0.004
    close(benjaminiHochberg([0.6, 0.001, 0.8, 0.02]), [0.8, 0.004, 0.8, 0.04]);
  });

  it("caps at 1", () => {
    close(benjaminiHochberg([0.9, 1, 0.95]), [1, 1, 1]);
    close(benjaminiHochberg([0.5, 0.6]), [0.6, 0.6]);
  });
});

describe("both adjustments", () => {
  it("pass NaN through and leave it out of the family size", () => {
    close(holm([NaN, 0.01, 0.04, NaN, 0.03]), [NaN, 0.03, 0.06, NaN, 0.06]);
    close(benjaminiHochberg([0.01, NaN, 0.04, 0.03]), [0.03, NaN, 0.04, 0.04]);
    close(holm([NaN, NaN]), [NaN, NaN]);
  });

  it("are monotone in the raw p, never below it, never above 1; Holm ≥ BH", () => {
    const r = mulberry32(1);
    const ps = Array.from({ length: 50 }, () => r() ** 3);
    for (const adjust of [holm, benjaminiHochberg]) {
      const adj = adjust(ps);
      for (let i = 0; i < ps.length; i++) {
        expect(adj[i]).toBeGreaterThanOrEqual(ps[i]);
        expect(adj[i]).toBeLessThanOrEqual(1);
        for (let j = 0; j < ps.length; j++) if (ps[i] < ps[j]) expect(adj[i]).toBeLessThanOrEqual(adj[j]);
      }
    }
    const h = holm(ps);
    benjaminiHochberg(ps).forEach((q, i) => expect(h[i]).toBeGreaterThanOrEqual(q));
  });

  it("are named in a registry and refuse values that are not p-values", () => {
    expect(Object.keys(pAdjust).sort()).toEqual(["benjamini-hochberg", "holm"]);
    expect(pAdjust.holm).toBe(holm);
    expect(() => holm([0.1, 1.2])).toThrow(/p-value 1/);
    expect(() => benjaminiHochberg([-0.1])).toThrow(/p-value 0/);
  });
});
