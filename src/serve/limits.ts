/**
 * What one request may ask of the server, checked on byte counts before any tokenizing:
 * a 20 MB prompt used to be tokenized for 21 s (3.2 GB of memory) only to be refused by
 * the model's context length afterwards.
 */
import type { LanguageModel, Vocabulary } from "../backends/index.js";

export interface ServeLimits {
  /** Largest request body, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Most prompts in one /v1/completions `prompt` list (400 beyond). */
  maxPrompts: number;
  /** Largest prompt (or chat's messages together), in UTF-8 bytes (400 beyond). */
  maxPromptBytes: number;
  /** Requests computing at once. */
  maxConcurrent: number;
  /** Requests waiting for a slot; one more gets 429. */
  maxQueue: number;
}

/** Each default with why (docs: README "Limits"; the CLI flags repeat them). */
export const DEFAULT_LIMITS: ServeLimits = {
  // a full-context prompt of any model the engine runs fits many times over; the body is parsed in memory
  maxBodyBytes: 1024 * 1024,
  // a batching client's usual batch; every prompt is decoded in turn, as costly as that many requests
  maxPrompts: 64,
  // ~64k tokens of English; tokenizing costs about 1 s per MB before the model sees a token
  maxPromptBytes: 256 * 1024,
  // they take turns between decoding steps; each holds its KV caches in memory meanwhile
  maxConcurrent: 4,
  // room for bursty clients (the openai backend sends 8 at once by default); a waiting body stays in memory
  maxQueue: 64,
};

/**
 * Most UTF-8 bytes of input text one token of `vocab` stands for: its longest token text,
 * and at least 4 (a character the vocabulary lacks becomes one unknown token).
 * NOTE: this assumes the tokenizer does not delete input (an HF normalizer that strips
 * characters, or `fuse_unk`, could make fewer tokens); token texts in byte-level or
 * SentencePiece notation ("Ġ", "▁", "<0x41>") are longer than the bytes they stand for,
 * which only loosens the bound.
 */
export function maxTokenBytes(vocab: Vocabulary): number {
  let most = 4;
  for (let id = 0; id < vocab.size; id++) most = Math.max(most, Buffer.byteLength(vocab.tokenText(id)));
  return most;
}

/** The byte size a prompt must not exceed, and the reason, for messages. */
export interface PromptLimit {
  bytes: number;
  /** Why this is the limit, in words, with what to do. */
  why: string;
}

/**
 * The prompt byte limit for `model`: `maxPromptBytes`, or less when the model's context
 * length and vocabulary prove a longer prompt cannot fit (context × bytes per token).
 */
export function promptLimit(model: LanguageModel, maxPromptBytes: number): PromptLimit {
  const flag: PromptLimit = { bytes: maxPromptBytes, why: `this server takes prompts of at most ${maxPromptBytes} bytes (--max-prompt-bytes); shorten the prompt or restart the server with a larger --max-prompt-bytes` };
  if (model.contextLength === undefined || !model.vocab) return flag;
  const per = maxTokenBytes(model.vocab);
  const fit = model.contextLength * per;
  if (fit >= maxPromptBytes) return flag;
  return { bytes: fit, why: `the model's context holds ${model.contextLength} tokens and a token of its vocabulary spells at most ${per} bytes, so a longer prompt cannot fit; shorten the prompt` };
}

/** UTF-8 bytes of a string. */
export const bytesOf = (s: string): number => Buffer.byteLength(s, "utf8");

/**
 * Token positions a request will compute at most (prompt + generated, per sample),
 * estimated from byte counts: a token spells at least one byte, a prompt is cut at the context.
 */
export function requestWork(promptBytes: readonly number[], n: number, maxTokens: number, contextLength: number | undefined): number {
  const cap = contextLength ?? Infinity;
  return promptBytes.reduce((sum, b) => sum + n * Math.min(b + 2 + maxTokens, cap), 0);
}

/** A request is big when it computes more than one full context (and never below 2048 positions). */
export function isBig(work: number, contextLength: number | undefined): boolean {
  return work > Math.max(contextLength ?? 0, 2048);
}
