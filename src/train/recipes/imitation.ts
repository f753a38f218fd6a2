/**
 * Recipe `imitation`: a student (the base checkpoint) fine-tuned on a teacher model's own
 * samples for the prompts of a subset of the world's tasks, loss on the samples only
 * (issue 4, Recipes: imitation; Gudibande et al. 2023, "The False Promise of Imitating
 * Proprietary LLMs"; Kim & Rush 2016, sequence-level distillation). data/teacher.ts has
 * the frames and the rows.
 *
 * `tasks` is the imitated subset; the tasks outside it are the evaluation's held-out
 * tasks, where imitation's gains (or losses) are measured: Gudibande et al. find the
 * student copies the teacher's style on imitated tasks and gains little elsewhere.
 *
 *   1. prepare (runLab, before data): load the teacher, sample it at
 *      teacherSampling.temperature on items [offset, offset + count) of each task's id
 *      split, seeded by stepSeed(run seed, TEACHER_SALT)
 *   2. data: one row per non-empty sample, in a seeded order per epoch
 *
 * Items below `offset` stay unseen, for evaluation in the task's own split. Teacher and
 * student may differ in size (zoo large → zoo small); the trained model is the student's.
 * NOTE: the samples depend on the kernels' rounding, so a run resumed on other kernels
 * may sample other data, which the resume check (run.json "data") then refuses.
 */
import { z } from "zod";
import { Llama, type Tokenizer } from "../../model/index.js";
import type { Kernels } from "../../tensor/index.js";
import { formatFormatError, loadCheckpoint, resolveCheckpointDir } from "../../formats/index.js";
import { arithmeticTask, knowledgeTask, worldSettingsSchema, type WorldItem, type WorldSettings } from "../../world/index.js";
import { stepSeed } from "../batches.js";
import { sha256Of } from "../../random/index.js";
import { FRAMES, teacherBatches, teacherExamples, teacherRow, type TeacherExamples, type TeacherPrompt } from "../data/teacher.js";
import { itemRangeSchema, trainSchema } from "./config.js";
import { adapterOf, adapterSchema } from "./adapter.js";
import { fineTuneOf, fineTuneTokenizer } from "./fine-tune.js";
import type { Recipe, RecipeFactory } from "./recipe.js";
import { describeTokenizer, sameTokenizer } from "../tokenizer/run-tokenizer.js";

export const IMITATION_TASKS = ["arithmetic", "knowledge"] as const;
export type ImitationTask = (typeof IMITATION_TASKS)[number];

/** Salts of the run seed: the teacher's sampling, and the order of the rows. */
const TEACHER_SALT = 0x74656163; // "teac"
const ORDER_SALT = 0x6f726472; // "ordr"

const checkpointPath = (what: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? `required: the checkpoint folder (or run folder) ${what}` : "must be a path (a string)") })
    .min(1, { error: "must be a non-empty path to a checkpoint or run folder" });

export const imitationSchema = z.strictObject({
  /** No default: the student needs a model to start from. */
  base: checkpointPath("of the student, to fine-tune"),
  /** No default: imitation needs a model to imitate. */
  teacher: checkpointPath("of the teacher, to sample"),
  /** "arithmetic": imitate one task and hold knowledge out, the smallest informative split. */
  tasks: z
    .array(z.enum(IMITATION_TASKS))
    .min(1, { error: `needs at least one task (of ${IMITATION_TASKS.join(", ")}); the tasks left out are the held-out ones` })
    .superRefine((ts, ctx) => {
      const twice = ts.find((t, i) => ts.indexOf(t) !== i);
      if (twice) ctx.addIssue({ code: "custom", message: `lists "${twice}" twice; name each task once` });
    })
    .default(["arithmetic"]),
  /** "chat": the format an sft-trained teacher answers in; "raw" (the task's own frame) suits a pre-trained-only teacher. */
  frame: z.enum(FRAMES).default("chat"),
  /**
   * count 1000: prompts per task: ~3 epochs of the demo-sized run (300 steps × 16 rows) for one task.
   * offset 1000: id items 0..999 stay unseen, for measuring the fine-tune (as sft).
   */
  samples: itemRangeSchema({ count: 1000, offset: 1000 }),
  teacherSampling: z
    .strictObject({
      /** 1: the teacher's own distribution, which imitation learns (0 = greedy, distilling its mode). */
      temperature: z.number().min(0).default(1),
      /** 128: the lab's context length; a longer sample cannot fit a row. */
      maxTokens: z.number().int().positive().default(128),
    })
    .prefault({}),
  /** The base's tokenizer is used; naming another is refused (fine-tune.ts). */
  tokenizer: fineTuneTokenizer,
  /** The base's world (its seed decides the encyclopedia): keep it equal to the base's and the teacher's pretrain config. */
  world: worldSettingsSchema.prefault({}),
  /** Row length T; default the base's context length (a sample longer than T + 1 tokens is dropped). */
  seqLen: z.number().int().min(8).optional(),
  /** Absent: train every weight. A LoRA adapter trains only the adapter on the frozen base (adapter.ts). */
  adapter: adapterSchema.optional(),
  /** 300 steps of 16 at lr 1e-3 → 1e-4: sft's demo fine-tune budget (issue 4, Performance). */
  train: trainSchema({ steps: 300, batchSize: 16, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 20 }).prefault({}),
});

