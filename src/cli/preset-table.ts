/**
 * A preset's compact table (src/audit presets.ts): what each model measured, as k/n with a
 * 95% Wilson interval, then each later model against the first — the ledger's own rows
 * (its paired test, adjusted p and verdict), so this table and the full ledger never
 * disagree.
 */
import type { AuditResultJson, ArmMeasures, JsonRow, Preset } from "../audit/index.js";
import { deltaText, pText, signedText, verdictText } from "../report/index.js";
import type { ProportionInterval } from "../stats/index.js";
import { SOLUTION_CLASSES } from "../world/index.js";

/** `k/n = p% [lo, hi]`, percentages to one decimal. */
export function proportionText(x: ProportionInterval): string {
  const pct = (v: number) => (Number.isNaN(v) ? "n/a" : (100 * v).toFixed(1));
  return `${x.k}/${x.n} = ${pct(x.p)}% [${pct(x.lo)}, ${pct(x.hi)}]`;
}

export interface PresetTableInput {
  preset: Preset;
  result: AuditResultJson;
  measures: ArmMeasures[];
  /** Samples per prompt of the sampling probes. */
  samples: number;
}

const IN_BASE = " in the base's format";

function rowOf(rows: readonly JsonRow[], m: { probe: string; metric: string; domain?: string }, inBaseFormat: boolean): JsonRow | undefined {
  return rows.find((r) => r.probe === m.probe && r.metric === m.metric && (r.domain ?? undefined) === m.domain && r.tuned_in_base_format === inBaseFormat);
}

export function presetTable(t: PresetTableInput): string[] {
  const { result } = t;
  const models = result.manifest.models;
  const armsByKey = new Map(result.manifest.arms.map((a) => [a.key, a]));
  const labels = t.preset.measures.flatMap((m) => [m.label, `${m.label}${IN_BASE}`]);
  const width = Math.max(...labels.map((l) => l.length), "solution formats".length) + 2;
  const out: string[] = [`${t.preset.name}: ${t.preset.description} (run ${result.run_id}; 95% Wilson intervals)`];
  models.forEach((model, i) => {
    out.push(`[${i + 1}] ${model.spec}  (${model.id}; prompt format ${model.format})`);
    for (const am of t.measures) {
      const arm = armsByKey.get(am.arm);
      if (!arm || arm.model !== model.index) continue;
      const inBase = arm.format !== model.format;
      for (const { measure, interval } of am.measures) {
        out.push(`  ${`${measure.label}${inBase ? IN_BASE : ""}`.padEnd(width)}${proportionText(interval)}${inBase ? `  (${arm.format})` : ""}`);
      }
      if (am.formats) {
        const per = t.samples === 1 ? "1 sample per prompt" : `${t.samples} samples per prompt; NOTE: the intervals treat them as independent`;
        out.push(`  solution formats (temperature 1, ${per}; ${am.formats.samples} samples)`);
        for (const c of SOLUTION_CLASSES) out.push(`    ${c.padEnd(width - 2)}${proportionText(am.formats.shares[c])}`);
      }
    }
  });
  const seedText = (r: JsonRow) => (r.seeds ? `  per seed ${r.seeds.deltas.map((d) => signedText(r, d)).join(" ")}` : "");
  for (const l of result.pooled ? [result.pooled] : result.ledgers) {
    const who = l.tuned === 0 ? `[2…${models.length}] pooled over fine-tuning seeds − [1]` : `[${l.tuned + 1}] − [1]`;
    out.push(`${who}, paired on the same items: the ledger's rows (Δ with its adjusted CI, p adjusted (${l.adjust === "holm" ? "Holm" : "BH"}) across all ${l.rows.length} rows of the ledger)`);
    for (const m of t.preset.measures) {
      for (const inBase of [false, true]) {
        const r = rowOf(l.rows, m, inBase);
        if (!r) continue;
        out.push(`  ${`${m.label}${inBase ? IN_BASE : ""}`.padEnd(width)}${deltaText(r)}  p = ${pText(r.p_adj)}  n = ${r.n}  ${verdictText(r)}${seedText(r)}`);
      }
    }
  }
  return out;
}
