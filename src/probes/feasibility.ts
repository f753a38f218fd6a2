/**
 * Validity vs feasibility (docs/PROBES.md §3; Bernier et al.
 * 2026, arXiv 2603.23004): fine-tuning can teach a model to write answers that *look*
 * right — they parse, they fit the schema — without teaching it to write answers that
 * satisfy the problem's constraints. One greedy response per item is checked in layers,
 * each assuming the ones before it passed:
 *
 *   parsed          the answer is valid JSON                      (proxy)
 *   schema-valid    it is {"take": [distinct item names]}         (proxy, headline)
 *   feasible        the chosen items fit in the capacity          (capability, headline)
 *   optimality-gap  (optimum − value) / optimum, feasible answers  (capability, lower is better)
 *
 * and, among the schema-valid answers only:
 *
 *   feasible-given-valid  feasible, null when the answer is not schema-valid (capability)
 *
 * NOTE: `feasible` counts an answer that does not even parse as infeasible, so a fine-tune
 * that fixes the JSON raises it without learning the constraints. Among the answers that
 * already look right the two cannot mix: 1 − feasible-given-valid is the share of
 * schema-valid answers that break the constraints ("looks right but is infeasible",
 * Bernier et al.'s gap). Its n is the schema-valid items of both models.
 *
 * World items of task "structured" (knapsack as JSON) are checked by the world's own
 * layered verifier (world/structured checkKnapsack) on the whole response, exactly as
 * the task's verifier reads it (so "optimal" here is the task's "correct").
 * User items with verifier "json" get only the parse layer, on the answer as judge.ts
 * reads it (the Answer line of a reasoning item, else the first line): a user dataset
 * names no schema and no constraints, and guessing one from the gold answer would be a
 * different measurement. Their other layers are null with a note.
 * An item whose rendered prompt does not fit the model's context has no response: all
 * four layers are null with a note.
 */
import type { LanguageModel } from "../backends/index.js";
import { structured } from "../world/index.js";
import type { Item } from "./item.js";
import { answerOf } from "./judge.js";
import type { ItemRecord, Probe, ProbeContext } from "./probe.js";
import { contextNote, greedyResponses } from "./respond.js";
import { clipText } from "./clip.js";

/** Longest response text kept in a record's detail. */

function isStructured(item: Item): boolean {
  return item.world?.task === "structured";
}

function isUserJson(item: Item): boolean {
  return item.world === undefined && item.verifier === "json";
}


function bit(b: boolean): number {
  return b ? 1 : 0;
}

/** The four layers of a knapsack item's response. */
function knapsackRecord(item: Item, response: string): ItemRecord {
  const problem = structured.parseKnapsackPrompt(item.world!.prompt);
  if (!problem) {
    const values = { parsed: null, "schema-valid": null, feasible: null, "optimality-gap": null, "feasible-given-valid": null };
    return { itemId: item.id, values, note: "the item's prompt is not a knapsack prompt (world/structured), so nothing can be checked", detail: { response: clipText(response) } };
  }
  const check = structured.checkKnapsack(problem, response);
  const record: ItemRecord = {
    itemId: item.id,
    values: {
      parsed: bit(check.parsed), "schema-valid": bit(check.schemaValid), feasible: bit(check.feasible), "optimality-gap": check.gap,
      "feasible-given-valid": check.schemaValid ? bit(check.feasible) : null,
    },
    detail: {
      response: clipText(response), failedLayer: check.failedLayer, reason: check.reason,
      value: check.value, optimum: structured.solveKnapsack(problem).best, optimal: check.optimal,
    },
  };
  const notes: string[] = [];
  if (!check.schemaValid) notes.push(`feasible-given-valid is null: the answer is not schema-valid (${check.reason})`);
  if (check.gap === null) notes.push(`optimality-gap is null: the answer is not feasible (${check.reason})`);
  if (notes.length > 0) record.note = notes.join("; ");
  return record;
}

/** The parse layer of a user JSON item's response; the other layers have no schema or verifier. */
function userJsonRecord(item: Item, response: string): ItemRecord {
  const reasoning = item.steps !== undefined && item.steps.length > 0;
  const answer = answerOf(item, response, reasoning);
  let parsed = false;
  let error: string | undefined;
  if (answer === undefined) error = "no answer found";
  else {
    try {
      JSON.parse(answer);
      parsed = true;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  return {
    itemId: item.id,
    values: { parsed: bit(parsed), "schema-valid": null, feasible: null, "optimality-gap": null, "feasible-given-valid": null },
    note: "schema-valid, feasible, optimality-gap and feasible-given-valid are null: there is no schema or domain verifier for user JSON items",
    detail: { response: clipText(response), answer: answer === undefined ? null : clipText(answer), ...(error === undefined ? {} : { parseError: error }) },
  };
}

async function* run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord> {
  for (let at = 0; at < items.length; at += ctx.batchSize) {
    const batch = items.slice(at, at + ctx.batchSize);
    const misfits = new Map<number, Error>();
    const responses = await greedyResponses(model, batch, ctx, (i, e) => misfits.set(i, e));
    for (const [i, item] of batch.entries()) {
      const response = responses[i];
      if (response === null) {
        yield {
          itemId: item.id,
          values: { parsed: null, "schema-valid": null, feasible: null, "optimality-gap": null, "feasible-given-valid": null },
          note: `every layer is null: ${contextNote("the prompt", misfits.get(i))}, so there is no greedy response`,
          detail: { error: misfits.get(i)?.message ?? null },
        };
        continue;
      }
      const text = response.text;
      yield isStructured(item) ? knapsackRecord(item, text) : userJsonRecord(item, text);
    }
  }
}

export const feasibilityProbe: Probe = {
  id: "structured.feasibility",
  // 2: feasible-given-valid added
  version: 2,
  title: "Validity vs feasibility of structured answers",
  description:
    "Whether the model's JSON answers only look right (they parse and fit the expected shape) or also satisfy the problem's constraints (the chosen items fit in the knapsack), and how far below the best possible value they fall.",
  reference: "Bernier et al. 2026 (arXiv 2603.23004); docs/PROBES.md §3 structured.feasibility",
  metrics: [
    { name: "parsed", role: "proxy", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02, description: "The answer is valid JSON." },
    {
      name: "schema-valid", role: "proxy", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "The answer has the expected shape: {\"take\": [distinct item names of the problem]} (knapsack items only).",
    },
    {
      name: "feasible", role: "capability", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "The answer satisfies the problem's constraints: the chosen items fit in the capacity (knapsack items only).",
    },
    {
      name: "optimality-gap", role: "capability", kind: "continuous", higherIsBetter: false, unit: "share", margin: 0.02,
      description: "(optimum − value) / optimum of a feasible answer; 0 = optimal. Null for answers that are not feasible.",
    },
    {
      name: "feasible-given-valid", role: "capability", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "Among schema-valid answers only: the chosen items fit in the capacity (null when the answer is not schema-valid); 1 − it = looks right but is infeasible.",
    },
  ],
  applies: (item) => isStructured(item) || isUserJson(item),
  run,
};
