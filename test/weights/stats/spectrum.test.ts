/**
 * Randomized SVD (Halko, Martinsson & Tropp 2011, Algorithm 4.4) against matrices with
 * known spectra, A = U diag(σ) Vᵀ with U, V from seeded Gram–Schmidt. The matrix the
 * code sees is A rounded to float32, A + E; by Weyl's inequality each singular value then
 * moves by at most ‖E‖₂ ≤ ‖E‖_F, which the tests compute exactly and use as tolerance.
 * Plus: stable rank (Rudelson & Vershynin 2007) and effective rank (Roy & Vetterli 2007)
 * of hand-made spectra.
 */
import { describe, expect, it } from "vitest";
import { effectiveRank, singularValues, stableRank } from "../../../src/weights/spectrum.js";
import { createRng, type Rng } from "../../../src/random/index.js";

/** k orthonormal columns of length n (row-major n × k), by Gram–Schmidt (twice) of normals. */
function orthonormalColumns(rng: Rng, n: number, k: number): Float64Array {
  const q = new Float64Array(n * k);
  const v = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (let d = 0; d < c; d++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += v[i] * q[i * k + d];
        for (let i = 0; i < n; i++) v[i] -= s * q[i * k + d];
      }
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * k + c] = v[i] / norm;
  }
  return q;
}

/** U diag(σ) Vᵀ (m × n) rounded to float32, and ‖E‖_F of that rounding. */
function withSpectrum(seed: number, m: number, n: number, sigma: readonly number[]) {
  const rng = createRng(seed);
  const r = sigma.length;
  const u = orthonormalColumns(rng, m, r);
  const v = orthonormalColumns(rng, n, r);
  const a = new Float32Array(m * n);
  let errSq = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < r; c++) s += u[i * r + c] * sigma[c] * v[j * r + c];
      a[i * n + j] = s;
      errSq += (a[i * n + j] - s) ** 2;
    }
  }
  return { a, weyl: Math.sqrt(errSq) };
}

function maxAbsDiff(got: ArrayLike<number>, want: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst;
}

