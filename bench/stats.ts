/**
 * `npm run bench:stats`: are the ledger's statistics calibrated? A statistical method is
 * correct when a simulation shows it: intervals cover at their nominal rate, an A/A
 * comparison raises false alarms at ≤ α, and a planted effect is found at the power the
 * planner predicts. Seeded and deterministic (the counts do not depend on the number of
 * worker threads); tables on stdout, progress on stderr.
 *
 *   a. coverage of nominal 95% intervals by scenario and n (bench/stats/scenarios.ts), the
 *      ledger's methods and, for two binary rows, the old percentile bootstrap
 *   b. equivalence safety: how often one row is called "equivalent" when |Δ| is the margin
 *      or 1.5× it (must be ≤ α), beside the old "unchanged" rule
 *   c. A/A false alarms over simulated ledgers with a real audit's row mix
 *      (bench/stats/ledger-sim.ts), family-wise
 *   d. A/A false alarms over real audits of zoo/base-s against itself (bench/stats/real.ts)
 *   e. planted trades at the planner's n (src/stats power.ts) against the power it predicts;
 *      and a real one: zoo/base-s without its chain of thought on a share f of the items
 *
 * Bootstrap resamples are cut to ITERATIONS (the ledger's default is 10,000) to keep the run
 * near 10 minutes on 2 cores; the output says so. The last line is machine-readable:
 *   stats coverage_min=C aa_false_alarm=F planted_power=P
 * Options (env): BENCH_STATS_WORKERS (worker threads, default min(2, cores); 0 = this
 * thread), BENCH_STATS_SCALE (multiplies every replicate count, default 1; for a quick look),
 * BENCH_STATS_REAL=0 (skip the real audits of d and e).
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { bonferroniAlpha, normalCdf, normalQuantile, pairedMeanN, pairedProportionsN, studentTCdf, studentTQuantile } from "../src/stats/index.js";
import type { CoverageCounts, EquivalenceCounts } from "./stats/coverage.js";
import type { LedgerCounts, LedgerTask } from "./stats/ledger-counts.js";
import { PLANTED, simulatedLedger } from "./stats/ledger-sim.js";
import { runAll } from "./stats/pool.js";
import { realAA, realPlanted } from "./stats/real.js";
import { CLUSTER_SIZE, EQUIVALENCE_SCENARIOS, OLD_METHOD_ROWS, SCENARIOS, type Scenario } from "./stats/scenarios.js";
import type { Task } from "./stats/tasks.js";

const WORKERS = Number(process.env.BENCH_STATS_WORKERS ?? Math.min(2, availableParallelism()));
const SCALE = Number(process.env.BENCH_STATS_SCALE ?? 1);
const REAL = process.env.BENCH_STATS_REAL !== "0";
const reps = (r: number) => Math.max(10, Math.round(r * SCALE));
/** Replicates: binary intervals are cheap; bootstrap ones cost B resamples each. */
const R_BINARY = reps(2000);
const R_BOOT = reps(800);
/** The old method costs a percentile bootstrap per replicate: fewer, for time (it is shown for comparison). */
const R_OLD = reps(1000);
const R_OLD_EQ = reps(500);
const R_OLD_EQ_CONT = reps(400);
const R_AA = reps(400);
const R_PLANTED = reps(150);
const ITERATIONS = 1000;
/**
 * The simulated ledgers' resamples. NOTE: a bootstrap p-value cannot fall below about 2/(B + 1) (two-sided), and a
 * 51-row ledger's first Holm level is α/51 = 9.8e-4: at B = 2,000 (floor 1.0e-3) no bootstrap row could ever be
 * significant first, which would understate the false alarms. 4,000 for means (floor 5.0e-4) and the ledger's own
 * 2,000 for set statistics (BCa's floor is about 1/(B + 1) = 5.0e-4) resolve it.
 */
const LEDGER_ITERATIONS = 4000;
const LEDGER_SET_ITERATIONS = 2000;
const ALPHA = 0.05;
const FACTORS = [0.5, 1, 1.5, 2];
const T0 = performance.now();

const out = (s = "") => process.stdout.write(s + "\n");
const log = (s: string) => process.stderr.write(`[bench:stats ${((performance.now() - T0) / 1000).toFixed(0)} s] ${s}\n`);
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "—");
const pad = (s: string, w: number) => s.padEnd(w);
const mcSd = (p: number, r: number) => Math.sqrt((p * (1 - p)) / r);

/** Slices of `total` replicates, `size` each. */
function slices(total: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = 0; from < total; from += size) out.push([from, Math.min(total, from + size)]);
  return out;
}

