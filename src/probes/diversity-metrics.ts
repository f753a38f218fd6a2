/**
 * Lexical diversity of a set of samples (one prompt, k samples), the surface measures
 * of Shypula et al. 2025 (arXiv 2504.12522; docs/PROBES.md §3). Pure functions:
 *
 *   distinct-n          distinct n-grams / total n-grams over the samples (Li et al. 2016,
 *                       arXiv 1510.03055); n-grams never cross a sample boundary
 *   distinct-n@W        distinct-n at a fixed budget of W n-grams: the expected distinct
 *                       fraction among W of the samples' n-grams drawn without replacement
 *                       (rarefaction, Hurlbert 1971; see distinctNAt)
 *   Gini–Simpson        the unbiased probability that two distinct samples, drawn without
 *                       replacement, differ (Simpson 1949; see giniSimpson)
 *   compression ratio   deflate-raw (zlib, level 9) size of the samples joined by "\n" /
 *                       their UTF-8 size; higher = less repetition = more diverse.
 *                       NOTE: the inverse of Shaib et al. 2024's CR (raw / compressed).
 *   self-BLEU           mean over samples of BLEU-4 of the sample against all the others
 *                       (Zhu et al. 2018, Texygen, arXiv 1802.01886); higher = the samples
 *                       repeat each other = LESS diverse
 *
 * Words: maximal runs of letters, digits and "_", and every other non-space character on
 * its own ("3+4=7" → 3 + 4 = 7), so terse and code-like text has words too.
 */
import { deflateRawSync } from "node:zlib";

/** Word tokens of a text (see the top comment). */
export function wordTokens(text: string): string[] {
  return text.match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? [];
}

/** The n-grams of one token list, each as one string key. */
function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join("\u0000"));
  return out;
}

function counts(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Distinct n-grams / total n-grams over the samples' word tokens; null when they have no n-gram at all. */
export function distinctN(samples: readonly string[], n: number): number | null {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`distinct-n: n must be an integer ≥ 1, got ${n}`);
  const all = samples.flatMap((s) => ngrams(wordTokens(s), n));
  return all.length === 0 ? null : new Set(all).size / all.length;
}

/**
 * distinct-n at a budget of `budget` n-grams: E[distinct among `budget` of the samples'
 * N n-grams drawn without replacement] / budget. Raw distinct-n falls as texts grow
 * (more n-grams, the same vocabulary), so two models that write at different lengths
 * differ in it mechanically; rarefied to one budget they do not (Hurlbert 1971, "The
 * nonconcept of species diversity", Ecology 52(4), eq. 14):
 *
 *   E[distinct] = Σ_g [1 − C(N − c_g, W) / C(N, W)]      c_g = the count of n-gram g
 *
 * Exact and deterministic (no seed, every sample counts the same whatever its position).
 * distinct-n depends on the n-gram counts alone, so this is its expectation on a W-n-gram
 * subsample. null when the samples have fewer than `budget` n-grams (too little text to
 * measure at this budget; never extrapolated).
 */
export function distinctNAt(samples: readonly string[], n: number, budget: number): number | null {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`distinct-n: n must be an integer ≥ 1, got ${n}`);
  if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`distinct-n@W: W must be an integer ≥ 1, got ${budget}`);
  const all = samples.flatMap((s) => ngrams(wordTokens(s), n));
  if (all.length < budget) return null;
  let expected = 0;
  for (const c of counts(all).values()) expected += 1 - missProbability(all.length, c, budget);
  return expected / budget;
}

/** C(N − c, W) / C(N, W): the chance that W draws without replacement from N miss all c copies; a stable product. */
function missProbability(total: number, copies: number, draws: number): number {
  if (total - copies < draws) return 0;
  let p = 1;
  for (let i = 0; i < draws; i++) p *= (total - copies - i) / (total - i);
  return p;
}

/** deflate-raw (level 9) bytes / raw UTF-8 bytes of the samples joined by "\n"; null when every sample is empty. */
export function compressionRatio(samples: readonly string[]): number | null {
  if (samples.every((s) => s.length === 0)) return null;
  const raw = Buffer.from(samples.join("\n"), "utf8");
  return deflateRawSync(raw, { level: 9 }).length / raw.length;
}

/** ε of smoothing method 1 (Chen & Cherry 2014): a precision with no match counts ε matches (as NLTK, 0.1). */
export const BLEU_EPSILON = 0.1;

/**
 * Sentence BLEU-4 of `hypothesis` against `references` (token lists), uniform weights,
 * clipped n-gram counts, the brevity penalty against the closest reference length (ties
 * to the shorter), and smoothing method 1 of Chen & Cherry 2014 (a precision p_n with no
 * matching n-gram becomes ε / its n-gram count). As NLTK's sentence_bleu: a precision's
 * denominator is at least 1, and no matching unigram at all gives 0. null for an empty
 * hypothesis or no references.
 */
export function bleu4(hypothesis: readonly string[], references: readonly (readonly string[])[]): number | null {
  if (hypothesis.length === 0 || references.length === 0) return null;
  let logSum = 0;
  for (let n = 1; n <= 4; n++) {
    const hyp = counts(ngrams(hypothesis, n));
    const maxRef = new Map<string, number>();
    for (const r of references) for (const [g, c] of counts(ngrams(r, n))) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
    let matches = 0;
    let total = 0;
    for (const [g, c] of hyp) {
      matches += Math.min(c, maxRef.get(g) ?? 0);
      total += c;
    }
    if (n === 1 && matches === 0) return 0;
    const denominator = Math.max(1, total);
    logSum += Math.log((matches === 0 ? BLEU_EPSILON : matches) / denominator) / 4;
  }
  const c = hypothesis.length;
  // the closest reference length; on a tie the shorter one
  const r = references.map((x) => x.length).reduce((best, len) => {
    const d = Math.abs(len - c) - Math.abs(best - c);
    return d < 0 || (d === 0 && len < best) ? len : best;
  });
  const brevity = c > r ? 1 : Math.exp(1 - r / c);
  return brevity * Math.exp(logSum);
}

/**
 * Mean over samples of BLEU-4 of each against all the others (word tokens); samples with
 * no words are references only. null with fewer than 2 samples or no sample with words.
 */
export function selfBleu(samples: readonly string[]): number | null {
  if (samples.length < 2) return null;
  const toks = samples.map(wordTokens);
  const scores: number[] = [];
  toks.forEach((hyp, i) => {
    const b = bleu4(hyp, toks.filter((_, j) => j !== i));
    if (b !== null) scores.push(b);
  });
  return scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length;
}

/**
 * The unbiased Gini–Simpson index of m labels (Simpson 1949, "Measurement of diversity",
 * Nature 163: 688): 1 − Σ_b c_b(c_b − 1) / (m(m − 1)), the probability that two distinct
 * samples drawn without replacement carry different labels. Its expectation is
 * 1 − Σ_b p_b² whatever m is, so a model that makes more samples valid is not marked
 * down for it (the share of distinct labels, distinct / m, falls as m grows: with 4
 * equally likely labels its mean is 0.875 at m = 2 and 0.45 at m = 8). 0 = all alike,
 * 1 = all different. null when m < 2 (no pair to compare).
 */
export function giniSimpson(keys: readonly string[]): number | null {
  const m = keys.length;
  if (m < 2) return null;
  let same = 0;
  for (const c of counts(keys).values()) same += c * (c - 1);
  return 1 - same / (m * (m - 1));
}
