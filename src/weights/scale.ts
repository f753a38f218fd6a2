/**
 * Partial reversion: the model θ₀ + α·Δ with Δ = θ_tuned − θ₀ (Δ scaled by the dose α;
 * α = 0 is the base, 1 the fine-tune, > 1 extrapolates), optionally with some tensors
 * reverted to θ₀ whatever α is (`--revert mlp|attn|norm|embed|layers:A-B`, comma-separated).
 * The sweep audits these models to trace proxy and capability against α: is the trade
 * built in, or a matter of dose? (Task-vector scaling as in Ilharco et al. 2023,
 * arXiv 2212.04089; per-module reversion as a localisation test.)
 */
import type { FloatDType, TensorPlan } from "../formats/index.js";
import { wfail, type WeightsResult } from "./errors.js";
import { moduleGroup, parseTensorName } from "./names.js";
import { checkOutput, WeightsAbort, writeModelFolder } from "./output-folder.js";
import { sharedTensors, type ModelWeights } from "./source.js";

export const REVERT_GROUPS = ["attn", "mlp", "norm", "embed"] as const;
export type RevertGroup = (typeof REVERT_GROUPS)[number];

/** What to revert: module groups and inclusive layer ranges. */
export interface RevertSpec {
  groups: RevertGroup[];
  layers: [number, number][];
}

export const NO_REVERT: RevertSpec = { groups: [], layers: [] };

export function parseRevert(text: string): { ok: true; value: RevertSpec } | { ok: false; error: string } {
  const spec: RevertSpec = { groups: [], layers: [] };
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^layers:(\d+)(?:-(\d+))?$/.exec(part);
    if (m) {
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (b < a) return { ok: false, error: `--revert ${part}: the range ends before it starts; write layers:A-B with A ≤ B` };
      spec.layers.push([a, b]);
    } else if ((REVERT_GROUPS as readonly string[]).includes(part)) {
      spec.groups.push(part as RevertGroup);
    } else {
      return { ok: false, error: `--revert ${part}: expected ${REVERT_GROUPS.join(", ")} or layers:A-B (comma-separated)` };
    }
  }
  return { ok: true, value: spec };
}

export function revertText(r: RevertSpec): string {
  return [...r.groups, ...r.layers.map(([a, b]) => (a === b ? `layers:${a}` : `layers:${a}-${b}`))].join(",");
}

/** Whether a tensor keeps θ₀ under `r`. */
export function isReverted(name: string, r: RevertSpec): boolean {
  const { layer, module } = parseTensorName(name);
  if (r.groups.includes(moduleGroup(module) as RevertGroup)) return true;
  return layer !== null && r.layers.some(([a, b]) => layer >= a && layer <= b);
}

/** θ₀ + α·(θ₁ − θ₀), element-wise, into a fresh array; α = 0 and 1 give θ₀ and θ₁ bit for bit. */
export function scaleDelta(theta0: Float32Array, theta1: Float32Array, alpha: number): Float32Array {
  if (alpha === 0) return theta0.slice();
  if (alpha === 1) return theta1.slice();
  const out = new Float32Array(theta0.length);
  for (let i = 0; i < out.length; i++) out[i] = theta0[i] + alpha * (theta1[i] - theta0[i]);
  return out;
}

export interface ScaledModel {
  base: ModelWeights;
  tuned: ModelWeights;
  alpha: number;
  revert: RevertSpec;
  out: string;
  onProgress?: (done: number, total: number, tensor: string) => void;
}

/** Write θ₀ + α·Δ (with reverts) as an HF-layout folder; tensors keep the tuned model's dtype. */
export async function writeScaledModel(s: ScaledModel): Promise<WeightsResult<{ dir: string; reverted: number }>> {
  if (!Number.isFinite(s.alpha)) return wfail({ code: "bad_config", file: "--alpha", field: "alpha", message: `${s.alpha} is not a finite number` });
  const names = sharedTensors(s.tuned, [s.base]);
  if (!names.ok) return names;
  const out = await checkOutput(s.out, [s.base.dir, s.tuned.dir]);
  if (!out.ok) return out;
  const plan: TensorPlan[] = names.value.map((name) => {
    const info = s.tuned.source.info(name)!;
    return { name, shape: info.shape, dtype: (["F32", "F16", "BF16"].includes(info.dtype) ? info.dtype : "F32") as FloatDType };
  });
  let reverted = 0;
  const produce = async (i: number): Promise<Float32Array> => {
    const name = names.value[i];
    s.onProgress?.(i, names.value.length, name);
    const t0 = await s.base.source.readTensor(name);
    if (!t0.ok) throw new WeightsAbort({ code: "format", error: t0.error });
    if (isReverted(name, s.revert)) {
      reverted++;
      return t0.value;
    }
    const t1 = await s.tuned.source.readTensor(name);
    if (!t1.ok) throw new WeightsAbort({ code: "format", error: t1.error });
    return scaleDelta(t0.value, t1.value, s.alpha);
  };
  const manifest = { kind: "scaled", alpha: s.alpha, revert: revertText(s.revert) || null, inputs: { base: s.base.dir, tuned: s.tuned.dir }, created: new Date().toISOString() };
  const written = await writeModelFolder({ out: s.out, referenceDir: s.tuned.dir, plan, produce, manifest, metadata: { ftledger_alpha: String(s.alpha) } });
  if (!written.ok) return written;
  return { ok: true, value: { dir: written.value.dir, reverted } };
}
