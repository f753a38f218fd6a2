/**
 * Write a LoRA adapter as a PEFT folder (layout.ts): `adapter_config.json` and
 * `adapter_model.safetensors` (float32, PEFT's tensor names and shapes), loadable by
 * `PeftModel.from_pretrained(base, dir)`. The folder is built next to `dir` and renamed
 * into place (formats' `replaceDirAtomic`), so a reader sees the old adapter or the new one.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { LORA_MODULES, type LoraAdapter } from "../../model/index.js";
import { replaceDirAtomic, writeTextAtomic } from "../io.js";
import { writeSafetensors, type TensorToWrite } from "../safetensors/writer.js";
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, peftTensorName, toAdapterConfigJson } from "./layout.js";

export interface WritePeftOptions {
  /** `base_model_name_or_path`: the base model's folder (or hub id) the adapter applies to. */
  baseModel: string;
}

/** The adapter's factors as PEFT-named tensors, layer by layer in LORA_MODULES order (A before B). */
export function peftTensors(adapter: LoraAdapter): TensorToWrite[] {
  const { r, targetModules } = adapter.config;
  const tensors: TensorToWrite[] = [];
  adapter.layers.forEach((layer, l) => {
    for (const m of LORA_MODULES) {
      const pair = layer[m];
      if (!pair) continue;
      if (!targetModules.includes(m)) throw new Error(`writePeftAdapter: layer ${l} has factors for ${m}, which is not in targetModules [${targetModules.join(", ")}]`);
      if (pair.A.length % r !== 0 || pair.B.length % r !== 0) throw new Error(`writePeftAdapter: layer ${l} ${m}: factor sizes ${pair.A.length}, ${pair.B.length} are not multiples of r = ${r}`);
      tensors.push({ name: peftTensorName(l, m, "A"), shape: [r, pair.A.length / r], data: pair.A });
      tensors.push({ name: peftTensorName(l, m, "B"), shape: [pair.B.length / r, r], data: pair.B });
    }
  });
  return tensors;
}

export async function writePeftAdapter(dir: string, adapter: LoraAdapter, opts: WritePeftOptions): Promise<void> {
  const tensors = peftTensors(adapter);
  const config = JSON.stringify(toAdapterConfigJson(adapter.config, opts.baseModel), null, 2) + "\n";
  await replaceDirAtomic(dir, async (tmp) => {
    await mkdir(tmp, { recursive: true });
    await writeSafetensors(join(tmp, ADAPTER_WEIGHTS_FILE), tensors, { format: "pt" });
    await writeTextAtomic(join(tmp, ADAPTER_CONFIG_FILE), config);
  });
}
