/** `linear` (model soup) and `task_arithmetic` against hand-computed examples. */
import { describe, expect, it } from "vitest";
import { linear, taskArithmetic } from "../../../src/weights/merge/index.js";
import { makeInput } from "./make-input.js";

const a = [1, 2, 3, 4];
const b = [3, 0, -1, 8];

describe("linear", () => {
  it("normalizes by the weight sum by default", () => {
    // (1·a + 3·b) / 4 = [(1+9)/4, (2+0)/4, (3−3)/4, (4+24)/4]
    const out = linear.merge(makeInput({ models: [a, b], modelParams: [{ weight: 1 }, { weight: 3 }] }));
    expect([...out]).toEqual([2.5, 0.5, 0, 7]);
  });

  it("sums without normalize", () => {
    // 1·a + 3·b
    const out = linear.merge(makeInput({ models: [a, b], modelParams: [{ weight: 1 }, { weight: 3 }], params: { normalize: false } }));
    expect([...out]).toEqual([10, 2, 0, 28]);
  });

  it("defaults to the uniform soup", () => {
    // (a + b) / 2
    expect([...linear.merge(makeInput({ models: [a, b] }))]).toEqual([2, 1, 1, 6]);
  });

  it("leaves a zero weight sum undivided instead of writing Inf", () => {
    // weights 1 and −1 sum to 0: a − b
    const out = linear.merge(makeInput({ models: [a, b], modelParams: [{ weight: 1 }, { weight: -1 }] }));
    expect([...out]).toEqual([-2, 2, 4, -4]);
  });

  it("propagates NaN, returns a fresh array and leaves inputs alone", () => {
    const input = makeInput({ models: [[1, NaN, 3], [1, 1, Infinity]] });
    const out = linear.merge(input);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBe(Infinity);
    expect(out).not.toBe(input.models[0]);
    expect([...input.models[0]]).toEqual([1, NaN, 3]);
  });

  it("takes no base and validates its parameters", () => {
    expect(() => linear.merge(makeInput({ base: [0, 0, 0, 0], models: [a, b] }))).toThrow(/no base/);
    expect(linear.modelParams.safeParse({ weight: "1" }).success).toBe(false);
    expect(linear.modelParams.safeParse({ wieght: 1 }).success).toBe(false); // a typo is an error, not a silent default
    expect(linear.params.safeParse({ normalize: 1 }).success).toBe(false);
    expect(linear.params.parse({})).toEqual({ normalize: true });
  });
});

describe("task_arithmetic", () => {
  const base = [1, 1, 1, 1];
  const m1 = [2, 0, 1, 3]; // τ1 = [1, −1, 0, 2]
  const m2 = [1, 3, 1, 0]; // τ2 = [0, 2, 0, −1]

  it("adds λ·Σ w_i τ_i to the base", () => {
    // Σ w τ = [1, −1+1, 0, 2−0.5] = [1, 0, 0, 1.5]; base + 2·that
    const out = taskArithmetic.merge(makeInput({ base, models: [m1, m2], modelParams: [{ weight: 1 }, { weight: 0.5 }], params: { lambda: 2 } }));
    expect([...out]).toEqual([3, 1, 1, 4]);
  });

  it("divides by Σ w when normalize is on", () => {
    // [1, 0, 0, 1.5] / 1.5 = [2/3, 0, 0, 1]; base + 2·that
    const out = taskArithmetic.merge(
      makeInput({ base, models: [m1, m2], modelParams: [{ weight: 1 }, { weight: 0.5 }], params: { lambda: 2, normalize: true } }),
    );
    expect(Array.from(out, (x) => +x.toFixed(6))).toEqual([2.333333, 1, 1, 3]);
  });

  it("defaults to the plain sum θ_base + τ1 + τ2", () => {
    expect([...taskArithmetic.merge(makeInput({ base, models: [m1, m2] }))]).toEqual([2, 2, 1, 2]);
    expect(taskArithmetic.params.parse({})).toEqual({ normalize: false, lambda: 1, int8_mask: false });
  });

  it("gives the base for zero task vectors", () => {
    expect([...taskArithmetic.merge(makeInput({ base, models: [base, base], params: { lambda: 3 } }))]).toEqual(base);
  });

  it("needs a base", () => {
    expect(() => taskArithmetic.merge(makeInput({ models: [m1, m2] }))).toThrow(/needs a base/);
    expect(taskArithmetic.modelParams.safeParse({ weight: 1, density: 0.5 }).success).toBe(false); // no sparsification here
  });
});