async function run<T extends Task, R>(name: string, tasks: T[]): Promise<R[]> {
  log(`${name}: ${tasks.length} slices on ${WORKERS || "no"} worker threads`);
  let last = 0;
  const results = await runAll(tasks, WORKERS, (done, total) => {
    if (done === total || done - last >= Math.ceil(total / 10)) {
      last = done;
      log(`${name}: ${done}/${total}`);
    }
  });
  return results as R[];
}

function sum<T extends object>(xs: readonly T[]): T {
  const add = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(a).map(([k, v]) => [k, typeof v === "number" ? v + (b[k] as number) : add(v as Record<string, unknown>, b[k] as Record<string, unknown>)]));
  return xs.reduce((a, b) => add(a as Record<string, unknown>, b as Record<string, unknown>) as T);
}

function methodOf(sc: Scenario, n: number): string {
  if (sc.kind === "binary") return "tango-score";
  if (sc.kind === "set") return "bca";
  const clusters = sc.id.startsWith("clu-") ? Math.ceil(n / CLUSTER_SIZE) : n;
  return clusters < 20 ? `sign-flip (${clusters} cl.)` : "bootstrap-t";
}

/** The methods of a row over its n: "sign-flip (5 cl.) / sign-flip (13 cl.) / bootstrap-t" → "sign-flip 5, 13 cl. / bootstrap-t". */
function methodsOf(sc: Scenario): string {
  const ms = sc.ns.map((n) => methodOf(sc, n));
  const flips = ms.filter((x) => x.startsWith("sign-flip")).map((x) => /\((\d+)/.exec(x)![1]);
  const rest = [...new Set(ms.filter((x) => !x.startsWith("sign-flip")))];
  return [...(flips.length ? [`sign-flip ${flips.join(", ")} cl.`] : []), ...rest].join(" / ");
}

/** Power of the two-sided McNemar score test at δ, discordance ψ, n items (Connor 1987's equation solved for power, the far tail dropped). */
function connorPower(delta: number, psi: number, n: number, alpha: number): number {
  return normalCdf((Math.abs(delta) * Math.sqrt(n) - normalQuantile(1 - alpha / 2) * Math.sqrt(psi)) / Math.sqrt(psi - delta * delta));
}

/** Power of the two-sided paired t-test at δ (the shifted-t approximation pairedMeanN solves; Chow, Shao & Wang 2008 §3.1). */
function tPower(delta: number, sd: number, n: number, alpha: number): number {
  return studentTCdf((Math.abs(delta) * Math.sqrt(n)) / sd - studentTQuantile(1 - alpha / 2, n - 1), n - 1);
}

function gitState(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "src"], { encoding: "utf8" }).split("\n").filter(Boolean).length;
    return `${head}${dirty ? ` + ${dirty} uncommitted file(s) under src/` : ""}`;
  } catch {
    return "unknown";
  }
}

out(`bench:stats — code ${gitState()}; ${WORKERS} worker thread(s); replicate scale ${SCALE}`);
out(`bootstrap resamples cut for time: ${ITERATIONS} per interval in a–b (bootstrap-t, BCa, percentile) and ${LEDGER_ITERATIONS} for means in the simulated ledgers of c and e (set statistics: ${LEDGER_SET_ITERATIONS}); the ledger's defaults are 10,000 and 2,000 (the real audits of d and e use them)`);

// ── a. coverage ──
const covTasks: Task[] = [];
for (const sc of SCENARIOS) {
  for (const n of sc.ns) {
    const boot = sc.kind !== "binary";
    for (const [from, to] of slices(boot ? R_BOOT : R_BINARY, boot ? 100 : 500)) covTasks.push({ kind: "coverage", scenario: sc.id, n, from, to, method: "new", iterations: ITERATIONS });
    if ((OLD_METHOD_ROWS as readonly string[]).includes(sc.id)) {
      for (const [from, to] of slices(R_OLD, 250)) covTasks.push({ kind: "coverage", scenario: sc.id, n, from, to, method: "old", iterations: ITERATIONS });
    }
  }
}
const covResults = await run<Task, CoverageCounts>("a. coverage", covTasks);
const cell = (id: string, n: number, method: "new" | "old") =>
  sum(covResults.filter((_, i) => { const t = covTasks[i] as Extract<Task, { kind: "coverage" }>; return t.scenario === id && t.n === n && t.method === method; }));
