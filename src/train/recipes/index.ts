/**
 * The recipe registry: one file per recipe, listed here and nowhere else.
 */
import type { Recipe } from "./recipe.js";
import { toy } from "./toy.js";

export type { Recipe, RecipeDefaults } from "./recipe.js";

export const recipes = { toy } satisfies Record<string, Recipe>;
export type RecipeName = keyof typeof recipes;

export function findRecipe(name: string): { ok: true; recipe: Recipe } | { ok: false; message: string } {
  if (Object.hasOwn(recipes, name)) return { ok: true, recipe: recipes[name as RecipeName] };
  return { ok: false, message: `unknown recipe "${name}"; the recipes are: ${Object.keys(recipes).join(", ")}` };
}
