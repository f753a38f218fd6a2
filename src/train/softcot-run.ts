/**
 * A softcot training run, resumable exactly: the lab's run-folder layout (run.json,
 * metrics.jsonl, checkpoints/step-N, src/formats/run-folder.ts) with SoftCoT checkpoints
 * (softcot-checkpoint.ts). The loop is the trainer's (trainer.ts) over the flat buffer of
 * trainable parameters: zero, forward/backward, stop on a non-finite loss or norm before
 * the update, clip by global norm, AdamW with the scheduled rate, log, save.
 * run.json's `base` is the frozen backbone (its sha256 is checked again at resume and at
 * the end: the backbone must come out bit-identical).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Tokenizer } from "../model/index.js";
import { describeTokenizer, sameTokenizer } from "./tokenizer/run-tokenizer.js";
import {
  METRICS_FILE, RUN_MANIFEST_FILE, checkpointsDir, latestCheckpoint, readRunManifest, removeStaleTemps, stepDir, writeTextAtomic, type RunManifest,
} from "../formats/index.js";
import { createRng, sha256Of } from "../random/index.js";
import { adamwStep, createAdamwState, defaultAdamw, type AdamwState } from "./adamw.js";
import { clipGradNorm } from "./clip.js";
import { codeVersion } from "./code-version.js";
import { openMetricsLog } from "./metrics-log.js";
import type { LabRunResult, RunSettings } from "./recipes/recipe.js";
import { cosineWithWarmup } from "./schedule.js";
import { loadFrozen, loadSoftcot, loadSoftcotTrainerState, saveSoftcotCheckpoint, type SoftcotInfo } from "./softcot-checkpoint.js";
import { assistantPositions, backbonePositions, encodeSoftcot, exampleOrder, type SoftcotExample } from "./softcot-data.js";
import { createSoftcot, initProjection, softcotLoss, type SoftcotModel } from "./softcot-model.js";
import type { ChatExample } from "./data/chat.js";
import type { Frame } from "./data/frame.js";

export interface SoftcotPlan {
  backbone: string;
  assistant: string;
  k: number;
  trainAssistant: boolean;
  frame: Frame;
  examples: ChatExample[];
  train: { steps: number; batchSize: number; maxLr: number; minLr: number; warmupSteps: number };
  config: unknown;
}

const CLIP = 1;

function fail(checkpoint: string | null, message: string): LabRunResult {
  return { ok: false, checkpoint, message };
}

/** Examples that fit both models' contexts, and what run.json records about them. */
function encodeAll(tok: Tokenizer, p: SoftcotPlan, backboneCtx: number, assistantCtx: number) {
  const all = p.examples.map((e) => encodeSoftcot(tok, e, p.frame));
  const fits = (e: SoftcotExample) => backbonePositions(e, p.k, p.frame) <= backboneCtx && assistantPositions(e, p.k, p.frame) <= assistantCtx;
  const examples = all.filter(fits);
  const info = {
    examples: examples.length, dropped: all.length - examples.length, k: p.k,
    responseTokens: examples.reduce((s, e) => s + e.response.length, 0),
    sha256: sha256Of(...examples.flatMap((e) => [e.question, e.response])),
  };
  return { examples, info };
}

