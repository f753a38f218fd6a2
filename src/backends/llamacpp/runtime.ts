/**
 * What the scoring and generation code needs from an opened GGUF model: the
 * node-llama-cpp model, the evaluable context size, the BOS rule, and a pool of
 * context sequences (one request per sequence; `parallel` of them run together).
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";

export interface Runtime {
  readonly file: string;
  readonly model: LlamaModel;
  readonly vocabSize: number;
  /** Tokens one sequence holds (as created: llama.cpp may round a request up). */
  readonly contextSize: number;
  /** The model's BOS token (null: none). */
  readonly bos: number | null;
  /** Prepend `bos` to every text prompt (the GGUF's add_bos_token, unless overridden). */
  readonly addBos: boolean;
  readonly chatTemplate: string | undefined;
  /** Run `fn` on a free sequence with its history cleared; waits when all are busy. */
  withSequence<T>(fn: (seq: LlamaContextSequence) => Promise<T>): Promise<T>;
}

/** Text → ids, special-token text ("<|user|>") parsed as special tokens, as llama.cpp's server does. */
export function tokenize(rt: Runtime, text: string): number[] {
  return rt.model.tokenize(text, true).map(Number);
}

export function detokenize(rt: Runtime, ids: readonly number[]): string {
  return rt.model.detokenize(ids as Token[], true);
}

/**
 * A prompt's ids as the model is fed them: BOS prepended when the GGUF asks for it (no
 * second one when the text starts with it), and an empty prompt conditioned on BOS
 * alone (as the builtin backend and lm-evaluation-harness do). Empty: no BOS to use.
 */
export function promptIds(rt: Runtime, text: string): number[] {
  const ids = tokenize(rt, text);
  if (rt.bos === null) return ids;
  return (rt.addBos || ids.length === 0) && ids[0] !== rt.bos ? [rt.bos, ...ids] : ids;
}

/** Evaluations must stay below the context's last slot. NOTE: evaluating into the last slot makes node-llama-cpp shift the context. */
export function maxEvaluable(rt: Runtime): number {
  return rt.contextSize - 1;
}

/** node-llama-cpp's next-token probabilities → log-probs indexed by token id. */
export function logprobsOf(rt: Runtime, probs: Map<Token, number> | undefined, where: string): Float64Array {
  if (!probs || probs.size !== rt.vocabSize) {
    throw new Error(`${rt.file}: llama.cpp returned ${probs?.size ?? 0} next-token probabilities at ${where}, expected the full vocabulary of ${rt.vocabSize}. This is a bug in ftledger's llamacpp backend; please report it.`);
  }
  const out = new Float64Array(rt.vocabSize).fill(-Infinity);
  for (const [t, p] of probs) out[t] = Math.log(p);
  return out;
}

/** Index of the largest value; ties go to the lowest id (as the engine's argmax). */
export function argmax(x: Float64Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** A sequence pool: `use` hands out a free sequence, queueing callers when none is free. */
export class SequencePool {
  private readonly waiting: ((s: LlamaContextSequence) => void)[] = [];
  constructor(private readonly free: LlamaContextSequence[]) {}

  async use<T>(fn: (seq: LlamaContextSequence) => Promise<T>): Promise<T> {
    const seq = this.free.pop() ?? (await new Promise<LlamaContextSequence>((r) => this.waiting.push(r)));
    try {
      await seq.clearHistory();
      return await fn(seq);
    } finally {
      const next = this.waiting.shift();
      if (next) next(seq);
      else this.free.push(seq);
    }
  }
}
