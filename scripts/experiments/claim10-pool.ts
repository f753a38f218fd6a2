/**
 * Claim 10's analysis (claim10-softcot.sh writes its inputs): per seed s, the greedy task
 * evaluation of softcot-s and sft-s (eval-*.json, one 0/1 per item, the same items for every
 * model) and one audit of closed-book recall with the base against sft-s1..sN and the softcot
 * runs' backbone. Prints:
 *   1. task accuracy (%) of the base, softcot and sft, mean over seeds [each seed]
 *   2. Δ vs the base, and softcot − sft: the mean over seeds of each seed's paired difference,
 *      with a 95% interval that resamples seeds and items (src/stats seeds.ts) and its p
 *   3. closed-book recall (ranking) of the base, each sft run and the softcot backbone, in the
 *      knowledge task's raw frame (which no fine-tune saw) and the chat frame, with Δ pooled
 *      the same way from the audit's gained / lost item lists.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditResultJson } from "../../src/audit/index.js";
import { confidenceInterval, seedPooledMeanDifference, twoSidedP } from "../../src/stats/index.js";

const [out, ...seedArgs] = process.argv.slice(2);
const seeds = seedArgs.map(Number);
interface Eval { n: number; ids: string[]; correct: number[]; accuracy: number }
const read = (f: string) => JSON.parse(readFileSync(join(out, f), "utf8")) as Eval;
const base = read("eval-base.json");
const softcot = seeds.map((s) => read(`eval-softcot-s${s}.json`));
const sft = seeds.map((s) => read(`eval-sft-s${s}.json`));
for (const e of [...softcot, ...sft]) if (e.ids.join() !== base.ids.join()) throw new Error("the evaluations differ in their items; rerun them with the same world and N");

const pct = (x: number) => (100 * x).toFixed(1);
const signed = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cell = (vals: number[]) => `${pct(mean(vals))} [${vals.map(pct).join(", ")}]`;
function pooled(diffs: number[][]): string {
  const inf = seedPooledMeanDifference(diffs, undefined, { seed: 1 });
  const [lo, hi] = confidenceInterval(inf, 0.95);
  return `${signed(inf.estimate)} [${signed(lo)}, ${signed(hi)}] p=${twoSidedP(inf).toPrecision(2)} (seeds ${inf.perSeed.map(signed).join(", ")})`;
}

const lines: string[] = [];
lines.push(`claim 10 (SoftCoT) on zoo/base-m, ${seeds.length} seeds (${seeds.join(", ")}); task: n = ${base.n} unseen arithmetic items, greedy, chat frame`);
lines.push("", "1. task accuracy (%), mean over seeds [each seed]", "| model | accuracy |", "|---|---|");
lines.push(`| base (zoo/base-m, no thoughts) | ${pct(base.accuracy)} |`);
lines.push(`| softcot (frozen base-m + 4 soft thoughts from base-s) | ${cell(softcot.map((e) => e.accuracy))} |`);
lines.push(`| sft (full fine-tune, same examples and steps) | ${cell(sft.map((e) => e.accuracy))} |`);
lines.push("", "2. Δ task accuracy (pp): mean over seeds of the paired difference, 95% interval over seeds × items, p (two-sided)", "| comparison | Δ |", "|---|---|");
const minus = (a: Eval, b: Eval) => a.correct.map((x, i) => x - b.correct[i]);
lines.push(`| softcot − base | ${pooled(softcot.map((e) => minus(e, base)))} |`);
lines.push(`| sft − base | ${pooled(sft.map((e) => minus(e, base)))} |`);
lines.push(`| softcot − sft | ${pooled(softcot.map((e, i) => minus(e, sft[i])))} |`);
if (existsSync(join(out, "eval-base-raw.json"))) {
  // the paper's setting: the backbone in its own raw frame, where it already solves some items zero-shot
  const baseRaw = read("eval-base-raw.json");
  const raw = seeds.map((s) => read(`eval-softcot-raw-s${s}.json`));
  for (const e of raw) if (e.ids.join() !== base.ids.join()) throw new Error("the raw-frame evaluations differ in their items");
  lines.push("", "raw frame (the task's own \"Problem: …\\nSolution:\\n\"; no sft arm: the sft recipe trains the chat frame)", "| model | accuracy / Δ vs base (raw) |", "|---|---|");
  lines.push(`| base (raw) | ${pct(baseRaw.accuracy)} |`);
  lines.push(`| softcot (raw) | ${cell(raw.map((e) => e.accuracy))} |`);
  lines.push(`| softcot (raw) − base (raw) | ${pooled(raw.map((e) => minus(e, baseRaw)))} |`);
}

const audits = { chat: "audit.json", raw: "audit-raw.json" };
const recallRow = (frame: keyof typeof audits, ledger: number) => {
  const a = JSON.parse(readFileSync(join(out, audits[frame]), "utf8")) as AuditResultJson;
  const r = a.ledgers[ledger].rows.find((x) => x.probe === "knowledge.retention" && x.metric === "closed-book" && x.formats.tuned === frame);
  if (!r) throw new Error(`no knowledge.retention closed-book row with the tuned model in the ${frame} frame in ${audits[frame]} ledger ${ledger}`);
  return r;
};
const rowDiffs = (rows: ReturnType<typeof recallRow>[]) => {
  const index = new Map<string, number>();
  for (const r of rows) for (const id of [...(r.transitions?.gained_ids ?? []), ...(r.transitions?.lost_ids ?? [])]) if (!index.has(id)) index.set(id, index.size);
  return rows.map((r) => {
    const d = new Array<number>(r.n).fill(0);
    for (const id of r.transitions?.gained_ids ?? []) d[index.get(id)!] = 1;
    for (const id of r.transitions?.lost_ids ?? []) d[index.get(id)!] = -1;
    return d;
  });
};
const bb = seeds.length; // the audits' last tuned model is the softcot backbone (zoo/base-m itself)
const bbRaw = recallRow("raw", bb), bbChat = recallRow("chat", bb);
lines.push("", `3. closed-book recall by ranking (%), n = ${bbRaw.n} facts; the base (zoo/base-m) in its raw frame`);
lines.push("| model | raw frame (no fine-tune saw it) | chat frame (the fine-tunes' frame) |", "|---|---|---|");
lines.push(`| base / softcot backbone (the same weights) | ${pct(bbRaw.base!)} (backbone arm: ${pct(bbRaw.tuned!)}) | ${pct(bbChat.tuned!)} |`);
lines.push(`| sft | ${cell(seeds.map((_, i) => recallRow("raw", i).tuned!))} | ${cell(seeds.map((_, i) => recallRow("chat", i).tuned!))} |`);
lines.push("", "Δ recall (pp), pooled as in 2:", "| comparison | Δ |", "|---|---|");
lines.push(`| softcot backbone − base, raw frame | ${signed(bbRaw.delta ?? NaN)} (gained ${bbRaw.transitions?.gained ?? "?"}, lost ${bbRaw.transitions?.lost ?? "?"}: the same weights) |`);
lines.push(`| sft − base, raw frame | ${pooled(rowDiffs(seeds.map((_, i) => recallRow("raw", i))))} |`);
// in the chat frame the fair reference is the base asked in the chat frame too (the backbone arm): per item, sft − base(chat)
// (each row's per-item value is tuned − base(raw), so their difference is sft − base(chat); one item index for all rows)
const aligned = rowDiffs([...seeds.map((_, i) => recallRow("chat", i)), bbChat]);
const chatDiffs = seeds.map((_, i) => aligned[i].map((x, j) => x - aligned[seeds.length][j]));
lines.push(`| sft − base, both in the chat frame | ${pooled(chatDiffs)} |`);
process.stdout.write(`${lines.join("\n")}\n`);
