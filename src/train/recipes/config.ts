/**
 * Config pieces the lab's recipes share: the model's shape and the schedule (the world
 * the data come from is src/world's `worldSettingsSchema`). Every default carries its reason; cross-field rules
 * live in superRefine so the error names the field.
 */
import { z } from "zod";

export const modelSchema = z
  .strictObject({
    /** 128: the zoo's medium scale (~1.2M parameters with 6 layers), the 1M size of the lab's feasibility study (docs/ZOO.md). */
    dim: z.number().int().positive().default(128),
    /** 6: depth for multi-step arithmetic at ~1M parameters without starving the token budget. */
    nLayers: z.number().int().positive().default(6),
    /** 4: head size 32, the usual size for a model this narrow. */
    nHeads: z.number().int().positive().default(4),
    /** 2: grouped-query attention halves the k/v width at no measurable cost at this scale. */
    nKvHeads: z.number().int().positive().default(2),
    /** 384: 3 × dim, the llama ratio (8/3 with SwiGLU) rounded to a multiple of 64. */
    ffnDim: z.number().int().positive().default(384),
    /** 128: enough for the easy world's documents (docs/ZOO.md, lab rule 1) and ~2× faster than 256. */
    contextLength: z.number().int().min(8).default(128),
    /** 10000: the llama default; contexts here are far below where it matters. */
    ropeTheta: z.number().positive().default(10000),
    /** 1e-5: the llama default. */
    normEps: z.number().positive().default(1e-5),
    /** true: at vocabulary 105 the tied head saves parameters and trains as well. */
    tiedEmbeddings: z.boolean().default(true),
  })
  .superRefine((m, ctx) => {
    if (m.dim % m.nHeads !== 0) {
      ctx.addIssue({ code: "custom", path: ["dim"], message: `must be divisible by model.nHeads (got ${m.dim} / ${m.nHeads})` });
    } else if ((m.dim / m.nHeads) % 2 !== 0) {
      ctx.addIssue({ code: "custom", path: ["nHeads"], message: `gives an odd head size ${m.dim / m.nHeads} (dim / nHeads); RoPE needs an even head size` });
    }
    if (m.nHeads % m.nKvHeads !== 0) {
      ctx.addIssue({ code: "custom", path: ["nKvHeads"], message: `must divide model.nHeads (got ${m.nHeads} / ${m.nKvHeads})` });
    }
  });

export type RecipeModelConfig = z.infer<typeof modelSchema>;

/** Optimisation: steps, batch and the warmup + cosine schedule (schedule.ts). */
export function trainSchema(d: { steps: number; batchSize: number; maxLr: number; minLr: number; warmupSteps: number }) {
  return z
    .strictObject({
      steps: z.number().int().positive().default(d.steps),
      batchSize: z.number().int().positive().default(d.batchSize),
      maxLr: z.number().positive().max(1).default(d.maxLr),
      minLr: z.number().min(0).default(d.minLr),
      warmupSteps: z.number().int().min(0).default(d.warmupSteps),
    })
    .superRefine((t, ctx) => {
      if (t.minLr > t.maxLr) ctx.addIssue({ code: "custom", path: ["minLr"], message: `must be ≤ train.maxLr (got ${t.minLr} > ${t.maxLr})` });
    });
}

/** A recipe config that failed validation: the field's dotted path and what is wrong with it. */
/**
 * A range of the world's items a recipe draws from: `count` items from index `offset` on.
 * The defaults' reasons are the caller's (each recipe says why its count and offset).
 */
export function itemRangeSchema(d: { count: number; offset: number }) {
  return z
    .strictObject({
      count: z.number().int().positive().default(d.count),
      offset: z.number().int().min(0).default(d.offset),
    })
    .prefault({});
}

export interface ConfigIssue {
  field: string;
  message: string;
}

export function firstIssue(error: z.ZodError): ConfigIssue {
  const issue = error.issues[0];
  return { field: issue.path.map(String).join(".") || "(root)", message: issue.message };
}
