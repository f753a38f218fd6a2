/**
 * `ftledger reproduce [CLAIM…] [--quick] [--seeds N] [--out DIR]`: the research claims as
 * pre-registered experiments (src/reproduce). Per claim: train every arm in every seed (a
 * finished run is reused, a killed one resumed), audit all of them in one audit (its store
 * resumes too), pool each effect over seeds × items, judge it, and rewrite reproduce.json,
 * reproduce.html and reproduce.md. Exit codes: 0 every claim ran (whatever its verdict), 1 a training run or an
 * audit failed, 2 bad input.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { writeTextAtomic } from "../../formats/index.js";
import {
  auditModels, claimVerdict, findClaims, measureEffect, planClaim, plannedMde, refLabel, renderReproduceHtml, renderReproduceMarkdown, REPRODUCE_SCHEMA, SMOKE_NOTE,
  type AuditRecords, type Claim, type ClaimPlan, type ClaimResult, type EffectResult, type ReproduceResult, type RunMode,
} from "../../reproduce/index.js";
import { auditCommand, auditConfigSchema } from "./audit.js";
import { labTrain } from "./lab.js";
import { formatSeconds } from "../progress.js";
import { int } from "../options.js";

export interface ReproduceOptions {
  claims: string[];
  quick: boolean;
  seeds?: number;
  out?: string;
  list: boolean;
  json: boolean;
  /** The command line, recorded in reproduce.json. */
  command: string;
}

const say = (s: string) => process.stderr.write(`${s}\n`);
/** Done marker of a finished training run (the run folder is then reused as it is). */
const DONE = "reproduce-done";

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || null;
  } catch {
    return null;
  }
}

/** The earlier result in OUT, when it is of this mode: its finished claims are kept. */
function previous(path: string, mode: RunMode): ReproduceResult | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as ReproduceResult;
    return r.schema === REPRODUCE_SCHEMA && r.mode === mode ? r : undefined;
  } catch {
    return undefined; // unreadable: the claims run again and the file is rewritten whole
  }
}

/**
 * Work left, in seconds, from measured rates: seconds per training step and per audited
 * item × model, each the mean so far (a prior until the first is measured).
 */
class Eta {
  private trainSeconds = 0;
  private trainSteps = 0;
  private auditSeconds = 0;
  private auditUnits = 0;
  record(kind: "train" | "audit", units: number, seconds: number) {
    if (kind === "train") {
      this.trainSteps += units;
      this.trainSeconds += seconds;
    } else {
      this.auditUnits += units;
      this.auditSeconds += seconds;
    }
  }
  estimate(trainSteps: number, auditUnits: number): number {
    const perStep = this.trainSteps > 0 ? this.trainSeconds / this.trainSteps : 0.6;
    const perUnit = this.auditUnits > 0 ? this.auditSeconds / this.auditUnits : 0.05;
    return trainSteps * perStep + auditUnits * perUnit;
  }
}

/** Training steps a run is planned for (its config's train.steps × rounds, or a recipe-typical 100). */
function stepsOf(config: Record<string, unknown>): number {
  const train = config.train as { steps?: unknown } | undefined;
  const steps = typeof train?.steps === "number" ? train.steps : 100;
  return typeof config.rounds === "number" ? steps * config.rounds : steps;
}

const auditUnitsOf = (plan: ClaimPlan) => plan.n * plan.claim.audit.suites.length * (auditModels(plan).length + 1) * plan.claim.audit.probes.length * Math.max(1, plan.samples / 2);

async function trainRuns(plan: ClaimPlan, eta: Eta, left: () => string): Promise<{ ok: true; runs: ClaimResult["runs"] } | { ok: false; error: string }> {
  const runs: ClaimResult["runs"] = [];
  for (const r of plan.runs) {
    if (existsSync(join(r.dir, DONE))) {
      runs.push({ arm: r.arm, seed: r.seed, dir: r.dir, reused: true });
      continue;
    }
    const configPath = `${r.dir}.config.json`;
    await writeTextAtomic(configPath, `${JSON.stringify(r.config, null, 2)}\n`, { mkdir: true });
    const resume = existsSync(join(r.dir, "checkpoints")) || existsSync(join(r.dir, "self-improve.json"));
    say(`claim ${plan.claim.id} ${plan.claim.slug}: train ${r.arm} (${r.recipe}) seed ${r.seed}${resume ? ", resuming" : ""} → ${r.dir} · ${left()}`);
    const t0 = performance.now();
    const code = await labTrain(r.recipe, { out: r.dir, seed: r.seed, every: Math.max(1, Math.ceil(stepsOf(r.config) / 4)), resume, config: configPath });
    if (code !== 0) return { ok: false, error: `training ${r.arm} seed ${r.seed} of claim ${plan.claim.id} failed (exit ${code}); its log is above, its folder ${r.dir}. Rerun the same command to resume it.` };
    eta.record("train", stepsOf(r.config), (performance.now() - t0) / 1000);
    await writeTextAtomic(join(r.dir, DONE), `${new Date().toISOString()}\n`);
    runs.push({ arm: r.arm, seed: r.seed, dir: r.dir, reused: false });
  }
  return { ok: true, runs };
}

