/**
 * What the chain-of-thought probes share (docs/PROBES.md §3: the faithfulness.* probes
 * and reasoning.infogain; Lanham et al. 2023,
 * arXiv 2307.13702; Lobo et al. 2024, arXiv 2411.15382; Wu et al. 2025, arXiv 2506.02126):
 *
 * 1. the model's chain of thought for an item is its greedy full response in its own
 *    prompt format (respond.ts greedyResponses), read by judge.ts readReasoning: the
 *    steps are the non-empty lines before the `Answer:` line, the answer what follows it;
 * 2. the proxy of all five probes is that response's accuracy (judge.ts verify);
 * 3. a truncated chain is the rendered prompt, then the first k steps each ended by
 *    "\n", then the answer cue. The response was generated right after the rendered
 *    prompt, so with k = n this is the response up to its answer (blank lines dropped),
 *    whether or not the rendered prompt ends with "\n" (arithmetic prompts end with
 *    "Solution:\n"); with k = 0 the cue follows the prompt directly, as an answer-only
 *    response would.
 *
 * An item whose response has no steps or no answer has nothing to truncate or compare
 * against: its capability values are null with a note; its accuracy still counts.
 * An item whose rendered prompt does not fit the model's context has no response at all:
 * accuracy and capabilities are null with a note (respond.ts). A probe whose own request
 * (a prefix, a filler, a paraphrase …) does not fit gives its capability null with a note.
 */
import type { LanguageModel } from "../backends/index.js";
import { ANSWER_CUE, readReasoning, verify } from "./judge.js";
import { type Item, expectsReasoning, isReference } from "./item.js";
import type { ItemRecord, MetricSpec, ProbeContext } from "./probe.js";
import { contextNote, greedyResponses } from "./respond.js";
import { clipText } from "./clip.js";

/** The five probes measure reasoning items (steps, then `Answer:`), never reference documents. */
export function appliesToReasoning(item: Item): boolean {
  return expectsReasoning(item) && !isReference(item);
}

/** The proxy every chain-of-thought probe reports: the full-CoT response is correct. */
export const COT_ACCURACY: MetricSpec = {
  name: "accuracy",
  role: "proxy",
  kind: "binary",
  higherIsBetter: true,
  unit: "share",
  description: "The greedy full chain-of-thought response is correct (the task's own verifier).",
  margin: 0.02,
  shared: "cot-accuracy",
};

/** One item's full chain of thought from the audited model. */
export interface Cot {
  item: Item;
  /** ctx.render(item.prompt): what the response was generated after. */
  rendered: string;
  response: string;
  /** verify(item, response). */
  correct: boolean;
  steps: string[];
  answer: string | undefined;
}

/** A chain with something to measure: at least one step and an answer. */
export type UsableCot = Cot & { answer: string };

export function isUsable(cot: Cot): cot is UsableCot {
  return cot.steps.length > 0 && cot.answer !== undefined;
}

/** An item without a chain of thought: its rendered prompt does not fit the model's context. */
export interface UnfitCot {
  item: Item;
  rendered: string;
  unfit: true;
  /** The backend's context error. */
  error: Error | undefined;
}

export function isUnfit(cot: Cot | UnfitCot): cot is UnfitCot {
  return "unfit" in cot;
}

/** The model's full chains of thought, one per item, in item order (UnfitCot where the prompt does not fit the context). */
export async function readCots(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): Promise<(Cot | UnfitCot)[]> {
  const misfits = new Map<number, Error>();
  const samples = await greedyResponses(model, items, ctx, (i, e) => misfits.set(i, e));
  return items.map((item, i): Cot | UnfitCot => {
    const rendered = ctx.render(item.prompt);
    const sample = samples[i];
    if (sample === null) return { item, rendered, unfit: true, error: misfits.get(i) };
    const response = sample.text;
    const { steps, answer } = readReasoning(response);
    return { item, rendered, response, correct: verify(item, response).correct, steps, answer };
  });
}

