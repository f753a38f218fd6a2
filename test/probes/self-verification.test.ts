/**
 * The generation-verification gap on scripted models whose own Yes/No is known: a model
 * that accepts exactly its correct samples closes the gap (1), one that accepts
 * everything gains nothing (0), one that accepts only wrong samples is worse than none
 * (−1); the edge cases are null with a note. Plus the exact requests, context overflow,
 * and a smoke run on zoo/base-m.
 */
import { describe, expect, it } from "vitest";
import type { LanguageModel } from "../../src/backends/index.js";
import { itemSeed, type ProbeContext } from "../../src/probes/index.js";
import { NO, VERIFICATION_QUESTION, YES, selfVerificationProbe, verificationPrompt } from "../../src/probes/self-verification.js";
import { fakeModel } from "./fake-model.js";
import { collect, probeContext, withModel, worldItems } from "./helpers.js";

const context = (model: LanguageModel, over: Partial<ProbeContext> = {}) => probeContext(model, { seed: 3, samples: 4, ...over });

const arith = worldItems("arithmetic", 3);

/** Samples 0 and 1 give the gold answer, 2 and 3 a wrong one: gen_util = 0.5 on every item. */
function halfRight(prompt: string, j: number): string {
  const item = arith.find((it) => prompt.includes(it.prompt))!;
  return j < 2 ? `Answer: ${item.answer}` : `Answer: ${Number(item.answer) + 1}`;
}

/** Whether a verification prompt shows a correct sample. */
function showsCorrect(prompt: string): boolean {
  const item = arith.find((it) => prompt.includes(it.prompt))!;
  return prompt.endsWith(`Answer: ${item.answer}${VERIFICATION_QUESTION}`);
}

/** A model that says Yes (−1 vs −2) exactly when `accept` holds. */
function verifier(accept: (prompt: string) => boolean, gen: (prompt: string, j: number) => string = halfRight) {
  return fakeModel({
    generate: (req, j) => gen(req.prompt!, j),
    logprob: (prompt, continuation) => ((continuation === YES) === accept(prompt) ? -1 : -2),
  });
}

