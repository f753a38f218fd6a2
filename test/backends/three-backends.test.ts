/**
 * One model, three backends: the engine's checkpoint (builtin), its GGUF export run by
 * llama.cpp (gguf), and `ftledger serve` reached over HTTP (openai) score the same
 * requests the same. Tolerances: builtin ↔ openai exact to 1e-9 (the server runs the
 * builtin backend; JSON carries doubles); builtin ↔ gguf 1e-4 per token (llama.cpp's
 * own fp32 kernels, f32 KV cache).
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { exportGguf, saveCheckpoint } from "../../src/formats/index.js";
import type { ContinuationScore } from "../../src/backends/index.js";
import { closeThree, maxLogprobDiff, openThree, type Three } from "../helpers/three-backends.js";

const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 64,
  contextLength: 128, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};
const requests = [
  { prompt: "the cat ", continuation: "sees a dog." },
  { prompt: "Q: 2 + 3 = ?\nA:", continuation: " 5" },
  { prompt: "two small foxes", continuation: " chase the birds" },
  { prompt: "x", continuation: "y" },
];

let three: Awaited<ReturnType<typeof openThree>> | undefined;
let models: Three;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ftledger-three-"));
  const m = Llama.f32(config, createTsKernels());
  m.initialize(createRng(31), 0.3);
  const saved = await saveCheckpoint(join(dir, "ckpt"), { config, params: m.params.flat, tokenizer: tok });
  if (!saved.ok) throw new Error("save failed");
  const gguf = await exportGguf(join(dir, "ckpt"), join(dir, "m.gguf"), { dtype: "f32" });
  if (!gguf.ok) throw new Error("export failed");
  three = await openThree(join(dir, "ckpt"), join(dir, "m.gguf"), "m");
  models = three.models;
});

afterAll(() => closeThree(three));

const maxDiff = (a: ContinuationScore[], b: ContinuationScore[]) => maxLogprobDiff(a, b, "token");

describe("one model, three backends", () => {
  it("score the same continuations the same", async () => {
    const [b, g, o] = await Promise.all([models.builtin.scoreBatch(requests), models.gguf.scoreBatch(requests), models.openai.scoreBatch(requests)]);
    const dOpenai = maxDiff(b, o);
    const dGguf = maxDiff(b, g);
    console.log(`max |Δ log p| per token: builtin↔openai ${dOpenai.toExponential(2)}, builtin↔gguf ${dGguf.toExponential(2)}`);
    expect(dOpenai).toBeLessThan(1e-9);
    expect(dGguf).toBeLessThan(1e-4);
    b.forEach((s, i) => {
      expect(o[i].tokens.map((t) => t.isGreedy)).toEqual(s.tokens.map((t) => t.isGreedy));
      expect(g[i].tokens.map((t) => t.isGreedy)).toEqual(s.tokens.map((t) => t.isGreedy));
    });
  });

  it("generate the same greedy text", async () => {
    const req = { prompt: "the cat", maxTokens: 12, temperature: 0 };
    const [b, g, o] = await Promise.all([models.builtin.generate(req), models.gguf.generate(req), models.openai.generate(req)]);
    expect(o.samples[0].text).toBe(b.samples[0].text);
    expect(g.samples[0].text).toBe(b.samples[0].text);
  });

  it("have distinct, stable ids per backend", async () => {
    const ids = Object.values(models).map((m) => m.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toMatch(/^builtin:/);
    expect(ids[1]).toMatch(/^gguf:/);
    expect(ids[2]).toMatch(/^openai:/);
  });
});
