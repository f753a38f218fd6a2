/**
 * Near-neighbour (N-1) generalisation (docs/PROBES.md §3, generalisation.n1;
 * after Bernier et al. 2026, arXiv 2603.23004): a model tuned on a
 * distribution can stay right on its items and go wrong on items that change one element
 * (one constraint, one operand, one slot). One record per *variant* item (an item with
 * `variantOf`), paired with its in-distribution parent:
 *
 *   id-accuracy   the parent answered correctly (greedy)            (proxy)
 *   n1-accuracy   the variant answered correctly (greedy)           (capability)
 *   n1-gap        id − n1 on this pair, in {−1, 0, 1}; its mean is   (capability, lower is better)
 *                 ID accuracy − N-1 accuracy over the pairs
 *
 * Answers are judged by judge.ts verify (the world task's exact verifier, or the user
 * item's named verifier). Parents and variants of a batch go out together, each distinct
 * parent once; the audit's request cache answers parents that other probes asked for.
 * NOTE: `applies` sees only the item, so a variant whose parent is not in the run still
 * gets a record: n1-accuracy, with id-accuracy and n1-gap null and a note.
 * A variant or parent whose rendered prompt does not fit the model's context has no
 * response: its accuracy and n1-gap are null with a note.
 */
import type { LanguageModel } from "../backends/index.js";
import type { Item } from "./item.js";
import { verify } from "./judge.js";
import type { ItemRecord, Probe, ProbeContext } from "./probe.js";
import { contextNote, greedyResponses } from "./respond.js";
import { clipText } from "./clip.js";

/** Longest response text kept in a record's detail. */


interface Judged {
  correct: boolean;
  reason?: string;
  response: string;
}

/** A response that could not be generated: the rendered prompt does not fit the model's context. */
interface Unfit {
  unfit: true;
  error: Error | undefined;
}

function judged(item: Item, response: string): Judged {
  const v = verify(item, response);
  return { correct: v.correct, ...(v.reason === undefined ? {} : { reason: v.reason }), response: clipText(response) };
}

function judgedOrUnfit(item: Item, response: string | null, error: Error | undefined): Judged | Unfit {
  return response === null ? { unfit: true, error } : judged(item, response);
}

function isUnfit(j: Judged | Unfit): j is Unfit {
  return "unfit" in j;
}

/** One variant's record from its own judged response and its parent's (undefined when the parent is not in the run). */
function n1Record(variant: Item, n1: Judged | Unfit, parent: { item: Item; judged: Judged | Unfit } | undefined): ItemRecord {
  const change = variant.world?.parent?.change;
  const shown = (j: Judged | Unfit) => (isUnfit(j) ? { response: null, error: j.error?.message ?? null } : j);
  const detail: Record<string, unknown> = { parentId: variant.variantOf, ...(change === undefined ? {} : { change }), variant: shown(n1) };
  const notes: string[] = [];
  let n1Value: number | null = null;
  if (isUnfit(n1)) notes.push(`n1-accuracy and n1-gap are null: ${contextNote("the variant's prompt", n1.error)}, so there is no greedy response`);
  else n1Value = n1.correct ? 1 : 0;
  if (!parent) {
    notes.push(`id-accuracy and n1-gap are null: the parent item "${variant.variantOf}" is not in the run; add the in-distribution split to the audit's items`);
    return { itemId: variant.id, values: { "id-accuracy": null, "n1-accuracy": n1Value, "n1-gap": null }, note: notes.join("; "), detail };
  }
  detail.parent = shown(parent.judged);
  let idValue: number | null = null;
  if (isUnfit(parent.judged)) notes.push(`id-accuracy and n1-gap are null: ${contextNote("the parent's prompt", parent.judged.error)}, so there is no greedy response`);
  else idValue = parent.judged.correct ? 1 : 0;
  const gap = idValue === null || n1Value === null ? null : idValue - n1Value;
  const record: ItemRecord = { itemId: variant.id, values: { "id-accuracy": idValue, "n1-accuracy": n1Value, "n1-gap": gap }, detail };
  if (notes.length > 0) record.note = notes.join("; ");
  return record;
}

async function* run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord> {
  for (let at = 0; at < items.length; at += ctx.batchSize) {
    const variants = items.slice(at, at + ctx.batchSize);
    // 1. the distinct parents of this batch that the run has
    const parents = new Map<string, Item>();
    for (const v of variants) {
      const p = v.variantOf === undefined ? undefined : ctx.itemById(v.variantOf);
      if (p) parents.set(p.id, p);
    }
    // 2. greedy responses to variants and parents together
    const asked = [...variants, ...parents.values()];
    const misfits = new Map<number, Error>();
    const responses = await greedyResponses(model, asked, ctx, (i, e) => misfits.set(i, e));
    const of = (i: number) => judgedOrUnfit(asked[i], responses[i]?.text ?? null, misfits.get(i));
    const parentJudged = new Map<string, Judged | Unfit>();
    [...parents.values()].forEach((p, i) => parentJudged.set(p.id, of(variants.length + i)));
    // 3. one record per variant
    for (const [i, v] of variants.entries()) {
      const p = v.variantOf === undefined ? undefined : parents.get(v.variantOf);
      yield n1Record(v, of(i), p && { item: p, judged: parentJudged.get(p.id)! });
    }
  }
}

export const nearNeighbourProbe: Probe = {
  id: "generalisation.n1",
  version: 1,
  title: "Near-neighbour (N-1) generalisation",
  description:
    "Compares how often the model answers a familiar question correctly with how often it answers a close variant correctly (the same question with one detail changed); a widening gap means it learned the familiar items rather than the skill.",
  reference: "Bernier et al. 2026 (arXiv 2603.23004); docs/PROBES.md §3 generalisation.n1",
  metrics: [
    { about: "parent",
      name: "id-accuracy", role: "proxy", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.03,
      description: "The in-distribution parent item is answered correctly (greedy).",
    },
    {
      name: "n1-accuracy", role: "capability", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.03,
      description: "The near-neighbour variant (one element changed) is answered correctly (greedy).",
    },
    {
      name: "n1-gap", role: "capability", kind: "continuous", higherIsBetter: false, unit: "share", margin: 0.03,
      description: "Parent correct minus variant correct, per pair (−1, 0 or 1); the mean is ID accuracy minus N-1 accuracy.",
    },
  ],
  usesVariants: true,
  perDomain: true,
  applies: (item) => item.variantOf !== undefined,
  run,
};
