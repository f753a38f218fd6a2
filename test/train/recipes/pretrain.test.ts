/** Recipe pretrain on a tiny config: the mixture is what the config says, and loss falls. */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../../src/tensor/index.js";
import { CharTokenizer } from "../../../src/model/index.js";
import { corpusDocuments, mixtureCounts, packCorpus, resolveRecipeConfig, runLab, type PretrainConfig } from "../../../src/train/index.js";
import { tinyPretrain } from "./tiny.js";

const kernels = createTsKernels();


describe("recipe pretrain", () => {
  it("mixes the world's documents by weight and packs them with the separator", () => {
    expect(mixtureCounts({ knowledge: 3, arithmetic: 1 }, 10)).toEqual({ knowledge: 8, arithmetic: 2 });
    expect(mixtureCounts({ knowledge: 0, arithmetic: 2 }, 7)).toEqual({ knowledge: 0, arithmetic: 7 });
    const r = resolveRecipeConfig("pretrain", { ...tinyPretrain, mixture: { knowledge: 0.25, arithmetic: 0.75 } });
    if (!r.ok) throw new Error(r.message);
    const c = r.value.config as PretrainConfig;
    const docs = corpusDocuments(c.world, c.mixture, 200);
    expect(docs.filter((d) => d.task === "knowledge").length).toBe(50);
    expect(docs.filter((d) => d.task === "arithmetic").every((d) => d.text.startsWith("Problem: "))).toBe(true);
    expect(docs.filter((d) => d.task === "knowledge").some((d) => d.text.startsWith("Fact check. "))).toBe(true);
    expect(corpusDocuments(c.world, c.mixture, 200)).toEqual(docs); // a pure function of the world
    const tok = new CharTokenizer();
    const eos = packCorpus(tok, docs.slice(0, 3), "eos");
    expect(tok.decode(eos.stream)).toBe(docs.slice(0, 3).map((d) => d.text + "<eos>").join(""));
    const blank = packCorpus(tok, docs.slice(0, 3), "blank-line");
    expect(tok.decode(blank.stream)).toBe(docs.slice(0, 3).map((d) => d.text + "\n\n").join(""));
    expect(blank.sha256).not.toBe(eos.sha256);
  });

  it("loss falls on a tiny model over 50 steps, and run.json records config and data", async () => {
    const r = resolveRecipeConfig("pretrain", tinyPretrain);
    if (!r.ok) throw new Error(r.message);
    const dir = join(await mkdtemp(join(tmpdir(), "ftledger-pretrain-")), "run");
    const run = await runLab({ recipe: r.value.recipe, dir, kernels, seed: 1, checkpointEvery: 25 });
    if (!run.ok) throw new Error(run.message);
    expect(run.losses).toHaveLength(50);
    const tail = run.losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(run.losses[0]).toBeGreaterThan(4.5); // ≈ log 105 = 4.65 at init
    // 50 tiny steps reach the character statistics (≈ 3.2 nats), not yet the words
    expect(tail).toBeLessThan(3.4);
    expect(tail).toBeLessThan(run.losses[0] - 1.2);
    const manifest = JSON.parse(await readFile(join(dir, "run.json"), "utf8"));
    expect(manifest.recipeConfig).toEqual(r.value.config);
    expect(manifest.config).toMatchObject({ vocabSize: 105, dim: 32, nLayers: 1, contextLength: 128 });
    expect(manifest.data).toMatchObject({ knowledgeDocuments: 150, arithmeticDocuments: 150 });
    expect(manifest.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.base).toBeUndefined();
  });

  it("refuses a corpus shorter than one window", async () => {
    const r = resolveRecipeConfig("pretrain", { ...tinyPretrain, corpus: { documents: 1 }, mixture: { knowledge: 1, arithmetic: 0 } });
    if (!r.ok) throw new Error(r.message);
    const run = await runLab({ recipe: r.value.recipe, dir: join(await mkdtemp(join(tmpdir(), "ftledger-pretrain-")), "x"), kernels, seed: 1 });
    expect(run.ok).toBe(false);
    if (!run.ok) expect(run.message).toMatch(/fewer than one window of 129; raise corpus\.documents/);
  });
});
