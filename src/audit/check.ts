/**
 * `ftledger check`: one model through several backends (its HF folder, its GGUF export,
 * `ftledger serve` over HTTP …) should give the same numbers. Against the first spec,
 * every other one is compared on the same items:
 *
 *   log-probs   score(prompt, answer) per token: max and mean |Δ log p| over the tokens
 *               both tokenise alike (an item tokenised differently is counted apart)
 *   greedy      the greedy continuation of each prompt: the share of items with the same
 *               text, and where the first one diverged
 *
 * A pair "agrees" when max |Δ log p| ≤ the bound and the greedy texts agree on at least
 * `greedyShare` of the items (a near-tie may flip under differences within the bound).
 * This separates serving or quantisation drift from fine-tuning drift: the same weights
 * behind two backends should agree before two fine-tunes are compared through them.
 */
import type { LanguageModel } from "../backends/index.js";
import type { Item } from "../probes/index.js";

export interface CheckedModel {
  spec: string;
  model: LanguageModel;
}

export interface CheckOptions {
  /** Largest |Δ log p| per token that counts as the same computation. */
  bound: number;
  /** Share of items whose greedy continuations must match. */
  greedyShare: number;
  /** Tokens of each greedy continuation. */
  maxTokens: number;
  /** Called after each item of each pair. */
  onProgress?: (spec: string, done: number, total: number) => void;
}

export interface PairCheck {
  spec: string;
  model_id: string;
  items: number;
  /** Tokens compared (items tokenised alike). */
  tokens: number;
  max_abs_logprob: number | null;
  mean_abs_logprob: number | null;
  /** Items whose answer the two tokenise differently: their whole-answer log-probs still compare. */
  tokenization_differs: number;
  max_abs_sequence_logprob: number | null;
  greedy: { compared: number; identical: number; first_divergence: { item: string; char: number } | null };
  verdict: "agrees" | "differs";
  reasons: string[];
}

export interface CheckResult {
  reference: { spec: string; model_id: string };
  bound: number;
  greedy_share: number;
  pairs: PairCheck[];
  passed: boolean;
}

/** Where two texts first differ (the shorter's length when one extends the other). */
function divergence(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

async function checkPair(ref: LanguageModel, other: CheckedModel, items: readonly Item[], o: CheckOptions): Promise<PairCheck> {
  let tokens = 0;
  let max = 0;
  let sum = 0;
  let differs = 0;
  let maxSeq = 0;
  let identical = 0;
  let first: PairCheck["greedy"]["first_divergence"] = null;
  for (const [i, it] of items.entries()) {
    const req = { prompt: it.prompt, continuation: it.answer };
    const [a, b] = await Promise.all([ref.score(req), other.model.score(req)]);
    maxSeq = Math.max(maxSeq, Math.abs(a.logprob - b.logprob));
    const alike = a.tokens.length === b.tokens.length && a.tokens.every((t, j) => t.token === b.tokens[j].token);
    if (!alike) differs++;
    else {
      for (let j = 0; j < a.tokens.length; j++) {
        const d = Math.abs(a.tokens[j].logprob - b.tokens[j].logprob);
        max = Math.max(max, d);
        sum += d;
      }
      tokens += a.tokens.length;
    }
    const gen = { prompt: it.prompt, maxTokens: o.maxTokens, temperature: 0, seed: 1 };
    const [ga, gb] = await Promise.all([ref.generate(gen), other.model.generate(gen)]);
    const ta = ga.samples[0].text;
    const tb = gb.samples[0].text;
    if (ta === tb) identical++;
    else if (!first) first = { item: it.id, char: divergence(ta, tb) };
    o.onProgress?.(other.spec, i + 1, items.length);
  }
  // failures decide the verdict; a tokenization difference is only said (those items still compare by their whole log-prob)
  const failures: string[] = [];
  if (tokens > 0 && max > o.bound) failures.push(`max |Δ log p| ${max.toExponential(2)} > the bound ${o.bound}`);
  if (tokens === 0 && maxSeq > o.bound) failures.push(`no item tokenised alike; whole-answer |Δ log p| up to ${maxSeq.toExponential(2)} > the bound ${o.bound}`);
  if (items.length > 0 && identical / items.length < o.greedyShare) failures.push(`greedy continuations agree on ${identical} of ${items.length} items, fewer than ${(100 * o.greedyShare).toFixed(0)}%`);
  const notes = differs > 0 ? [`${differs} of ${items.length} answers are tokenised differently (compared by their whole log-prob)`] : [];
  return {
    spec: other.spec, model_id: other.model.id, items: items.length, tokens,
    max_abs_logprob: tokens > 0 ? max : null, mean_abs_logprob: tokens > 0 ? sum / tokens : null,
    tokenization_differs: differs, max_abs_sequence_logprob: items.length > 0 ? maxSeq : null,
    greedy: { compared: items.length, identical, first_divergence: first },
    verdict: failures.length > 0 ? "differs" : "agrees", reasons: [...failures, ...notes],
  };
}

/** Every other model against the first, on the same items. */
export async function checkBackends(ref: CheckedModel, others: readonly CheckedModel[], items: readonly Item[], o: CheckOptions): Promise<CheckResult> {
  const pairs: PairCheck[] = [];
  for (const m of others) pairs.push(await checkPair(ref.model, m, items, o));
  return {
    reference: { spec: ref.spec, model_id: ref.model.id }, bound: o.bound, greedy_share: o.greedyShare,
    pairs, passed: pairs.every((p) => p.verdict === "agrees"),
  };
}

/** The result as lines for the terminal. */
export function checkLines(r: CheckResult): string[] {
  const f = (x: number | null) => (x === null ? "—" : x.toExponential(2));
  const out = [
    `reference: ${r.reference.spec}   (bound ${r.bound} nats per token; greedy agreement ≥ ${(100 * r.greedy_share).toFixed(0)}%)`,
    "",
    "| model | items | tokens | max |Δ log p| | mean |Δ log p| | greedy same | verdict |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const p of r.pairs) {
    out.push(`| ${p.spec} | ${p.items} | ${p.tokens} | ${f(p.max_abs_logprob)} | ${f(p.mean_abs_logprob)} | ${p.greedy.identical}/${p.greedy.compared} | ${p.verdict} |`);
  }
  for (const p of r.pairs) {
    for (const why of p.reasons) out.push(`  ${p.spec}: ${why}`);
    if (p.greedy.first_divergence) out.push(`  ${p.spec}: first greedy divergence: item ${p.greedy.first_divergence.item}, at character ${p.greedy.first_divergence.char}`);
  }
  out.push("", r.passed ? "check: passed — the backends compute the same model within the bound" : "check: FAILED — some backend differs beyond the bound (see above)");
  return out;
}
