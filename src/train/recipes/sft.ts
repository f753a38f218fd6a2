/**
 * Recipe `sft`: supervised fine-tuning of a base checkpoint on one world task's
 * in-distribution items in the chat format (data/chat.ts), loss on the response only
 * (issue 4, Recipes: sft; Ouyang et al. 2022 "InstructGPT", §3.5 — the SFT stage).
 *
 *   answer-only     arithmetic: "Answer: 14"            knowledge: "Tosk"
 *   with-reasoning  arithmetic: the full solution, steps then "Answer: 14", in `format`
 *
 * Items [offset, offset + count) of the id split are trained on; items below `offset`
 * stay unseen, for evaluation in the task's own split.
 */
import { z } from "zod";
import { SOLUTION_FORMATS, arithmeticTask, knowledgeTask, worldSettingsSchema, type ArithmeticItem, type WorldItem, type WorldSettings } from "../../world/index.js";
import { chatBatches, type ChatExample } from "../data/chat.js";
import { trainSchema } from "./config.js";
import { fineTuneOf } from "./fine-tune.js";
import type { Recipe, RecipeFactory } from "./recipe.js";

/** "arithmetic+knowledge": a joint multi-task fine-tune, half the examples from each task (CPI-FT's baseline, arXiv 2508.21741). */
export const SFT_TASKS = ["arithmetic", "knowledge", "arithmetic+knowledge"] as const;
export const SFT_VARIANTS = ["answer-only", "with-reasoning"] as const;

export const sftSchema = z
  .strictObject({
    /** No default: a fine-tune needs a model to start from. */
    base: z
      .string({ error: (iss) => (iss.input === undefined ? "required: the checkpoint folder (or run folder) to fine-tune" : "must be a path (a string)") })
      .min(1, { error: "must be a non-empty path to a checkpoint or run folder" }),
    /** "arithmetic": the task whose accuracy the issue's SFT demo must raise. */
    task: z.enum(SFT_TASKS).default("arithmetic"),
    /** "answer-only": valid for every task (with-reasoning needs a task with steps). */
    variant: z.enum(SFT_VARIANTS).default("answer-only"),
    /** with-reasoning's solution format; "item": each item's own, drawn by world.arithmetic.formatMix (the pre-training mix). */
    format: z.enum(["item", ...SOLUTION_FORMATS]).default("item"),
    /** The base's world (its seed decides the encyclopedia): keep it equal to the base's pretrain config. */
    world: worldSettingsSchema.prefault({}),
    examples: z
      .strictObject({
        /** 2000: a few epochs of a demo-sized run (300 steps × 16 rows) without memorising a handful. */
        count: z.number().int().positive().default(2000),
        /** 1000: id items 0..999 stay unseen, for measuring the fine-tune. */
        offset: z.number().int().min(0).default(1000),
      })
      .prefault({}),
    /** Row length T; default the base's context length (an example longer than T + 1 tokens is dropped). */
    seqLen: z.number().int().min(8).optional(),
    /** 300 steps of 16 at lr 1e-3 → 1e-4: a demo fine-tune within the 3-minute budget (issue 4, Performance). */
    train: trainSchema({ steps: 300, batchSize: 16, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 20 }).prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.variant === "with-reasoning" && c.task === "knowledge") {
      ctx.addIssue({ code: "custom", path: ["variant"], message: `"with-reasoning" needs a task with solution steps (arithmetic); use "answer-only" for ${c.task}` });
    }
  });

export type SftConfig = z.infer<typeof sftSchema>;

/** The chat examples of an sft config: prompt in the task's own frame, response by variant. */
export function sftExamples(c: Pick<SftConfig, "task" | "variant" | "format" | "examples"> & { world: WorldSettings }): ChatExample[] {
  if (c.task === "arithmetic+knowledge") {
    // the variant applies to arithmetic; facts are always answered directly. Interleaved, so every batch mixes both.
    const half = Math.ceil(c.examples.count / 2);
    const a = sftExamples({ ...c, task: "arithmetic", examples: { ...c.examples, count: half } });
    const k = sftExamples({ ...c, task: "knowledge", variant: "answer-only", examples: { ...c.examples, count: c.examples.count - half } });
    return a.flatMap((x, i) => (i < k.length ? [x, k[i]] : [x]));
  }
  const n = c.examples.offset + c.examples.count;
  if (c.task === "knowledge") {
    const items = knowledgeTask.items({ config: c.world.knowledge, seed: c.world.seed, split: "id", n }).slice(c.examples.offset);
    return items.map((it: WorldItem<string>) => ({ id: it.id, prompt: it.prompt, response: it.answerText }));
  }
  const items = arithmeticTask.items({ config: c.world.arithmetic, seed: c.world.seed, split: "id", n }).slice(c.examples.offset) as ArithmeticItem[];
  return items.map((it) => ({
    id: it.id,
    prompt: it.prompt,
    response: c.variant === "answer-only" ? `Answer: ${it.answer}` : it.meta.solutions[c.format === "item" ? it.meta.format : c.format],
  }));
}

export const sft = {
  name: "sft",
  description: "fine-tune a base checkpoint on one world task in chat format, loss on the response only",
  reference: "issue 4 (Recipes: sft); Ouyang et al. 2022 (InstructGPT) §3.5",
  schema: sftSchema,
  create(c: SftConfig): Recipe {
    return {
      name: "sft",
      description: sft.description,
      config: c,
      defaults: c.train,
      ...fineTuneOf("sft", c.base, c.seqLen),
      data({ tokenizer, config, batchSize, seed }) {
        return chatBatches(tokenizer, sftExamples(c), batchSize, c.seqLen ?? config.contextLength, seed + 2);
      },
    };
  },
} satisfies RecipeFactory<typeof sftSchema>;
