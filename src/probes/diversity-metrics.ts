/**
 * Lexical diversity of a set of samples (one prompt, k samples), the surface measures
 * of Shypula et al. 2025 (arXiv 2504.12522; docs/PROBES.md §3). Pure functions:
 *
 *   distinct-n          distinct n-grams / total n-grams over the samples (Li et al. 2016,
 *                       arXiv 1510.03055); n-grams never cross a sample boundary
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

/** Distinct values / all values (1 = every sample different); null when there are none. */
export function shareDistinct(keys: readonly string[]): number | null {
  return keys.length === 0 ? null : new Set(keys).size / keys.length;
}
