/**
 * Sample sizes and MDEs against published numbers and a seeded simulation of the tests
 * they plan for.
 *
 * References (reproduced exactly):
 *   Connor 1987 / McNemar: p01 = 0.45, p10 = 0.05, α = 0.05 two-sided, power 0.8 → 23 pairs
 *     (Chow, Shao & Wang 2008, "Sample Size Calculations in Clinical Research", and
 *     powerandsamplesize.com's "McNemar Z-test, 2-sided", both from Connor 1987 p. 209)
 *   paired t: sd 1, δ 0.5, α 0.05, power 0.8 → 34 (R power.t.test(type = "paired"): 33.37;
 *     G*Power matched pairs d_z = 0.5: 34); δ 1 → 10 (9.94); δ 0.2, power 0.9 → 265 (264.6)
 *   t quantiles: the printed tables (t_{.975,10} = 2.228, t_{.995,1} = 63.657), more digits
 *     from scipy.stats.t.ppf
 */
import { describe, expect, it } from "vitest";
import { createRng, type Rng } from "../../src/random/index.js";
import { mdeMcNemar, normalQuantile } from "../../src/stats/index.js";
import {
  bonferroniAlpha, designEffect, equivalenceN, equivalenceProportionsN, iccOneWay, pairedMeanMde, pairedMeanN,
  pairedProportionsMde, pairedProportionsN, studentTCdf, studentTQuantile,
} from "../../src/stats/power.js";

const Z975 = normalQuantile(0.975);
const Z80 = normalQuantile(0.8);

describe("Student's t", () => {
  it("match the printed tables and scipy", () => {
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 11);
    expect(studentTQuantile(0.975, 33)).toBeCloseTo(2.0345152974493383, 11);
    expect(studentTQuantile(0.8, 33)).toBeCloseTo(0.8526494236479887, 11);
    expect(studentTQuantile(0.995, 1)).toBeCloseTo(63.656741162871526, 9);
    expect(studentTQuantile(0.975, 2.5)).toBeCloseTo(3.5746548420036817, 11);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228138851986274, 11);
    expect(studentTQuantile(1 - 0.00052, 1000)).toBeCloseTo(3.2891394721382903, 10);
    expect(studentTQuantile(0.975, 1e8)).toBeCloseTo(Z975, 12);
    expect(studentTCdf(2, 5)).toBeCloseTo(0.9490302605850708, 13);
    expect(studentTCdf(-1.3, 7.5)).toBeCloseTo(0.11606338940780439, 13);
  });
});

