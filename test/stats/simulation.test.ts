/**
 * The calibration claims of `npm run bench:stats` (bench/stats.ts) at a scale the test suite
 * can afford: intervals cover at their nominal rate, an A/A comparison raises family-wise
 * false alarms at about α, "equivalent" is rare when |Δ| is the margin, a planted effect is
 * found at the planner's power — and the old percentile bootstrap fails, which shows these
 * tests can fail.
 *
 * Every simulation is seeded, so each result is one fixed number; a bound is chosen from
 * the binomial sd at its replicate count (sd = √(p(1 − p)/R)) so that a correct method
 * passes with room and a wrong one (the old method: 0.64 where 0.95 is due) cannot.
 */
import { describe, expect, it } from "vitest";
import { adjustAndJudge, buildLedgers, type Arm, type RunStore } from "../../src/audit/index.js";
import type { LanguageModel } from "../../src/backends/index.js";
import type { Item, ItemRecord, MetricSpec, MetricValues, Probe } from "../../src/probes/index.js";
import { createRng, hash32, type Rng } from "../../src/random/index.js";
import {
  bonferroniAlpha, confidenceInterval, normalCdf, normalQuantile, pairedBootstrap, pairedMeanDifference, pairedProportions, pairedProportionsN,
  pairedSetStatistic, tostP, twoSidedP, type PairedInference,
} from "../../src/stats/index.js";

const rngOf = (...parts: (string | number)[]) => createRng(hash32(["simulation.test", ...parts].join("|")));

/** Paired binary items: (1, 0) with p10, (0, 1) with p01, (1, 1) with baseRate − p10, else (0, 0). */
function binary(rng: Rng, n: number, p10: number, p01: number, baseRate = 0.6): { base: number[]; tuned: number[] } {
  const base: number[] = [];
  const tuned: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const pair = u < p10 ? [1, 0] : u < p10 + p01 ? [0, 1] : u < baseRate + p01 ? [1, 1] : [0, 0];
    base.push(pair[0]);
    tuned.push(pair[1]);
  }
  return { base, tuned };
}

/** Tango's inference on binary items drawn as above. */
const tango = (rng: Rng, n: number, p10: number, p01: number) => {
  const { base, tuned } = binary(rng, n, p10, p01);
  return pairedProportions(base, tuned);
};

/** The old method: the 95% percentile bootstrap interval of binary items drawn as above. */
const percentile = (rng: Rng, n: number, p10: number, p01: number, seed: number, iterations: number): [number, number] => {
  const { base, tuned } = binary(rng, n, p10, p01);
  const b = pairedBootstrap(base, tuned, { seed, iterations });
  return [b.lo, b.hi];
};

function continuous(rng: Rng, n: number, delta: number): { base: number[]; tuned: number[] } {
  const base = Array.from({ length: n }, () => rng.normal());
  return { base, tuned: base.map((b) => b + delta + rng.normal()) };
}

/** Share of R replicates whose 95% interval contains `truth`. */
function coverage(R: number, truth: number, interval: (rng: Rng, r: number) => [number, number], name: string): number {
  let hit = 0;
  for (let r = 0; r < R; r++) {
    const [lo, hi] = interval(rngOf(name, r), r);
    if (lo <= truth && truth <= hi) hit++;
  }
  return hit / R;
}

/** Pooled format entropy: each record is the counts of 4 samples over 4 formats. */
const entropyOf = (records: readonly number[][]) => {
  const c = [0, 0, 0, 0];
  for (const r of records) r.forEach((x, k) => (c[k] += x));
  const total = c.reduce((a, b) => a + b, 0);
  return c.reduce((h, x) => (x > 0 ? h - (x / total) * Math.log(x / total) : h), 0);
};
const MIX = { base: [[0.55, 0.25, 0.15, 0.05], [0.25, 0.35, 0.25, 0.15]], tuned: [[0.75, 0.15, 0.07, 0.03], [0.45, 0.3, 0.15, 0.1]] };
/** The pooled population distribution ½·(A + B), as one record of fractional counts. */
const pooledMix = (m: number[][]) => [m[0].map((p, k) => (p + m[1][k]) / 2)];
const ENTROPY_TRUTH = entropyOf(pooledMix(MIX.tuned)) - entropyOf(pooledMix(MIX.base));

function formats(rng: Rng, p: readonly number[]): number[] {
  const c = [0, 0, 0, 0];
  for (let s = 0; s < 4; s++) {
    let u = rng.next();
    let k = 0;
    while (k < 3 && u >= p[k]) u -= p[k++];
    c[k]++;
  }
  return c;
}

