/**
 * Recipe cpi-ft on a tiny base and three tiny single-task sft runs (arithmetic, knowledge,
 * programs): the run starts from exactly `ftledger merge`'s cpi fusion of the three, its frozen
 * mask is the union of the 1% cores, the fine-tune leaves every core element bit-identical and
 * moves the rest, its loss falls, a killed run resumes to the identical curve, a changed task
 * model refuses to resume, and bad configs name their field.
 */
import { mkdtemp, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { latestCheckpoint, loadCheckpoint, resolveCheckpointDir } from "../../../src/formats/index.js";
import { createTsKernels } from "../../../src/tensor/index.js";
import { CharTokenizer, Llama, parameterTable, numel } from "../../../src/model/index.js";
import { resolveRecipeConfig, runLab, type BatchSource, type Recipe } from "../../../src/train/index.js";
import { formatWeightsError, parseMergeConfig, runMerge } from "../../../src/weights/index.js";
import { expectIdenticalAfterResume } from "./resume.js";
import { pretrainRun, tinyPretrain } from "./tiny.js";

const kernels = createTsKernels();
let root: string;
let baseRun: string;
const TASKS = ["arithmetic", "knowledge", "programs"] as const;
const taskRun = (t: string) => join(root, `sft-${t}`);
const tiny = { steps: 12, batchSize: 4, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 2 };

function recipe(name: string, json: Record<string, unknown>): Recipe {
  const r = resolveRecipeConfig(name, { world: tinyPretrain.world, ...json });
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

const cpiConfig = (over: Record<string, unknown> = {}) => ({
  base: baseRun,
  tasks: TASKS.map((task) => ({ task, model: taskRun(task) })),
  examples: { count: 30, offset: 10 },
  train: { steps: 8, batchSize: 4, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 1 },
  ...over,
});

async function params(dir: string): Promise<Float32Array> {
  const ck = await loadCheckpoint(await resolveCheckpointDir(dir));
  if (!ck.ok) throw new Error(`cannot load ${dir}`);
  return ck.value.params;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-cpi-ft-"));
  baseRun = join(root, "base");
  await pretrainRun(baseRun, { train: { ...tinyPretrain.train, steps: 10 } }, 7);
  for (const task of TASKS) {
    const r = await runLab({ recipe: recipe("sft", { base: baseRun, task, examples: { count: 20, offset: 10 }, train: tiny }), dir: taskRun(task), kernels, seed: 1 });
    if (!r.ok) throw new Error(r.message);
  }
}, 60_000);

describe("recipe cpi-ft", () => {
  it("starts from the cpi merge, freezes the union of the 1% cores, and trains the rest", async () => {
    const dir = join(root, "run");
    const steps: number[] = [];
    const r = await runLab({ recipe: recipe("cpi-ft", cpiConfig()), dir, kernels, seed: 1, onStep: (s) => steps.push(s.loss) });
    if (!r.ok) throw new Error(r.message);

    // 1. the start point is `ftledger merge` with method cpi, entry for entry
    const yaml = `merge_method: cpi\nbase_model: ${baseRun}\nmodels:\n${TASKS.map((t) => `  - model: ${taskRun(t)}\n    parameters: { core_fraction: 0.01 }\n`).join("")}`;
    const mc = parseMergeConfig(yaml, "cpi.yaml");
    if (!mc.ok) throw new Error(formatWeightsError(mc.error));
    const merged = await runMerge(mc.value, { configFile: "cpi.yaml", out: join(root, "merged") });
    if (!merged.ok) throw new Error(formatWeightsError(merged.error));
    const start = await params(join(root, "merged"));
    const recipeObj = recipe("cpi-ft", cpiConfig());
    expect(await recipeObj.prepare!({ kernels, tokenizer: new CharTokenizer(), seed: 1 })).toBeNull();
    expect(Buffer.from(recipeObj.startWeights!().buffer).equals(Buffer.from(start.buffer))).toBe(true);

    // 2. the mask: every tensor's cores (ceil(1%) each of three tasks) less the overlaps
    const frozen = recipeObj.frozen!();
    const ck = await loadCheckpoint(await resolveCheckpointDir(baseRun));
    if (!ck.ok) throw new Error("base");
    const cores = parameterTable(ck.value.config).reduce((s, p) => s + 3 * Math.ceil(0.01 * numel(p.shape) - 1e-9), 0);
    const union = frozen.reduce((s, x) => s + x, 0);
    expect(r.data?.frozen).toBe(union);
    expect(r.data?.overlapping).toBe(cores - union);
    expect(union).toBeGreaterThan(0.9 * cores);
    expect(union).toBeLessThanOrEqual(cores);

    // 3. the fine-tune: core elements bit-identical to the fused start, (nearly) every other one moved
    const end = await params(dir);
    let movedFree = 0;
    for (let i = 0; i < end.length; i++) {
      if (frozen[i]) expect(Object.is(end[i], start[i]), `frozen element ${i}`).toBe(true);
      else if (end[i] !== start[i]) movedFree++;
    }
    expect(movedFree).toBeGreaterThan(0.9 * (end.length - union));
    // 4. it learns the mixed data: the loss on the run's first 8 batches falls from the fused start
    const config = ck.value.config;
    const data = recipeObj.data({ tokenizer: new CharTokenizer(), config, batchSize: 4, seed: 1 }) as BatchSource;
    const lossOf = (weights: Float32Array) => {
      const m = Llama.f32(config, kernels);
      m.params.flat.set(weights);
      let sum = 0;
      for (let s = 0; s < 8; s++) sum += m.forward(data.batch(s)).loss;
      return sum / 8;
    };
    expect(lossOf(end)).toBeLessThan(lossOf(start) - 0.05);
    expect(steps).toHaveLength(8);
  }, 60_000);

  it("resumes a killed run to the identical curve and weights; a changed task model refuses to resume", async () => {
    const { killedDir } = await expectIdenticalAfterResume({
      recipe: () => recipe("cpi-ft", cpiConfig()), root: join(root, "resume"), kernels, seed: 2, every: 3, killAt: 5, latest: /step-000003$/,
    });
    expect(await latestCheckpoint(killedDir)).toMatch(/step-000008$/);
    // the same config, but the programs model behind its path is replaced by another fine-tune
    // (another seed): the fused start and the mask change, so resuming must refuse
    const swap = join(root, "sft-programs-swap");
    const train = (dir: string, seed: number) => runLab({ recipe: recipe("sft", { base: baseRun, task: "programs", examples: { count: 20, offset: 10 }, train: tiny }), dir, kernels, seed });
    for (const [dir, seed] of [[swap, 1], [join(root, "sft-programs-s2"), 2]] as const) {
      const r = await train(dir, seed);
      if (!r.ok) throw new Error(r.message);
    }
    const swapped = cpiConfig({ tasks: cpiConfig().tasks.map((t) => (t.task === "programs" ? { ...t, model: swap } : t)) });
    const killed2 = join(root, "resume2");
    const k = runLab({ recipe: recipe("cpi-ft", swapped), dir: killed2, kernels, seed: 2, checkpointEvery: 3, onStep: (s) => { if (s.step === 4) throw new Error("killed"); } });
    await expect(k).rejects.toThrow("killed");
    await rename(swap, `${swap}-old`);
    await rename(join(root, "sft-programs-s2"), swap);
    const refused = await runLab({ recipe: recipe("cpi-ft", swapped), dir: killed2, kernels, seed: 2, resume: true });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toMatch(/the recipe's data differ from the run's/);
  }, 60_000);

  it("names a bad field: a task listed twice, a single task, a missing base, a missing task model", async () => {
    const bad = (json: Record<string, unknown>) => {
      const r = resolveRecipeConfig("cpi-ft", json);
      if (r.ok) throw new Error("accepted");
      return r.message;
    };
    expect(bad(cpiConfig({ tasks: [{ task: "knowledge", model: "a" }, { task: "knowledge", model: "b" }] }))).toMatch(/tasks\.1\.task: "knowledge" is listed twice/);
    expect(bad(cpiConfig({ tasks: [{ task: "knowledge", model: "a" }] }))).toMatch(/tasks: needs at least two tasks/);
    expect(bad({ tasks: cpiConfig().tasks })).toMatch(/base: required/);
    const missing = await runLab({ recipe: recipe("cpi-ft", cpiConfig({ tasks: [{ task: "knowledge", model: join(root, "nope") }, { task: "programs", model: taskRun("programs") }] })), dir: join(root, "missing"), kernels, seed: 1 });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.message).toMatch(/^cpi-ft tasks\[0\] \(knowledge\) .*nope/);
  }, 30_000);
});
