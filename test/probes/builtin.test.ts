/**
 * The probes on a real backend (a tiny random builtin checkpoint): retention's ranking
 * uses the backend's own scores, task.accuracy's responses are the backend's greedy text
 * in each prompt format, and format.collapse's seeded sampling repeats itself.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint } from "../../src/formats/index.js";
import { openBuiltinModel, type LanguageModel } from "../../src/backends/index.js";
import { PROBES, renderer } from "../../src/probes/index.js";
import { collect, probeContext, worldItems } from "./helpers.js";

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

const know = worldItems("knowledge", 3);
const arith = worldItems("arithmetic", 3);

describe("probes on the builtin backend", () => {
  it("retention ranks the options by the backend's own scores", async () => {
    const records = await collect(PROBES["knowledge.retention"].run(model, know, probeContext(model, { batchSize: 10, maxTokens: 12 })));
    for (const [i, r] of records.entries()) {
      const options = know[i].options!;
      const direct = await Promise.all(options.map((o) => model.score({ prompt: know[i].prompt, continuation: o })));
      const best = options[direct.map((s) => s.logprob).indexOf(Math.max(...direct.map((s) => s.logprob)))];
      expect(r.values["closed-book"]).toBe(best === know[i].answer ? 1 : 0);
    }
  });

  it("task.accuracy reads the backend's greedy text, raw and chat", async () => {
    const probe = PROBES["task.accuracy"];
    const raw = await collect(probe.run(model, arith, probeContext(model, { maxTokens: 12 })));
    const chat = await collect(probe.run(model, arith, probeContext(model, { maxTokens: 12, render: renderer(model, { kind: "chat" }) })));
    const g = await model.generate({ prompt: arith[0].prompt, maxTokens: 12, temperature: 0 });
    const c = await model.generate({ messages: [{ role: "user", content: arith[0].prompt }], maxTokens: 12, temperature: 0 });
    expect(JSON.stringify(raw[0].detail)).toContain(JSON.stringify(g.samples[0].text));
    expect(JSON.stringify(chat[0].detail)).toContain(JSON.stringify(c.samples[0].text));
  });

  it("format.collapse samples the same responses for the same seed", async () => {
    const probe = PROBES["format.collapse"];
    const ctx = probeContext(model, { seed: 5, samples: 2, maxTokens: 12 });
    const a = await collect(probe.run(model, arith, ctx));
    const b = await collect(probe.run(model, arith, ctx));
    expect(a).toEqual(b);
    expect(a).toHaveLength(3);
  });
});
