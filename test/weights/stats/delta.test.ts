/**
 * deltaStats and its partials against hand-computed examples, exact aggregation over
 * groups, and NaN / ±∞ inputs that must show in the numbers.
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SPARSITY_THRESHOLD,
  addPartials,
  deltaPartial,
  deltaStats,
  emptyPartial,
  statsOf,
} from "../../../src/weights/delta.js";
import { createRng } from "../../../src/random/index.js";

const f32 = (xs: number[]) => Float32Array.from(xs);

describe("deltaStats", () => {
  it("matches a hand-computed example", () => {
    // θ₀ = [3, 0, 4, 0], θ₁ = [3, 0, 4, 12]:
    //   ‖θ₀‖ = 5, ‖θ₁‖ = 13, Δ = [0, 0, 0, 12], ‖Δ‖ = 12, relative = 12/5 = 2.4,
    //   cos = (9 + 16) / (5 · 13) = 5/13, unchanged = 3/4,
    //   RMS(θ₀) = √(25/4) = 2.5, cut = 1e-3 · 2.5 = 2.5e-3 → 3 of 4 small, maxAbs = 12.
    const s = deltaStats(f32([3, 0, 4, 0]), f32([3, 0, 4, 12]));
    expect(s).toEqual({
      numel: 4,
      baseNorm: 5,
      tunedNorm: 13,
      deltaNorm: 12,
      relative: 2.4,
      cosine: 5 / 13,
      unchanged: 0.75,
      sparsity: 0.75,
      maxAbs: 12,
      nonFinite: 0,
      threshold: DEFAULT_SPARSITY_THRESHOLD,
    });
  });

  it("separates 'unchanged' (exactly equal) from 'sparse' (below threshold · RMS)", () => {
    // θ₁[1] = 0.001 (float32 ≈ 1.00000005e-3): not equal, but under the 2.5e-3 cut.
    const s = deltaStats(f32([3, 0, 4, 0]), f32([3, 0.001, 4, 12]));
    expect(s.unchanged).toBe(0.5);
    expect(s.sparsity).toBe(0.75);
    // With threshold 1e-4 the cut is 2.5e-4 and the 0.001 change counts as moved.
    expect(deltaStats(f32([3, 0, 4, 0]), f32([3, 0.001, 4, 12]), { threshold: 1e-4 }).sparsity).toBe(0.5);
    expect(s.tunedNorm).toBeCloseTo(Math.sqrt(169 + Math.fround(0.001) ** 2), 14);
  });

  it("uses the absolute threshold when RMS(θ₀) = 0, and nulls undefined ratios", () => {
    // θ₀ = 0: |Δ| ≤ 1e-3 → [0 ✓, 5e-4 ✓, 2e-3 ✗] → 2/3; no base scale → relative and cosine null.
    const s = deltaStats(f32([0, 0, 0]), f32([0, 5e-4, 2e-3]));
    expect(s.sparsity).toBeCloseTo(2 / 3, 15);
    expect(s.relative).toBeNull();
    expect(s.cosine).toBeNull();
    const zeroTuned = deltaStats(f32([1, 2]), f32([0, 0]));
    expect(zeroTuned.cosine).toBeNull();
    expect(zeroTuned.relative).toBe(1);
    const empty = deltaStats(f32([]), f32([]));
    expect(empty).toMatchObject({ numel: 0, unchanged: null, sparsity: null, relative: null, cosine: null, maxAbs: 0 });
  });

  it("gives cosine −1 for θ₁ = −θ₀ and 1 for a positive multiple", () => {
    expect(deltaStats(f32([1, -2, 3]), f32([-1, 2, -3])).cosine).toBe(-1);
    expect(deltaStats(f32([1, -2, 3]), f32([2, -4, 6])).cosine).toBeCloseTo(1, 15);
  });

  it("keeps small updates accurate (no ‖θ₁‖² + ‖θ₀‖² − 2⟨θ₀,θ₁⟩ cancellation)", () => {
    const n = 1000;
    const base = new Float32Array(n).fill(1000);
    const tuned = base.map((x, i) => (i % 2 === 0 ? x + 0.0625 : x));
    // 500 entries moved by 2⁻⁴: ‖Δ‖ = √500 / 16 exactly in float64.
    expect(deltaStats(base, tuned).deltaNorm).toBe(Math.sqrt(500) / 16);
  });

  it("surfaces NaN and ±∞ instead of turning them into numbers", () => {
    const nanBase = deltaStats(f32([1, NaN, 3]), f32([1, 2, 3]));
    expect(nanBase.baseNorm).toBeNaN();
    expect(nanBase.relative).toBeNaN();
    expect(nanBase.cosine).toBeNaN();
    expect(nanBase.deltaNorm).toBeNaN();
    expect(nanBase.maxAbs).toBeNaN();
    expect(nanBase.sparsity).toBeNaN();
    expect(nanBase.unchanged).toBeNaN();
    expect(nanBase.nonFinite).toBe(1);
    // NaN late in the tensor, after a larger finite change: maxAbs must still be NaN.
    expect(deltaStats(f32([0, 0, 0]), f32([100, 1, NaN])).maxAbs).toBeNaN();
    expect(deltaStats(f32([0, 0, 0]), f32([NaN, 100, 1])).maxAbs).toBeNaN();
    const inf = deltaStats(f32([1, 2]), f32([1, Infinity]));
    expect(inf.nonFinite).toBe(1);
    expect(inf.maxAbs).toBe(Infinity);
    expect(inf.deltaNorm).toBe(Infinity);
  });

  it("refuses mismatched lengths and a negative threshold; leaves inputs alone", () => {
    expect(() => deltaStats(f32([1]), f32([1, 2]))).toThrow(/differ in length/);
    expect(() => deltaStats(f32([1]), f32([1]), { threshold: -1 })).toThrow(/threshold/);
    const base = f32([1, 2, 3]);
    const tuned = f32([1, 5, 3]);
    deltaStats(base, tuned);
    expect([...base, ...tuned]).toEqual([1, 2, 3, 1, 5, 3]);
  });
});

describe("DeltaPartial aggregation", () => {
  it("adds up to the statistics of the concatenated tensors (sums, not averaged ratios)", () => {
    const rng = createRng(11);
    const a0 = Float32Array.from({ length: 300 }, () => rng.normal());
    const a1 = a0.map((x, i) => (i % 3 === 0 ? x : x + 0.1 * rng.normal()));
    const b0 = Float32Array.from({ length: 50 }, () => 10 * rng.normal());
    const b1 = b0.map((x) => x + 0.01 * rng.normal());
    const pa = deltaPartial(a0, a1);
    const pb = deltaPartial(b0, b1);
    const group = statsOf(addPartials(addPartials(emptyPartial(), pa), pb));
    const whole = deltaStats(Float32Array.from([...a0, ...b0]), Float32Array.from([...a1, ...b1]));
    for (const key of ["numel", "baseNorm", "tunedNorm", "deltaNorm", "relative", "cosine", "unchanged", "maxAbs"] as const) {
      expect(group[key] as number, key).toBeCloseTo(whole[key] as number, 12);
    }
    // Sparsity is judged per tensor against that tensor's own RMS, then counted.
    expect(group.sparsity).toBe((pa.small + pb.small) / 350);
    // Averaging the two relative changes would be a different (wrong) number.
    const mean = ((statsOf(pa).relative as number) + (statsOf(pb).relative as number)) / 2;
    expect(Math.abs(mean - (group.relative as number))).toBeGreaterThan(0.01);
  });

  it("keeps NaN through addPartials and refuses mixed thresholds", () => {
    const bad = deltaPartial(f32([NaN]), f32([1]));
    const good = deltaPartial(f32([1, 2]), f32([3, 4]));
    const sum = addPartials(good, bad);
    expect(sum.maxAbs).toBeNaN();
    expect(statsOf(sum).deltaNorm).toBeNaN();
    expect(sum.nonFinite).toBe(1);
    expect(() => addPartials(good, deltaPartial(f32([1]), f32([1]), { threshold: 0.1 }))).toThrow(/thresholds/);
  });
});
