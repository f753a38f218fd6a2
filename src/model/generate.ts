/**
 * Batched generation and scoring on the engine, token ids in and out (text handling
 * belongs to the backends). Generation prefills every prompt, then decodes one token
 * per live sequence per step with KV caches; scoring runs prompt + continuation once
 * and reads the log-probability of each continuation token.
 */
import { KvCache } from "./kvcache.js";
import { inferForward } from "./infer.js";
import type { Llama } from "./model.js";
import { createRng } from "../random/index.js";
import { argmax, logProbAt, logSoftmax, sampleToken, type SamplingOptions } from "./sampling.js";

export interface GenerateOptions extends SamplingOptions {
  maxTokens: number;
  /** Seed of the first sequence; sequence i uses seed + i. */
  seed?: number;
  /** One seed per sequence instead (several requests decoded together keep their own seeds). */
  seeds?: number[];
  /** Token ids that end a sequence (not included in the output). */
  stopTokens?: number[];
  /** Called after each token; return true to stop that sequence (e.g. a stop string). */
  shouldStop?: (sequence: number, tokens: readonly number[]) => boolean;
  /**
   * The only ids the first generated token may be (token healing, src/backends/healing.ts):
   * the others' logits are set to -Infinity, so the draw and its logprob are renormalised
   * over these. Unset: no constraint.
   */
  firstAllowed?: readonly number[];
}

/** `row` with every id outside `allowed` at -Infinity (a copy). */
export function maskLogits(row: Float32Array, allowed: readonly number[]): Float32Array {
  const out = new Float32Array(row.length).fill(-Infinity);
  for (const id of allowed) out[id] = row[id];
  return out;
}

export type FinishReason = "stop" | "length" | "context";

export interface GeneratedSequence {
  tokens: number[];
  /** log p(token) under the untempered model distribution, per generated token. */
  logprobs: number[];
  finish: FinishReason;
}

export function generateTokens(model: Llama<Float32Array>, prompts: number[][], opts: GenerateOptions): GeneratedSequence[] {
  const steps = decodeSteps(model, prompts, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Generation one decoding step at a time: yields the sequences so far after every step
 * (for streaming), and returns them when every sequence has finished.
 */
export function* decodeSteps(
  model: Llama<Float32Array>, prompts: number[][], opts: GenerateOptions,
): Generator<readonly GeneratedSequence[], GeneratedSequence[]> {
  const ctx = model.config.contextLength;
  const stop = new Set(opts.stopTokens ?? []);
  const caches = prompts.map((p) => {
    if (p.length === 0) throw new Error("a prompt needs at least one token (start it with <bos>)");
    if (p.length > ctx) throw new Error(`a prompt of ${p.length} tokens exceeds the context length ${ctx}`);
    return new KvCache(model.config);
  });
  if (opts.seeds && opts.seeds.length !== prompts.length) throw new Error(`${opts.seeds.length} seeds for ${prompts.length} prompts; give one per prompt`);
  const rngs = prompts.map((_, i) => createRng(opts.seeds ? opts.seeds[i] : (opts.seed ?? 0) + i));
  const out: GeneratedSequence[] = prompts.map(() => ({ tokens: [], logprobs: [], finish: "length" }));
  let logits = inferForward(model, prompts.map((p, i) => ({ cache: caches[i], tokens: Int32Array.from(p), logits: "last" })));
  let live = prompts.map((_, i) => i);
  for (let step = 0; step < opts.maxTokens && live.length > 0; step++) {
    const next: number[] = [];
    const still: number[] = [];
    live.forEach((seq, j) => {
      const row = step === 0 && opts.firstAllowed ? maskLogits(logits[j], opts.firstAllowed) : logits[j];
      const tok = sampleToken(row, opts, rngs[seq]);
      if (stop.has(tok)) {
        out[seq].finish = "stop";
        return;
      }
      out[seq].tokens.push(tok);
      out[seq].logprobs.push(logProbAt(row, tok));
      if (opts.shouldStop?.(seq, out[seq].tokens)) out[seq].finish = "stop";
      else if (caches[seq].length >= ctx) out[seq].finish = "context"; // no position left to feed this token
      else if (step + 1 < opts.maxTokens) {
        still.push(seq);
        next.push(tok);
      }
    });
    live = still;
    if (live.length === 0) break;
    yield out;
    logits = inferForward(model, live.map((seq, j) => ({ cache: caches[seq], tokens: Int32Array.of(next[j]), logits: "last" })));
  }
  return out;
}

export interface ContinuationScore {
  /** log p(continuation token | everything before it), per token. */
  logprobs: number[];
  /** Whether each continuation token was the argmax choice. */
  greedy: boolean[];
}

/** Scores each continuation given its prompt, all items in one ragged batch. */
export function scoreContinuations(model: Llama<Float32Array>, items: { prompt: number[]; continuation: number[] }[]): ContinuationScore[] {
  const ctx = model.config.contextLength;
  const segments = items.map(({ prompt, continuation }, i) => {
    if (prompt.length === 0) throw new Error(`item ${i}: the prompt is empty; start it with <bos>`);
    if (continuation.length === 0) throw new Error(`item ${i}: the continuation is empty`);
    const seq = [...prompt, ...continuation.slice(0, -1)];
    if (seq.length > ctx) throw new Error(`item ${i}: prompt + continuation (${seq.length + 1} tokens) exceeds the context length ${ctx}`);
    return { cache: new KvCache(model.config, seq.length), tokens: Int32Array.from(seq), logits: "all" as const };
  });
  const V = model.config.vocabSize;
  const logits = inferForward(model, segments);
  return items.map(({ prompt, continuation }, i) => {
    const r: ContinuationScore = { logprobs: [], greedy: [] };
    continuation.forEach((tok, j) => {
      const row = logits[i].subarray((prompt.length - 1 + j) * V, (prompt.length + j) * V);
      r.logprobs.push(logProbAt(row, tok));
      r.greedy.push(argmax(row) === tok);
    });
    return r;
  });
}

/** Full next-token log-probability distribution (V) after `prefix`. */
export function nextTokenLogprobs(model: Llama<Float32Array>, prefix: number[]): Float64Array {
  if (prefix.length === 0 || prefix.length > model.config.contextLength) {
    throw new Error(`prefix length ${prefix.length} must be between 1 and the context length ${model.config.contextLength}`);
  }
  const cache = new KvCache(model.config, prefix.length);
  const [logits] = inferForward(model, [{ cache, tokens: Int32Array.from(prefix), logits: "last" }]);
  return logSoftmax(logits);
}


