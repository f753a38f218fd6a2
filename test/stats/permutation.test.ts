/**
 * Paired permutation tests: exact p-values enumerated by hand for small cases, the
 * Monte Carlo p-value against an exact enumeration written here in the test, the
 * set-level test agreeing with the sign flip when the statistic is the mean, NaN
 * patterns counted conservatively, determinism for a seed, and self-vs-self p = 1.
 */
import { describe, expect, it } from "vitest";
import { pairedPermutation, signFlipTest } from "../../src/stats/index.js";
import { mulberry32 } from "../helpers/rng.js";

const zeros = (n: number) => new Array<number>(n).fill(0);
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/** Exact two-sided sign-flip p by brute force over all 2^m sign patterns of d. */
function bruteForceSignFlip(d: readonly number[]): number {
  const observed = Math.abs(sum(d));
  let atLeast = 0;
  for (let mask = 0; mask < 2 ** d.length; mask++) {
    let s = 0;
    for (let j = 0; j < d.length; j++) s += (mask & (1 << j)) ? -d[j] : d[j];
    if (Math.abs(s) >= observed - 1e-9) atLeast++;
  }
  return atLeast / 2 ** d.length;
}

describe("signFlipTest", () => {
  it("enumerates all sign patterns exactly for few non-zero differences", () => {
    // ±1 ±1 ±1: only +++ and −−− reach |3| → 2/8
    const r = signFlipTest(zeros(3), [1, 1, 1], { seed: 1 });
    expect(r).toEqual({ n: 3, statistic: 1, p: 0.25, iterations: 8, seed: 1, method: "sign-flip-exact", undefinedPatterns: 0, status: "ok" });
    // ±3 ±1 ±1 → sums 5, 3, 3, 1, −1, −3, −3, −5: six of eight have |s| ≥ 3
    expect(signFlipTest(zeros(3), [3, -1, 1], { seed: 1 }).p).toBe(0.75);
    // ±1 ±2 ±3 → 6, 4, 2, 0, 0, −2, −4, −6: ties at 0 do not matter, 2/8 reach 6
    expect(signFlipTest([1, 1, 1], [2, 3, 4], { seed: 1 }).p).toBe(0.25);
    // a single change can go either way: p = 1
    expect(signFlipTest([0], [2], { seed: 1 }).p).toBe(1);
  });

  it("ignores zero differences in the enumeration but not in the mean", () => {
    const r = signFlipTest(zeros(5), [1, 1, 1, 0, 0], { seed: 1 });
    expect(r.p).toBe(0.25);
    expect(r.iterations).toBe(8);
    expect(r.statistic).toBeCloseTo(0.6, 15);
  });

  it("gives p = 1 when nothing changed (self-vs-self)", () => {
    const r = mulberry32(3);
    const x = Array.from({ length: 200 }, () => r());
    expect(signFlipTest(x, x, { seed: 1 })).toMatchObject({ p: 1, statistic: 0, method: "sign-flip-exact", iterations: 1 });
  });

  it("matches an exact enumeration within Monte Carlo error for 18 differences", () => {
    const r = mulberry32(11);
    const base = Array.from({ length: 18 }, () => r());
    const tuned = base.map((b) => b + 0.1 + (r() - 0.5));
    const exact = bruteForceSignFlip(tuned.map((t, i) => t - base[i]));
    expect(exact).toBeGreaterThan(0.05);
    expect(exact).toBeLessThan(0.95);
    const mc = signFlipTest(base, tuned, { seed: 5, iterations: 20_000 });
    expect(mc.method).toBe("sign-flip-permutation");
    expect(Math.abs(mc.p - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / 20_000));
  });

  it("counts the observed pattern once: p = (1 + k)/(1 + B), never 0", () => {
    // 30 equal differences: a random pattern reaches |30| with probability 2^-29
    const r = signFlipTest(zeros(30), new Array<number>(30).fill(0.5), { seed: 2, iterations: 999 });
    expect(r.p).toBe(1 / 1000);
    const s = signFlipTest(zeros(20), Array.from({ length: 20 }, (_, i) => (i % 3) - 0.9), { seed: 2, iterations: 999 });
    expect(s.p * 1000).toBeCloseTo(Math.round(s.p * 1000), 9);
    expect(s.p).toBeGreaterThan(1 / 1000);
  });

  it("is deterministic for a seed, moves with another, and records both", () => {
    const r = mulberry32(4);
    const base = Array.from({ length: 40 }, () => r());
    const tuned = base.map((b) => b + 0.05 + 0.5 * (r() - 0.5));
    const a = signFlipTest(base, tuned, { seed: 7 });
    expect(signFlipTest(base, tuned, { seed: 7 })).toEqual(a);
    expect(signFlipTest(base, tuned, { seed: 8 }).p).not.toBe(a.p);
    expect(a).toMatchObject({ n: 40, seed: 7, iterations: 10_000, method: "sign-flip-permutation" });
  });

  it("says nothing about no items and refuses unpaired or non-finite input", () => {
    expect(signFlipTest([], [], { seed: 1 })).toMatchObject({ status: "no-items", p: NaN, statistic: NaN });
    expect(() => signFlipTest([1], [1, 2], { seed: 1 })).toThrow(/equal lengths/);
    expect(() => signFlipTest([1, 2], [1, Infinity], { seed: 1 })).toThrow(/item 1/);
    expect(() => signFlipTest([1], [1], { seed: 1, iterations: 0 })).toThrow(/iterations/);
  });
});

