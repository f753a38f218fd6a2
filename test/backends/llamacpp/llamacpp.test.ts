/**
 * The llamacpp backend against the engine it was exported from: an engine checkpoint →
 * f32 GGUF → `openGgufModel`, and every number compared with the engine's own
 * (src/model `scoreContinuations`, `nextTokenLogprobs`, `generateTokens`; the
 * CharTokenizer ids equal the GGUF ids). Tolerance 1e-4 per token
 * (test/formats/gguf-llamacpp.test.ts measures ~3e-6 with the F32 K/V cache that
 * exactScoring turns on).
 */
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTokens, nextTokenLogprobs, scoreContinuations, type Llama } from "../../../src/model/index.js";
import type { LanguageModel } from "../../../src/backends/language-model.js";
import { openGgufModel } from "../../../src/backends/llamacpp/index.js";
import { tempDir } from "../../formats/helpers.js";
import { engineModel, exportModel, tok } from "./helpers.js";

const dir = await tempDir("llamacpp-backend");
let engine: Llama<Float32Array>;
let path: string;
let lm: LanguageModel;

beforeAll(async () => {
  engine = engineModel(7);
  path = await exportModel(engine, dir, "m");
  lm = await openGgufModel(path, { contextSize: 256, parallel: 4 });
});
afterAll(async () => {
  await lm?.close();
});

/** The engine's greedy continuation, up to its first non-character token (the untrained model also picks specials and padding ids). */
const greedyText = (prompt: string, n: number): string => {
  const [s] = generateTokens(engine, [tok.encode(prompt)], { maxTokens: n, temperature: 0 });
  const plain = s.tokens.findIndex((t) => tok.isSpecial(t) || t >= tok.size);
  return tok.decode(plain < 0 ? s.tokens : s.tokens.slice(0, plain));
};
const stopTokens = [tok.eos, tok.idOf("<|end|>")];

