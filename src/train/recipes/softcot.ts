/**
 * Recipe `softcot`: a frozen backbone reasons with soft thoughts (Xu et al. 2025, "SoftCoT:
 * Soft Chain-of-Thought for Efficient Reasoning with LLMs", arXiv 2502.12134, §3, eq. 1–3).
 * A small assistant model reads the question and k <unk> placeholders; its last hidden
 * states there, mapped by a trainable linear projection into the backbone's embedding
 * space, are inserted after the question in the backbone's input; the frozen backbone
 * writes the response. Loss: cross-entropy on the response (softcot-model.ts).
 *
 * Data: sft's arithmetic examples (sftExamples: the same items, prompts and responses, in
 * the same order per step for the same seed), so a softcot run and an sft run are
 * comparable step for step. Evaluation: softcot-eval.ts (a SoftCoT model is not a
 * LanguageModel checkpoint). Runs through runLab's `run` hook (softcot-run.ts).
 */
import { z } from "zod";
import { SOLUTION_FORMATS, worldSettingsSchema } from "../../world/index.js";
import { FRAMES } from "../data/frame.js";
import { runSoftcot } from "../softcot-run.js";
import { itemRangeSchema, trainSchema } from "./config.js";
import type { Recipe, RecipeFactory } from "./recipe.js";
import { sftExamples, SFT_VARIANTS } from "./sft.js";

export const softcotSchema = z.strictObject({
  /** zoo/base-m: the zoo's medium model, competent on the world's arithmetic (docs/ZOO.md, lab rule 5). */
  backbone: z.string().min(1, { error: "must be a non-empty path to a checkpoint or run folder" }).default("zoo/base-m"),
  /** zoo/base-s: the smallest zoo model (the paper's assistant is smaller than its backbone); it shares the lab's vocabulary. */
  assistant: z.string().min(1, { error: "must be a non-empty path to a checkpoint or run folder" }).default("zoo/base-s"),
  /** 4: a handful of thoughts, as in the paper's short soft-thought prefixes; each costs one backbone position. */
  k: z.number().int().min(1).max(64).default(4),
  /** false: the paper freezes the assistant too and trains only the projection (keeps both models' knowledge; ~12k parameters train). */
  trainAssistant: z.boolean().default(false),
  /**
   * "chat": sft's frame, so a softcot run and an sft run on the same examples compare like for like.
   * "raw": the backbone's pre-training frame ("Problem: …\nSolution:\n"), where the zoo models already
   * solve the task zero-shot — the paper's setting (soft thoughts for a backbone that is already competent).
   */
  frame: z.enum(FRAMES).default("chat"),
  /** "with-reasoning": the paper's backbone writes its chain of thought after the soft thoughts; "answer-only" is the short variant. */
  variant: z.enum(SFT_VARIANTS).default("with-reasoning"),
  /** with-reasoning's solution format, as sft's ("item": each item's own, the pre-training mix). */
  format: z.enum(["item", ...SOLUTION_FORMATS]).default("item"),
  /** The backbone's world (its seed decides the items): keep it equal to the sft baseline's. */
  world: worldSettingsSchema.prefault({}),
  /**
   * count 2000: as sft's default, so both recipes train on the same examples.
   * offset 1000: id items 0..999 stay unseen, for evaluation (as sft's).
   */
  examples: itemRangeSchema({ count: 2000, offset: 1000 }),
  /** sft's schedule (300 steps of 16, lr 1e-3 → 1e-4): the comparison holds steps and schedule equal. */
  train: trainSchema({ steps: 300, batchSize: 16, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 20 }).prefault({}),
});

export type SoftcotConfig = z.infer<typeof softcotSchema>;

export const softcot = {
  name: "softcot",
  description: "a frozen backbone answers with k soft thoughts from a small assistant model; only the projection (and optionally the assistant) trains",
  reference: "Xu et al. 2025, SoftCoT (arXiv 2502.12134) §3",
  schema: softcotSchema,
  create(c: SoftcotConfig): Recipe {
    const notLlama = (): never => {
      throw new Error("softcot trains a projection beside two frozen models, not one Llama; runLab runs it through recipe.run");
    };
    const recipe: Recipe = {
      name: "softcot",
      description: softcot.description,
      config: c,
      defaults: c.train,
      model: notLlama,
      data: notLlama,
      run: (o, name) => runSoftcot(o, name, {
        backbone: c.backbone, assistant: c.assistant, k: c.k, trainAssistant: c.trainAssistant, frame: c.frame, config: c, train: c.train,
        examples: sftExamples({ task: "arithmetic", variant: c.variant, format: c.format, examples: c.examples, world: c.world }),
      }),
    };
    return recipe;
  },
} satisfies RecipeFactory<typeof softcotSchema>;
