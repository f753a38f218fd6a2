/**
 * Recipe dpo on a tiny base: the loss and its gradient weights match eq. 7 / eq. 8; world
 * pairs are verified and in the stated formats; a run's margin and implicit-reward
 * accuracy rise while its loss falls, with every metric logged; a JSONL pairs file loads
 * in TRL's standard and conversational forms and every bad line is named; a killed run
 * resumes (reference log-probs recomputed) to the identical result.
 */
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../../src/tensor/index.js";
import { CharTokenizer } from "../../../src/model/index.js";
import { arithmeticTask, solutionClassOf, type WorldItem } from "../../../src/world/index.js";
import { resolveRecipeConfig, runLab, type Recipe } from "../../../src/train/index.js";
import { dpoPair } from "../../../src/train/dpo.js";
import { readPairsFile } from "../../../src/train/data/pairs-jsonl.js";
import { worldPairs } from "../../../src/train/data/pairs.js";
import { dpoSchema } from "../../../src/train/recipes/dpo.js";
import { expectIdenticalAfterResume } from "./resume.js";
import { pretrainRun, tinyPretrain } from "./tiny.js";

const kernels = createTsKernels();
const tok = new CharTokenizer();
let root: string;
let baseRun: string;

const tinyDpo = {
  world: tinyPretrain.world, pairs: { count: 24, offset: 10, rejected: "other-format" }, microBatch: 4,
  train: { steps: 12, batchSize: 4, maxLr: 3e-3, minLr: 3e-3, warmupSteps: 0 },
};

function dpoRecipe(json: Record<string, unknown> = {}): Recipe {
  const r = resolveRecipeConfig("dpo", { base: baseRun, ...tinyDpo, ...json });
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

const lines = async (dir: string) =>
  (await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => {
    const { ms: _ms, ...rest } = JSON.parse(l) as Record<string, number>;
    return rest;
  });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-dpo-"));
  baseRun = join(root, "base");
  await pretrainRun(baseRun, { train: { ...tinyPretrain.train, steps: 10 } }, 7);
});

describe("dpo loss", () => {
  it("is −log σ(β·margin) with weight β·σ(−margin), the derivative of the loss in log π(y_w)", () => {
    const p = { policyChosen: -10, policyRejected: -12, refChosen: -11, refRejected: -11.5 };
    const t = dpoPair(p, 0.1);
    expect(t.chosenReward).toBeCloseTo(0.1, 12);
    expect(t.rejectedReward).toBeCloseTo(-0.05, 12);
    expect(t.margin).toBeCloseTo(0.15, 12);
    expect(t.loss).toBeCloseTo(-Math.log(1 / (1 + Math.exp(-0.15))), 12);
    const h = 1e-6;
    const numeric = (dpoPair({ ...p, policyChosen: p.policyChosen + h }, 0.1).loss - dpoPair({ ...p, policyChosen: p.policyChosen - h }, 0.1).loss) / (2 * h);
    expect(-numeric).toBeCloseTo(t.weight, 8);
    expect(dpoPair({ ...p, policyChosen: 1e4 }, 0.1).loss).toBeGreaterThanOrEqual(0); // no overflow either way
    expect(Number.isFinite(dpoPair({ ...p, policyChosen: -1e4 }, 0.1).loss)).toBe(true);
  });
});

describe("world pairs", () => {
  it("choose the verified target format and reject another format or a wrong answer, seeded by the world", () => {
    const world = dpoSchema.parse({ base: "b" }).world;
    const pairs = worldPairs({ world, target: "code", rejected: "mixed", count: 60, offset: 0 });
    const items = arithmeticTask.items({ config: world.arithmetic, seed: world.seed, split: "id", n: 60 }) as WorldItem<number>[];
    let otherFormat = 0;
    pairs.forEach((p, i) => {
      expect(p.prompt).toBe(items[i].prompt);
      expect(arithmeticTask.verify(items[i], p.chosen).correct).toBe(true);
      expect(solutionClassOf(p.chosen)).toBe("code");
      const rejectedOk = arithmeticTask.verify(items[i], p.rejected).correct;
      if (rejectedOk) otherFormat++;
      expect(rejectedOk && solutionClassOf(p.rejected) === "code").toBe(false);
      if (!rejectedOk) expect(solutionClassOf(p.rejected)).toBe("code"); // a wrong answer, in the target format
    });
    expect(otherFormat).toBeGreaterThan(15);
    expect(otherFormat).toBeLessThan(45);
    expect(worldPairs({ world, target: "code", rejected: "mixed", count: 60, offset: 0 })).toEqual(pairs);
  });
});

