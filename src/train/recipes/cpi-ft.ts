/**
 * Recipe `cpi-ft`: Core Parameter Isolation Fine-Tuning (Wang, Liang, Peng 2025, "Not All
 * Parameters Are Created Equal: Smart Isolation Boosts Fine-Tuning Performance", arXiv
 * 2508.21741; EMNLP 2025), after the single-task fine-tunes it starts from:
 *
 *   1. each task's core region, per tensor: the top p of |θ_task − θ_base| (p = 1%, the paper's)
 *   2. fusion: each task's core entries transplanted from its own fine-tune into one backbone,
 *      the non-core entries of the tasks fused by SLERP (cpiFuse, src/tensor/cpi-fusion.ts — the
 *      same function as `ftledger merge` with method cpi)
 *   3. a short fine-tune of the fused model on the tasks' mixed data (sft's "mix", chat frame,
 *      loss on the response) with the union of the core regions frozen in the optimiser
 *      (trainer.ts `frozen`: no step, no decay, no momentum there)
 *
 * Where our recipe departs from the paper (whose method section we could not read; the abstract
 * is the source): the paper groups tasks whose cores overlap into clusters and trains the
 * clusters in a pipeline of stages, freezing the cores of prior stages. Here every task is its
 * own group and there is one stage: all cores are frozen together. An entry in several tasks'
 * cores (rare: two random 1% cores share 0.5% of their union) takes the value of the task that
 * moved it most (largest |τ|; a tie: the task listed first) and is frozen once.
 *
 * Resumable: `prepare` rebuilds the fused start and the mask from the same checkpoints on a fresh
 * and a resumed run (a pure function of them); their sha256 are in run.json's data, which a resume
 * checks, so changed task models refuse to resume instead of training under another mask.
 */
import { z } from "zod";
import { loadCheckpoint, formatFormatError, resolveCheckpointDir } from "../../formats/index.js";
import { parameterTable, numel, type ModelConfig } from "../../model/index.js";
import { sha256Of } from "../../random/index.js";
import { countForFraction, cpiFuse } from "../../tensor/index.js";
import { SOLUTION_FORMATS, worldSettingsSchema } from "../../world/index.js";
import { chatBatches } from "../data/chat.js";
import { itemRangeSchema, trainSchema } from "./config.js";
import { fineTuneOf, fineTuneTokenizer } from "./fine-tune.js";
import type { Recipe, RecipeFactory } from "./recipe.js";
import { SFT_MIX_TASKS, SFT_VARIANTS, sftExamples } from "./sft.js";

const path = (what: string) =>
  z.string({ error: (iss) => (iss.input === undefined ? `required: ${what}` : "must be a path (a string)") }).min(1, { error: "must be a non-empty path to a checkpoint or run folder" });

export const cpiFtSchema = z
  .strictObject({
    /** No default: the model every task's fine-tune started from (its task vectors are measured against it). */
    base: path("the checkpoint folder (or run folder) the single-task fine-tunes started from"),
    /** No default: one single-task fine-tune of `base` per task (an sft run folder or a checkpoint), in priority order. */
    tasks: z
      .array(z.strictObject({ task: z.enum(SFT_MIX_TASKS), model: path("the single-task fine-tune of this task (a run or checkpoint folder)") }))
      .min(2, { error: "needs at least two tasks (CPI-FT fuses several single-task fine-tunes)" }),
    /** 0.01: the paper's main setting, p = 1% of each tensor's entries by |θ_task − θ_base|. */
    coreFraction: z.number().gt(0).max(1).default(0.01),
    /** As sft's, for the arithmetic share of the mixed data; facts and programs are answered directly. */
    variant: z.enum(SFT_VARIANTS).default("answer-only"),
    /** As sft's: with-reasoning's solution format ("item": each item's own). */
    format: z.enum(["item", ...SOLUTION_FORMATS]).default("item"),
    /** The base's tokenizer is used; naming another is refused (fine-tune.ts). */
    tokenizer: fineTuneTokenizer,
    /** The base's world (its seed decides the encyclopedia): the one the task fine-tunes used. */
    world: worldSettingsSchema.prefault({}),
    /**
     * count 1200: a light mixed-data phase (the paper's "lightweight" SFT), 400 items per task of three.
     * offset 1000: id items 0..999 stay unseen, as in sft, for measuring every model on the same items.
     */
    examples: itemRangeSchema({ count: 1200, offset: 1000 }),
    /** Row length T; default the base's context length (an example longer than T + 1 tokens is dropped). */
    seqLen: z.number().int().min(8).optional(),
    /** 100 steps of 16 at lr 3e-4 → 3e-5: a third of sft's steps at 0.3× its peak — adjust the fused model, do not retrain it. */
    train: trainSchema({ steps: 100, batchSize: 16, maxLr: 3e-4, minLr: 3e-5, warmupSteps: 10 }).prefault({}),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.tasks.forEach((t, i) => {
      if (seen.has(t.task)) ctx.addIssue({ code: "custom", path: ["tasks", i, "task"], message: `"${t.task}" is listed twice; give each task one single-task fine-tune` });
      seen.add(t.task);
    });
  });

