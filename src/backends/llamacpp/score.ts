/**
 * Scoring on llama.cpp: log p(continuation | prompt) per token, and the full next-token
 * distribution, from `controlledEvaluate` with `generateNext.probabilities` (the
 * full-vocabulary softmax at the positions asked for).
 *
 * Boundary: the one rule of ../boundary.ts, as builtin and openai apply it — the prompt's
 * trailing whitespace moves onto the continuation, the continuation's tokens are
 * tokens(prompt + continuation) minus the prompt's own tokens (each with the BOS the GGUF
 * asks for), a merge across the boundary (the prompt's tokens not a prefix of the
 * whole's) is a `token_boundary` BoundaryError, and an empty prompt conditions on BOS.
 */
import type { Token } from "node-llama-cpp";
import type { ContinuationScore, PositionScore, ScoreRequest, TokenIds, TokenLogprobs } from "../language-model.js";
import { BoundaryError, splitForScore } from "../boundary.js";
import { ranked, tokenScore } from "./probs.js";
import { detokenize, maxEvaluable, tokenize, type Runtime } from "./runtime.js";
import type { DirectScorer } from "./direct.js";
import { wholeVocabularyPosition } from "../whole-vocabulary.js";

/** A text's ids as the model is fed them: BOS first where the GGUF adds it (no second one when the text starts with it). */
function fedIds(rt: Runtime, text: string): number[] {
  const ids = tokenize(rt, text);
  return rt.bos !== null && rt.addBos && ids[0] !== rt.bos ? [rt.bos, ...ids] : ids;
}

/** Token ids of prompt + continuation and the index of the first continuation token (throws a BoundaryError). */
export function splitAtBoundary(rt: Runtime, prompt: string, continuation: string): { ids: number[]; start: number } {
  const s = splitForScore(`gguf:${rt.file}`, { encode: (t) => fedIds(rt, t), bos: rt.bos ?? undefined, pieceText: (id) => detokenize(rt, [id]) }, { prompt, continuation });
  if (!s.ok) throw new BoundaryError(s.problem);
  return { ids: s.ids, start: s.start };
}

/** The request's ids and first continuation index, checked to be scorable in the context. */
function scorable(rt: Runtime, req: ScoreRequest): { ids: number[]; start: number } {
  const { ids, start } = splitAtBoundary(rt, req.prompt, req.continuation);
  if (ids.length > maxEvaluable(rt)) {
    throw new Error(`${rt.file}: score: prompt + continuation is ${ids.length} tokens but the context holds ${maxEvaluable(rt)} (context size ${rt.contextSize} minus one). Shorten the prompt or open the model with a larger contextSize.`);
  }
  return { ids, start };
}

/** A continuation's tokens from the direct scorer (./direct.ts): one evaluation, outputs from the last prompt token on. */
async function scoreOneDirect(rt: Runtime, direct: DirectScorer, req: ScoreRequest): Promise<ContinuationScore> {
  const { ids, start } = scorable(rt, req);
  if (start < 1) throw new Error(`${rt.file}: score: nothing to condition the continuation on (an empty prompt and no BOS token)`);
  const rows = await direct.evaluate(ids.slice(0, -1), { first: start - 1, targets: ids.slice(start) });
  const tokens: ContinuationScore["tokens"] = ids.slice(start).map((id, r) => ({ token: rt.tokenText(id), id, logprob: rows.logprob[r], isGreedy: rows.greedy[r] === 1 }));
  return { logprob: tokens.reduce((a, t) => a + t.logprob, 0), isGreedy: tokens.every((t) => t.isGreedy), tokens };
}

export async function scoreOne(rt: Runtime, req: ScoreRequest): Promise<ContinuationScore> {
  if (rt.direct) return scoreOneDirect(rt, rt.direct, req);
  let ids: number[] = [];
  let start = 0;
  const out = await rt.withSequence((seq) => {
    // NOTE: tokenised once a context is free, so a batch's tokenising overlaps llama.cpp's
    // work on the requests ahead of it (all up front, it held back the first evaluation)
    ({ ids, start } = scorable(rt, req));
    // evaluate all but the last token; ask for the distribution where a continuation token is predicted
    const input = ids.slice(0, -1).map((t, i) => (i >= start - 1 ? ([t as Token, { generateNext: { probabilities: true } }] as const) : (t as Token)));
    return seq.controlledEvaluate(input as Parameters<typeof seq.controlledEvaluate>[0]);
  });
  const tokens: ContinuationScore["tokens"] = [];
  for (let j = start; j < ids.length; j++) {
    const id = ids[j];
    const { logprob, isGreedy } = tokenScore(rt, out[j - 1]?.next.probabilities, id, `position ${j - 1}`);
    tokens.push({ token: rt.tokenText(id), id, logprob, isGreedy });
  }
  return { logprob: tokens.reduce((a, t) => a + t.logprob, 0), isGreedy: tokens.every((t) => t.isGreedy), tokens };
}

