/**
 * The builtin backend: the engine behind LanguageModel, reading a model folder the way
 * transformers would (tokenizer.json through HF tokenizers, chat template through jinja).
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, generateTokens, scoreContinuations, parameterTable, numel, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint, writeSafetensorsModel } from "../../src/formats/index.js";
import { openBuiltinModel } from "../../src/backends/builtin/index.js";

const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48,
  contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};
const kernels = createTsKernels();
let dir = "";
let engine: Llama<Float32Array>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-builtin-"));
  engine = Llama.f32(config, kernels);
  engine.initialize(createRng(11), 0.3);
  const r = await saveCheckpoint(join(dir, "m"), { config, params: engine.params.flat, tokenizer: tok });
  if (!r.ok) throw new Error("save failed");
});

describe("builtin backend", () => {
  it("scores like the engine, with the boundary where lm-eval puts it", async () => {
    const m = await openBuiltinModel(join(dir, "m"), { kernels });
    const s = await m.score({ prompt: "the cat ", continuation: "sees" });
    // trailing space of the prompt moves onto the continuation
    expect(s.tokens.map((t) => t.token)).toEqual([" ", "s", "e", "e", "s"]);
    const [ref] = scoreContinuations(engine, [{ prompt: tok.encode("the cat"), continuation: tok.encode(" sees") }]);
    s.tokens.forEach((t, i) => {
      expect(Math.abs(t.logprob - ref.logprobs[i])).toBeLessThan(1e-6);
      expect(t.isGreedy).toBe(ref.greedy[i]);
    });
    expect(s.logprob).toBeCloseTo(ref.logprobs.reduce((a, b) => a + b, 0), 6);
    expect(s.isGreedy).toBe(ref.greedy.every(Boolean));
    const batch = await m.scoreBatch([{ prompt: "a", continuation: "bc" }, { prompt: "the cat ", continuation: "sees" }]);
    expect(batch[1].logprob).toBeCloseTo(s.logprob, 6);
    await expect(m.score({ prompt: "x", continuation: "" })).rejects.toThrow(/continuation is empty/);
  });

  it("returns an empty reply as empty text (a model that ends at once must not crash a run)", async () => {
    const m = await openBuiltinModel(join(dir, "m"), { kernels });
    expect(m.vocab?.decode([])).toBe("");
    // an untrained model samples an end token first now and then (seeded: this run does)
    const g = await m.generate({ prompt: "the cat", maxTokens: 1, temperature: 1, seed: 1, n: 400 });
    expect(g.samples.some((s) => s.text === "")).toBe(true);
  });

  it("generateBatch decodes requests together and gives each what generate gives it", async () => {
    const m = await openBuiltinModel(join(dir, "m"), { kernels });
    const reqs = [
      { prompt: "the cat", maxTokens: 12, temperature: 0 },
      { prompt: "a dog ", maxTokens: 12, temperature: 1, seed: 5, n: 3, logprobs: true },
      { prompt: "two", maxTokens: 12, temperature: 0, stop: ["e"] },
      { prompt: "the fox", maxTokens: 7, temperature: 1, seed: 9 },
      { messages: [{ role: "user" as const, content: "hi" }], maxTokens: 12, temperature: 1, seed: 5, n: 2 },
    ];
    const batched = await m.generateBatch!(reqs);
    const single = await Promise.all(reqs.map((r) => m.generate(r)));
    expect(batched).toEqual(single);
  });

  it("generates like the engine: greedy, seeded samples, stop strings, logprobs, chat", async () => {
    const m = await openBuiltinModel(join(dir, "m"), { kernels });
    const g = await m.generate({ prompt: "hello", maxTokens: 12, temperature: 0, logprobs: true });
    // generation_config.json lists <eos> and <|end|> as end tokens
    const ends = [tok.eos, tok.idOf("<|end|>")];
    const [ref] = generateTokens(engine, [tok.encode("hello")], { maxTokens: 12, temperature: 0, stopTokens: ends });
    expect(g.samples[0].text).toBe(tok.decode(ref.tokens));
    expect(g.samples[0].tokens!.map((t) => t.logprob)).toEqual(ref.logprobs);
    const a = await m.generate({ prompt: "hello", maxTokens: 10, temperature: 1, seed: 5, n: 3 });
    const b = await m.generate({ prompt: "hello", maxTokens: 10, temperature: 1, seed: 5, n: 3 });
    expect(a).toEqual(b);
    expect(a.samples).toHaveLength(3);
    // a stop string taken from the greedy output cuts the text before it
    const full = g.samples[0].text;
    expect(full.length, `greedy output "${full}" is too short to test stop strings`).toBeGreaterThanOrEqual(2);
    const stopAt = full.slice(1, 2);
    const stopped = await m.generate({ prompt: "hello", maxTokens: 12, temperature: 0, stop: [stopAt], logprobs: true });
    expect(stopped.samples[0].text).toBe(full.slice(0, full.indexOf(stopAt)));
    expect(stopped.samples[0].finishReason).toBe("stop");
    expect(stopped.samples[0].tokens!.map((t) => t.token).join("")).toBe(stopped.samples[0].text);
    const chat = await m.generate({ messages: [{ role: "user", content: "hi" }], maxTokens: 4, temperature: 0 });
    const [chatRef] = generateTokens(engine, [tok.encode("<bos><|user|>hi<|end|><|assistant|>", { allowSpecial: true })], { maxTokens: 4, temperature: 0, stopTokens: ends });
    expect(chat.samples[0].text).toBe(tok.decode(chatRef.tokens));
  });

  it("gives the full next-token distribution, or its top-k", async () => {
    const m = await openBuiltinModel(join(dir, "m"), { kernels });
    const full = await m.nextTokenLogprobs!(tok.encode("the"));
    expect(full.kind).toBe("full");
    expect(full.entries).toHaveLength(config.vocabSize);
    const mass = full.entries.reduce((s, e) => s + Math.exp(e.logprob), 0);
    expect(mass).toBeCloseTo(1, 5);
    const top = await m.nextTokenLogprobs!(tok.encode("the"), 5);
    expect(top.kind).toBe("top-k");
    expect(top.entries).toEqual(full.entries.slice(0, 5));
  });

  it("has a content id: stable across opens, different for other weights", async () => {
    const a = await openBuiltinModel(join(dir, "m"), { kernels });
    const b = await openBuiltinModel(join(dir, "m"), { kernels });
    expect(a.id).toBe(b.id);
    const other = Llama.f32(config, kernels);
    other.initialize(createRng(12), 0.3);
    await saveCheckpoint(join(dir, "other"), { config, params: other.params.flat, tokenizer: tok });
    expect((await openBuiltinModel(join(dir, "other"), { kernels })).id).not.toBe(a.id);
  });

  it("upcasts bf16 weights on load", async () => {
    const bf = join(dir, "bf16");
    await saveCheckpoint(bf, { config, params: engine.params.flat, tokenizer: tok });
    let off = 0;
    const tensors = parameterTable(config).map((p) => {
      const n = numel(p.shape);
      const t = { name: p.name, shape: p.shape, data: engine.params.flat.subarray(off, off + n), dtype: "BF16" as const };
      off += n;
      return t;
    });
    await writeSafetensorsModel(bf, tensors, { metadata: { format: "pt" } });
    const m = await openBuiltinModel(bf, { kernels });
    const ref = await (await openBuiltinModel(join(dir, "m"), { kernels })).score({ prompt: "the cat", continuation: " sees" });
    const s = await m.score({ prompt: "the cat", continuation: " sees" });
    expect(Math.abs(s.logprob - ref.logprob)).toBeLessThan(0.05 * Math.abs(ref.logprob) + 0.05);
    expect(s.logprob).not.toBe(ref.logprob); // it really read the rounded weights
  });

  it("refuses what the engine cannot run, naming the field", async () => {
    const bad = join(dir, "mistral");
    await saveCheckpoint(bad, { config, params: engine.params.flat, tokenizer: tok });
    const cfg = JSON.parse(await readFile(join(bad, "config.json"), "utf8"));
    await writeFile(join(bad, "config.json"), JSON.stringify({ ...cfg, architectures: ["MistralForCausalLM"] }));
    await expect(openBuiltinModel(bad, { kernels })).rejects.toThrow(/architectures/);
    await writeFile(join(bad, "config.json"), JSON.stringify({ ...cfg, rope_scaling: { type: "linear", factor: 2 } }));
    await expect(openBuiltinModel(bad, { kernels })).rejects.toThrow(/rope_scaling/);
  });
});
