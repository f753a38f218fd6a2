/**
 * A claim's verdict from its pooled effect (docs/CLAIMS.md, "How a claim is judged").
 *
 * The effect is Δ = tuned − reference of the claim's metric, pooled over fine-tuning seeds and
 * items (contrast.ts: the crossed bootstrap over seeds × item clusters, every test also
 * passed by a t test on the per-seed Δ_s, src/stats seed-t.ts). The claim predicts a direction and names the smallest effect that counts, the
 * margin m. With s = +1 for a predicted increase and −1 for a decrease, and the effect in
 * the predicted direction e = s·Δ:
 *
 *   reproduced       significant (two-sided p < α) and e > m
 *   contradicted     significant and e < −m: the other direction, by more than the margin
 *   not reproduced   equivalent to zero within ±m (TOST p < α, Schuirmann 1987): the effect
 *                    is shown to be smaller than the smallest that counts
 *   inconclusive     otherwise: too few items or seeds to tell, or an estimate beyond the
 *                    margin whose interval still reaches zero
 *   not runnable     the lab cannot run the experiment (a recipe or probe is missing); the
 *                    reason is stated and no stand-in is measured
 *
 * The rule is the ledger's (src/audit verdict: gained/lost/equivalent) read against a
 * predicted direction, so a claim and an audit row never disagree on the same numbers.
 */
import { confidenceInterval, tostP, twoSidedP, type PairedInference } from "../stats/index.js";

export const CLAIM_VERDICTS = ["reproduced", "contradicted", "not reproduced", "inconclusive", "not runnable"] as const;
export type ClaimVerdict = (typeof CLAIM_VERDICTS)[number];

/** Fewer paired items than this never show equivalence (the ledger's rule). */
export const MIN_EQUIVALENCE_ITEMS = 10;

export interface Prediction {
  /** The direction the paper reports for Δ = tuned − base. */
  direction: "increase" | "decrease";
  /** The smallest |Δ| that counts, in the metric's unit (> 0). */
  margin: number;
}

export interface JudgedEffect {
  verdict: Exclude<ClaimVerdict, "not runnable">;
  estimate: number;
  /** The (1 − α) interval of Δ. */
  ciLow: number;
  ciHigh: number;
  p: number;
  pTost: number;
  /** Why the verdict is inconclusive for want of data (too few items, seeds …); absent otherwise. */
  problem?: string;
}

export function judgeEffect(inf: PairedInference, prediction: Prediction, alpha = 0.05): JudgedEffect {
  if (!(prediction.margin > 0)) throw new RangeError(`a claim's margin must be > 0, got ${prediction.margin}`);
  const estimate = inf.estimate;
  if (inf.problem) return { verdict: "inconclusive", estimate, ciLow: NaN, ciHigh: NaN, p: NaN, pTost: NaN, problem: inf.problem };
  const p = twoSidedP(inf);
  const pTost = tostP(inf, prediction.margin);
  const [ciLow, ciHigh] = confidenceInterval(inf, 1 - alpha);
  const e = (prediction.direction === "increase" ? 1 : -1) * estimate;
  const judged = (verdict: JudgedEffect["verdict"]): JudgedEffect => ({ verdict, estimate, ciLow, ciHigh, p, pTost });
  if (p < alpha && e > prediction.margin) return judged("reproduced");
  if (p < alpha && e < -prediction.margin) return judged("contradicted");
  if (pTost < alpha && !inf.degenerate && inf.n >= MIN_EQUIVALENCE_ITEMS) return judged("not reproduced");
  return judged("inconclusive");
}
