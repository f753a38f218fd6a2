/**
 * `ftledger demo`: the main job on the embedded default, end to end.
 *
 *   1. Fine-tune the zoo's medium base model (zoo/base-m) with the lab's sft recipe on
 *      harder arithmetic than it was pre-trained on (2–4 steps, operands up to 49: the
 *      base solves about 11%), with worked solutions in one format.
 *   2. Audit base against fine-tune with every default probe on the same held-out items
 *      (`ftledger audit`: the base in its pre-training format, the fine-tune in its chat
 *      format and in the base's), print the ledger, and write the HTML report.
 *
 * Everything lands in one folder (default ./ftledger-demo): the fine-tune, the run
 * store (browse it with `ftledger view`) and the report. A second run reuses a finished
 * fine-tune and the stored audit records, so it only rebuilds the ledger.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { isStepDir, latestCheckpoint, resolveZooPath, ZOO_MODELS } from "../../formats/index.js";
import { loadKernels, type Kernels } from "../../tensor/index.js";
import { resolveRecipeConfig, runLab, type Recipe } from "../../train/index.js";
import { progressBar } from "../progress.js";
import { auditCommand, auditConfigSchema } from "./audit.js";

export interface DemoOptions {
  steps: number;
  /** The first fine-tuning seed; with `seeds` > 1, seed, seed + 1, … */
  seed: number;
  /** Fine-tunes of the same recipe, pooled in the audit (default 1). */
  seeds?: number;
  /** Held-out items per suite for the audit. */
  n: number;
  /** Samples per prompt for the sampling probes. */
  samples: number;
  /** The demo's folder: fine-tune, run store and report. */
  out: string;
  /** The zoo model to fine-tune (a name of ZOO_MODELS; default DEMO_BASE's). */
  base?: string;
  quiet?: boolean;
}

/** The base model the demo fine-tunes. */
export const DEMO_BASE = "zoo/base-m";
/** The solution format the demo's fine-tune teaches (the base writes all three). */
export const DEMO_FORMAT = "code";
/** The fine-tune's task: the world's arithmetic made harder (the pre-training world's is 1–3 steps on 0–19, where the base is at ~98%). */
export const DEMO_ARITHMETIC = { minSteps: 2, maxSteps: 4, operandMax: 49 };

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(`ftledger demo: ${s}\n`);

export async function demo(opts: DemoOptions): Promise<number> {
  const name = opts.base ?? DEMO_BASE.slice("zoo/".length);
  if (!(ZOO_MODELS as readonly string[]).includes(name)) {
    err(`--base "${name}" is not a zoo model; use one of ${ZOO_MODELS.join(", ")} (for your own models: ftledger audit).`);
    return 2;
  }
  const zooName = `zoo/${name}`;
  const base = resolveZooPath(zooName);
  if (!existsSync(join(base, "config.json"))) {
    err(`the zoo model ${zooName} is missing (no ${join(base, "config.json")}); docs/ZOO.md says how to rebuild it (scripts/zoo.sh ${name}).`);
    return 2;
  }
  const { kernels, skipped } = await loadKernels();
  out(`ftledger demo — kernels: ${kernels.name} (${kernels.description})`);
  for (const s of skipped) out(`  (skipped ${s.name}: ${s.reason})`);

  // 1. the fine-tune: sft with worked solutions in one format, on items the audit never sees
  const config = {
    base, task: "arithmetic", variant: "with-reasoning", format: DEMO_FORMAT, world: { arithmetic: DEMO_ARITHMETIC }, train: { steps: opts.steps },
  };
  const found = resolveRecipeConfig("sft", config);
  if (!found.ok) {
    err(found.message);
    return 2;
  }
  const root = resolve(opts.out);
  const seeds = Array.from({ length: opts.seeds ?? 1 }, (_, k) => opts.seed + k);
  const checkpoints: string[] = [];
  for (const seed of seeds) {
    const dir = join(root, runName(name, opts.steps, seed));
    out(`\n1. fine-tune ${zooName}: sft on harder arithmetic (2–4 steps, operands ≤ 49), worked solutions in the "${DEMO_FORMAT}" format, ${opts.steps} steps (seed ${seed}) → ${dir}`);
    const done = await fineTune(found.value.recipe, dir, seed, opts, kernels);
    if (typeof done === "number") return done;
    checkpoints.push(done);
  }
  const world = join(root, runName(name, opts.steps, seeds[0]));

  // 2. the audit: the same held-out items for both, in the fine-tune's world
  const pooled = checkpoints.length > 1;
  out(`\n2. audit ${zooName} against the fine-tune${pooled ? `s (${checkpoints.length} fine-tuning seeds, pooled)` : ""} on ${opts.n} held-out items per suite (every default probe)`);
  const store = join(root, "store");
  const report = join(root, "report.html");
  const tuned = checkpoints.map((c) => `builtin:${c}`);
  const settings = auditConfigSchema.parse({
    base: `builtin:${base}`, ...(pooled ? { tuned: [], "tuned-seeds": tuned } : { tuned }), "base-format": "raw", "tuned-format": "chat",
    world, n: opts.n, samples: opts.samples, seed: 1, store, report,
  });
  const code = await auditCommand(settings, { json: false, quiet: opts.quiet === true });
  if (code === 2) return 2;
  if (!pooled) {
    out("\nNOTE: one fine-tuning seed. The verdicts above are about this fine-tune; whether they hold for the recipe is a");
    out("question about seeds — `npx ftledger demo --seeds 3` fine-tunes three and pools them (intervals over seeds and items).");
  }
  out(`\nthe report: ${report}`);
  out(`every run in the store: npx ftledger view ${store}`);
  return 0;
}

/** The fine-tune's folder in the demo's: the default base's keeps its old name, so earlier demo folders are reused. */
function runName(base: string, steps: number, seed: number): string {
  return `${base === DEMO_BASE.slice("zoo/".length) ? "" : `${base}-`}sft-${steps}-seed${seed}`;
}

/** One sft fine-tune in `dir` (reused when already finished): its final checkpoint, or an exit code. */
async function fineTune(recipe: Recipe, dir: string, seed: number, opts: DemoOptions, kernels: Kernels): Promise<string | number> {
  const existing = await latestCheckpoint(dir);
  if (existing !== null && isStepDir(existing, opts.steps)) {
    out(`   reusing the finished fine-tune ${existing}`);
    return existing;
  }
  const bar = progressBar(opts.steps, "sft", "loss {loss} | ETA {eta_formatted}");
  const t0 = performance.now();
  let run;
  try {
    run = await runLab({
      recipe, dir, kernels, seed, steps: opts.steps, checkpointEvery: opts.steps, resume: existing !== null,
      onStep: (s) => bar.update(s.step, { loss: s.loss.toFixed(3) }),
    });
  } finally {
    bar.stop();
  }
  if (!run.ok) {
    err(run.message);
    return run.error ? 1 : 2;
  }
  const tail = run.losses.slice(-10);
  if (run.losses.length > 0) {
    out(`   loss ${run.losses[0].toFixed(3)} → ${(tail.reduce((a, b) => a + b, 0) / tail.length).toFixed(3)} in ${((performance.now() - t0) / 1000).toFixed(0)} s (${run.data?.examples ?? "?"} examples)`);
  }
  return run.checkpoint;
}
