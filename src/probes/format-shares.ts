/**
 * The mix of solution formats a model writes, measured by sampling (temperature 1,
 * seeded): greedy decoding shows only the single most likely format and hides the mix
 * that RL later collapses (PROBES.md claim 6, Zhao et al. 2025 "Echo Chamber",
 * arXiv 2504.07912). Each sample is classified by the world's exact grammars (formatOf,
 * never by substring) and verified; shares are counted in src/stats (categoryShares).
 */
import type { FinishReason, LanguageModel } from "../backends/index.js";
import { arithmetic, type Task, type WorldItem } from "../world/index.js";
import { type Frame, type OnProgress, frameRequest, generateAll } from "./frame.js";

/** natural, code, terse, answer-only (a lone `Answer: N`), unknown (anything else). */
export type ResponseFormat = arithmetic.FormatClass;
export const RESPONSE_FORMATS: readonly ResponseFormat[] = arithmetic.FORMAT_CLASSES;

/** The format of a response's solution, read where the verifier reads (world/arithmetic responseFormat). */
export const solutionFormat: (response: string) => ResponseFormat = arithmetic.responseFormat;

export interface FormatSampleOptions {
  /** Seed of the first request; request i carries seed + i·samples (builtin seeds its sample j with that + j). */
  seed: number;
  /** Samples per prompt. Default 1. */
  samples?: number;
  /** Default 1: the model's own distribution. */
  temperature?: number;
  /** Default 160, as generation-accuracy.ts. */
  maxTokens?: number;
  /** Default "raw". */
  frame?: Frame;
  /** Requests per generateBatch call. Default 16. */
  batchSize?: number;
  /** Progress in samples. */
  onProgress?: OnProgress;
}

export interface FormatSampleRecord {
  id: string;
  /** Which sample of this item (0 … samples − 1). */
  sample: number;
  format: ResponseFormat;
  /** The task's verifier on this sample (accuracy per format). */
  correct: boolean;
  response: string;
  finishReason: FinishReason;
}

/** Sampled responses to each item, classified by solution format; samples × items records, item-major. */
export async function sampleFormats(
  model: LanguageModel, task: Pick<Task<number>, "verify">, items: readonly WorldItem<number>[], opts: FormatSampleOptions,
): Promise<FormatSampleRecord[]> {
  const samples = opts.samples ?? 1;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be an integer ≥ 1, got ${samples}`);
  const frame = opts.frame ?? "raw";
  const requests = items.map((it, i) =>
    frameRequest(it.prompt, frame, { maxTokens: opts.maxTokens ?? 160, temperature: opts.temperature ?? 1, seed: opts.seed + i * samples, n: samples }),
  );
  const progress = opts.onProgress && ((done: number, total: number) => opts.onProgress!(done * samples, total * samples));
  const gens = await generateAll(model, requests, opts.batchSize ?? 16, progress);
  return items.flatMap((item, i) => {
    const got = gens[i].samples;
    if (got.length !== samples) throw new Error(`${item.id}: asked for ${samples} samples, the backend returned ${got.length}`);
    return got.map((s, j) => ({
      id: item.id, sample: j, format: solutionFormat(s.text), correct: task.verify(item, s.text).correct, response: s.text, finishReason: s.finishReason,
    }));
  });
}
