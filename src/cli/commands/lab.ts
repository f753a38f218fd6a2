/** `ftledger lab train RECIPE` and `ftledger lab sample CKPT`. */
import { dirname } from "node:path";
import { loadKernels } from "../../tensor/index.js";
import { Llama, generateTokens } from "../../model/index.js";
import { formatFormatError, formatTextError, loadCheckpoint, readJsonText, TEXT_LIMITS, readRunManifest, resolveCheckpointDir } from "../../formats/index.js";
import { recipes, resolveRecipeConfig, runLab, type Recipe, type StepMetrics } from "../../train/index.js";
import { CharTokenizer, type Tokenizer } from "../../model/index.js";
import { loadCheckpointMeta, writeTextAtomic } from "../../formats/index.js";
import { progressBar, type Progress } from "../progress.js";
import { selfImprove } from "../../train/index.js";
import { labSelfImprove } from "./self-improve.js";

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(`ftledger: ${s}\n`);

/**
 * The recipe's config: the --config JSON file, or on --resume without one, the config the
 * run recorded in its run.json (so a resumed run cannot drift from its own plan).
 */
async function readRecipeConfig(o: { out: string; config?: string; resume: boolean }): Promise<{ ok: true; json: unknown } | { ok: false; message: string }> {
  if (o.config === undefined) {
    if (!o.resume) return { ok: true, json: undefined };
    const m = await readRunManifest(o.out);
    return { ok: true, json: m.ok ? m.value.recipeConfig : undefined }; // no usable run.json: runLab says what is wrong
  }
  const read = await readJsonText(o.config, { limit: TEXT_LIMITS.settings });
  if (!read.ok) return { ok: false, message: formatTextError(read.error, { flag: "--config", kind: "a JSON file of recipe settings", holds: "a JSON object with the recipe fields to change" }) };
  return { ok: true, json: read.value.value };
}

/** The recipe built from its config (readRecipeConfig), or the message that says why not. */
async function recipeFromConfig(name: string, o: { out: string; config?: string; resume: boolean }): Promise<{ ok: true; recipe: Recipe } | { ok: false; message: string }> {
  const json = await readRecipeConfig(o);
  if (!json.ok) return json;
  const found = resolveRecipeConfig(name, json.json);
  return found.ok ? { ok: true, recipe: found.value.recipe } : { ok: false, message: found.message };
}

export async function labTrain(
  recipeName: string, o: { out: string; steps?: number; seed: number; every: number; resume: boolean; config?: string },
): Promise<number> {
  // the self-improvement loop runs rounds of runLab itself (src/train self-improve.ts)
  if (recipeName === selfImprove.name) return labSelfImprove(o);
  const found = await recipeFromConfig(recipeName, o);
  if (!found.ok) {
    err(found.message);
    return 2;
  }
  const recipe = found.recipe;
  const { kernels, skipped } = await loadKernels();
  // a resumed run keeps the plan in its run.json
  const manifest = o.resume ? await readRunManifest(o.out) : undefined;
  const planned = manifest?.ok ? manifest.value.steps : undefined;
  const steps = o.steps ?? planned ?? recipe.defaults.steps;
  out(`lab train ${recipe.name} → ${o.out} (kernels: ${kernels.name}, seed ${o.seed}${o.resume ? ", resuming" : `, ${steps} steps`})`);
  for (const s of skipped) out(`  (skipped ${s.name}: ${s.reason})`);
  // the recipe's preparation (imitation samples its teacher) gets its own bar, before training's
  let prep = null as { label: string; bar: Progress } | null;
  const onPrepareProgress = (label: string, done: number, total: number) => {
    if (prep?.label !== label) {
      prep?.bar.stop();
      prep = { label, bar: progressBar(total, label, "ETA {eta_formatted}") };
    }
    prep.bar.update(done);
  };
  let bar = null as Progress | null;
  let r;
  try {
    r = await runLab({
      recipe, dir: o.out, kernels, seed: o.seed, steps: o.steps, checkpointEvery: o.every, resume: o.resume, configDir: o.config ? dirname(o.config) : undefined,
      onPrepareProgress,
      onStep: (s) => {
        if (!bar) {
          prep?.bar.stop();
          prep = null;
          bar = progressBar(steps, "training", "loss {loss} | lr {lr}{extra} | ETA {eta_formatted}");
        }
        bar.update(s.step, { loss: s.loss.toFixed(3), lr: s.lr.toExponential(1), extra: stepExtra(s.metrics) });
      },
    });
  } finally {
    prep?.bar.stop();
    bar?.stop();
  }
  if (!r.ok) {
    err(r.message);
    if (r.checkpoint) err(`last good checkpoint: ${r.checkpoint}`);
    return r.error ? 1 : 2;
  }
  const tail = r.losses.slice(-10);
  out(`done: loss ${r.losses[0]?.toFixed(3)} → ${(tail.reduce((a, b) => a + b, 0) / tail.length).toFixed(3)}${r.resumedFrom ? ` (resumed at step ${r.resumedFrom})` : ""}`);
  if (r.note) out(`note: ${r.note}`);
  if (r.base) out(`base: ${r.base.checkpoint} (sha256 ${r.base.sha256.slice(0, 16)}…)`);
  if (r.data?.dropped) {
    // sft/imitation count examples that do not fit a row; grpo counts prompts that leave no room for a completion
    if (r.data.examples !== undefined) out(`examples: ${r.data.examples} (dropped ${r.data.dropped} longer than a row)`);
    else if (r.data.prompts !== undefined) out(`prompts: ${r.data.prompts} (dropped ${r.data.dropped} that leave no room for a completion in the context)`);
  }
  out(`checkpoint: ${r.checkpoint}`);
  return 0;
}

