/**
 * Recipe `dpo`: Direct Preference Optimisation of a base checkpoint on preference pairs
 * (Rafailov et al. 2023, arXiv 2305.18290, eq. 7; the objective is ../dpo.ts and
 * ../dpo-objective.ts). The reference model is the base, frozen: its log-probs of every
 * pair are computed once in `prepare`, before training, and again identically on a resume.
 *
 * Pairs come from the world (data/pairs.ts: chosen = the item's solution in the target
 * format, verified; rejected = another format or a wrong answer) or from a JSONL file of
 * {prompt, chosen, rejected} (data/pairs-jsonl.ts). World pairs use id items
 * [offset, offset + count); items below `offset` stay unseen, for evaluation.
 * Logged per update: loss, margin (mean r_w − r_l), accuracy (share of pairs with a
 * positive margin), chosenReward, rejectedReward, and kl (k3 on the chosen responses).
 */
import { z } from "zod";
import { Llama, type Tokenizer, type ModelConfig } from "../../model/index.js";
import { sha256Of } from "../../random/index.js";
import type { Kernels } from "../../tensor/index.js";
import { formatFormatError, loadCheckpoint, resolveCheckpointDir } from "../../formats/index.js";
import { SOLUTION_FORMATS, worldSettingsSchema } from "../../world/index.js";
import { stepSeed } from "../batches.js";
import { epochOrder } from "../data/chat.js";
import { FRAMES } from "../data/frame.js";
import { encodePairs, pairPositions, REJECTED_KINDS, worldPairs, type EncodedPairs, type PreferencePair } from "../data/pairs.js";
import { readPairsFile } from "../data/pairs-jsonl.js";
import { dpoObjective, referenceLogprobs, type PairLogprobs } from "../dpo-objective.js";
import { adapterOf, adapterSchema } from "./adapter.js";
import { trainSchema } from "./config.js";
import { fineTuneOf, fineTuneTokenizer } from "./fine-tune.js";
import type { Recipe, RecipeFactory } from "./recipe.js";

/** Salt of the run seed for the pairs' order. */
const ORDER_SALT = 0x64706f6f; // "dpoo"

export const dpoSchema = z.strictObject({
  /** No default: the policy starts from this checkpoint, which is also the frozen reference. */
  base: z
    .string({ error: (iss) => (iss.input === undefined ? "required: the checkpoint folder (or run folder) to start from; it is also the reference model" : "must be a path (a string)") })
    .min(1, { error: "must be a non-empty path to a checkpoint or run folder" }),
  /** "raw": the pre-training frame, so a pre-trained base is trained (and audited) where it writes its formats; "chat" after an SFT. */
  frame: z.enum(FRAMES).default("raw"),
  /** The base's tokenizer is used; naming another is refused (fine-tune.ts). */
  tokenizer: fineTuneTokenizer,
  /** The base's world (its seed decides the encyclopedia): keep it equal to the base's pretrain config. */
  world: worldSettingsSchema.prefault({}),
  pairs: z
    .strictObject({
      /** A JSONL file of {prompt, chosen, rejected} (TRL's names); when set, the world's pairs (the fields below) are not used. */
      file: z.string().min(1, { error: "must be a non-empty path to a .jsonl file" }).optional(),
      /** "code": the format the chosen solutions are in; 30% of the zoo's pre-training mix, so the base samples it often. */
      target: z.enum(SOLUTION_FORMATS).default("code"),
      /** "mixed": half the rejected are another format (teaching the format), half a wrong answer in the target format (teaching correctness). */
      rejected: z.enum(REJECTED_KINDS).default("mixed"),
      /** 1000 pairs: ~3 epochs of the demo-sized run (200 updates × 16 pairs). */
      count: z.number().int().positive().default(1000),
      /** 1000: id items 0..999 stay unseen, for measuring the fine-tune (as sft). */
      offset: z.number().int().min(0).default(1000),
    })
    .prefault({}),
  /** 0.1: the paper's β for most experiments (§6) and TRL's default; a larger β keeps the policy closer to the reference. */
  beta: z.number().positive().default(0.1),
  /** 8 pairs (16 rows) per forward/backward, gradients accumulated: bounds activation memory. */
  microBatch: z.number().int().positive().default(8),
  /** Row length T; default the base's context length (a pair whose longer row exceeds T + 1 tokens is dropped). */
  seqLen: z.number().int().min(8).optional(),
  /** Absent: train every weight. A LoRA adapter trains only the adapter on the frozen base (adapter.ts); the reference stays the base. */
  adapter: adapterSchema.optional(),
  /**
   * 200 updates of 16 pairs: a demo within a few minutes on 2 cores. lr 1e-4 → 1e-5: a tenth
   * of sft's, since each update pushes two sequences apart without a cross-entropy anchor.
   */
  train: trainSchema({ steps: 200, batchSize: 16, maxLr: 1e-4, minLr: 1e-5, warmupSteps: 10 }).prefault({}),
});

