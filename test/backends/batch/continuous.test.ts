/**
 * Continuous batching decodes each row as the engine decodes it (same sampling, stop,
 * context and length rules), and a row's tokens and log-probs do not depend, to the last
 * bit, on which rows share its forward passes or how often its slot was refilled before.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels, loadKernels, type Kernels } from "../../../src/tensor/index.js";
import { Llama, generateTokens, type GenerateOptions } from "../../../src/model/index.js";
import { loadModelConfig, loadWeights, ZOO_DIR } from "../../../src/formats/index.js";
import { openModel, type LanguageModel } from "../../../src/backends/index.js";
import { decodeContinuous, type DecodeRow } from "../../../src/backends/batch/index.js";
import { DEFAULT_WORLD } from "../../../src/world/index.js";
import { suiteItems } from "../../../src/audit/index.js";

let engine: Llama<Float32Array>;
let reference: Llama<Float32Array>;
let m: LanguageModel;
let eos: number[];

beforeAll(async () => {
  const dir = join(ZOO_DIR, "base-s");
  const config = await loadModelConfig(dir);
  if (!config.ok) throw new Error("config");
  const weights = await loadWeights(dir, config.value);
  if (!weights.ok) throw new Error("weights");
  const load = (k: Kernels) => {
    const e = Llama.f32(config.value, k);
    e.params.flat.set(weights.value.params);
    return e;
  };
  // the kernels an audit runs on (native where it built: there fewer than 8 rows take
  // another GEMM, so a batch's composition would show without the padding)
  engine = load((await loadKernels()).kernels);
  // the TypeScript kernels treat every row alike whatever the batch: the engine's own
  // decoding of one sequence is the reference there
  reference = load(createTsKernels());
  m = await openModel(`builtin:${dir}`);
  eos = [...m.vocab!.eosIds!];
});

/** Rows with every sampling setting the probes use, over the audit's own prompts. */
function rows(): DecodeRow[] {
  const prompts = [...suiteItems("arithmetic", DEFAULT_WORLD, 8), ...suiteItems("knowledge", DEFAULT_WORLD, 8)].map((it) => m.vocab!.encodePrompt(it.prompt));
  const newline = m.vocab!.encode("\n")[0];
  const kinds: Omit<GenerateOptions, "stopTokens">[] = [
    { maxTokens: 160, temperature: 0 },
    { maxTokens: 160, temperature: 1 },
    { maxTokens: 24, temperature: 0, shouldStop: (_, ids) => ids.includes(newline) },
    { maxTokens: 40, temperature: 0.8, topK: 5 },
    { maxTokens: 40, temperature: 1, topP: 0.9 },
    { maxTokens: 1, temperature: 1 },
    { maxTokens: 0, temperature: 0 },
  ];
  return prompts.flatMap((prompt, i) => kinds.map((k, j) => ({ prompt, seed: 100 * i + j, opts: { ...k, stopTokens: eos } })));
}

describe("decodeContinuous", () => {
  it("decodes every row as the engine decodes it alone (TypeScript kernels)", () => {
    const all = rows().filter((_, i) => i % 3 === 0); // a third: the TypeScript kernels are slow
    const alone = all.map((r) => generateTokens(reference, [[...r.prompt]], { ...r.opts, seeds: [r.seed] })[0]);
    // the rows really differ in how they end, so refills happen at many different steps
    expect(new Set(alone.map((s) => s.finish))).toEqual(new Set(["stop", "length"]));
    expect(decodeContinuous(reference, all, 5)).toEqual(alone);
  });

  it("gives a row the same bits alone and beside any others, however many share its passes (the audit's kernels)", () => {
    // long greedy answers: 4 to 8 sequences decode together for many steps, the sizes at
    // which the native kernels' OpenBLAS path rounds unlike one row or 8 (without the
    // padding, most rows here differ in their log-probs)
    const greedy = rows().filter((r) => r.opts.maxTokens === 160 && r.opts.temperature === 0).map((r) => ({ ...r, opts: { ...r.opts, maxTokens: 60 } }));
    const all = [...greedy, ...rows()];
    const alone = all.map((r) => decodeContinuous(engine, [r], 1)[0]);
    for (const slots of [4, 6, 64]) expect(decodeContinuous(engine, all, slots)).toEqual(alone);
    // and in another order: what a row shares its passes with changes completely
    expect(decodeContinuous(engine, [...all].reverse(), 7).reverse()).toEqual(alone);
  });

  it("refuses a prompt beyond the context before computing anything, in the engine's words", () => {
    const long = { prompt: Array.from({ length: engine.config.contextLength + 1 }, () => 5), seed: 1, opts: { maxTokens: 4, temperature: 0 } };
    const ok = rows()[0];
    expect(() => decodeContinuous(engine, [ok, long], 8)).toThrow(/a prompt of 257 tokens exceeds the context length 256/);
    expect(() => decodeContinuous(engine, [{ ...ok, prompt: [] }], 8)).toThrow(/at least one token/);
    expect(() => decodeContinuous(engine, [ok], 0)).toThrow(/slots must be a positive integer/);
  });
});
