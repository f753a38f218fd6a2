/**
 * `ftledger plan`: how many items an audit needs, per ledger row — to detect a change of
 * the metric's margin at the stated power, and to show equivalence within ±margin (TOST)
 * — at the Bonferroni level α/m for a ledger of m rows (docs/PROBES.md §6; the formulas
 * and their sources are in src/stats/power.ts). From stated rates (`--metric`), or from a
 * pilot run in a run store (`--store --run`): each row's discordance ψ (binary) or sd of
 * the per-item differences (continuous), and its design effect from the items' clusters.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { armKey, openRunStore, type RunStore } from "../../audit/index.js";
import { clusterOf, type Item, type ItemRecord } from "../../probes/index.js";
import { deltaUnit, rowLabel } from "../../report/index.js";
import { designEffect, iccOneWay, planRows, type PlanInput, type PlannedRow, type PlanSettings, type PlanUnit as Unit } from "../../stats/index.js";

// ── options ──

/** A number from a flag's text (or a number, in-process); an empty flag is not 0. */
const num = (rule: string, ok: (x: number) => boolean) =>
  z.preprocess((v) => (typeof v === "string" ? (v.trim() === "" ? NaN : Number(v)) : v), z.number({ error: rule }).refine(ok, { error: rule }));
const int = (min: number) => num(`an integer ≥ ${min}`, (x) => Number.isInteger(x) && x >= min);

const STATED_ONLY = ["baseRate", "discordance", "sd", "margin", "rows"] as const;

export const planOptionsSchema = z.strictObject({
  // any text in, as commander gives it; the enum says what is accepted
  metric: z.string().pipe(z.enum(["binary", "continuous"], { error: "binary or continuous" })).optional(),
  baseRate: num("a share in (0, 1)", (x) => x > 0 && x < 1).optional(),
  discordance: num("a share in (0, 1]", (x) => x > 0 && x <= 1).optional(),
  sd: num("a number > 0", (x) => x > 0).optional(),
  margin: num("a number > 0", (x) => x > 0).optional(),
  /** Unset: 1, a single test with no multiplicity adjustment. */
  rows: int(1).optional(),
  /** Unset: 0.05 for stated rates, the ledger's own α for a stored run. */
  alpha: num("in (0, 1)", (x) => x > 0 && x < 1).optional(),
  /** 0.8: Cohen's convention, as the ledger's MDE column. */
  power: num("in [0.5, 1)", (x) => x >= 0.5 && x < 1).default(0.8),
  /** Unset: 1 for stated rates, estimated from the items' clusters for a stored run. */
  deff: num("a number ≥ 1", (x) => x >= 1).optional(),
  n: int(2).optional(),
  store: z.string().min(1).optional(),
  run: z.string().min(1).optional(),
  json: z.boolean().default(false),
}).superRefine((o, ctx) => {
  const say = (message: string) => ctx.addIssue({ code: "custom", message });
  if (o.store === undefined && o.metric === undefined) return say("give --metric binary|continuous with its rates, or --store DIR --run ID to plan from a pilot run; see ftledger plan --help");
  if (o.store !== undefined && o.metric !== undefined) return say("give either --metric (stated rates) or --store/--run (a pilot run), not both");
  if (o.store !== undefined || o.run !== undefined) {
    if (o.run === undefined) say("--store needs --run ID (ftledger view DIR lists the runs)");
    if (o.store === undefined) say("--run needs --store DIR (the --store of the audit)");
    for (const k of STATED_ONLY) if (o[k] !== undefined) say(`${flag(k)} is for stated rates; with --store it comes from each row of the run: leave it out`);
    return;
  }
  const need = (k: (typeof STATED_ONLY)[number]) => void (o[k] === undefined && say(`--metric ${o.metric} needs ${flag(k)}`));
  const refuse = (k: (typeof STATED_ONLY)[number]) => void (o[k] !== undefined && say(`${flag(k)} does not apply to --metric ${o.metric}`));
  need("margin");
  if (o.metric === "continuous") {
    need("sd");
    refuse("baseRate");
    refuse("discordance");
    return;
  }
  need("baseRate");
  need("discordance");
  refuse("sd");
  if (o.baseRate === undefined || o.discordance === undefined || o.margin === undefined) return;
  const [p, psi, d] = [o.baseRate, o.discordance, o.margin];
  if (d > psi) say(`--margin ${d} exceeds --discordance ${psi}: a change of δ needs at least δ of the items to change (ψ ≥ δ); raise --discordance or lower --margin`);
  // p10 (base right, tuned wrong) ≤ the base rate and p01 ≤ 1 − it: at ψ/2 each for equivalence, (ψ ∓ δ)/2 for detection
  else if (psi / 2 > p || (psi + d) / 2 > 1 - p) say(`--discordance ${psi} is impossible at --base-rate ${p}: p10 = ψ/2 must be ≤ the base rate and p01 = (ψ + δ)/2 ≤ 1 − the base rate`);
});

