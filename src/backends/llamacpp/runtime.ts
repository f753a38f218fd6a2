/**
 * What the scoring and generation code needs from an opened GGUF model: the
 * node-llama-cpp model, the evaluable context size, the BOS rule, token texts, and a pool
 * of context sequences (one request per sequence; `parallel` of them run together, each
 * in a llama.cpp context of its own: see GgufModelOptions.parallel).
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { DirectScorer } from "./direct.js";

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
  /** The tokenizer merges characters (a non-empty tokenizer.ggml.merges): generation is then token-healed (../healing.ts). */
  readonly mergesTokens?: boolean;
  /** One token's text (cached: every scored token needs it, and each is a call into llama.cpp). */
  tokenText(id: number): string;
  /** Run `fn` on a free sequence with its history cleared; waits when all are busy. */
  withSequence<T>(fn: (seq: LlamaContextSequence) => Promise<T>): Promise<T>;
  /** Scoring straight on llama.cpp (./direct.ts), when the addon can run this model. */
  readonly direct?: DirectScorer;
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

/** A lazily filled cache of single-token texts, for `Runtime.tokenText`. */
export function tokenTexts(model: LlamaModel, vocabSize: number): (id: number) => string {
  const texts: (string | undefined)[] = new Array(vocabSize);
  return (id) => {
    if (!(id >= 0 && id < vocabSize)) return model.detokenize([id as Token], true);
    return (texts[id] ??= model.detokenize([id as Token], true));
  };
}

/** A sequence pool: `use` hands out a free sequence, queueing callers when none is free. */
export class SequencePool {
  private readonly waiting: ((s: LlamaContextSequence) => void)[] = [];
  constructor(private readonly free: LlamaContextSequence[]) {}

  async use<T>(fn: (seq: LlamaContextSequence) => Promise<T>): Promise<T> {
    const seq = this.free.pop() ?? (await new Promise<LlamaContextSequence>((r) => this.waiting.push(r)));
    try {
      // NOTE: clearing waits for the context's lock; a fresh sequence has nothing to clear
      if (seq.nextTokenIndex > 0) await seq.clearHistory();
      return await fn(seq);
    } finally {
      const next = this.waiting.shift();
      if (next) next(seq);
      else this.free.push(seq);
    }
  }
}
