/**
 * Tensor names of the llama family as Hugging Face `transformers` writes them
 * (`LlamaForCausalLM`, src/transformers/models/llama/modeling_llama.py; Mistral, Qwen2 and
 * friends use the same layout), reduced to the two facts a weight diff groups by: which
 * decoder layer a tensor belongs to and which module it is.
 *
 *   model.embed_tokens.weight                      → embed,      layer null
 *   model.layers.3.self_attn.{q,k,v,o}_proj.weight → q|k|v|o,    layer 3
 *   model.layers.3.mlp.{gate,up,down}_proj.weight  → gate|up|down
 *   model.layers.3.input_layernorm.weight          → attn_norm   (the RMSNorm before attention)
 *   model.layers.3.post_attention_layernorm.weight → mlp_norm    (the RMSNorm before the MLP)
 *   model.norm.weight                              → final_norm, layer null
 *   lm_head.weight                                 → lm_head,    layer null
 *
 * A `.bias` suffix (Qwen2 has q/k/v biases) is the same module, and PEFT's
 * `base_model.model.` prefix is dropped. Anything else is "other", never an error: a diff
 * must still account for a tensor this table does not know (rotary buffers, adapters).
 */

/** The modules a diff reports, in display order (input to output, then the rest). */
export const MODULE_KINDS = [
  "embed",
  "attn_norm",
  "q",
  "k",
  "v",
  "o",
  "mlp_norm",
  "gate",
  "up",
  "down",
  "final_norm",
  "lm_head",
  "other",
] as const;

export type ModuleKind = (typeof MODULE_KINDS)[number];

/** Coarser groups for per-layer summaries. */
export type ModuleGroup = "attn" | "mlp" | "norm" | "embed" | "other";

export interface TensorName {
  /** The decoder layer index, or null for tensors outside the layer stack. */
  layer: number | null;
  module: ModuleKind;
}

/** Sub-names inside `model.layers.N.` and the module each one is. */
const LAYER_MODULES: Readonly<Record<string, ModuleKind>> = {
  "self_attn.q_proj": "q",
  "self_attn.k_proj": "k",
  "self_attn.v_proj": "v",
  "self_attn.o_proj": "o",
  "mlp.gate_proj": "gate",
  "mlp.up_proj": "up",
  "mlp.down_proj": "down",
  input_layernorm: "attn_norm",
  post_attention_layernorm: "mlp_norm",
};

/** Names outside the layer stack. */
const TOP_MODULES: Readonly<Record<string, ModuleKind>> = {
  "model.embed_tokens": "embed",
  "model.norm": "final_norm",
  lm_head: "lm_head",
};

const PEFT_PREFIX = "base_model.model.";
const LAYER_RE = /^model\.layers\.(\d+)\.(.+)$/;
const PARAM_SUFFIX_RE = /\.(weight|bias)$/;

/** The layer and module of a llama-family tensor name; unknown names are module "other". */
export function parseTensorName(name: string): TensorName {
  let rest = name.startsWith(PEFT_PREFIX) ? name.slice(PEFT_PREFIX.length) : name;
  const layerMatch = LAYER_RE.exec(rest);
  const layer = layerMatch === null ? null : Number(layerMatch[1]);
  const suffix = PARAM_SUFFIX_RE.exec(rest);
  // NOTE: only a trailing .weight/.bias is the parameter itself; without one (a buffer
  // such as rotary_emb.inv_freq, or an adapter's lora_A.default) the name is "other".
  if (suffix === null) return { layer, module: "other" };
  rest = rest.slice(0, rest.length - suffix[0].length);
  if (layerMatch !== null) {
    const sub = rest.slice(`model.layers.${layerMatch[1]}.`.length);
    return { layer, module: Object.hasOwn(LAYER_MODULES, sub) ? LAYER_MODULES[sub] : "other" };
  }
  return { layer: null, module: Object.hasOwn(TOP_MODULES, rest) ? TOP_MODULES[rest] : "other" };
}

/**
 * The group of a module. The output projection counts as "embed": it is the (possibly
 * tied) vocabulary matrix, the transpose of the input embedding in tied models.
 */
export function moduleGroup(kind: ModuleKind): ModuleGroup {
  switch (kind) {
    case "q":
    case "k":
    case "v":
    case "o":
      return "attn";
    case "gate":
    case "up":
    case "down":
      return "mlp";
    case "attn_norm":
    case "mlp_norm":
    case "final_norm":
      return "norm";
    case "embed":
    case "lm_head":
      return "embed";
    case "other":
      return "other";
  }
}