export type CpiFtConfig = z.infer<typeof cpiFtSchema>;

/** The fused start point, the frozen mask and what they hold (recorded in run.json). */
export interface CpiFusion {
  start: Float32Array;
  frozen: Uint8Array;
  info: Record<string, string | number>;
}

/**
 * Steps 1–2 over a whole model: `cpiFuse` tensor by tensor of the flat parameter layout (core
 * regions are per tensor, as in `ftledger merge`). frozen = the union of the cores.
 */
export function cpiFusion(config: ModelConfig, base: Float32Array, models: readonly Float32Array[], fraction: number): CpiFusion {
  const n = base.length;
  const start = new Float32Array(n);
  const frozen = new Uint8Array(n);
  const owned = new Array<number>(models.length).fill(0);
  let cores = 0; // Σ_i |core_i|, so Σ − |union| counts entries in more than one core
  let offset = 0;
  for (const spec of parameterTable(config)) {
    const size = numel(spec.shape);
    const end = offset + size;
    const { merged, owner } = cpiFuse(base.subarray(offset, end), models.map((m) => m.subarray(offset, end)), models.map(() => fraction), models.map(() => 1));
    start.set(merged, offset);
    for (let j = 0; j < size; j++) if (owner[j] >= 0) { frozen[offset + j] = 1; owned[owner[j]]++; }
    cores += models.length * countForFraction(fraction, size, "ceil");
    offset = end;
  }
  if (offset !== n) throw new Error(`cpi-ft: the parameter table covers ${offset} values, the weights have ${n}`);
  const union = owned.reduce((a, b) => a + b, 0);
  return {
    start, frozen,
    info: {
      frozen: union, frozenShare: union / n, overlapping: cores - union,
      ...Object.fromEntries(owned.map((k, i) => [`coreOwned${i}`, k])),
      startSha256: sha256Of(start), frozenSha256: sha256Of(frozen),
    },
  };
}

async function loadWeights(what: string, given: string): Promise<{ ok: true; config: ModelConfig; params: Float32Array } | { ok: false; message: string }> {
  const dir = await resolveCheckpointDir(given);
  const ck = await loadCheckpoint(dir);
  return ck.ok ? { ok: true, config: ck.value.config, params: ck.value.params } : { ok: false, message: `cpi-ft ${what} ${given}: ${formatFormatError(ck.error)}` };
}

export const cpiFt = {
  name: "cpi-ft",
  description: "CPI-FT: fuse single-task fine-tunes (cores transplanted, the rest SLERP'd), then a short mixed-task fine-tune with the cores frozen",
  reference: "Wang, Liang, Peng 2025, Core Parameter Isolation Fine-Tuning, arXiv 2508.21741 (EMNLP 2025)",
  schema: cpiFtSchema,
  create(c: CpiFtConfig): Recipe {
    let fusion: CpiFusion | null = null;
    const ready = (): CpiFusion => {
      if (!fusion) throw new Error("cpi-ft: runLab must call prepare() before data(), startWeights() and frozen()");
      return fusion;
    };
    return {
      name: "cpi-ft",
      description: cpiFt.description,
      config: c,
      defaults: c.train,
      ...fineTuneOf("cpi-ft", c.base, c.seqLen, c.tokenizer),
      async prepare() {
        const base = await loadWeights("base", c.base);
        if (!base.ok) return base.message;
        const models: Float32Array[] = [];
        for (const [i, t] of c.tasks.entries()) {
          const m = await loadWeights(`tasks[${i}] (${t.task})`, t.model);
          if (!m.ok) return m.message;
          if (JSON.stringify(m.config) !== JSON.stringify(base.config)) {
            return `cpi-ft tasks[${i}] (${t.task}) ${t.model}: its model config differs from the base ${c.base}'s; list fine-tunes of that base`;
          }
          models.push(m.params);
        }
        fusion = cpiFusion(base.config, base.params, models, c.coreFraction);
        return null;
      },
      startWeights: () => ready().start,
      frozen: () => ready().frozen,
      data({ tokenizer, config, batchSize, seed }) {
        const examples = sftExamples({ task: "mix", tasks: c.tasks.map((t) => t.task), variant: c.variant, format: c.format, examples: c.examples, world: c.world });
        const src = chatBatches(tokenizer, examples, batchSize, c.seqLen ?? config.contextLength, seed + 2);
        return { ...src, info: { ...src.info, ...ready().info } };
      },
    };
  },
} satisfies RecipeFactory<typeof cpiFtSchema>;
