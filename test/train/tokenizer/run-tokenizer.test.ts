/**
 * Recipes and the tokenizer (src/train/tokenizer/run-tokenizer.ts): pretrain's
 * `"tokenizer": PATH` (relative to the config file) trains and checkpoints with that
 * BPE, and a killed run resumes with it to the identical curve; a fine-tune inherits its
 * base's tokenizer and refuses a config that names a different one (imitation's teacher and
 * softcot's assistant must share it too); "char" (the default) leaves run.json as it was.
 */
import { mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../../src/tensor/index.js";
import { latestCheckpoint, loadCheckpoint, saveTokenizerFile } from "../../../src/formats/index.js";
import { corpusDocuments, resolveRecipeConfig, runLab, trainBpe, type PretrainConfig } from "../../../src/train/index.js";
import { tinyPretrain } from "../recipes/tiny.js";

const kernels = createTsKernels();
const root = await mkdtemp(join(tmpdir(), "ftledger-bpe-run-"));
const settings = resolveRecipeConfig("pretrain", tinyPretrain);
if (!settings.ok) throw new Error(settings.message);
const c = settings.value.config as PretrainConfig;
const tok = trainBpe(corpusDocuments(c.world, c.mixture, 300).map((d) => d.text), { vocabSize: 300 });
const configDir = join(root, "configs");
await mkdir(configDir);
const saved = await saveTokenizerFile(join(configDir, "tok.json"), tok);
if (!saved.ok) throw new Error("could not write the tokenizer");

function recipe(name: string, json: Record<string, unknown>) {
  const r = resolveRecipeConfig(name, json);
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}
const bpePretrain = () => recipe("pretrain", { ...tinyPretrain, train: { ...tinyPretrain.train, steps: 8 }, tokenizer: "tok.json" });

describe("a pretrain config's tokenizer", () => {
  it("trains with the BPE it names (relative to the config file) and checkpoints it", async () => {
    const dir = join(root, "a");
    const run = await runLab({ recipe: bpePretrain(), dir, kernels, seed: 1, checkpointEvery: 4, configDir });
    if (!run.ok) throw new Error(run.message);
    const ck = await loadCheckpoint(run.checkpoint);
    if (!ck.ok) throw new Error("no checkpoint");
    expect(ck.value.tokenizer.kind).toBe("bpe");
    expect(ck.value.tokenizer.tokens).toEqual(tok.tokens);
    expect(ck.value.config.vocabSize).toBe(300);
    const manifest = JSON.parse(await readFile(join(dir, "run.json"), "utf8"));
    expect(manifest.recipeConfig.tokenizer).toBe("tok.json");
    expect(manifest.data.tokenizer).toBe("bpe 300");
    // a killed run resumes with its checkpoint's tokenizer, without the config's folder
    const killed = runLab({
      recipe: bpePretrain(), dir: join(root, "b"), kernels, seed: 1, checkpointEvery: 4, configDir,
      onStep: (s) => { if (s.step === 6) throw new Error("killed"); },
    });
    await expect(killed).rejects.toThrow("killed");
    const resumed = await runLab({ recipe: bpePretrain(), dir: join(root, "b"), kernels, seed: 1, checkpointEvery: 4, resume: true });
    if (!resumed.ok) throw new Error(resumed.message);
    expect(resumed.resumedFrom).toBe(4);
    expect(resumed.losses).toEqual(run.losses);
  });

  it("says which file it could not read", async () => {
    const run = await runLab({ recipe: recipe("pretrain", { ...tinyPretrain, tokenizer: "missing.json" }), dir: join(root, "m"), kernels, seed: 1, configDir });
    expect(run.ok).toBe(false);
    if (!run.ok) expect(run.message).toMatch(/"tokenizer" \(missing\.json\).*missing\.json.*ftledger lab tokenizer/s);
  });

  it("char, the default, leaves run.json without a tokenizer field", async () => {
    const dir = join(root, "c");
    const run = await runLab({ recipe: recipe("pretrain", { ...tinyPretrain, train: { ...tinyPretrain.train, steps: 2 } }), dir, kernels, seed: 1 });
    if (!run.ok) throw new Error(run.message);
    const manifest = JSON.parse(await readFile(join(dir, "run.json"), "utf8"));
    expect(manifest.recipeConfig).not.toHaveProperty("tokenizer");
    expect(manifest.data).not.toHaveProperty("tokenizer");
    expect(manifest.config.vocabSize).toBe(105);
  });
});

describe("a fine-tune's tokenizer", () => {
  const sft = (json: Record<string, unknown>) => recipe("sft", {
    base: join(root, "a"), task: "knowledge", world: tinyPretrain.world, examples: { count: 20, offset: 10 },
    train: { steps: 2, batchSize: 4, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 1 }, ...json,
  });

  it("is its base's", async () => {
    const run = await runLab({ recipe: sft({}), dir: join(root, "sft"), kernels, seed: 1 });
    if (!run.ok) throw new Error(run.message);
    const ck = await loadCheckpoint((await latestCheckpoint(join(root, "sft")))!);
    if (!ck.ok) throw new Error("no checkpoint");
    expect(ck.value.tokenizer.kind).toBe("bpe");
    // naming the base's own tokenizer is fine
    const same = await runLab({ recipe: sft({ tokenizer: "tok.json" }), dir: join(root, "sft-same"), kernels, seed: 1, configDir });
    expect(same.ok).toBe(true);
  });

  it("refuses a config that names another tokenizer, saying so", async () => {
    const run = await runLab({ recipe: sft({ tokenizer: "char" }), dir: join(root, "sft-char"), kernels, seed: 1 });
    expect(run.ok).toBe(false);
    if (!run.ok) expect(run.message).toMatch(/names the tokenizer "char" \(the character tokenizer.*trains with its base's tokenizer \(byte-level BPE \(300 tokens.*remove "tokenizer"/);
  });

  it("imitation refuses a teacher with another tokenizer than the student's", async () => {
    const r = recipe("imitation", { base: join(root, "a"), teacher: join(root, "c"), world: tinyPretrain.world, train: { steps: 2, batchSize: 4 } });
    const run = await runLab({ recipe: r, dir: join(root, "imit"), kernels, seed: 1 });
    expect(run.ok).toBe(false);
    if (!run.ok) expect(run.message).toMatch(/its tokenizer \(the character tokenizer \(105 tokens\)\) is not the student's \(byte-level BPE/);
  });

  it("softcot refuses an assistant with another tokenizer than the backbone's", async () => {
    const r = recipe("softcot", { backbone: join(root, "a"), assistant: join(root, "c"), world: tinyPretrain.world, examples: { count: 10, offset: 0 } });
    const run = await runLab({ recipe: r, dir: join(root, "softcot"), kernels, seed: 1 });
    expect(run.ok).toBe(false);
    if (!run.ok) expect(run.message).toMatch(/assistant .*its tokenizer \(the character tokenizer \(105 tokens\)\) is not the backbone's \(byte-level BPE/);
  });
});