describe("openGgufModel (llama.cpp) matches the engine", () => {
  it("score: per-token logprobs within 1e-4 and the same isGreedy", async () => {
    const prompts = ["The cat sat on the", "2+2=", "x", "Hello, world!\n\tindented", "a", "b", "c", "d"];
    const requests = prompts.flatMap((p) => [
      { prompt: p, continuation: " mat and then some" },
      ...(greedyText(p, 12) ? [{ prompt: p, continuation: greedyText(p, 12) }] : []), // all greedy
      { prompt: p, continuation: "Q" },
    ]);
    let max = 0;
    let greedyTokens = 0;
    for (const req of requests) {
      const got = await lm.score(req);
      const [want] = scoreContinuations(engine, [{ prompt: tok.encode(req.prompt), continuation: tok.encode(req.continuation) }]);
      expect(got.tokens.map((t) => t.id)).toEqual(tok.encode(req.continuation));
      expect(got.tokens.map((t) => t.token).join("")).toBe(req.continuation);
      got.tokens.forEach((t, i) => (max = Math.max(max, Math.abs(t.logprob - want.logprobs[i]))));
      expect(got.tokens.map((t) => t.isGreedy)).toEqual(want.greedy);
      expect(got.isGreedy).toBe(want.greedy.every(Boolean));
      expect(got.logprob).toBeCloseTo(want.logprobs.reduce((a, b) => a + b, 0), 3);
      greedyTokens += want.greedy.filter(Boolean).length;
    }
    console.log(`llamacpp score vs engine: max |Δ log p| per token = ${max.toExponential(2)} (${requests.length} requests, ${greedyTokens} greedy tokens)`);
    expect(max).toBeLessThanOrEqual(1e-4);
    expect(greedyTokens).toBeGreaterThan(10);
  });

  it("score: an empty prompt is conditioned on <bos>, as the engine would be", async () => {
    const got = await lm.score({ prompt: "", continuation: "ab" });
    const [want] = scoreContinuations(engine, [{ prompt: [tok.bos], continuation: tok.encode("ab") }]);
    got.tokens.forEach((t, i) => expect(Math.abs(t.logprob - want.logprobs[i])).toBeLessThanOrEqual(1e-4));
  });

  it("scoreBatch equals the individual scores, in request order", async () => {
    const reqs = Array.from({ length: 9 }, (_, i) => ({ prompt: `item ${i}: `, continuation: "abcdefg".slice(0, 1 + (i % 7)) }));
    const batch = await lm.scoreBatch(reqs);
    for (let i = 0; i < reqs.length; i++) {
      const one = await lm.score(reqs[i]);
      expect(batch[i].tokens.map((t) => t.id)).toEqual(one.tokens.map((t) => t.id));
      batch[i].tokens.forEach((t, j) => expect(Math.abs(t.logprob - one.tokens[j].logprob)).toBeLessThanOrEqual(1e-5));
    }
  });

  it("nextTokenLogprobs: the full distribution within 1e-4, sorted; top-k when k is given", async () => {
    let max = 0;
    for (const text of ["The cat", "a", "Hello, world!"]) {
      const prefix = [tok.bos, ...tok.encode(text)];
      const want = nextTokenLogprobs(engine, prefix);
      const got = await lm.nextTokenLogprobs!(prefix);
      expect(got.kind).toBe("full");
      expect(got.entries).toHaveLength(engine.config.vocabSize);
      for (const e of got.entries) max = Math.max(max, Math.abs(e.logprob - want[e.id]));
      for (let i = 1; i < got.entries.length; i++) expect(got.entries[i].logprob).toBeLessThanOrEqual(got.entries[i - 1].logprob);
      const top = await lm.nextTokenLogprobs!(prefix, 5);
      expect(top.kind).toBe("top-k");
      expect(top.entries.map((e) => e.id)).toEqual(got.entries.slice(0, 5).map((e) => e.id));
    }
    console.log(`llamacpp nextTokenLogprobs vs engine: max |Δ log p| = ${max.toExponential(2)} over ${engine.config.vocabSize} tokens × 3 prefixes`);
    expect(max).toBeLessThanOrEqual(1e-4);
  });

  it("scoreTokens: log p of each token given the ones before it, with top-k", async () => {
    const ids = [tok.bos, ...tok.encode("The cat sat")];
    const got = await lm.scoreTokens!(ids, 3);
    const [want] = scoreContinuations(engine, [{ prompt: ids.slice(0, 1), continuation: ids.slice(1) }]);
    expect(got.map((p) => p.id)).toEqual(ids.slice(1));
    got.forEach((p, i) => {
      expect(Math.abs(p.logprob - want.logprobs[i])).toBeLessThanOrEqual(1e-4);
      expect(p.top).toHaveLength(3);
    });
  });

  it("generate: greedy text equals the engine's greedy generateTokens; logprobs match", async () => {
    for (const prompt of ["The cat", "2+2=", "Once upon"]) {
      const [want] = generateTokens(engine, [tok.encode(prompt)], { maxTokens: 30, temperature: 0, stopTokens });
      const got = await lm.generate({ prompt, maxTokens: 30, temperature: 0, logprobs: true });
      const [s] = got.samples;
      expect(s.text).toBe(lm.vocab!.decode(want.tokens)); // specials and padding ids rendered, as llama.cpp names them
      expect(s.tokens!.map((t) => t.id)).toEqual(want.tokens);
      s.tokens!.forEach((t, i) => expect(Math.abs(t.logprob - want.logprobs[i])).toBeLessThanOrEqual(1e-4));
      expect(s.finishReason).toBe(want.finish);
    }
  });

  it("generate: seeded sampling draws what the engine draws (n samples, seed + i), and is reproducible", async () => {
    const req = { prompt: "The cat", maxTokens: 20, temperature: 0.8, topK: 40, topP: 0.95, seed: 11, n: 3 };
    const want = generateTokens(engine, [0, 1, 2].map(() => tok.encode(req.prompt)), { ...req, stopTokens });
    const got = await lm.generate(req);
    expect(got.samples.map((s) => s.text)).toEqual(want.map((w) => lm.vocab!.decode(w.tokens)));
    expect((await lm.generate(req)).samples.map((s) => s.text)).toEqual(got.samples.map((s) => s.text));
  });

  it("generate: stop strings cut the text (not included), with per-token logprobs up to the cut", async () => {
    const full = (await lm.generate({ prompt: "The cat", maxTokens: 20, temperature: 0, logprobs: true })).samples[0];
    const stop = full.tokens!.slice(3).find((t) => t.token.length === 1)!.token;
    expect(full.text).toContain(stop);
    const [s] = (await lm.generate({ prompt: "The cat", maxTokens: 20, temperature: 0, stop: [stop], logprobs: true })).samples;
    expect(s.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
    expect(s.finishReason).toBe("stop");
    expect(s.tokens!.map((t) => t.token).join("")).toBe(s.text);
  });

  it("generate: chat messages go through the GGUF's chat template", async () => {
    const messages = [{ role: "user" as const, content: "hi" }];
    const [s] = (await lm.generate({ messages, maxTokens: 10, temperature: 0, logprobs: true })).samples;
    const [want] = generateTokens(engine, [tok.encode("<bos><|user|>hi<|end|><|assistant|>", { allowSpecial: true })], { maxTokens: 10, temperature: 0, stopTokens });
    expect(s.tokens!.map((t) => t.id)).toEqual(want.tokens);
  });

  it("generateBatch runs requests in parallel, keeps request order, and decodes each as it would alone", async () => {
    // every request has a llama.cpp context of its own, so each step is evaluated in the same
    // batch shape as a single request's (NOTE: with several sequences in one context the
    // kernels saw other shapes, and greedy decodes could part at near-ties)
    const reqs = ["a", "bb", "The", "x y", "zz", "q"].map((prompt) => ({ prompt, maxTokens: 8, temperature: 0, logprobs: true }));
    const batch = await lm.generateBatch(reqs);
    for (let i = 0; i < reqs.length; i++) {
      const [single] = (await lm.generate(reqs[i])).samples;
      expect(batch[i].samples[0]).toEqual(single);
    }
  });

  it("refuses prompt + continuation beyond the context (the last slot would shift the context)", async () => {
    await expect(lm.score({ prompt: "a".repeat(250), continuation: "b".repeat(10) })).rejects.toThrow(/context holds 255/);
  });

  it("vocab: size, encode/decode round trip, token text", () => {
    expect(lm.vocab!.size).toBe(engine.config.vocabSize);
    expect(lm.vocab!.encode("Hi there")).toEqual(tok.encode("Hi there"));
    expect(lm.vocab!.decode(tok.encode("Hi there"))).toBe("Hi there");
    expect(lm.vocab!.tokenText(tok.bos)).toBe("<bos>");
  });

  it("id: sha256 of the content, stable across opens, different for another file", async () => {
    expect(lm.id).toMatch(/^gguf:[0-9a-f]{64}$/);
    const copy = join(dir, "copy.gguf");
    await copyFile(path, copy);
    const again = await openGgufModel(copy, { contextSize: 64, parallel: 1 });
    expect(again.id).toBe(lm.id);
    await again.close();
    const other = await openGgufModel(await exportModel(engineModel(8), dir, "other"), { contextSize: 64, parallel: 1 });
    expect(other.id).not.toBe(lm.id);
    await other.close();
  });
});
