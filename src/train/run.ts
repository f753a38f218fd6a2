/**
 * A lab training run, resumable. The folder's layout (run.json, metrics.jsonl,
 * checkpoints/step-N) is src/formats/run-folder.ts's.
 *
 * Each checkpoint folder is built under a temporary name and renamed into place under a
 * new step name, so a run killed at any moment leaves only complete checkpoints (the
 * newest one at worst missing, never half-written). The newest two are kept. A killed
 * run's half-built `step-N.tmp-<pid>` folders are removed when the run starts again.
 * Resuming loads the newest complete checkpoint and continues with the batches the run
 * would have seen (a batch is a pure function of the step).
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRng, sha256Of } from "../random/index.js";
import { Llama, type LoraConfig, type ModelConfig, type Tokenizer } from "../model/index.js";
import type { Kernels } from "../tensor/index.js";
import {
  METRICS_FILE, RUN_MANIFEST_FILE, checkpointsDir, formatFormatError, latestCheckpoint, listCheckpoints, loadCheckpoint, openSafetensors, readRunJson,
  readRunManifest, removeStaleTemps, resolveCheckpointDir, saveCheckpoint, stepDir, writeSafetensors, writeTextAtomic, type RunManifest,
} from "../formats/index.js";
import { z } from "zod";
import { defaultAdamw, type AdamwState } from "./adamw.js";
import type { BatchSource } from "./batches.js";
import type { Objective } from "./objective.js";
import type { LabRunResult, Recipe, RecipeBase, RunSettings } from "./recipes/index.js";
import { codeVersion } from "./code-version.js";
import { openMetricsLog } from "./metrics-log.js";
import { train } from "./trainer.js";
import { loraTrainable } from "./trainable.js";
import { attachFreshAdapter, loadAdapter, saveAdapter } from "./lora/run-adapter.js";
import { baseTokenizerProblem, recipeTokenizer, resumeTokenizer } from "./tokenizer/run-tokenizer.js";

export interface LabRunOptions extends RunSettings {
  recipe: Recipe;
}

type BaseRecord = NonNullable<RunManifest["base"]>;

const trainerStateSchema = z.object({
  step: z.number().int().nonnegative(),
  seed: z.number().int(),
  recipe: z.string(),
  kernels: z.string(),
  losses: z.array(z.number()),
});

type TrainerState = z.infer<typeof trainerStateSchema>;

/** Global-norm clip threshold of lab runs (the trainer's default). */
const DEFAULT_CLIP = 1;

function configDifference(a: ModelConfig, b: ModelConfig): string | null {
  for (const k of Object.keys(b) as (keyof ModelConfig)[]) if (a[k] !== b[k]) return `${k}: ${String(a[k])} vs ${String(b[k])}`;
  return null;
}

export type { LabRunResult };

