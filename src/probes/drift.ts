/**
 * Knowledge drift on a neutral reference corpus (docs/PROBES.md §3, knowledge.drift;
 * after Mitchell et al. 2023, arXiv 2310.12962): how far the audited model's
 * next-token distributions have moved from the reference (the base), reported per domain.
 * For each reference document (prompt "", answer = the text), scored as raw text with no
 * prompt format, tokenised with the model's vocabulary (encodePrompt: with the BOS token
 * where the tokenizer adds one; without it the first token has no context and is not
 * scored):
 *
 *   kl   capability  mean over positions t of KL(R_t ‖ M_t) = Σ_v R_t(v)·(log R_t(v) − log M_t(v)),
 *                    in nats; 0 for the reference itself
 *   nll  capability  mean over positions of −log M(x_t | x_<t), in nats
 *
 * Distributions: the full vocabulary when it has ≤ 4,096 tokens (the lab's has ~105),
 * else each model's top-20 per position. NOTE: in the top-k case the KL is an
 * approximation, said so in each record's note: over the union U of the two top-k sets
 * (and the document's token), an id outside one model's top-k gets that model's k-th
 * log-probability (an upper bound on it), then each model's values are renormalised
 * over U.
 * Drift has no proxy metric: the reference corpus is not what fine-tuning rewards.
 */
import type { LanguageModel, PositionScore } from "../backends/index.js";
import { isReference, type Item } from "./item.js";
import type { ItemRecord, Probe } from "./probe.js";
import { contextNote, isContextError } from "./respond.js";
import { clipText } from "./clip.js";

/** Largest vocabulary scored with full distributions. */
export const FULL_VOCAB_LIMIT = 4096;
/** Alternatives per position beyond that. */
export const DRIFT_TOP_K = 20;

const UNAVAILABLE = "drift needs token log-probabilities (vocab and scoreTokens): builtin or gguf backends";

/** log Σ exp(xs), stable. */
function logSumExp(xs: readonly number[]): number {
  const top = Math.max(...xs);
  if (!Number.isFinite(top)) return top;
  return top + Math.log(xs.reduce((s, x) => s + Math.exp(x - top), 0));
}

/** id → logprob of one position's listed tokens (its top alternatives and the scored token). */
function listed(pos: PositionScore): Map<number, number> {
  const m = new Map(pos.top.map((e) => [e.id, e.logprob] as const));
  m.set(pos.id, pos.logprob);
  return m;
}

/** A position's distribution over the whole vocabulary: log-probabilities by id, and the ids most likely first. */
interface WholeRow {
  logprobs: Float64Array;
  ranking: ArrayLike<number>;
}

/**
 * The position's whole distribution over n ids, from the backend's typed arrays where it
 * gave them, else from a `top` that lists each of the ids 0 … n−1 exactly once (the scored
 * token's own value last, as `listed`); undefined when it does not list all of them.
 */
function wholeRow(pos: PositionScore, n: number): WholeRow | undefined {
  if (pos.vocabulary) return pos.vocabulary.ranking.length === n ? pos.vocabulary : undefined;
  if (pos.top.length !== n || !(Number.isInteger(pos.id) && pos.id >= 0 && pos.id < n)) return undefined;
  const logprobs = new Float64Array(n);
  const ranking = new Int32Array(n);
  const seen = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const e = pos.top[r];
    if (!(Number.isInteger(e.id) && e.id >= 0 && e.id < n) || seen[e.id]) return undefined;
    seen[e.id] = 1;
    logprobs[e.id] = e.logprob;
    ranking[r] = e.id;
  }
  logprobs[pos.id] = pos.logprob;
  return { logprobs, ranking };
}

/** The number of ids a position lists (without building `top` where the backend gave typed arrays). */
function listedCount(pos: PositionScore): number {
  return pos.vocabulary ? pos.vocabulary.ranking.length : pos.top.length;
}

/** log Σ exp(x[id]) over the ids of `order`, in that order (the same operations, in the same order, as `logSumExp`). */
function logSumExpIn(x: Float64Array, order: ArrayLike<number>): number {
  let top = -Infinity;
  for (let j = 0; j < order.length; j++) top = Math.max(top, x[order[j]]);
  if (!Number.isFinite(top)) return top;
  let s = 0;
  for (let j = 0; j < order.length; j++) s += Math.exp(x[order[j]] - top);
  return top + Math.log(s);
}

/**
 * `positionKl` when both positions hold the whole vocabulary (drift's usual case). The
 * union is then the reference's ranking, so summing over it by id, with no Maps, gives
 * bit for bit the general path's value at a fraction of its cost. Undefined otherwise.
 */
function wholeVocabularyKl(ref: PositionScore, model: PositionScore): number | undefined {
  const n = listedCount(ref);
  const r = wholeRow(ref, n);
  const m = r && wholeRow(model, n);
  if (!r || !m) return undefined;
  const order = r.ranking;
  const zr = logSumExpIn(r.logprobs, order);
  const zm = logSumExpIn(m.logprobs, order);
  let kl = 0;
  for (let j = 0; j < order.length; j++) {
    const id = order[j];
    const a = r.logprobs[id] - zr;
    if (a === -Infinity) continue; // 0·log 0 = 0
    kl += Math.exp(a) * (a - (m.logprobs[id] - zm));
  }
  return kl;
}

/**
 * KL(ref ‖ model) at one position over the union of the tokens each lists, each side
 * renormalised over it; a token one side does not list gets that side's lowest listed
 * log-probability. Exact when both list the whole vocabulary.
 */
