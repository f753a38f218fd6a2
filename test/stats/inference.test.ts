/**
 * Each ledger row is one family of one-sided tests (src/stats inference.ts): its p-value,
 * its interval at any level and its TOST p-value must agree, for every method. Values
 * worked by hand:
 *
 *   Tango, b = c = 0 (no item changed), n items: Z(δ) = −√(nδ/(1 − δ)) for δ > 0, so the
 *     95% interval is ±z²/(n + z²) with z = Φ⁻¹(0.975): ±16.1 pp at n = 20, ±0.38 pp at 1000
 *   Tango at δ₀ = 0 with b discordant one way and c the other: the constrained MLE of
 *     P(base right, tuned wrong) is (b + c)/(2n), so Z = (c − b)/√(b + c), McNemar's statistic
 *   the sign-flip test with n ≤ 16 items all of one sign: only the observed pattern is as
 *     extreme, so the two-sided p is 2 · 2⁻ⁿ (0.0625 at n = 5)
 */
import { describe, expect, it } from "vitest";
import { createRng, type Rng } from "../../src/random/index.js";
import {
  confidenceInterval, normalCdf, normalQuantile, pairedMeanDifference, pairedProportions, pairedSetStatistic, seedPooledMeanDifference, tangoZ, tostP,
  twoSidedP, type PairedInference,
} from "../../src/stats/index.js";

const Z975 = normalQuantile(0.975);

/** Case k of a property test: its own seeded generator. */
const rngOf = (name: string, k: number) => createRng(((k + 1) * 2654435761) ^ [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7));

/** A level-a parameter spread over two decades (0.01 … 0.2), inside every method's p-value resolution here. */
const levelOf = (rng: Rng) => 0.01 * 20 ** rng.next();

/** Paired binary data with discordant shares p10, p01 (base rate 0.5). */
function binary(rng: Rng, n: number, p10: number, p01: number): { base: number[]; tuned: number[] } {
  const base: number[] = [];
  const tuned: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    const pair = u < p10 ? [1, 0] : u < p10 + p01 ? [0, 1] : rng.next() < 0.5 ? [1, 1] : [0, 0];
    base.push(pair[0]);
    tuned.push(pair[1]);
  }
  return { base, tuned };
}

/** Continuous pairs whose differences are normal with mean `shift` (no ties). */
function continuous(rng: Rng, n: number, shift: number): { base: number[]; tuned: number[] } {
  const base = Array.from({ length: n }, () => rng.normal());
  return { base, tuned: base.map((b) => b + shift + rng.normal()) };
}