export type DpoConfig = z.infer<typeof dpoSchema>;

/** The config's pairs, in source order (the world's, or the file's). */
export async function dpoPairs(c: DpoConfig, tok: Tokenizer): Promise<{ ok: true; pairs: PreferencePair[] } | { ok: false; message: string }> {
  if (c.pairs.file !== undefined) {
    const r = await readPairsFile(c.pairs.file, tok);
    return r.ok ? r : { ok: false, message: `dpo config pairs.file: ${r.message}` };
  }
  return { ok: true, pairs: worldPairs({ world: c.world, ...c.pairs }) };
}

/** The pairs that fit rows of the run's length, and the order of epoch 0 under `seed` (what `ftledger lab data dpo` writes). */
export function dpoOrder(encoded: EncodedPairs, seed: number, epoch = 0): number[] {
  return epochOrder(encoded.pairs.length, stepSeed(seed, ORDER_SALT), epoch);
}

const tooLong = (c: DpoConfig, n: number, T: number) =>
  `dpo: all ${n} pairs are longer than the sequence length ${T} (+1); ${c.seqLen === undefined ? "use shorter pairs (or a base with a longer context)" : "raise seqLen (up to the base's context length)"}`;

interface Prepared {
  seed: number;
  encoded: EncodedPairs;
  reference: PairLogprobs[];
  referenceSha: string;
  T: number;
}

export const dpo = {
  name: "dpo",
  description: "direct preference optimisation on chosen/rejected pairs (the world's verified formats, or a JSONL file), the base as frozen reference",
  reference: "Rafailov et al. 2023 (Direct Preference Optimization), arXiv 2305.18290",
  rows: '{"prompt", "chosen", "rejected"}',
  schema: dpoSchema,
  create(c: DpoConfig): Recipe {
    let prepared: Prepared | null = null;
    return {
      name: "dpo",
      description: dpo.description,
      config: c,
      defaults: c.train,
      ...fineTuneOf("dpo", c.base, c.seqLen, c.tokenizer),
      ...adapterOf(c.adapter),
      async prepare({ kernels, tokenizer, seed }: { kernels: Kernels; tokenizer: Tokenizer; seed: number }) {
        const dir = await resolveCheckpointDir(c.base);
        const ck = await loadCheckpoint(dir);
        if (!ck.ok) return `dpo reference ${c.base}: ${formatFormatError(ck.error)}`;
        const pairs = await dpoPairs(c, tokenizer);
        if (!pairs.ok) return pairs.message;
        const limit = c.seqLen ?? ck.value.config.contextLength;
        const encoded = encodePairs(tokenizer, c.frame, pairs.pairs, limit);
        if (encoded.pairs.length === 0) return tooLong(c, pairs.pairs.length, limit);
        // one T for the run (activations are sized by (B, T)): the longest pair, rounded up to 32
        const T = Math.min(limit, Math.ceil(Math.max(...encoded.pairs.map(pairPositions)) / 32) * 32);
        const reference = Llama.f32(ck.value.config, kernels);
        reference.params.flat.set(ck.value.params);
        prepared = { seed, encoded, T, referenceSha: sha256Of(ck.value.params), reference: referenceLogprobs(reference, encoded.pairs, T, c.microBatch, tokenizer.pad) };
        return null;
      },
      data({ tokenizer, batchSize, seed }) {
        if (prepared?.seed !== seed) throw new Error("dpo: runLab must await prepare() with the run's seed before data()");
        const p = prepared;
        const objective = dpoObjective({
          pairs: p.encoded.pairs, reference: p.reference, batchSize, microBatch: c.microBatch, T: p.T, beta: c.beta, pad: tokenizer.pad,
          seed: stepSeed(seed, ORDER_SALT),
        });
        return { ...objective, info: { pairs: p.encoded.pairs.length, dropped: p.encoded.dropped.length, T: p.T, sha256: p.encoded.sha256, reference: p.referenceSha } };
      },
      async *rows({ tokenizer, config, seed }: { tokenizer: Tokenizer; config: ModelConfig; seed: number }) {
        const pairs = await dpoPairs(c, tokenizer);
        if (!pairs.ok) throw new Error(pairs.message);
        const encoded = encodePairs(tokenizer, c.frame, pairs.pairs, c.seqLen ?? config.contextLength);
        for (const i of dpoOrder(encoded, seed)) {
          const p = encoded.kept[i];
          yield c.frame === "raw"
            ? { prompt: p.prompt, chosen: p.chosen, rejected: p.rejected }
            : { prompt: [{ role: "user", content: p.prompt }], chosen: [{ role: "assistant", content: p.chosen }], rejected: [{ role: "assistant", content: p.rejected }] };
        }
      },
    };
  },
} satisfies RecipeFactory<typeof dpoSchema>;
