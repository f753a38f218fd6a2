/**
 * LoRA vs full fine-tuning, the analysis (lora-vs-full.sh writes its inputs): per seed s, one
 * audit with zoo/base-m as the base and full_s, lora_s as the tuned models (in that order).
 * Each tuned model is scored in its own chat format and in the base's raw format (the
 * audit's same-format rows): a drop in recall in the chat frame alone may only mean the
 * fine-tune's format took that frame over (docs/ZOO.md, lab rule 4). Recall is
 * knowledge.retention's closed-book ranking in the chat frame (the audit has no same-format
 * row for it) and greedy knowledge-task accuracy in the raw frame. Prints, pooled over seeds:
 *   1. arithmetic task accuracy (gained) and closed-book recall (knowledge.retention, lost) of
 *      the base and both fine-tunes (mean over seeds [each seed])
 *   2. Δ vs the base and LoRA − full: the mean over seeds of each seed's paired difference,
 *      a 95% interval resampling seeds and items (src/stats seeds.ts), two-sided p
 *   3. step time from metrics.jsonl: median ms per update and tokens per second of each run
 * Per-item differences come from each row's gained / lost item lists (binary metrics: +1
 * gained, −1 lost vs the base); LoRA − full is lora's minus full's (the base cancels).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditResultJson } from "../../src/audit/index.js";
import { confidenceInterval, seedPooledMeanDifference, twoSidedP } from "../../src/stats/index.js";

const [out, ...seedArgs] = process.argv.slice(2);
const seeds = seedArgs.map(Number);
const audits = seeds.map((s) => JSON.parse(readFileSync(join(out, `audit-s${s}.json`), "utf8")) as AuditResultJson);
const MODELS = ["full", "lora"];
const METRICS = [
  { label: "arithmetic accuracy, chat", probe: "task.accuracy", metric: "accuracy", domain: "arithmetic", raw: false },
  { label: "arithmetic accuracy, raw", probe: "task.accuracy", metric: "accuracy", domain: "arithmetic", raw: true },
  { label: "recall by ranking (closed-book), chat", probe: "knowledge.retention", metric: "closed-book", domain: null, raw: false },
  { label: "recall by generation, raw", probe: "task.accuracy", metric: "accuracy", domain: "knowledge", raw: true },
] as const;
type Metric = (typeof METRICS)[number];

const rowOf = (a: AuditResultJson, ledger: number, m: Metric) => {
  const r = a.ledgers[ledger].rows.find((x) => x.probe === m.probe && x.metric === m.metric && x.domain === m.domain && x.tuned_in_base_format === m.raw);
  if (!r) throw new Error(`no ${m.probe} ${m.metric} row${m.raw ? " in the base's format" : ""} in ledger ${ledger}`);
  return r;
};
const pct = (x: number) => (100 * x).toFixed(1);
const signed = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cell = (vals: number[]) => `${pct(mean(vals))} [${vals.map(pct).join(", ")}]`;

/** Per seed, per item: tuned − base of ledger `ledger` (+1 gained, −1 lost), items placed by one index shared across seeds and models. */
function itemDiffs(m: Metric, ledgers: number[], sign: number[]): number[][] {
  const rows = audits.map((a) => ledgers.map((l) => rowOf(a, l, m)));
  const index = new Map<string, number>();
  for (const rs of rows) for (const r of rs) for (const id of [...(r.transitions?.gained_ids ?? []), ...(r.transitions?.lost_ids ?? [])]) if (!index.has(id)) index.set(id, index.size);
  return rows.map((rs) => {
    const d = new Array<number>(rs[0].n).fill(0);
    rs.forEach((r, k) => {
      for (const id of r.transitions?.gained_ids ?? []) d[index.get(id)!] += sign[k];
      for (const id of r.transitions?.lost_ids ?? []) d[index.get(id)!] -= sign[k];
    });
    return d;
  });
}

function pooled(diffs: number[][]): string {
  const inf = seedPooledMeanDifference(diffs, undefined, { seed: 1 });
  const [lo, hi] = confidenceInterval(inf, 0.95);
  return `${signed(inf.estimate)} [${signed(lo)}, ${signed(hi)}] p=${twoSidedP(inf).toPrecision(2)} (seeds ${inf.perSeed.map(signed).join(", ")})`;
}

const lines: string[] = [];
lines.push(`LoRA vs full sft on zoo/base-m, ${seeds.length} fine-tuning seeds (${seeds.join(", ")}); n = ${rowOf(audits[0], 0, METRICS[0]).n} arithmetic and ${rowOf(audits[0], 0, METRICS[2]).n} knowledge items; greedy; the base always in its raw format`);
lines.push("", "1. score (%), mean over seeds [each seed]");
lines.push(`| model | ${METRICS.map((m) => m.label).join(" | ")} |`, `|---|${METRICS.map(() => "---|").join("")}`);
lines.push(`| base | ${METRICS.map((m) => cell(audits.map((a) => rowOf(a, 0, m).base as number))).join(" | ")} |`);
MODELS.forEach((name, i) => lines.push(`| ${name} | ${METRICS.map((m) => cell(audits.map((a) => rowOf(a, i, m).tuned as number))).join(" | ")} |`));

lines.push("", "2. paired differences (pp): mean over seeds, 95% interval over seeds × items, p (two-sided)");
lines.push(`| difference | ${METRICS.map((m) => m.label).join(" | ")} |`, `|---|${METRICS.map(() => "---|").join("")}`);
lines.push(`| full − base | ${METRICS.map((m) => pooled(itemDiffs(m, [0], [1]))).join(" | ")} |`);
lines.push(`| lora − base | ${METRICS.map((m) => pooled(itemDiffs(m, [1], [1]))).join(" | ")} |`);
lines.push(`| lora − full | ${METRICS.map((m) => pooled(itemDiffs(m, [1, 0], [1, -1]))).join(" | ")} |`);

lines.push("", "3. step time (metrics.jsonl): median ms per update, tokens/s (loss tokens), mean over seeds [each seed]");
const stepStats = (run: string) => {
  const logs = readFileSync(join(out, run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { ms: number; tokens: number });
  const ms = logs.map((l) => l.ms).sort((a, b) => a - b);
  return { ms: ms[Math.floor(ms.length / 2)], tps: logs.reduce((s, l) => s + l.tokens, 0) / (logs.reduce((s, l) => s + l.ms, 0) / 1000) };
};
for (const name of MODELS) {
  const st = seeds.map((s) => stepStats(`${name}-s${s}`));
  lines.push(`${name}: ${mean(st.map((x) => x.ms)).toFixed(0)} ms/update [${st.map((x) => x.ms.toFixed(0)).join(", ")}], ${mean(st.map((x) => x.tps)).toFixed(0)} loss tokens/s`);
}
process.stdout.write(`${lines.join("\n")}\n`);
