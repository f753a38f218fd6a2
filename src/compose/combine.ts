/**
 * Emulated fine-tuning at one position (Mitchell et al. 2023, "An Emulator for Fine-Tuning
 * Large-Scale Language Models", arXiv 2310.12962, eq. 3; proxy-tuning, Liu et al. 2024, arXiv
 * 2401.08565): the large base's distribution reweighted by the small model's fine-tuning change,
 *
 *   log p̃(x) = log p_base(x) + β · (log p_tuned(x) − log p_ref(x)) − log Z,
 *
 * renormalised over the vocabulary. β = 0 is the base; β = 1 with base = ref is the tuned model.
 * All arithmetic in float64.
 */

/** Composed log-probabilities over the full vocabulary (fresh array). */
export function composeLogprobs(base: ArrayLike<number>, tuned: ArrayLike<number>, ref: ArrayLike<number>, beta: number): Float64Array {
  const V = base.length;
  if (tuned.length !== V || ref.length !== V) throw new Error(`composeLogprobs: vocabularies of ${V}, ${tuned.length} and ${ref.length} entries`);
  const out = new Float64Array(V);
  let max = -Infinity;
  for (let i = 0; i < V; i++) {
    out[i] = base[i] + shift(tuned[i], ref[i], beta);
    if (out[i] > max) max = out[i];
  }
  return normalise(out, max);
}

/**
 * β · (log p_tuned − log p_ref). NOTE: where both are −∞ (a token neither small model can
 * produce) the change is 0, not NaN; β = 0 contributes nothing even there.
 */
function shift(t: number, r: number, beta: number): number {
  if (beta === 0) return 0;
  if (t === -Infinity && r === -Infinity) return 0;
  return beta * (t - r);
}

/** Subtract log Σ exp(x) in place (max-shifted), return x. */
function normalise(x: Float64Array, max: number): Float64Array {
  if (max === -Infinity) return x.fill(NaN); // nothing has mass: undefined, never uniform
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  const logZ = max + Math.log(sum);
  for (let i = 0; i < x.length; i++) x[i] -= logZ;
  return x;
}

/** One model's top-k next-token list (an OpenAI-compatible server's `top_logprobs`), by token text. */
export type TopK = ReadonlyMap<string, number>;

export interface TopKComposition {
  /** Composed log-probabilities over the union of the three top-k lists, normalised over that union. */
  entries: { token: string; logprob: number }[];
  /** Probability mass outside each model's returned list: 1 − Σ p over it (what top-k leaves unseen). */
  missing: { base: number; tuned: number; ref: number };
  /**
   * The share of the composed mass on tokens where some model's log-prob was not returned and a
   * stand-in was used (0 when every model returned every token of the union).
   */
  standIn: number;
}

/**
 * EFT when only each model's top-k is known (vLLM caps `max_logprobs` at 20 by default): the
 * union of the three lists, normalised over the union; a token absent from a model's list gets
 * that list's smallest log-prob (the most it can have, an upper bound on its true value).
 * NOTE: this is an approximation with no exact error bound — a token the reference model ranks
 * low but does not return could be under-weighted without limit — so the result carries what
 * can be measured: each model's unseen mass and the composed mass that rests on stand-ins.
 */
export function composeTopK(base: TopK, tuned: TopK, ref: TopK, beta: number): TopKComposition {
  const union = [...new Set([...base.keys(), ...tuned.keys(), ...ref.keys()])];
  const floor = (m: TopK) => Math.min(...m.values());
  const fb = floor(base), ft = floor(tuned), fr = floor(ref);
  const scores = new Float64Array(union.length);
  const stoodIn = new Uint8Array(union.length);
  let max = -Infinity;
  union.forEach((tok, i) => {
    scores[i] = (base.get(tok) ?? fb) + shift(tuned.get(tok) ?? ft, ref.get(tok) ?? fr, beta);
    stoodIn[i] = +(!base.has(tok) || (beta !== 0 && (!tuned.has(tok) || !ref.has(tok))));
    if (scores[i] > max) max = scores[i];
  });
  normalise(scores, max);
  let standIn = 0;
  union.forEach((_, i) => {
    if (stoodIn[i]) standIn += Math.exp(scores[i]);
  });
  const missing = (m: TopK) => Math.max(0, 1 - [...m.values()].reduce((a, x) => a + Math.exp(x), 0));
  return {
    entries: union.map((token, i) => ({ token, logprob: scores[i] })).sort((a, b) => b.logprob - a.logprob),
    missing: { base: missing(base), tuned: missing(tuned), ref: missing(ref) },
    standIn,
  };
}