describe("recipe dpo", () => {
  it("raises the margin and the implicit-reward accuracy while the loss falls, logging every metric", async () => {
    const dir = join(root, "learn");
    const r = await runLab({ recipe: dpoRecipe(), dir, kernels, seed: 1, checkpointEvery: 100 });
    if (!r.ok) throw new Error(r.message);
    const log = await lines(dir);
    expect(log.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const l of log) for (const key of ["loss", "margin", "accuracy", "chosenReward", "rejectedReward", "kl"]) expect(Number.isFinite(l[key])).toBe(true);
    // the first update is at the reference: margin 0, loss log 2
    expect(Math.abs(log[0].margin)).toBeLessThan(1e-4);
    expect(log[0].loss).toBeCloseTo(Math.log(2), 4);
    const first = log.slice(0, 3), last = log.slice(-3);
    expect(mean(last.map((l) => l.margin))).toBeGreaterThan(mean(first.map((l) => l.margin)) + 0.05);
    expect(mean(last.map((l) => l.accuracy))).toBeGreaterThan(mean(first.map((l) => l.accuracy)));
    expect(mean(last.map((l) => l.loss))).toBeLessThan(mean(first.map((l) => l.loss)));
    expect(last.every((l) => l.kl > 0)).toBe(true);
    const manifest = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as { base: { sha256: string }; data: Record<string, number | string> };
    expect(manifest.data.reference).toBe(manifest.base.sha256);
    expect(Number(manifest.data.pairs) + Number(manifest.data.dropped)).toBe(24);
  });

  it("resumes a killed run to the identical result, its reference log-probs recomputed", async () => {
    const { resumed, killedDir } = await expectIdenticalAfterResume({
      recipe: () => dpoRecipe({ train: { ...tinyDpo.train, steps: 6 } }), root, kernels, seed: 2, every: 2, killAt: 5, latest: /step-000004$/,
    });
    expect(resumed.resumedFrom).toBe(4);
    expect(await lines(killedDir)).toEqual(await lines(join(root, "a")));
  });

  it("trains a LoRA adapter (the \"adapter\" field) against the base as reference", async () => {
    const dir = join(root, "lora");
    const r = await runLab({ recipe: dpoRecipe({ adapter: { type: "lora", r: 4, alpha: 8 }, train: { ...tinyDpo.train, steps: 8, maxLr: 1e-2, minLr: 1e-2 } }), dir, kernels, seed: 1 });
    if (!r.ok) throw new Error(r.message);
    const log = await lines(dir);
    expect(log[0].margin).toBe(0); // B = 0 at the start: the policy is the base exactly
    expect(mean(log.slice(-3).map((l) => l.margin))).toBeGreaterThan(0.01);
    expect(await readdir(r.checkpoint)).toContain("adapter"); // a LoRA run checkpoints only its adapter
  });

  it("names a missing reference checkpoint", async () => {
    const r = await runLab({ recipe: dpoRecipe({ base: join(root, "nowhere") }), dir: join(root, "c"), kernels, seed: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/nowhere/);
  });
});

describe("pairs from a JSONL file", () => {
  it("reads TRL's standard and conversational rows, and trains on them", async () => {
    const file = join(root, "pairs.jsonl");
    await writeFile(file, [
      JSON.stringify({ prompt: "Say yes: ", chosen: "yes", rejected: "no" }),
      "",
      JSON.stringify({ id: "b", prompt: [{ role: "user", content: "Say no: " }], chosen: [{ role: "assistant", content: "no" }], rejected: [{ role: "assistant", content: "yes" }] }),
    ].join("\n") + "\n");
    const r = await readPairsFile(file, tok);
    expect(r).toEqual({ ok: true, pairs: [{ id: "line-1", prompt: "Say yes: ", chosen: "yes", rejected: "no" }, { id: "b", prompt: "Say no: ", chosen: "no", rejected: "yes" }] });
    const run = await runLab({ recipe: dpoRecipe({ pairs: { file }, train: { ...tinyDpo.train, steps: 2, batchSize: 2 } }), dir: join(root, "file"), kernels, seed: 1 });
    if (!run.ok) throw new Error(run.message);
    expect(run.data?.pairs).toBe(2);
  });

  it("names the file, the line, the field and what to do for every bad line", async () => {
    const file = join(root, "bad.jsonl");
    await writeFile(file, [
      JSON.stringify({ prompt: "p", chosen: "a", rejected: "b" }),
      JSON.stringify({ prompt: "p", chosen: "a" }),
      "{not json",
      JSON.stringify({ prompt: "p", chosen: "a", rejected: "b", score: 1 }),
      JSON.stringify({ prompt: "p", chosen: "café", rejected: "b" }),
      JSON.stringify({ prompt: "p", chosen: "a", rejected: "a" }),
      JSON.stringify({ prompt: "p", chosen: 3, rejected: "b" }),
    ].join("\n"));
    const r = await readPairsFile(file, tok);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toContain(`${file}:2: field(s) "rejected" missing; every line needs prompt, chosen and rejected`);
    expect(r.message).toContain(`${file}:3: not valid JSON`);
    expect(r.message).toMatch(/:4: unknown field\(s\) score \(the fields are prompt, chosen, rejected and an optional id\)/);
    expect(r.message).toMatch(/:5: field "chosen" holds "é" \(U\+00E9\), which the lab's character tokenizer does not know .*replace or remove it/);
    expect(r.message).toMatch(/:6: "chosen" and "rejected" are the same text/);
    expect(r.message).toMatch(/\(and 1 more bad line\(s\)\)/); // line 7's chosen is a number
    const typedFile = join(root, "typed.jsonl");
    await writeFile(typedFile, JSON.stringify({ prompt: "p", chosen: 3, rejected: "b" }) + "\n");
    const typed = await readPairsFile(typedFile, tok);
    expect(typed.ok ? "" : typed.message).toBe(`${typedFile}:1: field "chosen" must be a string (or a list of one {"role": "assistant", "content": …} message)`);
    const missing = await readPairsFile(join(root, "none.jsonl"), tok);
    expect(missing.ok ? "" : missing.message).toMatch(/none\.jsonl: no such file; check the path/);
    const run = await runLab({ recipe: dpoRecipe({ pairs: { file } }), dir: join(root, "bad"), kernels, seed: 1 });
    expect(run.ok ? "" : run.message).toMatch(/^dpo config pairs\.file: /);
  });
});
