/**
 * Hugging Face `config.json` for `LlamaForCausalLM` ↔ `ModelConfig`.
 * Field names: transformers' `LlamaConfig` (src/transformers/models/llama/configuration_llama.py).
 *
 * Only what our engine computes is accepted: no rope scaling, no attention/MLP bias,
 * SiLU gating, head_dim = hidden_size / num_attention_heads. Anything else is an error
 * naming the field, never a silently different model.
 */
import { validateConfig, type Tokenizer, type ModelConfig } from "../../model/index.js";
import type { FormatError } from "../errors.js";
import { fail, ok, type Result } from "../result.js";

/** ModelConfig field → config.json field. */
export const HF_CONFIG_FIELDS = {
  vocabSize: "vocab_size",
  dim: "hidden_size",
  nLayers: "num_hidden_layers",
  nHeads: "num_attention_heads",
  nKvHeads: "num_key_value_heads",
  ffnDim: "intermediate_size",
  contextLength: "max_position_embeddings",
  ropeTheta: "rope_theta",
  normEps: "rms_norm_eps",
  tiedEmbeddings: "tie_word_embeddings",
} as const satisfies Record<keyof ModelConfig, string>;

/** The config.json object for a model (float32 weights, our special-token ids). */
export function toHfConfig(c: ModelConfig, tok: Tokenizer): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: c.vocabSize,
    hidden_size: c.dim,
    intermediate_size: c.ffnDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: c.dim / c.nHeads,
    max_position_embeddings: c.contextLength,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    rms_norm_eps: c.normEps,
    tie_word_embeddings: c.tiedEmbeddings,
    hidden_act: "silu",
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    initializer_range: 0.02,
    pretraining_tp: 1,
    use_cache: true,
    torch_dtype: "float32",
    bos_token_id: tok.bos,
    eos_token_id: tok.eos,
    pad_token_id: tok.pad,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parse a config.json object into a ModelConfig; `file` is only used in error messages. */
export function readModelConfig(json: unknown, file = "config.json"): Result<ModelConfig> {
  const bad = (field: string, message: string) => fail({ code: "bad_config", file, field, message });
  if (!isObject(json)) return bad("(root)", "config.json is not a JSON object");
  const arch = json.architectures;
  if (!Array.isArray(arch) || !arch.includes("LlamaForCausalLM")) {
    return bad("architectures", `expected ["LlamaForCausalLM"], got ${JSON.stringify(arch)}`);
  }
  if (json.model_type !== "llama") return bad("model_type", `expected "llama", got ${JSON.stringify(json.model_type)}`);
  if (json.rope_scaling != null) return bad("rope_scaling", `rope scaling ${JSON.stringify(json.rope_scaling)} is not supported; only plain RoPE is`);
  for (const f of ["attention_bias", "mlp_bias"]) {
    if (json[f] != null && json[f] !== false) return bad(f, `biases are not supported, got ${JSON.stringify(json[f])}`);
  }
  if (json.hidden_act != null && json.hidden_act !== "silu") return bad("hidden_act", `only "silu" is supported, got ${JSON.stringify(json.hidden_act)}`);

  const int = (field: string): number | FormatError => {
    const v = json[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) return { code: "bad_config", file, field, message: `must be a positive integer, got ${JSON.stringify(v)}` };
    return v;
  };
  const num = (field: string, dflt: number): number | FormatError => {
    const v = json[field] ?? dflt; // transformers' LlamaConfig default when absent
    if (typeof v !== "number" || !(v > 0)) return { code: "bad_config", file, field, message: `must be a positive number, got ${JSON.stringify(v)}` };
    return v;
  };
  const values = {
    vocabSize: int("vocab_size"),
    dim: int("hidden_size"),
    nLayers: int("num_hidden_layers"),
    nHeads: int("num_attention_heads"),
    nKvHeads: json.num_key_value_heads == null ? int("num_attention_heads") : int("num_key_value_heads"),
    ffnDim: int("intermediate_size"),
    contextLength: json.max_position_embeddings == null ? 2048 : int("max_position_embeddings"),
    ropeTheta: num("rope_theta", 10000),
    normEps: num("rms_norm_eps", 1e-6),
  };
  for (const v of Object.values(values)) if (typeof v !== "number") return fail(v);
  const tied = json.tie_word_embeddings ?? false;
  if (typeof tied !== "boolean") return bad("tie_word_embeddings", `must be true or false, got ${JSON.stringify(tied)}`);
  const config = { ...(values as Record<keyof typeof values, number>), tiedEmbeddings: tied };

  if (json.head_dim != null && json.head_dim !== config.dim / config.nHeads) {
    return bad("head_dim", `${JSON.stringify(json.head_dim)} differs from hidden_size / num_attention_heads = ${config.dim / config.nHeads}; the engine needs them equal`);
  }
  const errors = validateConfig(config);
  if (errors.length) return bad(HF_CONFIG_FIELDS[errors[0].field], errors.map((e) => e.message).join("; "));
  return ok(config);
}