describe("pairedProportionsN (Connor 1987)", () => {
  it("reproduces the published example: p01 = 0.45, p10 = 0.05 → 23 pairs", () => {
    expect(pairedProportionsN({ p10: 0.05, p01: 0.45, alpha: 0.05, power: 0.8 })).toEqual({ n: 23, method: "mcnemar-score-connor", alpha: 0.05, power: 0.8, deff: 1 });
  });

  it("is Connor's formula, times the design effect, rounded up", () => {
    const connor = (Z975 * Math.sqrt(0.2) + Z80 * Math.sqrt(0.2 - 0.01)) ** 2 / 0.01; // 154.6…
    expect(pairedProportionsN({ p10: 0.05, p01: 0.15, alpha: 0.05, power: 0.8 }).n).toBe(Math.ceil(connor));
    expect(pairedProportionsN({ p10: 0.15, p01: 0.05, delta: -0.1, alpha: 0.05, power: 0.8 }).n).toBe(Math.ceil(connor));
    expect(pairedProportionsN({ p10: 0.05, p01: 0.15, alpha: 0.05, power: 0.8, deff: 1.3 })).toMatchObject({ n: Math.ceil(1.3 * connor), deff: 1.3 });
  });

  it("says so when no n suffices", () => {
    expect(pairedProportionsN({ p10: 0.1, p01: 0.1, alpha: 0.05, power: 0.8 })).toMatchObject({ n: Infinity, note: expect.stringMatching(/δ = 0/) });
    expect(pairedProportionsN({ p10: 0, p01: 0, alpha: 0.05, power: 0.8 })).toMatchObject({ n: Infinity, note: expect.stringMatching(/ψ = 0/) });
  });

  it("refuses bad arguments by name and value", () => {
    expect(() => pairedProportionsN({ p10: 0.05, p01: 0.15, delta: 0.2, alpha: 0.05, power: 0.8 })).toThrow(/delta must be p01 − p10 = 0\.1, got 0\.2/);
    expect(() => pairedProportionsN({ p10: 0.6, p01: 0.5, alpha: 0.05, power: 0.8 })).toThrow(/p10 \+ p01 must be ≤ 1/);
    expect(() => pairedProportionsN({ p10: -0.1, p01: 0.5, alpha: 0.05, power: 0.8 })).toThrow(/p10 must be in \[0, 1\], got -0\.1/);
    expect(() => pairedProportionsN({ p10: 0.1, p01: 0.2, alpha: 0, power: 0.8 })).toThrow(/alpha must be in \(0, 1\), got 0/);
    expect(() => pairedProportionsN({ p10: 0.1, p01: 0.2, alpha: 0.05, power: 0.3 })).toThrow(/power must be in \[0\.5, 1\), got 0\.3/);
    expect(() => pairedProportionsN({ p10: 0.1, p01: 0.2, alpha: 0.05, power: 0.8, deff: 0.5 })).toThrow(/deff must be a finite number ≥ 1, got 0\.5/);
  });
});

describe("pairedProportionsMde", () => {
  it("solves Connor's equation exactly: the n it implies is the n given", () => {
    for (const [psi, n, deff] of [[0.2, 155, 1], [0.05, 2000, 1], [0.3, 400, 1.5]]) {
      const { mde } = pairedProportionsMde({ psi, n, alpha: 0.05, power: 0.8, deff });
      const connorN = (Z975 * Math.sqrt(psi) + Z80 * Math.sqrt(psi - mde * mde)) ** 2 / (mde * mde);
      expect(connorN * deff).toBeCloseTo(n, 6);
      // mde.ts drops δ² beside ψ, which overstates the MDE
      if (deff === 1) expect(mde).toBeLessThan(mdeMcNemar(Math.round((psi * n) / 2), Math.round((psi * n) / 2), n).mde + 1e-9);
    }
  });

  it("is infinite, with the reason, when nothing or not even δ = ψ is detectable", () => {
    expect(pairedProportionsMde({ psi: 0, n: 100, alpha: 0.05, power: 0.8 })).toMatchObject({ mde: Infinity, note: expect.stringMatching(/ψ = 0/) });
    expect(pairedProportionsMde({ psi: 0.01, n: 20, alpha: 0.05, power: 0.8 })).toMatchObject({ mde: Infinity, note: expect.stringMatching(/even δ = ψ/) });
    expect(() => pairedProportionsMde({ psi: 0.2, n: 1, alpha: 0.05, power: 0.8 })).toThrow(/n must be an integer ≥ 2, got 1/);
  });
});