export type PlanOptions = z.input<typeof planOptionsSchema>;
type Plan = z.output<typeof planOptionsSchema>;

const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function optionErrors(raw: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const key = i.path[0];
    if (typeof key !== "string") return i.message;
    if (i.code === "unrecognized_keys") return `unknown option(s) ${i.keys.map(flag).join(", ")}`;
    return `${flag(key)} must be ${i.message}, got ${JSON.stringify(raw[key])}`;
  });
}

// ── from stated rates ──

function statedInput(o: Plan): PlanInput {
  const margin = o.margin!;
  if (o.metric === "binary") {
    return { label: "binary (stated)", kind: "binary", unit: "share", margin, nNow: o.n, psi: o.discordance!, deff: o.deff ?? 1, notes: [] };
  }
  return { label: "continuous (stated)", kind: "continuous", unit: "number", margin, nNow: o.n, sd: o.sd!, deff: o.deff ?? 1, notes: [] };
}

function statedHeader(o: Plan, alpha: number): string[] {
  const psi = o.discordance!;
  const d = o.margin!;
  const lines = o.metric === "binary"
    ? [
        `plan from stated rates: binary metric, base rate ${pct(o.baseRate!)}, discordance ψ = ${fixed(psi, 4)}, margin ${amount("share", d)}`,
        `  detection: the alternative keeps ψ and moves the margin, p10 = (ψ − δ)/2 = ${fixed((psi - d) / 2, 4)}, p01 = (ψ + δ)/2 = ${fixed((psi + d) / 2, 4)} ` +
          `(McNemar score test, Connor 1987); equivalence at p10 = p01 = ψ/2 = ${fixed(psi / 2, 4)} (TOST); the base rate only bounds ψ`,
      ]
    : [`plan from stated rates: continuous metric, sd of the per-item differences ${fixed(o.sd!, 4)}, margin ${amount("number", d)} (paired t; TOST)`];
  return [...lines, levelLine(alpha, o.rows ?? 1, o.power, o.deff ?? 1)];
}

// ── from a pilot run ──

const rowShape = z.looseObject({
  probe: z.string(), metric: z.string(), domain: z.string().nullable().optional(),
  kind: z.enum(["binary", "continuous", "set"]), unit: z.string(), margin: z.number(), n: z.number(),
  formats: z.object({ base: z.string(), tuned: z.string() }).optional(),
  tuned_in_base_format: z.boolean().optional(),
  transitions: z.looseObject({ gained: z.number(), lost: z.number() }).nullable().optional(),
});
const resultShape = z.looseObject({
  ledgers: z.array(z.looseObject({ tuned: z.number().int().min(1), spec: z.string().optional(), alpha: z.number(), rows: z.array(rowShape) })),
});
type PilotRow = z.infer<typeof rowShape>;
export type PilotLedger = z.infer<typeof resultShape>["ledgers"][number];

/** The paired per-item values of one row, in item order, with each item's cluster. */
function pairsOf(items: readonly Item[], base: readonly ItemRecord[], tuned: readonly ItemRecord[], row: PilotRow) {
  const b = new Map(base.map((r) => [r.itemId, r.values[row.metric]]));
  const t = new Map(tuned.map((r) => [r.itemId, r.values[row.metric]]));
  const out: { x: number; y: number; cluster: string }[] = [];
  for (const it of items) {
    if (row.domain && it.domain !== row.domain) continue;
    const x = b.get(it.id);
    const y = t.get(it.id);
    if (typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)) out.push({ x, y, cluster: clusterOf(it) });
  }
  return out;
}

/** The design effect of the per-item differences' clusters (Kish, with the one-way ANOVA ICC). */
function pilotDeff(diffs: readonly number[], clusters: readonly string[], notes: string[]): number {
  const sizes = new Map<string, number>();
  for (const c of clusters) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  if (sizes.size === clusters.length) return 1;
  const icc = iccOneWay(diffs, clusters);
  if (!Number.isFinite(icc.icc)) {
    notes.push(`ICC not estimable (${icc.note}): design effect taken as 1`);
    return 1;
  }
  const deff = designEffect({ clusterSizes: [...sizes.values()], icc: icc.icc });
  notes.push(`design effect ${fixed(deff, 3)} from ${sizes.size} clusters (ICC ${fixed(icc.icc, 3)}${icc.note ? `: ${icc.note}` : ""}), assuming the full run keeps the pilot's cluster sizes`);
  return deff;
}

