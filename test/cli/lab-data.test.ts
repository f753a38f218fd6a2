/**
 * `ftledger lab data RECIPE`: the rows a recipe trains on, as TRL-compatible JSONL. The
 * rows are checked against the recipe's own training data — sft's batches, dpo's
 * objective, grpo's prompt pool — in the order a run with the same seed visits them; a
 * recipe without static rows is refused by name, and a failed run leaves --out untouched.
 * (Also: lab train's help shows a dpo example.)
 */
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CharTokenizer, type Llama, type TrainBatch } from "../../src/model/index.js";
import { createTsKernels } from "../../src/tensor/index.js";
import { loadModelConfig } from "../../src/formats/index.js";
import { chatBatches, encodeChat, isObjective, resolveRecipeConfig, sftExamples, sftSchema, type Recipe } from "../../src/train/index.js";
import { pretrainRun, tinyPretrain } from "../train/recipes/tiny.js";
import { ftledger } from "./run-cli.js";

const tok = new CharTokenizer();
let root: string;
let base: string;

const readRows = async (file: string) => (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const unpadded = (b: TrainBatch, row: number) => tok.decode([...b.tokens.subarray(row * b.T, (row + 1) * b.T)].filter((t, j, a) => a.slice(j).some((x) => x !== tok.pad)));

function recipeOf(name: string, json: Record<string, unknown>): Recipe {
  const r = resolveRecipeConfig(name, json);
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-lab-data-"));
  base = join(root, "base");
  await pretrainRun(base, { train: { ...tinyPretrain.train, steps: 2 } }, 7);
});

describe("ftledger lab data", () => {
  it("writes sft's examples as {messages} in the order its batches visit them", async () => {
    const json = { base, world: tinyPretrain.world, variant: "with-reasoning", format: "code", examples: { count: 60, offset: 5 } };
    await writeFile(join(root, "sft.json"), JSON.stringify(json));
    const r = ftledger("lab", "data", "sft", "--config", join(root, "sft.json"), "--out", join(root, "sft.jsonl"), "--seed", "3");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = await readRows(join(root, "sft.jsonl"));
    // the recipe's own batches (seed 3 → batch seed 5), one row per step: the first epoch
    const c = sftSchema.parse(json);
    const src = chatBatches(tok, sftExamples(c), 1, 128, 3 + 2);
    expect(rows.length).toBe(src.examples.length);
    // the examples too long for the base's context (128) are left out, as in training
    expect(src.examples.length).toBeGreaterThan(10);
    expect(src.examples.length).toBeLessThan(60);
    rows.forEach((row, i) => {
      const [user, assistant] = row.messages as { role: string; content: string }[];
      expect(user.role).toBe("user");
      expect(assistant.role).toBe("assistant");
      const ids = encodeChat(tok, { id: "", prompt: user.content, response: assistant.content }).ids;
      expect(unpadded(src.batch(i), 0)).toBe(tok.decode(ids.subarray(0, -1)));
    });
    expect(new Set(rows.map((x) => JSON.stringify(x))).size).toBe(rows.length);
  });

  it("writes dpo's pairs as {prompt, chosen, rejected} in the order its objective trains on them", async () => {
    const json = { base, world: tinyPretrain.world, pairs: { count: 12, offset: 3 } };
    await writeFile(join(root, "dpo.json"), JSON.stringify(json));
    const r = ftledger("lab", "data", "dpo", "--config", join(root, "dpo.json"), "--out", join(root, "dpo.jsonl"), "--seed", "2");
    expect(r.code).toBe(0);
    const rows = await readRows(join(root, "dpo.jsonl"));
    // the objective's first update over every pair, with a policy that records its batches
    const recipe = recipeOf("dpo", json);
    expect(await recipe.prepare!({ kernels: createTsKernels(), tokenizer: tok, seed: 2 })).toBeNull();
    const cfg = await loadModelConfig(join(base, "checkpoints", (await readdir(join(base, "checkpoints")))[0]));
    if (!cfg.ok) throw new Error("no base config");
    const objective = recipe.data({ tokenizer: tok, config: cfg.value, batchSize: rows.length, seed: 2 });
    if (!isObjective(objective)) throw new Error("dpo gives an objective");
    const seen: string[] = [];
    let B = 0;
    const recorder = {
      forward(b: TrainBatch) {
        B = b.B * b.T;
        for (let row = 0; row < b.B; row++) seen.push(unpadded(b, row));
      },
      lastLogprobs: () => new Float32Array(B),
      reweight: () => 0,
      backward: () => undefined,
    } as unknown as Llama<Float32Array>;
    objective.gradients(recorder, 0);
    expect(seen.length).toBe(2 * rows.length);
    rows.forEach((row, i) => {
      expect(Object.keys(row)).toEqual(["prompt", "chosen", "rejected"]);
      expect(seen[2 * i]).toBe(`${row.prompt as string}${row.chosen as string}`);
      expect(seen[2 * i + 1]).toBe(`${row.prompt as string}${row.rejected as string}`);
    });
  });

  it("writes grpo's prompt pool with the verifier's name, and refuses a recipe without static rows by name", async () => {
    const recipe = recipeOf("grpo", { base, world: tinyPretrain.world, prompts: { count: 20, offset: 0 }, sampling: { maxTokens: 32 } });
    const cfg = await loadModelConfig(join(base, "checkpoints", (await readdir(join(base, "checkpoints")))[0]));
    if (!cfg.ok) throw new Error("no base config");
    const rows: Record<string, unknown>[] = [];
    for await (const row of recipe.rows!({ tokenizer: tok, config: cfg.value, seed: 1 })) rows.push(row);
    // the pool the objective draws from: the prompts that leave room for a completion
    expect(await recipe.prepare!({ kernels: createTsKernels(), tokenizer: tok, seed: 1 })).toBeNull();
    const info = recipe.data({ tokenizer: tok, config: cfg.value, batchSize: 2, seed: 1 }).info!;
    expect(rows.length).toBe(info.prompts);
    expect(info.dropped).toBeGreaterThan(0);
    expect(rows[0]).toMatchObject({ verifier: "arithmetic", id: expect.stringMatching(/^arithmetic\/id\/\d+\/\d+$/) as unknown });
    expect(rows[0].prompt).toMatch(/^Problem: .*\nSolution:\n$/);

    const out = join(root, "kept.jsonl");
    await writeFile(out, "before\n");
    const r = ftledger("lab", "data", "pretrain", "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`recipe "pretrain" has no static rows to write`);
    expect(r.stderr).toContain("The recipes lab data writes: sft, grpo, dpo");
    expect(await readFile(out, "utf8")).toBe("before\n");
    expect((await readdir(root)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("shows a dpo example in lab train's help", () => {
    const r = ftledger("lab", "train", "dpo", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ftledger lab train dpo --config dpo.json --out runs/dpo");
  });
});