describe("pairedMeanN and pairedMeanMde (t-corrected)", () => {
  it("reproduces the paired t-test tables", () => {
    expect(pairedMeanN({ sd: 1, delta: 0.5, alpha: 0.05, power: 0.8 })).toEqual({ n: 34, method: "paired-t", alpha: 0.05, power: 0.8, deff: 1 });
    expect(pairedMeanN({ sd: 1, delta: -1, alpha: 0.05, power: 0.8 }).n).toBe(10);
    expect(pairedMeanN({ sd: 1, delta: 0.2, alpha: 0.05, power: 0.9 }).n).toBe(265);
    expect(pairedMeanN({ sd: 2, delta: 1, alpha: 0.05, power: 0.8 }).n).toBe(34);
  });

  it("approaches the normal formula for large n, never below it, and scales with deff", () => {
    const z = ((Z975 + Z80) / 0.05) ** 2; // 3139.6
    const t = pairedMeanN({ sd: 1, delta: 0.05, alpha: 0.05, power: 0.8 }).n;
    expect(t).toBeGreaterThanOrEqual(Math.ceil(z));
    expect(t).toBeLessThanOrEqual(Math.ceil(z) + 3);
    expect(pairedMeanN({ sd: 1, delta: 0.05, alpha: 0.05, power: 0.8, deff: 2 }).n).toBeLessThanOrEqual(2 * t);
    expect(pairedMeanN({ sd: 1, delta: 0.05, alpha: 0.05, power: 0.8, deff: 2 }).n).toBeGreaterThanOrEqual(2 * t - 2);
    expect(pairedMeanN({ sd: 1, delta: 0, alpha: 0.05, power: 0.8 })).toMatchObject({ n: Infinity, note: expect.stringMatching(/δ = 0/) });
    expect(pairedMeanN({ sd: 1, delta: 100, alpha: 0.05, power: 0.8 }).n).toBe(2);
  });

  it("has the MDE as its inverse", () => {
    const r = pairedMeanMde({ sd: 1, n: 34, alpha: 0.05, power: 0.8 });
    expect(r.mde).toBeCloseTo(((studentTQuantile(0.975, 33) + studentTQuantile(0.8, 33)) * 1) / Math.sqrt(34), 12);
    expect(pairedMeanN({ sd: 1, delta: r.mde * (1 + 1e-9), alpha: 0.05, power: 0.8 }).n).toBe(34);
    expect(pairedMeanMde({ sd: 1, n: 3, alpha: 0.05, power: 0.8, deff: 2 })).toMatchObject({ mde: Infinity, note: expect.stringMatching(/at least 2/) });
    expect(() => pairedMeanMde({ sd: 0, n: 30, alpha: 0.05, power: 0.8 })).toThrow(/sd must be a finite number > 0, got 0/);
  });
});

describe("equivalenceN and equivalenceProportionsN (TOST)", () => {
  it("binary, Δ = 0: n = ((z_{1−α} + z_{1−(1−power)/2}) · √ψ / margin)²", () => {
    const formula = ((normalQuantile(0.95) + normalQuantile(0.9)) * Math.sqrt(0.2) / 0.05) ** 2; // 685.1
    expect(equivalenceProportionsN({ psi: 0.2, margin: 0.05, alpha: 0.05, power: 0.8 })).toEqual({ n: Math.ceil(formula), method: "tost-paired-proportions", alpha: 0.05, power: 0.8, deff: 1 });
  });

  it("continuous, Δ = 0: the t fixed point of the same formula, which the normal one approaches", () => {
    const { n } = equivalenceN({ sd: 1, margin: 0.5, alpha: 0.05, power: 0.8 });
    const t = (k: number) => ((studentTQuantile(0.95, k - 1) + studentTQuantile(0.9, k - 1)) * 2) ** 2;
    expect(n).toBe(36);
    expect(t(n)).toBeLessThanOrEqual(n);
    expect(t(n - 1)).toBeGreaterThan(n - 1);
    const z = ((normalQuantile(0.95) + normalQuantile(0.9)) * 0.3 / 0.01) ** 2; // 7707.6
    const big = equivalenceN({ sd: 0.3, margin: 0.01, alpha: 0.05, power: 0.8 }).n;
    expect(big - Math.ceil(z)).toBeGreaterThanOrEqual(0);
    expect(big - Math.ceil(z)).toBeLessThanOrEqual(3);
  });

  it("needs more items when the true difference is not 0, and none suffice at the margin", () => {
    expect(equivalenceN({ sd: 1, margin: 0.5, trueDelta: 0.1, alpha: 0.05, power: 0.8 }).n).toBe(43);
    expect(equivalenceN({ sd: 1, margin: 0.5, trueDelta: -0.5, alpha: 0.05, power: 0.8 })).toMatchObject({ n: Infinity, note: expect.stringMatching(/cannot be shown/) });
    expect(equivalenceProportionsN({ psi: 0.2, margin: 0.05, trueDelta: 0.02, alpha: 0.05, power: 0.8 }).n).toBeGreaterThan(686);
    expect(equivalenceProportionsN({ psi: 0, margin: 0.05, alpha: 0.05, power: 0.8 })).toMatchObject({ n: NaN, note: expect.stringMatching(/ψ = 0/) });
    expect(() => equivalenceProportionsN({ psi: 0.01, margin: 0.05, trueDelta: 0.02, alpha: 0.05, power: 0.8 })).toThrow(/\|trueDelta\| must be ≤ psi/);
    expect(() => equivalenceN({ sd: 1, margin: 0, alpha: 0.05, power: 0.8 })).toThrow(/margin must be a finite number > 0, got 0/);
  });
});

