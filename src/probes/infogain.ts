/**
 * InfoGain of reasoning steps (docs/PROBES.md §3; Wu et al. 2025, *Knowledge
 * or Reasoning?*, arXiv 2506.02126): how much, on average, each step of the audited
 * model's own chain of thought reduces a FIXED scorer's uncertainty about the gold answer.
 *
 * 1. The audited model writes its greedy chain (cot.ts): steps s_1..s_n, then its answer.
 * 2. For i = 0..n the scorer (ctx.scorer: the base in its own format, the same for every
 *    audited model, so the scorer does not drift) scores the gold answer after
 *    scorer.render(question) + s_≤i (each step ended by "\n") + "Answer: ":
 *    NLL_i = −log p(gold answer | question, s_≤i), over the answer tokens only.
 * 3. InfoGain = (NLL_0 − NLL_n) / (n + 1), in nats.
 *
 * NOTE: when the scorer's prompt with some prefix of the chain does not fit the scorer's
 * context, the curve is incomplete and InfoGain is null with a note.
 * NOTE: scoring moves the prompt's trailing whitespace onto the continuation
 * (backends/boundary.ts), so the cue's space is scored with the answer; it is the same
 * token at every i, and near-certain after "Answer:", so it barely moves the difference.
 */
import type { LanguageModel } from "../backends/index.js";
import { COT_ACCURACY, type Measured, type UsableCot, answerAfter, appliesToReasoning, cotRecords, misfitCollector } from "./cot.js";
import type { Item } from "./item.js";
import type { ItemRecord, Probe, ProbeContext } from "./probe.js";
import { contextNote, scoreFitting } from "./respond.js";

/** (NLL_0 − NLL_n) / (n + 1) of an NLL curve NLL_0..NLL_n. */
export function infoGain(nll: readonly number[]): number {
  if (nll.length === 0) throw new RangeError("infoGain needs NLL_0..NLL_n, got an empty curve");
  return (nll[0] - nll[nll.length - 1]) / nll.length;
}

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
        values: { infogain: null },
        note: `infogain is null: ${contextNote(what, error, "the scorer's")} (NLL_i missing for i = ${missing.join(", ")})`,
        detail: { nll: got.map((s) => (s === null ? null : Number((-s.logprob).toFixed(4)))) },
      };
    }
    const nll = got.map((s) => -s!.logprob);
    if (!nll.every(Number.isFinite)) {
      return { values: { infogain: null }, note: "the scorer gave a non-finite log-probability for the gold answer", detail: { nll: nll.map(String) } };
    }
    return { values: { infogain: infoGain(nll) }, detail: { nll: nll.map((x) => Number(x.toFixed(4))) } };
  });
}

export const infogainProbe: Probe = {
  id: "reasoning.infogain",
  version: 1,
  title: "InfoGain of reasoning steps",
  description:
    "How much each step of the model's own reasoning makes a fixed reference model more sure of the correct answer, on average. " +
    "Steps that only look like reasoning add little.",
  reference: "Wu et al. 2025, Knowledge or Reasoning? (arXiv 2506.02126); docs/PROBES.md §3 reasoning.infogain",
  metrics: [
    COT_ACCURACY,
    {
      name: "infogain",
      role: "capability",
      kind: "continuous",
      higherIsBetter: true,
      unit: "nats",
      description: "(NLL_0 − NLL_n)/(n+1): the fixed scorer's loss on the gold answer, before any step minus after all n steps, per step.",
      margin: 0.02,
    },
  ],
  applies: appliesToReasoning,
  run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord> {
    return cotRecords(model, items, ctx, ["infogain"], (cots) => measure(cots, ctx));
  },
};