describe("coverage of nominal 95% intervals", () => {
  // R = 500: sd 0.0097 at 0.95, so 0.92 is 3 sd below nominal
  it("Tango's score interval, 500 replicates at n = 30 and n = 200: ≥ 0.92", () => {
    for (const n of [30, 200]) {
      const c = coverage(500, -0.05, (rng) => confidenceInterval(tango(rng, n, 0.1, 0.05), 0.95), `tango${n}`);
      expect(c, `n ${n}`).toBeGreaterThanOrEqual(0.92);
    }
  });

  // R = 300: sd 0.0126 at 0.95, so 0.91 is 3.2 sd below nominal
  it("the studentized bootstrap (B = 999), 300 replicates at n = 30: ≥ 0.91", () => {
    const c = coverage(300, 0.2, (rng, r) => {
      const { base, tuned } = continuous(rng, 30, 0.2);
      return confidenceInterval(pairedMeanDifference(base, tuned, undefined, { seed: r, iterations: 999 }), 0.95);
    }, "boot-t");
    expect(c).toBeGreaterThanOrEqual(0.91);
  });

  // the sign-flip test is exact, so its interval cannot cover less than 95% save by Monte Carlo noise (same bound as above)
  it("the exact sign-flip interval, 300 replicates at n = 12: ≥ 0.91", () => {
    const c = coverage(300, 0.3, (rng) => {
      const { base, tuned } = continuous(rng, 12, 0.3);
      const inf = pairedMeanDifference(base, tuned, undefined, { seed: 1 });
      expect(inf.method).toBe("sign-flip");
      return confidenceInterval(inf, 0.95);
    }, "sign-flip");
    expect(c).toBeGreaterThanOrEqual(0.91);
  });

  // R = 200: sd 0.015; 0.90 is 3.3 sd below nominal (bench:stats shows BCa about one point low on this statistic)
  it("BCa of a set-level statistic (pooled format entropy, B = 500), 200 replicates at n = 100: ≥ 0.90", () => {
    const c = coverage(200, ENTROPY_TRUTH, (rng, r) => {
      const base: number[][] = [];
      const tuned: number[][] = [];
      for (let i = 0; i < 100; i++) {
        const type = rng.next() < 0.5 ? 0 : 1;
        base.push(formats(rng, MIX.base[type]));
        tuned.push(formats(rng, MIX.tuned[type]));
      }
      return confidenceInterval(pairedSetStatistic(base, tuned, entropyOf, undefined, { seed: r, iterations: 500 }), 0.95);
    }, "bca");
    expect(c).toBeGreaterThanOrEqual(0.9);
  });

  // The defect the new methods fix: with p10 = 0.05, p01 = 0 and n = 20, no item changes in 0.95²⁰ = 36% of samples,
  // and the percentile bootstrap's interval is then [0, 0], which misses the true −0.05: coverage ≈ 0.64. A bound of
  // 0.8 is 12 sd (R = 300) above that, and 0.15 below nominal: a test that cannot be passed by a broken method.
  it("the OLD percentile bootstrap fails: a 5 pp loss at n = 20 is covered ≤ 0.8 (Tango's interval: ≥ 0.92)", () => {
    const old = coverage(300, -0.05, (rng, r) => percentile(rng, 20, 0.05, 0, r, 1000), "old");
    const fixed = coverage(300, -0.05, (rng) => confidenceInterval(tango(rng, 20, 0.05, 0), 0.95), "old");
    expect(old).toBeLessThanOrEqual(0.8);
    expect(fixed).toBeGreaterThanOrEqual(0.92);
  });
});

describe("equivalence is rarely claimed when |Δ| is the margin", () => {
  const equivalentRate = (R: number, name: string, margin: number, make: (rng: Rng, r: number) => { inf: PairedInference; n: number }) => {
    let k = 0;
    for (let r = 0; r < R; r++) {
      const { inf, n } = make(rngOf(name, r), r);
      const [row] = adjustAndJudge([{ n, delta: inf.estimate, margin, higherIsBetter: true, p: twoSidedP(inf), pTost: tostP(inf, margin), inference: inf }], "holm", 0.05);
      if (row.verdict === "equivalent") k++;
    }
    return k / R;
  };

  // TOST at the boundary has size α = 0.05: R = 1000 gives sd 0.0069, so 0.07 is 2.9 sd above
  it("binary, margin 2 pp, a 2 pp loss (one way or with churn), n = 200 and 1000, 1000 replicates each: ≤ 0.07", () => {
    for (const n of [200, 1000]) {
      for (const [p10, p01] of [[0.02, 0], [0.06, 0.04]]) {
        const rate = equivalentRate(1000, `eq${n}-${p10}`, 0.02, (rng) => ({ inf: tango(rng, n, p10, p01), n }));
        expect(rate, `n ${n}, p10 ${p10}, p01 ${p01}`).toBeLessThanOrEqual(0.07);
      }
    }
  });

  // R = 600 (B = 999): sd 0.0089 at 0.05, so 0.07 is 2.2 sd above
  it("continuous, margin 0.2 sd, Δ = the margin, n = 100, 600 replicates: ≤ 0.07", () => {
    const rate = equivalentRate(600, "eq-cont", 0.2, (rng, r) => {
      const { base, tuned } = continuous(rng, 100, 0.2);
      return { inf: pairedMeanDifference(base, tuned, undefined, { seed: r, iterations: 999 }), n: 100 };
    });
    expect(rate).toBeLessThanOrEqual(0.07);
  });

  // The old rule ("unchanged": the percentile interval within ±margin) says so whenever no item changed: 36% at n = 20
  it("while the OLD rule called a 5 pp loss at n = 20 'unchanged' about a third of the time (≥ 0.25 of 300)", () => {
    let k = 0;
    for (let r = 0; r < 300; r++) {
      const [lo, hi] = percentile(rngOf("old-rule", r), 20, 0.05, 0, r, 500);
      if (lo >= -0.02 && hi <= 0.02) k++;
    }
    expect(k / 300).toBeGreaterThanOrEqual(0.25);
  });
});

