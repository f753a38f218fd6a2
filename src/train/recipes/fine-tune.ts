/**
 * What every fine-tuning recipe (sft, imitation, grpo) declares the same way: it starts
 * from a base checkpoint and trains the base's own model; an optional row length must
 * fit the base's context.
 */
import type { Recipe } from "./recipe.js";

export function fineTuneOf(recipe: string, path: string, seqLen?: number): Pick<Recipe, "base" | "model"> {
  return {
    base: {
      path,
      check: (m) => (seqLen !== undefined && seqLen > m.contextLength
        ? `${recipe} config seqLen ${seqLen} exceeds the base model's context length ${m.contextLength}; set seqLen ≤ ${m.contextLength} or leave it out`
        : null),
    },
    model(_tok, base) {
      if (!base) throw new Error(`${recipe}: runLab must pass the base checkpoint's config to model()`);
      return base;
    },
  };
}