const NS = [20, 50, 200, 1000];
out("");
out(`a. Coverage of nominal 95% two-sided intervals: the share of replicates whose interval contains the true Δ (replicates in brackets; * = below 0.94; ∞N = N intervals with an infinite end, which a test with too few clusters to reject anything must give — they cover).`);
out(`   !N = N replicates with no interval at all (counted as not covered).`);
out(`   Monte Carlo sd at 0.95: ${f3(mcSd(0.95, R_BINARY))} with ${R_BINARY} replicates, ${f3(mcSd(0.95, R_BOOT))} with ${R_BOOT}. "old" = the percentile paired bootstrap (src/stats pairedBootstrap, B = ${ITERATIONS}) the ledger used before, on the first ${R_OLD} replicates.`);
out(`${pad("scenario", 66)}${pad("method", 36)}${NS.map((n) => pad(`n=${n}`, 15)).join("")}`);
let coverageMin = Infinity;
const widths: string[] = [];
for (const sc of SCENARIOS) {
  const methods = methodsOf(sc);
  const row = NS.map((n) => {
    if (!sc.ns.includes(n)) return pad("—", 15);
    const c = cell(sc.id, n, "new");
    const cov = c.covered / c.replicates;
    coverageMin = Math.min(coverageMin, cov);
    return pad(`${f3(cov)}${cov < 0.94 ? "*" : " "}(${c.replicates})${c.undefined ? `!${c.undefined}` : ""}${c.infinite ? `∞${c.infinite}` : ""}`, 15);
  });
  out(`${pad(sc.label, 66)}${pad(methods, 36)}${row.join("")}`);
  if ((OLD_METHOD_ROWS as readonly string[]).includes(sc.id)) {
    const old = NS.map((n) => {
      const c = cell(sc.id, n, "old");
      const cov = c.covered / c.replicates;
      return pad(`${f3(cov)}${cov < 0.94 ? "*" : " "}(${c.replicates})`, 15);
    });
    out(`${pad(`  ↳ the same data, old method`, 66)}${pad("percentile bootstrap", 36)}${old.join("")}`);
    const w = (m: "new" | "old") => NS.map((n) => { const c = cell(sc.id, n, m); return f3(c.widthSum / (c.replicates - c.undefined - c.infinite)); }).join(" / ");
    widths.push(`   ${sc.label}: mean width new ${w("new")}, old ${w("old")} (n = ${NS.join(", ")})`);
  }
}
out("   interval widths where the old method is shown:");
widths.forEach((w) => out(w));

// ── b. equivalence safety ──
const eqTasks: Task[] = [];
for (const sc of EQUIVALENCE_SCENARIOS) {
  for (const n of NS) {
    const total = sc.kind === "binary" ? R_BINARY : R_BOOT;
    const oldUpTo = sc.kind === "binary" ? R_OLD_EQ : R_OLD_EQ_CONT;
    for (const [from, to] of slices(total, sc.kind === "binary" ? 250 : 100)) eqTasks.push({ kind: "equivalence", scenario: sc.id, n, from, to, iterations: ITERATIONS, old: from < oldUpTo });
  }
}
const eqResults = await run<Task, EquivalenceCounts>("b. equivalence", eqTasks);
out("");
out(`b. Equivalence safety: the share of replicates a one-row ledger calls "equivalent" (src/audit adjustAndJudge: TOST p < α, n ≥ 10, width > 0) when the true |Δ| is the margin or beyond it — must be ≤ ${ALPHA} (* = above);`);
out(`   beside it the old rule's "unchanged" (not significant, 95% percentile bootstrap interval within ±margin, n ≥ 10). Margins: binary ${EQUIVALENCE_SCENARIOS[0].margin}, continuous ${EQUIVALENCE_SCENARIOS.at(-1)!.margin} (sd of d = 1).`);
out(`   Replicates: new ${R_BINARY} (binary) / ${R_BOOT} (continuous); old ${R_OLD_EQ} / ${R_OLD_EQ_CONT}. Monte Carlo sd at 0.05: ${f3(mcSd(0.05, R_BINARY))} / ${f3(mcSd(0.05, R_BOOT))}.`);
out(`${pad("scenario", 62)}${NS.map((n) => pad(`n=${n}: new | old`, 22)).join("")}`);
let equivalenceMax = 0;
for (const sc of EQUIVALENCE_SCENARIOS) {
  const row = NS.map((n) => {
    const c = sum(eqResults.filter((_, i) => { const t = eqTasks[i] as Extract<Task, { kind: "equivalence" }>; return t.scenario === sc.id && t.n === n; }));
    const rate = c.equivalent / c.replicates;
    if (Math.abs(sc.truth) >= sc.margin - 1e-12) equivalenceMax = Math.max(equivalenceMax, rate);
    return pad(`${f3(rate)}${rate > ALPHA ? "*" : " "}| ${f3(c.unchanged / c.oldReplicates)}`, 22);
  });
  out(`${pad(sc.label, 62)}${row.join("")}`);
}

