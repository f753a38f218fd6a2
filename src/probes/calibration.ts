/**
 * Calibration of the answer's probability (docs/PROBES.md §3; fine-tuning often
 * shifts it). From the options' total log-probabilities as continuations of the rendered
 * prompt (the same requests as retention.ts, answered once by the request cache):
 *
 *   p_j         = softmax_j(log p(option_j | prompt))      the model's answer distribution
 *   confidence  proxy       max_j p_j: the probability of the option the model picks (ties
 *                           to the first); what fine-tuning on answers rewards, whether or
 *                           not the answer is right
 *   correct     the argmax is the gold option (0/1)
 *   accuracy    capability  correct, shared with knowledge.retention's closed-book (the
 *                           same requests, the same argmax): one ledger row, context for
 *                           brier and ece
 *   brier       capability  Σ_j (p_j − y_j)², y = one-hot gold (multi-class Brier score;
 *                           Brier 1950, "Verification of forecasts expressed in terms of
 *                           probability"), 0 … 2, lower is better
 *   ece         capability  expected calibration error over the item set (Guo et al. 2017,
 *                           "On Calibration of Modern Neural Networks", arXiv 1706.04599):
 *                           M = 10 equal-width confidence bins B_m = ((m−1)/M, m/M] (a
 *                           confidence of exactly 0 joins the first),
 *                           ECE = Σ_m (|B_m|/N)·|acc(B_m) − conf(B_m)|
 *
 * ECE is set-level, so it is an `aggregate` of the records' values `confidence` and
 * `correct` (`correct` is not declared as a metric; its row is `accuracy`).
 *
 * NOTE: the option accuracy used to be calibration's only proxy, and it is `shared`
 * with retention's closed-book, whose row the ledger keeps: calibration then had no
 * proxy row of its own and could never show a hidden trade. Its proxy is now
 * `confidence`, which no other probe reports: a fine-tune that grew surer (confidence
 * gained) while its probabilities grew less honest (brier or ece lost) is flagged. The
 * accuracy stays shared (one measurement, counted once in the adjustment), with the role
 * closed-book has — capability — so the row means the same whichever of the two probes
 * an audit selects. The records are unchanged (confidence was always stored), so the
 * version stays: stored runs resume and their ledgers gain the confidence row.
 * NOTE: the options are the whole answer space here, so p is a distribution over them,
 * not the model's probability of the answer among all strings; with K options the
 * confidence is at least 1/K.
 * An item where prompt + some option does not fit the model's context has no
 * distribution: its values are null with a note (it leaves the ECE's bins too).
 */
import type { Item } from "./item.js";
import type { ItemRecord, MetricValues, Probe } from "./probe.js";
import { argmaxFirst, hasOptions, optionLogprobs, optionsProblem, optionsUnfitNote } from "./options.js";

/** Confidence bins of the ECE (Guo et al. use M = 10 and equal widths). */
export const CALIBRATION_BINS = 10;

/** softmax of total log-probabilities, stable; undefined when none is finite. */
export function softmax(logprobs: readonly number[]): number[] | undefined {
  const top = Math.max(...logprobs);
  if (!Number.isFinite(top)) return undefined;
  const w = logprobs.map((lp) => Math.exp(lp - top));
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / z);
}

/** Multi-class Brier score Σ_j (p_j − y_j)² of distribution p against gold index g. */
export function brierScore(p: readonly number[], g: number): number {
  return p.reduce((s, pj, j) => s + (pj - (j === g ? 1 : 0)) ** 2, 0);
}

/** The bin of a confidence in [0, 1]: ((m−1)/M, m/M] as Guo et al., 0 in the first. */
export function binOf(confidence: number, bins = CALIBRATION_BINS): number {
  let b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1));
  // correct the float product at the edges so the comparisons are against b/M itself
  if (b > 0 && confidence <= b / bins) b--;
  else if (b < bins - 1 && confidence > (b + 1) / bins) b++;
  return b;
}

/** One point of the calibration (reliability) curve. */
export interface ReliabilityBin {
  /** The bin's confidence interval (lower, upper]. */
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence and accuracy of its items; null when the bin is empty. */
  confidence: number | null;
  accuracy: number | null;
}

/** The records' confidence/correct pairs, skipping those where either is null. */
function pairsOf(records: readonly MetricValues[]): { confidence: number; correct: number }[] {
  const out: { confidence: number; correct: number }[] = [];
  for (const r of records) {
    const confidence = r.confidence;
    const correct = r.correct;
    if (typeof confidence === "number" && typeof correct === "number") out.push({ confidence, correct });
  }
  return out;
}

