/**
 * `createOpenAIModel`: a LanguageModel over one model served by one or more
 * OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama, `ftledger serve`).
 *
 * Generation goes to /v1/completions, or /v1/chat/completions for chat messages and
 * `chat: true`. Scoring always goes to /v1/completions (chat endpoints give no prompt
 * log-probabilities) by echo or vLLM's prompt_logprobs (score.ts); with "auto" the
 * method that works is found per endpoint and remembered. Every failure rejects with a
 * BackendError; there is no `nextTokenLogprobs` (token ids are unknown over this API).
 * The prompt/continuation boundary follows ../boundary.ts by token ids where the server
 * has vLLM's /tokenize (vLLM and `ftledger serve`, told by /v1/models' owned_by; a server
 * that answers it 404 is remembered as without), else by the echoed tokens' text
 * offsets (score.ts says when the two differ).
 * Each call runs on one endpoint at a time and moves to another replica when that one
 * fails (failover.ts).
 */
import { moveTrailingWhitespace } from "../boundary.js";
import type { ContinuationScore, GenerateRequest, Generation, LanguageModel, ScoreRequest } from "../language-model.js";
import { BackendError, type OpenAIError } from "./errors.js";
import { buildGenerate, parseGeneration } from "./generate.js";
import { modelId, serverVersions } from "./identity.js";
import { type Parsed, type Read, type ScoreInput, type ScoreMethod, echoBody, idBoundaryError, readEcho, readVllm, splitByIds, splitByOffsets, vllmBody } from "./score.js";
import { type TokenizeRetry, type Tokenized, serverRoot, tokenizeText } from "./tokenize.js";
import { Failover } from "./failover.js";
import { EndpointPool } from "./pool.js";
import { type OpenAIModelOptions, checkOptions } from "./spec.js";
import { echoTopKBody, nextTopKBody, parseEchoTopK, parseNextTopK, type TextTopK } from "./top-logprobs.js";
import { Transport } from "./transport.js";

/** The reasons for each default are beside the option in spec.ts. */
const DEFAULTS = {
  concurrency: 8,
  timeoutMs: 60_000,
  maxRetries: 5,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  retryAfterMaxMs: 60_000,
  benchBaseMs: 5_000,
  benchMaxMs: 60_000,
};

export async function createOpenAIModel(options: OpenAIModelOptions): Promise<LanguageModel> {
  const checked = checkOptions(options);
  if (!checked.ok) throw new BackendError(checked.error);
  const o = { ...DEFAULTS, ...definedOnly(checked.value), endpoints: checked.value.endpoints, model: checked.value.model };
  const transport = new Transport({ concurrency: o.concurrency, timeoutMs: o.timeoutMs, apiKeyEnv: o.apiKeyEnv, retryAfterMaxMs: o.retryAfterMaxMs });
  const pool = new EndpointPool(o.endpoints, { benchBaseMs: o.benchBaseMs, benchMaxMs: o.benchMaxMs });
  const backoff = { retryBaseMs: o.retryBaseMs, retryMaxMs: o.retryMaxMs, retryAfterMaxMs: o.retryAfterMaxMs, rng: o.rng ?? Math.random };
  const failover = new Failover(pool, { maxRetries: o.maxRetries, backoff }, transport.signal);
  const v = await serverVersions(transport, o.endpoints, o.model, o.timeoutMs);
  if (!v.ok) {
    transport.close();
    throw new BackendError(v.error);
  }
  // a replica that cannot be reached now starts benched, so the first requests go elsewhere
  for (const e of v.unreachable) pool.markFailed(e);
  const id = modelId(o.endpoints, o.model, v.versions, o.chat ?? false);
  const tokenizes = v.versions.some((x) => SERVERS_WITH_TOKENIZE.has(x));
  const tokenizeRetry = tokenizes ? { maxRetries: o.maxRetries, backoff } : null;
  return new OpenAIModel(id, transport, failover, o.model, o.chat ?? false, o.promptLogprobs ?? "auto", tokenizeRetry);
}

/** /v1/models owned_by values of servers known to serve vLLM's POST /tokenize at their root. */
const SERVERS_WITH_TOKENIZE = new Set(["owned_by=vllm", "owned_by=ftledger"]);

/** Texts whose /tokenize ids are kept per model (multiple-choice items share one prompt; a retried score reuses its whole text's). */
const TOKEN_ID_CACHE = 512;

