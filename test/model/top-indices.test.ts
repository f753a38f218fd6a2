import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { sampleToken, topIndices } from "../../src/model/index.js";
import { createRng } from "../../src/random/index.js";

/** The order topIndices must give: every index sorted by (value desc, index asc), then cut. */
function reference(x: number[], k: number): number[] {
  return x.map((_, i) => i).sort((a, b) => (x[a] > x[b] || (x[a] === x[b] && a < b) ? -1 : 1)).slice(0, Math.max(0, Math.min(k, x.length)));
}

// values from a small set so that ties are common; -Infinity as a masked logit
const value = fc.oneof(fc.integer({ min: -4, max: 4 }).map((v) => v / 2), fc.constant(-Infinity));

describe("topIndices", () => {
  it("gives the reference order on every path (window, insertion sort, typed-array sort)", () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 0, maxLength: 700 }), fc.nat(800), (x, k) => {
        expect(Array.from(topIndices(x, k))).toEqual(reference(x, k));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("covers each path at the sizes that choose it", () => {
    const rng = createRng(3);
    for (const [n, k] of [[105, 5], [105, 105], [2000, 2000], [2000, 20], [3, 10]]) {
      const x = Array.from({ length: n }, () => Math.round(rng.next() * 20) / 4);
      expect(Array.from(topIndices(x, k))).toEqual(reference(x, k));
    }
  });

  it("ranks long vectors (bucket sort) as the comparator did: ties, ±0, −∞, and NaN (left to the comparator)", () => {
    const rng = createRng(17);
    const kinds: ((i: number) => number)[] = [
      () => rng.normal() * 3,
      () => Math.round(rng.normal() * 3) / 2,
      () => [0, -0, 0.5, -0.5, -Infinity][rng.int(5)],
      () => (rng.next() < 0.3 ? -Infinity : rng.next() < 0.5 ? Infinity : rng.int(4)),
      () => 1e300 * rng.normal(),
      () => 7,
    ];
    for (const n of [257, 300, 1000, 5000]) {
      for (const make of kinds) {
        const x = Float64Array.from({ length: n }, (_, i) => make(i));
        for (const k of [n, n - 1, Math.ceil(n / 8), Math.ceil(n / 3)]) expect(Array.from(topIndices(x, k))).toEqual(reference(Array.from(x), k));
        expect(topIndices(x, n).buffer.byteLength).toBe(n * 4);
      }
    }
    // NaN keeps the comparator's order, whatever it is: compare with the same comparator sort
    const withNaN = Array.from({ length: 600 }, (_, i) => (i % 9 === 0 ? NaN : Math.round(rng.normal() * 4)));
    const idx = Int32Array.from(withNaN, (_, i) => i);
    const before = (a: number, b: number) => withNaN[a] > withNaN[b] || (withNaN[a] === withNaN[b] && a < b);
    idx.sort((a, b) => (before(a, b) ? -1 : 1));
    expect(Array.from(topIndices(withNaN, 600))).toEqual(Array.from(idx));
  });

  it("leaves sampling where the old full sort put it: same seeds, same tokens", () => {
    // the sampler before topIndices: sort every index, cut at top-k, then the nucleus
    const old = (logits: number[], topK: number, topP: number, u: number): number => {
      const max = Math.max(...logits);
      const z = Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
      const lp = logits.map((v) => v - z);
      const order = lp.map((_, i) => i).sort((a, b) => lp[b] - lp[a] || a - b);
      let keep = topK > 0 ? Math.min(topK, lp.length) : lp.length;
      if (topP < 1) {
        let mass = 0;
        for (let r = 0; r < keep; r++) {
          mass += Math.exp(lp[order[r]]);
          if (mass >= topP) { keep = r + 1; break; }
        }
      }
      let total = 0;
      for (let r = 0; r < keep; r++) total += Math.exp(lp[order[r]]);
      let left = u * total;
      for (let r = 0; r < keep; r++) {
        left -= Math.exp(lp[order[r]]);
        if (left < 0) return order[r];
      }
      return order[keep - 1];
    };
    const gen = createRng(11);
    for (let trial = 0; trial < 400; trial++) {
      const logits = Array.from({ length: 105 }, () => Math.round(gen.next() * 32) / 4);
      const topK = [0, 1, 5, 40][trial % 4];
      const topP = [1, 0.9, 0.5][trial % 3];
      const a = createRng(trial);
      const b = createRng(trial);
      expect(sampleToken(Float32Array.from(logits), { temperature: 1, topK, topP }, a)).toBe(old(Array.from(Float32Array.from(logits)), topK, topP, b.next()));
    }
  });
});
