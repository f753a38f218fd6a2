/**
 * Llama architecture configuration (Touvron et al. 2023, "LLaMA"; the Hugging Face
 * `LlamaConfig` names are given next to each field so config.json maps one to one).
 */
export interface ModelConfig {
  vocabSize: number; // vocab_size
  dim: number; // hidden_size (C)
  nLayers: number; // num_hidden_layers (L)
  nHeads: number; // num_attention_heads (NH)
  nKvHeads: number; // num_key_value_heads (GQA: NH must be a multiple)
  ffnDim: number; // intermediate_size (F)
  contextLength: number; // max_position_embeddings (T max)
  ropeTheta: number; // rope_theta
  normEps: number; // rms_norm_eps
  tiedEmbeddings: boolean; // tie_word_embeddings: lm_head shares embed_tokens
}

/** Per-head size HS = C / NH. */
export function headDim(c: ModelConfig): number {
  return c.dim / c.nHeads;
}

/** The shape letters the kernels use (see the key in activations.ts), from one config. */
export interface ModelDims {
  C: number; // channels
  HS: number; // head size
  NH: number; // query heads
  KVH: number; // key/value heads
  qD: number; // NH·HS, width of q and of the attention output
  kD: number; // KVH·HS, width of k and v
  F: number; // ffn width
  V: number; // vocabulary
}

export function modelDims(c: ModelConfig): ModelDims {
  const HS = headDim(c);
  return { C: c.dim, HS, NH: c.nHeads, KVH: c.nKvHeads, qD: c.nHeads * HS, kD: c.nKvHeads * HS, F: c.ffnDim, V: c.vocabSize };
}

export type ConfigError = { code: "bad_config"; field: keyof ModelConfig; message: string };

/** Check a config; every problem is returned, each naming its field. */
/** The longest context the engine takes: 2²⁰ positions (the longest real llama contexts, ~1M, fit). */
export const MAX_CONTEXT = 1 << 20;

export function validateConfig(c: ModelConfig): ConfigError[] {
  const errors: ConfigError[] = [];
  const bad = (field: keyof ModelConfig, message: string) => errors.push({ code: "bad_config", field, message });
  const positiveInt = ["vocabSize", "dim", "nLayers", "nHeads", "nKvHeads", "ffnDim", "contextLength"] as const;
  for (const f of positiveInt) {
    if (!Number.isInteger(c[f]) || c[f] <= 0) bad(f, `${f} must be a positive integer, got ${String(c[f])}`);
  }
  if (errors.length) return errors;
  if (c.contextLength > MAX_CONTEXT) bad("contextLength", `contextLength ${c.contextLength} is more than the engine takes (${MAX_CONTEXT}): it allocates its RoPE table for the whole context, so a corrupt value would exhaust memory`);
  if (c.dim % c.nHeads !== 0) bad("nHeads", `dim ${c.dim} is not divisible by nHeads ${c.nHeads}`);
  else if (headDim(c) % 2 !== 0) bad("nHeads", `head size ${headDim(c)} must be even for RoPE`);
  if (c.nHeads % c.nKvHeads !== 0) bad("nKvHeads", `nHeads ${c.nHeads} is not a multiple of nKvHeads ${c.nKvHeads}`);
  if (!(c.ropeTheta > 0)) bad("ropeTheta", `ropeTheta must be > 0, got ${c.ropeTheta}`);
  if (!(c.normEps > 0)) bad("normEps", `normEps must be > 0, got ${c.normEps}`);
  return errors;
}

/** The training benchmark model (~1.08M parameters), see docs/PERFORMANCE.md. */
export const referenceConfig: ModelConfig = {
  vocabSize: 128,
  dim: 128,
  nLayers: 4,
  nHeads: 4,
  nKvHeads: 4,
  ffnDim: 512,
  contextLength: 128,
  ropeTheta: 10000,
  normEps: 1e-5,
  tiedEmbeddings: false,
};
