/**
 * LoRA fine-tuning in the lab (recipes' "adapter" field): a tiny sft with an adapter
 * learns; only the adapter's parameters change (the base's bytes stay as they were, and
 * its AdamW moments are adapter-sized); a checkpoint holds the adapter as a PEFT folder
 * naming its base and no copy of the base; a killed run (with dropout) resumes to the
 * identical curve and adapter; a resume refuses a base that changed; the schema's
 * defaults and errors.
 */
import { cp, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { latestCheckpoint, loadCheckpoint, openSafetensors, readPeftAdapter } from "../../src/formats/index.js";
import { CharTokenizer, Llama, createLoraAdapter, loraSize } from "../../src/model/index.js";
import { createRng } from "../../src/random/index.js";
import { adapterSchema, loraTrainable, resolveRecipeConfig, runLab, train, type BatchSource, type Recipe } from "../../src/train/index.js";
import { pretrainRun, tinyPretrain } from "./recipes/tiny.js";

const kernels = createTsKernels();
const tok = new CharTokenizer();
let root: string;
let baseRun: string;

const adapter = { type: "lora", r: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "down_proj"] };
const knowledgeSft = { task: "knowledge", examples: { count: 40, offset: 10 }, train: { steps: 12, batchSize: 4, maxLr: 1e-2, minLr: 1e-3, warmupSteps: 2 } };

function sftRecipe(json: Record<string, unknown>, base = baseRun): Recipe {
  const r = resolveRecipeConfig("sft", { base, world: tinyPretrain.world, ...json });
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-lora-"));
  baseRun = join(root, "base");
  await pretrainRun(baseRun, { train: { ...tinyPretrain.train, steps: 10 } }, 7);
});

async function adapterBytes(ckpt: string): Promise<Buffer> {
  return readFile(join(ckpt, "adapter", "adapter_model.safetensors"));
}