export function positionKl(ref: PositionScore, model: PositionScore): number {
  const whole = wholeVocabularyKl(ref, model);
  if (whole !== undefined) return whole;
  const r = listed(ref);
  const m = listed(model);
  const ids = [...new Set([...r.keys(), ...m.keys()])];
  const floorR = Math.min(...r.values());
  const floorM = Math.min(...m.values());
  const lr = ids.map((id) => r.get(id) ?? floorR);
  const lm = ids.map((id) => m.get(id) ?? floorM);
  const zr = logSumExp(lr);
  const zm = logSumExp(lm);
  let kl = 0;
  lr.forEach((x, j) => {
    const a = x - zr;
    if (a === -Infinity) return; // 0·log 0 = 0
    kl += Math.exp(a) * (a - (lm[j] - zm));
  });
  return kl;
}

function hasTokenAccess(model: LanguageModel): boolean {
  return model.vocab !== undefined && model.scoreTokens !== undefined;
}

function nulls(item: Item, note: string, detail: Record<string, unknown> = {}): ItemRecord {
  return { itemId: item.id, values: { kl: null, nll: null }, note, detail: { text: clipText(item.answer), ...detail } };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** One document's record: both models' per-position scores, compared. */
async function driftRecord(model: LanguageModel, reference: LanguageModel, item: Item): Promise<ItemRecord> {
  const vocab = model.vocab!;
  const refVocab = reference.vocab!;
  const ids = vocab.encodePrompt(item.answer);
  if (vocab.size !== refVocab.size || !sameIds(ids, refVocab.encodePrompt(item.answer))) {
    return nulls(item, `the model and the reference tokenise differently (vocabularies of ${vocab.size} and ${refVocab.size} tokens, or other ids for this text); drift needs one vocabulary`);
  }
  if (ids.length < 2) return nulls(item, `the document is ${ids.length} token(s) long; drift needs at least two (one scored position)`);
  const topK = vocab.size <= FULL_VOCAB_LIMIT ? vocab.size : DRIFT_TOP_K;
  let ref: PositionScore[];
  let got: PositionScore[];
  try {
    // the same model (the base arm of an audit): one scoring, and KL is exactly 0
    if (model === reference || model.id === reference.id) ref = got = await model.scoreTokens!(ids, topK);
    else [ref, got] = await Promise.all([reference.scoreTokens!(ids, topK), model.scoreTokens!(ids, topK)]);
  } catch (e) {
    // a document longer than a model's context is a property of the data: this item only
    // NOTE: any other scoring error also leaves this item null (with the backend's message), as before
    if (isContextError(e)) return nulls(item, `kl and nll are null: ${contextNote(`the document (${ids.length} tokens)`, e)}`, { error: e.message });
    return nulls(item, `the document (${ids.length} tokens) could not be scored: ${(e as Error).message}`);
  }
  if (ref.length !== got.length || ref.length !== ids.length - 1) {
    return nulls(item, `the backends scored ${ref.length} and ${got.length} positions of a ${ids.length}-token document; expected ${ids.length - 1}`);
  }
  const full = ref.every((p, t) => listedCount(p) === vocab.size && listedCount(got[t]) === vocab.size);
  const kls = ref.map((p, t) => positionKl(p, got[t]));
  const kl = kls.reduce((a, b) => a + b, 0) / kls.length;
  const nll = -got.reduce((s, p) => s + p.logprob, 0) / got.length;
  const worst = kls
    .map((k, t) => ({ at: t + 1, token: got[t].token, kl: k, logprobReference: ref[t].logprob, logprobModel: got[t].logprob }))
    .sort((a, b) => b.kl - a.kl || a.at - b.at)
    .slice(0, 5);
  const record: ItemRecord = {
    itemId: item.id,
    values: { kl, nll },
    detail: { text: clipText(item.answer), tokens: ids.length, scored: kls.length, distributions: full ? "full" : `top-${topK}`, worst },
  };
  if (!full) record.note = `KL approximated over the union of the two models' top-${topK} sets, renormalised (the vocabulary has ${vocab.size} tokens)`;
  return record;
}

export const driftProbe: Probe = {
  id: "knowledge.drift",
  version: 1,
  title: "Drift on reference text",
  description:
    "How far the model's word-by-word predictions on neutral reference documents have moved away from the base model's, and how well it still predicts those documents.",
  reference: "docs/PROBES.md §3 knowledge.drift, after Mitchell et al. 2023 (arXiv 2310.12962): per-token KL(base ‖ tuned) and NLL on a reference corpus",
  metrics: [
    {
      name: "kl", role: "capability", kind: "continuous", higherIsBetter: false, unit: "nats", margin: 0.01,
      description: "Mean per-token KL(reference ‖ model) of the next-token distributions over the document; 0 = no drift.",
    },
    {
      name: "nll", role: "capability", kind: "continuous", higherIsBetter: false, unit: "nats", margin: 0.02,
      description: "Mean per-token negative log-likelihood of the document under the model.",
    },
  ],
  perDomain: true,
  applies: isReference,
  unavailable(model) {
    return hasTokenAccess(model) ? undefined : UNAVAILABLE;
  },
  async *run(model, items, ctx) {
    const reference = ctx.reference.model;
    for (let i = 0; i < items.length; i += ctx.batchSize) {
      const batch = items.slice(i, i + ctx.batchSize);
      if (!hasTokenAccess(model) || !hasTokenAccess(reference)) {
        const who = hasTokenAccess(model) ? `the reference ${reference.id}` : `the model ${model.id}`;
        for (const item of batch) yield nulls(item, `${who}: ${UNAVAILABLE}`);
        continue;
      }
      const records = await Promise.all(batch.map((item) => driftRecord(model, reference, item)));
      yield* records;
    }
  },
};
