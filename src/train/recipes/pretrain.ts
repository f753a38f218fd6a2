/**
 * Recipe `pretrain`: a llama pre-trained from scratch on a weighted mixture of the
 * world's raw documents (issue 4, Recipes; docs/ZOO.md, lab rules 1–3), packed into one token
 * stream and cut into seeded (B, T) windows (batches.ts). The arithmetic documents mix
 * their solution formats in world.arithmetic.formatMix proportions.
 */
import { z } from "zod";
import { windowBatches } from "../batches.js";
import { CORPUS_TASKS, corpusDocuments, packCorpus } from "../data/corpus.js";
import { worldSettingsSchema } from "../../world/index.js";
import { modelSchema, trainSchema } from "./config.js";
import type { Recipe, RecipeFactory } from "./recipe.js";

const mixtureWeight = z.number().min(0);

export const pretrainSchema = z.strictObject({
  model: modelSchema.prefault({}),
  /**
   * 6000 steps × 32 × 128 ≈ 25M tokens: lab rule 2 (docs/ZOO.md) plans 20–30M for a ~1M model;
   * lr 3e-3 → 3e-4 with 200 warmup steps, the usual range for models this small.
   */
  train: trainSchema({ steps: 6000, batchSize: 32, maxLr: 3e-3, minLr: 3e-4, warmupSteps: 200 }).prefault({}),
  world: worldSettingsSchema.prefault({}),
  /**
   * "char" or a tokenizer.json path relative to the config file (`ftledger lab tokenizer`
   * trains a byte-level BPE on this corpus). Absent means "char", and stays absent in
   * run.json so that runs recorded before the field existed resume unchanged.
   */
  tokenizer: z.string().min(1).optional(),
  /** Share of documents per task (normalised; 0 leaves a task out). Equal by default: neither task is the point. */
  mixture: z
    .strictObject({ knowledge: mixtureWeight.default(0.5), arithmetic: mixtureWeight.default(0.5) })
    .prefault({})
    .superRefine((m, ctx) => {
      if (CORPUS_TASKS.every((t) => m[t] === 0)) ctx.addIssue({ code: "custom", path: [], message: "all weights are 0; give at least one task a weight > 0" });
    }),
  corpus: z
    .strictObject({
      /** 80,000: with half of them knowledge and 100 entities, each fact appears ≈ 300 times (docs/ZOO.md, lab rule 3). */
      documents: z.number().int().positive().default(80_000),
      /** "eos": samples then stop at the end of a document (lab sample stops on <eos>). */
      separator: z.enum(["eos", "blank-line"]).default("eos"),
    })
    .prefault({}),
});

export type PretrainConfig = z.infer<typeof pretrainSchema>;

export const pretrain = {
  name: "pretrain",
  description: "pre-train a llama from scratch on the world's documents (knowledge + arithmetic, weighted)",
  reference: "issue 4 (Recipes: pretrain); docs/ZOO.md, lab rules 1–3",
  schema: pretrainSchema,
  create(c: PretrainConfig): Recipe {
    return {
      name: "pretrain",
      description: pretrain.description,
      config: c,
      defaults: c.train,
      tokenizer: c.tokenizer,
      model: (tok) => ({ vocabSize: tok.size, ...c.model }),
      data({ tokenizer, config, batchSize, seed }) {
        const packed = packCorpus(tokenizer, corpusDocuments(c.world, c.mixture, c.corpus.documents), c.corpus.separator);
        const T = config.contextLength;
        if (packed.stream.length < T + 1) {
          return {
            batch: () => { throw new Error("unusable source"); },
            problem: `the corpus has ${packed.stream.length} tokens, fewer than one window of ${T + 1}; raise corpus.documents`,
          };
        }
        const src = windowBatches(packed.stream, batchSize, T, seed + 2);
        return {
          ...src,
          info: {
            tokens: packed.stream.length,
            knowledgeDocuments: packed.documents.knowledge, arithmeticDocuments: packed.documents.arithmetic,
            knowledgeTokens: packed.tokens.knowledge, arithmeticTokens: packed.tokens.arithmetic,
            sha256: packed.sha256,
            // only for BPE, so that character-level runs' run.json stays as it was
            ...(tokenizer.kind === "bpe" ? { tokenizer: `bpe ${tokenizer.size}` } : {}),
          },
        };
      },
    };
  },
} satisfies RecipeFactory<typeof pretrainSchema>;
