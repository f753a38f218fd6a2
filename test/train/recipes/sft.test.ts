/**
 * Recipe sft on tiny configs: the loss mask selects exactly the response, the run starts
 * from the base's weights, the two variants give the right responses, over-long
 * examples are dropped and counted, and a killed run resumes to the identical curve.
 */
import type { BatchSource } from "../../../src/train/index.js";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../../src/tensor/index.js";
import { loadCheckpoint } from "../../../src/formats/index.js";
import { CharTokenizer, Llama } from "../../../src/model/index.js";
import { arithmeticTask, verifyArithmetic, type ArithmeticItem } from "../../../src/world/arithmetic/index.js";
import { latestCheckpoint } from "../../../src/formats/index.js";
import { chatBatches, encodeChat, resolveRecipeConfig, runLab, sftExamples, sftSchema, type Recipe } from "../../../src/train/index.js";
import { sha256Of } from "../../../src/random/index.js";
import { expectIdenticalAfterResume } from "./resume.js";
import { pretrainRun, tinyPretrain } from "./tiny.js";

const kernels = createTsKernels();
const tok = new CharTokenizer();
let root: string;
let baseRun: string;

function sftRecipe(json: Record<string, unknown>): Recipe {
  const r = resolveRecipeConfig("sft", { base: baseRun, world: tinyPretrain.world, ...json });
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

const knowledgeSft = { task: "knowledge", examples: { count: 40, offset: 10 }, train: { steps: 12, batchSize: 4, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 2 } };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-sft-"));
  baseRun = join(root, "base");
  await pretrainRun(baseRun, { train: { ...tinyPretrain.train, steps: 10 } }, 7);
});

