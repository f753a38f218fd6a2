/**
 * Knowledge retention (PROBES.md claim 1; Mitchell et al. 2023, "An Emulator for
 * Fine-Tuning Large-Scale Language Models", arXiv 2310.12962): pre-training buys
 * knowledge, fine-tuning buys behaviour. On the same multiple-choice items:
 *
 *   closed-book        capability  likelihood ranking (lm-evaluation-harness "acc"): each
 *                                  option scored as the continuation of the rendered
 *                                  prompt, the highest total log-probability wins (ties go
 *                                  to the first option); 1 iff it is the gold option. Sees
 *                                  knowledge the model holds even when it no longer says it.
 *   compliance         proxy       the greedy answer is exactly one of the options: the
 *                                  answer format fine-tuning is rewarded for.
 *   generated-correct  capability  the greedy answer equals the gold option.
 *
 * The greedy answer is read where judge.ts reads it: the first line of a direct response,
 * or the text after `Answer:` for a reasoning item (expectsReasoning) — a departure from
 * "first line" only for items with gold steps, whose first line is a step.
 * NOTE: the total (not per-character) log-probability favours short options, the same for
 * base and tuned, so the paired comparison stays fair (as ranking-accuracy.ts).
 */
import type { LanguageModel, ScoreRequest } from "../backends/index.js";
import { inBatches } from "./frame.js";
import { expectsReasoning, isReference, type Item } from "./item.js";
import { answerOf } from "./judge.js";
import type { ItemRecord, Probe, ProbeContext } from "./probe.js";
import { greedyResponses } from "./respond.js";

/** An item the option probes (retention, calibration) measure: a question with two or more options. */
export function hasOptions(item: Item): boolean {
  return !isReference(item) && item.options !== undefined && item.options.length >= 2;
}

/** Why an item's options cannot be ranked against its gold answer, or undefined. */
export function optionsProblem(item: Item): string | undefined {
  if (!item.options || item.options.length < 2) return "the item has fewer than two options";
  if (!item.options.includes(item.answer)) return `the gold answer "${truncate(item.answer, 80)}" is not among the item's options`;
  return undefined;
}

/** log p(option | ctx.render(item.prompt)) for each option of each item, in item and option order. */
export async function optionLogprobs(model: LanguageModel, items: readonly Item[], ctx: Pick<ProbeContext, "render" | "batchSize">): Promise<number[][]> {
  const requests: ScoreRequest[] = items.flatMap((it) => (it.options ?? []).map((o) => ({ prompt: ctx.render(it.prompt), continuation: o })));
  const scores = await inBatches(requests, ctx.batchSize, (b) => model.scoreBatch(b));
  let at = 0;
  return items.map((it) => {
    const n = it.options?.length ?? 0;
    const lps = scores.slice(at, at + n).map((s) => s.logprob);
    at += n;
    return lps;
  });
}

/** Index of the largest value; ties go to the first. */
export function argmaxFirst(xs: readonly number[]): number {
  let best = 0;
  xs.forEach((x, j) => {
    if (x > xs[best]) best = j;
  });
  return best;
}

/** 1-based rank of xs[g] (ties ordered by position, as argmaxFirst). */
export function rankOf(xs: readonly number[], g: number): number {
  return 1 + xs.filter((x, j) => x > xs[g] || (x === xs[g] && j < g)).length;
}

export function truncate(text: string, max = 400): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function record(item: Item, logprobs: number[], response: string): ItemRecord {
  const options = item.options ?? [];
  const said = answerOf(item, response, expectsReasoning(item));
  const detail: Record<string, unknown> = { response: truncate(response), answer: said ?? null, options, logprobs, gold: item.answer };
  const compliance = said !== undefined && options.includes(said) ? 1 : 0;
  const problem = optionsProblem(item);
  if (problem !== undefined) {
    return { itemId: item.id, values: { "closed-book": null, compliance, "generated-correct": null }, note: problem, detail };
  }
  const best = argmaxFirst(logprobs);
  const g = options.indexOf(item.answer);
  detail.chosen = options[best];
  detail.goldRank = rankOf(logprobs, g);
  const values = { "closed-book": best === g ? 1 : 0, compliance, "generated-correct": said === item.answer ? 1 : 0 };
  const out: ItemRecord = { itemId: item.id, values, detail };
  if (said === undefined) out.note = "the greedy response gave no answer (compliance and generated-correct are 0)";
  return out;
}

export const retentionProbe: Probe = {
  id: "knowledge.retention",
  version: 1,
  title: "Knowledge retention",
  description:
    "Does the model still know the facts, even if it no longer says them? Closed-book accuracy by ranking the answer options by likelihood, against whether its own written answer is one of the options at all.",
  reference: "Mitchell et al. 2023, An Emulator for Fine-Tuning Large-Scale Language Models (arXiv 2310.12962); ranking as lm-evaluation-harness acc (Gao et al. 2021)",
  metrics: [
    {
      name: "closed-book", role: "capability", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "The gold option has the highest log-probability as the continuation of the prompt (ties go to the first option).",
    },
    {
      name: "compliance", role: "proxy", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "The greedy answer is exactly one of the options (answer format / instruction compliance).",
    },
    {
      name: "generated-correct", role: "capability", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "The greedy answer equals the gold option, character for character.",
    },
  ],
  applies: hasOptions,
  async *run(model, items, ctx) {
    for (let i = 0; i < items.length; i += ctx.batchSize) {
      const batch = items.slice(i, i + ctx.batchSize);
      const logprobs = await optionLogprobs(model, batch, ctx);
      const responses = await greedyResponses(model, batch, ctx);
      for (const [j, item] of batch.entries()) yield record(item, logprobs[j], responses[j].text);
    }
  },
};
