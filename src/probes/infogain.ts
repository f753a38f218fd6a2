/**
 * InfoGain of reasoning steps (docs/PROBES.md §3; Wu et al. 2025, *Knowledge
 * or Reasoning?*, arXiv 2506.02126): how much each step of the audited model's own chain
 * of thought reduces a FIXED scorer's uncertainty about the gold answer.
 *
 * 1. The audited model writes its greedy chain (cot.ts): steps s_1..s_n, then its answer.
 * 2. For i = 0..n the scorer (ctx.scorer: the base in its own format, the same for every
 *    audited model, so the scorer does not drift) scores the gold answer after
 *    scorer.render(question) + s_≤i (each step ended by "\n") + "Answer: ":
 *    NLL_i = −log p(gold answer | question, s_≤i), over the answer tokens only.
 * 3. Step i's gain g_i = NLL_{i−1} − NLL_i (Wu et al.'s per-step InfoGain).
 * 4. The ANSWER STEP is the first step that states the gold answer as its final result:
 *    its last number equals the gold answer (a numeric gold; in every world arithmetic
 *    format a step writes its result last, so a correct chain's last step), or, for a
 *    gold that is not a number, its text (trailing spaces and "." dropped) ends with the
 *    gold answer as a whole word. Once the answer is written in the context the scorer
 *    can copy it, so that step's gain (and any after it) says nothing about whether the
 *    reasoning informed it. A chain with no such step (a wrong chain) keeps every step.
 * 5. The rows, each its own metric:
 *      mean-step-gain       mean g_i over the steps before the answer step
 *      uninformative-share  share of those steps with g_i ≤ 0
 *      total-gain           NLL_0 − NLL_n (every step, the answer step included)
 *      chain-length         n, context for the others
 *    mean-step-gain and uninformative-share are null (with a note) when no step comes
 *    before the answer step (a one-step chain that states the answer at once).
 *
 * NOTE: the headline used to be (NLL_0 − NLL_n)/(n + 1), a telescoping sum whose value is
 * set by the last step — the one that writes the answer — so a chain of filler followed by
 * the answer scored like a chain whose every step helps. mean-step-gain separates the two:
 * it is ≈ 0 for the first and the common step gain for the second, while total-gain is
 * large for both.
 * NOTE: when the scorer's prompt with some prefix of the chain does not fit the scorer's
 * context, the curve is incomplete and every value but chain-length is null with a note.
 * NOTE: scoring moves the prompt's trailing whitespace onto the continuation
 * (backends/boundary.ts), so the cue's space is scored with the answer; it is the same
 * token at every i, and near-certain after "Answer:", so it barely moves the differences.
 */
import type { LanguageModel } from "../backends/index.js";
import { COT_ACCURACY, type Measured, type UsableCot, answerAfter, appliesToReasoning, cotRecords, misfitCollector } from "./cot.js";
import type { Item } from "./item.js";
import type { ItemRecord, MetricSpec, Probe, ProbeContext } from "./probe.js";
import { contextNote, scoreFitting } from "./respond.js";

const CAPABILITIES = ["mean-step-gain", "uninformative-share", "total-gain", "chain-length"] as const;

/** Gains g_1..g_n of an NLL curve NLL_0..NLL_n: g_i = NLL_{i−1} − NLL_i. */
export function stepGains(nll: readonly number[]): number[] {
  if (nll.length === 0) throw new RangeError("stepGains needs NLL_0..NLL_n, got an empty curve");
  return nll.slice(1).map((x, i) => nll[i] - x);
}

/** A number as steps write it: digits, optional thousands groups and decimals, an optional sign. */
const NUMBER = /-?\d+(?:,\d{3})*(?:\.\d+)?/g;
const NUMERIC_GOLD = /^-?\d+(?:,\d{3})*(?:\.\d+)?$/;

/** Does `step` state `gold` as its final result (step 4 above)? */
export function statesAnswer(step: string, gold: string): boolean {
  const answer = gold.trim();
  if (NUMERIC_GOLD.test(answer)) {
    const numbers = step.match(NUMBER);
    if (!numbers) return false;
    return Number(numbers[numbers.length - 1].replace(/,/g, "")) === Number(answer.replace(/,/g, ""));
  }
  if (answer === "") return false;
  const text = step.trimEnd().replace(/\.$/, "").trimEnd();
  if (!text.endsWith(answer)) return false;
  const before = text.slice(0, text.length - answer.length);
  return before === "" || /[^\p{L}\p{N}_]$/u.test(before);
}

/** The 1-based index of the answer step, or undefined when no step states the gold answer. */
export function answerStepOf(steps: readonly string[], gold: string): number | undefined {
  const at = steps.findIndex((s) => statesAnswer(s, gold));
  return at < 0 ? undefined : at + 1;
}

export interface StepGainSummary {
  meanStepGain: number | null;
  uninformativeShare: number | null;
  totalGain: number;
  /** 1-based; undefined when no step states the answer (every step counts). */
  answerStep: number | undefined;
}

