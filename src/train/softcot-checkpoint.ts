/**
 * A SoftCoT checkpoint folder (checkpoints/step-N of a softcot run). It holds only what
 * trains; the frozen models are named by path and sha256 and checked when loaded:
 *
 *   softcot.json            k, trainAssistant, frame, backbone and assistant {path, checkpoint, sha256}
 *   softcot.safetensors     projection.weight (C_backbone, C_assistant), projection.bias (C_backbone),
 *                           assistant.<HF name> for every assistant tensor when the assistant trains
 *   optimizer.safetensors   adamw.m, adamw.v over the flat trainable buffer
 *   trainer_state.json      step, seed, recipe, kernels, losses so far
 *
 * It is not an HF model folder (no config.json): load it with `loadSoftcot`, not `builtin:`.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { parameterTable } from "../model/index.js";
import {
  formatFormatError, listCheckpoints, loadCheckpoint, openSafetensors, readRunJson, resolveCheckpointDir, writeSafetensors, type TensorToWrite,
} from "../formats/index.js";
import { sha256Of } from "../random/index.js";
import type { Tokenizer } from "../model/index.js";
import type { Kernels } from "../tensor/index.js";
import type { AdamwState } from "./adamw.js";
import { FRAMES } from "./data/frame.js";
import { createSoftcot, type SoftcotModel } from "./softcot-model.js";

export const SOFTCOT_FILE = "softcot.json";
const WEIGHTS = "softcot.safetensors";
const OPTIMIZER = "optimizer.safetensors";
const STATE = "trainer_state.json";

const frozenRecord = z.object({ path: z.string(), checkpoint: z.string(), sha256: z.string() });
export const softcotInfoSchema = z.object({
  k: z.number().int().positive(), trainAssistant: z.boolean(), frame: z.enum(FRAMES).default("chat"), backbone: frozenRecord, assistant: frozenRecord,
});
export type SoftcotInfo = z.infer<typeof softcotInfoSchema>;
export type FrozenRecord = z.infer<typeof frozenRecord>;

const trainerStateSchema = z.object({ step: z.number().int().nonnegative(), seed: z.number().int(), recipe: z.string(), kernels: z.string(), losses: z.array(z.number()) });
export type SoftcotTrainerState = z.infer<typeof trainerStateSchema>;

type Loaded<T> = { ok: true; value: T } | { ok: false; message: string };

/** A frozen model's weights, checked against the sha256 a run recorded (when given). */
export async function loadFrozen(path: string, role: string, expected?: string): Promise<Loaded<{ config: import("../model/index.js").ModelConfig; params: Float32Array; tokenizer: Tokenizer; record: FrozenRecord }>> {
  const dir = await resolveCheckpointDir(path);
  const ck = await loadCheckpoint(dir);
  if (!ck.ok) return { ok: false, message: `softcot ${role} ${path}: ${formatFormatError(ck.error)}` };
  const sha256 = sha256Of(ck.value.params);
  if (expected !== undefined && sha256 !== expected) {
    return { ok: false, message: `softcot ${role} ${dir}: its weights (sha256 ${sha256.slice(0, 16)}…) are not the ones the run trained against (${expected.slice(0, 16)}…); restore that model or start a new run.` };
  }
  return { ok: true, value: { config: ck.value.config, params: ck.value.params, tokenizer: ck.value.tokenizer, record: { path, checkpoint: dir, sha256 } } };
}

function trainedTensors(m: SoftcotModel): TensorToWrite[] {
  const p = m.projection;
  const out: TensorToWrite[] = [
    { name: "projection.weight", shape: [p.cOut, p.cIn], data: p.weight },
    { name: "projection.bias", shape: [p.cOut], data: p.bias },
  ];
  if (m.trainAssistant) {
    for (const spec of parameterTable(m.assistant.config)) out.push({ name: `assistant.${spec.name}`, shape: [...spec.shape], data: m.assistant.params.byName.get(spec.name)! });
  }
  return out;
}