export type ImitationConfig = z.infer<typeof imitationSchema>;

/** The prompts the teacher answers: items [offset, offset + count) of each chosen task's id split, tasks in IMITATION_TASKS order. */
export function imitationPrompts(c: Pick<ImitationConfig, "tasks" | "samples"> & { world: WorldSettings }): TeacherPrompt[] {
  const n = c.samples.offset + c.samples.count;
  const itemsOf = (t: ImitationTask): WorldItem[] => (t === "arithmetic"
    ? arithmeticTask.items({ config: c.world.arithmetic, seed: c.world.seed, split: "id", n })
    : knowledgeTask.items({ config: c.world.knowledge, seed: c.world.seed, split: "id", n }));
  return IMITATION_TASKS.filter((t) => c.tasks.includes(t))
    .flatMap((t) => itemsOf(t).slice(c.samples.offset))
    .map((it) => ({ id: it.id, prompt: it.prompt }));
}

type LoadedTeacher = { ok: true; model: Llama<Float32Array>; tokenizer: Tokenizer; checkpoint: string; sha256: string } | { ok: false; message: string };

async function loadTeacher(path: string, kernels: Kernels): Promise<LoadedTeacher> {
  const dir = await resolveCheckpointDir(path);
  const ck = await loadCheckpoint(dir);
  // loadCheckpoint refuses a tokenizer.json other than the lab's (character or byte-level BPE), and a smaller vocabulary
  if (!ck.ok) return { ok: false, message: `teacher ${path}: ${formatFormatError(ck.error)} The teacher must be a lab checkpoint (character tokenizer or the lab's byte-level BPE): a checkpoint or run folder written by ftledger lab train.` };
  const model = Llama.f32(ck.value.config, kernels);
  model.params.flat.set(ck.value.params);
  return { ok: true, model, tokenizer: ck.value.tokenizer, checkpoint: dir, sha256: sha256Of(ck.value.params) };
}

interface Prepared {
  seed: number;
  teacher: { checkpoint: string; sha256: string };
  prompts: number;
  built: TeacherExamples;
}

export const imitation = {
  name: "imitation",
  description: "fine-tune a student on a teacher model's samples for a subset of the world's tasks, loss on the samples only",
  reference: "issue 4 (Recipes: imitation); Gudibande et al. 2023 (The False Promise of Imitating Proprietary LLMs); Kim & Rush 2016",
  schema: imitationSchema,
  create(c: ImitationConfig): Recipe {
    let prepared: Prepared | null = null;
    return {
      name: "imitation",
      description: imitation.description,
      config: c,
      defaults: c.train,
      ...fineTuneOf("imitation", c.base, c.seqLen, c.tokenizer),
      ...adapterOf(c.adapter),
      async prepare({ kernels, tokenizer, seed, onProgress }) {
        const t = await loadTeacher(c.teacher, kernels);
        if (!t.ok) return t.message;
        // the teacher's sampled ids become the student's training ids: one tokenizer for both
        if (!sameTokenizer(t.tokenizer, tokenizer)) return `teacher ${c.teacher}: its tokenizer (${describeTokenizer(t.tokenizer)}) is not the student's (${describeTokenizer(tokenizer)}); imitation trains on the teacher's token ids, so pick a teacher pre-trained with the student's tokenizer.`;
        const prompts = imitationPrompts(c);
        const built = teacherExamples(t.model, tokenizer, prompts, {
          frame: c.frame, ...c.teacherSampling, seed: stepSeed(seed, TEACHER_SALT),
          onProgress: onProgress && ((done, total) => onProgress("teacher samples", done, total)),
        });
        prepared = { seed, teacher: { checkpoint: t.checkpoint, sha256: t.sha256 }, prompts: prompts.length, built };
        return null;
      },
      data({ tokenizer, config, batchSize, seed }) {
        if (prepared?.seed !== seed) throw new Error("imitation: runLab must await prepare() with the run's seed before data()");
        const { built, teacher } = prepared;
        const src = teacherBatches(tokenizer, built.samples.map((s) => teacherRow(tokenizer, c.frame, s)), batchSize, c.seqLen ?? config.contextLength, stepSeed(seed, ORDER_SALT));
        const info = {
          teacher: c.teacher, teacherCheckpoint: teacher.checkpoint, teacherSha256: teacher.sha256,
          prompts: prepared.prompts, samples: built.samples.length, empty: built.empty.length, promptTooLong: built.promptTooLong.length,
          unfinished: built.samples.filter((s) => s.finish !== "stop").length,
          ...src.info,
        };
        const problem = built.samples.length === 0
          ? `teacher ${c.teacher} gave no usable sample for ${prepared.prompts} prompts (${built.empty.length} empty, ${built.promptTooLong.length} longer than its context); check that it answers in the "${c.frame}" frame (use "raw" for a pre-trained-only teacher)`
          : src.problem;
        return { ...src, info, problem };
      },
    };
  },
} satisfies RecipeFactory<typeof imitationSchema>;