describe("a planted effect is found at the planner's power", () => {
  // One binary row of a 20-row ledger planned at α/20: at the planner's n the McNemar score test should detect δ = the
  // margin with power 0.8. R = 400: sd 0.02, so |detected − 0.8| ≤ 0.1 is 5 sd.
  it("Tango at pairedProportionsN's n (δ = 0.03, churn 0.02, α/20): detection within 0.1 of 0.8", () => {
    const alpha = bonferroniAlpha(0.05, 20);
    const { n } = pairedProportionsN({ alpha, power: 0.8, p10: 0.05, p01: 0.02 });
    let detected = 0;
    for (let r = 0; r < 400; r++) {
      const inf = tango(rngOf("planted", r), n, 0.05, 0.02);
      if (twoSidedP(inf) < alpha && inf.estimate < 0) detected++;
    }
    // the power the planner solved for (Connor 1987), recomputed at the rounded-up n
    const predicted = normalCdf((0.03 * Math.sqrt(n) - normalQuantile(1 - alpha / 2) * Math.sqrt(0.07)) / Math.sqrt(0.07 - 0.0009));
    expect(predicted).toBeCloseTo(0.8, 2);
    expect(Math.abs(detected / 400 - predicted)).toBeLessThanOrEqual(0.1);
  });
});

// ── A/A ledgers: a small audit's row mix through the real buildLedgers ──

const logistic = (x: number) => 1 / (1 + Math.exp(-x));

function metric(name: string, role: MetricSpec["role"], kind: MetricSpec["kind"], o: Partial<MetricSpec> = {}): MetricSpec {
  return { name, role, kind, higherIsBetter: true, unit: kind === "binary" ? "share" : "number", description: name, margin: 0.03, ...o };
}

type Draw = (z: number, rng: Rng) => number | null;

function simProbe(id: string, metrics: MetricSpec[], draw: Record<string, Draw>, perDomain = false): { probe: Probe; draw: Record<string, Draw> } {
  const run = () => {
    throw new Error("buildLedgers never runs a probe");
  };
  return { probe: { id, version: 1, title: id, description: "simulated", reference: "test", metrics, perDomain, applies: () => true, run }, draw };
}

/** k samples with success probability p: the share correct. */
const shareOf = (r: Rng, p: number, k = 4) => Array.from({ length: k }, () => r.next() < p).filter(Boolean).length / k;

/** Per probe: its metrics and how one arm draws each value on an item with latent z (null = not measured). */
const SIM = [
  simProbe("task.accuracy", [metric("accuracy", "proxy", "binary", { margin: 0.02 })], { accuracy: (z, r) => +(r.next() < logistic(1 + 2.5 * z)) }, true),
  simProbe("format.collapse", [
    metric("pass@1", "proxy", "continuous"), metric("pass@k", "capability", "binary"),
    metric("format-entropy", "capability", "continuous", { margin: 0.05, aggregate: (rs) => entropyOf(rs.map((v) => [0, 1, 2, 3].map((k) => v[`c${k}`] as number))) }),
  ], { "pass@1": (z, r) => shareOf(r, logistic(1 + 2 * z)), "pass@k": (z, r) => +(r.next() < logistic(2 + 2 * z)) }),
  simProbe("diversity", [metric("validity", "proxy", "continuous"), metric("distinct", "capability", "continuous"), metric("self-bleu", "capability", "continuous", { higherIsBetter: false })], {
    validity: (z, r) => shareOf(r, logistic(2 + z)),
    distinct: (z, r) => (r.next() < 0.1 ? null : 0.5 + 0.08 * z + 0.06 * r.normal()),
    "self-bleu": (z, r) => 0.6 + 0.15 * z + 0.15 * (-Math.log(1 - r.next()) - 1),
  }),
  simProbe("knowledge.retention", [metric("compliance", "proxy", "binary", { margin: 0.02 }), metric("closed-book", "capability", "binary", { margin: 0.02 })], {
    compliance: (z, r) => +(r.next() < logistic(3 + z)), "closed-book": (z, r) => +(r.next() < logistic(3 * z)),
  }),
  simProbe("calibration", [
    metric("confidence", "proxy", "continuous", { margin: 0.02 }), metric("accuracy", "capability", "binary", { margin: 0.02 }),
    metric("brier", "capability", "continuous", { higherIsBetter: false, margin: 0.02 }),
  ], {
    confidence: (z, r) => 0.7 + 0.15 * z + 0.05 * r.normal(), accuracy: (z, r) => +(r.next() < logistic(1 + 2 * z)), brier: (z, r) => 0.35 + 0.15 * z + 0.06 * r.normal(),
  }),
  simProbe("knowledge.drift", [metric("kl", "capability", "continuous", { higherIsBetter: false, margin: 0.01 }), metric("nll", "capability", "continuous", { higherIsBetter: false, margin: 0.02 })], {
    kl: (z, r) => Math.exp(-4 + 0.7 * z + 0.5 * r.normal()), nll: (z, r) => 1.5 + 0.4 * z + 0.05 * r.normal(),
  }),
];

