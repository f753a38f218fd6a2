/**
 * `withBatching(model)`: the same LanguageModel, with the calls that arrive together
 * merged into one. Callers that run concurrently (an audit's probes) each send batches of
 * a probe's size; the backend runs best on as many sequences as it can hold (the builtin
 * engine decodes 32 at a time and refills their slots, batch/continuous.ts), so the batches
 * that wait at the same moment are concatenated into one `generateBatch` or `scoreBatch`.
 *
 * How:
 * - A call is queued as a job (its requests, as the caller batched them). Jobs are
 *   dispatched one call at a time: the first waits for the next turn of the event loop
 *   (setImmediate), so every caller that is ready to ask has asked; later ones wait until
 *   the call in flight returns, and the callers it answered have asked again.
 * - A dispatch takes the oldest job and every other waiting job of its model and kind that fits
 *   (samples for generation, requests for scoring, up to the limits), concatenated in queue
 *   order. Generation requests with different sampling settings merge too: each backend's
 *   generateBatch takes any mix (builtin decodes every sequence with its own settings and
 *   seed; gguf and openai send each request on its own).
 * - One call in flight at a time (per CallQueue, which several models may share): a request
 *   that repeats one answered earlier reaches the request cache (below this wrapper) after
 *   that answer was stored, so nothing is computed twice; identical requests inside one
 *   merged call are sent once by the cache.
 * - A merged call that fails is split in halves and retried, down to the single job whose
 *   requests fail (`isolate`, default every error): each caller gets what its own batch gets
 *   alone — a context error for a prompt that does not fit, results for the others.
 * - Each caller's answers are its own requests' answers, in its order: a backend's answer
 *   to a request does not depend on what else is in the batch (seeds are per request; the
 *   builtin engine's rows are computed alike in any company, continuous.ts).
 *
 * - `scoreTokens` calls merge into one `scoreTokensBatch` where the model has it (builtin:
 *   knowledge.drift scores a batch of documents at once, one forward pass for them all).
 *
 * Not merged: requests with an AbortSignal (they go straight through, as the server sends
 * them); `nextTokenLogprobs`, and `scoreTokens` on a model without `scoreTokensBatch`, are
 * queued as one-call jobs, to keep one call in flight; streams, decoders and chat templates
 * pass through.
 */
import type { ContinuationScore, GenerateRequest, Generation, LanguageModel, PositionScore, ScoreRequest, TokenScoreRequest } from "../language-model.js";

export interface BatchingOptions {
  /** Most samples (requests × n) in one merged generateBatch. Default 256. */
  maxSamples?: number;
  /** Most requests in one merged scoreBatch. Default 256. */
  maxScores?: number;
  /** Most sequences in one merged scoreTokensBatch. Default 64. */
  maxTokenScores?: number;
  /** Whether a failed merged call is split to find the job that failed (default: always). Other errors fail every job of the call. */
  isolate?: (error: unknown) => boolean;
  /** The queue this model's calls wait in (default: its own); models that share one never compute at once. */
  queue?: CallQueue;
}

export interface BatchingStats {
  /** Calls made on the inner model. */
  calls: number;
  /** Caller calls (jobs) they answered: jobs ÷ calls is how much merging there was. */
  jobs: number;
  /** Merged calls that failed and were split. */
  splits: number;
}

export interface BatchedLanguageModel extends LanguageModel {
  readonly stats: BatchingStats;
}

type Kind = "generate" | "score" | "tokens" | "call";

/** A wrapped model as its jobs see it. */
interface Target {
  model: LanguageModel;
  limits: Record<Kind, number>;
  isolate: (error: unknown) => boolean;
  stats: BatchingStats;
}

interface Job {
  target: Target;
  kind: Kind;
  /** generate: GenerateRequest[]; score: ScoreRequest[]; tokens: TokenScoreRequest[]; call: unused. */
  reqs: unknown[];
  /** What the job counts against the limit. */
  size: number;
  /** For "call" jobs: the call itself. */
  run?: () => Promise<unknown>;
  resolve(value: unknown[] | unknown): void;
  reject(error: unknown): void;
}

const samplesOf = (reqs: readonly GenerateRequest[]) => reqs.reduce((a, r) => a + (r.n ?? 1), 0);

async function callInner(t: Target, kind: Kind, reqs: unknown[]): Promise<unknown[]> {
  t.stats.calls++;
  const out =
    kind === "generate" ? await t.model.generateBatch(reqs as GenerateRequest[])
    : kind === "tokens" ? await t.model.scoreTokensBatch!(reqs as TokenScoreRequest[])
    : await t.model.scoreBatch(reqs as ScoreRequest[]);
  if (!Array.isArray(out) || out.length !== reqs.length) {
    throw new Error(`${t.model.id}: a ${kind} batch of ${reqs.length} request(s) returned ${Array.isArray(out) ? out.length : typeof out} answer(s)`);
  }
  return out;
}

/** One inner call for `jobs` (one model, one kind), their answers handed back; on failure, halves (see the header). */
async function runMerged(jobs: Job[]): Promise<void> {
  const { target, kind } = jobs[0];
  let answers: unknown[];
  try {
    answers = await callInner(target, kind, jobs.flatMap((j) => j.reqs));
  } catch (e) {
    if (jobs.length === 1 || !target.isolate(e)) {
      for (const j of jobs) j.reject(e);
      return;
    }
    target.stats.splits++;
    const half = Math.ceil(jobs.length / 2);
    await runMerged(jobs.slice(0, half));
    await runMerged(jobs.slice(half));
    return;
  }
  let at = 0;
  for (const j of jobs) {
    j.resolve(answers.slice(at, at + j.reqs.length));
    at += j.reqs.length;
  }
}