describe("singularValues", () => {
  it("finds the top k of a geometric spectrum to within float32 rounding", () => {
    const sigma = Array.from({ length: 60 }, (_, i) => 10 * 0.7 ** i);
    const { a, weyl } = withSpectrum(4, 60, 80, sigma);
    const s = singularValues(a, 60, 80, { rank: 10, oversample: 10, powerIterations: 3, rng: createRng(9) });
    expect(s.length).toBe(10);
    expect(maxAbsDiff(s, sigma.slice(0, 10))).toBeLessThanOrEqual(weyl + 1e-12);
    // The same on the transpose (the sketch then runs along the other side).
    const at = new Float32Array(80 * 60);
    for (let i = 0; i < 60; i++) for (let j = 0; j < 80; j++) at[j * 60 + i] = a[i * 80 + j];
    const st = singularValues(at, 80, 60, { rank: 10, oversample: 10, powerIterations: 3, rng: createRng(9) });
    expect(maxAbsDiff(st, sigma.slice(0, 10))).toBeLessThanOrEqual(weyl + 1e-12);
  });

  it("needs power iterations on a slowly decaying spectrum (σᵢ = 1/i), and they work", () => {
    const sigma = Array.from({ length: 100 }, (_, i) => 1 / (i + 1));
    const { a, weyl } = withSpectrum(3, 100, 120, sigma);
    const err = (q: number) =>
      maxAbsDiff(singularValues(a, 100, 120, { rank: 5, oversample: 5, powerIterations: q, rng: createRng(9) }), sigma.slice(0, 5));
    const e0 = err(0);
    const e8 = err(8);
    expect(e0).toBeGreaterThan(0.01); // a plain sketch is visibly off here ...
    expect(e8).toBeLessThanOrEqual(weyl + 1e-9); // ... 8 rounds of subspace iteration are not
  });

  it("is exact when rank + oversample ≥ min(rows, cols)", () => {
    const sigma = [5, 4, 3, 1, 0.5, 1e-3, 1e-6];
    const { a, weyl } = withSpectrum(21, 9, 7, sigma);
    const s = singularValues(a, 9, 7, { rank: 7, rng: createRng(1) });
    expect(s.length).toBe(7);
    expect(maxAbsDiff(s, sigma)).toBeLessThanOrEqual(weyl + 1e-14);
    // rank 5 + oversample 2 = 7 = min dim: also exact, top 5 only.
    const s5 = singularValues(a, 9, 7, { rank: 5, oversample: 2, rng: createRng(1) });
    expect([...s5]).toEqual([...s].slice(0, 5));
  });

  it("is exact through the sketch when the matrix has lower rank than the sketch", () => {
    // u vᵀ + 2 w zᵀ with small integers: exactly rank 2 in float32. rank 2, oversample 2
    // (sketch of 4 < min dim 12) must reproduce the exact path's values.
    const m = 12;
    const n = 15;
    const a = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] = ((i % 5) - 2) * ((j % 4) - 1) + 2 * ((i % 3) - 1) * ((j % 7) - 3);
    const exact = singularValues(a, m, n, { rank: 12, rng: createRng(0) });
    const sketched = singularValues(a, m, n, { rank: 2, oversample: 2, powerIterations: 1, rng: createRng(5) });
    expect(exact[2]).toBeLessThan(1e-12 * exact[0]);
    for (let i = 0; i < 2; i++) expect(Math.abs(sketched[i] - exact[i])).toBeLessThanOrEqual(1e-9 * exact[i]);
    // Asked for more values than the rank: the rest are (numerically) zero.
    const more = singularValues(a, m, n, { rank: 4, oversample: 1, rng: createRng(5) });
    expect(more[2]).toBeLessThan(1e-9 * more[0]);
    expect(more[3]).toBeLessThan(1e-9 * more[0]);
  });

  it("is deterministic for a seed and returns min(rank, rows, cols) values, descending", () => {
    const rng = createRng(2);
    const a = Float32Array.from({ length: 40 * 50 }, () => rng.normal());
    const copy = a.slice();
    const opts = () => ({ rank: 6, oversample: 4, powerIterations: 1, rng: createRng(77) });
    const s1 = singularValues(a, 40, 50, opts());
    const s2 = singularValues(a, 40, 50, opts());
    expect([...s1]).toEqual([...s2]);
    expect([...a]).toEqual([...copy]); // input untouched
    for (let i = 1; i < s1.length; i++) expect(s1[i]).toBeLessThanOrEqual(s1[i - 1]);
    expect(singularValues(a, 40, 50, { rank: 100, rng: createRng(1) }).length).toBe(40);
    expect(singularValues(a, 40, 50, { rank: 6, oversample: 4, powerIterations: 1, rng: createRng(78) })[5]).not.toBe(s1[5]);
  });

  it("handles zero, NaN and bad shapes", () => {
    expect([...singularValues(new Float32Array(12), 3, 4, { rank: 2, rng: createRng(1) })]).toEqual([0, 0]);
    const withNaN = new Float32Array(12);
    withNaN[7] = NaN;
    const s = singularValues(withNaN, 3, 4, { rank: 2, rng: createRng(1) });
    expect(s.length).toBe(2);
    expect(s[0]).toBeNaN();
    expect(singularValues(new Float32Array(0), 0, 5, { rank: 3, rng: createRng(1) }).length).toBe(0);
    expect(() => singularValues(new Float32Array(12), 3, 5, { rank: 2, rng: createRng(1) })).toThrow(/not 3 × 5/);
    expect(() => singularValues(new Float32Array(12), 3, 4, { rank: 0, rng: createRng(1) })).toThrow(/rank/);
  });
});