/** The standard deviation: a set-level statistic whose difference BCa must handle. */
const sdOf = (xs: readonly number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** One random case of each method (k = the case's index), with a short description for failures. */
const METHODS: Record<string, (rng: Rng) => { inf: PairedInference; what: string }> = {
  tango: (rng) => {
    const n = 5 + rng.int(300);
    const p10 = 0.3 * rng.next();
    const p01 = 0.3 * rng.next();
    const { base, tuned } = binary(rng, n, p10, p01);
    const clusters = rng.next() < 0.5 ? base.map((_, i) => `c${Math.floor(i / 3)}`) : undefined;
    return { inf: pairedProportions(base, tuned, clusters), what: `n ${n}, p10 ${p10.toFixed(3)}, p01 ${p01.toFixed(3)}, clusters ${clusters !== undefined}` };
  },
  "bootstrap-t": (rng) => {
    const n = 20 + rng.int(60);
    const shift = 0.8 * (rng.next() - 0.5);
    const { base, tuned } = continuous(rng, n, shift);
    const clusters = n >= 40 && rng.next() < 0.5 ? base.map((_, i) => `c${Math.floor(i / 2)}`) : undefined;
    return { inf: pairedMeanDifference(base, tuned, clusters, { seed: rng.int(1e9), iterations: 999 }), what: `n ${n}, shift ${shift.toFixed(3)}, clusters ${clusters !== undefined}` };
  },
  "sign-flip": (rng) => {
    // 8 … 19 items: exact below 17, Monte Carlo above; 2⁻⁸ is below every level tested
    const n = 8 + rng.int(12);
    const shift = 1.6 * (rng.next() - 0.5);
    const { base, tuned } = continuous(rng, n, shift);
    return { inf: pairedMeanDifference(base, tuned, undefined, { seed: rng.int(1e9), iterations: 1999 }), what: `n ${n}, shift ${shift.toFixed(3)}` };
  },
  bca: (rng) => {
    const n = 12 + rng.int(50);
    const base = Array.from({ length: n }, () => rng.normal());
    const scale = 0.5 + rng.next();
    const tuned = base.map((b) => scale * b + 0.5 * rng.normal());
    return { inf: pairedSetStatistic(base, tuned, sdOf, undefined, { seed: rng.int(1e9), iterations: 999 }), what: `n ${n}, scale ${scale.toFixed(3)}` };
  },
  "seed-bootstrap": (rng) => {
    const seeds = 2 + rng.int(4);
    const n = 10 + rng.int(30);
    const shift = 0.8 * (rng.next() - 0.5);
    const diffs = Array.from({ length: seeds }, () => {
      const s = shift + 0.3 * rng.normal();
      return Array.from({ length: n }, () => s + rng.normal());
    });
    return { inf: seedPooledMeanDifference(diffs, undefined, { seed: rng.int(1e9), iterations: 1999 }), what: `${seeds} seeds, n ${n}, shift ${shift.toFixed(3)}` };
  },
};

const CASES_PER_METHOD = 40;

describe("Tango's score interval and test", () => {
  it("has width when no item changed: ±z²/(n + z²) at n = 20 and 1000", () => {
    for (const n of [20, 1000]) {
      const base = Array.from({ length: n }, (_, i) => i % 2);
      const [lo, hi] = confidenceInterval(pairedProportions(base, base), 0.95);
      const w = (Z975 * Z975) / (n + Z975 * Z975);
      expect(lo).toBeCloseTo(-w, 10);
      expect(hi).toBeCloseTo(w, 10);
    }
    expect((Z975 * Z975) / (20 + Z975 * Z975)).toBeCloseTo(0.1611, 4);
  });

  it("is McNemar's statistic at δ₀ = 0: Z = (c − b)/√(b + c), fractional counts too", () => {
    for (const [n, c, b] of [[50, 7, 2], [30, 0, 5], [100, 13, 13], [40.5, 3.3, 7.1], [1000, 1, 0]]) {
      expect(tangoZ(n, c, b, 0)).toBeCloseTo((c - b) / Math.sqrt(b + c), 12);
    }
    // and the row's two-sided p is McNemar's asymptotic p: b = 6, c = 1 of 40 items
    const base = [...Array(6).fill(1), 0, ...Array(33).fill(1)];
    const tuned = [...Array(6).fill(0), 1, ...Array(33).fill(1)];
    expect(twoSidedP(pairedProportions(base, tuned))).toBeCloseTo(2 * normalCdf(-5 / Math.sqrt(7)), 12);
  });
});

describe("one family of tests: p, the interval and the TOST p agree", () => {
  for (const [name, make] of Object.entries(METHODS)) {
    it(`${name}: the 1 − a interval excludes 0 exactly when p < a; TOST p < a exactly when the 1 − 2a interval lies within ±margin`, () => {
      let excluded = 0;
      let equivalent = 0;
      for (let k = 0; k < CASES_PER_METHOD; k++) {
        const rng = rngOf(name, k);
        const { inf, what } = make(rng);
        expect(inf.method, what).toBe(name === "tango" ? "tango-score" : name);
        const a = levelOf(rng);
        const p = twoSidedP(inf);
        const [lo, hi] = confidenceInterval(inf, 1 - a);
        expect(lo > 0 || hi < 0, `case ${k} (${what}): a ${a}, p ${p}, interval [${lo}, ${hi}]`).toBe(p < a);
        if (p < a) excluded++;
        // a margin near the farther end of the 1 − 2a interval, so both outcomes occur
        const [lo2, hi2] = confidenceInterval(inf, 1 - 2 * a);
        const margin = Math.max(Math.abs(lo2), Math.abs(hi2)) * (0.85 + 0.3 * rng.next());
        const pt = tostP(inf, margin);
        expect(lo2 > -margin && hi2 < margin, `case ${k} (${what}): a ${a}, margin ${margin}, TOST p ${pt}, interval [${lo2}, ${hi2}]`).toBe(pt < a);
        if (pt < a) equivalent++;
      }
      // the cases must exercise both sides of each equivalence
      expect(excluded).toBeGreaterThan(3);
      expect(excluded).toBeLessThan(CASES_PER_METHOD - 3);
      expect(equivalent).toBeGreaterThan(3);
      expect(equivalent).toBeLessThan(CASES_PER_METHOD - 3);
    });
  }

  // NOTE: a known defect (reported; not fixed here): below its p-value resolution a method's interval stops at its
  // search range (the data's range, widened to 0) instead of extending to where the test rejects, so the interval can
  // lie inside ±margin while the TOST p does not. Five items, all of one sign: every p is ≥ 2⁻⁵ = 0.03125, so at
  // a = 0.025 nothing is rejected anywhere, yet the 95% interval is [0, 2.0]. When this is fixed, drop `.fails`.
  it("sign-flip with 5 items: the 95% interval covers every value the test does not reject", () => {
    const d = [0.3, 1.1, 0.7, 2.0, 0.5];
    const inf = pairedMeanDifference(d.map(() => 0), d, undefined, { seed: 1 });
    expect(twoSidedP(inf, 10)).toBeGreaterThan(0.05);
    expect(tostP(inf, 10)).toBeGreaterThanOrEqual(0.025);
    const [lo, hi] = confidenceInterval(inf, 0.95);
    expect(lo <= -10 && hi >= 10, `interval [${lo}, ${hi}]`).toBe(true);
  });
});

describe("the sign-flip test is exact for small n", () => {
  it("p = 2/2ⁿ when every difference has the same sign", () => {
    for (const n of [5, 10, 16]) {
      const d = Array.from({ length: n }, (_, i) => 0.1 + 0.37 * i);
      for (const sign of [1, -1]) {
        const inf = pairedMeanDifference(d.map(() => 0), d.map((x) => sign * x), undefined, { seed: 3 });
        expect(inf.method).toBe("sign-flip");
        expect(twoSidedP(inf)).toBe(2 / 2 ** n);
      }
    }
  });
});

describe("clusters", () => {
  // 30 clusters of 4 items that change together (intra-cluster correlation 1)
  const rng = createRng(11);
  const base: number[] = [];
  const tuned: number[] = [];
  const labels: string[] = [];
  for (let c = 0; c < 30; c++) {
    const u = rng.next();
    const pair = u < 0.2 ? [1, 0] : u < 0.3 ? [0, 1] : [1, 1];
    for (let j = 0; j < 4; j++) {
      base.push(pair[0]);
      tuned.push(pair[1]);
      labels.push(`c${c}`);
    }
  }
  const width = (inf: PairedInference) => {
    const [lo, hi] = confidenceInterval(inf, 0.95);
    return hi - lo;
  };

  it("binary: a design effect > 1 for correlated clusters, and a wider interval", () => {
    const flat = pairedProportions(base, tuned);
    const grouped = pairedProportions(base, tuned, labels);
    expect(flat.designEffect).toBe(1);
    // identical items: the cluster-robust variance is about 4× (the cluster size) the independent one
    expect(grouped.designEffect).toBeGreaterThan(2.5);
    expect(grouped.clusters).toBe(30);
    expect(width(grouped)).toBeGreaterThan(1.4 * width(flat));
  });

  it("continuous: the bootstrap over clusters gives a wider interval than over items", () => {
    const r = createRng(12);
    const shared = Array.from({ length: 30 }, () => r.normal());
    const b = labels.map(() => r.normal());
    const t = b.map((x, i) => x + 0.2 + shared[Math.floor(i / 4)] + 0.3 * r.normal());
    const flat = pairedMeanDifference(b, t, undefined, { seed: 5, iterations: 2000 });
    const grouped = pairedMeanDifference(b, t, labels, { seed: 5, iterations: 2000 });
    expect(grouped.clusters).toBe(30);
    expect(width(grouped)).toBeGreaterThan(1.4 * width(flat));
  });
});

describe("bad input is a RangeError that names the problem", () => {
  it("mismatched lengths, non-0/1 binary values, non-finite values, labels, levels", () => {
    expect(() => pairedProportions([1, 0], [1])).toThrow(RangeError);
    expect(() => pairedProportions([1, 0], [1])).toThrow(/pair item by item: 2 vs 1/);
    expect(() => pairedProportions([1, 2], [1, 0])).toThrow(/item 1: binary values must be 0 or 1, got base 2 and tuned 0/);
    expect(() => pairedProportions([1, 0], [0.5, 0])).toThrow(/item 0: binary values must be 0 or 1/);
    expect(() => pairedProportions([1, 0], [1, 1], ["a"])).toThrow(/one cluster label per item: 1 labels for 2 values/);
    expect(() => pairedMeanDifference([1, 2, 3], [1, 2], undefined, { seed: 1 })).toThrow(/pair item by item: 3 vs 2/);
    expect(() => pairedMeanDifference([1, NaN], [1, 2], undefined, { seed: 1 })).toThrow(/item 1: values must be finite numbers/);
    expect(() => pairedSetStatistic([1, 2], [1], sdOf, undefined, { seed: 1 })).toThrow(/pair item by item: 2 vs 1/);
    expect(() => seedPooledMeanDifference([[1, 2], [1]], undefined, { seed: 1 })).toThrow(/every seed must have the same items: 1 vs 2/);
    const inf = pairedProportions([1, 0, 1], [1, 1, 1]);
    expect(() => confidenceInterval(inf, 1.2)).toThrow(/level must be in \(0, 1\), got 1.2/);
    for (const f of [() => pairedProportions([1, 0], [1]), () => pairedMeanDifference([1, NaN], [1, 2], undefined, { seed: 1 }), () => seedPooledMeanDifference([[1, 2], [1]], undefined, { seed: 1 })]) {
      expect(f).toThrow(RangeError);
    }
  });
});
