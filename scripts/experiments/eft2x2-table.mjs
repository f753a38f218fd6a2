// The claim-1 2×2 over the seeds eft2x2.sh ran: per cell, the mean over seeds and each seed's
// value of arithmetic accuracy (chat), closed-book recall by generation in the raw frame the
// fine-tunes never saw, and the code share of sampled solutions (chat).
//   node scripts/experiments/eft2x2-table.mjs runs/eft2x2 1 2 3
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [out, ...seeds] = process.argv.slice(2);
const labs = seeds.map((s) => JSON.parse(readFileSync(join(out, `lab-s${s}.json`), "utf8")));
// arms in eft2x2.sh's order: base-s, base-l, sft-s, sft-l, eft up, eft down
const CELLS = [["base-s (no fine-tune)", "base", "base"], ["base-l (no fine-tune)", "tuned1", "tuned1"], ["small pre-training + small fine-tune (real)", "tuned2", "tuned2@base-format"],
  ["large pre-training + large fine-tune (real)", "tuned3", "tuned3@base-format"], ["large pre-training + small fine-tune (EFT up-scaling)", "tuned4", "tuned4@base-format"],
  ["small pre-training + large fine-tune (EFT down-scaling)", "tuned5", "tuned5@base-format"]];
const arm = (lab, name) => lab.measures.find((a) => a.arm === name);
const measure = (lab, name, label) => arm(lab, name).measures.find((m) => m.measure.label === label).interval.p;
const pct = (x) => (100 * x).toFixed(1);
const cell = (xs) => `${pct(xs.reduce((a, b) => a + b, 0) / xs.length)} [${xs.map(pct).join(", ")}]`;
const lines = [`claim 1's 2×2, ${seeds.length} fine-tuning seed(s) (${seeds.join(", ")}); % mean over seeds [each seed]`, "",
  "| cell | arithmetic (chat; the bases raw) | recall by generation, raw frame | code share of samples (chat; the bases raw) |", "|---|---|---|---|"];
for (const [label, main, raw] of CELLS) {
  const arith = labs.map((l) => measure(l, main, "arithmetic accuracy (greedy)"));
  const recall = labs.map((l) => measure(l, raw, "knowledge recall (generation)"));
  const code = labs.map((l) => arm(l, main).formats.shares.code.p);
  lines.push(`| ${label} | ${cell(arith)} | ${cell(recall)} | ${cell(code)} |`);
}
process.stdout.write(`${lines.join("\n")}\n`);
