/** `ftledger lab train self-improve`: the self-improvement loop (src/train self-improve.ts), one line per round. */
import { join } from "node:path";
import { loadKernels } from "../../tensor/index.js";
import { formatTextError, readJsonText, TEXT_LIMITS } from "../../formats/index.js";
import { formatRecipeConfigError, runSelfImprove, selfImproveSchema, type RoundLine } from "../../train/index.js";

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(`ftledger: ${s}\n`);

const pct = (x: number | null) => (x === null ? "—" : `${(100 * x).toFixed(1)}%`);

function describe(l: RoundLine): string {
  return `round ${l.round}: gen utility ${pct(l.genUtility)}, self-accept ${pct(l.selfAccept)}, verif utility ${pct(l.verifUtility)}, ` +
    `gap ${l.gap === null ? "—" : l.gap.toFixed(3)} (${l.gapItems} items), kept ${l.kept}/${l.samples} (${pct(l.keptCorrect)} correct), ` +
    `distinct answers ${l.distinctAnswers.toFixed(2)}, format entropy ${l.formatEntropy.toFixed(2)} bits${l.trained ? "" : " (measurement only)"}`;
}

export async function labSelfImprove(o: { out: string; steps?: number; seed: number; every: number; resume: boolean; config?: string }): Promise<number> {
  if (o.steps !== undefined) {
    err("lab train self-improve: --steps does not apply (the loop's updates are rounds × train.steps); set rounds or train.steps in --config.");
    return 2;
  }
  let json: unknown;
  const file = o.config ?? (o.resume ? join(o.out, "self-improve.json") : undefined);
  if (file !== undefined) {
    const read = await readJsonText(file, { limit: TEXT_LIMITS.settings });
    if (!read.ok) return (err(formatTextError(read.error, { flag: "--config", kind: "a JSON file of recipe settings", holds: "a JSON object with the recipe fields to change" })), 2);
    json = o.config === undefined ? (read.value.value as { config?: unknown }).config : read.value.value;
  }
  const parsed = selfImproveSchema.safeParse(json ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    err(formatRecipeConfigError({ code: "bad_config", recipe: "self-improve", field: issue.path.map(String).join(".") || "(root)", message: issue.message }));
    return 2;
  }
  const c = parsed.data;
  const { kernels } = await loadKernels();
  out(`lab train self-improve → ${o.out} (kernels: ${kernels.name}, seed ${o.seed}, filter ${c.filter}, ${c.rounds} rounds of ${c.prompts.count} prompts × k ${c.k}, ${c.train.steps} updates each${o.resume ? ", resuming" : ""})`);
  const r = await runSelfImprove({
    config: c, dir: o.out, kernels, seed: o.seed, resume: o.resume, checkpointEvery: o.every,
    onRound: (l) => out(describe(l)),
    onStep: (round, s) => {
      if (s.step === c.train.steps) out(`round ${round}: sft ${s.step} updates, loss ${s.loss.toFixed(3)}`);
    },
  });
  if (!r.ok) {
    err(r.message);
    return 2;
  }
  if (r.note) out(`note: ${r.note}`);
  out(`rounds: ${join(o.out, "metrics.jsonl")}`);
  out(`model: ${r.model}`);
  return 0;
}