/** One row's plan input from its stored records. */
export function pilotInput(row: PilotRow, items: readonly Item[], base: readonly ItemRecord[], tuned: readonly ItemRecord[], deffOverride?: number): PlanInput {
  const unit: Unit = row.unit === "share" || row.unit === "nats" ? row.unit : "number";
  const label = rowLabel({ ...row, domain: row.domain ?? null, formats: row.formats ?? { base: "", tuned: "" }, tuned_in_base_format: row.tuned_in_base_format ?? false });
  const input: PlanInput = { label, kind: row.kind, unit, margin: row.margin, nNow: row.n, deff: 1, notes: [] };
  if (row.kind === "set") return { ...input, noPlan: "set-level statistic (no per-item differences to plan with); use a larger pilot" };
  const pairs = pairsOf(items, base, tuned, row);
  const n = pairs.length;
  if (n === 0 && row.kind === "binary" && row.transitions && row.n > 0) {
    const psi = Math.max(row.transitions.gained + row.transitions.lost, 1) / row.n;
    return { ...input, psi, deff: deffOverride ?? 1, notes: ["no per-item records: ψ from the result's transitions (at least one item), design effect 1 unless --deff"] };
  }
  if (n < 2) return { ...input, nNow: n, noPlan: `${n} paired item(s) in the pilot; at least 2 are needed` };
  const diffs = pairs.map((p) => p.y - p.x);
  const notes: string[] = [];
  const deff = deffOverride ?? pilotDeff(diffs, pairs.map((p) => p.cluster), notes);
  if (row.kind === "binary") {
    const discordant = pairs.filter((p) => p.x !== p.y).length;
    // NOTE: as mde.ts: with no discordant pair ψ is floored at one pair, or every plan would claim 0 variance
    if (discordant === 0) notes.push("no discordant items in the pilot: ψ floored at 1/n (one item)");
    return { ...input, nNow: n, psi: Math.max(discordant, 1) / n, deff, notes };
  }
  const mean = diffs.reduce((s, d) => s + d, 0) / n;
  const sd = Math.sqrt(diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1));
  if (sd === 0) return { ...input, nNow: n, noPlan: "the per-item differences do not vary in the pilot (sd 0): no scale to plan with" };
  return { ...input, nNow: n, sd, deff, notes };
}

type Loaded = { ok: true; runId: string; ledgers: PilotLedger[]; items: Item[]; records: (arm: string, probe: string) => ItemRecord[] } | { ok: false; error: string };

/** The pilot run's result and a reader of its records; errors say what to do. */
function loadPilot(store: RunStore, dir: string, id: string): Loaded {
  const runs = store.runs();
  const matches = runs.filter((r) => r.id === id || r.id.startsWith(id));
  const listed = runs.slice(0, 5).map((r) => `${r.id} (${r.status})`).join(", ");
  if (matches.length !== 1) {
    const why = matches.length === 0 ? "is not a run" : `matches ${matches.length} runs`;
    return { ok: false, error: `--run ${id} ${why} in ${dir}; ${runs.length ? `runs there: ${listed}${runs.length > 5 ? ", …" : ""}` : "the store has no runs yet"}` };
  }
  const run = store.run(matches[0].id)!;
  if (run.result === undefined) return { ok: false, error: `run ${run.id} has no result yet (status ${run.status}): finish it by running the same ftledger audit again (it resumes)` };
  const parsed = resultShape.safeParse(run.result);
  if (!parsed.success) return { ok: false, error: `run ${run.id}: its result is not an audit result this version reads (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}); re-run the audit with this version` };
  return { ok: true, runId: run.id, ledgers: parsed.data.ledgers, items: store.items(run.id), records: (arm, probe) => store.records(run.id, arm, probe) };
}

// ── text ──

const fixed = (x: number, d: number) => x.toFixed(d);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A difference in the row's display unit (report/ledger-text.ts conventions): "2.0 pp", "0.010 nats", "0.050". */
function amount(unit: Unit, x: number | null): string {
  if (x === null || Number.isNaN(x)) return "—";
  if (!Number.isFinite(x)) return "inf";
  const u = deltaUnit({ unit });
  return `${unit === "share" ? (100 * x).toFixed(1) : x.toFixed(3)}${u ? ` ${u}` : ""}`;
}