/** What an objective reports besides the loss, for the progress bar (grpo: reward and KL). */
function stepExtra(m: StepMetrics | undefined): string {
  if (!m) return "";
  const parts: string[] = [];
  if (typeof m.reward === "number") parts.push(`reward ${m.reward.toFixed(3)}`);
  // dpo: the implicit-reward margin and accuracy
  if (typeof m.margin === "number") parts.push(`margin ${m.margin.toFixed(3)}`);
  if (typeof m.accuracy === "number") parts.push(`acc ${m.accuracy.toFixed(2)}`);
  if (typeof m.kl === "number") parts.push(`kl ${m.kl.toFixed(4)}`);
  return parts.length ? " | " + parts.join(" | ") : "";
}

export async function labSample(
  path: string, o: { prompt: string; n: number; maxTokens: number; temperature: number; topK: number; topP: number; seed: number },
): Promise<number> {
  const dir = await resolveCheckpointDir(path);
  const ck = await loadCheckpoint(dir);
  if (!ck.ok) {
    err(formatFormatError(ck.error));
    return 2;
  }
  const { kernels } = await loadKernels();
  const model = Llama.f32(ck.value.config, kernels);
  process.stderr.write(`kernels: ${kernels.name}\n`);
  model.params.flat.set(ck.value.params);
  const tok = ck.value.tokenizer;
  const prompt = tok.encode(o.prompt.replace(/\\n/g, "\n"), { allowSpecial: true });
  if (prompt.length === 0) prompt.push(tok.bos);
  const gens = generateTokens(model, Array.from({ length: o.n }, () => prompt), {
    maxTokens: o.maxTokens, temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed, stopTokens: [tok.eos],
  });
  out(`# ${dir} (seed ${o.seed}, temperature ${o.temperature})`);
  gens.forEach((g) => out(tok.decode(prompt, { skipSpecial: true }) + tok.decode(g.tokens, { skipSpecial: true }) + (o.n > 1 ? "\n---" : "")));
  return 0;
}

/** The recipes whose rows `lab data` writes (their factory names the row shape). */
export const RECIPES_WITH_ROWS: string[] = Object.values(recipes).filter((r) => "rows" in r && r.rows).map((r) => r.name);

/**
 * `ftledger lab data RECIPE`: the rows the recipe trains on (Recipe.rows), as TRL-compatible
 * JSONL written atomically to --out, in the order a `lab train` run with the same --seed
 * first visits them.
 */
export async function labData(recipeName: string, o: { out: string; seed: number; config?: string }): Promise<number> {
  const noRows = (name: string) =>
    `recipe "${name}" has no static rows to write: its training data are made while it trains (pretrain and toy: windows of a generated corpus; imitation: the teacher's samples, drawn on the run's kernels). The recipes lab data writes: ${RECIPES_WITH_ROWS.join(", ")}.`;
  if (Object.hasOwn(recipes, recipeName) && !RECIPES_WITH_ROWS.includes(recipeName)) {
    err(noRows(recipeName));
    return 2;
  }
  const found = await recipeFromConfig(recipeName, { out: o.out, config: o.config, resume: false });
  if (!found.ok) {
    err(found.message);
    return 2;
  }
  const recipe = found.recipe;
  if (!recipe.rows) {
    err(noRows(recipe.name));
    return 2;
  }
  let tok: Tokenizer = new CharTokenizer();
  let config = recipe.base ? null : recipe.model(tok);
  if (recipe.base) {
    // a fine-tune's rows depend on the base's context length (rows that do not fit are dropped, as in training) and tokenizer
    const dir = await resolveCheckpointDir(recipe.base.path);
    const meta = await loadCheckpointMeta(dir);
    if (!meta.ok) {
      err(`base ${recipe.base.path}: ${formatFormatError(meta.error)}`);
      return 2;
    }
    tok = meta.value.tokenizer;
    const mc = { value: meta.value.config };
    const why = recipe.base.check?.(mc.value);
    if (why) {
      err(`base ${dir}: ${why}`);
      return 2;
    }
    config = recipe.model(tok, mc.value);
  }
  const lines: string[] = [];
  try {
    for await (const row of recipe.rows({ tokenizer: tok, config: config!, seed: o.seed })) lines.push(JSON.stringify(row));
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  await writeTextAtomic(o.out, lines.map((l) => l + "\n").join(""));
  out(`lab data ${recipe.name} (seed ${o.seed}): ${lines.length} rows → ${o.out}`);
  return 0;
}
