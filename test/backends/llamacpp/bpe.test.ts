/**
 * GGUF export of a byte-level BPE model (src/formats/gguf/vocab.ts, llama.ts): llama.cpp
 * (node-llama-cpp 3.21.1, prebuilt CPU binary) loads the `gpt2` vocab with its merges and
 * the "gpt-2" pre-tokenizer and splits world text and edge cases exactly as the lab's
 * BpeTokenizer does; and the gguf backend's scores agree with the builtin backend's on
 * the same checkpoint within the 1e-4 per token the other export tests use.
 */
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama as LlamaCpp, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../../../src/random/index.js";
import { Llama, type ModelConfig } from "../../../src/model/index.js";
import { createTsKernels } from "../../../src/tensor/index.js";
import { exportGguf, openGguf, saveCheckpoint } from "../../../src/formats/index.js";
import { corpusDocuments, trainBpe } from "../../../src/train/index.js";
import { worldSettingsSchema } from "../../../src/world/index.js";
import { openModel } from "../../../src/backends/index.js";
import type { LanguageModel } from "../../../src/backends/language-model.js";
import { tempDir, unwrap } from "../../formats/helpers.js";

const docs = corpusDocuments(worldSettingsSchema.parse({}), { knowledge: 0.5, arithmetic: 0.5 }, 600).map((d) => d.text);
const tok = trainBpe(docs, { vocabSize: 400 });
const config: ModelConfig = {
  vocabSize: 400, dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 128, contextLength: 256, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};
const EDGE = [
  " ", "   ", "\n", "\n\n\n", "a  b", "trailing spaces   ", " leading", "tab\there\r\n", "0123456789 1000000 3.14 -7",
  "it's they'll we've I'm she'd", "héllo wörld naïve café", "日本語テキスト", "emoji 🎉🚀 done", "x\n \n  y", "a<eos>b",
];

const dir = await tempDir("llamacpp-bpe");
let ckpt: string;
let gguf: string;
let llama: LlamaCpp;
let model: LlamaModel;
let cpp: LanguageModel;
let builtin: LanguageModel;

beforeAll(async () => {
  const engine = Llama.f32(config, createTsKernels());
  engine.initialize(createRng(5), 0.3);
  ckpt = join(dir, "ckpt");
  unwrap(await saveCheckpoint(ckpt, { config, params: engine.params.flat, tokenizer: tok }));
  gguf = join(dir, "bpe.gguf");
  unwrap(await exportGguf(ckpt, gguf, { dtype: "f32" }));
  llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  cpp = await openModel(`gguf:${gguf}`);
  builtin = await openModel(`builtin:${ckpt}`, { kernels: createTsKernels() });
});
afterAll(async () => {
  await cpp?.close();
  await builtin?.close();
  await model?.dispose();
  await llama?.dispose();
});

describe("GGUF export of a byte-level BPE model", () => {
  it("writes the gpt2 vocab with its merges, the gpt-2 pre-tokenizer and control specials", async () => {
    const g = unwrap(await openGguf(gguf));
    await g.close();
    const kv = (k: string) => (g.kv.get(k) as { value?: unknown } | undefined)?.value;
    expect(kv("tokenizer.ggml.model")).toBe("gpt2");
    expect(kv("tokenizer.ggml.pre")).toBe("gpt-2");
    expect(kv("tokenizer.ggml.merges")).toEqual(tok.merges.map(([a, b]) => `${a} ${b}`));
    expect((kv("tokenizer.ggml.tokens") as string[]).slice(0, tok.size)).toEqual(tok.tokens);
    expect((kv("tokenizer.ggml.token_type") as number[]).slice(0, 9)).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 1]);
  });

  it("llama.cpp tokenizes world text and edge cases exactly as BpeTokenizer encodes them", () => {
    for (const text of [...docs.slice(0, 200), ...EDGE]) {
      expect(model.tokenize(text, false).map(Number), JSON.stringify(text)).toEqual(tok.encode(text));
      expect(model.detokenize(tok.encode(text) as never[])).toBe(text);
    }
    const chat = "<|user|>What is 2+3?<|end|><|assistant|>5<|end|>";
    expect(model.tokenize(chat, true).map(Number)).toEqual(tok.encode(chat, { allowSpecial: true }));
  });

  it("the gguf backend scores as the builtin backend does, within 1e-4 per token", async () => {
    let max = 0;
    for (const text of [docs[0], docs[1], "Fact check. What is the job of Vili?\nAnswer: farmer"]) {
      const ids = [tok.bos, ...tok.encode(text)].slice(0, 200);
      const a = await cpp.scoreTokens!(ids, 1);
      const b = await builtin.scoreTokens!(ids, 1);
      expect(a.map((p) => p.id)).toEqual(b.map((p) => p.id));
      a.forEach((p, i) => (max = Math.max(max, Math.abs(p.logprob - b[i].logprob))));
    }
    for (const req of [{ prompt: "Problem: Mara has 3 shells.", continuation: " She finds 4 more." }, { prompt: "Answer:", continuation: " 42" }]) {
      const a = await cpp.score(req);
      const b = await builtin.score(req);
      expect(a.tokens.map((t) => t.id)).toEqual(b.tokens.map((t) => t.id));
      expect(a.tokens.map((t) => t.id)).toEqual(tok.encode(req.continuation));
      a.tokens.forEach((t, i) => (max = Math.max(max, Math.abs(t.logprob - b.tokens[i].logprob))));
    }
    console.log(`BPE gguf vs builtin: max |Δ log p| per token = ${max.toExponential(2)}`);
    expect(max).toBeLessThanOrEqual(1e-4);
  });
});
