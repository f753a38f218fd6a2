/**
 * Merge-and-unload of a LoRA adapter (Hu et al. 2021, arXiv 2106.09685, §4.1: "we can
 * explicitly compute and store W = W₀ + BA … no additional inference latency"): each
 * targeted linear weight becomes W ← W + s·(alpha/r)·B A, with A (r, in), B (out, r) and a
 * user multiplier s (1 = the adapter as trained; the multiplier llama.cpp's `--lora-scaled`
 * and a spec's `@scale` apply). Tensors the adapter does not touch are copied unchanged.
 *
 * `mergeLora` works on parameters in memory; `writeLoraMerged` streams a base folder
 * tensor by tensor into a new HF-layout folder (output-folder.ts), keeping each tensor's dtype.
 */
import { baseWeightName, type FloatDType, type TensorPlan } from "../formats/index.js";
import { LORA_MODULES, loraScale, type LoraAdapter, type LoraPair } from "../model/index.js";
import { wfail, type WeightsResult } from "./errors.js";
import { checkOutput, WeightsAbort, writeModelFolder } from "./output-folder.js";
import type { ModelWeights } from "./source.js";

/**
 * W (out, in) ← W + c · B A in place, with c the full factor (multiplier × alpha / r). Each
 * entry of B A is summed over r in float64 and added once, so the result is W + c·(BA)
 * rounded once to float32.
 */
export function addLowRank(W: Float32Array, pair: LoraPair, c: number, r: number): void {
  const inp = pair.A.length / r;
  const out = pair.B.length / r;
  if (!Number.isInteger(inp) || !Number.isInteger(out) || W.length !== out * inp) {
    throw new Error(`addLowRank: W has ${W.length} entries, B A is ${out} × ${inp} (r = ${r})`);
  }
  const { A, B } = pair;
  const row = new Float64Array(inp);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const b = B[o * r + k];
      if (b === 0) continue;
      const a = k * inp;
      for (let i = 0; i < inp; i++) row[i] += b * A[a + i];
    }
    const w = o * inp;
    for (let i = 0; i < inp; i++) W[w + i] = W[w + i] + c * row[i];
  }
}

/**
 * Merge `adapter` into named parameters in place (a `ParamViews.byName` map of the engine, or
 * any map from `LlamaForCausalLM` tensor names to float32 weights): W ← W + scale·(alpha/r)·B A.
 * Returns the names of the tensors changed.
 */
export function mergeLora(params: ReadonlyMap<string, Float32Array>, adapter: LoraAdapter, scale = 1): string[] {
  if (!Number.isFinite(scale)) throw new Error(`mergeLora: scale ${scale} is not a finite number`);
  const c = scale * loraScale(adapter.config);
  const changed: string[] = [];
  adapter.layers.forEach((layer, l) => {
    for (const m of LORA_MODULES) {
      const pair = layer[m];
      if (!pair) continue;
      const name = baseWeightName(l, m);
      const W = params.get(name);
      if (!W) throw new Error(`mergeLora: the model has no tensor "${name}" for layer ${l} ${m}`);
      addLowRank(W, pair, c, adapter.config.r);
      changed.push(name);
    }
  });
  return changed;
}

export interface LoraMerge {
  base: ModelWeights;
  adapter: LoraAdapter;
  /** Where the adapter came from (the manifest records it). */
  adapterDir: string;
  scale: number;
  out: string;
  maxShardBytes?: number;
  onProgress?: (done: number, total: number, tensor: string) => void;
}

/** Write base + scale·(alpha/r)·B A as an HF-layout folder (config and tokenizer copied from the base). */
export async function writeLoraMerged(s: LoraMerge): Promise<WeightsResult<{ dir: string; files: string[]; merged: number }>> {
  if (!Number.isFinite(s.scale)) return wfail({ code: "bad_config", file: "--scale", field: "scale", message: `${s.scale} is not a finite number; give e.g. --scale 0.5` });
  const out = await checkOutput(s.out, [s.base.dir, s.adapterDir]);
  if (!out.ok) return out;
  const pairs = new Map<string, LoraPair>();
  s.adapter.layers.forEach((layer, l) => {
    for (const m of LORA_MODULES) if (layer[m]) pairs.set(baseWeightName(l, m), layer[m]!);
  });
  const names = s.base.source.names();
  for (const name of pairs.keys()) {
    if (!names.includes(name)) return wfail({ code: "tensor_missing", tensor: name, in: s.adapterDir, missingFrom: s.base.dir });
  }
  const plan: TensorPlan[] = names.map((name) => {
    const info = s.base.source.info(name)!;
    return { name, shape: info.shape, dtype: (["F32", "F16", "BF16"].includes(info.dtype) ? info.dtype : "F32") as FloatDType };
  });
  const c = s.scale * loraScale(s.adapter.config);
  const produce = async (i: number): Promise<Float32Array> => {
    const name = names[i];
    s.onProgress?.(i, names.length, name);
    const t = await s.base.source.readTensor(name);
    if (!t.ok) throw new WeightsAbort({ code: "format", error: t.error });
    const pair = pairs.get(name);
    if (pair) addLowRank(t.value, pair, c, s.adapter.config.r);
    return t.value;
  };
  const { r, alpha, targetModules } = s.adapter.config;
  const manifest = {
    kind: "lora-merged", scale: s.scale, lora: { r, alpha, target_modules: targetModules }, inputs: { base: s.base.dir, adapter: s.adapterDir }, created: new Date().toISOString(),
  };
  const written = await writeModelFolder({
    out: s.out, referenceDir: s.base.dir, plan, produce, manifest, metadata: { ftledger_lora_scale: String(s.scale) },
    ...(s.maxShardBytes ? { maxShardBytes: s.maxShardBytes } : {}),
  });
  if (!written.ok) return written;
  return { ok: true, value: { ...written.value, merged: pairs.size } };
}