/** The calibration curve: every bin, empty ones with count 0 and null means. */
export function reliabilityBins(records: readonly MetricValues[], bins = CALIBRATION_BINS): ReliabilityBin[] {
  const sums = Array.from({ length: bins }, () => ({ count: 0, confidence: 0, correct: 0 }));
  for (const { confidence, correct } of pairsOf(records)) {
    const s = sums[binOf(confidence, bins)];
    s.count++;
    s.confidence += confidence;
    s.correct += correct;
  }
  return sums.map((s, b) => ({
    lower: b / bins, upper: (b + 1) / bins, count: s.count,
    confidence: s.count ? s.confidence / s.count : null, accuracy: s.count ? s.correct / s.count : null,
  }));
}

/** ECE = Σ_m (|B_m|/N)·|acc(B_m) − conf(B_m)|; NaN when no record has a confidence (too little data, never 0). */
export function expectedCalibrationError(records: readonly MetricValues[], bins = CALIBRATION_BINS): number {
  const curve = reliabilityBins(records, bins);
  const n = curve.reduce((s, b) => s + b.count, 0);
  if (n === 0) return Number.NaN;
  return curve.reduce((s, b) => (b.count ? s + (b.count / n) * Math.abs(b.accuracy! - b.confidence!) : s), 0);
}

function record(item: Item, logprobs: number[] | null, unfit?: Error): ItemRecord {
  const options = item.options ?? [];
  const empty = { confidence: null, correct: null, accuracy: null, brier: null };
  const problem = optionsProblem(item);
  if (problem !== undefined) return { itemId: item.id, values: empty, note: problem, detail: { options, logprobs } };
  if (logprobs === null) {
    return { itemId: item.id, values: empty, note: `accuracy, brier and confidence are null: ${optionsUnfitNote(unfit)}`, detail: { options, logprobs } };
  }
  const p = softmax(logprobs);
  if (!p) return { itemId: item.id, values: empty, note: "no option has a finite log-probability", detail: { options, logprobs } };
  const best = argmaxFirst(p);
  const g = options.indexOf(item.answer);
  const correct = best === g ? 1 : 0;
  return {
    itemId: item.id,
    values: { confidence: p[best], correct, accuracy: correct, brier: brierScore(p, g) },
    detail: { options, p, chosen: options[best], gold: item.answer },
  };
}

export const calibrationProbe: Probe = {
  id: "calibration",
  version: 1,
  title: "Calibration",
  description:
    "When the model is 80% sure of an answer, is it right about 80% of the time? Expected calibration error and Brier score of its probabilities over the answer options, against its plain accuracy.",
  reference: "Guo et al. 2017, On Calibration of Modern Neural Networks (arXiv 1706.04599) for ECE; Brier 1950 for the Brier score",
  metrics: [
    {
      name: "confidence", role: "proxy", kind: "continuous", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "Probability the model puts on the option it picks (max over the options' softmax): how sure it is, right or wrong.",
    },
    {
      // the same argmax-over-options measurement as knowledge.retention's closed-book, with its role: one ledger row (probe.ts `shared`)
      shared: "option-ranking-accuracy",
      name: "accuracy", role: "capability", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "The most probable option (ties to the first) is the gold one (shared with knowledge.retention's closed-book; context for brier and ece).",
    },
    {
      name: "brier", role: "capability", kind: "continuous", higherIsBetter: false, unit: "number", margin: 0.02,
      description: "Multi-class Brier score Σ_j (p_j − y_j)² of the option probabilities against the one-hot gold (0 … 2).",
    },
    {
      name: "ece", role: "capability", kind: "continuous", higherIsBetter: false, unit: "share", margin: 0.02,
      description: "Expected calibration error: over 10 equal-width confidence bins, the item-weighted mean |accuracy − confidence|.",
      aggregate: (records) => expectedCalibrationError(records),
    },
  ],
  applies: hasOptions,
  async *run(model, items, ctx) {
    for (let i = 0; i < items.length; i += ctx.batchSize) {
      const batch = items.slice(i, i + ctx.batchSize);
      const unfit = new Map<number, Error>();
      const logprobs = await optionLogprobs(model, batch, ctx, (j, e) => unfit.set(j, e));
      for (const [j, item] of batch.entries()) yield record(item, logprobs[j], unfit.get(j));
    }
  },
};
