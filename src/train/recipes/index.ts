/**
 * The recipe registry: one file per recipe, listed here and nowhere else (docs/CONTRIBUTING.md §6).
 * A recipe's config is a JSON object merged over its schema's defaults (fields left out
 * take them); an invalid one is reported with the field's dotted path.
 */
import { firstIssue } from "./config.js";
import { cpiFt } from "./cpi-ft.js";
import { dpo } from "./dpo.js";
import { grpo } from "./grpo.js";
import { imitation } from "./imitation.js";
import { pretrain } from "./pretrain.js";
import type { Recipe, RecipeFactory } from "./recipe.js";
import { sft } from "./sft.js";
import { softcot } from "./softcot.js";
import { toy } from "./toy.js";

export type { LabRunResult, PrepareProgress, Recipe, RecipeBase, RecipeDefaults, RecipeFactory, RunSettings, TrainingRow } from "./recipe.js";
export { modelSchema, trainSchema, type ConfigIssue, type RecipeModelConfig } from "./config.js";
export { adapterSchema, adapterOf, loraConfigOf, type AdapterConfig } from "./adapter.js";
export { pretrainSchema, type PretrainConfig } from "./pretrain.js";
export { sftExamples, sftSchema, SFT_TASKS, SFT_VARIANTS, SFT_MIX_TASKS, type SftConfig } from "./sft.js";
export { cpiFtSchema, cpiFusion, type CpiFtConfig, type CpiFusion } from "./cpi-ft.js";
export { solutionClassShares, grpoObjective, grpoSchema, GRPO_TASKS, type GrpoConfig } from "./grpo.js";
export { dpoPairs, dpoSchema, type DpoConfig } from "./dpo.js";
export { softcotSchema, type SoftcotConfig } from "./softcot.js";
export { imitationPrompts, imitationSchema, IMITATION_TASKS, type ImitationConfig, type ImitationTask } from "./imitation.js";
export { selfImprove, selfImproveRound, selfImproveSchema, SELF_IMPROVE_FILTERS, type SelfImproveConfig } from "./self-improve.js";

export const recipes = { toy, pretrain, sft, imitation, grpo, dpo, "cpi-ft": cpiFt, softcot } satisfies Record<string, RecipeFactory>;
export type RecipeName = keyof typeof recipes;

export type RecipeConfigError =
  | { code: "unknown_recipe"; name: string; known: string[] }
  | { code: "bad_config"; recipe: string; field: string; message: string };

export function formatRecipeConfigError(e: RecipeConfigError): string {
  switch (e.code) {
    case "unknown_recipe":
      return `unknown recipe "${e.name}"; the recipes are: ${e.known.join(", ")}`;
    case "bad_config":
      return `${e.recipe} config: ${e.field}: ${e.message}. Fix that field in the --config JSON (fields left out take their defaults).`;
  }
}

export type ResolvedRecipe =
  | { ok: true; value: { recipe: Recipe; config: unknown } }
  | { ok: false; error: RecipeConfigError; message: string };

/** Validate `json` (a parsed --config file, or undefined for all defaults) and build the recipe. */
export function resolveRecipeConfig(name: string, json: unknown): ResolvedRecipe {
  if (!Object.hasOwn(recipes, name)) {
    const error: RecipeConfigError = { code: "unknown_recipe", name, known: Object.keys(recipes) };
    return { ok: false, error, message: formatRecipeConfigError(error) };
  }
  const factory: RecipeFactory = recipes[name as RecipeName];
  const r = factory.schema.safeParse(json ?? {});
  if (!r.success) {
    const error: RecipeConfigError = { code: "bad_config", recipe: name, ...firstIssue(r.error) };
    return { ok: false, error, message: formatRecipeConfigError(error) };
  }
  return { ok: true, value: { recipe: factory.create(r.data), config: r.data } };
}

/** The recipe with its default config (an error for a recipe that needs fields, such as sft's base). */
export function findRecipe(name: string): { ok: true; recipe: Recipe } | { ok: false; message: string } {
  const r = resolveRecipeConfig(name, undefined);
  return r.ok ? { ok: true, recipe: r.value.recipe } : { ok: false, message: r.message };
}
