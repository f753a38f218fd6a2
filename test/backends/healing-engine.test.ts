/**
 * The engine's first-token constraint that token healing uses (GenerateOptions.firstAllowed,
 * src/model/generate.ts, and the continuous batch in src/backends/batch): the first token
 * comes from the allowed ids only, greedy and sampled, its logprob is renormalised over
 * them, later tokens are free, and the continuous batch decodes it as decodeSteps does.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/random/index.js";
import { Llama, generateTokens, logSoftmax, nextTokenLogprobs, type GenerateOptions, type ModelConfig } from "../../src/model/index.js";
import { createTsKernels } from "../../src/tensor/index.js";
import { decodeContinuous } from "../../src/backends/batch/index.js";

const config: ModelConfig = { vocabSize: 48, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 64, contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true };
const model = Llama.f32(config, createTsKernels());
model.initialize(createRng(3), 0.5);
const prompts = [[1, 5, 9, 2], [1, 7]];
// allowed ids that are not the model's free greedy first choice for either prompt, so the constraint shows
const freeFirst = generateTokens(model, prompts, { maxTokens: 1, temperature: 0 }).map((s) => s.tokens[0]);
const allowed = [11, 20, 33, 40].filter((id) => !freeFirst.includes(id)).slice(0, 3);

describe("first-token constraint (GenerateOptions.firstAllowed)", () => {
  it("greedy: the first token is the allowed id the model ranks highest, with its renormalised logprob", () => {
    const opts: GenerateOptions = { maxTokens: 5, temperature: 0, seed: 1, firstAllowed: allowed };
    const seqs = generateTokens(model, prompts, opts);
    const free = generateTokens(model, prompts, { ...opts, firstAllowed: undefined });
    prompts.forEach((p, i) => {
      const lp = nextTokenLogprobs(model, p);
      const best = allowed.reduce((a, b) => (lp[b] > lp[a] ? b : a));
      expect(seqs[i].tokens[0]).toBe(best);
      const z = Math.log(allowed.reduce((s, id) => s + Math.exp(lp[id]), 0));
      expect(seqs[i].logprobs[0]).toBeCloseTo(lp[best] - z, 6);
      expect(seqs[i].tokens.length).toBe(5);
      expect(free[i].tokens[0]).toBe(freeFirst[i]);
    });
  });

  it("sampled: every first token is allowed, later ones are free; the continuous batch gives the same bits", () => {
    const opts: GenerateOptions = { maxTokens: 4, temperature: 1, firstAllowed: allowed };
    const rows = Array.from({ length: 24 }, (_, k) => ({ prompt: prompts[k % 2], seed: 100 + k, opts }));
    const batched = decodeContinuous(model, rows, 4);
    const later = new Set<number>();
    rows.forEach((r, k) => {
      const [one] = generateTokens(model, [r.prompt], { ...opts, seed: r.seed });
      expect(batched[k]).toEqual(one);
      expect(allowed).toContain(one.tokens[0]);
      one.tokens.slice(1).forEach((t) => later.add(t));
    });
    expect([...later].some((t) => !allowed.includes(t))).toBe(true);
    // the draw is renormalised: logprobs of the first tokens are those of the masked distribution
    const lp = logSoftmax(Float64Array.from(allowed, (id) => nextTokenLogprobs(model, prompts[0])[id]));
    const first = batched.filter((_, k) => k % 2 === 0).map((s) => s.logprobs[0]);
    for (const x of first) expect(lp.some((y) => Math.abs(x - y) < 1e-5)).toBe(true);
  });
});
