/**
 * PEFT's on-disk layout of a LoRA adapter (huggingface/peft, `PeftModel.save_pretrained`;
 * the LoRA method of Hu et al. 2021, arXiv 2106.09685):
 *
 *   adapter_config.json        `LoraConfig` as JSON (peft_type "LORA", r, lora_alpha, …)
 *   adapter_model.safetensors  per targeted linear layer, with the adapter name stripped:
 *     base_model.model.model.layers.{l}.self_attn.{q,k,v,o}_proj.lora_A.weight   (r, in)
 *     base_model.model.model.layers.{l}.mlp.{gate,up,down}_proj.lora_B.weight     (out, r)
 *
 * This file names the tensors and the config fields; write.ts and read.ts use it.
 */
import { LORA_MODULES, loraModuleShape, type LoraConfig, type LoraModule, type ModelConfig } from "../../model/index.js";

export const ADAPTER_CONFIG_FILE = "adapter_config.json";
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";
/** What older PEFT versions (and `safe_serialization=False`) write instead: a pickle, which ftledger does not read. */
export const ADAPTER_PICKLE_FILE = "adapter_model.bin";

/** The block a module lives in (Hugging Face `LlamaDecoderLayer`). */
export const MODULE_PARENT: Readonly<Record<LoraModule, "self_attn" | "mlp">> = {
  q_proj: "self_attn", k_proj: "self_attn", v_proj: "self_attn", o_proj: "self_attn",
  gate_proj: "mlp", up_proj: "mlp", down_proj: "mlp",
};

export const isLoraModule = (m: string): m is LoraModule => (LORA_MODULES as readonly string[]).includes(m);

/** The base weight a module's adapter updates, by its `LlamaForCausalLM` name. */
export function baseWeightName(layer: number, module: LoraModule): string {
  return `model.layers.${layer}.${MODULE_PARENT[module]}.${module}.weight`;
}

/** PEFT's saved name of a factor (CAUSAL_LM wraps the model twice: `base_model.model.` + `model.`). */
export function peftTensorName(layer: number, module: LoraModule, factor: "A" | "B"): string {
  return `base_model.model.${baseWeightName(layer, module).replace(/\.weight$/, "")}.lora_${factor}.weight`;
}

/** layer, parent, module, factor of a PEFT tensor name; null for any other name. */
export const PEFT_TENSOR_RE = /^base_model\.model\.model\.layers\.(\d+)\.(self_attn|mlp)\.([a-z_]+)\.lora_(A|B)\.weight$/;

/** (out, in) of a module's base weight (the engine's loraModuleShape, as a torch shape). */
export function moduleShape(c: ModelConfig, module: LoraModule): [number, number] {
  const s = loraModuleShape(c, module);
  return [s.out, s.in];
}

/** Expected shapes of a module's factors: A (r, in), B (out, r). */
export function factorShapes(c: ModelConfig, module: LoraModule, r: number): { A: [number, number]; B: [number, number] } {
  const [out, inp] = moduleShape(c, module);
  return { A: [r, inp], B: [out, r] };
}

/**
 * adapter_config.json as PEFT writes it for a plain LoRA (every field PEFT ≥ 0.10 writes;
 * the ones that would change the arithmetic are at their plain-LoRA values).
 */
export function toAdapterConfigJson(c: LoraConfig, baseModel: string): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: "none",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    megatron_config: null,
    megatron_core: "megatron.core",
    modules_to_save: null,
    peft_type: "LORA",
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...c.targetModules],
    task_type: "CAUSAL_LM",
    use_dora: false,
    use_rslora: false,
  };
}
