/** `ties` (TIES-Merging, arXiv 2306.01708) against a hand-computed example and its edge cases. */
import { describe, expect, it } from "vitest";
import { taskArithmetic, ties, tiesTrimMask } from "../../../src/weights/merge/index.js";
import { makeInput, randomValues } from "./make-input.js";

const base = [0, 0, 0, 0, 0, 0];
const t1 = [3, -2, 1, 0.5, -4, 0];
const t2 = [-1, -3, 2, -0.5, 1, 0];
const t3 = [2, 1, -5, 0.2, 1, 0];
const half = [{ density: 0.5 }, { density: 0.5 }, { density: 0.5 }];

describe("ties", () => {
  // Trim to floor(0.5·6) = 3 entries per model:
  //   τ̂1 = [3, −2, 0, 0, −4, 0]            (|τ1| top 3: 4 @4, 3 @0, 2 @1)
  //   τ̂2 = [−1, −3, 2, 0, 0, 0]            (3 @1, 2 @2, then 1 @0 and @4 tie: index 0)
  //   τ̂3 = [2, 1, −5, 0, 0, 0]             (5 @2, 2 @0, then 1 @1 and @4 tie: index 1)
  // Elect sign(Σ): j0 3−1+2=4 → +; j1 −2−3+1=−4 → −; j2 −3 → −; j3 0 → + (nothing agrees); j4 −4 → −; j5 0 → +
  // Agreeing: j0 {3, 2}; j1 {−2, −3}; j2 {−5}; j3 {}; j4 {−4}; j5 {}
  it("trims, elects and takes the disjoint mean (normalize default on)", () => {
    const out = ties.merge(makeInput({ base, models: [t1, t2, t3], modelParams: half }));
    // [5/2, −5/2, −5/1, 0, −4/1, 0]
    expect([...out]).toEqual([2.5, -2.5, -5, 0, -4, 0]);
  });

  it("takes the disjoint sum without normalize, scaled by λ", () => {
    // [5, −5, −5, 0, −4, 0] · 0.5
    const out = ties.merge(makeInput({ base, models: [t1, t2, t3], modelParams: half, params: { normalize: false, lambda: 0.5 } }));
    expect([...out]).toEqual([2.5, -2.5, -2.5, 0, -2, 0]);
  });

  it("trims with mergekit's floor count and lower-index ties", () => {
    expect([...tiesTrimMask(Float32Array.from(t2), Float32Array.from(base), 0.5)!]).toEqual([1, 1, 1, 0, 0, 0]);
    expect([...tiesTrimMask(Float32Array.from(t2), Float32Array.from(base), 0.4)!]).toEqual([0, 1, 1, 0, 0, 0]); // floor(2.4) = 2
    expect(tiesTrimMask(Float32Array.from(t2), Float32Array.from(base), 1)).toBeNull();
  });

  it("elects on the weighted task vectors", () => {
    // τ1 = τ2 = [1]; weights 1 and −3 → w·τ = [1, −3], Σ = −2 → −; only model 2 agrees
    const input = { base: [0], models: [[1], [1]], modelParams: [{ weight: 1 }, { weight: -3 }] };
    expect([...ties.merge(makeInput({ ...input, params: { normalize: false } }))]).toEqual([-3]);
    expect([...ties.merge(makeInput(input))]).toEqual([1]); // −3 / −3: the agreeing weight sum divides
  });

  it("with density 1 and one model equals task arithmetic (either normalize)", () => {
    const b = randomValues(50, 1);
    const m = randomValues(50, 2);
    for (const normalize of [true, false]) {
      const params = { normalize, lambda: 0.7 };
      const mp = [{ weight: 0.8 }];
      expect(ties.merge(makeInput({ base: b, models: [m], modelParams: mp, params }))).toEqual(
        taskArithmetic.merge(makeInput({ base: b, models: [m], modelParams: mp, params })),
      );
    }
  });

  it("gives the base for zero task vectors and propagates NaN", () => {
    const b = [1, -2, 3];
    expect([...ties.merge(makeInput({ base: b, models: [b, b], modelParams: [{ density: 0.5 }, {}] }))]).toEqual(b);
    const out = ties.merge(makeInput({ base: b, models: [[1, NaN, 3], [2, -2, 3]] }));
    expect(out[1]).toBeNaN();
    expect(out[0]).toBe(2);
  });

  it("validates density and rejects parameters it does not know", () => {
    expect(ties.modelParams.safeParse({ density: 1.5 }).success).toBe(false);
    expect(ties.modelParams.safeParse({ density: -0.1 }).success).toBe(false);
    expect(ties.params.safeParse({ rescale: true }).success).toBe(false);
    expect(ties.params.parse({})).toEqual({ normalize: true, lambda: 1, int8_mask: false });
    expect(() => ties.merge(makeInput({ models: [t1] }))).toThrow(/needs a base/);
  });

  it("gives the same bytes with the driver's scratch buffer as without, and returns that buffer", () => {
    const base = randomValues(257, 1);
    const models = [randomValues(257, 2), randomValues(257, 3), randomValues(257, 4)];
    const modelParams = [{ density: 0.2 }, { density: 0.5 }, { density: 1 }];
    const plain = ties.merge(makeInput({ base, models, modelParams }));
    const scratch = new Float32Array(257).fill(123);
    const input = { ...makeInput({ base, models, modelParams }), scratch };
    const reused = ties.merge(input);
    expect(reused).toBe(scratch);
    expect(Buffer.from(reused.buffer).equals(Buffer.from(plain.buffer))).toBe(true);
    expect(models[0][0]).toBe(randomValues(257, 2)[0]); // inputs untouched
  });
});
