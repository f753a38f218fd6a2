/**
 * Model specs with a LoRA adapter: `builtin:BASE+lora:DIR@s` (the engine, adapter attached),
 * `gguf:BASE.gguf+lora:ADAPTER.gguf@s` (llama.cpp), and `builtin:RUN` of a LoRA run (its base
 * plus its newest adapter) give the next-token distribution of the merged model W + s·(alpha/r)·B A;
 * a wrong adapter file is refused with a message naming it.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openModel, type LanguageModel } from "../../../src/backends/index.js";
import { splitLoraSpec } from "../../../src/backends/lora-spec.js";
import { exportGgufLora, saveCheckpoint, stepDir, writePeftAdapter } from "../../../src/formats/index.js";
import { Llama, viewParameters } from "../../../src/model/index.js";
import { createRng } from "../../../src/random/index.js";
import { createTsKernels } from "../../../src/tensor/index.js";
import { mergeLora } from "../../../src/weights/index.js";
import { tempDir, unwrap } from "../../formats/helpers.js";
import { randomAdapter, tinyBase } from "../../formats/lora-fixtures.js";
import { config, exportModel, tok } from "./helpers.js";

describe("splitLoraSpec", () => {
  it("splits base, adapter and scale", () => {
    expect(splitLoraSpec("builtin", "zoo/base-s")).toEqual({ base: "zoo/base-s", lora: null });
    expect(splitLoraSpec("builtin", "zoo/base-s+lora:runs/a")).toEqual({ base: "zoo/base-s", lora: { path: "runs/a", scale: 1 } });
    expect(splitLoraSpec("gguf", "b.gguf+lora:a.gguf@0.5")).toEqual({ base: "b.gguf", lora: { path: "a.gguf", scale: 0.5 } });
    expect(splitLoraSpec("gguf", "b.gguf+lora:x@y/a.gguf@-1e-1")).toEqual({ base: "b.gguf", lora: { path: "x@y/a.gguf", scale: -0.1 } });
    expect(splitLoraSpec("builtin", "m+lora:me@home")).toEqual({ base: "m", lora: { path: "me@home", scale: 1 } });
  });
  it("names what is malformed", () => {
    expect(splitLoraSpec("gguf", "b.gguf+lora:a.gguf@0.5x")).toEqual({ error: expect.stringMatching(/"@0\.5x" is not a number; .*gguf:b\.gguf\+lora:a\.gguf@0\.5$/) });
    expect(splitLoraSpec("builtin", "+lora:a")).toEqual({ error: expect.stringMatching(/expected builtin:BASE\+lora:ADAPTER\[@scale\] with both parts given/) });
  });
});

const dir = await tempDir("lora-spec");
const base = Llama.f32(config, createTsKernels());
base.initialize(createRng(21), 0.1);
const adapter = randomAdapter(config, { seed: 22, r: 4, alpha: 8, std: 0.15 });
const baseGguf = await exportModel(base, dir, "base"); // and base-ckpt
const baseCkpt = join(dir, "base-ckpt");
const adapterDir = join(dir, "adapter");
await writePeftAdapter(adapterDir, adapter, { baseModel: baseCkpt });
const loraGguf = join(dir, "lora.gguf");
unwrap(await exportGgufLora(adapterDir, loraGguf, { dtype: "f32" }));
const mergedParams = base.params.flat.slice();
mergeLora(viewParameters(config, mergedParams).byName, adapter, 0.5);
const mergedCkpt = join(dir, "merged");
unwrap(await saveCheckpoint(mergedCkpt, { config, params: mergedParams, tokenizer: tok }));

const opened: LanguageModel[] = [];
async function open(spec: string): Promise<LanguageModel> {
  const m = await openModel(spec);
  opened.push(m);
  return m;
}
afterAll(async () => {
  for (const m of opened) await m.close?.();
});

const prefixes = [[tok.bos, ...tok.encode("The adapter moves these")], [tok.bos, ...tok.encode("2+3=5, and 7*")], tok.encode("abc")];

/** max |Δ log p| over the full next-token distributions after each prefix. */
async function maxDiff(a: LanguageModel, b: LanguageModel): Promise<number> {
  let max = 0;
  for (const p of prefixes) {
    const [x, y] = [await a.nextTokenLogprobs!(p), await b.nextTokenLogprobs!(p)];
    const ys = new Map(y.entries.map((e) => [e.id, e.logprob]));
    expect(x.entries.length).toBe(config.vocabSize);
    for (const e of x.entries) max = Math.max(max, Math.abs(e.logprob - ys.get(e.id)!));
  }
  return max;
}

