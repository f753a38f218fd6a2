/** `slerp` (Shoemake 1985, as mergekit applies it per tensor) against hand-computed arcs. */
import { describe, expect, it } from "vitest";
import { slerp, slerpInto } from "../../../src/weights/merge/index.js";
import { expectClose, makeInput, randomValues } from "./make-input.js";

const run = (base: readonly number[] | Float32Array, other: readonly number[] | Float32Array, t: number) =>
  slerp.merge(makeInput({ base, models: [other], params: { t } }));

describe("slerp", () => {
  it("is the base at t = 0 and the other model at t = 1, exactly", () => {
    const a = randomValues(40, 1);
    const b = randomValues(40, 2, 3);
    expect(run(a, b, 0)).toEqual(a);
    expect(run(a, b, 1)).toEqual(b);
  });

  it("follows the arc, not the chord", () => {
    // a ⟂ b: Ω = π/2, sin Ω = 1; t = 1/2 → sin(π/4)·a + sin(π/4)·b = [√2/2, √2] (the chord would give [0.5, 1])
    expectClose(run([1, 0], [0, 2], 0.5), [Math.SQRT1_2, 2 * Math.SQRT1_2]);
    // unit a, b at 90°: t = 1/3 → the unit vector at 30° = [cos 30°, sin 30°]
    expectClose(run([1, 0], [0, 1], 1 / 3), [Math.sqrt(3) / 2, 0.5]);
  });

  it("falls back to linear interpolation when the vectors are (nearly) colinear", () => {
    // b = 2a: cos Ω = 1 → 0.75·a + 0.25·2a = 1.25·a
    expect([...run([1, 2, 3], [2, 4, 6], 0.25)]).toEqual([1.25, 2.5, 3.75]);
    // cos Ω = 0.9996 > 0.9995 → chord; cos Ω = 0.999 → arc (the result stays on the unit circle)
    const at = (c: number) => [c, Math.sqrt(1 - c * c)];
    const t = 0.5;
    const near = at(0.9996);
    expectClose(run([1, 0], near, t), [(1 - t) + t * near[0], t * near[1]], "chord", 1e-7, 1e-7);
    // arc between unit vectors at φ = acos 0.999: the unit vector at tφ, [cos tφ, sin tφ] = [0.99975, 0.02236];
    // the chord would give [0.9995, 0.02236], 2.5e-4 away
    const phi = Math.acos(0.999);
    const arc = run([1, 0], at(0.999), t);
    expectClose(arc, [Math.cos(t * phi), Math.sin(t * phi)], "arc", 1e-6, 1e-6);
    expect(Math.abs(arc[0] - ((1 - t) + t * 0.999))).toBeGreaterThan(2e-4);
  });

  it("applies the sin weights to the original (unnormalised) vectors", () => {
    // a = [2, 0], b = [0, 4]: Ω = π/2; t = 1/2 → √2/2·a + √2/2·b = [√2, 2√2]
    expectClose(run([2, 0], [0, 4], 0.5), [Math.SQRT2, 2 * Math.SQRT2]);
  });

  it("measures the angle on the included entries only (for cpi)", () => {
    // on entries {0, 1}: a = (1, 0), b = (0, 1) ⟂; entry 2 (excluded) would otherwise make them nearly parallel
    const out = new Float64Array(3);
    slerpInto(out, 0.5, Float64Array.from([1, 0, 100]), Float64Array.from([0, 1, 100]), Uint8Array.from([1, 1, 0]));
    expectClose(out, [Math.SQRT1_2, Math.SQRT1_2, 200 * Math.SQRT1_2]);
  });

  it("propagates NaN to the whole tensor (the angle is undefined)", () => {
    const out = run([1, NaN, 0], [0, 1, 1], 0.5);
    expect([...out].every(Number.isNaN)).toBe(true);
  });

  it("takes exactly one model besides the base and a t in [0, 1]", () => {
    expect(() => slerp.merge(makeInput({ base: [1, 0], models: [[0, 1], [1, 1]], params: { t: 0.5 } }))).toThrow(/1\.\.1 models/);
    expect(() => slerp.merge(makeInput({ models: [[0, 1]], params: { t: 0.5 } }))).toThrow(/needs a base/);
    expect(slerp.params.safeParse({}).success).toBe(false);
    expect(slerp.params.safeParse({ t: 1.5 }).success).toBe(false);
    expect(slerp.modelParams.safeParse({ weight: 1 }).success).toBe(false);
  });
});
