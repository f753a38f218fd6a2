/**
 * The one interface the probes see, whatever serves the model: the project's engine
 * (builtin), llama.cpp (gguf), or any OpenAI-compatible server (openai).
 *
 * Three calls, after lm-evaluation-harness's model interface: generate text, score a
 * continuation given a prompt (tokenised together and split at the boundary, so the
 * boundary token is the one the model would see), and the next-token distribution.
 */

/** Token ids in the model's own vocabulary. */
export type TokenIds = readonly number[];

/** Token-level access, present when the backend has it (builtin, gguf). */
export interface Vocabulary {
  readonly size: number;
  /** Tokens of `text` alone, no special tokens added. */
  encode(text: string): number[];
  /** Tokens of a prompt as the backend feeds it (with a BOS or other tokens its tokenizer adds). */
  encodePrompt(text: string): number[];
  decode(ids: TokenIds): string;
  /** The text of one token, as a display string. */
  tokenText(id: number): string;
  /** Tokens that end a generation (end of sequence, end of turn), where the backend knows them. */
  readonly eosIds?: readonly number[];
  /** The beginning-of-sequence token, where the tokenizer has one (the pre-flight checks for a doubled BOS). */
  readonly bosId?: number;
}

/**
 * Next-token distributions of one growing sequence, computed incrementally (a KV cache
 * behind it): the decoding loop of decode-time compositions (src/compose) runs on these.
 */
export interface TokenDecoder {
  /** Append `ids` (at least one); the full next-token log-probabilities after the last (one per vocabulary id). */
  feed(ids: TokenIds): Promise<Float64Array>;
  /** Tokens fed so far. */
  readonly length: number;
}

export interface SamplingParams {
  /** Tokens to generate at most. */
  maxTokens: number;
  /** 0 = greedy. Default 1. */
  temperature?: number;
  /** Nucleus mass; 1 = off. */
  topP?: number;
  /** 0 = off. */
  topK?: number;
  /** A seeded request is deterministic and may be cached; an unseeded one never is. */
  seed?: number;
  /** Generation stops before any of these strings (not included in the text). */
  stop?: string[];
  /** Samples per prompt. Default 1. */
  n?: number;
  /** Return per-token log-probabilities of the generated tokens. */
  logprobs?: boolean;
  /**
   * Aborts the request (the server passes the HTTP request's signal, which fires when
   * the client goes away). The builtin backend checks it between decoding steps, the
   * openai backend cancels its HTTP request and starts no retry; both reject with an
   * AbortError (the signal's reason, when that is an Error). Others (gguf) may ignore it
   * and finish the request.
   */
  signal?: AbortSignal;
}

export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

export type GenerateRequest = SamplingParams & ({ prompt: string; messages?: undefined } | { messages: ChatMessage[]; prompt?: undefined });

export interface TokenLogprob {
  token: string;
  /** Present when the backend knows token ids. */
  id?: number;
  logprob: number;
}

export type FinishReason = "stop" | "length" | "context";

export interface Sample {
  text: string;
  finishReason: FinishReason;
  /** Per generated token, when `logprobs` was asked. */
  tokens?: TokenLogprob[];
}

export interface Generation {
  samples: Sample[];
}

/** Trailing whitespace of `prompt` is scored as part of the continuation (see boundary.ts). */
export interface ScoreRequest {
  prompt: string;
  continuation: string;
  /** As GenerateRequest's: the builtin backend checks it before each batch it scores, the openai backend cancels its request; others may ignore it. */
  signal?: AbortSignal;
}

export interface ScoredToken extends TokenLogprob {
  /** Whether this token was the model's greedy (argmax) choice at its position. */
  isGreedy: boolean;
}

export interface ContinuationScore {
  /** log p(continuation | prompt): the sum over the continuation's tokens. */
  logprob: number;
  /** Whether every continuation token was the greedy choice. */
  isGreedy: boolean;
  tokens: ScoredToken[];
}

export interface TokenLogprobs {
  /** "full": every token of the vocabulary; "top-k": only the k most likely. */
  kind: "full" | "top-k";
  /** Sorted by logprob, most likely first. */
  entries: { id: number; token: string; logprob: number }[];
}

