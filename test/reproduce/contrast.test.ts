/**
 * The pooled contrast of a claim (src/reproduce contrast.ts): per-seed references as well as a
 * shared one, items aligned by id, nulls dropped for every model alike, set-level statistics,
 * and — by simulation — intervals that cover the true Δ at their nominal rate when seeds differ.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/random/index.js";
import { pooledContrast } from "../../src/reproduce/contrast.js";
import { plannedMde } from "../../src/reproduce/plan.js";
import { judgeEffect } from "../../src/reproduce/verdict.js";
import type { Claim } from "../../src/reproduce/claim.js";
import { confidenceInterval, seedPooledMeanDifference, twoSidedP } from "../../src/stats/index.js";
import type { Item, ItemRecord, MetricValues } from "../../src/probes/index.js";

const item = (i: number, domain = "arithmetic", cluster?: string): Item => ({ id: `it${i}`, prompt: `q${i}`, answer: "1", domain, ...(cluster ? { cluster } : {}) });
const rec = (i: number, v: number | null, extra: Record<string, number> = {}): ItemRecord => ({ itemId: `it${i}`, values: { m: v, ...extra }, detail: {} });
const metric = { name: "m" };

describe("pooledContrast", () => {
  it("Δ_s is each seed's tuned minus that seed's own reference, on the items every model has", () => {
    const items = [0, 1, 2, 3].map((i) => item(i));
    const tuned = [[rec(0, 1), rec(1, 1), rec(2, 0), rec(3, 1)], [rec(0, 1), rec(1, 0), rec(2, 0), rec(3, 1)]];
    // seed 2's reference lacks item 3, and item 2 is null for seed 1's reference: both drop everywhere
    const reference = [[rec(0, 0), rec(1, 0), rec(2, null), rec(3, 0)], [rec(0, 0), rec(1, 1), rec(2, 1)]];
    const c = pooledContrast({ items, metric, tuned, reference, seed: 1, iterations: 500 });
    expect(c.n).toBe(2); // items 0 and 1
    expect(c.inf.perSeed).toEqual([1, 0]); // seed 1: (1 + 1)/2; seed 2: (1 + (0 − 1))/2 = 0
    expect(c.inf.estimate).toBeCloseTo(0.5, 12);
    expect(c.tunedMean).toBeCloseTo(0.75, 12);
    expect(c.referenceMean).toBeCloseTo(0.25, 12);
  });

  it("a domain keeps only its items; a shared reference is the same records in every seed", () => {
    const items = [item(0), item(1, "knowledge"), item(2)];
    const base = [rec(0, 0), rec(1, 1), rec(2, 0)];
    const tuned = [[rec(0, 1), rec(1, 0), rec(2, 1)], [rec(0, 1), rec(1, 0), rec(2, 0)]];
    const c = pooledContrast({ items, metric, domain: "arithmetic", tuned, reference: [base, base], seed: 2, iterations: 500 });
    expect(c.n).toBe(2);
    expect(c.inf.perSeed).toEqual([1, 0.5]);
  });

  it("a set-level metric is recomputed per seed on the same resampled clusters", () => {
    const items = Array.from({ length: 40 }, (_, i) => item(i));
    // share of items with flag = 1, as a set statistic
    const share = (vs: readonly MetricValues[]) => vs.filter((v) => v.flag === 1).length / vs.length;
    const make = (p: (i: number) => number) => items.map((_, i) => rec(i, null, { flag: p(i) }));
    const tuned = [make((i) => (i % 2 === 0 ? 1 : 0)), make((i) => (i % 4 === 0 ? 1 : 0))];
    const reference = [make(() => 0), make(() => 0)];
    const c = pooledContrast({ items, metric: { name: "m", aggregate: share }, tuned, reference, seed: 3, iterations: 500 });
    expect(c.inf.perSeed).toEqual([0.5, 0.25]);
    expect(c.inf.estimate).toBeCloseTo(0.375, 12);
    expect(c.n).toBe(40);
  });

  it("one reference per seed is required", () => {
    expect(() => pooledContrast({ items: [item(0)], metric, tuned: [[rec(0, 1)], [rec(0, 1)]], reference: [[rec(0, 1)]], seed: 1 })).toThrow(/one reference per seed/);
  });
});

/** Seeds × items with a seed effect, an item effect shared by the seeds, and noise; the reference varies per seed too. */
function experiment(rng: ReturnType<typeof createRng>, o: { delta: number; n: number; seeds: number; seedSd: number; itemSd: number; noiseSd: number }) {
  const items = Array.from({ length: o.n }, (_, i) => item(i));
  const a = items.map(() => o.itemSd * rng.normal());
  const tuned: ItemRecord[][] = [];
  const reference: ItemRecord[][] = [];
  for (let s = 0; s < o.seeds; s++) {
    const u = o.seedSd * rng.normal();
    const ref = items.map(() => rng.normal());
    reference.push(ref.map((v, i) => rec(i, v)));
    tuned.push(ref.map((v, i) => rec(i, v + o.delta + u + a[i] + o.noiseSd * rng.normal())));
  }
  return { items, tuned, reference };
}

