/**
 * Claim 11's analysis (claim11-self-improve.sh writes its inputs): per seed s, two
 * self-improvement loops from the same verification-taught model V (filter "self" and
 * "external"), and one audit of self-verification.gap (base zoo/base-m, tuned: the stages of V). Prints:
 *   1. per round and arm: gen utility and the relative gap, the mean over seeds with a 95%
 *      interval that resamples seeds and items (src/stats seeds.ts), and kept / kept-correct /
 *      distinct answers / format entropy (means over seeds). Round r's prompts are the same
 *      items for every seed and both arms, fresh each round; round 1 samples the same model with
 *      the same seed in both arms, so its rows agree.
 *   2. self − external, per round, paired by item: gen utility and gap
 *   3. the gain of each arm from round 1 to the last round (different items per round: the
 *      bootstrap resamples item positions jointly, a mild approximation), and self − external
 *   4. the audit's self-verification.gap on each teaching stage against zoo/base-m: value and n
 * Per-item gap: (verif_util − gen_util) / (1 − gen_util) over an item's k samples, where
 * defined (gen_util < 1 and a sample self-accepted); the mean is over the defined items.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditResultJson } from "../../src/audit/index.js";
import { confidenceInterval, seedPooledDifference } from "../../src/stats/index.js";
import { relativeGap, roundDir, selfAccepts, type RoundLine, type RoundSample } from "../../src/train/index.js";

const [out, ...seedArgs] = process.argv.slice(2);
const seeds = seedArgs.map(Number);
const ALL_ARMS = ["self", "external", "reference", "replay", "self-r0", "external-r0", "self-r0-lr1e-4", "external-r0-lr1e-4"] as const;
type Arm = (typeof ALL_ARMS)[number];
// reference (V unchanged) and replay (replayed rows only) when the script ran them
const ARMS = ALL_ARMS.filter((a) => seeds.every((s) => existsSync(join(out, `${a}-s${s}`, "metrics.jsonl"))));

interface PerItem { gen: number; gap: number }
const readRound = (arm: Arm, s: number, r: number) =>
  JSON.parse(readFileSync(join(roundDir(join(out, `${arm}-s${s}`), r), "samples.json"), "utf8")) as { samples: RoundSample[] };
const lines = (arm: Arm, s: number) =>
  readFileSync(join(out, `${arm}-s${s}`, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RoundLine);
const rounds = lines("self", seeds[0]).length;

/** Per item of round r (in item order): gen utility and gap (NaN where undefined). */
function perItem(arm: Arm, s: number, r: number): PerItem[] {
  const groups = new Map<string, RoundSample[]>();
  for (const x of readRound(arm, s, r).samples) groups.set(x.item, [...(groups.get(x.item) ?? []), x]);
  return [...groups.values()].map((g) => {
    const gen = g.filter((x) => x.correct).length / g.length;
    const acc = g.filter(selfAccepts);
    const gap = relativeGap(gen, acc.length ? acc.filter((x) => x.correct).length / acc.length : null);
    return { gen, gap: gap ?? NaN };
  });
}

/** Mean over the picked items where defined. */
function meanOn(v: readonly number[], pick: ArrayLike<number>): number {
  let sum = 0, n = 0;
  for (let j = 0; j < pick.length; j++) if (Number.isFinite(v[pick[j]])) (sum += v[pick[j]], n++);
  return n ? sum / n : NaN;
}

/** Mean over seeds of f_s (a per-item vector), 95% interval over seeds × items. */
function pooled(vectors: number[][], diffOn?: (s: number, pick: ArrayLike<number>) => number): string {
  const n = vectors[0].length;
  const inf = seedPooledDifference(vectors.length, n, n, diffOn ?? ((s, pick) => meanOn(vectors[s], pick)), { seed: 1 });
  const [lo, hi] = confidenceInterval(inf, 0.95);
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "—");
  return `${f(inf.estimate)} [${f(lo)}, ${f(hi)}]`;
}

const L: string[] = [];
const cfg = JSON.parse(readFileSync(join(out, `self-s${seeds[0]}.json`), "utf8")) as { rounds: number; prompts: { count: number }; k: number };
L.push(`claim 11 on zoo/base-m taught to verify; ${seeds.length} seeds (${seeds.join(", ")}); R = ${cfg.rounds} rounds + a last measurement, ${cfg.prompts.count} fresh prompts × k = ${cfg.k} per round; chat format`);
L.push("", "1. per round: gen utility and gap (mean over seeds [95% interval, seeds × items]); kept, kept correct, distinct answers, format entropy (mean over seeds)");
L.push("| round | arm | gen utility | gap | gap items/seed | self-accept | kept | kept correct | distinct answers | format entropy |", "|---|---|---|---|---|---|---|---|---|---|");
const avg = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3) : "—";
};
for (let r = 1; r <= rounds; r++) {
  for (const arm of ARMS) {
    const items = seeds.map((s) => perItem(arm, s, r));
    const ls = seeds.map((s) => lines(arm, s)[r - 1]);
    L.push(`| ${r}${r === rounds ? " (measure)" : ""} | ${arm} | ${pooled(items.map((v) => v.map((x) => x.gen)))} | ${pooled(items.map((v) => v.map((x) => x.gap)))} | ` +
      `${avg(ls.map((l) => l.gapItems))} | ${avg(ls.map((l) => l.selfAccept))} | ${avg(ls.map((l) => l.kept))} | ${avg(ls.map((l) => l.keptCorrect))} | ${avg(ls.map((l) => l.distinctAnswers))} | ${avg(ls.map((l) => l.formatEntropy))} |`);
  }
}

