/**
 * Recipe configs: a JSON object merged over the schema's defaults; a bad one is rejected
 * with the offending field's dotted path and what to do.
 */
import { describe, expect, it } from "vitest";
import { findRecipe, recipes, resolveRecipeConfig, type PretrainConfig, type SftConfig } from "../../../src/train/index.js";

function bad(name: string, json: unknown): { field: string; message: string } {
  const r = resolveRecipeConfig(name, json);
  if (r.ok) throw new Error(`expected ${JSON.stringify(json)} to be rejected`);
  if (r.error.code !== "bad_config") throw new Error(r.message);
  return { field: r.error.field, message: r.message };
}

describe("recipe configs", () => {
  it("the registry lists every recipe, each with a description and a schema", () => {
    expect(Object.keys(recipes)).toEqual(["toy", "pretrain", "sft", "imitation", "grpo", "dpo", "cpi-ft", "softcot"]);
    for (const f of Object.values(recipes)) {
      expect(f.description.length).toBeGreaterThan(10);
      expect(typeof f.schema.safeParse).toBe("function");
    }
    const u = resolveRecipeConfig("pretrian", undefined);
    expect(u.ok).toBe(false);
    if (!u.ok) expect(u.message).toBe('unknown recipe "pretrian"; the recipes are: toy, pretrain, sft, imitation, grpo, dpo, cpi-ft, softcot');
    expect(findRecipe("toy").ok).toBe(true);
    const s = findRecipe("sft");
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.message).toMatch(/^sft config: base: required: the checkpoint folder/);
  });

  it("merges a partial config over the defaults", () => {
    const r = resolveRecipeConfig("pretrain", { model: { dim: 64 }, mixture: { knowledge: 3 }, world: { arithmetic: { maxSteps: 2 } } });
    if (!r.ok) throw new Error(r.message);
    const c = r.value.config as PretrainConfig;
    expect(c.model).toMatchObject({ dim: 64, nLayers: 6, nHeads: 4, nKvHeads: 2, contextLength: 128 });
    expect(c.mixture).toEqual({ knowledge: 3, arithmetic: 0.5 });
    expect(c.world.arithmetic).toMatchObject({ maxSteps: 2, minSteps: 1, formatMix: { natural: 0.5, code: 0.3, terse: 0.2 } });
    expect(c.world.knowledge.entities).toBe(100);
    expect(r.value.recipe.defaults).toEqual(c.train);
    expect(r.value.recipe.model({ size: 105 } as never)).toMatchObject({ vocabSize: 105, dim: 64 });
    const s = resolveRecipeConfig("sft", { base: "runs/base" });
    if (!s.ok) throw new Error(s.message);
    expect(s.value.config as SftConfig).toMatchObject({ base: "runs/base", task: "arithmetic", variant: "answer-only", format: "item", examples: { count: 2000, offset: 1000 } });
    expect(s.value.recipe.base?.path).toBe("runs/base");
  });

  it("rejects bad configs naming the field", () => {
    const e = bad("pretrain", { model: { dim: 100, nHeads: 6, nKvHeads: 3 } });
    expect(e.field).toBe("model.dim");
    expect(e.message).toBe("pretrain config: model.dim: must be divisible by model.nHeads (got 100 / 6). Fix that field in the --config JSON (fields left out take their defaults).");
    expect(bad("pretrain", { model: { nKvHeads: 3 } }).message).toMatch(/^pretrain config: model\.nKvHeads: must divide model\.nHeads \(got 4 \/ 3\)/);
    expect(bad("pretrain", { model: { dim: 12, nHeads: 4, nKvHeads: 2 } }).message).toMatch(/model\.nHeads: gives an odd head size 3 \(dim \/ nHeads\); RoPE needs an even head size/);
    expect(bad("pretrain", { model: { dimm: 64 } }).message).toMatch(/^pretrain config: model: Unrecognized key: "dimm"/);
    expect(bad("pretrain", { train: { steps: 0 } }).field).toBe("train.steps");
    expect(bad("pretrain", { train: { minLr: 0.1, maxLr: 0.01 } }).message).toMatch(/train\.minLr: must be ≤ train\.maxLr \(got 0\.1 > 0\.01\)/);
    expect(bad("pretrain", { mixture: { knowledge: 0, arithmetic: 0 } }).message).toMatch(/^pretrain config: mixture: all weights are 0/);
    expect(bad("pretrain", { mixture: { knowledge: -1 } }).field).toBe("mixture.knowledge");
    expect(bad("pretrain", { world: { arithmetic: { formatMix: { natural: 0.5, code: 0.5, terse: 0.5 } } } }).message).toMatch(/world\.arithmetic\.formatMix: formatMix must sum to 1/);
    expect(bad("pretrain", { corpus: { separator: "tab" } }).field).toBe("corpus.separator");
    expect(bad("sft", {}).message).toMatch(/^sft config: base: required: the checkpoint folder \(or run folder\) to fine-tune/);
    expect(bad("sft", { base: "b", task: "stories" }).field).toBe("task");
    expect(bad("sft", { base: "b", task: "knowledge", variant: "with-reasoning" }).message).toMatch(/^sft config: variant: "with-reasoning" needs a task with solution steps \(arithmetic\); use "answer-only" for knowledge/);
    expect(bad("sft", { base: "b", format: "prose" }).field).toBe("format");
    expect(bad("sft", { base: "b", examples: { count: 0 } }).field).toBe("examples.count");
    expect(bad("toy", { steps: 3 }).message).toMatch(/^toy config: \(root\): Unrecognized key: "steps"/);
  });
});