export async function nextTokenLogprobsOf(rt: Runtime, prefix: TokenIds, k?: number): Promise<TokenLogprobs> {
  if (prefix.length === 0) throw new Error(`${rt.file}: nextTokenLogprobs: the prefix is empty; start it with the BOS token (id ${rt.bos ?? "none"}).`);
  if (prefix.length > maxEvaluable(rt)) {
    throw new Error(`${rt.file}: nextTokenLogprobs: the prefix is ${prefix.length} tokens but the context holds ${maxEvaluable(rt)}. Shorten it or open the model with a larger contextSize.`);
  }
  const bad = prefix.find((t) => !(Number.isInteger(t) && t >= 0 && t < rt.vocabSize));
  if (bad !== undefined) throw new Error(`${rt.file}: nextTokenLogprobs: token id ${bad} is outside the vocabulary [0, ${rt.vocabSize}).`);
  if (k !== undefined && !(Number.isInteger(k) && k > 0)) throw new Error(`nextTokenLogprobs: k must be a positive integer, got ${k}`);
  if (rt.direct) {
    const rows = await rt.direct.evaluate(prefix, { first: prefix.length - 1, topK: k === undefined ? rt.vocabSize : Math.min(k, rt.vocabSize) });
    const entries = Array.from(rows.topIds, (id, i) => ({ id, token: rt.tokenText(id), logprob: rows.topLogprobs[i] }));
    return { kind: entries.length === rt.vocabSize ? "full" : "top-k", entries };
  }
  const input = prefix.map((t, i) => (i === prefix.length - 1 ? ([t as Token, { generateNext: { probabilities: true } }] as const) : (t as Token)));
  const out = await rt.withSequence((seq) => seq.controlledEvaluate(input as Parameters<typeof seq.controlledEvaluate>[0]));
  const kept = ranked(rt, out[prefix.length - 1]?.next.probabilities, k, `position ${prefix.length - 1}`);
  return {
    kind: kept.length === rt.vocabSize ? "full" : "top-k",
    entries: kept.map(({ id, logprob }) => ({ id, token: rt.tokenText(id), logprob })),
  };
}

/** log p(ids[i] | ids[<i]) for i ≥ 1 with the top-k alternatives (the server's `echo` / `prompt_logprobs`). */
export async function scoreTokensOf(rt: Runtime, ids: TokenIds, topK: number): Promise<PositionScore[]> {
  if (ids.length < 2) return [];
  if (ids.length > maxEvaluable(rt)) {
    throw new Error(`${rt.file}: scoreTokens: ${ids.length} tokens but the context holds ${maxEvaluable(rt)}. Shorten the text or open the model with a larger contextSize.`);
  }
  const bad = ids.find((t) => !(Number.isInteger(t) && t >= 0 && t < rt.vocabSize));
  if (bad !== undefined) throw new Error(`${rt.file}: scoreTokens: token id ${bad} is outside the vocabulary [0, ${rt.vocabSize}).`);
  if (rt.direct) return scoreTokensDirect(rt, rt.direct, ids, topK);
  const input = ids.slice(0, -1).map((t) => [t as Token, { generateNext: { probabilities: true } }] as const);
  const out = await rt.withSequence((seq) => seq.controlledEvaluate(input as unknown as Parameters<typeof seq.controlledEvaluate>[0]));
  const scores: PositionScore[] = [];
  for (let t = 1; t < ids.length; t++) {
    const probs = out[t - 1]?.next.probabilities;
    const where = `position ${t - 1}`;
    const top = ranked(rt, probs, Math.max(0, topK), where);
    // the token's own log-prob: from the ranking when it is in it, else one look-up
    const own = top.find((e) => e.id === ids[t])?.logprob ?? tokenScore(rt, probs, ids[t], where).logprob;
    scores.push({ id: ids[t], token: rt.tokenText(ids[t]), logprob: own, top: top.map(({ id, logprob }) => ({ id, token: rt.tokenText(id), logprob })) });
  }
  return scores;
}

/** scoreTokens from the direct scorer: every position's row in one evaluation. */
async function scoreTokensDirect(rt: Runtime, direct: DirectScorer, ids: TokenIds, topK: number): Promise<PositionScore[]> {
  const k = Math.max(0, Math.min(topK, rt.vocabSize));
  const rows = await direct.evaluate(ids.slice(0, -1), { first: 0, targets: ids.slice(1), topK: k });
  const scores: PositionScore[] = [];
  for (let t = 1; t < ids.length; t++) {
    const r = t - 1;
    const ranking = rows.topIds.subarray(r * k, (r + 1) * k);
    const lps = rows.topLogprobs.subarray(r * k, (r + 1) * k);
    if (k === rt.vocabSize) {
      // the whole vocabulary: typed arrays, `top` built only if read (../whole-vocabulary.ts)
      const logprobs = new Float64Array(k);
      for (let i = 0; i < k; i++) logprobs[ranking[i]] = lps[i];
      scores.push(wholeVocabularyPosition(ids[t], logprobs, ranking, rt.tokenText));
    } else {
      const top: PositionScore["top"] = Array.from(ranking, (id, i) => ({ id, token: rt.tokenText(id), logprob: lps[i] }));
      scores.push({ id: ids[t], token: rt.tokenText(ids[t]), logprob: rows.logprob[r], top });
    }
  }
  return scores;
}
