/**
 * Token healing on the gguf backend (src/backends/healing.ts, llamacpp/generate.ts): the
 * byte-level BPE zoo model exported to GGUF heals a prompt's trailing whitespace as the
 * builtin backend does, so greedy answers to the world's knowledge questions are the same
 * text on both, and the first token's renormalised logprob agrees.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportGguf } from "../../../src/formats/index.js";
import { openModel } from "../../../src/backends/index.js";
import type { GenerateRequest, LanguageModel } from "../../../src/backends/language-model.js";
import { KNOWLEDGE_DEFAULTS, knowledgeTask } from "../../../src/world/knowledge/index.js";
import { tempDir, unwrap } from "../../formats/helpers.js";

const items = knowledgeTask.items({ config: KNOWLEDGE_DEFAULTS, seed: 1, split: "id", n: 10 });
let cpp: LanguageModel;
let builtin: LanguageModel;

beforeAll(async () => {
  const gguf = join(await tempDir("llamacpp-healing"), "base-m-bpe.gguf");
  unwrap(await exportGguf("zoo/base-m-bpe", gguf, { dtype: "f32" }));
  cpp = await openModel(`gguf:${gguf}`);
  builtin = await openModel("builtin:zoo/base-m-bpe");
});
afterAll(async () => {
  await cpp?.close();
  await builtin?.close();
});

describe("token healing, gguf backend", () => {
  it("greedy generation equals the builtin backend's on 10 knowledge prompts, and answers them", async () => {
    const reqs: GenerateRequest[] = items.map((it) => ({ prompt: it.prompt, maxTokens: 8, temperature: 0, stop: ["\n"], logprobs: true }));
    const a = await cpp.generateBatch(reqs);
    const b = await builtin.generateBatch(reqs);
    const texts = a.map((g) => g.samples[0].text);
    expect(texts).toEqual(b.map((g) => g.samples[0].text));
    expect(texts.filter((t, i) => t === items[i].answerText).length).toBeGreaterThanOrEqual(9);
    for (let i = 0; i < items.length; i++) {
      const [x, y] = [a[i].samples[0].tokens!, b[i].samples[0].tokens!];
      expect(x.map((t) => t.id)).toEqual(y.map((t) => t.id));
      // the first token's logprob is renormalised over the tokens that spell the healed space, on both
      expect(x[0].logprob).toBeCloseTo(y[0].logprob, 3);
    }
  });

  it("a prompt ending in a newline with a newline stop: healed, not cut at once", async () => {
    const req: GenerateRequest = { prompt: "Fact check. What is the job of Vili?\n", maxTokens: 10, temperature: 0, stop: ["\n"], logprobs: true };
    const [a] = (await cpp.generate(req)).samples;
    const [b] = (await builtin.generate(req)).samples;
    expect(a.text).toBe(b.text);
    expect(a.text.length).toBeGreaterThan(0);
    expect(cpp.vocab!.decode([a.tokens![0].id!]).startsWith("\n")).toBe(true);
  });
});
