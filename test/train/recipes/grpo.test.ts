/**
 * Recipe grpo on a tiny base: a run records its reference in run.json and writes a
 * metrics.jsonl line per update with reward, KL and the format distribution; a killed
 * run resumes (from a checkpoint between rollouts) to the identical result.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../../src/tensor/index.js";
import { SOLUTION_CLASSES } from "../../../src/world/index.js";
import { resolveRecipeConfig, runLab, type Recipe } from "../../../src/train/index.js";
import { expectIdenticalAfterResume } from "./resume.js";
import { pretrainRun, tinyPretrain } from "./tiny.js";

const kernels = createTsKernels();
let root: string;
let baseRun: string;

function grpoRecipe(json: Record<string, unknown> = {}): Recipe {
  const r = resolveRecipeConfig("grpo", {
    base: baseRun, world: tinyPretrain.world, k: 4, sampling: { maxTokens: 24 },
    train: { steps: 8, batchSize: 2, maxLr: 1e-3, minLr: 1e-3, warmupSteps: 0 }, ...json,
  });
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

const lines = async (dir: string) =>
  (await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => {
    const { ms: _ms, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-grpo-"));
  baseRun = join(root, "base");
  await pretrainRun(baseRun, { train: { ...tinyPretrain.train, steps: 10 } }, 7);
});

describe("recipe grpo", () => {
  it("logs reward, KL and the share of every solution format at every update", async () => {
    const dir = join(root, "log");
    const r = await runLab({ recipe: grpoRecipe(), dir, kernels, seed: 1, checkpointEvery: 4 });
    if (!r.ok) throw new Error(r.message);
    const log = await lines(dir);
    expect(log.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const l of log) {
      for (const key of ["loss", "lr", "gradNorm", "reward", "kl", "clipFraction", "mixedGroups", "rollout"]) expect(l).toHaveProperty(key);
      const f = l.formats as Record<string, number>;
      expect(Object.keys(f).sort()).toEqual([...SOLUTION_CLASSES].sort());
      expect(Object.values(f).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    }
    const manifest = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as { base: { sha256: string }; data: { reference: string } };
    expect(manifest.data.reference).toBe(manifest.base.sha256);
  });

  it("rounds checkpoints up to whole rollouts and resumes a killed run to the identical result", async () => {
    // every 3 updates rounds up to every 4 (two updates per rollout)
    const { resumed, killedDir } = await expectIdenticalAfterResume({
      recipe: () => grpoRecipe(), root, kernels, seed: 2, every: 3, killAt: 7, latest: /step-000004$/,
    });
    expect(resumed.resumedFrom).toBe(4);
    expect(await lines(killedDir)).toEqual(await lines(join(root, "a")));
  });


  it("names a missing reference checkpoint", async () => {
    const r = await runLab({ recipe: grpoRecipe({ base: join(root, "nowhere") }), dir: join(root, "c"), kernels, seed: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/nowhere/);
  });
});
