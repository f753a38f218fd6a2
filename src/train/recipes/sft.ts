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
 *
 * "arithmetic+verification": the first half of the items as arithmetic (by variant), the
 * second half as verification rows (data/verification.ts: the item, a solution that is
 * correct or corrupted 50/50, "Is this answer correct?" → " Yes"/" No", loss on the verdict
 * only), interleaved — what the audit's self-verification.gap probe asks, in its own frame.
 * "verification": verification rows only.
 *
 * "programs": the world's expression-building task ("Build: y, times 6\nf=" → "y*6"; answer-only),
 * which the zoo was not pre-trained on. "mix": a multi-task fine-tune over `tasks` (default
 * arithmetic, knowledge, programs) in equal shares, interleaved — CPI-FT's multi-task baseline
 * (Wang, Liang, Peng 2025, arXiv 2508.21741) and the mixed data of its final stage (cpi-ft.ts).
 */
import { z } from "zod";
import { SOLUTION_FORMATS, arithmeticTask, knowledgeTask, tasks as worldTasks, worldSettingsSchema, type ArithmeticItem, type WorldItem, type WorldSettings } from "../../world/index.js";
import { chatBatches, encodeChat, encodedBatches, type ChatExample } from "../data/chat.js";
import { chatRows } from "../data/trl-rows.js";
import { encodeVerification, verificationExamples, type VerificationExample } from "../data/verification.js";
import { itemRangeSchema, trainSchema } from "./config.js";
import { adapterOf, adapterSchema } from "./adapter.js";
import { fineTuneOf, fineTuneTokenizer } from "./fine-tune.js";
import type { Recipe, RecipeFactory } from "./recipe.js";

/** "arithmetic+knowledge": a joint multi-task fine-tune, half the examples from each task (CPI-FT's baseline, arXiv 2508.21741). */
export const SFT_TASKS = ["arithmetic", "knowledge", "arithmetic+knowledge", "arithmetic+verification", "verification", "programs", "mix"] as const;
/** The single tasks a "mix" interleaves (each a world task with its own frame; programs: "Build: …\nf=" → an expression). */
export const SFT_MIX_TASKS = ["arithmetic", "knowledge", "programs"] as const;
export type SftMixTask = (typeof SFT_MIX_TASKS)[number];
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
    /**
     * task "mix" only: the single tasks it interleaves in equal shares, in this order. Left out: all
     * of SFT_MIX_TASKS (the multi-task baseline of CPI-FT, arXiv 2508.21741). No default value, so
     * configs of the other tasks (and their run.json) stay as they were.
     */
    tasks: z.array(z.enum(SFT_MIX_TASKS)).min(2).optional(),
    /** The base's tokenizer is used; naming another is refused (fine-tune.ts). */
    tokenizer: fineTuneTokenizer,
    /** The base's world (its seed decides the encyclopedia): keep it equal to the base's pretrain config. */
    world: worldSettingsSchema.prefault({}),
    /**
     * count 2000: a few epochs of a demo-sized run (300 steps × 16 rows) without memorising a handful.
     * offset 1000: id items 0..999 stay unseen, for measuring the fine-tune.
     */
    examples: itemRangeSchema({ count: 2000, offset: 1000 }),
    /** Row length T; default the base's context length (an example longer than T + 1 tokens is dropped). */
    seqLen: z.number().int().min(8).optional(),
    /** Absent: train every weight. A LoRA adapter trains only the adapter on the frozen base (adapter.ts). */
    adapter: adapterSchema.optional(),
    /** 300 steps of 16 at lr 1e-3 → 1e-4: a demo fine-tune within the 3-minute budget (issue 4, Performance). */
    train: trainSchema({ steps: 300, batchSize: 16, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 20 }).prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.variant === "with-reasoning" && (c.task === "knowledge" || c.task === "programs")) {
      ctx.addIssue({ code: "custom", path: ["variant"], message: `"with-reasoning" needs a task with solution steps (arithmetic); use "answer-only" for ${c.task}` });
    }
    if (c.tasks !== undefined && c.task !== "mix") {
      ctx.addIssue({ code: "custom", path: ["tasks"], message: `only task "mix" takes a tasks list (task is "${c.task}"); remove tasks or set task to "mix"` });
    }
    if (c.tasks !== undefined && new Set(c.tasks).size !== c.tasks.length) {
      ctx.addIssue({ code: "custom", path: ["tasks"], message: `lists a task twice (${c.tasks.join(", ")}); name each task once (the shares are equal)` });
    }
  });

export type SftConfig = z.infer<typeof sftSchema>;

/** Arithmetic items of a verification task: the first half (⌈count/2⌉) for "arithmetic+verification", none for "verification". */
function verificationSplit(c: Pick<SftConfig, "task" | "examples">): number {
  return c.task === "verification" ? 0 : Math.ceil(c.examples.count / 2);
}

