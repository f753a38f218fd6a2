/**
 * Claim 9's full-recipe analysis (claim9-cpift.sh writes its inputs): per seed s, one audit with
 * zoo/base-m (raw frame) as the base and A_s, K_s, P_s (single-task sft), M_s (multi-task sft) and
 * C_s (cpi-ft) as tuned models (chat frame), on the arithmetic, knowledge and programs suites.
 * Prints:
 *   1. accuracy of every model on every task (mean over seeds, each seed's value)
 *   2. C − M per task: the mean over seeds of each seed's paired difference, with a 95% interval
 *      that resamples seeds and items (src/stats seeds.ts) and its two-sided p
 *   3. forgetting: M and C against each task's own single-task model, and against the base
 *   4. what the fusion froze (run.json's data of each cpi-ft run)
 * Per-item differences come from each row's gained / lost item lists against the shared base:
 * model X's correctness on an item is base + gained − lost, so X − Y = (g_X − l_X) − (g_Y − l_Y)
 * and the base cancels; nothing is recomputed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditResultJson } from "../../src/audit/index.js";
import { confidenceInterval, seedPooledMeanDifference, twoSidedP } from "../../src/stats/index.js";

const [out, ...seedArgs] = process.argv.slice(2);
const seeds = seedArgs.map(Number);
const audits = seeds.map((s) => JSON.parse(readFileSync(join(out, `audit-s${s}.json`), "utf8")) as AuditResultJson);
// F (when claim9-cpift.sh has measured it): C's fused start alone, from its own audit per seed
const fused = seeds.every((s) => existsSync(join(out, `audit-fused-s${s}.json`)))
  ? seeds.map((s) => JSON.parse(readFileSync(join(out, `audit-fused-s${s}.json`), "utf8")) as AuditResultJson)
  : null;
const MODELS = ["A (arith only)", "K (facts only)", "P (programs only)", "M (multi-task sft)", "C (cpi-ft)", ...(fused ? ["F (C's fused start, no fine-tune)"] : [])];
const [A, K, P, M, C, F] = [0, 1, 2, 3, 4, 5];
const BASE = -1;
/** Model i's audit and ledger in seed k: F is ledger 0 of the fused audits. */
const ledgerOf = (k: number, i: number): [AuditResultJson, number] => (i === F ? [fused![k], 0] : [audits[k], i]);
const TASKS = ["arithmetic", "knowledge", "programs"];
const SINGLE: Record<string, number> = { arithmetic: A, knowledge: K, programs: P };
/** The audit's domain of each suite's items (the programs suite's items are in domain "code"). */
const DOMAIN: Record<string, string> = { arithmetic: "arithmetic", knowledge: "knowledge", programs: "code" };

type Row = AuditResultJson["ledgers"][number]["rows"][number];
const rowOf = (a: AuditResultJson, ledger: number, task: string): Row => {
  const r = a.ledgers[ledger].rows.find((x) => x.probe === "task.accuracy" && x.metric === "accuracy" && x.domain === DOMAIN[task] && !x.tuned_in_base_format);
  if (!r) throw new Error(`no task.accuracy row for ${task} in ledger ${ledger}`);
  return r;
};
const pct = (x: number) => `${(100 * x).toFixed(1)}`;
const signed = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Each seed's per-item difference X − Y on `task` (model BASE = the base), items at one index in every seed. */
function differences(task: string, x: number, y: number): number[][] {
  const index = new Map<string, number>();
  const moved = (k: number, m: number) => {
    const d = new Map<string, number>();
    if (m === BASE) return d;
    const r = rowOf(...ledgerOf(k, m), task);
    for (const id of r.transitions?.gained_ids ?? []) d.set(id, 1);
    for (const id of r.transitions?.lost_ids ?? []) d.set(id, -1);
    return d;
  };
  const per = audits.map((_, k) => {
    const dx = moved(k, x), dy = moved(k, y);
    const ids = new Set([...dx.keys(), ...dy.keys()]);
    for (const id of ids) if (!index.has(id)) index.set(id, index.size);
    return { dx, dy, ids };
  });
  const n = rowOf(audits[0], 0, task).n;
  if (index.size > n) throw new Error(`${task}: ${index.size} changed items but n = ${n}`);
  return per.map(({ dx, dy, ids }) => {
    const d = new Array<number>(n).fill(0);
    for (const id of ids) d[index.get(id)!] = (dx.get(id) ?? 0) - (dy.get(id) ?? 0);
    return d;
  });
}

function pooled(task: string, x: number, y: number): string {
  const inf = seedPooledMeanDifference(differences(task, x, y), undefined, { seed: 1 });
  const [lo, hi] = confidenceInterval(inf, 0.95);
  return `${signed(inf.estimate)} [${signed(lo)}, ${signed(hi)}] p=${twoSidedP(inf).toPrecision(2)} (seeds ${inf.perSeed.map(signed).join(", ")})`;
}

const lines: string[] = [];
lines.push(`claim 9 (cpi-ft) on zoo/base-m, ${seeds.length} fine-tuning seeds (${seeds.join(", ")}); n = ${rowOf(audits[0], 0, "arithmetic").n} unseen id items per task; greedy; base in its raw frame, fine-tunes in chat`);
lines.push("", "1. accuracy (%), mean over seeds [each seed]");
lines.push(`| model | ${TASKS.join(" | ")} |`, `|---|${TASKS.map(() => "---|").join("")}`);
const cell = (vals: number[]) => `${pct(mean(vals))} [${vals.map(pct).join(", ")}]`;
lines.push(`| zoo/base-m | ${TASKS.map((t) => pct(rowOf(audits[0], 0, t).base as number)).join(" | ")} |`);
MODELS.forEach((m, i) => lines.push(`| ${m} | ${TASKS.map((t) => cell(audits.map((_, k) => rowOf(...ledgerOf(k, i), t).tuned as number))).join(" | ")} |`));

const table = (title: string, pairs: [string, (t: string) => [number, number]][]) => {
  lines.push("", title);
  lines.push(`| difference | ${TASKS.join(" | ")} |`, `|---|${TASKS.map(() => "---|").join("")}`);
  for (const [label, pick] of pairs) lines.push(`| ${label} | ${TASKS.map((t) => pooled(t, ...pick(t))).join(" | ")} |`);
};
table("2. cpi-ft against the multi-task sft (pp): mean over seeds, 95% interval over seeds × items, p (two-sided)", [
  ["C − M", () => [C, M]],
  ...(fused ? [["C − F (what the frozen fine-tune added)", () => [C, F]], ["F − M", () => [F, M]]] as [string, (t: string) => [number, number]][] : []),
]);
table("3. forgetting (pp; negative = the model lost accuracy): against each task's own single-task model, and against the base", [
  ["M − single-task", (t) => [M, SINGLE[t]]],
  ["C − single-task", (t) => [C, SINGLE[t]]],
  ["M − base", () => [M, BASE]],
  ["C − base", () => [C, BASE]],
]);

lines.push("", "4. the fusion of each cpi-ft run (run.json data): frozen elements (share), entries in more than one core, cores owned by A / K / P");
for (const s of seeds) {
  const d = JSON.parse(readFileSync(join(out, `cpi-ft-s${s}`, "run.json"), "utf8")).data as Record<string, number>;
  lines.push(`seed ${s}: ${d.frozen} (${(100 * d.frozenShare).toFixed(2)}%), overlapping ${d.overlapping}, owned ${d.coreOwned0} / ${d.coreOwned1} / ${d.coreOwned2}`);
}
process.stdout.write(`${lines.join("\n")}\n`);