/** The claim's audit; the records it left, or why there are none. */
async function runAudit(plan: ClaimPlan, out: string): Promise<{ ok: true; effects: Effects } | { ok: false; error: string }> {
  const c = plan.claim;
  const worldPath = join(out, "worlds", `claim-${c.id}.json`);
  if (c.audit.world) await writeTextAtomic(worldPath, `${JSON.stringify(c.audit.world)}\n`, { mkdir: true });
  const margin = { [`${c.effect.measure.probe}.${c.effect.measure.metric}`]: c.effect.prediction.margin };
  const parsed = auditConfigSchema.safeParse({
    base: `builtin:${c.audit.base}`, tuned: auditModels(plan), "base-format": c.audit.baseFormat, "tuned-format": c.audit.tunedFormat,
    probes: c.audit.probes, suite: c.audit.suites, n: plan.n, samples: plan.samples,
    // "id": the audit's default, id items with their N-1 variants (which only the N-1 probe reads); naming it would drop the variants
    ...(c.audit.split !== "id" ? { split: c.audit.split } : {}),
    ...(c.audit.world ? { world: worldPath } : {}), store: join(out, "store"), margin,
    // the tuned models are also scored in the base's format only where a measure reads that
    "same-format": [c.effect, c.proxy, c.control].some((e) => e?.measure.inBaseFormat === true),
  });
  if (!parsed.success) throw new Error(`claim ${c.id}: its audit settings are invalid: ${parsed.error.message}`); // a registry bug: the registry test catches it
  let effects: Effects | undefined;
  let failure: string | undefined;
  const code = await auditCommand(parsed.data, {
    json: false, quiet: false, print: false,
    onResult: async (r) => {
      const records: AuditRecords = { result: r.result, store: r.store, items: r.items };
      try {
        effects = measureAll(plan, records);
      } catch (e) {
        failure = (e as Error).message;
      }
    },
  });
  if (failure) return { ok: false, error: `claim ${c.id}: ${failure}` };
  if (code === 2 || !effects) return { ok: false, error: `claim ${c.id}: the audit failed (exit ${code}); its message is above. Rerun the same command to resume it.` };
  return { ok: true, effects };
}

interface Effects {
  runId: string;
  effect: EffectResult;
  proxy?: EffectResult;
  control?: EffectResult & { describe: string };
}

function measureAll(plan: ClaimPlan, r: AuditRecords): Effects {
  const c = plan.claim;
  return {
    runId: r.result.run.runId,
    effect: measureEffect(plan, c.effect, r),
    ...(c.proxy ? { proxy: measureEffect(plan, c.proxy, r) } : {}),
    ...(c.control ? { control: { ...measureEffect(plan, c.control, r), describe: c.control.describe } } : {}),
  };
}

function notRunnable(c: Claim, preregistration: string): ClaimResult {
  return {
    id: c.id, slug: c.slug, title: c.title, paper: c.paper, organism: c.organism, verdict: "not runnable", reason: c.notRunnable,
    preregistration, seeds: [], n: 0, plannedMde: null, runs: [], wallSeconds: 0,
  };
}

const signed = (x: number, unit: string) => {
  if (!Number.isFinite(x)) return "—";
  const v = unit === "share" ? 100 * x : x;
  return `${v >= 0 ? "+" : ""}${v.toFixed(unit === "share" ? 1 : 3)}`;
};

