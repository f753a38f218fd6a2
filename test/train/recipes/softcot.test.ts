/**
 * Recipe softcot on tiny models: the rows put k soft positions after the question and the
 * loss on the response only; projection-only training lowers the loss on fixed examples
 * while the backbone and the assistant stay bit-identical; training the assistant too
 * moves it; a killed run resumes to the identical curve and checkpoint; bad inputs are
 * refused with a message that says what to do.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../../src/tensor/index.js";
import { latestCheckpoint, loadCheckpoint, readRunManifest, saveCheckpoint } from "../../../src/formats/index.js";
import { CharTokenizer, Llama } from "../../../src/model/index.js";
import { createRng, sha256Of } from "../../../src/random/index.js";
import { plainRespond, encodeSoftcot, loadSoftcot, resolveRecipeConfig, runLab, sftExamples, softcotRespond, type Recipe } from "../../../src/train/index.js";
import { backboneBatch, backbonePositions } from "../../../src/train/softcot-data.js";
import { createSoftcot, initProjection, softcotLoss } from "../../../src/train/softcot-model.js";
import { sftSchema } from "../../../src/train/index.js";
import { tinyPretrain } from "./tiny.js";

const kernels = createTsKernels();
const tok = new CharTokenizer();
let root: string;
let backbone: string;
let assistant: string;

const train = { steps: 16, batchSize: 4, maxLr: 1e-2, minLr: 1e-3, warmupSteps: 2 };
const cfg = (json: Record<string, unknown> = {}) => ({ backbone, assistant, k: 2, variant: "answer-only", world: tinyPretrain.world, examples: { count: 24, offset: 8 }, train, ...json });

function recipe(json: Record<string, unknown> = {}): Recipe {
  const r = resolveRecipeConfig("softcot", cfg(json));
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

const examplesOf = () => sftExamples(sftSchema.parse({ base: "b", variant: "answer-only", world: tinyPretrain.world, examples: { count: 24, offset: 8 } })).map((e) => encodeSoftcot(tok, e)).filter((e) => backbonePositions(e, 2) <= 128);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-softcot-"));
  backbone = join(root, "backbone");
  assistant = join(root, "assistant");
  // seeded random models (std 0.2, so that their outputs depend on their inputs) stand in for trained ones
  const model = { vocabSize: tok.size, nLayers: 1, nHeads: 2, nKvHeads: 1, contextLength: 128, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true };
  for (const [dir, dim, seed] of [[backbone, 32, 7], [assistant, 16, 8]] as const) {
    const m = Llama.f32({ ...model, dim, ffnDim: 2 * dim }, kernels);
    m.initialize(createRng(seed), 0.2);
    const r = await saveCheckpoint(dir, { config: m.config, params: m.params.flat, tokenizer: tok });
    if (!r.ok) throw new Error("saveCheckpoint failed");
  }
});

async function frozenParts() {
  const [bb, as] = await Promise.all([backbone, assistant].map(async (p) => {
    const ck = await loadCheckpoint(p);
    if (!ck.ok) throw new Error("load failed");
    return ck.value;
  }));
  return { bb, as };
}

describe("recipe softcot", () => {
  it("puts k soft positions after the question, inside the user turn, and the loss on the response", () => {
    const ex = encodeSoftcot(tok, { id: "x", prompt: "Q?", response: "Answer: 5" });
    const { batch, softRows } = backboneBatch(tok, [ex], 3);
    expect(tok.decode(batch.tokens)).toBe("<bos><|user|>Q?<unk><unk><unk><|end|><|assistant|>Answer: 5");
    expect([...softRows]).toEqual([4, 5, 6]);
    expect(tok.decode([...batch.targets].filter((_, j) => batch.mask![j] === 1))).toBe("Answer: 5<|end|>");
    // raw frame: the question as a document, the thoughts after it, the response ending in <eos>
    const rawEx = encodeSoftcot(tok, { id: "x", prompt: "Q?", response: "Answer: 5" }, "raw");
    const raw = backboneBatch(tok, [rawEx], 3, "raw");
    expect(tok.decode(raw.batch.tokens)).toBe("Q?<unk><unk><unk>Answer: 5");
    expect([...raw.softRows]).toEqual([2, 3, 4]);
    expect(tok.decode([...raw.batch.targets].filter((_, j) => raw.batch.mask![j] === 1))).toBe("Answer: 5<eos>");
  });

  it("projection-only training lowers the loss on fixed examples; backbone and assistant stay bit-identical", async () => {
    const dir = join(root, "learn");
    const r = await runLab({ recipe: recipe(), dir, kernels, seed: 3, checkpointEvery: 8 });
    if (!r.ok) throw new Error(r.message);
    const { bb, as } = await frozenParts();
    // the untrained model: the same seeded projection the run started from
    const start = createSoftcot({ kernels, tokenizer: tok, k: 2, trainAssistant: false, frame: "chat", backbone: bb, assistant: as });
    initProjection(start, createRng(3));
    const loaded = await loadSoftcot(dir, kernels, tok);
    if (!loaded.ok) throw new Error(loaded.message);
    const m = loaded.value.model;
    const exs = examplesOf();
    expect(softcotLoss(m, exs, false).loss).toBeLessThan(softcotLoss(start, exs, false).loss - 0.2);
    expect(Buffer.from(m.backbone.params.flat.buffer, m.backbone.params.flat.byteOffset, m.backbone.params.flat.byteLength).equals(Buffer.from(bb.params.buffer, bb.params.byteOffset, bb.params.byteLength))).toBe(true);
    expect(sha256Of(m.assistant.params.flat)).toBe(sha256Of(as.params));
    expect((await readRunManifest(dir)).ok && (await readRunManifest(dir) as { value: { base?: { sha256: string } } }).value.base?.sha256).toBe(sha256Of(bb.params));
    const metrics = (await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { step: number; loss: number });
    expect(metrics.map((x) => x.step)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    // evaluation: greedy answers with and without thoughts, one per question
    expect(softcotRespond(m, exs.slice(0, 3), { maxTokens: 6 })).toHaveLength(3);
    expect(plainRespond(m.backbone, tok, exs.slice(0, 3), { frame: "chat", maxTokens: 6 })).toHaveLength(3);
  });

  it("with trainAssistant the assistant's weights train too", async () => {
    const dir = join(root, "assistant-trains");
    const r = await runLab({ recipe: recipe({ trainAssistant: true, train: { ...train, steps: 6 } }), dir, kernels, seed: 3 });
    if (!r.ok) throw new Error(r.message);
    const loaded = await loadSoftcot(dir, kernels, tok);
    if (!loaded.ok) throw new Error(loaded.message);
    const { as } = await frozenParts();
    expect(sha256Of(loaded.value.model.assistant.params.flat)).not.toBe(sha256Of(as.params));
  });

  it("a killed run resumes to the identical curve, projection and optimiser state", async () => {
    const full = await runLab({ recipe: recipe(), dir: join(root, "a"), kernels, seed: 5, checkpointEvery: 4 });
    const killedDir = join(root, "b");
    const killed = runLab({
      recipe: recipe(), dir: killedDir, kernels, seed: 5, checkpointEvery: 4,
      onStep: (s) => {
        if (s.step === 11) throw new Error("killed");
      },
    });
    await expect(killed).rejects.toThrow("killed");
    expect(await latestCheckpoint(killedDir)).toMatch(/step-000008$/);
    const differs = await runLab({ recipe: recipe({ k: 3 }), dir: killedDir, kernels, seed: 5, checkpointEvery: 4, resume: true });
    expect(differs.ok ? "" : differs.message).toMatch(/recipe config differs/);
    const resumed = await runLab({ recipe: recipe(), dir: killedDir, kernels, seed: 5, checkpointEvery: 4, resume: true });
    if (!full.ok || !resumed.ok) throw new Error("a run failed");
    expect(resumed.resumedFrom).toBe(8);
    expect(resumed.losses).toEqual(full.losses);
    for (const f of ["softcot.safetensors", "optimizer.safetensors"]) {
      expect((await readFile(join(resumed.checkpoint, f))).equals(await readFile(join(full.checkpoint, f)))).toBe(true);
    }
  });

  it("refuses a missing backbone and an existing run without --resume, saying what to do", async () => {
    const missing = await runLab({ recipe: recipe({ backbone: join(root, "nope") }), dir: join(root, "c"), kernels, seed: 1 });
    expect(missing.ok ? "" : missing.message).toMatch(/softcot backbone/);
    const again = await runLab({ recipe: recipe(), dir: join(root, "a"), kernels, seed: 5 });
    expect(again.ok ? "" : again.message).toMatch(/--resume/);
    expect(resolveRecipeConfig("softcot", { k: 0 }).ok).toBe(false);
  });
});