describe("pooledContrast, simulated", () => {
  it("no effect, seeds differing more than items (1,000 experiments): reproduced or contradicted in ≤ 0.06 (α = 0.05 + 1.5 Monte-Carlo SE)", () => {
    const rng = createRng(23);
    let calls = 0;
    const reps = Number(process.env.SIM_REPS ?? 1000);
    for (let r = 0; r < reps; r++) {
      const e = experiment(rng, { delta: 0, n: 60, seeds: 3, seedSd: 0.3, itemSd: 0.3, noiseSd: 0.3 });
      const c = pooledContrast({ ...e, metric, seed: rng.int(1e9), iterations: 999 });
      const v = judgeEffect(c.inf, { direction: "increase", margin: 0.05 }).verdict;
      if (v === "reproduced" || v === "contradicted") calls++;
    }
    // measured here: 0.049 (with plain Satterthwaite df: 0.071)
    if (process.env.SHOW_SIM) console.log("false calls", calls / reps);
    expect(calls / reps).toBeLessThanOrEqual(0.06);
  });

  it("the 95% interval covers the true Δ in ≥ 0.94 of 400 experiments where seeds differ (3 seeds × 60 items); the bootstrap alone does not", () => {
    const rng = createRng(21);
    let covered = 0;
    let bootOnly = 0;
    const reps = 400;
    for (let r = 0; r < reps; r++) {
      const e = experiment(rng, { delta: 0.3, n: 60, seeds: 3, seedSd: 0.15, itemSd: 0.5, noiseSd: 0.5 });
      const seed = rng.int(1e9);
      const c = pooledContrast({ ...e, metric, seed, iterations: 999 });
      const [lo, hi] = confidenceInterval(c.inf, 0.95);
      if (lo <= 0.3 && 0.3 <= hi) covered++;
      const diffs = e.tuned.map((t, s) => t.map((x, i) => (x.values.m as number) - (e.reference[s][i].values.m as number)));
      const [blo, bhi] = confidenceInterval(seedPooledMeanDifference(diffs, undefined, { seed, iterations: 999 }), 0.95);
      if (blo <= 0.3 && 0.3 <= bhi) bootOnly++;
    }
    // measured here: 0.96 with the seed t test, 0.88 for the bootstrap alone (57% of Var(Δ̂) from the seeds)
    if (process.env.SHOW_SIM) console.log("coverage", covered / reps, "bootstrap alone", bootOnly / reps);
    expect(covered / reps).toBeGreaterThanOrEqual(0.94);
    expect(bootOnly / reps).toBeLessThan(covered / reps);
  });

  it("a planted Δ equal to the planned MDE is detected (p < 0.05) in ≥ 0.75 of 300 experiments", () => {
    const claim = { power: { kind: "continuous", sd: Math.sqrt(0.5 ** 2 + 0.5 ** 2), seedSd: 0.1, source: "the simulation" } } as unknown as Claim;
    const n = 80;
    const mde = plannedMde(claim, n, 3)!;
    const rng = createRng(22);
    let found = 0;
    const reps = 300;
    for (let r = 0; r < reps; r++) {
      const e = experiment(rng, { delta: mde, n, seeds: 3, seedSd: 0.1, itemSd: 0.5, noiseSd: 0.5 });
      const c = pooledContrast({ ...e, metric, seed: rng.int(1e9), iterations: 999 });
      if (twoSidedP(c.inf) < 0.05) found++;
    }
    // predicted ≥ 0.8: the plan counts all item variance as shared by the seeds, an upper bound
    // when half of it is not (as here); measured 0.84
    if (process.env.SHOW_SIM) console.log("power", found / reps, "mde", mde);
    expect(found / reps).toBeGreaterThanOrEqual(0.75);
    expect(found / reps).toBeLessThanOrEqual(0.97);
  });
});