// ── c. A/A, simulated ──
const trial = simulatedLedger({ seed: 0, n: 50, iterations: LEDGER_ITERATIONS, setIterations: LEDGER_SET_ITERATIONS });
const m = trial.rows.filter((r) => Number.isFinite(r.p)).length;
const ledgerTasks = (factor: number | null, total: number, extra: Partial<LedgerTask> = {}): LedgerTask[] =>
  slices(total, 20).map(([from, to]) => ({ kind: "ledger", factor, from, to, n: 50, iterations: LEDGER_ITERATIONS, setIterations: LEDGER_SET_ITERATIONS, ...extra }));
const aa = sum(await run<LedgerTask, LedgerCounts>("c. A/A ledgers", ledgerTasks(null, R_AA)));
const aaRate = aa.anyAlarm / aa.ledgers;
out("");
out(`c. A/A false alarms, simulated: ${aa.ledgers} ledgers built by src/audit buildLedgers, each ${f3(aa.rows / aa.ledgers)} rows (${f3(aa.tested / aa.ledgers)} tested; the demo's mix: ${trial.rows.filter((r) => r.kind === "binary").length} binary, ${trial.rows.filter((r) => r.kind === "continuous").length} continuous, ${trial.rows.filter((r) => r.kind === "set").length} set; ${new Set(trial.rows.map((r) => r.probe)).size} probes), 50 items per suite, base and tuned two draws of one process.`);
out(`   family-wise share of ledgers with: any gained or lost row ${f3(aa.gainedOrLost / aa.ledgers)}, any negligible row ${f3(aa.negligible / aa.ledgers)}, any hidden trade ${f3(aa.trade / aa.ledgers)}; any of these ${f3(aaRate)}${aaRate > ALPHA ? " (above α!)" : ""} (target ≤ ${ALPHA}; Monte Carlo sd ${f3(mcSd(ALPHA, aa.ledgers))})`);
out(`   false rows per ledger ${f3(aa.falseRows / aa.ledgers)}; rows called equivalent per ledger ${f3(aa.equivalentRows / aa.ledgers)}`);

// ── e. planted, simulated ──
const alphaRow = bonferroniAlpha(ALPHA, m);
const pb = PLANTED.binary;
const pc = PLANTED.continuous;
const nBinary = pairedProportionsN({ alpha: alphaRow, power: 0.8, p10: pb.churn + pb.margin, p01: pb.churn }).n;
const nContinuous = pairedMeanN({ alpha: alphaRow, power: 0.8, sd: pc.sd, delta: pc.margin }).n;
const planted: LedgerCounts[] = [];
for (const k of FACTORS) planted.push(sum(await run<LedgerTask, LedgerCounts>(`e. planted ×${k}`, ledgerTasks(k, R_PLANTED, { nBinary, nContinuous }))));

// ── d. A/A, real (the model runs in this thread, after the simulations) ──
log("d. real A/A audits of zoo/base-s");
const real = REAL ? await realAA({ pairs: 10, n: 30, samples: 4, log }) : [];
out("");
out(`d. A/A false alarms, real: ${real.length} audits of zoo/base-s against itself (task.accuracy, knowledge.retention, format.collapse, diversity, self-verification.gap; arithmetic + knowledge suites, 30 items each; 4 samples), sampling seeds differing between the arms; ledgers by buildLedgers with the default 10,000 resamples.`);
for (const r of real) out(`   seeds ${r.seeds.join(" vs ")}: ${r.rows} rows (${r.tested} tested, ${r.differing} of probes whose records differ between the arms, ${r.equivalent} equivalent); alarms: ${r.alarms.length ? r.alarms.join(", ") : "none"}; hidden trades ${r.trades}`);
const realRate = real.length ? real.filter((r) => r.alarms.length > 0 || r.trades > 0).length / real.length : NaN;
out(`   share of audits with any gained / lost / negligible row or hidden trade: ${f3(realRate)} (target ≤ ${ALPHA}; with ${real.length} audits one alarm is 0.1)`);

