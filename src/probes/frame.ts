/**
 * How an item's prompt reaches a model, and how requests go out in batches.
 *
 *   raw   item.prompt as a plain prompt: the pre-training frame (lab base models saw raw
 *         documents separated by <eos>, so they stop at the end of the document)
 *   chat  one user message with item.prompt: the SFT frame (the backend applies the
 *         model's chat template and stops at its end-of-turn token)
 */
import type { GenerateRequest, LanguageModel, SamplingParams } from "../backends/index.js";

export const FRAMES = ["raw", "chat"] as const;
export type Frame = (typeof FRAMES)[number];

/** A generation request for `prompt` in `frame`. */
export function frameRequest(prompt: string, frame: Frame, params: SamplingParams): GenerateRequest {
  return frame === "raw" ? { ...params, prompt } : { ...params, messages: [{ role: "user", content: prompt }] };
}

/** Called after each batch: how many of `total` units (items, samples) are done. */
export type OnProgress = (done: number, total: number) => void;

/**
 * Run `requests` through `run` in batches of `size`, in order, reporting progress after
 * each; one batch call per group lets a backend batch or parallelise as it can.
 */
export async function inBatches<Q, R>(requests: readonly Q[], size: number, run: (batch: Q[]) => Promise<R[]>, onProgress?: OnProgress): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < requests.length; i += size) {
    const batch = requests.slice(i, i + size);
    const got = await run(batch);
    if (got.length !== batch.length) throw new Error(`the backend answered ${got.length} of ${batch.length} requests in a batch`);
    out.push(...got);
    onProgress?.(out.length, requests.length);
  }
  return out;
}

/** generateBatch over requests, in batches. */
export function generateAll(model: LanguageModel, requests: readonly GenerateRequest[], batchSize: number, onProgress?: OnProgress) {
  return inBatches(requests, batchSize, (b) => model.generateBatch(b), onProgress);
}
