/**
 * Knowledge retention (docs/PROBES.md §3; Mitchell et al. 2023, "An Emulator for
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
 * base and tuned, so the paired comparison stays fair.
 * When prompt + some option does not fit the model's context the options cannot be
 * ranked: closed-book is null with a note; when the prompt alone does not fit there is no
 * greedy answer: compliance and generated-correct are null with a note.
 */
import type { LanguageModel } from "../backends/index.js";
import { expectsReasoning, type Item } from "./item.js";
import { answerOf } from "./judge.js";
import type { ItemRecord, Probe, ProbeContext } from "./probe.js";
import { argmaxFirst, hasOptions, optionLogprobs, optionsProblem, optionsUnfitNote, rankOf } from "./options.js";
import { contextNote, greedyResponses } from "./respond.js";
import { clipText } from "./clip.js";

/** What did not fit the model's context for one item: the option scores, the greedy response (their errors). */
interface Unfit {
  options?: Error;
  response?: Error;
}

function record(item: Item, logprobs: number[] | null, response: string | null, unfit: Unfit = {}): ItemRecord {
  const options = item.options ?? [];
  const said = response === null ? undefined : answerOf(item, response, expectsReasoning(item));
  const detail: Record<string, unknown> = { response: response === null ? null : clipText(response), answer: said ?? null, options, logprobs, gold: item.answer };
  const compliance = response === null ? null : said !== undefined && options.includes(said) ? 1 : 0;
  const notes: string[] = [];
  if (response === null) notes.push(`compliance and generated-correct are null: ${contextNote("the prompt", unfit.response)}, so there is no greedy response`);
  const problem = optionsProblem(item);
  if (problem !== undefined) {
    notes.unshift(problem);
    return { itemId: item.id, values: { "closed-book": null, compliance, "generated-correct": null }, note: notes.join("; "), detail };
  }
  const values: Record<string, number | null> = { "closed-book": null, compliance, "generated-correct": null };
  if (logprobs === null) notes.push(`closed-book is null: ${optionsUnfitNote(unfit.options)}`);
  else {
    const best = argmaxFirst(logprobs);
    const g = options.indexOf(item.answer);
    detail.chosen = options[best];
    detail.goldRank = rankOf(logprobs, g);
    values["closed-book"] = best === g ? 1 : 0;
  }
  if (response !== null) {
    values["generated-correct"] = said === item.answer ? 1 : 0;
    if (said === undefined) notes.push("the greedy response gave no answer (compliance and generated-correct are 0)");
  }
  const out: ItemRecord = { itemId: item.id, values, detail };
  if (notes.length > 0) out.note = notes.join("; ");
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
      shared: "option-ranking-accuracy",
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
      const unfit = batch.map((): Unfit => ({}));
      const logprobs = await optionLogprobs(model, batch, ctx, (j, e) => (unfit[j].options = e));
      const responses = await greedyResponses(model, batch, ctx, (j, e) => (unfit[j].response = e));
      for (const [j, item] of batch.entries()) yield record(item, logprobs[j], responses[j]?.text ?? null, unfit[j]);
    }
  },
};