/** One line per claim for the terminal. */
export function summaryLine(r: ClaimResult): string {
  const head = `${String(r.id).padStart(2)} ${r.slug.padEnd(22)} ${r.verdict.padEnd(15)}`;
  if (!r.effect) return `${head} ${r.reason ?? ""}`;
  const e = r.effect;
  const u = e.unit === "share" ? " pp" : e.unit === "nats" ? " nats" : "";
  const control = r.control ? ` · control ${r.control.verdict ?? "—"}` : "";
  return `${head} ${e.label}: ${e.tuned} − ${e.reference} ${signed(e.estimate, e.unit)}${u} [${signed(e.ciLow, e.unit)}, ${signed(e.ciHigh, e.unit)}] (margin ${e.prediction ? signed(e.prediction.margin, e.unit).slice(1) : "—"}, predicted ${e.prediction?.direction ?? "—"}; n ${e.n} × ${r.seeds.length} seeds)${control} · paper: ${r.paper.figure}`;
}

function listClaims(claims: readonly Claim[], mode: RunMode, out: string, seeds?: number): void {
  for (const c of claims) {
    const plan = c.notRunnable ? undefined : planClaim(c, { mode, out, ...(seeds !== undefined ? { seeds } : {}) });
    const e = c.effect;
    process.stdout.write(`${c.id} ${c.slug}: ${c.title}\n  paper: ${c.paper.cite} (arXiv ${c.paper.arxiv}): ${c.paper.figure}\n`);
    if (c.notRunnable) {
      process.stdout.write(`  not runnable: ${c.notRunnable}\n\n`);
      continue;
    }
    const mde = plan ? plannedMde(c, plan.n, plan.seeds.length) : null;
    process.stdout.write(
      `  effect: ${e.measure.label}, ${refLabel(e.contrast.tuned)} − ${refLabel(e.contrast.reference)}, predicted ${e.prediction.direction} beyond ${e.prediction.margin}` +
        `\n  arms: ${c.arms.map((a) => `${a.name} (${a.recipe})`).join(", ")}; ${plan?.seeds.length} seeds × n ${plan?.n}; planned MDE ${mde === null ? "—" : mde.toFixed(3)}` +
        `${c.control ? `\n  control: ${c.control.describe}` : `\n  no control: ${c.noControl ?? "—"}`}\n\n`,
    );
  }
}

