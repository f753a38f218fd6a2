/**
 * Read a PEFT LoRA folder (layout.ts) for a given base model, checking it strictly before
 * any factor is used: the config is plain LoRA (config.ts), every tensor is a lora_A / lora_B
 * of a module in target_modules, every layer of every target module has both factors, and
 * every shape fits the base — A (r, in), B (out, r). F16 / BF16 / F64 factors are converted
 * to float32 by the safetensors reader; any other dtype is refused by name.
 */
import { join } from "node:path";
import type { LoraAdapter, LoraModule, LoraPair, ModelConfig } from "../../model/index.js";
import type { FormatError } from "../errors.js";
import { exists, readJsonFile } from "../io.js";
import { fail, ok, type Result } from "../result.js";
import { READABLE_DTYPES } from "../safetensors/header.js";
import { openSafetensors, type TensorSource } from "../safetensors/reader.js";
import { readPeftConfig, type PeftConfig } from "./config.js";
import { ADAPTER_CONFIG_FILE, ADAPTER_PICKLE_FILE, ADAPTER_WEIGHTS_FILE, factorShapes, MODULE_PARENT, PEFT_TENSOR_RE, peftTensorName } from "./layout.js";

/** Just adapter_config.json, checked (to find the base model before loading it). */
export async function readPeftAdapterConfig(dir: string): Promise<Result<PeftConfig>> {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  const raw = await readJsonFile(file, "PEFT adapter config (adapter_config.json) of a LoRA adapter folder");
  if (!raw.ok) return raw;
  return readPeftConfig(raw.value, file);
}

export async function readPeftAdapter(dir: string, base: ModelConfig): Promise<Result<LoraAdapter & { baseModel: string | null }>> {
  const config = await readPeftAdapterConfig(dir);
  if (!config.ok) return config;
  const file = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!(await exists(file)) && (await exists(join(dir, ADAPTER_PICKLE_FILE)))) {
    return fail({
      code: "bad_adapter", file: join(dir, ADAPTER_PICKLE_FILE), message: "the adapter's weights are a pickle (adapter_model.bin), which ftledger does not read",
      fix: "Save the adapter as safetensors (PeftModel.save_pretrained(dir, safe_serialization=True)) to get adapter_model.safetensors",
    });
  }
  const opened = await openSafetensors(file);
  if (!opened.ok) return opened.error.code === "missing_file" ? fail({ ...opened.error, what: "LoRA factors (adapter_model.safetensors) of a PEFT adapter folder" }) : opened;
  const src = opened.value;
  try {
    const checked = checkTensors(src, config.value, base);
    if (checked) return fail(checked);
    const layers: Partial<Record<LoraModule, LoraPair>>[] = [];
    for (let l = 0; l < base.nLayers; l++) {
      const layer: Partial<Record<LoraModule, LoraPair>> = {};
      for (const m of config.value.targetModules) {
        const A = await src.readTensor(peftTensorName(l, m, "A"));
        if (!A.ok) return A;
        const B = await src.readTensor(peftTensorName(l, m, "B"));
        if (!B.ok) return B;
        layer[m] = { A: A.value, B: B.value };
      }
      layers.push(layer);
    }
    const { baseModel, ...lora } = config.value;
    return ok({ config: lora, layers, baseModel });
  } finally {
    await src.close();
  }
}

/** The first thing wrong with the file's tensors for this config and base, or null. */
function checkTensors(src: TensorSource, c: PeftConfig, base: ModelConfig): FormatError | null {
  const file = src.path;
  const bad = (tensor: string, message: string, fix: string): FormatError => ({ code: "bad_adapter", file, tensor, message, fix });
  for (const name of src.names()) {
    const m = PEFT_TENSOR_RE.exec(name);
    if (!m) {
      const why = /lora_magnitude_vector/.test(name) ? "a DoRA magnitude vector: DoRA is not supported"
        : /\.lora_[AB]\.[^.]+\.weight$/.test(name) ? "the name carries an adapter name, which PEFT strips when it saves"
        : /lora_embedding|lm_head|embed_tokens/.test(name) ? "embeddings and the output head cannot be adapted here"
        : /\.bias$/.test(name) ? "trained biases are not supported"
        : "not a PEFT LoRA factor of a llama linear layer (base_model.model.model.layers.N.{self_attn|mlp}.MODULE.lora_{A|B}.weight)";
      return bad(name, why, "Save the adapter with PEFT's save_pretrained (plain LoRA on the llama linear layers) or with ftledger");
    }
    const [, layerText, parent, module] = m;
    const layer = Number(layerText);
    if (!(c.targetModules as string[]).includes(module)) {
      return bad(name, `module "${module}" is not in target_modules [${c.targetModules.join(", ")}]`, "Add it to target_modules in adapter_config.json or remove the tensor");
    }
    if (MODULE_PARENT[module as LoraModule] !== parent) return bad(name, `${module} belongs under ${MODULE_PARENT[module as LoraModule]}, not ${parent}`, "Re-save the adapter with PEFT");
    if (layer >= base.nLayers) return bad(name, `layer ${layer} does not exist: the base model has ${base.nLayers} layers`, "Use the base model this adapter was trained on");
  }
  for (let l = 0; l < base.nLayers; l++) {
    for (const module of c.targetModules) {
      const expected = factorShapes(base, module, c.r);
      for (const factor of ["A", "B"] as const) {
        const name = peftTensorName(l, module, factor);
        const info = src.info(name);
        if (!info) return bad(name, `missing: every layer of every target module needs lora_A and lora_B (layer ${l}, ${module})`, "Re-save the whole adapter; adapting only some layers (layers_to_transform) is not supported");
        if (!(READABLE_DTYPES as readonly string[]).includes(info.dtype)) {
          return { code: "unsupported_dtype", file, tensor: name, dtype: info.dtype, supported: READABLE_DTYPES };
        }
        const want = expected[factor];
        if (info.shape.length !== 2 || info.shape[0] !== want[0] || info.shape[1] !== want[1]) {
          const which = factor === "A" ? "(r, in_features)" : "(out_features, r)";
          return bad(name, `shape [${info.shape.join(", ")}], but r = ${c.r} and the base's ${module} imply [${want.join(", ")}] ${which}`, "Use the base model this adapter was trained on, and the r in its adapter_config.json");
        }
      }
    }
  }
  return null;
}