/** The verification rows of an sft config (none unless its task has verification): items after the arithmetic half. */
export function sftVerificationExamples(c: Pick<SftConfig, "task" | "format" | "examples"> & { world: WorldSettings }): VerificationExample[] {
  if (c.task !== "arithmetic+verification" && c.task !== "verification") return [];
  const half = verificationSplit(c);
  return verificationExamples({ world: c.world, count: c.examples.count - half, offset: c.examples.offset + half, format: c.format });
}

/** The chat examples of an sft config: prompt in the task's own frame, response by variant (a verification task: its arithmetic half). */
export function sftExamples(c: Pick<SftConfig, "task" | "variant" | "format" | "examples" | "tasks"> & { world: WorldSettings }): ChatExample[] {
  if (c.task === "mix") return mixExamples(c, c.tasks ?? SFT_MIX_TASKS);
  if (c.task === "arithmetic+verification" || c.task === "verification") {
    const half = verificationSplit(c);
    return half === 0 ? [] : sftExamples({ ...c, task: "arithmetic", examples: { ...c.examples, count: half } });
  }
  if (c.task === "arithmetic+knowledge") {
    // the variant applies to arithmetic; facts are always answered directly. Interleaved, so every batch mixes both.
    const half = Math.ceil(c.examples.count / 2);
    const a = sftExamples({ ...c, task: "arithmetic", examples: { ...c.examples, count: half } });
    const k = sftExamples({ ...c, task: "knowledge", variant: "answer-only", examples: { ...c.examples, count: c.examples.count - half } });
    return a.flatMap((x, i) => (i < k.length ? [x, k[i]] : [x]));
  }
  const n = c.examples.offset + c.examples.count;
  if (c.task === "programs") {
    // the programs task has no world-settings knobs: its defaults, as the audit's programs suite uses
    const items = worldTasks.programs.items({ config: worldTasks.programs.defaults, seed: c.world.seed, split: "id", n }).slice(c.examples.offset);
    return items.map((it) => ({ id: it.id, prompt: it.prompt, response: it.answerText }));
  }
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

/**
 * "mix": count examples in equal shares (the first count mod k tasks get one more), items
 * [offset, offset + share) of each task, interleaved round-robin so every batch mixes the tasks.
 * The variant applies to arithmetic; facts and programs are always answered directly.
 */
function mixExamples(c: Pick<SftConfig, "variant" | "format" | "examples"> & { world: WorldSettings }, tasks: readonly SftMixTask[]): ChatExample[] {
  const k = tasks.length;
  const lists = tasks.map((task, i) => {
    const count = Math.floor(c.examples.count / k) + (i < c.examples.count % k ? 1 : 0);
    return count === 0 ? [] : sftExamples({ ...c, task, variant: task === "arithmetic" ? c.variant : "answer-only", examples: { ...c.examples, count } });
  });
  const out: ChatExample[] = [];
  for (let j = 0; out.length < c.examples.count && lists.some((l) => j < l.length); j++) for (const l of lists) if (j < l.length) out.push(l[j]);
  return out;
}

export const sft = {
  name: "sft",
  description: "fine-tune a base checkpoint on one world task in chat format, loss on the response only",
  reference: "issue 4 (Recipes: sft); Ouyang et al. 2022 (InstructGPT) §3.5",
  rows: '{"messages": [user, assistant]}',
  schema: sftSchema,
  create(c: SftConfig): Recipe {
    return {
      name: "sft",
      description: sft.description,
      config: c,
      defaults: c.train,
      ...fineTuneOf("sft", c.base, c.seqLen, c.tokenizer),
      ...adapterOf(c.adapter),
      data({ tokenizer, config, batchSize, seed }) {
        const T = c.seqLen ?? config.contextLength;
        const verification = sftVerificationExamples(c);
        if (verification.length === 0) return chatBatches(tokenizer, sftExamples(c), batchSize, T, seed + 2);
        // interleaved, so every batch mixes both
        const a = sftExamples(c).map((e) => encodeChat(tokenizer, e));
        const v = verification.map((e) => encodeVerification(tokenizer, e));
        const rows = v.flatMap((x, i) => (i < a.length ? [a[i], x] : [x])).concat(a.slice(v.length));
        return encodedBatches(tokenizer, rows, batchSize, T, seed + 2,
          (n) => `all ${n} examples are longer than the sequence length ${T} (+1); raise seqLen (up to the base's context length)`);
      },
      async *rows({ tokenizer, config, seed }) {
        if (sftVerificationExamples(c).length > 0) {
          throw new Error(`sft task "${c.task}": its verification rows put the loss on the verdict inside the assistant's turn, which TRL's {"messages"} rows cannot express; lab data writes sft rows for the tasks arithmetic, knowledge and arithmetic+knowledge`);
        }
        yield* chatRows(tokenizer, sftExamples(c), c.seqLen ?? config.contextLength, seed + 2);
      },
    };
  },
} satisfies RecipeFactory<typeof sftSchema>;
