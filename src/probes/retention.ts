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
 * When prompt + some option does not fit the model's context the options cannot be
 * ranked: closed-book is null with a note; when the prompt alone does not fit there is no
 * greedy answer: compliance and generated-correct are null with a note.
 */
import type { LanguageModel, ScoreRequest } from "../backends/index.js";
import { expectsReasoning, isReference, type Item } from "./item.js";
import { answerOf } from "./judge.js";
import type { ItemRecord, Probe, ProbeContext } from "./probe.js";
import { contextNote, greedyResponses, scoreFitting } from "./respond.js";

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

/**
 * log p(option | ctx.render(item.prompt)) for each option of each item, in item and
 * option order; null for an item where prompt + any of its options does not fit the
 * model's context (`onMisfit` is told the item's index and the first such error).
 */
export async function optionLogprobs(
  model: LanguageModel, items: readonly Item[], ctx: Pick<ProbeContext, "render" | "batchSize">, onMisfit?: (item: number, error: Error) => void,
): Promise<(number[] | null)[]> {
  const requests: ScoreRequest[] = items.flatMap((it) => (it.options ?? []).map((o) => ({ prompt: ctx.render(it.prompt), continuation: o })));
  const errors = new Map<number, Error>();
  const scores = await scoreFitting(model, requests, ctx.batchSize, (i, e) => errors.set(i, e));
  let at = 0;
  return items.map((it, i) => {
    const n = it.options?.length ?? 0;
    const got = scores.slice(at, at + n);
    const from = at;
    at += n;
    const missing = got.findIndex((s) => s === null);
    if (missing >= 0) {
      onMisfit?.(i, errors.get(from + missing)!);
      return null;
    }
    return got.map((s) => s!.logprob);
  });
}

/** The note of an item whose option scores did not fit the context. */
export function optionsUnfitNote(error: Error | undefined): string {
  return contextNote("the prompt with one of its options", error);
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

/** What did not fit the model's context for one item: the option scores, the greedy response (their errors). */
interface Unfit {
  options?: Error;
  response?: Error;
}

function record(item: Item, logprobs: number[] | null, response: string | null, unfit: Unfit = {}): ItemRecord {
  const options = item.options ?? [];
  const said = response === null ? undefined : answerOf(item, response, expectsReasoning(item));
  const detail: Record<string, unknown> = { response: response === null ? null : truncate(response), answer: said ?? null, options, logprobs, gold: item.answer };
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
