/**
 * Every merge method against an independent float64 reference written from the papers in numpy
 * (test/fixtures/weights/merge-f64.json, made by make_merge_fixture.py; docs/CONTRIBUTING.md §5).
 * DARE's keep-masks come from the fixture and go through the deterministic part (mergeDare).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/random/index.js";
import { MERGE_METHODS, mergeDare, type MergeMethodName, type MergeTensorInput } from "../../../src/weights/merge/index.js";
import { compare } from "./make-input.js";

interface Fixture {
  version: number;
  generator: string;
  tensors: { name: string; shape: number[]; base: number[]; models: number[][] }[];
  cases: {
    id: string;
    method: MergeMethodName;
    tensor: string;
    models: number[];
    modelParams: Record<string, number>[];
    params: Record<string, number | boolean>;
    masks?: (number[] | null)[];
    expected: number[];
  }[];
}

const fixture = JSON.parse(readFileSync(new URL("../../fixtures/weights/merge-f64.json", import.meta.url), "utf8")) as Fixture;
// float32 output vs float64 reference: a few float32 roundings of values of order 1
const RTOL = 1e-5;
const ATOL = 1e-6;

describe("merge methods vs the numpy float64 reference", () => {
  it("reads a fixture this test understands", () => {
    expect(fixture.version).toBe(1);
    expect(fixture.generator).toBe("test/fixtures/weights/make_merge_fixture.py");
    const methods = new Set(fixture.cases.map((c) => c.method));
    expect([...methods].sort()).toEqual(Object.keys(MERGE_METHODS).sort()); // every method is covered
  });

  it.each(fixture.cases.map((c) => [`${c.id} on ${c.tensor}`, c] as const))("%s", (_, c) => {
    const t = fixture.tensors.find((x) => x.name === c.tensor)!;
    const method = MERGE_METHODS[c.method];
    const input: MergeTensorInput = {
      name: t.name,
      shape: t.shape,
      base: method.base === "none" ? null : Float32Array.from(t.base),
      models: c.models.map((i) => Float32Array.from(t.models[i])),
      modelParams: c.modelParams.map((p) => method.modelParams.parse(p)),
      params: method.params.parse(c.params),
      rng: createRng(0),
    };
    const out = c.masks
      ? mergeDare(input, c.masks.map((m) => (m ? Uint8Array.from(m) : null)), c.method === "dare_ties")
      : method.merge(input);
    const { maxDiff, firstBad } = compare(out, c.expected, RTOL, ATOL);
    expect(
      firstBad,
      `${c.id}: max |diff| ${maxDiff.toExponential(2)}` +
        (firstBad >= 0 ? `; first bad index ${firstBad}: got ${out[firstBad]}, expected ${c.expected[firstBad]}` : ""),
    ).toBe(-1);
  });
});