/**
 * The waiting jobs of one or more wrapped models, and the one call in flight among them.
 * Models that share a queue never compute at the same time: an audit's models share one,
 * so its backends see no more concurrent calls than a sequential audit gave them (an
 * OpenAI-compatible server that serves both models keeps to `--concurrency`).
 */
export class CallQueue {
  private readonly jobs: Job[] = [];
  private busy = false;
  private scheduled = false;

  push(job: Job): void {
    this.jobs.push(job);
    this.kick();
  }

  private kick(): void {
    if (this.busy || this.scheduled || this.jobs.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.dispatch();
    });
  }

  /** The oldest job and every waiting job of its model and kind that still fits, in queue order. */
  private take(): Job[] {
    const first = this.jobs[0];
    const taken = [first];
    let size = first.size;
    if (first.kind !== "call") {
      for (const j of this.jobs.slice(1)) {
        if (j.target === first.target && j.kind === first.kind && size + j.size <= first.target.limits[first.kind]) {
          taken.push(j);
          size += j.size;
        }
      }
    }
    for (const j of taken) this.jobs.splice(this.jobs.indexOf(j), 1);
    return taken;
  }

  private async dispatch(): Promise<void> {
    this.busy = true;
    try {
      const jobs = this.take();
      jobs[0].target.stats.jobs += jobs.length;
      if (jobs[0].kind === "call") {
        const [j] = jobs;
        j.target.stats.calls++;
        // through a promise, so a call that throws before returning one still settles its caller
        await Promise.resolve().then(j.run!).then(j.resolve, j.reject);
      } else await runMerged(jobs);
    } finally {
      this.busy = false;
      this.kick();
    }
  }
}

export function withBatching(model: LanguageModel, opts: BatchingOptions = {}): BatchedLanguageModel {
  const target: Target = {
    model,
    limits: { generate: opts.maxSamples ?? 256, score: opts.maxScores ?? 256, tokens: opts.maxTokenScores ?? 64, call: 1 },
    isolate: opts.isolate ?? (() => true),
    stats: { calls: 0, jobs: 0, splits: 0 },
  };
  const stats = target.stats;
  const queue = opts.queue ?? new CallQueue();

  const enqueue = <T>(kind: Kind, reqs: unknown[], size: number, run?: () => Promise<unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => queue.push({ target, kind, reqs, size, run, resolve: resolve as (v: unknown) => void, reject }));

  const generateBatch = (reqs: GenerateRequest[]): Promise<Generation[]> => {
    if (reqs.length === 0) return Promise.resolve([]);
    if (reqs.some((r) => r.signal)) return model.generateBatch(reqs);
    return enqueue<Generation[]>("generate", [...reqs], samplesOf(reqs));
  };
  const scoreBatch = (reqs: ScoreRequest[]): Promise<ContinuationScore[]> => {
    if (reqs.length === 0) return Promise.resolve([]);
    if (reqs.some((r) => r.signal)) return model.scoreBatch(reqs);
    return enqueue<ContinuationScore[]>("score", [...reqs], reqs.length);
  };

  const wrapped: BatchedLanguageModel = {
    id: model.id,
    vocab: model.vocab,
    contextLength: model.contextLength,
    get stats() {
      return { ...stats };
    },
    generate: async (req) => (req.signal ? model.generate(req) : (await generateBatch([req]))[0]),
    generateBatch,
    score: async (req) => (req.signal ? model.score(req) : (await scoreBatch([req]))[0]),
    scoreBatch,
    close: () => model.close(),
  };
  // optional methods exist on the wrapper exactly when the inner model has them (probes check them)
  const { scoreTokens, scoreTokensBatch, nextTokenLogprobs, generateStream, chatPrompt, decoder, batchDecoder, nextTokenTopK, textTopK } = model;
  if (scoreTokens) {
    wrapped.scoreTokens = scoreTokensBatch
      ? async (ids, topK) => (await enqueue<PositionScore[][]>("tokens", [{ ids, topK }], 1))[0]
      : (ids, k) => enqueue("call", [], 1, () => scoreTokens.call(model, ids, k));
  }
  if (scoreTokensBatch) {
    wrapped.scoreTokensBatch = (reqs) => (reqs.length === 0 ? Promise.resolve([]) : enqueue<PositionScore[][]>("tokens", reqs.map(({ ids, topK }) => ({ ids, topK })), reqs.length));
  }
  if (nextTokenLogprobs) wrapped.nextTokenLogprobs = (prefix, k) => enqueue("call", [], 1, () => nextTokenLogprobs.call(model, prefix, k));
  if (generateStream) wrapped.generateStream = (req) => generateStream.call(model, req);
  if (chatPrompt) wrapped.chatPrompt = (messages) => chatPrompt.call(model, messages);
  if (decoder) wrapped.decoder = () => decoder.call(model);
  if (batchDecoder) wrapped.batchDecoder = (n) => batchDecoder.call(model, n);
  if (nextTokenTopK) wrapped.nextTokenTopK = (text, k) => nextTokenTopK.call(model, text, k);
  if (textTopK) wrapped.textTopK = (text, k) => textTopK.call(model, text, k);
  return wrapped;
}
