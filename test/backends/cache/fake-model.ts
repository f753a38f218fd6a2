/**
 * An in-memory LanguageModel that counts its calls, for the cache tests (no real
 * backend). Deterministic answers derive from the request; unseeded sampling adds a
 * draw counter, so two unseeded calls differ the way real sampling does.
 */
import type {
  ContinuationScore, GenerateRequest, Generation, LanguageModel, PositionScore, ScoreRequest, TokenIds, TokenLogprobs,
} from "../../../src/backends/language-model.js";

export interface FakeCalls {
  generate: number;
  generateBatch: number;
  score: number;
  scoreBatch: number;
  nextTokenLogprobs: number;
  scoreTokens: number;
  /** Every request the model actually received, in order (batch items flattened). */
  received: unknown[];
}

export interface FakeModel extends LanguageModel {
  calls: FakeCalls;
  /** Make the next call (of any method) reject. */
  failNext(message?: string): void;
}

function fakeGeneration(req: GenerateRequest, draw: number): Generation {
  const prompt = req.prompt ?? req.messages.map((m) => m.content).join("|");
  const random = req.temperature !== 0 && req.seed === undefined ? ` #${draw}` : "";
  const text = `gen(${prompt}, t=${req.temperature ?? 1}, seed=${req.seed ?? "-"})${random}`;
  return { samples: Array.from({ length: req.n ?? 1 }, (_, i) => ({ text: `${text}[${i}]`, finishReason: "length" as const, tokens: [{ token: text, id: 7, logprob: -0.5 }] })) };
}

export function fakeScore(req: ScoreRequest): ContinuationScore {
  const logprob = -(req.prompt.length + 2 * req.continuation.length) / 8;
  return { logprob, isGreedy: req.continuation.length < 3, tokens: [{ token: req.continuation, id: req.continuation.length, logprob, isGreedy: true }] };
}

export function createFakeModel(id = "fake:model-a"): FakeModel {
  const calls: FakeCalls = { generate: 0, generateBatch: 0, score: 0, scoreBatch: 0, nextTokenLogprobs: 0, scoreTokens: 0, received: [] };
  let failure: string | undefined;
  let draws = 0;
  const check = async (): Promise<void> => {
    await Promise.resolve();
    if (failure !== undefined) {
      const message = failure;
      failure = undefined;
      throw new Error(message);
    }
  };
  return {
    id,
    calls,
    failNext(message = "inner model failed") {
      failure = message;
    },
    async generate(req) {
      calls.generate++;
      calls.received.push(req);
      await check();
      return fakeGeneration(req, draws++);
    },
    async generateBatch(reqs) {
      calls.generateBatch++;
      calls.received.push(...reqs);
      await check();
      return reqs.map((r) => fakeGeneration(r, draws++));
    },
    async score(req) {
      calls.score++;
      calls.received.push(req);
      await check();
      return fakeScore(req);
    },
    async scoreBatch(reqs) {
      calls.scoreBatch++;
      calls.received.push(...reqs);
      await check();
      return reqs.map(fakeScore);
    },
    async nextTokenLogprobs(prefix: TokenIds, k?: number): Promise<TokenLogprobs> {
      calls.nextTokenLogprobs++;
      calls.received.push({ prefix, k });
      await check();
      // -Infinity: a token of probability 0, which plain JSON would turn into null.
      const entries = [{ id: prefix.length, token: "a", logprob: -0.1 }, { id: 99, token: "z", logprob: Number.NEGATIVE_INFINITY }];
      return { kind: k === undefined ? "full" : "top-k", entries: entries.slice(0, k ?? entries.length) };
    },
    async scoreTokens(ids: TokenIds, topK: number): Promise<PositionScore[]> {
      calls.scoreTokens++;
      calls.received.push({ ids, topK });
      await check();
      return ids.slice(1).map((id, i) => ({ id, token: `t${id}`, logprob: -(i + 1) / 4, top: [{ id, token: `t${id}`, logprob: -(i + 1) / 4 }].slice(0, topK) }));
    },
    async close() {},
  };
}
