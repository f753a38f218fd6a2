/** `cpi`, CPI-FT's fusion (arXiv 2508.21741 as read in src/weights/merge/cpi.ts), against hand-computed examples. */
import { describe, expect, it } from "vitest";
import { cpi, cpiCoreOwners, sphericalRunningMean } from "../../../src/weights/merge/index.js";
import { expectClose, makeInput } from "./make-input.js";

const r = Math.SQRT1_2;
const quarter = [{ core_fraction: 0.25 }, { core_fraction: 0.25 }]; // ceil(0.25·4) = 1 core entry each

describe("cpi", () => {
  it("transplants disjoint cores exactly and SLERPs the rest on the non-core angle", () => {
    const base = [0, 0, 1, 1];
    const m1 = [1, 0, 9, 0]; // τ1 = [1, 0, 8, −1] → core {2}
    const m2 = [0, 1, 2, -7]; // τ2 = [0, 1, 1, −8] → core {3}
    // non-core {0, 1}: (1, 0) ⟂ (0, 1) → equal-weight midpoint √2/2·(m1 + m2) there
    // (over all entries m1·m2 = 18 ≠ 0, so an angle taken over the cores would give other numbers)
    const out = cpi.merge(makeInput({ base, models: [m1, m2], modelParams: quarter }));
    expect(out[2]).toBe(9);
    expect(out[3]).toBe(-7);
    expectClose(out.subarray(0, 2), [r, r]);
  });

  it("gives an overlapping core entry to the task that moved it most", () => {
    const base = [0, 0, 0, 0];
    // both cores are {2}; |τ2| = 6 > |τ1| = 5 → task 2's value; the rest: (1,0,0) ⟂ (0,1,0) → midpoint
    expectClose(cpi.merge(makeInput({ base, models: [[1, 0, 5, 0], [0, 1, -6, 0]], modelParams: quarter })), [r, r, -6, 0]);
    expectClose(cpi.merge(makeInput({ base, models: [[1, 0, 7, 0], [0, 1, -6, 0]], modelParams: quarter })), [r, r, 7, 0]);
    // an exact tie goes to the earlier model
    expect(cpi.merge(makeInput({ base, models: [[1, 0, 5, 0], [0, 1, -5, 0]], modelParams: quarter }))[2]).toBe(5);
    expect([...cpiCoreOwners(Float32Array.from(base), [Float32Array.from([1, 0, 5, 0]), Float32Array.from([0, 1, -6, 0])], [0.25, 0.25])]).toEqual([
      -1, -1, 1, -1,
    ]);
  });

  it("is the model itself for one task", () => {
    const m = [0.5, -2, 3, 1e-3];
    expect([...cpi.merge(makeInput({ base: [0, 0, 0, 0], models: [m] }))]).toEqual(Array.from(Float32Array.from(m)));
  });

  it("fuses more than two tasks by the spherical running mean, in config order", () => {
    // core_fraction 0: no cores. m2 = slerp([1,0], [0,1]; 1/2) = unit vector at 45°;
    // m3 = slerp(m2, [1,0]; 1/3) = unit vector at 45°·(1 − 1/3) = 30° → [cos 30°, sin 30°]
    const none = [{ core_fraction: 0 }, { core_fraction: 0 }, { core_fraction: 0 }];
    const out = cpi.merge(makeInput({ base: [0, 0], models: [[1, 0], [0, 1], [1, 0]], modelParams: none }));
    expectClose(out, [Math.sqrt(3) / 2, 0.5]);
  });

  it("weights the SLERP share by the models' weights", () => {
    // weights 1 and 3: t = 3/4 of the way from [1,0] to [0,1] → [cos 67.5°, sin 67.5°]
    const mean = sphericalRunningMean([Float32Array.from([1, 0]), Float32Array.from([0, 1])], [1, 3], null);
    expectClose(mean, [Math.cos((3 * Math.PI) / 8), Math.sin((3 * Math.PI) / 8)]);
  });

  it("keeps a NaN where it is (a NaN update ranks as the largest and is transplanted)", () => {
    const out = cpi.merge(makeInput({ base: [0, 0, 0, 0], models: [[1, NaN, 0, 0], [0, 1, 0, 0.5]], modelParams: quarter }));
    expect(out[1]).toBeNaN();
    expect(out.filter(Number.isNaN).length).toBe(1);
  });

  it("validates its parameters and needs a base", () => {
    expect(cpi.modelParams.parse({})).toEqual({ core_fraction: 0.01, weight: 1 });
    expect(cpi.modelParams.safeParse({ core_fraction: 1.5 }).success).toBe(false);
    expect(cpi.modelParams.safeParse({ weight: 0 }).success).toBe(false);
    expect(cpi.params.safeParse({ t: 0.5 }).success).toBe(false);
    expect(() => cpi.merge(makeInput({ models: [[1, 2]] }))).toThrow(/needs a base/);
  });
});
