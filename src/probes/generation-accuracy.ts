/**
 * Accuracy by generation: one greedy response per item (temperature 0), judged by the
 * task's own exact verifier (src/world). For arithmetic items the record also carries
 * the response's solution format (format-shares.ts `solutionFormat`), so accuracy can
 * be read per format (PROBES.md, format collapse).
 */
import type { FinishReason, LanguageModel } from "../backends/index.js";
import type { Task, WorldItem } from "../world/index.js";
import { type Frame, type OnProgress, frameRequest, generateAll } from "./frame.js";
import { solutionFormat, type ResponseFormat } from "./format-shares.js";

export interface GenerationOptions {
  /** Default "raw" (the pre-training frame). */
  frame?: Frame;
  /** 160: the longest in-distribution solution (3 natural-language steps + answer) is about 120 characters. */
  maxTokens?: number;
  /** Requests per generateBatch call. Default 16. */
  batchSize?: number;
  onProgress?: OnProgress;
}

export interface GenerationRecord {
  id: string;
  correct: boolean;
  response: string;
  finishReason: FinishReason;
  /** The verifier's note (why wrong; for arithmetic, the chain's format and step checks). */
  reason?: string;
  /** Arithmetic items only: the solution format of the response. */
  format?: ResponseFormat;
}

/** Greedy generation + the task's verifier, one record per item, in item order. */
export async function generationAccuracy<A>(
  model: LanguageModel, task: Pick<Task<A>, "verify">, items: readonly WorldItem<A>[], opts: GenerationOptions = {},
): Promise<GenerationRecord[]> {
  const frame = opts.frame ?? "raw";
  const requests = items.map((it) => frameRequest(it.prompt, frame, { maxTokens: opts.maxTokens ?? 160, temperature: 0 }));
  const gens = await generateAll(model, requests, opts.batchSize ?? 16, opts.onProgress);
  return items.map((item, i) => {
    const sample = gens[i].samples[0];
    if (!sample) throw new Error(`${item.id}: the backend returned no sample`);
    const verdict = task.verify(item, sample.text);
    const record: GenerationRecord = { id: item.id, correct: verdict.correct, response: sample.text, finishReason: sample.finishReason };
    if (verdict.reason !== undefined) record.reason = verdict.reason;
    if (item.task === "arithmetic") record.format = solutionFormat(sample.text);
    return record;
  });
}