const pairs: [Arm, Arm][] = [
  ["self", "external"],
  ...(ARMS.includes("self-r0") && ARMS.includes("external-r0") ? [["self-r0", "external-r0"] as [Arm, Arm]] : []),
  ...(ARMS.includes("self-r0-lr1e-4") && ARMS.includes("external-r0-lr1e-4") ? [["self-r0-lr1e-4", "external-r0-lr1e-4"] as [Arm, Arm]] : []),
  ...(ARMS.includes("reference") ? (["self", "external", "replay", "self-r0", "external-r0", "self-r0-lr1e-4", "external-r0-lr1e-4"] as Arm[]).filter((a) => ARMS.includes(a)).map((a): [Arm, Arm] => [a, "reference"]) : []),
];
L.push("", "2. differences per round, paired by item (same prompts, same sampling seed; mean over seeds [95% interval])");
L.push("| round | arms | Δ gen utility | Δ gap |", "|---|---|---|---|");
for (let r = 1; r <= rounds; r++) {
  for (const [x, y] of pairs) {
    const a = seeds.map((s) => perItem(x, s, r));
    const b = seeds.map((s) => perItem(y, s, r));
    const dGen = a.map((v, si) => v.map((it, i) => it.gen - b[si][i].gen));
    const dGap = (si: number, pick: ArrayLike<number>) => meanOn(a[si].map((it) => it.gap), pick) - meanOn(b[si].map((it) => it.gap), pick);
    L.push(`| ${r} | ${x} − ${y} | ${pooled(dGen)} | ${pooled(dGen, dGap)} |`);
  }
}

L.push("", `3. gain in gen utility from round 1 to round ${rounds} (mean over seeds [95% interval])`);
const gainOn = (arm: Arm) => {
  const first = seeds.map((s) => perItem(arm, s, 1).map((x) => x.gen));
  const last = seeds.map((s) => perItem(arm, s, rounds).map((x) => x.gen));
  return (s: number, pick: ArrayLike<number>) => meanOn(last[s], pick) - meanOn(first[s], pick);
};
const dummy = seeds.map(() => perItem("self", seeds[0], 1).map(() => 0));
for (const arm of ARMS) L.push(`- ${arm}: ${pooled(dummy, gainOn(arm))}`);
const gs = gainOn("self"), ge = gainOn("external");
L.push(`- self − external: ${pooled(dummy, (s, p) => gs(s, p) - ge(s, p))}`);
if (ARMS.includes("self-r0") && ARMS.includes("external-r0")) {
  const g0 = gainOn("self-r0"), e0 = gainOn("external-r0");
  L.push(`- self-r0 − external-r0: ${pooled(dummy, (s, p) => g0(s, p) - e0(s, p))}`);
}
if (ARMS.includes("self-r0-lr1e-4") && ARMS.includes("external-r0-lr1e-4")) {
  const g1 = gainOn("self-r0-lr1e-4"), e1 = gainOn("external-r0-lr1e-4");
  L.push(`- self-r0-lr1e-4 − external-r0-lr1e-4: ${pooled(dummy, (s, p) => g1(s, p) - e1(s, p))}`);
}

L.push("", "4. audit: self-verification.gap, base zoo/base-m vs each teaching stage (ledger mean over items; measured = items where the gap is defined, base / tuned)");
const audit = existsSync(join(out, "audit.json")) ? (JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as AuditResultJson) : null;
const TAUGHT = ["teach-arith", "teach-verify", "teach (V)"];
if (!audit) L.push("- (no audit.json yet)");
audit?.ledgers.forEach((ledger, i) => {
  const rows = ledger.rows.filter((x) => x.probe === "self-verification.gap" && !x.tuned_in_base_format && x.domain === null);
  const any = rows.length ? rows : ledger.rows.filter((x) => x.probe === "self-verification.gap" && !x.tuned_in_base_format);
  const cell = (m: string) => {
    const row = any.find((x) => x.metric === m);
    if (!row) return `${m}: no row`;
    const f = (x: number | null) => (x === null ? "—" : x.toFixed(3));
    const measured = row.measured ? ` measured ${row.measured.base}/${row.measured.tuned} of ${row.measured.items}` : "";
    return `${m}: base ${f(row.base)}, tuned ${f(row.tuned)} (n ${row.n}${measured}; Δ CI [${f(row.ci_low)}, ${f(row.ci_high)}])`;
  };
  L.push(`- ${TAUGHT[i] ?? ledger.spec}: ${["verification-gap", "gen-utility", "self-accept"].map(cell).join("; ")}`);
});
L.push("", "5. audit: V as the base, each loop's final model as tuned (self-verification.gap and greedy task accuracy; n = items where both are defined)");
const loops = existsSync(join(out, "audit-loops.json")) ? (JSON.parse(readFileSync(join(out, "audit-loops.json"), "utf8")) as AuditResultJson) : null;
if (!loops) L.push("- (no audit-loops.json yet)");
loops?.ledgers.forEach((ledger) => {
  const f = (x: number | null) => (x === null ? "—" : x.toFixed(3));
  const cells = [["self-verification.gap", "verification-gap"], ["self-verification.gap", "self-accept"], ["task.accuracy", "accuracy"]].map(([probe, m]) => {
    const row = ledger.rows.find((x) => x.probe === probe && x.metric === m && !x.tuned_in_base_format && x.domain === null)
      ?? ledger.rows.find((x) => x.probe === probe && x.metric === m && !x.tuned_in_base_format);
    return row ? `${m}: V ${f(row.base)}, tuned ${f(row.tuned)}, Δ ${f(row.delta)} [${f(row.ci_low)}, ${f(row.ci_high)}] (n ${row.n})` : `${m}: no row`;
  });
  L.push(`- ${ledger.spec.replace(/^builtin:/, "")}: ${cells.join("; ")}`);
});
process.stdout.write(`${L.join("\n")}\n`);