describe("designEffect, iccOneWay, bonferroniAlpha", () => {
  it("deff = 1 + (Σm²/Σm − 1)·ICC", () => {
    expect(designEffect({ clusterSizes: [5, 5, 5], icc: 0.2 })).toBeCloseTo(1.8, 14);
    expect(designEffect({ clusterSizes: [1, 3, 6], icc: 0.5 })).toBeCloseTo(1 + (46 / 10 - 1) * 0.5, 14);
    expect(designEffect({ clusterSizes: [1, 1, 1], icc: 0.9 })).toBe(1);
    expect(() => designEffect({ clusterSizes: [2, 0], icc: 0.1 })).toThrow(/clusterSizes\[1\] must be an integer ≥ 1, got 0/);
    expect(() => designEffect({ clusterSizes: [2], icc: 1.5 })).toThrow(/icc must be in \[0, 1\], got 1\.5/);
  });

  it("the one-way ANOVA ICC: by hand, truncated at 0, and not estimable without clusters", () => {
    // means 2 and 5; MSB = 13.5, MSW = 1, n₀ = 3: (13.5 − 1)/(13.5 + 2·1)
    expect(iccOneWay([1, 2, 3, 4, 5, 6], ["a", "a", "a", "b", "b", "b"])).toEqual({ icc: 12.5 / 15.5, clusters: 2, n0: 3 });
    expect(iccOneWay([1, 5, 1, 5], ["a", "a", "b", "b"])).toMatchObject({ icc: 0, note: expect.stringMatching(/negative: truncated at 0/) });
    expect(iccOneWay([1, 2, 3], ["a", "b", "c"])).toMatchObject({ icc: NaN, note: expect.stringMatching(/one item/) });
    expect(iccOneWay([1, 2, 3], ["a", "a", "a"])).toMatchObject({ icc: NaN, note: expect.stringMatching(/at least 2/) });
    expect(() => iccOneWay([1, 2], ["a"])).toThrow(/clusters\.length must be the number of values \(2\), got 1/);
  });

  it("bonferroniAlpha is α/m", () => {
    expect(bonferroniAlpha(0.05, 48)).toBeCloseTo(0.05 / 48, 15);
    expect(() => bonferroniAlpha(0.05, 0)).toThrow(/m must be an integer ≥ 1, got 0/);
  });
});

// ── Monte Carlo: the planned n reaches the planned power (seeded; each check is a few ms) ──

const REPS = 2000;

/** Share of REPS simulated runs in which `reject` says the test rejected. */
function simulatedPower(seed: number, reject: (rng: Rng) => boolean): number {
  const rng = createRng(seed);
  let hits = 0;
  for (let r = 0; r < REPS; r++) if (reject(rng)) hits++;
  return hits / REPS;
}