export async function runLab(o: LabRunOptions): Promise<LabRunResult> {
  if (o.recipe.run) return o.recipe.run(o, o.recipe.name);
  const r = o.recipe;
  let tok: Tokenizer;
  let state: AdamwState | undefined;
  let losses: number[] = [];
  let resumedFrom = 0;
  let manifest: RunManifest;
  let config: ModelConfig;
  let model: Llama<Float32Array>;
  let data: BatchSource | Objective;

  // 0. what a killed run left half-written (a checkpoint folder under its temporary name, a
  // run.json or metrics.jsonl being replaced); never the files of a process that still runs
  await removeStaleTemps(checkpointsDir(o.dir));
  await removeStaleTemps(o.dir, { of: [RUN_MANIFEST_FILE, METRICS_FILE] });

  // 1. a fresh run, or the newest checkpoint of an earlier one (whose manifest rules)
  const latest = await latestCheckpoint(o.dir);
  if (o.resume) {
    if (!latest) return { ok: false, checkpoint: null, message: `${o.dir}: no checkpoint to resume from; run without --resume to start fresh.` };
    const m = await readRunManifest(o.dir);
    if (!m.ok) return { ok: false, checkpoint: latest, message: m.message };
    manifest = m.value;
    if (manifest.recipe !== r.name || manifest.seed !== o.seed) {
      return { ok: false, checkpoint: latest, message: `${o.dir}: the run was started with recipe "${manifest.recipe}" seed ${manifest.seed}; resume it with the same recipe and --seed ${manifest.seed}.` };
    }
    if (o.steps !== undefined && o.steps !== manifest.steps) {
      return { ok: false, checkpoint: latest, message: `${o.dir}: the run was planned for ${manifest.steps} steps (its learning-rate schedule depends on it); resume without --steps, or start a new run.` };
    }
    const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    if (!sameJson(manifest.recipeConfig, r.config)) {
      return { ok: false, checkpoint: latest, message: `${o.dir}: the recipe config differs from the one in run.json; resume with the same --config (run.json's "recipeConfig").` };
    }
    if ((manifest.base?.path ?? null) !== (r.base?.path ?? null)) {
      return { ok: false, checkpoint: latest, message: `${o.dir}: the run started from base ${manifest.base?.path ?? "(none)"}, the recipe names ${r.base?.path ?? "(none)"}; resume with the run's own config.` };
    }
    // the tokenizer the run trained with: its checkpoint's (a LoRA checkpoint's base's)
    const t = await resumeTokenizer(latest, r);
    if (!t.ok) return { ok: false, checkpoint: latest, message: t.message };
    tok = t.value;
    // a fine-tune's model is its base's, which run.json recorded (the base folder need not exist any more)
    config = r.model(tok, r.base ? manifest.config : undefined);
    const differs = configDifference(manifest.config, config);
    if (differs) return { ok: false, checkpoint: latest, message: `${o.dir}: the recipe's model differs from the run's (${differs}); resume with the code that started the run.` };
    const unprepared = await r.prepare?.({ kernels: o.kernels, tokenizer: tok, seed: o.seed, onProgress: o.onPrepareProgress });
    if (unprepared) return { ok: false, checkpoint: latest, message: unprepared };
    data = r.data({ tokenizer: tok, config, batchSize: manifest.batchSize, seed: o.seed });
    if (data.problem) return { ok: false, checkpoint: latest, message: data.problem };
    if (!sameJson(manifest.data, data.info)) {
      return { ok: false, checkpoint: latest, message: `${o.dir}: the recipe's data differ from the run's (run.json "data" vs now); resume with the code and world that started the run.` };
    }
    model = Llama.f32(config, o.kernels);
    if (r.adapter) {
      // a LoRA run's checkpoints hold only the adapter (lora/run-adapter.ts): the base comes from where run.json says, unchanged
      const b = await loadBase(r.base!);
      if (!b.ok) return { ok: false, checkpoint: latest, message: b.message };
      if (b.record.sha256 !== manifest.base?.sha256) {
        return { ok: false, checkpoint: latest, message: `${o.dir}: the base ${r.base!.path} changed since the run started (sha256 ${b.record.sha256.slice(0, 12)}… vs run.json's ${manifest.base?.sha256.slice(0, 12)}…); the adapter only fits the base it was trained on — restore that base, or start a fresh run.` };
      }
      model.params.flat.set(b.params);
    }
    const loaded = await loadResumeState(latest, model, r.adapter);
    if (!loaded.ok) return { ok: false, checkpoint: latest, message: loaded.message };
    state = loaded.state;
    losses = loaded.losses;
    resumedFrom = state.step;
  } else {
    if (latest) return { ok: false, checkpoint: latest, message: `${o.dir} already holds a run (${latest}); pass --resume to continue it, or choose another --out.` };
    let base: { params: Float32Array; record: BaseRecord; tokenizer: Tokenizer } | null = null;
    if (r.base) {
      const b = await loadBase(r.base);
      if (!b.ok) return { ok: false, checkpoint: null, message: b.message };
      base = b;
      tok = b.tokenizer;
      const other = await baseTokenizerProblem(r, tok, o.configDir);
      if (other) return { ok: false, checkpoint: null, message: other };
      config = r.model(tok, b.config);
    } else {
      const t = await recipeTokenizer(r.tokenizer, o.configDir);
      if (!t.ok) return { ok: false, checkpoint: null, message: t.message };
      tok = t.value;
      config = r.model(tok);
    }
    const unprepared = await r.prepare?.({ kernels: o.kernels, tokenizer: tok, seed: o.seed, onProgress: o.onPrepareProgress });
    if (unprepared) return { ok: false, checkpoint: null, message: unprepared };
    data = r.data({ tokenizer: tok, config, batchSize: r.defaults.batchSize, seed: o.seed });
    if (data.problem) return { ok: false, checkpoint: null, message: data.problem };
    model = Llama.f32(config, o.kernels);
    if (base) model.params.flat.set(base.params);
    else model.initialize(createRng(o.seed));
    const start = r.startWeights?.();
    if (start) {
      if (start.length !== model.numParameters) return { ok: false, checkpoint: null, message: `recipe ${r.name}: its start weights have ${start.length} values, the model has ${model.numParameters}; they must come from models of the base's shape` };
      model.params.flat.set(start);
    }
    if (r.adapter) {
      if (!base) return { ok: false, checkpoint: null, message: `recipe ${r.name}: a LoRA adapter adapts a base model; set "base" in the config, or remove "adapter"` };
      attachFreshAdapter(model, r.adapter, o.seed);
    }
    const steps = o.steps ?? r.defaults.steps;
    manifest = {
      recipe: r.name, seed: o.seed, steps, batchSize: r.defaults.batchSize, config, kernels: o.kernels.name, code: codeVersion(),
      schedule: { maxLr: r.defaults.maxLr, minLr: r.defaults.minLr, warmupSteps: Math.min(r.defaults.warmupSteps, steps), totalSteps: steps },
      adamw: defaultAdamw, clip: DEFAULT_CLIP,
      ...(r.config !== undefined ? { recipeConfig: r.config } : {}),
      ...(base ? { base: base.record } : {}),
      ...(data.info ? { data: data.info } : {}),
    };
    await mkdir(o.dir, { recursive: true });
    await writeTextAtomic(join(o.dir, RUN_MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  }
  const steps = manifest.steps;

  // 2. train, logging every update to metrics.jsonl and saving a complete checkpoint folder every `checkpointEvery` updates
  const metrics = await openMetricsLog(join(o.dir, METRICS_FILE), resumedFrom);
  let saved: string | null = latest;
  const result = await train(model, data, {
    steps, schedule: manifest.schedule, state, adamw: manifest.adamw, clip: manifest.clip, frozen: r.frozen?.(),
    trainable: r.adapter ? loraTrainable(model, o.seed) : undefined,
    onStep: (log) => {
      losses.push(log.loss);
      metrics.append(log);
      o.onStep?.(log);
    },
    checkpointEvery: o.checkpointEvery ?? 100,
    saveCheckpoint: async (s) => {
      saved = await saveRunCheckpoint(o.dir, model, tok, s, { step: s.step, seed: o.seed, recipe: r.name, kernels: o.kernels.name, losses }, manifest.base?.checkpoint ?? null);
    },
  });
  if (!result.ok) return { ok: false, checkpoint: saved, message: result.error.message, error: result.error };
  const note = o.resume && manifest.kernels !== o.kernels.name
    ? `the run was started on the ${manifest.kernels} kernels and resumed on ${o.kernels.name}: the curve matches an uninterrupted run only to floating-point rounding`
    : undefined;
  return { ok: true, checkpoint: saved ?? stepDir(o.dir, steps), losses, resumedFrom, note, data: manifest.data, base: manifest.base };
}

async function loadBase(
  base: RecipeBase,
): Promise<{ ok: true; config: ModelConfig; params: Float32Array; tokenizer: Tokenizer; record: BaseRecord } | { ok: false; message: string }> {
  const dir = await resolveCheckpointDir(base.path);
  const ck = await loadCheckpoint(dir);
  if (!ck.ok) return { ok: false, message: `base ${base.path}: ${formatFormatError(ck.error)}` };
  // the checkpoint's own tokenizer (loadCheckpoint checks that the vocabulary holds it)
  const { config, params, tokenizer } = ck.value;
  const why = base.check?.(config);
  if (why) return { ok: false, message: `base ${dir}: ${why}` };
  return { ok: true, config, params, tokenizer, record: { path: base.path, checkpoint: dir, sha256: sha256Of(params) } };
}

/** A checkpoint folder: the model's weights (HF layout), or with an adapter attached only the adapter (lora/run-adapter.ts); then the optimiser and trainer state. */
async function saveRunCheckpoint(dir: string, model: Llama<Float32Array>, tok: Tokenizer, s: AdamwState, ts: TrainerState, base: string | null): Promise<string> {
  const final = stepDir(dir, s.step);
  const tmp = `${final}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  if (model.lora) {
    await mkdir(tmp, { recursive: true });
    await saveAdapter(tmp, model, base ?? "");
  } else {
    const r = await saveCheckpoint(tmp, { config: model.config, params: model.params.flat, tokenizer: tok, metadata: { step: String(s.step), recipe: ts.recipe } });
    if (!r.ok) throw new Error(formatFormatError(r.error));
  }
  await writeSafetensors(join(tmp, "optimizer.safetensors"), [
    { name: "adamw.m", shape: [s.m.length], data: s.m },
    { name: "adamw.v", shape: [s.v.length], data: s.v },
  ], { step: String(s.step) });
  await writeFile(join(tmp, "trainer_state.json"), JSON.stringify(ts) + "\n");
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  // keep the newest two
  for (const old of (await listCheckpoints(dir)).slice(0, -2)) await rm(old, { recursive: true, force: true });
  return final;
}

/** The weights (or, for a LoRA run, the adapter on the model's base), optimiser and trainer state of a checkpoint. */
async function loadResumeState(
  ckptDir: string, model: Llama<Float32Array>, adapter?: LoraConfig,
): Promise<{ ok: true; state: AdamwState; losses: number[] } | { ok: false; message: string }> {
  if (adapter) {
    const a = await loadAdapter(ckptDir, model, adapter);
    if (!a.ok) return a;
  } else {
    const ck = await loadCheckpoint(ckptDir);
    if (!ck.ok) return { ok: false, message: formatFormatError(ck.error) };
    const differs = configDifference(ck.value.config, model.config);
    if (differs) return { ok: false, message: `${ckptDir}: its config.json does not match the recipe's model (${differs}); resume with the recipe that made it.` };
    model.params.flat.set(ck.value.params);
  }
  const ts = await readRunJson(join(ckptDir, "trainer_state.json"), "trainer state", trainerStateSchema);
  if (!ts.ok) return ts;
  const st = ts.value;
  const opt = await openSafetensors(join(ckptDir, "optimizer.safetensors"));
  if (!opt.ok) return { ok: false, message: formatFormatError(opt.error) };
  try {
    const n = model.lora ? model.lora.params.flat.length : model.numParameters;
    const m = model.kernels.alloc(n);
    const v = model.kernels.alloc(n);
    for (const [name, out] of [["adamw.m", m], ["adamw.v", v]] as const) {
      const info = opt.value.info(name);
      if (!info || info.shape.length !== 1 || info.shape[0] !== n) {
        return { ok: false, message: `${ckptDir}/optimizer.safetensors: tensor "${name}" is missing or not of length ${n}; the optimizer state does not belong to this model. Start a fresh run.` };
      }
      const t = await opt.value.readTensor(name, out);
      if (!t.ok) return { ok: false, message: formatFormatError(t.error) };
    }
    return { ok: true, state: { m, v, step: st.step }, losses: st.losses.slice(0, st.step) };
  } finally {
    await opt.value.close();
  }
}