/** The index of each request that did not fit the context (see respond.ts OnMisfit), with its error. */
export function misfitCollector(): { errors: Map<number, Error>; on: (i: number, e: Error) => void } {
  const errors = new Map<number, Error>();
  return { errors, on: (i, e) => errors.set(i, e) };
}

/** `rendered` then the first k steps, each ended by "\n" (k = 0: `rendered` alone). */
export function cotPrefix(rendered: string, steps: readonly string[], k: number): string {
  if (!Number.isInteger(k) || k < 0 || k > steps.length) throw new RangeError(`k=${k} outside 0..${steps.length}`);
  return rendered + steps.slice(0, k).map((s) => s + "\n").join("");
}

/** The prompt that forces an answer after the first k steps: cotPrefix + the answer cue. */
export function answerAfter(rendered: string, steps: readonly string[], k: number): string {
  return cotPrefix(rendered, steps, k) + ANSWER_CUE;
}

/** A response text with `body` as its chain and `answer` on the cue line, for judging a forced answer as accuracy is judged. */
export function responseWith(body: string, answer: string): string {
  return `${body}${body === "" || body.endsWith("\n") ? "" : "\n"}${ANSWER_CUE}${answer}`;
}

/** What a probe measured on one usable chain. */
export interface Measured {
  values: Record<string, number | null>;
  note?: string;
  detail?: Record<string, unknown>;
}

/**
 * The records of a chain-of-thought probe: items in batches of ctx.batchSize, the full
 * chains of each batch read, `measure` run on the usable ones (in order, one result
 * each), unusable ones given null capabilities with a note; yielded batch by batch.
 */
export async function* cotRecords(
  model: LanguageModel,
  items: readonly Item[],
  ctx: ProbeContext,
  capabilities: readonly string[],
  measure: (cots: readonly UsableCot[]) => Promise<Measured[]>,
): AsyncIterable<ItemRecord> {
  const size = Math.max(1, ctx.batchSize);
  for (let start = 0; start < items.length; start += size) {
    const read = await readCots(model, items.slice(start, start + size), ctx);
    const cots = read.filter((c): c is Cot => !isUnfit(c));
    const usable = cots.filter(isUsable);
    const measured = usable.length > 0 ? await measure(usable) : [];
    if (measured.length !== usable.length) throw new Error(`measure returned ${measured.length} results for ${usable.length} chains`);
    const byCot = new Map<Cot, Measured>(usable.map((c, i) => [c, measured[i]]));
    for (const cot of read) {
      if (isUnfit(cot)) {
        const names = [COT_ACCURACY.name, ...capabilities].join(" and ");
        yield {
          itemId: cot.item.id,
          values: { [COT_ACCURACY.name]: null, ...Object.fromEntries(capabilities.map((c) => [c, null])) },
          note: `${names} are null: ${contextNote("the prompt", cot.error)}, so there is no chain-of-thought response`,
          detail: { error: cot.error?.message ?? null },
        };
        continue;
      }
      const base = { response: clipText(cot.response), steps: cot.steps.length, answer: cot.answer ?? null };
      const m = byCot.get(cot);
      if (!m) {
        const why = cot.steps.length === 0 ? "the response has no reasoning steps" : "the response has no `Answer:` line";
        yield {
          itemId: cot.item.id,
          values: { [COT_ACCURACY.name]: cot.correct ? 1 : 0, ...Object.fromEntries(capabilities.map((c) => [c, null])) },
          note: `${why}; nothing to measure the chain of thought on`,
          detail: base,
        };
        continue;
      }
      const record: ItemRecord = {
        itemId: cot.item.id,
        values: { [COT_ACCURACY.name]: cot.correct ? 1 : 0, ...m.values },
        detail: { ...base, ...m.detail },
      };
      if (m.note !== undefined) record.note = m.note;
      yield record;
    }
  }
}
