/** DARE (arXiv 2311.03099): the seeded drop, and the deterministic part against hand-computed masks. */
import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/random/index.js";
import { dareKeepMask, dareLinear, dareTies, mergeDare, taskArithmetic, ties } from "../../../src/weights/merge/index.js";
import { makeInput, randomValues } from "./make-input.js";

describe("dareKeepMask", () => {
  it("keeps about `density` of the entries, the same ones for the same seed", () => {
    const m = dareKeepMask(100_000, 0.3, createRng(5))!;
    const kept = m.reduce((a, b) => a + b, 0) / m.length;
    expect(Math.abs(kept - 0.3)).toBeLessThan(0.01); // sd ≈ 0.0014
    expect(dareKeepMask(1000, 0.3, createRng(5))).toEqual(m.subarray(0, 1000));
    expect(dareKeepMask(1000, 0.3, createRng(6))).not.toEqual(m.subarray(0, 1000));
  });

  it("keeps everything at density 1 without drawing", () => {
    const rng = createRng(9);
    expect(dareKeepMask(10, 1, rng)).toBeNull();
    expect(rng.next()).toBe(createRng(9).next());
  });
});

describe("mergeDare (given masks)", () => {
  const base = [0, 0, 0, 0];
  const m1 = [2, 4, -2, 6];
  const m2 = [1, 1, 1, 1];
  const masks = [Uint8Array.from([1, 0, 1, 1]), Uint8Array.from([0, 1, 1, 0])];
  const half: Record<string, number>[] = [{ density: 0.5 }, { density: 0.5, weight: 2 }];
  // rescaled by 1/0.5: τ̂1 = [4, 0, −4, 12], τ̂2 = [0, 2, 2, 0]; weighted: d1 = [4, 0, −4, 12], d2 = [0, 4, 4, 0]

  it("dare_linear adds the weighted rescaled task vectors", () => {
    // d1 + d2
    expect([...mergeDare(makeInput({ base, models: [m1, m2], modelParams: half }), masks, false)]).toEqual([4, 4, 0, 12]);
  });

  it("dare_ties elects signs (a zero sum elects +) and averages the agreeing entries", () => {
    // j0 {4} w1; j1 {4} w2; j2 Σ = 0 → +, {4} w2; j3 {12} w1
    const input = (normalize: boolean) => makeInput({ base, models: [m1, m2], modelParams: half, params: { normalize } });
    expect([...mergeDare(input(false), masks, true)]).toEqual([4, 4, 4, 12]);
    expect([...mergeDare(input(true), masks, true)]).toEqual([4, 2, 2, 12]); // [4/1, 4/2, 4/2, 12/1]
  });

  it("only drops when rescale is off", () => {
    // τ̂1 = [2, 0, −2, 6], τ̂2 = [0, 1, 1, 0], weights 1 and 2
    const input = makeInput({ base, models: [m1, m2], modelParams: half, params: { rescale: false } });
    expect([...mergeDare(input, masks, false)]).toEqual([2, 2, 0, 6]);
  });

  it("lets a NaN through even where its entry is dropped (NaN·0 = NaN, as in torch)", () => {
    const out = mergeDare(makeInput({ base, models: [[NaN, 4, -2, 6], m2], modelParams: half }), [Uint8Array.from([0, 1, 1, 1]), null], false);
    expect(out[0]).toBeNaN();
  });
});

describe("dare_linear and dare_ties", () => {
  const b = randomValues(64, 11);
  const models = [randomValues(64, 12), randomValues(64, 13)];
  const mp = [{ weight: 0.6, density: 0.4 }, { weight: 1.1, density: 0.7 }];

  it("give the same bytes for the same seed and different ones for another seed", () => {
    for (const method of [dareLinear, dareTies]) {
      const run = (seed: number) => method.merge(makeInput({ base: b, models, modelParams: mp, seed }));
      expect(run(3)).toEqual(run(3));
      expect(run(3)).not.toEqual(run(4));
    }
  });

  it("draw the masks from input.rng in model order", () => {
    const rng = createRng(21);
    const masks = mp.map((p) => dareKeepMask(64, p.density, rng));
    expect(dareTies.merge(makeInput({ base: b, models, modelParams: mp, seed: 21 }))).toEqual(
      mergeDare(makeInput({ base: b, models, modelParams: mp }), masks, true),
    );
  });

  it("at density 1 equal task arithmetic and ties", () => {
    const full = [{ weight: 0.6 }, { weight: 1.1 }];
    const params = { lambda: 0.9, normalize: true };
    expect(dareLinear.merge(makeInput({ base: b, models, modelParams: full, params }))).toEqual(
      taskArithmetic.merge(makeInput({ base: b, models, modelParams: full, params })),
    );
    expect(dareTies.merge(makeInput({ base: b, models, modelParams: full, params }))).toEqual(
      ties.merge(makeInput({ base: b, models, modelParams: full, params })),
    );
  });

  it("validate density and defaults", () => {
    expect(dareLinear.modelParams.safeParse({ density: 0 }).success).toBe(false); // 1/0 rescale
    expect(dareLinear.modelParams.safeParse({ density: 1.01 }).success).toBe(false);
    expect(dareTies.params.parse({})).toEqual({ normalize: false, lambda: 1, rescale: true, int8_mask: false });
    expect(() => mergeDare(makeInput({ base: b, models, modelParams: mp }), [null], false)).toThrow(/masks/);
  });
});
