/**
 * Multiple-choice helpers shared by the option probes (knowledge.retention, calibration):
 * which items have options, the log-probability of each option as the continuation of the
 * rendered prompt (lm-evaluation-harness "acc" ranking), and the ranking's argmax and rank.
 */
import type { LanguageModel, ScoreRequest } from "../backends/index.js";
import { clipText } from "./clip.js";
import { isReference, type Item } from "./item.js";
import type { ProbeContext } from "./probe.js";
import { contextNote, scoreFitting } from "./respond.js";

/** An item the option probes (retention, calibration) measure: a question with two or more options. */
export function hasOptions(item: Item): boolean {
  return !isReference(item) && item.options !== undefined && item.options.length >= 2;
}

/** Why an item's options cannot be ranked against its gold answer, or undefined. */
export function optionsProblem(item: Item): string | undefined {
  if (!item.options || item.options.length < 2) return "the item has fewer than two options";
  if (!item.options.includes(item.answer)) return `the gold answer "${clipText(item.answer, 80)}" is not among the item's options`;
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