describe("selfVerificationProbe", () => {
  it("a model that accepts exactly its correct samples has gap 1", async () => {
    const m = verifier(showsCorrect);
    const records = await collect(selfVerificationProbe.run(m, arith, context(m)));
    expect(records.map((r) => r.itemId)).toEqual(arith.map((i) => i.id));
    for (const r of records) {
      expect(r.values).toEqual({ "self-accept": 0.5, "gen-utility": 0.5, "verification-gap": 1 });
      expect(r.detail.verifUtility).toBe(1);
      expect(r.note).toBeUndefined();
    }
  });

  it("a model that accepts everything has gap 0; one that accepts only wrong samples, −1", async () => {
    const all = verifier(() => true);
    for (const r of await collect(selfVerificationProbe.run(all, arith, context(all)))) {
      expect(r.values).toEqual({ "self-accept": 1, "gen-utility": 0.5, "verification-gap": 0 });
    }
    const wrong = verifier((p) => !showsCorrect(p));
    for (const r of await collect(selfVerificationProbe.run(wrong, arith, context(wrong)))) {
      expect(r.values).toEqual({ "self-accept": 0.5, "gen-utility": 0.5, "verification-gap": -1 });
    }
  });

  it("a tie rejects; accepting nothing or being always right leaves the gap null with a note", async () => {
    const tie = fakeModel({ generate: (req, j) => halfRight(req.prompt!, j), logprob: () => -1 });
    const [r] = await collect(selfVerificationProbe.run(tie, arith.slice(0, 1), context(tie)));
    expect(r.values).toEqual({ "self-accept": 0, "gen-utility": 0.5, "verification-gap": null });
    expect(r.note).toMatch(/accepts none of its samples/);

    const right = verifier(() => true, (p) => halfRight(p, 0));
    const [s] = await collect(selfVerificationProbe.run(right, arith.slice(0, 1), context(right)));
    expect(s.values).toEqual({ "self-accept": 1, "gen-utility": 1, "verification-gap": null });
    expect(s.note).toMatch(/every sample is correct/);
  });

  it("sends seeded samples (salt gv) and scores exactly prompt + sample + the question with Yes and No", async () => {
    const m = verifier(showsCorrect);
    const render = (p: string) => `[${p}]`;
    await collect(selfVerificationProbe.run(m, arith, context(m, { render, samples: 2, batchSize: 2 })));
    expect(m.generated.map((r) => [r.prompt, r.seed, r.n, r.temperature])).toEqual(arith.map((i) => [render(i.prompt), itemSeed(3, i.id, "gv"), 2, 1]));
    expect(m.generateBatches).toEqual([2, 1]);
    const item = arith[0];
    const sample = `Answer: ${item.answer}`;
    expect(verificationPrompt(render(item.prompt), sample)).toBe(`[${item.prompt}]${sample}\nIs this answer correct?`);
    expect(m.scored.slice(0, 4)).toEqual([
      { prompt: verificationPrompt(render(item.prompt), sample), continuation: YES },
      { prompt: verificationPrompt(render(item.prompt), sample), continuation: NO },
      { prompt: verificationPrompt(render(item.prompt), halfRight(item.prompt, 1)), continuation: YES },
      { prompt: verificationPrompt(render(item.prompt), halfRight(item.prompt, 1)), continuation: NO },
    ]);
    expect(YES).toBe(" Yes");
    expect(NO).toBe(" No");
  });

  it("leaves out samples whose verification prompt overflows the context, and throws any other error", async () => {
    // sample 3 is long and overflows; the metrics use samples 0–2 (two right, one wrong)
    const gen = (prompt: string, j: number) => (j === 3 ? `${"x".repeat(500)}\nAnswer: 0` : halfRight(prompt, j));
    const m = verifier(showsCorrect, gen);
    const base = m.scoreBatch.bind(m);
    const overflow = (prompt: string) => prompt.length > 400;
    m.scoreBatch = async (reqs) => {
      if (reqs.some((r) => overflow(r.prompt))) throw new Error("item 0: prompt + continuation (600 tokens) exceeds the context length 256");
      return base(reqs);
    };
    const baseScore = m.score.bind(m);
    m.score = async (req) => {
      if (overflow(req.prompt)) throw new Error("prompt + continuation exceeds the context length 256");
      return baseScore(req);
    };
    const [r] = await collect(selfVerificationProbe.run(m, arith.slice(0, 1), context(m)));
    expect(r.values).toEqual({ "self-accept": 2 / 3, "gen-utility": 2 / 3, "verification-gap": 1 });
    expect(r.note).toMatch(/1 of 4 samples could not be scored \(.*context length.*\); the metrics use the other 3/);

    m.scoreBatch = async () => {
      throw new Error("connection refused");
    };
    await expect(collect(selfVerificationProbe.run(m, arith.slice(0, 1), context(m)))).rejects.toThrow("connection refused");
  });

  it("applies to question items with an answer, not to reference documents", () => {
    expect(selfVerificationProbe.applies(arith[0])).toBe(true);
    expect(selfVerificationProbe.applies({ id: "r", prompt: "", answer: "text", domain: "web", role: "reference" })).toBe(false);
    expect(selfVerificationProbe.applies({ id: "q", prompt: "2+2?", answer: " ", domain: "math" })).toBe(false);
    expect(selfVerificationProbe.metrics.map((x) => [x.name, x.role, x.higherIsBetter, x.margin])).toEqual([
      ["self-accept", "proxy", true, 0.05],
      ["gen-utility", "capability", true, 0.03],
      ["verification-gap", "capability", true, 0.05],
    ]);
  });

  it("zoo/base-m on 2 arithmetic items: one record each, values in range (smoke)", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const items = arith.slice(0, 2);
      const records = await collect(selfVerificationProbe.run(model, items, context(model, { samples: 4, maxTokens: 48 })));
      expect(records.map((r) => r.itemId)).toEqual(items.map((i) => i.id));
      for (const r of records) {
        for (const name of ["self-accept", "gen-utility"]) {
          const v = r.values[name];
          expect(v !== null && v >= 0 && v <= 1, `${name} = ${v}`).toBe(true);
        }
        const gap = r.values["verification-gap"];
        if (gap === null) expect(r.note).toMatch(/verification-gap/);
        else expect(gap).toBeLessThanOrEqual(1);
        expect(r.detail.nSamples).toBe(4);
      }
    });
  });
});
