/**
 * What every fine-tuning recipe (sft, imitation, grpo) declares the same way: it starts
 * from a base checkpoint and trains the base's own model with the base's own tokenizer;
 * an optional row length must fit the base's context.
 */
import { z } from "zod";
import type { Recipe } from "./recipe.js";

/**
 * A fine-tune's optional "tokenizer": no default, since a fine-tune always trains with its
 * base's tokenizer; a config that names one ("char" or a tokenizer.json) is checked against
 * the base's, and a different one is refused (runLab).
 */
export const fineTuneTokenizer = z.string().min(1).optional();

export function fineTuneOf(recipe: string, path: string, seqLen?: number, tokenizer?: string): Pick<Recipe, "base" | "model" | "tokenizer"> {
  return {
    tokenizer,
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
