/**
 * Reading node-llama-cpp's probability maps (src/backends/llamacpp/probs.ts) against the
 * rules the engine uses on a log-prob array: argmax and top-k rank by value, ties to the
 * lowest id, whatever order the map comes in.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Token } from "node-llama-cpp";
import { argmax } from "../../../src/model/index.js";
import { greedyOf, logprobsOf, ranked, tokenScore } from "../../../src/backends/llamacpp/probs.js";
import type { Runtime } from "../../../src/backends/llamacpp/runtime.js";

const runtime = (vocabSize: number): Runtime => ({ file: "m.gguf", vocabSize } as unknown as Runtime);

/** A map in a shuffled order (llama.cpp hands it over sorted, but nothing here may rely on that). */
const mapOf = (p: number[], order: number[]): Map<Token, number> => new Map(order.map((i) => [i as Token, p[i]]));

/** The reference: log-probs array, stable sort by value then id. */
const reference = (p: number[]) => {
  const lp = p.map(Math.log);
  return { lp, order: lp.map((_, i) => i).sort((a, b) => lp[b] - lp[a] || a - b) };
};

const probsAndOrder = fc
  .array(fc.constantFrom(0, 0.05, 0.1, 0.1, 0.2, 0.25, 0.3), { minLength: 1, maxLength: 40 }) // repeated values: ties
  .chain((p) => fc.tuple(fc.constant(p), fc.shuffledSubarray(p.map((_, i) => i), { minLength: p.length, maxLength: p.length })));

describe("llamacpp probability maps", () => {
  it("greedyOf, tokenScore and ranked agree with argmax and a sorted log-prob array (ties to the lowest id)", () => {
    fc.assert(
      fc.property(probsAndOrder, fc.nat(), fc.nat(45), ([p, order], pick, k) => {
        const rt = runtime(p.length);
        const map = mapOf(p, order);
        const { lp, order: sorted } = reference(p);
        const best = argmax(lp);
        expect(greedyOf(rt, map, "here")).toEqual({ id: best, logprob: lp[best] });
        const id = pick % p.length;
        expect(tokenScore(rt, map, id, "here")).toEqual({ logprob: lp[id], isGreedy: id === best });
        expect(ranked(rt, map, k, "here")).toEqual(sorted.slice(0, k).map((i) => ({ id: i, logprob: lp[i] })));
        expect(ranked(rt, map, undefined, "here").map((e) => e.id)).toEqual(sorted);
        expect(Array.from(logprobsOf(rt, map, "here"))).toEqual(lp);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it("a map that misses part of the vocabulary is reported as a bug, naming the position", () => {
    const rt = runtime(5);
    const map = mapOf([0.5, 0.5], [0, 1]);
    expect(() => tokenScore(rt, map, 0, "position 3")).toThrow(/returned 2 next-token probabilities at position 3, expected the full vocabulary of 5/);
    expect(() => ranked(rt, undefined, 1, "position 0")).toThrow(/returned 0 next-token/);
  });
});
