/**
 * The probes on a real backend (a tiny random builtin checkpoint): ranking's
 * log-probabilities are the backend's own scores, generation's responses are the
 * backend's greedy text in each frame, and seeded sampling repeats itself.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { CharTokenizer, Llama, createRng, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint } from "../../src/formats/index.js";
import { openBuiltinModel, type LanguageModel } from "../../src/backends/index.js";
import { generationAccuracy, rankingAccuracy, sampleFormats } from "../../src/probes/index.js";
import { tasks } from "../../src/world/index.js";

const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 48,
  contextLength: 256, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};
const kernels = createTsKernels();
let model: LanguageModel;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ftledger-probes-"));
  const m = Llama.f32(config, kernels);
  m.initialize(createRng(1), 0.3);
  const r = await saveCheckpoint(join(dir, "m"), { config, params: m.params.flat, tokenizer: tok });
  if (!r.ok) throw new Error("save failed");
  model = await openBuiltinModel(join(dir, "m"), { kernels });
});

const know = tasks.knowledge.items({ config: tasks.knowledge.defaults, seed: 1, split: "id", n: 3 });
const arith = tasks.arithmetic.items({ config: tasks.arithmetic.defaults, seed: 1, split: "id", n: 3 });

describe("probes on the builtin backend", () => {
  it("ranks by the backend's own scores", async () => {
    const records = await rankingAccuracy(model, know, { batchSize: 10 });
    for (const [i, r] of records.entries()) {
      const direct = await Promise.all(r.options.map((o) => model.score({ prompt: know[i].prompt, continuation: o })));
      direct.forEach((s, j) => expect(r.logprobs[j]).toBeCloseTo(s.logprob, 5));
      expect(r.chosen).toBe(r.options[r.logprobs.indexOf(Math.max(...r.logprobs))]);
    }
  });

  it("generates the backend's greedy text, raw and chat", async () => {
    const raw = await generationAccuracy(model, tasks.arithmetic, arith, { maxTokens: 12 });
    const chat = await generationAccuracy(model, tasks.arithmetic, arith, { maxTokens: 12, frame: "chat" });
    const g = await model.generate({ prompt: arith[0].prompt, maxTokens: 12, temperature: 0 });
    const c = await model.generate({ messages: [{ role: "user", content: arith[0].prompt }], maxTokens: 12, temperature: 0 });
    expect(raw[0].response).toBe(g.samples[0].text);
    expect(chat[0].response).toBe(c.samples[0].text);
  });

  it("samples the same responses for the same seed", async () => {
    const a = await sampleFormats(model, tasks.arithmetic, arith, { seed: 5, samples: 2, maxTokens: 12 });
    const b = await sampleFormats(model, tasks.arithmetic, arith, { seed: 5, samples: 2, maxTokens: 12 });
    expect(a).toEqual(b);
    expect(a).toHaveLength(6);
  });
});