/** 40 items in two domains; the knowledge items ask 20 facts twice (clusters). */
const ITEMS: Item[] = Array.from({ length: 40 }, (_, i) => ({ id: `i${i}`, prompt: `q${i}`, answer: "x", domain: i % 2 ? "arithmetic" : "knowledge", cluster: `f${Math.floor(i / 2)}` }));

function aaLedger(seed: number) {
  const rng = rngOf("aa", seed);
  const arms = [rngOf("aa", seed, "base"), rngOf("aa", seed, "tuned")];
  const records = new Map<string, ItemRecord[]>();
  for (const { probe, draw } of SIM) {
    const latent = probe.metrics.map(() => ITEMS.map(() => rng.normal()));
    const types = ITEMS.map(() => (rng.next() < 0.5 ? 0 : 1));
    ["base", "tuned1"].forEach((arm, a) => records.set(`${arm}|${probe.id}`, ITEMS.map((it, i) => {
      const values: Record<string, number | null> = {};
      probe.metrics.forEach((m, k) => {
        if (draw[m.name]) values[m.name] = draw[m.name](latent[k][i], arms[a]);
      });
      if (probe.id === "format.collapse") formats(arms[a], MIX.base[types[i]]).forEach((x, k) => (values[`c${k}`] = x));
      return { itemId: it.id, values, detail: {} };
    })));
  }
  const no = () => {
    throw new Error("only records are read");
  };
  const store: RunStore = { path: ":memory:", beginRun: no, doneItems: no, putRecord: no, items: no, finishRun: no, run: no, runs: no, countRecords: no, close: () => {}, records: (_r, arm, p) => records.get(`${arm}|${p}`) ?? [] };
  const lm = { id: "m", generate: no, generateBatch: no, score: no, scoreBatch: no, close: async () => {} } as unknown as LanguageModel;
  const probes = SIM.map((s) => s.probe);
  const arm = (key: string, index: number): Arm => ({ key, index, role: index ? "tuned" : "base", inBaseFormat: false, model: { spec: key, model: lm, format: { kind: "raw" } }, format: { kind: "raw" }, probes });
  return buildLedgers({
    runId: `aa${seed}`, store, arms: [arm("base", 0), arm("tuned1", 1)], probes, items: ITEMS, unavailable: [],
    // NOTE: a two-sided bootstrap p cannot fall below about 2/(B + 1) (bootstrap-t) or 1/(B + 1) (BCa); with 16 rows
    // Holm's first level is 0.05/16 = 0.0031, so B = 999 and 500 (floors 0.002) still let every row reject
    settings: { iterations: 999, setIterations: 500, alpha: 0.05, adjust: "holm", seed, examples: 0 },
  })[0];
}

describe("A/A: two draws of the same process", () => {
  // Holm keeps the family-wise error ≤ α = 0.05; 60 ledgers give sd 0.028, so 0.08 (≤ 4 of 60) is one sd above α
  it("60 simulated ledgers (16 rows: binary, continuous, set, proxy and capability): family-wise false alarms ≤ 0.08", () => {
    let alarms = 0;
    let rows = 0;
    for (let s = 0; s < 60; s++) {
      const l = aaLedger(s);
      rows += l.rows.length;
      const bad = l.rows.some((r) => ["gained", "lost", "negligible"].includes(r.verdict)) || l.hiddenTrades.length > 0;
      if (bad) alarms++;
    }
    expect(rows / 60).toBeGreaterThanOrEqual(15);
    expect(alarms / 60).toBeLessThanOrEqual(0.08);
  });
});