describe("model specs with a LoRA adapter", () => {
  it("builtin:BASE+lora:DIR@0.5 is the merged model, with its own id", async () => {
    const merged = await open(`builtin:${mergedCkpt}`);
    const withLora = await open(`builtin:${baseCkpt}+lora:${adapterDir}@0.5`);
    const diff = await maxDiff(withLora, merged);
    console.log(`builtin+lora@0.5 vs builtin merged: max |Δ log p| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-5);
    const plain = await open(`builtin:${baseCkpt}`);
    expect(await maxDiff(plain, merged)).toBeGreaterThan(0.1);
    const full = await open(`builtin:${baseCkpt}+lora:${adapterDir}`);
    expect(new Set([plain.id, withLora.id, full.id]).size).toBe(3);
  });

  it("builtin:RUN of a LoRA run opens its base with the newest adapter; builtin:CHECKPOINT with that checkpoint's", async () => {
    const run = join(dir, "run");
    await mkdir(stepDir(run, 1), { recursive: true });
    await writePeftAdapter(join(stepDir(run, 1), "adapter"), randomAdapter(config, { seed: 1 }), { baseModel: baseCkpt });
    await writePeftAdapter(join(stepDir(run, 2), "adapter"), adapter, { baseModel: baseCkpt });
    const fromRun = await open(`builtin:${run}`);
    const explicit = await open(`builtin:${baseCkpt}+lora:${adapterDir}@1`);
    expect(fromRun.id).toBe(explicit.id);
    const oneCheckpoint = await open(`builtin:${stepDir(run, 1)}`);
    expect(oneCheckpoint.id).not.toBe(explicit.id);
    expect(oneCheckpoint.id).toBe((await open(`builtin:${baseCkpt}+lora:${stepDir(run, 1)}`)).id);
    await expect(openModel(`builtin:${run}+lora:${adapterDir}`)).rejects.toThrow(/is a LoRA run, which already applies its adapter/);
  });

  it("gguf:BASE+lora:ADAPTER@0.5 (llama.cpp) is the merged model within 1e-4", async () => {
    const merged = await open(`builtin:${mergedCkpt}`);
    const cpp = await open(`gguf:${baseGguf}+lora:${loraGguf}@0.5`);
    const diff = await maxDiff(cpp, merged);
    console.log(`gguf+lora@0.5 vs builtin merged: max |Δ log p| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-4);
    expect(cpp.id).toMatch(/^gguf:[0-9a-f]{64}\+lora:[0-9a-f]{64}@0\.5$/);
  });

  it("refuses a model file as the adapter and an adapter of another base, naming the file", async () => {
    await expect(openModel(`gguf:${baseGguf}+lora:${baseGguf}`)).rejects.toThrow(/base\.gguf: general\.type is null, not "adapter": this is not a GGUF adapter/);
    const otherDir = join(dir, "other");
    const other = randomAdapter(tinyBase, { seed: 3, targets: ["v_proj"] });
    const otherBase = join(dir, "other-base");
    unwrap(await saveCheckpoint(otherBase, { config: tinyBase, params: new Float32Array(Llama.f32(tinyBase, createTsKernels()).params.flat.length), tokenizer: tok }));
    await writePeftAdapter(otherDir, other, { baseModel: otherBase });
    unwrap(await exportGgufLora(otherDir, join(dir, "other.gguf"), { dtype: "f32" }));
    await expect(openModel(`gguf:${baseGguf}+lora:${join(dir, "other.gguf")}`)).rejects.toThrow(/other\.gguf: tensor "blk\.0\.attn_v\.weight": lora_a has ggml dims \[16, 4\] .* do not fit the base's \[64, 32\]/);
  });
});
