/**
 * Exact McNemar p-values against textbook examples (Fagerland, Lydersen & Laake 2013:
 * b = 1, c = 7 gives 0.070) and scipy.stats.binomtest for larger counts, where a direct
 * C(n, k) would overflow.
 */
import { describe, expect, it } from "vitest";
import { discordantPairs, logBinomialHalfCdf, mcnemarExact } from "../../src/stats/index.js";

describe("mcnemarExact", () => {
  it("matches exact binomial p-values for small counts", () => {
    expect(mcnemarExact(1, 7).p).toBeCloseTo(0.0703125, 12); // 2 · 9/256
    expect(mcnemarExact(7, 1).p).toBeCloseTo(0.0703125, 12); // symmetric
    expect(mcnemarExact(0, 5).p).toBeCloseTo(0.0625, 12); // 2 · 1/32
    expect(mcnemarExact(12, 2).p).toBeCloseTo(0.012939453125, 12);
    expect(mcnemarExact(10, 25).p).toBeCloseTo(0.016673847800120715, 12);
    expect(mcnemarExact(3, 3).p).toBe(1);
    expect(mcnemarExact(0, 0)).toEqual({ b: 0, c: 0, p: 1, method: "mcnemar-exact" });
  });

  it("stays exact and finite for large counts (log-space binomial)", () => {
    expect(mcnemarExact(1000, 1100).p).toBeCloseTo(0.03072070786424249, 10);
    expect(mcnemarExact(5000, 5200).p).toBeCloseTo(0.04878796312682234, 9);
    expect(mcnemarExact(50_000, 50_000).p).toBe(1);
    const tiny = mcnemarExact(0, 1000).p; // 2 · 2^-1000
    expect(tiny).toBeGreaterThan(0);
    expect(Math.log(tiny)).toBeCloseTo(Math.LN2 - 1000 * Math.LN2, 8);
    expect(logBinomialHalfCdf(2000, 2000)).toBe(0);
    expect(logBinomialHalfCdf(-1, 5)).toBe(-Infinity);
  });

  it("counts discordant pairs and refuses bad input", () => {
    expect(discordantPairs([true, true, false, false, true], [true, false, true, true, false])).toEqual({ b: 2, c: 2 });
    expect(() => discordantPairs([true], [])).toThrow(/equal lengths/);
    expect(() => mcnemarExact(-1, 2)).toThrow(/b must be/);
    expect(() => mcnemarExact(1, 0.5)).toThrow(/c must be/);
  });
});
