/**
 * Item transitions of a binary ledger row: which items the fine-tune gained (base wrong,
 * tuned right) and lost (base right, tuned wrong), with a few examples of each — what a
 * reader opens to see what the numbers are made of.
 */
import type { Item, ItemRecord } from "../probes/index.js";
import { clipText } from "../probes/index.js";

export interface Example {
  id: string;
  prompt: string;
  answer: string;
  base: Record<string, unknown>;
  tuned: Record<string, unknown>;
}

export interface Transitions {
  /** Base wrong, tuned right. */
  gained: number;
  /** Base right, tuned wrong. */
  lost: number;
  /** (gained + lost) / n: how much changed under a steady total. */
  churn: number;
  gainedIds: string[];
  lostIds: string[];
  examples: { gained: Example[]; lost: Example[] };
}

/** Characters of an example's prompt and answer. */
const EXAMPLE_CHARS = 400;

/**
 * The transitions of `metric` over paired records; `aboutParent`: the metric is about each
 * item's parent (MetricSpec.about), so examples show the parent's prompt.
 */
export function transitionsOf(metric: string, items: readonly Item[], base: readonly ItemRecord[], tuned: readonly ItemRecord[], keep: number, aboutParent = false): Transitions {
  const gainedIds: string[] = [];
  const lostIds: string[] = [];
  let n = 0;
  base.forEach((b, i) => {
    const x = b.values[metric];
    const y = tuned[i].values[metric];
    if (typeof x !== "number" || typeof y !== "number") return;
    n++;
    if (x === 0 && y === 1) gainedIds.push(b.itemId);
    if (x === 1 && y === 0) lostIds.push(b.itemId);
  });
  const byId = new Map(items.map((it) => [it.id, it]));
  const at = new Map(base.map((b, i) => [b.itemId, i]));
  const example = (id: string): Example => {
    const own = byId.get(id)!;
    const it = (aboutParent && own.variantOf !== undefined ? byId.get(own.variantOf) : undefined) ?? own;
    const i = at.get(id)!;
    return { id, prompt: clipText(it.prompt, EXAMPLE_CHARS), answer: clipText(it.answer, EXAMPLE_CHARS), base: base[i].detail, tuned: tuned[i].detail };
  };
  return {
    gained: gainedIds.length, lost: lostIds.length, churn: n > 0 ? (gainedIds.length + lostIds.length) / n : NaN,
    gainedIds, lostIds,
    examples: { gained: gainedIds.slice(0, keep).map(example), lost: lostIds.slice(0, keep).map(example) },
  };
}
