/**
 * builtin scoreTokens: the same positions as before, bit for bit (against the pre-change
 * code, reference-score-tokens.ts), for a small top-k and for the whole vocabulary; a
 * whole-vocabulary position carries the same numbers as typed arrays (`vocabulary`), builds
 * `top` on first read, and keeps its JSON form. rankFrom ranks as topIndices from any hint.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openModel, type LanguageModel, type PositionScore } from "../../../src/backends/index.js";
import { ZOO_DIR } from "../../../src/formats/index.js";
import { rankFrom } from "../../../src/model/sampling.js";
import { topIndices } from "../../../src/model/index.js";
import { tasks } from "../../../src/world/index.js";
import { referenceScoreTokens } from "./reference-score-tokens.js";

const docs = tasks.knowledge.documents({ config: tasks.knowledge.defaults, seed: 1, n: 3 });

/** A plain copy through JSON, as the request cache stores a response. */
const viaJson = (x: unknown) => JSON.parse(JSON.stringify(x));

describe("builtin scoreTokens", () => {
  for (const name of ["base-s", "base-m-bpe"]) {
    it(`${name}: identical to the pre-change code, top-5 and the whole vocabulary`, async () => {
      const model: LanguageModel = await openModel(`builtin:zoo/${name}`);
      const old = await referenceScoreTokens(join(ZOO_DIR, name));
      const V = model.vocab!.size;
      for (const text of docs) {
        const ids = model.vocab!.encodePrompt(text).slice(0, 120);
        for (const topK of [5, V, V + 7]) {
          const got = await model.scoreTokens!(ids, topK);
          const want = old(ids, topK);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want)); // the JSON form, key order included
          expect(got).toStrictEqual(want); // and every number bit for bit (-0, ±Infinity included)
        }
      }
      await model.close();
    });
  }

  it("scoreTokensBatch: each sequence bit for bit as scoreTokens alone, short, long and empty ones mixed", async () => {
    const model: LanguageModel = await openModel("builtin:zoo/base-s");
    const V = model.vocab!.size;
    const all = docs.map((t) => model.vocab!.encodePrompt(t));
    const reqs = [
      { ids: all[0].slice(0, 120), topK: V },
      { ids: all[1].slice(0, 5), topK: V }, // 4 positions: alone (fewer than 8 rows)
      { ids: all[2].slice(0, 1), topK: 5 }, // nothing to score
      { ids: all[1].slice(0, 200), topK: 5 },
      { ids: all[2].slice(0, 9), topK: V }, // 8 positions: in the pass
      { ids: all[0].slice(0, 120), topK: V }, // a repeat
    ];
    const got = await model.scoreTokensBatch!(reqs);
    expect(got).toHaveLength(reqs.length);
    for (const [i, r] of reqs.entries()) {
      const alone = await model.scoreTokens!(r.ids, r.topK);
      expect(JSON.stringify(got[i])).toBe(JSON.stringify(alone));
      expect(got[i]).toStrictEqual(alone);
      got[i].forEach((p, t) => expect(p.vocabulary?.logprobs).toStrictEqual(alone[t].vocabulary?.logprobs));
    }
    // a sequence beyond the context: the context error scoreTokens gives
    const long = Array.from({ length: 300 }, (_, i) => all[0][i % all[0].length]);
    await expect(model.scoreTokensBatch!([reqs[0], { ids: long, topK: 5 }])).rejects.toThrow("300 tokens exceed the model's context length 256");
    await model.close();
  });

  it("a whole-vocabulary position: typed arrays with top's numbers, top built once on first read", async () => {
    const model = await openModel("builtin:zoo/base-s");
    const V = model.vocab!.size;
    const ids = model.vocab!.encodePrompt(docs[0]).slice(0, 40);
    const [first, second] = await model.scoreTokens!(ids, V);
    const whole = first.vocabulary!;
    expect(whole.logprobs).toBeInstanceOf(Float64Array);
    expect(whole.logprobs).toHaveLength(V);
    expect(whole.logprobs[first.id]).toBe(first.logprob);
    expect(Array.from(whole.ranking)).toEqual(first.top.map((e) => e.id));
    expect(first.top.map((e) => e.logprob)).toEqual(first.top.map((e) => whole.logprobs[e.id]));
    expect(first.top).toBe(first.top); // built once
    // not part of the JSON form or of a copy; `top` is
    expect(Object.keys(second)).toEqual(["id", "token", "logprob", "top"]);
    expect(viaJson(second)).toEqual({ id: second.id, token: second.token, logprob: second.logprob, top: second.top });
    const clone: PositionScore = structuredClone(second);
    expect(clone.vocabulary).toBeUndefined();
    expect(clone.top).toEqual(second.top);
    // a caller may still replace top
    second.top = second.top.slice(0, 3);
    expect(second.top).toHaveLength(3);
    // a top-k request has no typed arrays
    const [small] = await model.scoreTokens!(ids, 5);
    expect(small.vocabulary).toBeUndefined();
    await model.close();
  });
});

describe("rankFrom", () => {
  /** A vector with ties, ±0 and -Infinity among ordinary values. */
  function vector(n: number, seed: number): Float64Array {
    let s = seed;
    const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    return Float64Array.from({ length: n }, () => {
      const u = next();
      return u < 0.1 ? -Infinity : u < 0.15 ? -0 : u < 0.2 ? 0 : u < 0.4 ? -Math.floor(next() * 4) : Math.log(next());
    });
  }

  it("ranks as topIndices (value desc, ties to the lowest index) from any hint", () => {
    for (const n of [1, 2, 7, 105, 256, 300]) {
      let hint: Int32Array | undefined;
      for (let k = 0; k < 6; k++) {
        const x = vector(n, 1000 * n + k);
        const want = Array.from(topIndices(x, n));
        expect(Array.from(rankFrom(x, hint))).toEqual(want);
        expect(Array.from(rankFrom(x, Int32Array.from({ length: n }, (_, i) => n - 1 - i)))).toEqual(want);
        hint = rankFrom(x, hint);
      }
    }
  });

  it("falls back to topIndices for a NaN or a hint of another length", () => {
    const x = Float64Array.from([0.1, NaN, 0.3, 0.3, -1]);
    expect(Array.from(rankFrom(x, Int32Array.from([4, 3, 2, 1, 0])))).toEqual(Array.from(topIndices(x, 5)));
    const y = Float64Array.from([0.1, 0.5, 0.3]);
    expect(Array.from(rankFrom(y, Int32Array.from([0, 1])))).toEqual([1, 2, 0]);
  });
});