describe("pairedPermutation", () => {
  it("enumerates swaps of a set statistic exactly (max over items)", () => {
    // base [0, 0], tuned [1, 2], S = max: T = 2 − 0; swapping item 0 → 2 − 1 = 1,
    // item 1 → 1 − 2 = −1, both → −2; two of four reach |2|.
    const max = (xs: readonly number[]) => Math.max(...xs);
    expect(pairedPermutation([0, 0], [1, 2], max, { seed: 1 })).toEqual({
      n: 2, statistic: 2, p: 0.5, iterations: 4, seed: 1, method: "paired-permutation-exact", undefinedPatterns: 0, status: "ok",
    });
  });

  it("agrees with the sign flip when the statistic is the mean", () => {
    const r = mulberry32(9);
    const base = Array.from({ length: 12 }, () => Math.round(r() * 4));
    const tuned = base.map((b, i) => (i % 4 === 0 ? b : b + Math.round(r() * 3) - 1));
    const flip = signFlipTest(base, tuned, { seed: 3 });
    const set = pairedPermutation(base, tuned, mean, { seed: 3 });
    expect(set.p).toBeCloseTo(flip.p, 12);
    expect(set.statistic).toBeCloseTo(flip.statistic, 12);
    // Monte Carlo: the same uniforms in item order when every difference is non-zero
    const b40 = Array.from({ length: 40 }, () => r());
    const t40 = b40.map((b) => b + 0.03 + 0.3 * (r() - 0.5));
    const mcFlip = signFlipTest(b40, t40, { seed: 6, iterations: 3000 });
    const mcSet = pairedPermutation(b40, t40, mean, { seed: 6, iterations: 3000 });
    expect(mcSet.method).toBe("paired-permutation");
    expect(mcSet.p).toBe(mcFlip.p);
  });

  it("gives p = 1 for identical records (self-vs-self), exact or Monte Carlo", () => {
    type Rec = { confidence: number; correct: boolean };
    const r = mulberry32(2);
    const recs: Rec[] = Array.from({ length: 30 }, () => ({ confidence: r(), correct: r() < 0.6 }));
    const gap = (xs: readonly Rec[]) => Math.abs(mean(xs.map((x) => x.confidence)) - mean(xs.map((x) => Number(x.correct))));
    expect(pairedPermutation(recs, recs, gap, { seed: 1, iterations: 500 })).toMatchObject({ p: 1, statistic: 0, method: "paired-permutation" });
    expect(pairedPermutation(recs.slice(0, 5), recs.slice(0, 5), gap, { seed: 1 }).p).toBe(1);
  });

  it("counts patterns with an undefined statistic as extreme (conservative) and says how many", () => {
    // S = sum, undefined when the first two records are both 1. d = [−1, 1, 5, 0.5]:
    // the 8 patterns swapping exactly one of items 0, 1 put [1, 1] on one side (NaN);
    // of the 8 others T = ±5 ± 0.5 and 4 reach |5.5| → p = (8 + 4)/16.
    const s = (xs: readonly number[]) => (xs[0] === 1 && xs[1] === 1 ? NaN : sum(xs));
    const r = pairedPermutation([1, 0, 0, 0], [0, 1, 5, 0.5], s, { seed: 1 });
    expect(r).toMatchObject({ statistic: 5.5, p: 0.75, undefinedPatterns: 8, iterations: 16, status: "ok" });
    const undefinedObserved = pairedPermutation([1, 1], [0, 0], s, { seed: 1 });
    expect(undefinedObserved).toMatchObject({ status: "undefined-statistic", p: NaN });
  });

  it("is deterministic for a seed and refuses unpaired input", () => {
    const r = mulberry32(5);
    const base = Array.from({ length: 25 }, () => r());
    const tuned = base.map((b) => b + 0.3 * (r() - 0.4));
    const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const a = pairedPermutation(base, tuned, median, { seed: 4, iterations: 2000 });
    expect(pairedPermutation(base, tuned, median, { seed: 4, iterations: 2000 })).toEqual(a);
    expect(a).toMatchObject({ n: 25, seed: 4, iterations: 2000 });
    expect(pairedPermutation([], [], median, { seed: 1 }).status).toBe("no-items");
    expect(() => pairedPermutation([1], [], median, { seed: 1 })).toThrow(/equal lengths/);
  });
});
