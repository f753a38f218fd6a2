/**
 * The check: a LoRA adapter made here loads in llama.cpp (node-llama-cpp 3.21.1,
 * the context's `lora` option) and gives the same log-probs as the builtin engine with the
 * adapter — merged into the weights (mergeLora) and attached without merging (attachLora).
 *
 * Bound: max |Δ log p| ≤ 1e-4 over 250 positions × the full vocabulary (32,000 log-probs),
 * the bound of the plain GGUF export test (test/formats/gguf-llamacpp.test.ts) on the same
 * kind of model (weights N(0, 0.1²)): f32 weights and adapter, F32 K/V cache, flash
 * attention off, so only float32 summation order differs — llama.cpp computes
 * W x + s·B(A x), the merged engine (W + s·BA) x. Measured when written: 7.7e-6 (the base
 * alone: 1.8e-6), while the adapter moves log-probs by up to 4.7. A wrong scale, a missing
 * q/k row permutation of lora_b or a transposed factor each move them by more than 1e-2
 * (the last test shows the permutation's).
 */
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Llama as LlamaCpp, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportGgufLora, loraGgufContent, unpermuteQK, writeGguf, writePeftAdapter } from "../../../src/formats/index.js";
import { Llama, viewParameters } from "../../../src/model/index.js";
import { createRng } from "../../../src/random/index.js";
import { createTsKernels } from "../../../src/tensor/index.js";
import { mergeLora } from "../../../src/weights/index.js";
import { tempDir, unwrap } from "../../formats/helpers.js";
import { randomAdapter } from "../../formats/lora-fixtures.js";
import { config, exportModel } from "./helpers.js";

const dir = await tempDir("lora-llamacpp");
const T = 250; // positions compared, below the 256-token context
const V = config.vocabSize;
const rng = createRng(41);
const tokens = Int32Array.from({ length: T }, () => rng.int(V));

// weights N(0, 0.1²) as in the plain export test: at std 0.3 (helpers' engineModel) log-probs reach −17 and even
// the base alone differs by 1.6e-4 between llama.cpp and the engine, float32 rounding of large logits
const base = Llama.f32(config, createTsKernels());
base.initialize(createRng(11), 0.1);
// every module adapted, q_proj and k_proj included; r = 4, alpha = 8 (s = 2)
const adapter = randomAdapter(config, { seed: 12, r: 4, alpha: 8, std: 0.15 });
const adapterDir = join(dir, "adapter");
const baseCkpt = join(dir, "base-ckpt");
let baseGguf: string;
let loraGguf: string;

/** The engine's log-probs (T, V) for `tokens`. */
function logprobs(model: Llama<Float32Array>): Float64Array {
  model.forward({ B: 1, T, tokens, targets: new Int32Array(T), mask: null });
  return Float64Array.from(model.lastProbs(), Math.log);
}

/** The engine on W + scale·(alpha/r)·B A. */
function merged(scale: number): Float64Array {
  const model = Llama.f32(config, createTsKernels());
  model.params.flat.set(base.params.flat);
  mergeLora(viewParameters(config, model.params.flat).byName, adapter, scale);
  return logprobs(model);
}

let llama: LlamaCpp;
beforeAll(async () => {
  baseGguf = await exportModel(base, dir, "base"); // also writes base-ckpt
  await writePeftAdapter(adapterDir, adapter, { baseModel: baseCkpt });
  loraGguf = join(dir, "lora.gguf");
  unwrap(await exportGgufLora(adapterDir, loraGguf, { dtype: "f32" })); // base found through base_model_name_or_path
  llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
});
afterAll(async () => {
  await llama?.dispose();
});

/** llama.cpp's log-probs at every position with `lora` applied at `scale`; max |Δ| against `engine`. */
async function maxDiff(lora: string | null, scale: number, engine: Float64Array): Promise<number> {
  const model = await llama.loadModel({ modelPath: baseGguf, gpuLayers: 0 });
  try {
    // one thread: on a shared 2-core machine ggml's spinning barriers made each evaluation take ~10 s with two
    const context = await model.createContext({
      contextSize: 256, batchSize: 256, sequences: 1, threads: 1, flashAttention: false,
      experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
      ...(lora ? { lora: { adapters: [{ filePath: lora, scale }] } } : {}),
    });
    const out = await context.getSequence().controlledEvaluate([...tokens].map((t) => [t as Token, { generateNext: { probabilities: true } }]));
    let max = 0;
    for (let p = 0; p < T; p++) {
      const probs = out[p]?.next.probabilities;
      if (!probs || probs.size !== V) throw new Error(`position ${p}: ${probs?.size ?? 0} probabilities, expected ${V}`);
      for (let v = 0; v < V; v++) max = Math.max(max, Math.abs(Math.log(probs.get(v as Token) ?? 0) - engine[p * V + v]));
    }
    await context.dispose();
    return max;
  } finally {
    await model.dispose(); // releases the adapter too
  }
}

describe("GGUF LoRA adapter in llama.cpp vs the builtin engine", () => {
  it("scale 1: llama.cpp with the adapter matches the engine on merged weights to ≤ 1e-4, and the adapter matters", async () => {
    const engine = merged(1);
    const diff = await maxDiff(loraGguf, 1, engine);
    const withoutAdapter = await maxDiff(null, 1, engine);
    const floor = await maxDiff(null, 1, logprobs(base));
    console.log(`llama.cpp+LoRA vs engine (merged): max |Δ log p| = ${diff.toExponential(2)} over ${T} positions × ${V} tokens; base alone vs engine base ${floor.toExponential(2)}; the adapter moves log-probs by up to ${withoutAdapter.toFixed(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-4);
    expect(withoutAdapter).toBeGreaterThan(1);
  });

  it("scale 0.5 is the user multiplier of alpha/r in both", async () => {
    const diff = await maxDiff(loraGguf, 0.5, merged(0.5));
    console.log(`llama.cpp+LoRA@0.5 vs engine (merged @0.5): max |Δ log p| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-4);
  });

  it("matches the engine with the adapter attached (not merged) to ≤ 1e-4", async () => {
    const model = Llama.f32(config, createTsKernels());
    model.params.flat.set(base.params.flat);
    model.attachLora(adapter);
    const diff = await maxDiff(loraGguf, 1, logprobs(model));
    console.log(`llama.cpp+LoRA vs engine (attached): max |Δ log p| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-4);
  });

  it("needs the q/k row permutation of lora_b: without it the log-probs disagree", async () => {
    const content = loraGgufContent(adapter, config, { dtype: "f32", name: "unpermuted" });
    for (const t of content.tensors) {
      if (t.name.endsWith("attn_q.weight.lora_b")) t.data = unpermuteQK(t.data, config.nHeads, 4);
      if (t.name.endsWith("attn_k.weight.lora_b")) t.data = unpermuteQK(t.data, config.nKvHeads, 4);
    }
    await writeGguf(join(dir, "unpermuted.gguf"), content);
    const diff = await maxDiff(join(dir, "unpermuted.gguf"), 1, merged(1));
    console.log(`llama.cpp+LoRA without the lora_b permutation: max |Δ log p| = ${diff.toExponential(2)}`);
    expect(diff).toBeGreaterThan(1e-2);
  });
});
