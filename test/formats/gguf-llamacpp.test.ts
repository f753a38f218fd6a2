/**
 * The real proof of the GGUF export: llama.cpp (through node-llama-cpp 3.21.1, prebuilt
 * CPU binary, never built or downloaded) loads our file and its full-vocabulary
 * next-token log-probs match the engine's forward pass.
 *
 * Setup that makes the comparison tight (measured: ~3e-6): f32 weights, an F32 K and V
 * cache (`experimentalKvCacheKeyType` / `experimentalKvCacheValueType`; the default F16
 * cache alone gives ~1.5e-3 here), flash attention off, probabilities from
 * `LlamaContextSequence.controlledEvaluate` with `generateNext.probabilities`.
 *
 * NOTE: llama.cpp can abort the whole process on a malformed file; this test only feeds
 * files written by our own exporter. NOTE: T stays below the context size: evaluating
 * the context's last slot makes node-llama-cpp shift the context (the last position
 * then disagrees).
 */
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama as LlamaCpp, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { createTsKernels } from "../../src/tensor/index.js";
import { exportGguf, llamaGgufContent, saveCheckpoint, unpermuteQK, writeGguf } from "../../src/formats/index.js";
import { tempDir, unwrap } from "./helpers.js";

const dir = await tempDir("llamacpp");
const tok = new CharTokenizer();
const T = 250; // positions compared (≥ 200), below the 256-token context
const base: ModelConfig = {
  vocabSize: 128, dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 128, contextLength: 256, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};

/** An engine model with weights large enough that next-token distributions are far from flat. */
function engineModel(config: ModelConfig, seed: number): Llama<Float32Array> {
  const model = Llama.f32(config, createTsKernels());
  const rng = createRng(seed);
  model.initialize(rng, 0.1);
  // norm gains away from 1 so that a misplaced norm tensor would show
  for (const l of model.params.layers) for (const g of [l.inputNorm, l.postNorm]) for (let i = 0; i < g.length; i++) g[i] = 1 + 0.2 * rng.normal();
  return model;
}

const rng = createRng(99);
const tokens = Int32Array.from({ length: T }, () => rng.int(base.vocabSize)); // every embedding row, specials and padding included

/** Engine log-probs (T, V) for `tokens`. */
function engineLogprobs(model: Llama<Float32Array>): Float64Array {
  model.forward({ B: 1, T, tokens, targets: new Int32Array(T), mask: null });
  return Float64Array.from(model.lastProbs(), Math.log);
}

let llama: LlamaCpp;
beforeAll(async () => {
  // prebuilt linux-x64 CPU binary only: no GPU probing, no source build, no download
  llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
});
afterAll(async () => {
  await llama?.dispose();
});

/** llama.cpp's next-token log-probs at every position, and max |Δ| against the engine's. */
async function maxLogprobDiff(ggufPath: string, engine: Float64Array, V: number): Promise<number> {
  const model = await llama.loadModel({ modelPath: ggufPath, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: 256,
    batchSize: 256,
    sequences: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
  });
  try {
    expect(model.tokens.bos).toBe(tok.bos);
    const out = await context.getSequence().controlledEvaluate([...tokens].map((t) => [t as Token, { generateNext: { probabilities: true } }]));
    let max = 0;
    for (let p = 0; p < T; p++) {
      const probs = out[p]?.next.probabilities;
      if (!probs || probs.size !== V) throw new Error(`position ${p}: llama.cpp returned ${probs?.size ?? 0} probabilities, expected ${V}`);
      for (let v = 0; v < V; v++) max = Math.max(max, Math.abs(Math.log(probs.get(v as Token) ?? 0) - engine[p * V + v]));
    }
    return max;
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

describe("GGUF export loaded by llama.cpp (node-llama-cpp)", () => {
  it("f32, untied, GQA: full-vocabulary log-probs match the engine to ≤ 1e-4 over 250 positions", async () => {
    const model = engineModel(base, 1);
    const ckpt = join(dir, "untied");
    unwrap(await saveCheckpoint(ckpt, { config: base, params: model.params.flat, tokenizer: tok }));
    unwrap(await exportGguf(ckpt, join(dir, "untied-f32.gguf"), { dtype: "f32" }));
    const diff = await maxLogprobDiff(join(dir, "untied-f32.gguf"), engineLogprobs(model), base.vocabSize);
    console.log(`llama.cpp vs engine, f32 GGUF: max |Δ log p| = ${diff.toExponential(2)} over ${T} positions × ${base.vocabSize} tokens`);
    expect(diff).toBeLessThanOrEqual(1e-4);
  });

  it("f16, tied: log-probs within 2e-2", async () => {
    const config = { ...base, tiedEmbeddings: true };
    const model = engineModel(config, 2);
    const ckpt = join(dir, "tied");
    unwrap(await saveCheckpoint(ckpt, { config, params: model.params.flat, tokenizer: tok }));
    unwrap(await exportGguf(ckpt, join(dir, "tied-f16.gguf"), { dtype: "f16" }));
    const diff = await maxLogprobDiff(join(dir, "tied-f16.gguf"), engineLogprobs(model), config.vocabSize);
    console.log(`llama.cpp vs engine, f16 GGUF: max |Δ log p| = ${diff.toExponential(2)} over ${T} positions × ${config.vocabSize} tokens`);
    expect(diff).toBeLessThanOrEqual(2e-2);
  });

  it("llama.cpp tokenizes text as CharTokenizer does (ASCII and special tokens)", async () => {
    // relies on the f32 file of the first test
    const model = await llama.loadModel({ modelPath: join(dir, "untied-f32.gguf"), gpuLayers: 0 });
    try {
      for (const text of ["Hello, world!\n\tx  y", "it's 12,345 don't   a\n\n", "<|system|>be brief<|end|><|user|>2+2?<|end|><|assistant|>"]) {
        const ids = model.tokenize(text, true);
        expect([...ids].map(Number)).toEqual(tok.encode(text, { allowSpecial: true }));
        expect(model.detokenize(ids, true)).toBe(text);
      }
      // NOTE: characters outside the vocab are dropped by llama.cpp, where CharTokenizer gives <unk>
      expect([...model.tokenize("café")].map(Number)).toEqual(tok.encode("caf"));
    } finally {
      await model.dispose();
    }
  });

  it("notices a wrong RoPE layout: without the q/k permutation the log-probs disagree", async () => {
    const model = engineModel(base, 1);
    const content = llamaGgufContent({ config: base, params: model.params.flat, tokenizer: tok }, { dtype: "f32", name: "unpermuted" });
    for (const t of content.tensors) {
      if (t.name.endsWith("attn_q.weight")) t.data = unpermuteQK(t.data, base.nHeads, base.dim);
      if (t.name.endsWith("attn_k.weight")) t.data = unpermuteQK(t.data, base.nKvHeads, base.dim);
    }
    await writeGguf(join(dir, "unpermuted.gguf"), content);
    const diff = await maxLogprobDiff(join(dir, "unpermuted.gguf"), engineLogprobs(model), base.vocabSize);
    console.log(`llama.cpp vs engine, f32 GGUF without the q/k permutation: max |Δ log p| = ${diff.toExponential(2)}`);
    expect(diff).toBeGreaterThan(1e-2);
  });
});
