/**
 * Loop `self-improve`: iterated rejection-sampling fine-tuning filtered by the model's own
 * verification (Song et al. 2024, "Mind the Gap: Examining the Self-Improvement
 * Capabilities of Large Language Models", arXiv 2412.02674, §2 and §5 "iterative
 * self-improvement"). Each round r = 1..R:
 *
 *   1. generate   k samples (temperature 1, seeded) for each of `prompts.count` fresh arithmetic
 *                 prompts, in sft's chat frame, from the model after round r − 1
 *   2. verify     keep a sample iff   filter "self":      log p(" Yes") > log p(" No") in the
 *                                                         audit's verification frame
 *                                    filter "external":  the world's verifier says correct
 *                                    filter "none":      never (the references: no update, or replay only)
 *   3. update     sft on the kept samples (loss on the response), plus `replay.verification`
 *                 verification rows so the model keeps the skill it filters with
 *
 * and a last measurement (round R + 1: generate and verify, no update). Both arms log the
 * model's own verification, so the external arm shows the gap it would have had.
 *
 * This file holds the config and one round's update as a runLab recipe; the loop, its run
 * folder and its resume are src/train/self-improve.ts.
 */
import { z } from "zod";
import { sha256Text } from "../../random/index.js";
import { SOLUTION_FORMATS, worldSettingsSchema } from "../../world/index.js";
import type { EncodedChat } from "../data/chat.js";
import { encodeChat, encodedBatches, type ChatExample } from "../data/chat.js";
import { encodeVerification, verificationExamples } from "../data/verification.js";
import { itemRangeSchema, trainSchema } from "./config.js";
import { fineTuneOf } from "./fine-tune.js";
import type { Recipe } from "./recipe.js";

/** "none" keeps no sample: with replay.verification = 0 the model never changes (a reference for each round's items), otherwise it trains on the replayed rows alone. */
export const SELF_IMPROVE_FILTERS = ["self", "external", "none"] as const;

const base = z
  .string({ error: (iss) => (iss.input === undefined ? "required: the checkpoint folder (or run folder) to improve; it should have been taught to verify (sft task \"arithmetic+verification\")" : "must be a path (a string)") })
  .min(1, { error: "must be a non-empty path to a checkpoint or run folder" });

export const selfImproveSchema = z
  .strictObject({
    /** No default: the model to improve (taught to verify by sft task "arithmetic+verification"). */
    base,
    /** "self": the paper's self-improvement; "external" is the control arm (the world's verifier); "none": the references (see SELF_IMPROVE_FILTERS). */
    filter: z.enum(SELF_IMPROVE_FILTERS).default("self"),
    /** The base's world: keep it equal to the base's sft config. */
    world: worldSettingsSchema.prefault({}),
    /** 3 rounds: the paper saw self-improvement saturate within two or three. */
    rounds: z.number().int().min(1).max(20).default(3),
    /**
     * count 48: prompts per round (× k samples): a demo round in about a minute on 2 cores.
     * offset 5000: round r draws id items [offset + (r−1)·count, offset + r·count), fresh each round, clear of sft's default 1000..2999.
     */
    prompts: itemRangeSchema({ count: 48, offset: 5000 }),
    /** 4 samples per prompt: enough for a per-item gap (gen_util strictly between 0 and 1) at demo cost. */
    k: z.number().int().min(1).default(4),
    sampling: z
      .strictObject({
        /** 1: the model's own distribution, as the paper samples and the probe does. */
        temperature: z.number().positive().default(1),
        /** 128: four steps in the natural format and the Answer line. */
        maxTokens: z.number().int().positive().default(128),
      })
      .prefault({}),
    replay: z
      .strictObject({
        /** 64 verification rows per round (both arms): without them one short sft on solutions alone may wash out the Yes/No that "self" filters with. */
        verification: z.number().int().min(0).default(64),
        /** 3000: round r's rows come from id items [offset + (r−1)·verification, …), clear of sft's and the prompts'. */
        offset: z.number().int().min(0).default(3000),
        /** The replayed rows' solution format ("item": each item's own). */
        format: z.enum(["item", ...SOLUTION_FORMATS]).default("item"),
      })
      .prefault({}),
    /** Per round: 24 updates of 16 rows, lr 5e-4 → 5e-5 (a fresh schedule each round, as the paper re-fine-tunes each round). */
    train: trainSchema({ steps: 24, batchSize: 16, maxLr: 5e-4, minLr: 5e-5, warmupSteps: 4 }).prefault({}),
  })
  .superRefine((c, ctx) => {
    const prompts: [number, number] = [c.prompts.offset, c.prompts.offset + (c.rounds + 1) * c.prompts.count];
    const replay: [number, number] = [c.replay.offset, c.replay.offset + c.rounds * c.replay.verification];
    if (replay[1] > replay[0] && replay[0] < prompts[1] && prompts[0] < replay[1]) {
      ctx.addIssue({
        code: "custom", path: ["replay", "offset"],
        message: `the replayed items [${replay[0]}, ${replay[1]}) overlap the prompts [${prompts[0]}, ${prompts[1]}); move replay.offset or prompts.offset apart`,
      });
    }
  });

export type SelfImproveConfig = z.infer<typeof selfImproveSchema>;

/** The loop's registry entry (run by src/train/self-improve.ts, not runLab alone). */
export const selfImprove = {
  name: "self-improve",
  description: "rounds of sampling, keeping what the model's own verification (or the world's verifier) accepts, and sft on it",
  reference: "Song et al. 2024, Mind the Gap (arXiv 2412.02674) §5",
  schema: selfImproveSchema,
} as const;

/** The update of round `round`: sft from `from` on the kept samples and the round's replayed verification rows. */
export function selfImproveRound(c: SelfImproveConfig, round: number, from: string, kept: readonly ChatExample[]): Recipe {
  const replay = verificationExamples({
    world: c.world, count: c.replay.verification, offset: c.replay.offset + (round - 1) * c.replay.verification, format: c.replay.format, salt: `replay-${round}`,
  });
  const keptSha = sha256Text(JSON.stringify(kept));
  return {
    name: "self-improve",
    description: selfImprove.description,
    // what a resumed round must match (the kept samples by their hash; run.json stays small)
    config: { round, filter: c.filter, from, kept: kept.length, keptSha256: keptSha, replay: c.replay, train: c.train },
    defaults: c.train,
    ...fineTuneOf("self-improve", from),
    data({ tokenizer, config, batchSize, seed }) {
      const a = kept.map((e) => encodeChat(tokenizer, e));
      const v = replay.map((e) => encodeVerification(tokenizer, e));
      // interleaved, so every batch mixes both
      const rows: EncodedChat[] = [];
      for (let i = 0; i < Math.max(a.length, v.length); i++) rows.push(...(i < a.length ? [a[i]] : []), ...(i < v.length ? [v[i]] : []));
      return encodedBatches(tokenizer, rows, batchSize, config.contextLength, seed + 2 + round,
        (n) => `round ${round}: all ${n} kept samples and replayed rows are longer than the context (${config.contextLength}); lower sampling.maxTokens`);
    },
  };
}
