/**
 * Claim 9's analysis (claim9.sh writes its inputs): per seed s, one audit with the joint
 * multi-task fine-tune M_s as the base and A_s, B_s, TIES_s, CPI_s as tuned models, and one
 * diff of A_s and B_s against zoo/base-m. Prints:
 *   1. accuracy of every model on both tasks (mean over seeds, each seed's value)
 *   2. Δ vs M pooled over seeds: the mean over seeds of each seed's paired difference, with a
 *      95% interval that resamples seeds and items (src/stats seeds.ts) and its two-sided p
 *   3. core-region overlap (Jaccard, top 1% of |τ|) of A and B per layer against chance, and of
 *      the same task across two seeds (diff-same-task.json)
 * Per-item differences come from each row's gained / lost item lists (binary accuracy: +1 gained,
 * −1 lost, 0 otherwise), so nothing is recomputed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditResultJson } from "../../src/audit/index.js";
import { confidenceInterval, seedPooledMeanDifference, twoSidedP } from "../../src/stats/index.js";
import type { DiffResult } from "../../src/weights/index.js";

const [out, ...seedArgs] = process.argv.slice(2);
const seeds = seedArgs.map(Number);
const audits = seeds.map((s) => JSON.parse(readFileSync(join(out, `audit-s${s}.json`), "utf8")) as AuditResultJson);
const MODELS = ["A (arith only)", "B (facts only)", "TIES(A, B)", "CPI(A, B)"];
const TASKS = ["arithmetic", "knowledge"];

const rowOf = (a: AuditResultJson, ledger: number, task: string) => {
  const r = a.ledgers[ledger].rows.find((x) => x.probe === "task.accuracy" && x.metric === "accuracy" && x.domain === task && !x.tuned_in_base_format);
  if (!r) throw new Error(`no task.accuracy row for ${task} in ledger ${ledger}`);
  return r;
};
const pct = (x: number) => `${(100 * x).toFixed(1)}`;
const signed = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}`;

const lines: string[] = [];
lines.push(`claim 9 on zoo/base-m, ${seeds.length} fine-tuning seeds (${seeds.join(", ")}); n = ${rowOf(audits[0], 0, "arithmetic").n} items per task; greedy, chat format`);
lines.push("", "1. accuracy (%), mean over seeds [each seed]");
lines.push(`| model | ${TASKS.join(" | ")} |`, `|---|${TASKS.map(() => "---|").join("")}`);
const cell = (vals: number[]) => `${pct(vals.reduce((a, b) => a + b, 0) / vals.length)} [${vals.map(pct).join(", ")}]`;
lines.push(`| M (joint multi-task) | ${TASKS.map((t) => cell(audits.map((a) => rowOf(a, 0, t).base as number))).join(" | ")} |`);
MODELS.forEach((m, i) => lines.push(`| ${m} | ${TASKS.map((t) => cell(audits.map((a) => rowOf(a, i, t).tuned as number))).join(" | ")} |`));

lines.push("", "2. Δ vs M (pp): mean over seeds of the paired difference, 95% interval over seeds × items, p (two-sided)");
lines.push(`| model − M | ${TASKS.join(" | ")} |`, `|---|${TASKS.map(() => "---|").join("")}`);
MODELS.forEach((m, i) => {
  const cells = TASKS.map((t) => {
    // items are crossed with seeds (every seed answers the same items): an item keeps one index
    // in every seed's array, so the bootstrap resamples the same items for all seeds. Items no
    // seed changed are all 0 and interchangeable, so only the changed ones need a fixed place.
    const rows = audits.map((a) => rowOf(a, i, t));
    const index = new Map<string, number>();
    for (const r of rows) for (const id of [...(r.transitions?.gained_ids ?? []), ...(r.transitions?.lost_ids ?? [])]) if (!index.has(id)) index.set(id, index.size);
    const diffs = rows.map((r) => {
      const d = new Array<number>(r.n).fill(0);
      for (const id of r.transitions?.gained_ids ?? []) d[index.get(id)!] = 1;
      for (const id of r.transitions?.lost_ids ?? []) d[index.get(id)!] = -1;
      return d;
    });
    const inf = seedPooledMeanDifference(diffs, undefined, { seed: 1 });
    const [lo, hi] = confidenceInterval(inf, 0.95);
    return `${signed(inf.estimate)} [${signed(lo)}, ${signed(hi)}] p=${twoSidedP(inf).toPrecision(2)} (seeds ${inf.perSeed.map(signed).join(", ")})`;
  });
  lines.push(`| ${m} | ${cells.join(" | ")} |`);
});

lines.push("", "3. core-region overlap of A and B (Jaccard of the top 1% of |τ| per tensor; two random regions: 0.0050)");
const diffs = seeds.map((s) => JSON.parse(readFileSync(join(out, `diff-s${s}.json`), "utf8")) as DiffResult);
const layers = diffs[0].overlap!.byLayer.map((l) => l.layer);
lines.push(`| layer | ${seeds.map((s) => `seed ${s}`).join(" | ")} |`, `|---|${seeds.map(() => "---|").join("")}`);
for (const [k, layer] of layers.entries()) lines.push(`| ${layer ?? "outside layers"} | ${diffs.map((d) => d.overlap!.byLayer[k].jaccard[0][1]?.toFixed(4) ?? "—").join(" | ")} |`);
lines.push(`| all | ${diffs.map((d) => d.overlap!.overall[0][1]?.toFixed(4) ?? "—").join(" | ")} |`);
const same = JSON.parse(readFileSync(join(out, "diff-same-task.json"), "utf8")) as DiffResult;
const o = same.overlap!.overall;
lines.push("", `same task, other seed: arith s1~s2 ${o[0][1]?.toFixed(4)}, facts s1~s2 ${o[2][3]?.toFixed(4)}; across tasks: arith s1~facts s1 ${o[0][2]?.toFixed(4)}, arith s2~facts s2 ${o[1][3]?.toFixed(4)}`);
lines.push(`clusters (average linkage, cut at Jaccard 0.5): ${same.overlap!.clusters.map((c) => `{${c.join(", ")}}`).join(" ")}`);
process.stdout.write(`${lines.join("\n")}\n`);