/** Write step-N under a temporary name and rename it into place; keep the newest two. */
export async function saveSoftcotCheckpoint(runDir: string, final: string, m: SoftcotModel, info: SoftcotInfo, s: AdamwState, ts: SoftcotTrainerState): Promise<string> {
  const tmp = `${final}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, SOFTCOT_FILE), JSON.stringify(info, null, 2) + "\n");
  await writeSafetensors(join(tmp, WEIGHTS), trainedTensors(m), { step: String(s.step), k: String(info.k) });
  await writeSafetensors(join(tmp, OPTIMIZER), [
    { name: "adamw.m", shape: [s.m.length], data: s.m },
    { name: "adamw.v", shape: [s.v.length], data: s.v },
  ], { step: String(s.step) });
  await writeFile(join(tmp, STATE), JSON.stringify(ts) + "\n");
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  for (const old of (await listCheckpoints(runDir)).slice(0, -2)) await rm(old, { recursive: true, force: true });
  return final;
}

async function readInto(file: string, tensors: TensorToWrite[]): Promise<string | null> {
  const src = await openSafetensors(file);
  if (!src.ok) return formatFormatError(src.error);
  try {
    for (const t of tensors) {
      const info = src.value.info(t.name);
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (!info || info.shape.reduce((a, b) => a * b, 1) !== n) return `${file}: tensor "${t.name}" is missing or not of ${n} values; the checkpoint does not belong to this softcot config. Start a fresh run.`;
      const r = await src.value.readTensor(t.name, t.data as Float32Array);
      if (!r.ok) return formatFormatError(r.error);
    }
    return null;
  } finally {
    await src.value.close();
  }
}

/**
 * A SoftCoT model from a checkpoint folder (or a run folder: its newest checkpoint), its
 * frozen models loaded from the paths it names and checked by sha256. `tokenizer`
 * defaults to the backbone's own.
 */
export async function loadSoftcot(path: string, kernels: Kernels, tokenizer?: Tokenizer): Promise<Loaded<{ model: SoftcotModel; info: SoftcotInfo; dir: string }>> {
  const dir = (await listCheckpoints(path)).at(-1) ?? path;
  const info = await readRunJson(join(dir, SOFTCOT_FILE), "softcot checkpoint", softcotInfoSchema);
  if (!info.ok) return info;
  const bb = await loadFrozen(info.value.backbone.path, "backbone", info.value.backbone.sha256);
  if (!bb.ok) return bb;
  const as = await loadFrozen(info.value.assistant.path, "assistant", info.value.assistant.sha256);
  if (!as.ok) return as;
  const model = createSoftcot({ kernels, tokenizer: tokenizer ?? bb.value.tokenizer, k: info.value.k, trainAssistant: info.value.trainAssistant, frame: info.value.frame, backbone: bb.value, assistant: as.value });
  const why = await readInto(join(dir, WEIGHTS), trainedTensors(model));
  if (why) return { ok: false, message: why };
  return { ok: true, value: { model, info: info.value, dir } };
}

/** Optimiser state and losses of a checkpoint, for resuming into `model` (already loaded from it). */
export async function loadSoftcotTrainerState(dir: string, model: SoftcotModel, kernels: Kernels): Promise<Loaded<{ state: AdamwState; losses: number[] }>> {
  const ts = await readRunJson(join(dir, STATE), "trainer state", trainerStateSchema);
  if (!ts.ok) return ts;
  const m = kernels.alloc(model.params.length);
  const v = kernels.alloc(model.params.length);
  const why = await readInto(join(dir, OPTIMIZER), [{ name: "adamw.m", shape: [m.length], data: m }, { name: "adamw.v", shape: [v.length], data: v }]);
  if (why) return { ok: false, message: why };
  return { ok: true, value: { state: { m, v, step: ts.value.step }, losses: ts.value.losses.slice(0, ts.value.step) } };
}