export async function reproduceCommand(o: ReproduceOptions): Promise<number> {
  const found = findClaims(o.claims);
  if (!found.ok) {
    say(`ftledger: ${found.error}`);
    return 2;
  }
  const mode: RunMode = o.quick ? "quick" : "full";
  const out = resolve(o.out ?? (o.quick ? "runs/reproduce-quick" : "runs/reproduce"));
  if (o.list) {
    listClaims(found.value, mode, out, o.seeds);
    return 0;
  }
  const jsonPath = join(out, "reproduce.json");
  const htmlPath = join(out, "reproduce.html");
  const before = previous(jsonPath, mode);
  const result: ReproduceResult = {
    schema: REPRODUCE_SCHEMA, mode, command: o.command, commit: gitCommit(), startedAt: before?.startedAt ?? new Date().toISOString(), updatedAt: new Date().toISOString(),
    claims: before ? [...before.claims] : [],
  };
  const save = async () => {
    result.updatedAt = new Date().toISOString();
    result.claims.sort((a, b) => a.id - b.id);
    await writeTextAtomic(jsonPath, `${JSON.stringify(result, null, 2)}\n`, { mkdir: true });
    await writeTextAtomic(htmlPath, renderReproduceHtml(result), { mkdir: true });
    await writeTextAtomic(join(out, "reproduce.md"), renderReproduceMarkdown(result), { mkdir: true });
  };
  if (mode === "quick") say(SMOKE_NOTE);
  say(`reproduce: ${found.value.length} claim(s), ${mode} run → ${out}`);

  const plans = found.value.map((c) => ({ claim: c, plan: c.notRunnable ? undefined : planClaim(c, { mode, out, ...(o.seeds !== undefined ? { seeds: o.seeds } : {}) }) }));
  const eta = new Eta();
  const finished = new Set<number>();
  const isDone = (c: Claim, plan: ClaimPlan | undefined) => result.claims.some((r) => r.id === c.id && plan !== undefined && r.preregistration === plan.preregistration);
  const left = () => {
    let steps = 0;
    let units = 0;
    for (const { claim, plan } of plans) {
      if (!plan || finished.has(claim.id) || isDone(claim, plan)) continue;
      for (const r of plan.runs) if (!existsSync(join(r.dir, DONE))) steps += stepsOf(r.config);
      units += auditUnitsOf(plan);
    }
    return `about ${formatSeconds(eta.estimate(steps, units))} left`;
  };

  let failed = 0;
  for (const { claim: c, plan } of plans) {
    if (!plan) {
      const r = notRunnable(c, planClaim(c, { mode, out, seeds: 1 }).preregistration);
      result.claims = result.claims.filter((x) => x.id !== c.id).concat(r);
      say(`claim ${c.id} ${c.slug}: not runnable — ${c.notRunnable}`);
      continue;
    }
    if (isDone(c, plan)) {
      say(`claim ${c.id} ${c.slug}: finished earlier (same pre-registration ${plan.preregistration.slice(0, 12)}), kept`);
      continue;
    }
    const t0 = performance.now();
    const trained = await trainRuns(plan, eta, left);
    if (!trained.ok) {
      say(`ftledger: ${trained.error}`);
      failed++;
      continue;
    }
    say(`claim ${c.id} ${c.slug}: audit (${auditModels(plan).length + 1} models, n ${plan.n} per suite) · ${left()}`);
    const ta = performance.now();
    const audited = await runAudit(plan, out);
    if (!audited.ok) {
      say(`ftledger: ${audited.error}`);
      failed++;
      continue;
    }
    eta.record("audit", auditUnitsOf(plan), (performance.now() - ta) / 1000);
    const { effects } = audited;
    const r: ClaimResult = {
      id: c.id, slug: c.slug, title: c.title, paper: c.paper, organism: c.organism,
      ...claimVerdict(c, effects.effect, effects.control),
      preregistration: plan.preregistration, seeds: plan.seeds, n: plan.n, plannedMde: plannedMde(c, plan.n, plan.seeds.length),
      effect: effects.effect, ...(effects.proxy ? { proxy: effects.proxy } : {}), ...(effects.control ? { control: effects.control } : {}),
      runs: trained.runs, auditRunId: effects.runId, wallSeconds: Math.round((performance.now() - t0) / 1000),
    };
    result.claims = result.claims.filter((x) => x.id !== c.id).concat(r);
    finished.add(c.id);
    await save();
    say(summaryLine(r));
  }
  await save();
  if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const lines = [mode === "quick" ? SMOKE_NOTE : `reproduce (${result.commit?.slice(0, 12) ?? "no commit"}), ${result.claims.length} claim(s):`];
    for (const r of result.claims.filter((x) => found.value.some((c) => c.id === x.id))) lines.push(summaryLine(r));
    lines.push(`wrote ${jsonPath}, ${htmlPath} and reproduce.md`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  return failed > 0 ? 1 : 0;
}

export function addReproduceCommand(program: Command): void {
  program
    .command("reproduce")
    .description("the research claims as pre-registered experiments on the lab's models: train, audit, and judge each claim over several fine-tuning seeds")
    .argument("[claim...]", "claims by number or name (default: all)")
    .option("--quick", "a smoke run: 2 seeds, a few training steps, a few items — checks the plumbing, its numbers are not results", false)
    .option("--seeds <n>", "fine-tuning seeds per claim (default: each claim's pre-registered count, ≥ 3; --quick: 2)", int("--seeds", 2))
    .option("--out <dir>", "where runs, the audit store, reproduce.json and reproduce.html go (default runs/reproduce, or runs/reproduce-quick)")
    .option("--list", "print each claim's pre-registration (effect, margin, arms, seeds, planned MDE) and exit", false)
    .option("--json", "print reproduce.json on stdout at the end", false)
    .addHelpText("after", "\nVerdicts: reproduced (beyond the margin in the predicted direction, significant), contradicted (significant the other way),\nnot reproduced (equivalent to zero within the margin), inconclusive, not runnable (the reason is given).\nResumable: rerun the same command after an interruption; finished runs, audits and claims are reused.\n\nExamples:\n  ftledger reproduce --list\n  ftledger reproduce --quick                 # minutes: every runnable claim end to end, numbers not results\n  nohup ftledger reproduce > reproduce.log 2>&1 &   # the full run: hours on 2 cores\n  ftledger reproduce infogain 5 --seeds 5\n\nExit codes: 0 every claim ran, 1 a training run or audit failed, 2 bad input.")
    .action(async (claims: string[], o: { quick: boolean; seeds?: number; out?: string; list: boolean; json: boolean }) => {
      process.exitCode = await reproduceCommand({ claims, ...o, command: `ftledger reproduce ${process.argv.slice(3).join(" ")}`.trim() });
    });
}
