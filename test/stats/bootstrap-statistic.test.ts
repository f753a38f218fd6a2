/**
 * Paired bootstrap of a set statistic: with stat = mean it reproduces bootstrap.ts's
 * interval for the same seed (same index draws), it keeps the pairing, a self-vs-self
 * comparison gives a zero-width interval at 0, resamples where the statistic is NaN
 * are dropped and counted, and it is deterministic for a seed.
 */
import { describe, expect, it } from "vitest";
import { pairedBootstrap, pairedBootstrapStatistic } from "../../src/stats/index.js";
import { mulberry32 } from "../helpers/rng.js";

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

function synthetic(n: number, seed: number): { base: number[]; tuned: number[] } {
  const r = mulberry32(seed);
  const base = Array.from({ length: n }, () => r());
  return { base, tuned: base.map((b) => b + 0.05 + 0.3 * (r() - 0.5)) };
}

describe("pairedBootstrapStatistic", () => {
  it("reproduces the paired bootstrap of the mean for the same seed", () => {
    const { base, tuned } = synthetic(80, 1);
    const ref = pairedBootstrap(base, tuned, { seed: 9, iterations: 2000 });
    const got = pairedBootstrapStatistic(base, tuned, mean, { seed: 9 });
    expect(got).toMatchObject({ n: 80, iterations: 2000, confidence: 0.95, seed: 9, method: "paired-bootstrap-percentile", dropped: 0 });
    expect(got.meanDifference).toBeCloseTo(ref.meanDifference, 12);
    expect(got.lo).toBeCloseTo(ref.lo, 12);
    expect(got.hi).toBeCloseTo(ref.hi, 12);
  });

  it("keeps the pairing: a constant shift has a zero-width interval for the median", () => {
    const r = mulberry32(2);
    const base = Array.from({ length: 41 }, () => 100 * r());
    const res = pairedBootstrapStatistic(base, base.map((x) => x + 2), median, { seed: 1, iterations: 500 });
    expect(res.meanDifference).toBeCloseTo(2, 9);
    expect(res.lo).toBeCloseTo(2, 9);
    expect(res.hi).toBeCloseTo(2, 9);
  });

  it("finds nothing in a self-vs-self comparison", () => {
    const { base } = synthetic(30, 3);
    const res = pairedBootstrapStatistic(base, base, (xs) => Math.max(...xs) - Math.min(...xs), { seed: 1, iterations: 300 });
    expect([res.meanDifference, res.lo, res.hi]).toEqual([0, 0, 0]);
  });

  it("drops and counts resamples where the statistic is undefined", () => {
    // 5 items, one answered: a resample misses it with probability (4/5)^5 = 0.32768,
    // and the accuracy over answered items is then NaN.
    type Rec = { answered: boolean; correct: number };
    const base: Rec[] = [{ answered: true, correct: 0 }, ...Array.from({ length: 4 }, () => ({ answered: false, correct: 0 }))];
    const tuned: Rec[] = [{ answered: true, correct: 1 }, ...base.slice(1)];
    const accuracyAnswered = (xs: readonly Rec[]) => mean(xs.filter((x) => x.answered).map((x) => x.correct));
    const res = pairedBootstrapStatistic(base, tuned, accuracyAnswered, { seed: 3, iterations: 4000 });
    expect(res.dropped / 4000).toBeGreaterThan(0.3);
    expect(res.dropped / 4000).toBeLessThan(0.36);
    expect([res.meanDifference, res.lo, res.hi]).toEqual([1, 1, 1]);
    const never = pairedBootstrapStatistic(base, tuned, () => NaN, { seed: 3, iterations: 100 });
    expect(never).toMatchObject({ dropped: 100, lo: NaN, hi: NaN, meanDifference: NaN });
  });

  it("is deterministic for a seed, moves with another, and refuses bad input", () => {
    const { base, tuned } = synthetic(60, 4);
    const a = pairedBootstrapStatistic(base, tuned, median, { seed: 7, iterations: 1000, confidence: 0.9 });
    expect(pairedBootstrapStatistic(base, tuned, median, { seed: 7, iterations: 1000, confidence: 0.9 })).toEqual(a);
    expect(pairedBootstrapStatistic(base, tuned, median, { seed: 8, iterations: 1000, confidence: 0.9 }).lo).not.toBe(a.lo);
    expect(a.lo).toBeLessThan(a.hi);
    expect(pairedBootstrapStatistic([], [], median, { seed: 1 })).toMatchObject({ n: 0, meanDifference: NaN, lo: NaN, dropped: 0 });
    expect(() => pairedBootstrapStatistic([1], [1, 2], median, { seed: 1 })).toThrow(/equal lengths/);
    expect(() => pairedBootstrapStatistic([1], [1], median, { seed: 1, iterations: 0 })).toThrow(/iterations/);
    expect(() => pairedBootstrapStatistic([1], [1], median, { seed: 1, confidence: 1 })).toThrow(/confidence/);
  });
});
