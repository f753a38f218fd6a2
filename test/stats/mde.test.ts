/**
 * Minimum detectable effects against hand-computed normal-approximation values
 * (z_0.975 = 1.959963984540054, z_0.8 = 0.8416212335729143, sum 2.8015852181129683;
 * z_0.995 = 2.5758293035489004, z_0.9 = 1.2815515655446004), and the McNemar MDE
 * checked against Connor 1987's full sample-size formula, which it must not undercut.
 */
import { describe, expect, it } from "vitest";
import { mdeMcNemar, mdePairedMean, normalQuantile } from "../../src/stats/index.js";

const Z = 2.8015852181129683;

describe("mdePairedMean", () => {
  it("is (z_{1−α/2} + z_power) · sd / √n", () => {
    expect(mdePairedMean(1, 100)).toMatchObject({ n: 100, alpha: 0.05, power: 0.8, method: "paired-normal", status: "ok" });
    expect(mdePairedMean(1, 100).mde).toBeCloseTo(Z / 10, 12);
    expect(mdePairedMean(2, 25, { alpha: 0.01, power: 0.9 }).mde).toBeCloseTo(((2.5758293035489004 + 1.2815515655446004) * 2) / 5, 12);
    expect(mdePairedMean(1, 400).mde).toBeCloseTo(mdePairedMean(1, 100).mde / 2, 12);
  });

  it("is an explicit status, never 0, with too few items or no spread", () => {
    expect(mdePairedMean(1, 1)).toMatchObject({ mde: NaN, status: "too-few-items" });
    expect(mdePairedMean(0, 50)).toMatchObject({ mde: NaN, status: "no-variation" });
  });

  it("refuses bad arguments", () => {
    expect(() => mdePairedMean(-1, 10)).toThrow(/sdDifference/);
    expect(() => mdePairedMean(1, 10, { alpha: 0 })).toThrow(/alpha/);
    expect(() => mdePairedMean(1, 10, { power: 1 })).toThrow(/power/);
    expect(() => mdePairedMean(1, 2.5)).toThrow(/n must be/);
  });
});

describe("mdeMcNemar", () => {
  it("is (z_{1−α/2} + z_power) · √(ψ/n) with ψ the discordance rate", () => {
    // ψ = 20/100: √0.002 = 0.044721359549995794
    const r = mdeMcNemar(8, 12, 100);
    expect(r).toMatchObject({ n: 100, method: "mcnemar-connor-normal", status: "ok" });
    expect(r.note).toBeUndefined();
    expect(r.mde).toBeCloseTo(Z * 0.044721359549995794, 12);
  });

  it("does not undercut Connor 1987's full formula", () => {
    const za = normalQuantile(0.975);
    const zb = normalQuantile(0.8);
    for (const [b, c, n] of [[8, 12, 100], [30, 40, 500], [3, 2, 40]]) {
      const psi = (b + c) / n;
      const d = mdeMcNemar(b, c, n).mde;
      const connorN = (za * Math.sqrt(psi) + zb * Math.sqrt(psi - d * d)) ** 2 / (d * d);
      expect(connorN).toBeLessThanOrEqual(n);
      expect(connorN).toBeGreaterThan(0.85 * n);
    }
  });

  it("floors ψ at 1/n when nothing is discordant, and says so", () => {
    const r = mdeMcNemar(0, 0, 100);
    expect(r.mde).toBeCloseTo(Z * 0.01, 12);
    expect(r.mde).toBe(mdeMcNemar(1, 0, 100).mde);
    expect(r.note).toMatch(/floored/);
    expect(mdeMcNemar(0, 0, 1)).toMatchObject({ mde: NaN, status: "too-few-items" });
  });

  it("refuses impossible counts", () => {
    expect(() => mdeMcNemar(6, 5, 10)).toThrow(/cannot exceed/);
    expect(() => mdeMcNemar(-1, 0, 10)).toThrow(/b must be/);
  });
});
