/**
 * `--export-regressions FILE`: the items a tuned model lost (base right, tuned wrong on a
 * binary metric) as JSONL in the dataset schema (dataset.ts), so the file can be audited
 * again with `--data` or mixed into the next fine-tuning round. Each line's `meta` says
 * which metrics lost it and what both models answered. Written to a temp file, then renamed.
 */
import { writeTextAtomic } from "../formats/index.js";
import type { Item } from "../probes/index.js";
import type { Ledger } from "./ledger.js";

export interface RegressionLine {
  id: string;
  prompt: string;
  answer: string;
  options?: string[];
  steps?: string[];
  verifier?: string;
  domain: string;
  /** lost_on: the metrics that lost the item (prefixed "#k " with several tuned models); tuned: which models lost it. */
  meta: { lost_on: string[]; tuned: number[]; run_id: string; base: unknown; tuned_output: unknown };
}

/**
 * One line per item lost on at least one binary metric by any tuned model (ids stay
 * unique, so the file reads back as a dataset); in item order.
 */
export function regressionLines(runId: string, ledgers: readonly Ledger[], items: readonly Item[]): RegressionLine[] {
  const byId = new Map(items.map((it) => [it.id, it]));
  const lostOn = new Map<string, string[]>();
  const tunedOf = new Map<string, number[]>();
  const shown = new Map<string, { base: unknown; tuned: unknown }>();
  for (const l of ledgers) {
    const prefix = ledgers.length > 1 ? `#${l.tuned} ` : "";
    for (const r of l.rows) {
      if (!r.transitions) continue;
      const name = `${prefix}${r.probe}.${r.metric}${r.formats.tuned === r.formats.base ? "" : ` [${r.formats.tuned}]`}`;
      for (const lostId of r.transitions.lostIds) {
        // a metric about the parent item (the N-1 probe's id-accuracy) lost the parent, not the variant
        const id = r.aboutParent ? (byId.get(lostId)?.variantOf ?? lostId) : lostId;
        const names = lostOn.get(id) ?? [];
        if (!names.includes(name)) lostOn.set(id, [...names, name]);
        const t = tunedOf.get(id) ?? [];
        if (!t.includes(l.tuned)) tunedOf.set(id, [...t, l.tuned]);
      }
      for (const ex of r.transitions.examples.lost) {
        const id = r.aboutParent ? (byId.get(ex.id)?.variantOf ?? ex.id) : ex.id;
        if (!shown.has(id)) shown.set(id, { base: ex.base, tuned: ex.tuned });
      }
    }
  }
  const lines: RegressionLine[] = [];
  for (const it of items) {
    const names = lostOn.get(it.id);
    if (!names) continue;
    // world items carry their task's verifier; as a plain dataset line the same answer is checked exactly
    const line: RegressionLine = {
      id: it.id, prompt: it.prompt, answer: it.answer, domain: it.domain,
      meta: { lost_on: names, tuned: tunedOf.get(it.id)!, run_id: runId, base: shown.get(it.id)?.base ?? null, tuned_output: shown.get(it.id)?.tuned ?? null },
    };
    if (it.options) line.options = it.options;
    if (it.steps) line.steps = it.steps;
    if (it.verifier) line.verifier = it.verifier;
    else if (it.world?.task === "arithmetic") line.verifier = "number";
    else if (it.world?.task === "structured") line.verifier = "json";
    lines.push(line);
  }
  return lines;
}

export async function writeRegressions(path: string, lines: readonly RegressionLine[]): Promise<void> {
  try {
    await writeTextAtomic(path, lines.map((l) => JSON.stringify(l)).join("\n") + (lines.length ? "\n" : ""));
  } catch (e) {
    throw new Error(`${path}: cannot write the regressions (${(e as Error).message}); give --export-regressions a writable path.`);
  }
}
