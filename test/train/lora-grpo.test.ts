/**
 * grpo with a LoRA adapter on a tiny base: the policy (base + adapter) samples its rollouts,
 * checkpoints hold only the adapter, and a killed run resumes between rollouts to the
 * identical losses and adapter. (The tiny base earns no reward, so nothing here says the
 * adapter learns; test/model/lora.test.ts checks that sampling sees the adapter.)
 */
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { latestCheckpoint } from "../../src/formats/index.js";
import { resolveRecipeConfig, runLab, type Recipe } from "../../src/train/index.js";
import { pretrainRun, tinyPretrain } from "./recipes/tiny.js";

const kernels = createTsKernels();
let root: string;
let baseRun: string;

function grpoRecipe(): Recipe {
  const r = resolveRecipeConfig("grpo", {
    base: baseRun, world: tinyPretrain.world, k: 4, sampling: { maxTokens: 24 }, adapter: { type: "lora", r: 4, targetModules: ["q_proj", "v_proj", "up_proj"] },
    train: { steps: 8, batchSize: 2, maxLr: 1e-2, minLr: 1e-2, warmupSteps: 0 },
  });
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-lora-grpo-"));
  baseRun = join(root, "base");
  await pretrainRun(baseRun, { train: { ...tinyPretrain.train, steps: 10 } }, 7);
});

describe("grpo with a LoRA adapter", () => {
  it("trains the adapter alone and resumes exactly", async () => {
    const full = await runLab({ recipe: grpoRecipe(), dir: join(root, "a"), kernels, seed: 2, checkpointEvery: 4 });
    if (!full.ok) throw new Error(full.message);
    const log = (await readFile(join(root, "a", "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { kl: number });
    expect(log[0].kl).toBe(0); // a fresh adapter (B = 0) is the base
    expect(log).toHaveLength(8);
    expect((await readdir(full.checkpoint)).sort()).toEqual(["adapter", "optimizer.safetensors", "trainer_state.json"]);
    const killedDir = join(root, "b");
    const killed = runLab({
      recipe: grpoRecipe(), dir: killedDir, kernels, seed: 2, checkpointEvery: 4,
      onStep: (s) => {
        if (s.step === 6) throw new Error("killed");
      },
    });
    await expect(killed).rejects.toThrow("killed");
    expect(await latestCheckpoint(killedDir)).toMatch(/step-000004$/);
    const resumed = await runLab({ recipe: grpoRecipe(), dir: killedDir, kernels, seed: 2, checkpointEvery: 4, resume: true });
    if (!resumed.ok) throw new Error(resumed.message);
    expect(resumed.losses).toEqual(full.losses);
    const bytes = (ck: string) => readFile(join(ck, "adapter", "adapter_model.safetensors"));
    expect((await bytes(resumed.checkpoint)).equals(await bytes(full.checkpoint))).toBe(true);
  });
});
