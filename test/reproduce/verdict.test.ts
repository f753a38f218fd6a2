/**
 * The claim verdict: the mapping from a pooled effect to reproduced / contradicted / not
 * reproduced / inconclusive, and — by simulation with the seeds × items bootstrap the
 * reproduce runs use — its error rates: a null effect is called reproduced or contradicted
 * at most at α (plus Monte-Carlo error), a planted effect well beyond the margin is found,
 * and a zero effect measured precisely comes out "not reproduced", never "reproduced".
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/random/index.js";
import { judgeEffect, type ClaimVerdict, type Prediction } from "../../src/reproduce/index.js";
import { normalCdf, seedPooledMeanDifference, type PairedInference } from "../../src/stats/index.js";

/** A normal-theory inference with a given estimate and standard error (for the mapping alone). */
function normalInference(estimate: number, se: number, n = 100): PairedInference {
  return {
    method: "normal", estimate, n, clusters: n, designEffect: 1, range: [estimate - 20 * se, estimate + 20 * se],
    pGreater: (d0) => 1 - normalCdf((estimate - d0) / se),
    pLess: (d0) => normalCdf((estimate - d0) / se),
  };
}

const up: Prediction = { direction: "increase", margin: 0.05 };
const down: Prediction = { direction: "decrease", margin: 0.05 };

describe("judgeEffect: the mapping", () => {
  it("reads the estimate against the predicted direction and the margin", () => {
    expect(judgeEffect(normalInference(0.2, 0.02), up).verdict).toBe("reproduced");
    expect(judgeEffect(normalInference(-0.2, 0.02), down).verdict).toBe("reproduced");
    expect(judgeEffect(normalInference(-0.2, 0.02), up).verdict).toBe("contradicted");
    expect(judgeEffect(normalInference(0.2, 0.02), down).verdict).toBe("contradicted");
    expect(judgeEffect(normalInference(0.001, 0.01), up).verdict).toBe("not reproduced");
    // significant but smaller than the smallest effect that counts, and shown to be: not reproduced
    expect(judgeEffect(normalInference(0.02, 0.005), up).verdict).toBe("not reproduced");
    // beyond the margin but not significant, or too noisy to show equivalence: inconclusive
    expect(judgeEffect(normalInference(0.08, 0.05), up).verdict).toBe("inconclusive");
    expect(judgeEffect(normalInference(0, 0.1), up).verdict).toBe("inconclusive");
  });

  it("the interval is at 1 − α and p agrees with it", () => {
    const j = judgeEffect(normalInference(0.1, 0.02), up, 0.05);
    expect(j.ciLow).toBeCloseTo(0.1 - 1.959964 * 0.02, 4);
    expect(j.ciHigh).toBeCloseTo(0.1 + 1.959964 * 0.02, 4);
    expect(j.p).toBeLessThan(0.05);
  });

  it("too little data is inconclusive with the reason, and few items never show equivalence", () => {
    const none: PairedInference = { ...normalInference(0, 1), problem: "needs at least 2 fine-tuning seeds", pGreater: () => NaN, pLess: () => NaN };
    const j = judgeEffect(none, up);
    expect(j.verdict).toBe("inconclusive");
    expect(j.problem).toMatch(/2 fine-tuning seeds/);
    expect(judgeEffect(normalInference(0, 0.001, 5), up).verdict).toBe("inconclusive");
    expect(() => judgeEffect(normalInference(0, 1), { direction: "increase", margin: 0 })).toThrow(/margin must be > 0/);
  });
});

/** `reps` simulated experiments: K seeds × n items, per-item Δ ~ N(shift, 1), judged at α = 0.05. */
function simulate(shift: number, margin: number, reps: number, seed: number, n = 100, K = 3): Record<ClaimVerdict, number> {
  const rng = createRng(seed);
  const counts: Record<ClaimVerdict, number> = { reproduced: 0, contradicted: 0, "not reproduced": 0, inconclusive: 0, "not runnable": 0 };
  for (let r = 0; r < reps; r++) {
    const diffs = Array.from({ length: K }, () => Array.from({ length: n }, () => shift + rng.normal()));
    const inf = seedPooledMeanDifference(diffs, undefined, { seed: rng.int(1e9), iterations: 999 });
    counts[judgeEffect(inf, { direction: "increase", margin }).verdict]++;
  }
  for (const k of Object.keys(counts) as ClaimVerdict[]) counts[k] /= reps;
  return counts;
}

describe("judgeEffect on the seeds × items bootstrap, simulated", () => {
  it("no effect (200 experiments, 3 seeds × 100 items): reproduced + contradicted ≤ 0.08", () => {
    const c = simulate(0, 0.1, 200, 11);
    expect(c.reproduced + c.contradicted).toBeLessThanOrEqual(0.08);
  });

  it("a planted effect of 3× the margin (normal theory: detected ~0.99) is reproduced in ≥ 0.9, never contradicted", () => {
    // SE of the mean of 300 N(·, 1) draws ≈ 0.058; P(Δ̂ > 0.1 and p < 0.05 | Δ = 0.3) ≈ Φ(3.5) ≈ 1
    const c = simulate(0.3, 0.1, 200, 12);
    expect(c.reproduced).toBeGreaterThanOrEqual(0.9);
    expect(c.contradicted).toBe(0);
  });

  it("a planted effect of 2× the margin is found at the predicted power (within 0.1; 300 experiments)", () => {
    // Resampling 3 seeds as well as the items about doubles the variance of Δ* when seeds do not
    // differ (each seed's mean already carries item noise): SE_boot ≈ √2 · SE, SE = 1/√300. The
    // claim is reproduced when Δ̂ clears both the margin and significance:
    // power ≈ Φ((δ − max(m, 1.96·SE_boot)) / SE)
    const se = 1 / Math.sqrt(300);
    const predicted = normalCdf((0.2 - Math.max(0.1, 1.959964 * Math.SQRT2 * se)) / se);
    const c = simulate(0.2, 0.1, 300, 14);
    expect(Math.abs(c.reproduced - predicted)).toBeLessThanOrEqual(0.1);
    expect(c.contradicted).toBe(0);
  });

  it("a zero effect with a margin of 4 SE comes out 'not reproduced' in ≥ 0.8, 'reproduced' ≤ 0.05", () => {
    // TOST at m = 0.25 (≈ 4.3 SE): P(|Δ̂| < m − 1.645·SE) ≈ 2Φ(2.7) − 1 ≈ 0.99 in normal theory;
    // the pigeonhole bootstrap is conservative, hence the looser bound
    const c = simulate(0, 0.25, 200, 13);
    expect(c["not reproduced"]).toBeGreaterThanOrEqual(0.8);
    expect(c.reproduced).toBeLessThanOrEqual(0.05);
  });
});