describe("stableRank and effectiveRank", () => {
  it("give n for I_n and c·I_n, and 1 for a rank-1 matrix", () => {
    const n = 6;
    const eye = new Float32Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 1;
    const s = singularValues(eye, n, n, { rank: n, rng: createRng(1) });
    // ‖I‖_F² = n, σ₁ = 1 → n.
    expect(stableRank(n, s[0])).toBeCloseTo(n, 12);
    const scaled = eye.map((x) => 2.5 * x);
    const sc = singularValues(scaled, n, n, { rank: n, rng: createRng(1) });
    // All σ equal → pᵢ = 1/n → H = log n → erank n.
    expect(effectiveRank(sc)).toEqual({ value: expect.closeTo(n, 12), exact: true, lower: expect.closeTo(n, 12), upper: expect.closeTo(n, 12) });
    const r1 = new Float32Array(5 * 8);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 8; j++) r1[i * 8 + j] = (i + 1) * (j - 3.5);
    const sr = singularValues(r1, 5, 8, { rank: 5, rng: createRng(1) });
    expect(effectiveRank(sr)?.value).toBeCloseTo(1, 9);
    let frob = 0;
    for (const x of r1) frob += x * x;
    expect(stableRank(frob, sr[0])).toBeCloseTo(1, 12);
  });

  it("compute the definitions on a hand example", () => {
    // σ = [3, 1]: ‖·‖_F² = 10, stable rank 10/9; p = [3/4, 1/4],
    // H = −(3/4) ln(3/4) − (1/4) ln(1/4) = 0.5623351446188083, erank = e^H = 1.7547653...
    expect(stableRank(10, 3)).toBeCloseTo(10 / 9, 15);
    const h = -(0.75 * Math.log(0.75)) - 0.25 * Math.log(0.25);
    expect(h).toBeCloseTo(0.5623351446188083, 15);
    expect(effectiveRank([3, 1])?.value).toBeCloseTo(Math.exp(h), 14);
    expect(stableRank(0, 0)).toBeNull();
    expect(effectiveRank([0, 0, 0])).toBeNull();
    expect(() => effectiveRank([1, -1])).toThrow(/≥ 0/);
    expect(effectiveRank([1, NaN])?.value).toBeNaN();
  });

  it("brackets the effective rank when only the top k are known", () => {
    // Known σ = [2]; ‖Δ‖_F² = 7 and 4 values in all: residual 3 over 3 missing values →
    // each √(3/3) = 1. upper = erank([2, 1, 1, 1]): p = [0.4, 0.2, 0.2, 0.2],
    // H = −0.4 ln 0.4 − 0.6 ln 0.2 = 1.3321790402101223, e^H = 3.7892914162759955.
    // lower = erank([2]) = 1.
    const e = effectiveRank([2], { frobeniusSq: 7, minDim: 4 });
    expect(e?.exact).toBe(false);
    expect(e?.lower).toBe(1);
    expect(e?.upper).toBeCloseTo(3.7892914162759955, 13);
    expect(e?.value).toBe(e?.upper);
    // All the energy already in the given values: exact.
    expect(effectiveRank([3, 1], { frobeniusSq: 10, minDim: 5 })?.exact).toBe(true);
    expect(effectiveRank([3, 1], { frobeniusSq: 10, minDim: 2 })?.exact).toBe(true);
    // On random spectra the true value lies between the two bounds, for every k. Values are
    // log-uniform in [1e-3, 1]: the residual ‖Δ‖_F² − Σσᵢ² hides tail energy below ~1e-16
    // ‖Δ‖_F² (σ below ~1e-8 of the top), and such a tail can put `upper` ~1e-10 under the truth.
    const rng = createRng(13);
    for (let trial = 0; trial < 20; trial++) {
      const d = 5 + rng.int(30);
      const full = Array.from({ length: d }, () => 10 ** (-3 * rng.next())).sort((x, y) => y - x);
      const truth = effectiveRank(full)?.value as number;
      const frobeniusSq = full.reduce((s, x) => s + x * x, 0);
      for (let k = 1; k < d; k++) {
        const b = effectiveRank(full.slice(0, k), { frobeniusSq, minDim: d });
        expect(b?.lower).toBeLessThanOrEqual(truth * (1 + 1e-12));
        expect(b?.upper).toBeGreaterThanOrEqual(truth * (1 - 1e-9));
      }
    }
  });
});
