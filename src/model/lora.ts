/**
 * LoRA adapters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models",
 * arXiv 2106.09685, eq. 3): a frozen linear layer y = x Wᵀ gains a trainable low-rank
 * update, y = x Wᵀ + s · (x Aᵀ) Bᵀ with A (r, in), B (out, r) and s = alpha / r
 * (PEFT's scaling without rsLoRA). B starts at zero, so a fresh adapter changes nothing.
 *
 * This file is the shared contract between the engine (applying and training adapters)
 * and the file formats (PEFT folders, GGUF LoRA adapters): module names are PEFT's
 * `target_modules`, shapes are PEFT's (`lora_A.weight` (r, in), `lora_B.weight` (out, r)).
 */

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
