/**
 * The registry, and one conformance suite for every merge method (docs/CONTRIBUTING.md §13):
 * metadata as data, fresh outputs, untouched inputs, and model-count/base checks that throw.
 */
import { describe, expect, it } from "vitest";
import { MERGE_METHOD_NAMES, MERGE_METHODS, mergeMethod, type MergeMethod } from "../../../src/weights/merge/index.js";
import { makeInput, randomValues } from "./make-input.js";

describe("the merge-method registry", () => {
  it("lists mergekit's names in order, each method under its own name", () => {
    expect(MERGE_METHOD_NAMES).toEqual(["linear", "task_arithmetic", "ties", "dare_linear", "dare_ties", "slerp", "cpi"]);
    for (const name of MERGE_METHOD_NAMES) expect(MERGE_METHODS[name].name).toBe(name);
  });

  it("finds a method by name and lists the valid names for an unknown one", () => {
    const found = mergeMethod("ties");
    expect(found.ok && found.value).toBe(MERGE_METHODS.ties);
    for (const bad of ["tie", "toString", ""]) {
      const r = mergeMethod(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) for (const name of MERGE_METHOD_NAMES) expect(r.error).toContain(name);
    }
  });
});

/** A valid input for `m`: the fewest models it takes, merge-wide parameters it needs. */
function validInput(m: MergeMethod, seed = 1) {
  const n = 37;
  const models = Array.from({ length: m.minModels + (m.maxModels === m.minModels ? 0 : 1) }, (_, i) => randomValues(n, seed + 10 + i));
  return makeInput({
    base: m.base === "none" ? null : randomValues(n, seed),
    models,
    modelParams: models.map((): Record<string, number> => (m.name === "ties" || m.name.startsWith("dare") ? { density: 0.5 } : {})),
    params: m.name === "slerp" ? { t: 0.3 } : {},
    seed,
  });
}

describe.each(MERGE_METHOD_NAMES.map((name) => [name, MERGE_METHODS[name] as MergeMethod] as const))("%s conformance", (_, m) => {
  it("describes itself with data", () => {
    expect(m.description.length).toBeGreaterThan(10);
    expect(m.reference).toMatch(/arXiv \d{4}\.\d{5}|Shoemake/);
    expect(m.minModels).toBeGreaterThanOrEqual(1);
    expect(m.modelParams.safeParse({}).success).toBe(true);
  });

  it("returns a fresh, finite Float32Array and leaves its inputs as they were", () => {
    const input = validInput(m);
    const before = [input.base, ...input.models].map((x) => (x ? Float32Array.from(x) : null));
    const out = m.merge(input);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(37);
    expect(out.every(Number.isFinite)).toBe(true);
    expect([input.base, ...input.models].some((x) => x !== null && x.buffer === out.buffer)).toBe(false);
    expect([input.base, ...input.models]).toEqual(before);
  });

  it("gives the same bytes for the same input and seed", () => {
    expect(m.merge(validInput(m, 4))).toEqual(m.merge(validInput(m, 4)));
  });

  it("throws on a model count or base it cannot take", () => {
    const input = validInput(m);
    expect(() => m.merge({ ...input, models: [], modelParams: [] })).toThrow(/models besides the base/);
    if (m.maxModels !== undefined) {
      const more = [...input.models, input.models[0]];
      expect(() => m.merge({ ...input, models: more, modelParams: more.map(() => ({})) })).toThrow(/models besides the base/);
    }
    expect(() => m.merge({ ...input, base: m.base === "none" ? input.models[0] : null })).toThrow(/base/);
    const last = input.models.length - 1;
    expect(() => m.merge({ ...input, models: input.models.map((x, i) => (i === last ? x.subarray(1) : x)) })).toThrow(/values, expected/);
  });
});
