/**
 * `createOpenAIModel`: a LanguageModel over one model served by one or more
 * OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama, `ftledger serve`).
 *
 * Generation goes to /v1/completions, or /v1/chat/completions for chat messages and
 * `chat: true`. Scoring always goes to /v1/completions (chat endpoints give no prompt
 * log-probabilities) by echo or vLLM's prompt_logprobs (score.ts); with "auto" the
 * method that works is found per endpoint and remembered. Every failure rejects with a
 * BackendError; there is no `nextTokenLogprobs` (token ids are unknown over this API).
 * Each call runs on one endpoint at a time and moves to another replica when that one
 * fails (failover.ts).
 */
import { moveTrailingWhitespace } from "../boundary.js";
import type { ContinuationScore, GenerateRequest, Generation, LanguageModel, ScoreRequest } from "../language-model.js";
import { BackendError, type OpenAIError } from "./errors.js";
import { buildGenerate, parseGeneration } from "./generate.js";
import { modelId, serverVersions } from "./identity.js";
import { type Parsed, type ScoreMethod, echoBody, parseEcho, parseVllm, vllmBody } from "./score.js";
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
  return new OpenAIModel(id, transport, failover, o.model, o.chat ?? false, o.promptLogprobs ?? "auto");
}

/** Drop keys whose value is undefined, so they do not override the defaults. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

class OpenAIModel implements LanguageModel {
  /** Per endpoint: the scoring method found to work ("auto"). */
  private readonly method = new Map<string, ScoreMethod>();
  /** Per endpoint: false once the server has refused max_tokens 0 for echo. */
  private readonly zeroTokensOk = new Map<string, boolean>();

  constructor(
    readonly id: string,
    private readonly transport: Transport,
    private readonly failover: Failover,
    private readonly model: string,
    private readonly chat: boolean,
    private readonly mode: "auto" | ScoreMethod,
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
    return this.failover.run(async (endpoint) => {
      if (req.prompt === "") throw new BackendError({ code: "empty_prompt", endpoint });
      return this.scoreOn(endpoint, moveTrailingWhitespace(req));
    }, req.signal);
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
    const known = this.method.get(endpoint);
    const order: ScoreMethod[] = this.mode !== "auto" ? [this.mode] : known ? [known] : ["echo", "vllm"];
    const tried: string[] = [];
    let httpOnly: BackendError | null = null; // set while every attempt so far was refused outright
    let sawMissing = false;
    for (const m of order) {
      const label = m === "echo" ? "echo + logprobs" : "prompt_logprobs";
      const r = m === "echo" ? await this.scoreEcho(endpoint, req) : await this.scoreVllm(endpoint, req);
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

  private async scoreEcho(endpoint: string, req: ScoreRequest): Promise<Parsed> {
    const text = req.prompt + req.continuation;
    const zero = this.zeroTokensOk.get(endpoint) ?? true;
    let reply = await this.transport.post(endpoint, "/completions", echoBody(this.model, text, zero ? 0 : 1), req.signal);
    if (!reply.ok && zero && reply.error.code === "http_error" && (reply.error.status === 400 || reply.error.status === 422)) {
      // NOTE: some servers (vLLM among them) refuse max_tokens 0; the one generated token is then ignored.
      const again = await this.transport.post(endpoint, "/completions", echoBody(this.model, text, 1), req.signal);
      if (again.ok) this.zeroTokensOk.set(endpoint, false);
      reply = again;
    }
    return reply.ok ? parseEcho(reply.json, { endpoint, ...req }) : failed(reply.error);
  }

  private async scoreVllm(endpoint: string, req: ScoreRequest): Promise<Parsed> {
    const reply = await this.transport.post(endpoint, "/completions", vllmBody(this.model, req.prompt + req.continuation), req.signal);
    return reply.ok ? parseVllm(reply.json, { endpoint, ...req }) : failed(reply.error);
  }
}

const failed = (error: OpenAIError): Parsed => ({ ok: false, error });