/** The rows of step 5 from the curve NLL_0..NLL_n and the chain's steps s_1..s_n. */
export function summariseGains(nll: readonly number[], steps: readonly string[], gold: string): StepGainSummary {
  if (nll.length !== steps.length + 1) throw new RangeError(`an NLL curve of ${nll.length} points for ${steps.length} steps`);
  const gains = stepGains(nll);
  const answerStep = answerStepOf(steps, gold);
  const before = answerStep === undefined ? gains : gains.slice(0, answerStep - 1);
  const totalGain = nll[0] - nll[nll.length - 1];
  if (before.length === 0) return { meanStepGain: null, uninformativeShare: null, totalGain, answerStep };
  return {
    meanStepGain: before.reduce((a, b) => a + b, 0) / before.length,
    uninformativeShare: before.filter((g) => g <= 0).length / before.length,
    totalGain,
    answerStep,
  };
}

const round = (x: number) => Number(x.toFixed(4));

/** The gain values of a chain whose NLL curve is incomplete or not finite (chain-length is still known). */
const unscored = { "mean-step-gain": null, "uninformative-share": null, "total-gain": null };

async function measure(cots: readonly UsableCot[], ctx: ProbeContext): Promise<Measured[]> {
  const { model: scorer, render } = ctx.scorer;
  const reqs = cots.flatMap((c) => {
    const rendered = render(c.item.prompt);
    return Array.from({ length: c.steps.length + 1 }, (_, i) => ({ prompt: answerAfter(rendered, c.steps, i), continuation: c.item.answer }));
  });
  const misfits = misfitCollector();
  const scores = await scoreFitting(scorer, reqs, Math.max(1, ctx.batchSize), misfits.on);
  let at = 0;
  return cots.map((c) => {
    const from = at;
    const got = scores.slice(at, at + c.steps.length + 1);
    at += c.steps.length + 1;
    const missing = got.flatMap((s, i) => (s === null ? [i] : []));
    if (missing.length > 0) {
      const error = misfits.errors.get(from + missing[0]);
      const what = `the scorer's prompt with the first ${missing[0]} step(s) of the chain of thought and the gold answer`;
      return {
        values: { ...unscored, "chain-length": c.steps.length },
        note: `step gains are null: ${contextNote(what, error, "the scorer's")} (NLL_i missing for i = ${missing.join(", ")})`,
        detail: { nll: got.map((s) => (s === null ? null : round(-s.logprob))) },
      };
    }
    const nll = got.map((s) => -s!.logprob);
    if (!nll.every(Number.isFinite)) {
      return { values: { ...unscored, "chain-length": c.steps.length }, note: "step gains are null: the scorer gave a non-finite log-probability for the gold answer", detail: { nll: nll.map(String) } };
    }
    return gainsRecord(nll, c);
  });
}

/** One chain's values from its complete, finite NLL curve. */
function gainsRecord(nll: readonly number[], c: UsableCot): Measured {
  const g = summariseGains(nll, c.steps, c.item.answer);
  const measured: Measured = {
    values: { "mean-step-gain": g.meanStepGain, "uninformative-share": g.uninformativeShare, "total-gain": g.totalGain, "chain-length": c.steps.length },
    detail: { nll: nll.map(round), gains: stepGains(nll).map(round), answerStep: g.answerStep ?? null },
  };
  if (g.meanStepGain === null) measured.note = "mean-step-gain and uninformative-share are null: the first step already states the answer, so no step comes before it";
  return measured;
}

const METRICS: readonly MetricSpec[] = [
  {
    name: "mean-step-gain", role: "capability", kind: "continuous", higherIsBetter: true, unit: "nats", margin: 0.02,
    description: "Mean over the steps before the one that states the answer of NLL_{i−1} − NLL_i: how much each reasoning step makes the fixed scorer surer of the gold answer.",
  },
  {
    name: "uninformative-share", role: "capability", kind: "continuous", higherIsBetter: false, unit: "share", margin: 0.05,
    description: "Share of the steps before the one that states the answer whose gain NLL_{i−1} − NLL_i is ≤ 0 (the step did not make the gold answer more likely).",
  },
  {
    name: "total-gain", role: "capability", kind: "continuous", higherIsBetter: true, unit: "nats", margin: 0.05,
    description: "NLL_0 − NLL_n: the fixed scorer's loss on the gold answer before any step minus after the whole chain, answer step included.",
  },
  {
    name: "chain-length", role: "capability", kind: "continuous", higherIsBetter: true, unit: "number", margin: 0.2,
    description: "Number of reasoning steps n. Context for the step-gain rows (a shorter chain has fewer steps to be informative), not a capability in itself.",
  },
];

export const infogainProbe: Probe = {
  id: "reasoning.infogain",
  // 2: infogain ((NLL_0 − NLL_n)/(n+1)) replaced by mean-step-gain, uninformative-share, total-gain and chain-length
  version: 2,
  title: "InfoGain of reasoning steps",
  description:
    "How much each step of the model's own reasoning makes a fixed reference model more sure of the correct answer, on average. " +
    "Steps that only look like reasoning add little.",
  reference: "Wu et al. 2025, Knowledge or Reasoning? (arXiv 2506.02126); docs/PROBES.md §3 reasoning.infogain",
  metrics: [COT_ACCURACY, ...METRICS],
  applies: appliesToReasoning,
  run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord> {
    return cotRecords(model, items, ctx, CAPABILITIES, (cots) => measure(cots, ctx));
  },
};