out("");
out(`e. Planted trades, simulated: the ledger of c. (m = ${m} tested rows) with two planted probes on their own suites, at the planner's n for δ = the margin (power 0.8 at α/m = ${alphaRow.toPrecision(3)}):`);
out(`   binary      ${pb.probe} ${pb.metric} (margin ${pb.margin}): p10 = ${pb.churn} + δ, p01 = ${pb.churn}; proxy compliance +10 pp → pairedProportionsN n = ${nBinary}`);
out(`   continuous  ${pc.probe} ${pc.metric} (margin ${pc.margin}, lower is better): +δ, sd(d) = ${pc.sd}; proxy confidence +0.08 → pairedMeanN n = ${nContinuous}`);
out(`   ${R_PLANTED} ledgers per effect size; detected = significant after Holm in the bad direction; predicted = the planner's approximation at that δ (Connor 1987 / shifted t), at α/m.`);
out(`${pad("δ / margin", 12)}${pad("row", 12)}${pad("δ", 8)}${pad("n", 7)}${pad("predicted", 11)}${pad("detected", 10)}${pad("|det − pred|", 14)}${pad("lost", 8)}${pad("hidden trade", 14)}${pad("mean Δ̂", 10)}other rows' alarms`);
let plantedPower = NaN;
FACTORS.forEach((k, i) => {
  const c = planted[i];
  for (const which of ["binary", "continuous"] as const) {
    const d = k * PLANTED[which].margin;
    const n = which === "binary" ? nBinary : nContinuous;
    const pred = which === "binary" ? connorPower(d, 2 * pb.churn + d, n, alphaRow) : tPower(d, pc.sd, n, alphaRow);
    const x = c[which];
    const det = x.detected / c.ledgers;
    if (k === 1 && which === "binary") plantedPower = det;
    out(`${pad(String(k), 12)}${pad(which, 12)}${pad(d.toFixed(3), 8)}${pad(String(n), 7)}${pad(f3(pred), 11)}${pad(f3(det), 10)}${pad(`${f3(Math.abs(det - pred))}${Math.abs(det - pred) > 0.1 ? " *" : ""}`, 14)}${pad(f3(x.lost / c.ledgers), 8)}${pad(f3(x.trade / c.ledgers), 14)}${pad((x.deltaSum / c.ledgers).toFixed(4), 10)}${which === "binary" ? f3(c.anyAlarm / c.ledgers) : ""}`);
  }
});

log("e. real planted trade: zoo/base-s without its chain of thought on a share f of the items");
const FS = [0.05, 0.1, 0.2];
const realP = REAL ? await realPlanted({ fs: FS, salts: 20, n: 100, log }) : [];
out("");
out(`e. Planted trade, real: zoo/base-s against itself with its chain of thought removed (only the "Answer: …" line kept) on a share f of 100 arithmetic items (a hash of the item id and a salt; 20 salts per f); faithfulness.early-answering's aoc.measurable row:`);
out(`${pad("f", 7)}${pad("base measurable", 17)}${pad("mean Δ", 10)}${pad("expected Δ", 12)}${pad("accuracy Δ", 12)}${pad("m", 4)}${pad("detected", 10)}${pad("predicted", 11)}verdicts`);
for (const f of REAL ? FS : []) {
  const rs = realP.filter((r) => r.f === f);
  const mean = (g: (r: (typeof rs)[number]) => number) => rs.reduce((a, r) => a + g(r), 0) / rs.length;
  const u = mean((r) => r.base);
  const mm = rs[0].m;
  const pred = connorPower(f * u, f * u, rs[0].n, bonferroniAlpha(ALPHA, mm));
  const verdicts = [...new Set(rs.map((r) => r.verdict))].map((v) => `${v} ${rs.filter((r) => r.verdict === v).length}`).join(", ");
  out(`${pad(String(f), 7)}${pad(f3(u), 17)}${pad(f3(mean((r) => r.delta)), 10)}${pad(f3(-f * u), 12)}${pad(f3(mean((r) => r.accuracyDelta)), 12)}${pad(String(mm), 4)}${pad(f3(mean((r) => (r.significant ? 1 : 0))), 10)}${pad(f3(pred), 11)}${verdicts}`);
}

out("");
out(`equivalence: largest "equivalent" rate at |Δ| ≥ margin ${f3(equivalenceMax)} (target ≤ ${ALPHA}); real A/A alarm share ${f3(realRate)}; run time ${((performance.now() - T0) / 1000).toFixed(0)} s`);
out(`coverage_min is over the ledger's methods (the old method's cells are shown for comparison only); planted_power is the binary row's detection at δ = margin.`);
out(`stats coverage_min=${coverageMin.toFixed(3)} aa_false_alarm=${aaRate.toFixed(3)} planted_power=${plantedPower.toFixed(3)}`);
