/**
 * `withCache(model, cache)`: the same LanguageModel, answering deterministic
 * requests from the request cache.
 *
 * What is cacheable (the request fully determines the response):
 * - `score`, `scoreBatch`, `nextTokenLogprobs`: always.
 * - `scoreTokens`, and each item of `scoreTokensBatch`: with `topK` ≤ 32. A response with
 *   the full distribution at every position (drift's, topK = the vocabulary) is passed
 *   through: storing and reading positions × vocabulary entries as JSON took longer than
 *   recomputing them (docs/PERFORMANCE.md, "Audit"), and a file of them grows by
 *   megabytes per document.
 * - `generate`, `generateBatch`: greedy (temperature 0) or seeded. Unseeded sampling
 *   is passed through and never stored: a second call must draw a new sample.
 *
 * A batch looks up every item, sends the misses (and the uncacheable items) to the
 * inner model in ONE batch call, and merges the answers back in order. Identical
 * cacheable items in one batch are sent once. A response is stored only after the
 * inner call resolved, so a failed request is never recorded.
 *
 * NOTE: a batch item and the same single request share one key (`generateBatch`'s
 * items are keyed as `generate`), as the contract says the two give the same answer.
 */
import type {
  ContinuationScore, GenerateRequest, Generation, LanguageModel, PositionScore, ScoreRequest, TokenIds, TokenLogprobs, TokenScoreRequest,
} from "../language-model.js";
import { requestKey, type RequestKind } from "./canonical.js";
import type { CacheEntry, RequestCache } from "./store.js";

export interface CacheStats {
  /** Items answered from the cache. */
  hits: number;
  /** Cacheable items sent to the inner model (stored when it succeeded). */
  misses: number;
  /** Uncacheable items (unseeded sampling) passed straight through. */
  bypassed: number;
}

export interface CachedLanguageModel extends LanguageModel {
  /** A snapshot of the counts since `withCache` was called. */
  readonly stats: CacheStats;
  /** The wrapped model. */
  readonly inner: LanguageModel;
}

/** Greedy or seeded generation is deterministic; unseeded sampling is not. */
export function isCacheableGenerate(req: GenerateRequest): boolean {
  return req.temperature === 0 || (typeof req.seed === "number" && Number.isFinite(req.seed));
}

/** The largest `scoreTokens` top-k the cache stores (see the header). */
export const CACHED_TOP_K_MAX = 32;

export function withCache(model: LanguageModel, cache: RequestCache): CachedLanguageModel {
  const stats: CacheStats = { hits: 0, misses: 0, bypassed: 0 };
  const id = model.id;

  /**
   * 1. Key each cacheable item and look it up. 2. Send the rest to `run` in one call.
   * 3. Store the answers of the cacheable ones. 4. Merge in the callers' order.
   */
  async function batch<Q, R>(kind: RequestKind, reqs: readonly Q[], cacheable: (q: Q) => boolean, run: (qs: Q[]) => Promise<R[]>): Promise<R[]> {
    const out = new Array<R>(reqs.length);
    const send: Q[] = [];
    const sendKeys: (string | undefined)[] = [];
    const fill: number[][] = []; // fill[j]: the positions answered by send[j]
    const pending = new Map<string, number>(); // key → j, for identical items in one batch
    reqs.forEach((q, i) => {
      if (!cacheable(q)) {
        stats.bypassed++;
        fill.push([i]);
        send.push(q);
        sendKeys.push(undefined);
        return;
      }
      const key = requestKey(id, kind, q);
      const hit = cache.get(key);
      if (hit) {
        stats.hits++;
        out[i] = hit.response as R;
        return;
      }
      const j = pending.get(key);
      if (j !== undefined) {
        stats.hits++; // answered by the identical item already being sent
        fill[j].push(i);
        return;
      }
      stats.misses++;
      pending.set(key, send.length);
      fill.push([i]);
      send.push(q);
      sendKeys.push(key);
    });
    if (send.length === 0) return out;
    const answers = await run(send);
    if (!Array.isArray(answers) || answers.length !== send.length) {
      throw new Error(`${id}: ${kind} batch of ${send.length} request(s) returned ${Array.isArray(answers) ? answers.length : typeof answers} answer(s); nothing was cached`);
    }
    const entries: CacheEntry[] = [];
    answers.forEach((r, j) => {
      const key = sendKeys[j];
      if (key !== undefined) entries.push({ key, kind, modelId: id, request: send[j], response: r });
      const [first, ...rest] = fill[j];
      out[first] = r;
      // Duplicates get their own copy, so a caller mutating one result cannot change another.
      for (const i of rest) out[i] = structuredClone(r);
    });
    cache.put(entries);
    return out;
  }

  async function single<Q, R>(kind: RequestKind, q: Q, cacheable: boolean, run: () => Promise<R>): Promise<R> {
    if (!cacheable) {
      stats.bypassed++;
      return run();
    }
    const key = requestKey(id, kind, q);
    const hit = cache.get(key);
    if (hit) {
      stats.hits++;
      return hit.response as R;
    }
    stats.misses++;
    const r = await run(); // throws → nothing stored
    cache.put([{ key, kind, modelId: id, request: q, response: r }]);
    return r;
  }

  const wrapped: CachedLanguageModel = {
    id,
    vocab: model.vocab,
    inner: model,
    get stats() {
      return { ...stats };
    },
    generate: (req: GenerateRequest): Promise<Generation> => single("generate", req, isCacheableGenerate(req), () => model.generate(req)),
    generateBatch: (reqs: GenerateRequest[]): Promise<Generation[]> =>
      batch("generate", reqs, isCacheableGenerate, (qs) => model.generateBatch(qs)),
    score: (req: ScoreRequest): Promise<ContinuationScore> => single("score", req, true, () => model.score(req)),
    scoreBatch: (reqs: ScoreRequest[]): Promise<ContinuationScore[]> => batch("score", reqs, () => true, (qs) => model.scoreBatch(qs)),
    close: () => model.close(),
  };
  // Optional methods exist on the wrapper exactly when the inner model has them.
  const { nextTokenLogprobs, scoreTokens, scoreTokensBatch, generateStream, chatPrompt } = model;
  if (chatPrompt) wrapped.chatPrompt = (messages) => chatPrompt.call(model, messages);
  // a stream is never cached (it is for live output), but it must not be lost either
  if (generateStream) wrapped.generateStream = (req) => generateStream.call(model, req);
  if (nextTokenLogprobs) {
    wrapped.nextTokenLogprobs = (prefix: TokenIds, k?: number): Promise<TokenLogprobs> =>
      single("nextTokenLogprobs", { prefix, k }, true, () => nextTokenLogprobs.call(model, prefix, k));
  }
  if (scoreTokens) {
    wrapped.scoreTokens = (ids: TokenIds, topK: number): Promise<PositionScore[]> =>
      single("scoreTokens", { ids, topK }, topK <= CACHED_TOP_K_MAX, () => scoreTokens.call(model, ids, topK));
  }
  if (scoreTokensBatch) {
    // each item keyed as the single request (the contract: the same answer either way)
    wrapped.scoreTokensBatch = (reqs: readonly TokenScoreRequest[]): Promise<PositionScore[][]> =>
      batch("scoreTokens", reqs.map(({ ids, topK }) => ({ ids, topK })), (q) => q.topK <= CACHED_TOP_K_MAX, (qs) => scoreTokensBatch.call(model, qs));
  }
  return wrapped;
}