/** Decoders for several sequences that step together: one evaluation of the model per `feed`. */
export interface BatchDecoder {
  /** Append tokens to some of the sequences (each at most once per call); the full next-token log-probs after each, in order. */
  feed(steps: readonly { seq: number; ids: TokenIds }[]): Promise<Float64Array[]>;
}

/** A piece of generated text as it is produced; the last event of a sample has `finishReason`. */
export interface StreamEvent {
  /** Which sample (0 … n−1). */
  index: number;
  /** New text since the previous event of this sample (may be empty on the last event). */
  delta: string;
  finishReason?: FinishReason;
}

/** One `scoreTokens` request of a `scoreTokensBatch` call. */
export interface TokenScoreRequest {
  ids: TokenIds;
  topK: number;
}

/** One position of a scored token sequence: the token there and the model's top alternatives. */
export interface PositionScore {
  id: number;
  token: string;
  logprob: number;
  /** The `topK` most likely tokens at this position, most likely first (ties: the lowest id first). */
  top: { id: number; token: string; logprob: number }[];
  /**
   * Optional, where the backend was asked for the whole vocabulary (topK ≥ its size, as
   * knowledge.drift asks): the same numbers as typed arrays, `logprobs[id]` for every id
   * and `ranking` = top's ids in order, for callers that need no token texts (V objects
   * per position cost more than the model's forward pass on a small model). Not part of
   * the JSON form: a copy (cache, structuredClone) has only `top`.
   */
  readonly vocabulary?: { readonly logprobs: Float64Array; readonly ranking: Int32Array };
}

export interface LanguageModel {
  /** Content identity: hash of weights + tokenizer, or endpoint + model name + server version. */
  readonly id: string;
  readonly vocab?: Vocabulary;
  /** Tokens one sequence may hold (prompt + generated), where the backend knows it. */
  readonly contextLength?: number;
  /** Where it runs, for the audit header and its JSON: "cpu (native kernels)", "cuda: NVIDIA H200 (llama.cpp)", "remote". Display only, not identity. */
  readonly device?: string;
  generate(req: GenerateRequest): Promise<Generation>;
  generateBatch(reqs: GenerateRequest[]): Promise<Generation[]>;
  /** Incremental generation where the backend can produce it (the server streams it). */
  generateStream?(req: GenerateRequest): AsyncIterable<StreamEvent>;
  score(req: ScoreRequest): Promise<ContinuationScore>;
  scoreBatch(reqs: ScoreRequest[]): Promise<ContinuationScore[]>;
  /** Full distribution where the backend has it, else its top-k (`kind` says which). */
  nextTokenLogprobs?(prefix: TokenIds, k?: number): Promise<TokenLogprobs>;
  /**
   * log p(ids[i] | ids[<i]) for i ≥ 1, with the top-k alternatives at each position
   * (backends with token access; the server's `echo` / `prompt_logprobs` need it).
   */
  scoreTokens?(ids: TokenIds, topK: number): Promise<PositionScore[]>;
  /**
   * `scoreTokens` for several token sequences in one call, each answered exactly as
   * `scoreTokens` answers it alone (its answer does not depend on what else is in the
   * call). Where a backend has it (builtin), the batching layer merges concurrent
   * `scoreTokens` calls into one (knowledge.drift scores a batch of documents at once).
   */
  scoreTokensBatch?(reqs: readonly TokenScoreRequest[]): Promise<PositionScore[][]>;
  /** An incremental decoder over the full vocabulary, where the backend has one (builtin). */
  decoder?(): TokenDecoder;
  /** Several sequences decoded together: one evaluation per step for all of them (builtin). */
  batchDecoder?(sequences: number): BatchDecoder;
  /** Text-level next-token top-k after `text` (servers without token ids): token text → log-prob. */
  nextTokenTopK?(text: string, k: number): Promise<Map<string, number>>;
  /** Text-level teacher forcing: the backend's tokens of `text`, each with its log-prob (first: null) and its position's top-k. */
  textTopK?(text: string, k: number): Promise<{ token: string; logprob: number | null; top: Map<string, number> }[]>;
  /**
   * The prompt text `generate({messages})` would feed the model (its chat template with
   * the assistant turn opened), where the backend knows the template. Sending this text
   * as a plain prompt equals sending the messages.
   */
  chatPrompt?(messages: ChatMessage[]): string;
  close(): Promise<void>;
}