/** Drop keys whose value is undefined, so they do not override the defaults. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

class OpenAIModel implements LanguageModel {
  /** Per endpoint: the scoring method found to work ("auto"). */
  private readonly method = new Map<string, ScoreMethod>();
  /** Per endpoint: false once the server has refused max_tokens 0 for echo. */
  private readonly zeroTokensOk = new Map<string, boolean>();
  /** Per endpoint: false once its /tokenize turned out missing (then the boundary goes by text offsets). */
  private readonly tokenizeOk = new Map<string, boolean>();
  /** endpoint + text → the text's /tokenize ids, newest last. */
  private readonly tokenIdsOf = new Map<string, Promise<Tokenized>>();

  constructor(
    readonly id: string,
    private readonly transport: Transport,
    private readonly failover: Failover,
    private readonly model: string,
    private readonly chat: boolean,
    private readonly mode: "auto" | ScoreMethod,
    /** Where the servers have /tokenize (null: none known to), how to retry it. */
    private readonly tokenizeRetry: TokenizeRetry | null,
  ) {}

  generate(req: GenerateRequest): Promise<Generation> {
    const built = buildGenerate(this.model, req, this.chat);
    return this.failover.run(async (endpoint) => {
      const reply = await this.transport.post(endpoint, built.path, built.body, req.signal);
      if (!reply.ok) throw new BackendError(reply.error);
      const g = parseGeneration(reply.json, built, req, endpoint);
      if (!g.ok) throw new BackendError(g.error);
      return g.value;
    }, req.signal);
  }

  generateBatch(reqs: GenerateRequest[]): Promise<Generation[]> {
    return Promise.all(reqs.map((r) => this.generate(r)));
  }

  score(req: ScoreRequest): Promise<ContinuationScore> {
    // NOTE: an empty prompt is sent: a server whose tokenizer adds a BOS scores the first token after it
    return this.failover.run(async (endpoint) => this.scoreOn(endpoint, moveTrailingWhitespace(req)), req.signal);
  }

  scoreBatch(reqs: ScoreRequest[]): Promise<ContinuationScore[]> {
    return Promise.all(reqs.map((r) => this.score(r)));
  }

  /** The next token's top-k after `text`, as the server tokenises (./top-logprobs.ts). */
  nextTokenTopK(text: string, k: number): Promise<Map<string, number>> {
    return this.failover.run(async (endpoint) => {
      const reply = await this.transport.post(endpoint, "/completions", nextTopKBody(this.model, text, k));
      if (!reply.ok) throw new BackendError(reply.error);
      const r = parseNextTopK(reply.json, endpoint);
      if (!r.ok) throw new BackendError(r.error);
      return r.value;
    });
  }

  /** The server's tokens of `text`, each with its log-prob and its position's top-k. */
  textTopK(text: string, k: number): Promise<TextTopK[]> {
    return this.failover.run(async (endpoint) => {
      const reply = await this.transport.post(endpoint, "/completions", echoTopKBody(this.model, text, k));
      if (!reply.ok) throw new BackendError(reply.error);
      const r = parseEchoTopK(reply.json, endpoint, text);
      if (!r.ok) throw new BackendError(r.error);
      return r.value;
    });
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  /** Try the configured (or remembered) method; with "auto", echo then prompt_logprobs. */
  private async scoreOn(endpoint: string, req: ScoreRequest): Promise<ContinuationScore> {
    if (req.continuation === "") throw new BackendError({ code: "empty_continuation", endpoint, model: this.model });
    const input: ScoreInput = { endpoint, model: this.model, prompt: req.prompt, continuation: req.continuation };
    // the boundary's ids, asked alongside the log-probabilities (never rejects: a Tokenized result)
    const ids = this.tokenizeRetry && this.tokenizeOk.get(endpoint) !== false
      ? Promise.all([this.tokenIds(endpoint, req.prompt, this.tokenizeRetry), this.tokenIds(endpoint, req.prompt + req.continuation, this.tokenizeRetry)])
      : null;
    ids?.catch(() => undefined); // awaited below unless scoring fails first; an abort then rejects nothing unheard
    const known = this.method.get(endpoint);
    const order: ScoreMethod[] = this.mode !== "auto" ? [this.mode] : known ? [known] : ["echo", "vllm"];
    const tried: string[] = [];
    let httpOnly: BackendError | null = null; // set while every attempt so far was refused outright
    let sawMissing = false;
    for (const m of order) {
      const label = m === "echo" ? "echo + logprobs" : "prompt_logprobs";
      const read = m === "echo" ? await this.scoreEcho(input, req.signal) : await this.scoreVllm(input, req.signal);
      const r = read.ok ? await this.split(read, ids, input) : read;
      if (r.ok) {
        if (this.mode === "auto") this.method.set(endpoint, m);
        return r.value;
      }
      if ("missing" in r) {
        sawMissing = true;
        tried.push(`${label} (no prompt logprobs in the response)`);
        continue;
      }
      // A server that refuses the method's parameters outright is, for "auto", one that lacks it.
      if (this.mode === "auto" && r.error.code === "http_error") {
        tried.push(`${label} (HTTP ${r.error.status}: ${r.error.serverMessage.slice(0, 120)})`);
        httpOnly = new BackendError(r.error);
        continue;
      }
      throw new BackendError(r.error);
    }
    // every method refused with an HTTP error: that error (e.g. a prompt too long) is the
    // server's real answer, not a missing feature
    if (httpOnly && !sawMissing) throw httpOnly;
    throw new BackendError({ code: "no_prompt_logprobs", endpoint, model: this.model, tried });
  }

  /** The boundary rule on the server's tokens: by /tokenize ids where it has them, else by text offsets (score.ts). */
  private async split(read: Extract<Read, { ok: true }>, ids: Promise<[Tokenized, Tokenized]> | null, input: ScoreInput): Promise<Parsed> {
    const got = ids ? await ids : null;
    const failure = got?.find((t): t is Extract<Tokenized, { ok: false; error: OpenAIError }> => !t.ok && "error" in t);
    if (failure) throw new BackendError(failure.error);
    if (!got || !got[0].ok || !got[1].ok) {
      if (got) this.tokenizeOk.set(input.endpoint, false); // answered "no such route": text offsets from now on
      return splitByOffsets(read, input);
    }
    const [context, whole] = [got[0].ids, got[1].ids];
    const r = splitByIds(read, context, whole, input);
    if (r.ok || "error" in r) return r;
    // a merge across the boundary: the error shows the prompt's own tokens from where they part
    const pieces = await Promise.all(context.slice(r.at, r.at + 6).map((id) => this.pieceText(input.endpoint, id)));
    return { ok: false, error: idBoundaryError(read, r.at, pieces, input) };
  }

  /**
   * A text's /tokenize ids, kept for later requests with the same text (a failure is not
   * kept). NOTE: asked without the request's signal: other requests may share the answer.
   */
  private tokenIds(endpoint: string, text: string, retry: TokenizeRetry): Promise<Tokenized> {
    const key = `${endpoint}\u0000${text}`;
    const hit = this.tokenIdsOf.get(key);
    if (hit) return hit;
    const forget = () => void this.tokenIdsOf.delete(key);
    const p = tokenizeText(this.transport, endpoint, this.model, text, retry).then((t) => {
      if (!t.ok) forget();
      return t;
    }, (e: unknown) => {
      forget();
      throw e;
    });
    this.tokenIdsOf.set(key, p);
    if (this.tokenIdsOf.size > TOKEN_ID_CACHE) this.tokenIdsOf.delete(this.tokenIdsOf.keys().next().value as string);
    return p;
  }

  /** One token's text by the server's /detokenize, for an error message; `#id` where it cannot say. */
  private async pieceText(endpoint: string, id: number): Promise<string> {
    const reply = await this.transport.post(serverRoot(endpoint), "/detokenize", { model: this.model, tokens: [id] });
    const text = reply.ok && typeof reply.json === "object" && reply.json !== null ? (reply.json as { prompt?: unknown }).prompt : undefined;
    return typeof text === "string" ? text : `#${id}`;
  }

  private async scoreEcho(input: ScoreInput, signal?: AbortSignal): Promise<Read> {
    const { endpoint } = input;
    const text = input.prompt + input.continuation;
    const zero = this.zeroTokensOk.get(endpoint) ?? true;
    let reply = await this.transport.post(endpoint, "/completions", echoBody(this.model, text, zero ? 0 : 1), signal);
    if (!reply.ok && zero && reply.error.code === "http_error" && (reply.error.status === 400 || reply.error.status === 422)) {
      // NOTE: some servers (vLLM among them) refuse max_tokens 0; the one generated token is then ignored.
      const again = await this.transport.post(endpoint, "/completions", echoBody(this.model, text, 1), signal);
      if (again.ok) this.zeroTokensOk.set(endpoint, false);
      reply = again;
    }
    return reply.ok ? readEcho(reply.json, input) : failed(reply.error);
  }

  private async scoreVllm(input: ScoreInput, signal?: AbortSignal): Promise<Read> {
    const reply = await this.transport.post(input.endpoint, "/completions", vllmBody(this.model, input.prompt + input.continuation), signal);
    return reply.ok ? readVllm(reply.json, input) : failed(reply.error);
  }
}

const failed = (error: OpenAIError): Read => ({ ok: false, error });