describe("recipe sft", () => {
  it("builds chat rows whose loss mask selects exactly the response and its <|end|>", () => {
    const ex = { id: "x", prompt: "Fact check. Where does Vili live?\nAnswer: ", response: "Tosk" };
    const enc = encodeChat(tok, ex);
    expect(tok.decode(enc.ids)).toBe("<bos><|user|>Fact check. Where does Vili live?\nAnswer: <|end|><|assistant|>Tosk<|end|>");
    const src = chatBatches(tok, [ex], 2, 64, 1);
    const b = src.batch(0);
    for (let row = 0; row < 2; row++) {
      const o = row * 64;
      const n = enc.ids.length - 1;
      const selected = [...b.targets.subarray(o, o + 64)].filter((_, j) => b.mask![o + j] === 1);
      expect(tok.decode(selected)).toBe("Tosk<|end|>");
      expect([...b.mask!.subarray(o, o + 64)].filter((m) => m !== 0 && m !== 1)).toEqual([]);
      expect(tok.decode(b.tokens.subarray(o, o + n))).toBe("<bos><|user|>Fact check. Where does Vili live?\nAnswer: <|end|><|assistant|>Tosk");
      expect([...b.tokens.subarray(o + n, o + 64)].every((t) => t === tok.pad)).toBe(true);
      expect([...b.mask!.subarray(o + n, o + 64)].every((m) => m === 0)).toBe(true);
    }
  });

  it("answer-only and with-reasoning give the right responses", () => {
    const base = sftSchema.parse({ base: "b", examples: { count: 30, offset: 5 } });
    const items = arithmeticTask.items({ config: base.world.arithmetic, seed: base.world.seed, split: "id", n: 35 }).slice(5) as ArithmeticItem[];
    const answerOnly = sftExamples(base);
    const reasoning = sftExamples({ ...base, variant: "with-reasoning" });
    const terse = sftExamples({ ...base, variant: "with-reasoning", format: "terse" });
    items.forEach((it, i) => {
      expect(answerOnly[i].id).toBe(it.id);
      expect(answerOnly[i].prompt).toBe(it.prompt);
      expect(answerOnly[i].response).toBe(`Answer: ${it.answer}`);
      expect(reasoning[i].response).toBe(it.answerText); // the item's own format (formatMix)
      expect(reasoning[i].response.split("\n").length).toBe(it.meta.steps.length + 1);
      expect(terse[i].response).toBe(it.meta.solutions.terse);
      for (const r of [answerOnly[i], reasoning[i], terse[i]]) expect(verifyArithmetic(it, r.response).correct).toBe(true);
    });
    expect(new Set(items.map((it) => it.meta.format)).size).toBeGreaterThan(1);
    const k = sftExamples(sftSchema.parse({ base: "b", task: "knowledge", examples: { count: 5, offset: 0 } }));
    expect(k[0].prompt).toMatch(/^Fact check\. .*\nAnswer: $/);
    expect(k[0].response).not.toMatch(/Answer|\n/);
  });

  it("drops and counts examples longer than a row", async () => {
    const recipe = sftRecipe({ variant: "with-reasoning", seqLen: 128, examples: { count: 60, offset: 0 }, train: { steps: 2, batchSize: 4 } });
    const examples = sftExamples(recipe.config as never);
    const tooLong = examples.filter((e) => encodeChat(tok, e).ids.length - 1 > 128).map((e) => e.id);
    expect(tooLong.length).toBeGreaterThan(0);
    expect(tooLong.length).toBeLessThan(60);
    const src = chatBatches(tok, examples, 4, 128, 3);
    expect(src.dropped).toEqual(tooLong);
    expect(src.examples.length).toBe(60 - tooLong.length);
    const run = await runLab({ recipe, dir: join(root, "drop"), kernels, seed: 1 });
    if (!run.ok) throw new Error(run.message);
    expect(run.data).toMatchObject({ examples: 60 - tooLong.length, dropped: tooLong.length });
    // a row length the base cannot hold is refused before training
    const long = await runLab({ recipe: sftRecipe({ seqLen: 512 }), dir: join(root, "long"), kernels, seed: 1 });
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.message).toMatch(/seqLen 512 exceeds the base model's context length 128; set seqLen ≤ 128/);
    const none = await runLab({ recipe: sftRecipe({ variant: "with-reasoning", seqLen: 8 }), dir: join(root, "none"), kernels, seed: 1 });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.message).toMatch(/all 2000 examples are longer than the sequence length 8/);
  });

  it("starts from the base's weights and records the base in run.json", async () => {
    const recipe = sftRecipe(knowledgeSft);
    const dir = join(root, "from-base");
    const run = await runLab({ recipe, dir, kernels, seed: 5, steps: 3 });
    if (!run.ok) throw new Error(run.message);
    const baseDir = await latestCheckpoint(baseRun);
    const ck = await loadCheckpoint(baseDir!);
    if (!ck.ok) throw new Error("base failed to load");
    const manifest = JSON.parse(await readFile(join(dir, "run.json"), "utf8"));
    expect(manifest.base).toEqual({ path: baseRun, checkpoint: baseDir, sha256: sha256Of(ck.value.params) });
    expect(manifest.recipeConfig).toMatchObject({ task: "knowledge", variant: "answer-only", base: baseRun });
    expect(manifest.config).toEqual(ck.value.config);
    // the first step's loss is the base model's loss on the first batch
    const model = Llama.f32(ck.value.config, kernels);
    model.params.flat.set(ck.value.params);
    const batch = (recipe.data({ tokenizer: tok, config: ck.value.config, batchSize: 4, seed: 5 }) as BatchSource).batch(0);
    expect(run.losses[0]).toBe(model.forward(batch).loss);
  });

  it("resumes a killed run to the identical loss curve", async () => {
    const { full, resumed } = await expectIdenticalAfterResume({
      recipe: () => sftRecipe(knowledgeSft), root, kernels, seed: 3, every: 4, killAt: 10, latest: /step-000008$/,
      beforeResume: async (dir) => {
        const other = await runLab({ recipe: sftRecipe({ ...knowledgeSft, variant: "answer-only", examples: { count: 41, offset: 10 } }), dir, kernels, seed: 3, resume: true });
        expect(other.ok).toBe(false);
        if (!other.ok) expect(other.message).toMatch(/recipe config differs/);
      },
    });
    expect(resumed.resumedFrom).toBe(8);
    expect(full.losses).toHaveLength(12);
  });
});