const count = (n: number | null) => (n === null || Number.isNaN(n) ? "—" : Number.isFinite(n) ? String(n) : "inf");

function levelLine(alpha: number, rows: number, power: number, deff?: number): string {
  const a = rows === 1 ? `α = ${alpha} (1 row, no adjustment)` : `α = ${alpha}/${rows} = ${(alpha / rows).toPrecision(3)} per row (Bonferroni; Holm is never stricter)`;
  return `  ${rows} row${rows === 1 ? "" : "s"}: ${a}, power ${power}${deff === undefined ? "" : `, design effect ${deff}`}`;
}

function table(rows: readonly PlannedRow[], nAt?: number): string[] {
  const head = ["row", "kind", "margin", "n now", "MDE now", ...(nAt ? [`MDE @${nAt}`] : []), "n detect", "n equivalence", "deff"];
  const cells = rows.map((r) => [
    r.label, r.kind, amount(r.unit, r.margin), count(r.nNow), amount(r.unit, r.mdeNow), ...(nAt ? [amount(r.unit, r.mdeAt)] : []),
    count(r.nDetect), count(r.nEquivalence), fixed(r.deff, 2),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
  const line = (c: string[]) => c.map((x, j) => (j < 2 ? x.padEnd(widths[j]) : x.padStart(widths[j]))).join("  ").trimEnd();
  const notes = rows.flatMap((r) => r.notes.map((n) => `  ${r.label}: ${n}`));
  return [line(head), ...cells.map(line), ...(notes.length ? ["notes:", ...notes] : [])];
}

/** The largest n over rows with a plan (Infinity when one needs infinitely many); null when no row has a plan. */
function maxN(rows: readonly PlannedRow[], key: "nDetect" | "nEquivalence"): number | null {
  const ns = rows.map((r) => r[key]).filter((n): n is number => n !== null && !Number.isNaN(n));
  return ns.length ? Math.max(...ns) : null;
}

const jsonNumber = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);

// ── the command ──

export interface PlanIo {
  out(line: string): void;
  err(line: string): void;
}

const processIo: PlanIo = { out: (s) => process.stdout.write(s + "\n"), err: (s) => process.stderr.write(s + "\n") };

interface Group {
  title: string[];
  tuned: number | null;
  settings: PlanSettings;
  rows: PlannedRow[];
}

/** Print the plan (a table, or JSON); returns the exit code: 0, or 2 for bad input. */
export async function planCommand(opts: PlanOptions, io: PlanIo = processIo): Promise<number> {
  const fail = (lines: string[]) => {
    for (const l of lines) io.err(`ftledger plan: ${l}`);
    return 2;
  };
  const parsed = planOptionsSchema.safeParse(opts);
  if (!parsed.success) return fail(optionErrors(opts as Record<string, unknown>, parsed.error.issues));
  const o = parsed.data;
  const groups: Group[] = [];
  if (o.store === undefined) {
    const settings = { alpha: o.alpha ?? 0.05, power: o.power, rows: o.rows ?? 1 };
    groups.push({ title: statedHeader(o, settings.alpha), tuned: null, settings, rows: planRows([statedInput(o)], settings) });
  } else {
    if (!existsSync(join(o.store, "runs.sqlite"))) return fail([`--store ${o.store}: no run store there (no runs.sqlite); give the --store of an ftledger audit (default .ftledger)`]);
    let store: RunStore;
    try {
      store = openRunStore(o.store);
    } catch (e) {
      return fail([(e as Error).message]);
    }
    try {
      const pilot = loadPilot(store, o.store, o.run!);
      if (!pilot.ok) return fail([pilot.error]);
      for (const l of pilot.ledgers) {
        const arm = (r: PilotRow) => armKey({ index: l.tuned, inBaseFormat: r.tuned_in_base_format ?? false });
        const inputs = l.rows.map((r) => pilotInput(r, pilot.items, pilot.records("base", r.probe), pilot.records(arm(r), r.probe), o.deff));
        const settings: PlanSettings = { alpha: o.alpha ?? l.alpha, power: o.power, rows: Math.max(1, l.rows.length), ...(o.n ? { nAt: o.n } : {}) };
        const title = [`plan from run ${pilot.runId}: tuned #${l.tuned}${l.spec ? ` (${l.spec})` : ""}`, levelLine(settings.alpha, settings.rows, settings.power)];
        groups.push({ title, tuned: l.tuned, settings, rows: planRows(inputs, settings) });
      }
    } finally {
      store.close();
    }
  }
  const all = groups.flatMap((g) => g.rows);
  const summary = { rows: groups.reduce((s, g) => s + g.settings.rows, 0), maxDetect: maxN(all, "nDetect"), maxEquivalence: maxN(all, "nEquivalence") };
  if (o.json) {
    io.out(JSON.stringify(planJson(groups, summary), null, 2));
    return 0;
  }
  for (const g of groups) io.out([...g.title, ...table(g.rows, g.settings.nAt), ""].join("\n"));
  const show = (n: number | null) => (n === null ? "none" : count(n));
  io.out(`plan rows=${summary.rows} max_n_detect=${show(summary.maxDetect)} max_n_equivalence=${show(summary.maxEquivalence)}`);
  return 0;
}

function planJson(groups: readonly Group[], summary: { rows: number; maxDetect: number | null; maxEquivalence: number | null }) {
  return {
    schema: "ftledger.plan/1",
    ledgers: groups.map((g) => ({
      tuned: g.tuned, alpha: g.settings.alpha, rows_in_family: g.settings.rows, alpha_row: g.settings.alpha / g.settings.rows, power: g.settings.power,
      rows: g.rows.map((r) => ({
        label: r.label, kind: r.kind, unit: r.unit, margin: r.margin, n_now: r.nNow, psi: r.psi, sd: r.sd, deff: r.deff,
        mde_now: jsonNumber(r.mdeNow), ...(g.settings.nAt ? { mde_at: jsonNumber(r.mdeAt), n_at: g.settings.nAt } : {}),
        n_detect: jsonNumber(r.nDetect), n_equivalence: jsonNumber(r.nEquivalence), notes: r.notes,
      })),
    })),
    summary: { rows: summary.rows, max_n_detect: jsonNumber(summary.maxDetect), max_n_equivalence: jsonNumber(summary.maxEquivalence) },
  };
}

const EXAMPLES = `
Examples:
  ftledger plan --metric binary --base-rate 0.6 --discordance 0.2 --margin 0.02 --rows 48
  ftledger plan --metric binary --base-rate 0.6 --discordance 0.2 --margin 0.02 --rows 48 --deff 1.3 --n 2000
  ftledger plan --metric continuous --sd 0.3 --margin 0.05 --rows 48 --n 500
  ftledger plan --store .ftledger --run 3f2a9c --n 2000      # from a pilot run: every row of its ledger
  ftledger plan --store .ftledger --run 3f2a9c --json

Binary: ψ is the share of items on which base and tuned disagree (b + c)/n; the margin is a share (0.02 = 2 pp).
Continuous: --sd is the sd of the per-item differences (tuned − base), in the metric's units.
Every row is planned at α/m for m = --rows (Bonferroni, conservative for the ledger's Holm); power 0.8 unless --power.
Exit codes: 0 ok, 2 bad input or usage.`;

/** Register `ftledger plan` on the program (src/cli/main.ts). */
export function addPlanCommand(program: Command, io: PlanIo = processIo): void {
  program
    .command("plan")
    .description(
      "how many items an audit needs: per ledger row, the items to detect a change of the metric's margin at the stated power " +
        "after adjusting for the ledger's rows (α/m), and to show equivalence within ±margin (TOST); from stated rates or a pilot run",
    )
    .option("--metric <kind>", "binary | continuous: plan from stated rates")
    .option("--base-rate <p>", "binary: the base model's rate, a share in (0, 1) (bounds the discordance)")
    .option("--discordance <psi>", "binary: ψ, the share of items whose outcome differs between base and tuned")
    .option("--sd <sd>", "continuous: the sd of the per-item differences (tuned − base)")
    .option("--margin <delta>", "the smallest change that matters, in the metric's units (0.02 = 2 pp for a share)")
    .option("--rows <m>", "rows in the ledger: each is planned at α/m (default 1)")
    .option("--alpha <a>", "family-wise level (default 0.05; with --store the run's)")
    .option("--power <p>", "chance to detect, and to show equivalence, in [0.5, 1) (default 0.8)")
    .option("--deff <d>", "design effect of clustered items, ≥ 1 (default 1; with --store estimated from the items' clusters)")
    .option("--n <items>", "stated rates: the MDE at this many items; --store: also the MDE at this many")
    .option("--store <dir>", "a run store (the --store of ftledger audit): plan from a pilot run in it")
    .option("--run <id>", "the pilot run's id, or a unique prefix of it")
    .option("--json", "print the plan as JSON", false)
    .addHelpText("after", EXAMPLES)
    .action(async (o: PlanOptions) => {
      process.exitCode = await planCommand(o, io);
    });
}
