/**
 * The weight-diff measurements against numpy (docs/CONTRIBUTING.md §5): a reference we did
 * not write. test/fixtures/weights/spectrum-f64.json comes from
 *
 *   python3 test/fixtures/weights/make_spectrum_fixture.py > test/fixtures/weights/spectrum-f64.json
 *
 * (numpy.linalg.svd, LAPACK gesdd, in float64 on float32-rounded matrices). Checked: every
 * singular value of four small matrices (random 7×5 and 12×20, an exact rank-2 9×9, a
 * graded 10×6 with σ from 1 to 1e-5), their stable and effective ranks, the top-3
 * effective-rank bracket, and deltaStats of a fixed base/tuned pair. A failure names the
 * quantity, the largest difference and the first index out of tolerance.
 *
 * Tolerance |got − ref| ≤ 1e-9 |ref| + 1e-13 σ₁: both sides are backward stable in float64,
 * so each σ agrees to ~1e-15 σ₁ (measured ≤ 1e-15; the graded 1e-5 value to 4.6e-13 relative);
 * the rank-2 matrix's zero values are rounding noise (~1e-15 σ₁) on both sides.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deltaPartial, deltaStats } from "../../../src/weights/delta.js";
import { effectiveRank, singularValues, stableRank } from "../../../src/weights/spectrum.js";
import { createRng } from "../../../src/random/index.js";

const FIXTURE_VERSION = 1;

interface MatrixCase {
  name: string;
  rows: number;
  cols: number;
  values: number[];
  singular_values: number[];
  frobenius_sq: number;
  stable_rank: number;
  effective_rank: number;
  top3_effective_rank_lower?: number;
  top3_effective_rank_upper?: number;
}

interface Fixture {
  version: number;
  generator: string;
  matrices: MatrixCase[];
  delta: Record<string, number | number[]> & { base: number[]; tuned: number[]; threshold: number };
}

const fixture = JSON.parse(readFileSync(new URL("../../fixtures/weights/spectrum-f64.json", import.meta.url), "utf8")) as Fixture;

/** Fails with the largest |difference| and the first index over `rtol·|ref| + atol`. */
function expectClose(what: string, got: ArrayLike<number>, ref: readonly number[], rtol: number, atol: number): void {
  expect(got.length, `${what}: length`).toBe(ref.length);
  let worst = 0;
  let firstBad = -1;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    if (!(d <= worst)) worst = d;
    if (firstBad < 0 && !(d <= rtol * Math.abs(ref[i]) + atol)) firstBad = i;
  }
  const detail = firstBad < 0 ? "" : ` first bad index ${firstBad}: got ${got[firstBad]}, numpy ${ref[firstBad]}`;
  expect(firstBad, `${what}: max |difference| ${worst.toExponential(3)};${detail}`).toBe(-1);
}

describe("weight-diff measurements against numpy", () => {
  it("reads fixture version 1", () => {
    expect(fixture.version).toBe(FIXTURE_VERSION);
    expect(fixture.matrices.length).toBe(4);
  });

  for (const m of fixture.matrices) {
    it(`${m.name}: all singular values, stable rank, effective rank`, () => {
      const a = Float32Array.from(m.values);
      const sigma1 = m.singular_values[0];
      const minDim = Math.min(m.rows, m.cols);
      const s = singularValues(a, m.rows, m.cols, { rank: minDim, rng: createRng(1) });
      expectClose(`${m.name} singular values`, s, m.singular_values, 1e-9, 1e-13 * sigma1);
      // ‖A‖_F² through deltaPartial against a zero base: the driver's route to it.
      const frobeniusSq = deltaPartial(new Float32Array(a.length), a).deltaSq;
      expectClose(`${m.name} ‖A‖_F²`, [frobeniusSq], [m.frobenius_sq], 1e-14, 0);
      expectClose(`${m.name} stable rank`, [stableRank(frobeniusSq, s[0]) as number], [m.stable_rank], 1e-9, 0);
      const e = effectiveRank(s);
      expect(e?.exact).toBe(true);
      expectClose(`${m.name} effective rank`, [e?.value as number], [m.effective_rank], 1e-9, 0);
      if (m.top3_effective_rank_lower !== undefined && m.top3_effective_rank_upper !== undefined) {
        const b = effectiveRank(s.slice(0, 3), { frobeniusSq, minDim });
        expect(b?.exact).toBe(false);
        expectClose(`${m.name} top-3 bracket`, [b?.lower as number, b?.upper as number], [m.top3_effective_rank_lower, m.top3_effective_rank_upper], 1e-9, 0);
      }
    });
  }

  it("rank2-9x9: the randomized path (sketch of 3 < 9) is exact on an exactly rank-2 matrix", () => {
    const m = fixture.matrices.find((c) => c.name === "rank2-9x9") as MatrixCase;
    const s = singularValues(Float32Array.from(m.values), 9, 9, { rank: 2, oversample: 1, powerIterations: 1, rng: createRng(3) });
    expectClose("rank2 top-2 (sketched)", s, m.singular_values.slice(0, 2), 1e-9, 0);
  });

  it("deltaStats of the fixed base/tuned pair", () => {
    const d = fixture.delta;
    const s = deltaStats(Float32Array.from(d.base), Float32Array.from(d.tuned), { threshold: d.threshold });
    expect(s.numel).toBe(d.numel);
    const keys = ["baseNorm", "tunedNorm", "deltaNorm", "relative", "cosine", "unchanged", "sparsity", "maxAbs"] as const;
    expectClose(
      `deltaStats [${keys.join(", ")}]`,
      keys.map((k) => s[k] as number),
      keys.map((k) => d[k] as number),
      1e-12,
      0,
    );
  });
});