export async function runSoftcot(o: RunSettings, name: string, p: SoftcotPlan): Promise<LabRunResult> {
  // both frozen models' tokenizer: the backbone's (the assistant must share it)
  let tok: Tokenizer;
  await removeStaleTemps(checkpointsDir(o.dir));
  await removeStaleTemps(o.dir, { of: [RUN_MANIFEST_FILE, METRICS_FILE] });
  const latest = await latestCheckpoint(o.dir);

  let manifest: RunManifest;
  let model: SoftcotModel;
  let info: SoftcotInfo;
  let state: AdamwState;
  let losses: number[] = [];
  let examples: SoftcotExample[];
  if (o.resume) {
    if (!latest) return fail(null, `${o.dir}: no checkpoint to resume from; run without --resume to start fresh.`);
    const m = await readRunManifest(o.dir);
    if (!m.ok) return fail(latest, m.message);
    manifest = m.value;
    if (manifest.recipe !== name || manifest.seed !== o.seed) return fail(latest, `${o.dir}: the run was started with recipe "${manifest.recipe}" seed ${manifest.seed}; resume it with the same recipe and --seed ${manifest.seed}.`);
    if (o.steps !== undefined && o.steps !== manifest.steps) return fail(latest, `${o.dir}: the run was planned for ${manifest.steps} steps (its learning-rate schedule depends on it); resume without --steps, or start a new run.`);
    if (JSON.stringify(manifest.recipeConfig ?? null) !== JSON.stringify(p.config ?? null)) return fail(latest, `${o.dir}: the recipe config differs from the one in run.json; resume with the same --config (run.json's "recipeConfig").`);
    const loaded = await loadSoftcot(latest, o.kernels);
    if (!loaded.ok) return fail(latest, loaded.message);
    ({ model, info } = loaded.value);
    tok = model.tokenizer;
    const enc = encodeAll(tok, p, model.backbone.config.contextLength, model.assistant.config.contextLength);
    if (JSON.stringify(manifest.data ?? null) !== JSON.stringify(enc.info)) return fail(latest, `${o.dir}: the recipe's data differ from the run's (run.json "data" vs now); resume with the code and world that started the run.`);
    examples = enc.examples;
    const ts = await loadSoftcotTrainerState(latest, model, o.kernels);
    if (!ts.ok) return fail(latest, ts.message);
    ({ state, losses } = ts.value);
  } else {
    if (latest) return fail(latest, `${o.dir} already holds a run (${latest}); pass --resume to continue it, or choose another --out.`);
    const bb = await loadFrozen(p.backbone, "backbone");
    if (!bb.ok) return fail(null, bb.message);
    const as = await loadFrozen(p.assistant, "assistant");
    if (!as.ok) return fail(null, as.message);
    tok = bb.value.tokenizer;
    if (!sameTokenizer(as.value.tokenizer, tok)) return fail(null, `softcot assistant ${as.value.record.checkpoint}: its tokenizer (${describeTokenizer(as.value.tokenizer)}) is not the backbone's (${describeTokenizer(tok)}); the two models must share one tokenizer — pick models pre-trained with the same one.`);
    for (const [role, m] of [["backbone", bb], ["assistant", as]] as const) {
      if (m.value.config.vocabSize !== tok.size) return fail(null, `softcot ${role} ${m.value.record.checkpoint}: vocabulary ${m.value.config.vocabSize}, not its tokenizer's ${tok.size}; both models must be lab checkpoints (they share the tokenizer).`);
    }
    const enc = encodeAll(tok, p, bb.value.config.contextLength, as.value.config.contextLength);
    if (enc.examples.length === 0) return fail(null, `softcot: none of the ${p.examples.length} examples fits the backbone's context (${bb.value.config.contextLength}) with k = ${p.k} thoughts; lower k or use shorter examples.`);
    examples = enc.examples;
    model = createSoftcot({ kernels: o.kernels, tokenizer: tok, k: p.k, trainAssistant: p.trainAssistant, frame: p.frame, backbone: bb.value, assistant: as.value });
    initProjection(model, createRng(o.seed));
    info = { k: p.k, trainAssistant: p.trainAssistant, frame: p.frame, backbone: bb.value.record, assistant: as.value.record };
    state = createAdamwState(o.kernels, model.params.length);
    const steps = o.steps ?? p.train.steps;
    manifest = {
      recipe: name, seed: o.seed, steps, batchSize: p.train.batchSize, config: bb.value.config, kernels: o.kernels.name, code: codeVersion(),
      schedule: { maxLr: p.train.maxLr, minLr: p.train.minLr, warmupSteps: Math.min(p.train.warmupSteps, steps), totalSteps: steps },
      adamw: defaultAdamw, clip: CLIP, recipeConfig: p.config, base: bb.value.record, data: enc.info,
    };
    await mkdir(o.dir, { recursive: true });
    await writeTextAtomic(join(o.dir, RUN_MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  }

  const resumedFrom = state.step;
  const order = exampleOrder(examples, manifest.batchSize, o.seed + 2); // sft's seed offset (chatBatches(…, seed + 2))
  const metrics = await openMetricsLog(join(o.dir, METRICS_FILE), resumedFrom);
  const every = o.checkpointEvery ?? 100;
  let saved: string | null = latest;
  let lastSaved: number | null = o.resume ? state.step : null;
  const save = async () => {
    lastSaved = state.step;
    saved = await saveSoftcotCheckpoint(o.dir, stepDir(o.dir, state.step), model, info, state, { step: state.step, seed: o.seed, recipe: name, kernels: o.kernels.name, losses });
  };
  while (state.step < manifest.steps) {
    const t0 = performance.now();
    model.grads.fill(0);
    const r = softcotLoss(model, order(state.step), true);
    const { norm, scale } = clipGradNorm(model.grads, CLIP);
    if (r.count === 0 || !Number.isFinite(r.loss) || !Number.isFinite(norm)) {
      const kept = saved ? `the last checkpoint (${saved}) is kept` : "no checkpoint had been saved yet";
      return fail(saved, `training stopped at step ${state.step + 1}: loss ${r.loss}, gradient norm ${norm}. The weights were not updated; ${kept}. Lower the learning rate or check the data.`);
    }
    const lr = cosineWithWarmup(state.step, manifest.schedule);
    adamwStep({ kernels: o.kernels, params: model.params, grads: model.grads, state, decayMask: model.decay, lr, gradScale: scale, config: manifest.adamw });
    losses.push(r.loss);
    const log = { step: state.step, loss: r.loss, lr, gradNorm: norm, tokens: r.count, ms: performance.now() - t0 };
    metrics.append(log);
    o.onStep?.(log);
    if (state.step % every === 0) await save();
  }
  if (lastSaved !== state.step) await save();
  // frozen means frozen: the backbone the run leaves is the one it started from, bit for bit
  const after = sha256Of(model.backbone.params.flat);
  if (after !== info.backbone.sha256) return fail(saved, `softcot: the backbone's weights changed during training (sha256 ${after.slice(0, 16)}… vs ${info.backbone.sha256.slice(0, 16)}…); this is a bug, please report it.`);
  return { ok: true, checkpoint: saved ?? stepDir(o.dir, manifest.steps), losses, resumedFrom, data: manifest.data, base: manifest.base };
}