/** The McNemar score test z = (c − b)/√(b + c) on n simulated items with discordant probabilities p10, p01. */
function mcnemarScoreRejects(rng: Rng, n: number, p10: number, p01: number, alpha: number): boolean {
  let b = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    if (u < p10) b++;
    else if (u < p10 + p01) c++;
  }
  return b + c > 0 && Math.abs(c - b) / Math.sqrt(b + c) > normalQuantile(1 - alpha / 2);
}

/** Mean and standard error of n normal differences with the given mean and sd. */
function normalSample(rng: Rng, n: number, mean: number, sd: number): { mean: number; se: number } {
  const xs = Array.from({ length: n }, () => mean + sd * rng.normal());
  const m = xs.reduce((s, x) => s + x, 0) / n;
  const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1);
  return { mean: m, se: Math.sqrt(v / n) };
}

describe("Monte Carlo: power at the planned n", () => {
  it("McNemar score test reaches the planned power (α = 0.05, and α/48)", () => {
    for (const [p10, p01, alpha, seed] of [[0.05, 0.15, 0.05, 1], [0.075, 0.125, 0.05 / 48, 2]]) {
      const { n } = pairedProportionsN({ p10, p01, alpha, power: 0.8 });
      const power = simulatedPower(seed, (rng) => mcnemarScoreRejects(rng, n, p10, p01, alpha));
      expect(Math.abs(power - 0.8), `n = ${n}, simulated power ${power}`).toBeLessThan(0.07);
    }
  });

  it("paired t-test and TOST reach the planned power", () => {
    const nt = pairedMeanN({ sd: 1, delta: 0.5, alpha: 0.05, power: 0.8 }).n;
    const crit = studentTQuantile(0.975, nt - 1);
    const tPower = simulatedPower(3, (rng) => {
      const s = normalSample(rng, nt, 0.5, 1);
      return Math.abs(s.mean / s.se) > crit;
    });
    expect(Math.abs(tPower - 0.8)).toBeLessThan(0.07);

    const ne = equivalenceN({ sd: 1, margin: 0.5, alpha: 0.05, power: 0.8 }).n;
    const one = studentTQuantile(0.95, ne - 1);
    const tostPower = simulatedPower(4, (rng) => {
      const s = normalSample(rng, ne, 0, 1);
      return s.mean - one * s.se > -0.5 && s.mean + one * s.se < 0.5;
    });
    expect(Math.abs(tostPower - 0.8)).toBeLessThan(0.07);
  });

  it("the design effect is the variance inflation of a clustered mean (unequal clusters)", () => {
    const sizes = Array.from({ length: 40 }, (_, i) => 1 + (i % 5) * 2); // 1, 3, 5, 7, 9, …
    const icc = 0.2;
    const N = sizes.reduce((s, m) => s + m, 0);
    const rng = createRng(5);
    const means: number[] = [];
    for (let r = 0; r < REPS; r++) {
      let sum = 0;
      for (const m of sizes) {
        const u = Math.sqrt(icc) * rng.normal();
        for (let j = 0; j < m; j++) sum += u + Math.sqrt(1 - icc) * rng.normal();
      }
      means.push(sum / N);
    }
    const mean = means.reduce((s, x) => s + x, 0) / REPS;
    const inflation = (N * means.reduce((s, x) => s + (x - mean) ** 2, 0)) / (REPS - 1);
    expect(inflation / designEffect({ clusterSizes: sizes, icc })).toBeGreaterThan(0.9);
    expect(inflation / designEffect({ clusterSizes: sizes, icc })).toBeLessThan(1.1);
  });

  it("iccOneWay recovers a simulated ICC", () => {
    const rng = createRng(6);
    const values: number[] = [];
    const clusters: string[] = [];
    for (let k = 0; k < 300; k++) {
      const u = Math.sqrt(0.3) * rng.normal();
      for (let j = 0; j < 1 + (k % 8); j++) {
        values.push(u + Math.sqrt(0.7) * rng.normal());
        clusters.push(`c${k}`);
      }
    }
    expect(Math.abs(iccOneWay(values, clusters).icc - 0.3)).toBeLessThan(0.07);
  });
});
