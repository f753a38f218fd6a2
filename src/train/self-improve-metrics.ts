/**
 * What a self-improvement round measured (Song et al. 2024, "Mind the Gap", arXiv 2412.02674,
 * §2–§3), from its samples (self-improve-sample.ts); one line of the loop's metrics.jsonl:
 *
 *   genUtility        share of the samples the world's verifier accepts (gen_util)
 *   selfAccept        share the model itself accepts (log p(" Yes") > log p(" No"))
 *   verifUtility      share correct among the self-accepted samples (verif_util), null if none
 *   gap               relative generation-verification gap: the mean over items of
 *                     (verif_util − gen_util) / (1 − gen_util), over the items where it is
 *                     defined (gen_util < 1 and a sample accepted) — as the audit's
 *                     self-verification.gap probe defines it per item; gapItems counts them
 *   gapPooled         the same ratio from the pooled shares
 *   verifierAccuracy  share of samples where the model's verdict agrees with the verifier
 *   kept, keptCorrect what this arm's filter kept and the share of it that is correct
 *   distinctAnswers   mean over items of the number of distinct final answers among its k
 *                     samples (no Answer line counts as one more answer); diversity
 *   formatEntropy     entropy (bits) of the solution classes over all samples; formats: their shares
 *
 * The self metrics are measured in both arms: the external arm keeps by the verifier, and
 * still shows how well the model it trains would have judged itself.
 */
import { SOLUTION_CLASSES, solutionClassOf } from "../world/index.js";
import { selfAccepts, type RoundSample } from "./self-improve-sample.js";

export interface RoundMetrics {
  samples: number;
  items: number;
  genUtility: number;
  selfAccept: number;
  verifUtility: number | null;
  gap: number | null;
  gapItems: number;
  gapPooled: number | null;
  verifierAccuracy: number;
  unscored: number;
  truncated: number;
  kept: number;
  keptCorrect: number | null;
  distinctAnswers: number;
  formatEntropy: number;
  formats: Record<string, number>;
}

const share = (xs: readonly boolean[]): number => (xs.length === 0 ? 0 : xs.filter(Boolean).length / xs.length);
const ANSWER = /^Answer: (0|[1-9][0-9]*)[ \t\r]*$/m;

/** (verif − gen) / (1 − gen), or null where nothing can be gained or nothing was accepted. */
export function relativeGap(gen: number, verif: number | null): number | null {
  return gen === 1 || verif === null ? null : (verif - gen) / (1 - gen);
}

export function roundMetrics(samples: readonly RoundSample[], kept: readonly boolean[]): RoundMetrics {
  const byItem = new Map<string, RoundSample[]>();
  for (const s of samples) byItem.set(s.item, [...(byItem.get(s.item) ?? []), s]);
  const gaps: number[] = [];
  let distinct = 0;
  for (const group of byItem.values()) {
    const accepted = group.filter(selfAccepts);
    const g = relativeGap(share(group.map((s) => s.correct)), accepted.length ? share(accepted.map((s) => s.correct)) : null);
    if (g !== null) gaps.push(g);
    distinct += new Set(group.map((s) => ANSWER.exec(s.text)?.[1] ?? "none")).size;
  }
  const accepted = samples.filter(selfAccepts);
  const gen = share(samples.map((s) => s.correct));
  const verif = accepted.length ? share(accepted.map((s) => s.correct)) : null;
  const counts: Record<string, number> = Object.fromEntries(SOLUTION_CLASSES.map((f) => [f, 0]));
  for (const s of samples) counts[solutionClassOf(s.text)]++;
  const formats = Object.fromEntries(Object.entries(counts).map(([f, n]) => [f, n / Math.max(1, samples.length)]));
  const entropy = -Object.values(formats).reduce((h, p) => h + (p > 0 ? p * Math.log2(p) : 0), 0);
  const keptSamples = samples.filter((_, i) => kept[i]);
  return {
    samples: samples.length,
    items: byItem.size,
    genUtility: gen,
    selfAccept: accepted.length / Math.max(1, samples.length),
    verifUtility: verif,
    gap: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null,
    gapItems: gaps.length,
    gapPooled: relativeGap(gen, verif),
    verifierAccuracy: share(samples.map((s) => selfAccepts(s) === s.correct)),
    unscored: samples.filter((s) => s.yes === null).length,
    truncated: samples.filter((s) => s.truncated).length,
    kept: keptSamples.length,
    keptCorrect: keptSamples.length ? share(keptSamples.map((s) => s.correct)) : null,
    distinctAnswers: distinct / Math.max(1, byItem.size),
    formatEntropy: entropy === 0 ? 0 : entropy,
    formats,
  };
}