describe("LoRA fine-tuning (sft with an adapter)", () => {
  it("learns, and writes checkpoints holding only the adapter (PEFT folder naming its base) and adapter-sized moments", async () => {
    const dir = join(root, "learns");
    // four examples, every batch the same set: the loss on them must fall. (The tiny base's frozen
    // embedding and norm gains bound its logits, so an adapter cannot push it far.)
    const json = { ...knowledgeSft, adapter, examples: { count: 4, offset: 10 }, train: { ...knowledgeSft.train, steps: 24 } };
    const run = await runLab({ recipe: sftRecipe(json), dir, kernels, seed: 1 });
    if (!run.ok) throw new Error(run.message);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(run.losses.slice(-4))).toBeLessThan(mean(run.losses.slice(0, 4)) - 0.08);
    const baseDir = (await latestCheckpoint(baseRun))!;
    expect((await readdir(run.checkpoint)).sort()).toEqual(["adapter", "optimizer.safetensors", "trainer_state.json"]);
    const peft = JSON.parse(await readFile(join(run.checkpoint, "adapter", "adapter_config.json"), "utf8"));
    expect(peft).toMatchObject({ peft_type: "LORA", base_model_name_or_path: baseDir, r: 4, lora_alpha: 8, lora_dropout: 0 });
    const base = await loadCheckpoint(baseDir);
    if (!base.ok) throw new Error("base failed to load");
    const a = await readPeftAdapter(join(run.checkpoint, "adapter"), base.value.config);
    if (!a.ok) throw new Error("adapter failed to load");
    expect(a.value.config.targetModules).toEqual(["q_proj", "v_proj", "down_proj"]);
    expect(a.value.layers[0].v_proj!.B.some((x) => x !== 0)).toBe(true); // B started at 0 and was trained
    const opt = await openSafetensors(join(run.checkpoint, "optimizer.safetensors"));
    if (!opt.ok) throw new Error("optimizer state failed to open");
    const n = loraSize(base.value.config, a.value.config);
    expect(opt.value.info("adamw.m")!.shape).toEqual([n]);
    expect(n).toBeLessThan(base.value.params.length / 10);
    await opt.value.close();
  });

  it("changes only the adapter: the base's weights keep their bytes", async () => {
    const ck = await loadCheckpoint((await latestCheckpoint(baseRun))!);
    if (!ck.ok) throw new Error("base failed to load");
    const model = Llama.f32(ck.value.config, kernels);
    model.params.flat.set(ck.value.params);
    const lora = model.attachLora(createLoraAdapter(ck.value.config, { r: 4, alpha: 8, dropout: 0.1, targetModules: ["q_proj", "up_proj"] }, createRng(3)), { train: true });
    const startA = Float32Array.from(lora.params.flat);
    const data = sftRecipe(knowledgeSft).data({ tokenizer: tok, config: ck.value.config, batchSize: 4, seed: 1 }) as BatchSource;
    const r = await train(model, data, { steps: 4, schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 0, totalSteps: 4 }, trainable: loraTrainable(model, 1) });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.state.m.length).toBe(lora.params.flat.length);
    expect(Buffer.from(model.params.flat.buffer).equals(Buffer.from(ck.value.params.buffer, ck.value.params.byteOffset, ck.value.params.byteLength))).toBe(true);
    expect(lora.params.flat.some((x, i) => x !== startA[i])).toBe(true);
  });

  it("resumes a killed run (dropout on) to the identical curve and adapter, and refuses a changed base", async () => {
    const json = { ...knowledgeSft, adapter: { ...adapter, dropout: 0.2 } };
    const fullDir = join(root, "a");
    const full = await runLab({ recipe: sftRecipe(json), dir: fullDir, kernels, seed: 3, checkpointEvery: 4 });
    const killedDir = join(root, "b");
    const killed = runLab({
      recipe: sftRecipe(json), dir: killedDir, kernels, seed: 3, checkpointEvery: 4,
      onStep: (s) => {
        if (s.step === 10) throw new Error("killed");
      },
    });
    await expect(killed).rejects.toThrow("killed");
    expect(await latestCheckpoint(killedDir)).toMatch(/step-000008$/);
    const resumed = await runLab({ recipe: sftRecipe(json), dir: killedDir, kernels, seed: 3, checkpointEvery: 4, resume: true });
    if (!full.ok || !resumed.ok) throw new Error("a run failed");
    expect(resumed.resumedFrom).toBe(8);
    expect(resumed.losses).toEqual(full.losses);
    expect((await adapterBytes(resumed.checkpoint)).equals(await adapterBytes(full.checkpoint))).toBe(true);
    // dropout made a difference (the same run without it has another curve)
    const plain = await runLab({ recipe: sftRecipe(knowledgeSft.train ? { ...knowledgeSft, adapter } : {}), dir: join(root, "plain"), kernels, seed: 3 });
    if (!plain.ok) throw new Error(plain.message);
    expect(plain.losses).not.toEqual(full.losses);

    // a base whose weights changed since the run started is refused on resume
    const copy = join(root, "base-copy");
    await cp(baseRun, copy, { recursive: true });
    const moved = join(root, "c");
    const started = await runLab({ recipe: sftRecipe(json, copy), dir: moved, kernels, seed: 3, steps: 4, checkpointEvery: 4 });
    if (!started.ok) throw new Error(started.message);
    const baseCk = (await latestCheckpoint(copy))!;
    const st = join(baseCk, "model.safetensors");
    const bytes = await readFile(st);
    bytes[bytes.length - 1] ^= 1; // one bit of the last weight
    await writeFile(st, bytes);
    const again = await runLab({ recipe: sftRecipe(json, copy), dir: moved, kernels, seed: 3, resume: true });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.message).toMatch(/changed since the run started .* the adapter only fits the base it was trained on/);
  });

  it("the adapter field: defaults with reasons, and errors that name the field", () => {
    expect(adapterSchema.parse({ type: "lora" })).toEqual({ type: "lora", r: 8, alpha: 16, dropout: 0, targetModules: ["q_proj", "v_proj"] });
    const bad = (over: Record<string, unknown>) => {
      const r = resolveRecipeConfig("sft", { base: "b", adapter: { type: "lora", ...over } });
      return r.ok ? "" : r.message;
    };
    expect(bad({ targetModules: ["q_proj", "q_proj"] })).toMatch(/adapter\.targetModules: lists "q_proj" twice/);
    expect(bad({ targetModules: ["lm_head"] })).toMatch(/adapter\.targetModules\.0/);
    expect(bad({ dropout: 1 })).toMatch(/adapter\.dropout: must be below 1/);
    expect(bad({ type: "dora" })).toMatch(/adapter\.type: must be "lora"/);
    for (const name of ["imitation", "grpo"]) {
      const r = resolveRecipeConfig(name, { base: "b", ...(name === "imitation" ? { teacher: "t" } : {}), adapter: { type: "lora", r: 2 } });
      if (!r.ok) throw new Error(r.message);
      expect(r.value.recipe.adapter).toEqual({ r: 2, alpha: 16, dropout: 0, targetModules: ["q_proj", "v_proj"] });
    }
  });
});
