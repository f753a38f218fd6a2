/**
 * From a ledger's draft rows to verdicts (docs/PROBES.md §6). Two families are adjusted
 * across the ledger (Holm by default, or Benjamini–Hochberg): the difference tests
 * (H0: Δ = 0) and the equivalence tests (TOST, H0: |Δ| ≥ margin).
 *
 * Each row's interval is shown at the level its own adjusted test used,
 * 1 − α·p/p_adj (for Holm, α/(m − k + 1) at the row ranked k, up to the step-down's
 * monotone maximum), so the interval excludes 0 exactly when p_adj < α.
 *
 *   gained / lost   significant (p_adj < α) and the estimate is beyond the margin, in the
 *                   metric's good / bad direction
 *   negligible      significant, and the whole interval lies within ±margin: a real change
 *                   too small to matter (e.g. a KL drift of 1e-4 nats on many documents)
 *   equivalent      not significant, and the TOST p_adj < α: the change is shown to be
 *                   smaller than the margin (never "no significant difference"). Needs n ≥
 *                   MIN_EQUIVALENT_N and an interval of non-zero width (a sample with no
 *                   spread shows nothing about the population's).
 *   inconclusive    otherwise — including a significant change whose size is not yet clear
 *                   (the interval straddles the margin): more items needed
 */
import { confidenceInterval, pAdjust, type PAdjustMethod, type PairedInference } from "../stats/index.js";

export const VERDICTS = ["gained", "lost", "negligible", "equivalent", "inconclusive"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Fewer paired items than this are never "equivalent". */
export const MIN_EQUIVALENT_N = 10;

export interface VerdictInput {
  n: number;
  delta: number;
  margin: number;
  higherIsBetter: boolean;
  p: number;
  pTost: number;
  inference: PairedInference;
}

export interface Adjusted {
  pAdj: number;
  pTostAdj: number;
  /** The two-sided level of the row's interval: 1 − α·p/p_adj. */
  ciLevel: number;
  ciLow: number;
  ciHigh: number;
  significant: boolean;
  verdict: Verdict;
}

export function verdictOf(r: VerdictInput & Omit<Adjusted, "verdict">, alpha: number): Verdict {
  if (!(r.n > 0) || !Number.isFinite(r.pAdj) || !Number.isFinite(r.delta)) return "inconclusive";
  if (r.significant) {
    if (Math.abs(r.delta) > r.margin) return (r.delta > 0) === r.higherIsBetter ? "gained" : "lost";
    if (r.ciLow >= -r.margin && r.ciHigh <= r.margin) return "negligible";
    return "inconclusive";
  }
  const spread = r.ciHigh > r.ciLow && !r.inference.degenerate;
  if (r.pTostAdj < alpha && spread && r.n >= MIN_EQUIVALENT_N) return "equivalent";
  return "inconclusive";
}

/** The row's interval level from its raw and adjusted p: the level its own adjusted test used. */
function levelOf(p: number, pAdj: number, alpha: number, m: number): number {
  const a = Number.isFinite(p) && Number.isFinite(pAdj) && pAdj > 0 ? (alpha * p) / pAdj : alpha / Math.max(1, m);
  return 1 - Math.min(alpha, Math.max(a, Number.MIN_VALUE));
}

/** Adjust both families across the rows and read each row's verdict. */
export function adjustAndJudge<R extends VerdictInput>(rows: readonly R[], method: PAdjustMethod, alpha: number): (R & Adjusted)[] {
  const pAdj = pAdjust[method](rows.map((r) => (Number.isFinite(r.p) ? r.p : NaN)));
  const pTostAdj = pAdjust[method](rows.map((r) => (Number.isFinite(r.pTost) ? r.pTost : NaN)));
  const m = pAdj.filter((p) => Number.isFinite(p)).length;
  return rows.map((r, i) => {
    const ciLevel = levelOf(r.p, pAdj[i], alpha, m);
    const [ciLow, ciHigh] = Number.isFinite(r.p) ? confidenceInterval(r.inference, ciLevel) : [NaN, NaN];
    const adjusted = { pAdj: pAdj[i], pTostAdj: pTostAdj[i], ciLevel, ciLow, ciHigh, significant: pAdj[i] < alpha };
    return { ...r, ...adjusted, verdict: verdictOf({ ...r, ...adjusted }, alpha) };
  });
}
