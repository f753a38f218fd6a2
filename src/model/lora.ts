/**
 * LoRA adapters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models",
 * arXiv 2106.09685, eq. 3): a frozen linear layer y = x Wᵀ gains a trainable low-rank
 * update, y = x Wᵀ + s · (x Aᵀ) Bᵀ with A (r, in), B (out, r) and s = alpha / r
 * (PEFT's scaling without rsLoRA). B starts at zero, so a fresh adapter changes nothing.
 *
 * This file is the shared contract between the engine (applying and training adapters)
 * and the file formats (PEFT folders, GGUF LoRA adapters): module names are PEFT's
 * `target_modules`, shapes are PEFT's (`lora_A.weight` (r, in), `lora_B.weight` (out, r)).
 * The engine's side (applying, differentiating) is lora-runtime.ts and lora-ops.ts.
 */
import type { Rng } from "../random/index.js";
import { headDim, type ModelConfig } from "./config.js";

/** The linear layers of a llama block an adapter may target, by their Hugging Face names. */
export const LORA_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;
export type LoraModule = (typeof LORA_MODULES)[number];

export interface LoraConfig {
  /** Rank r of the update. */
  r: number;
  /** The update is scaled by alpha / r. */
  alpha: number;
  /** Dropout on the adapter's input during training (0 = none); never applied at inference. */
  dropout: number;
  targetModules: LoraModule[];
}

/** One module's low-rank factors, row-major float32. */
export interface LoraPair {
  A: Float32Array; // (r, in)
  B: Float32Array; // (out, r)
}

export interface LoraAdapter {
  config: LoraConfig;
  /** layers[l][module]: the factors of layer l's module, present iff the module is targeted. */
  layers: Partial<Record<LoraModule, LoraPair>>[];
}

/** PEFT's scaling factor s = alpha / r. */
export function loraScale(c: LoraConfig): number {
  return c.alpha / c.r;
}

/** (out, in) of a module's base weight in a llama block (torch.nn.Linear layout). */
export function loraModuleShape(c: ModelConfig, m: LoraModule): { out: number; in: number } {
  const q = c.nHeads * headDim(c);
  const kv = c.nKvHeads * headDim(c);
  switch (m) {
    case "q_proj": return { out: q, in: c.dim };
    case "k_proj":
    case "v_proj": return { out: kv, in: c.dim };
    case "o_proj": return { out: c.dim, in: q };
    case "gate_proj":
    case "up_proj": return { out: c.ffnDim, in: c.dim };
    case "down_proj": return { out: c.dim, in: c.ffnDim };
  }
}

/** What is wrong with a LoRA config (rank, alpha, dropout, modules), or null. */
export function checkLoraConfig(c: LoraConfig): string | null {
  if (!(Number.isInteger(c.r) && c.r > 0)) return `LoRA rank r must be a positive integer (got ${c.r})`;
  if (!(Number.isFinite(c.alpha) && c.alpha > 0)) return `LoRA alpha must be a positive number (got ${c.alpha})`;
  if (!(c.dropout >= 0 && c.dropout < 1)) return `LoRA dropout must be in [0, 1) (got ${c.dropout})`;
  if (c.targetModules.length === 0) return `LoRA targetModules is empty; name at least one of ${LORA_MODULES.join(", ")}`;
  const unknown = c.targetModules.find((m) => !(LORA_MODULES as readonly string[]).includes(m));
  if (unknown) return `LoRA target module "${unknown}" is not one of ${LORA_MODULES.join(", ")}`;
  return null;
}

/** What keeps `a` from applying to a model of config `c` (layers, modules, factor sizes), or null. */
export function checkLoraAdapter(c: ModelConfig, a: LoraAdapter): string | null {
  const bad = checkLoraConfig(a.config);
  if (bad) return bad;
  if (a.layers.length !== c.nLayers) return `the adapter has ${a.layers.length} layers, the model ${c.nLayers}`;
  const { r } = a.config;
  for (let l = 0; l < c.nLayers; l++) {
    for (const m of LORA_MODULES) {
      const pair = a.layers[l][m];
      const targeted = a.config.targetModules.includes(m);
      if (!targeted && pair) return `layer ${l} has factors for ${m}, which is not in targetModules`;
      if (!targeted) continue;
      if (!pair) return `layer ${l} lacks the factors of targeted module ${m}`;
      const s = loraModuleShape(c, m);
      if (pair.A.length !== r * s.in) return `layer ${l} ${m}: lora_A has ${pair.A.length} values; (r, in) = (${r}, ${s.in}) needs ${r * s.in}`;
      if (pair.B.length !== s.out * r) return `layer ${l} ${m}: lora_B has ${pair.B.length} values; (out, r) = (${s.out}, ${r}) needs ${s.out * r}`;
    }
  }
  return null;
}

/**
 * A fresh adapter as PEFT initialises one (`init_lora_weights=True`): A ~ Kaiming-uniform
 * with a = √5, i.e. U(−1/√in, 1/√in), and B = 0, so the model starts exactly at its base.
 * Draws layer by layer in LORA_MODULES order from `rng`.
 */
export function createLoraAdapter(c: ModelConfig, config: LoraConfig, rng: Rng): LoraAdapter {
  const bad = checkLoraConfig(config);
  if (bad) throw new Error(bad);
  const layers: Partial<Record<LoraModule, LoraPair>>[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const layer: Partial<Record<LoraModule, LoraPair>> = {};
    for (const m of LORA_MODULES) {
      if (!config.targetModules.includes(m)) continue;
      const s = loraModuleShape(c, m);
      const bound = 1 / Math.sqrt(s.in);
      const A = new Float32Array(config.r * s.in);
      for (let i = 0; i < A.length; i++) A[i] = (2 * rng.next() - 1) * bound;
      layer[m] = { A, B: new Float32Array(s.out * config.r) };
    }
    layers.push(layer);
  }
  return { config: { ...config, targetModules: [...config.targetModules] }, layers };
}
