/**
 * A lab run that trains a LoRA adapter (recipes' `"adapter"` field; Hu et al. 2021): the
 * adapter's start, and what its checkpoints hold. A LoRA checkpoint folder
 * (checkpoints/step-N/) holds
 *
 *   adapter/adapter_config.json         PEFT's config; base_model_name_or_path = the base checkpoint
 *   adapter/adapter_model.safetensors   the factors, PEFT's names and shapes (float32)
 *   optimizer.safetensors               AdamW moments m, v of the adapter's parameters only
 *   trainer_state.json                  step, losses so far, seed, kernels (as a full run's)
 *
 * and no copy of the base's weights: run.json records the base's path, checkpoint folder and
 * sha256, and a resume loads the base from there and refuses one whose sha256 differs.
 */
import { join } from "node:path";
import { createLoraAdapter, type Llama, type LoraConfig } from "../../model/index.js";
import { createRng } from "../../random/index.js";
import { formatFormatError, readPeftAdapter, writePeftAdapter } from "../../formats/index.js";
import { stepSeed } from "../batches.js";

/** The adapter's folder inside a checkpoint folder. */
export const ADAPTER_DIR = "adapter";

/** Salt of the run seed for the adapter's initial A factors. */
const INIT_SALT = 0x696e6974; // "init"

/** Attach a fresh trainable adapter (A Kaiming-uniform from the run seed, B = 0) to the model holding the base. */
export function attachFreshAdapter(model: Llama<Float32Array>, config: LoraConfig, seed: number): void {
  model.attachLora(createLoraAdapter(model.config, config, createRng(stepSeed(seed, INIT_SALT))), { train: true });
}

/** Write the attached adapter into checkpoint folder `ckpt` as a PEFT folder naming its base. */
export async function saveAdapter(ckpt: string, model: Llama<Float32Array>, baseModel: string): Promise<void> {
  if (!model.lora) throw new Error("saveAdapter: no adapter is attached");
  await writePeftAdapter(join(ckpt, ADAPTER_DIR), model.lora.adapter(), { baseModel });
}

/**
 * Load checkpoint `ckpt`'s adapter onto the model (which holds the base) for training;
 * its config must be the run's (`expected`).
 */
export async function loadAdapter(
  ckpt: string, model: Llama<Float32Array>, expected: LoraConfig,
): Promise<{ ok: true } | { ok: false; message: string }> {
  const dir = join(ckpt, ADAPTER_DIR);
  const a = await readPeftAdapter(dir, model.config);
  if (!a.ok) return { ok: false, message: `${formatFormatError(a.error)} The checkpoint's adapter is unreadable; resume from an earlier checkpoint or start a fresh run.` };
  const got = a.value.config;
  const same = got.r === expected.r && got.alpha === expected.alpha && got.dropout === expected.dropout
    && [...got.targetModules].sort().join(",") === [...expected.targetModules].sort().join(",");
  if (!same) {
    return { ok: false, message: `${dir}: its adapter (r ${got.r}, alpha ${got.alpha}, dropout ${got.dropout}, modules ${got.targetModules.join(",")}) is not the run's (r ${expected.r}, alpha ${expected.alpha}, dropout ${expected.dropout}, modules ${expected.targetModules.join(",")}); resume with the run's own config.` };
  }
  model.attachLora({ config: expected, layers: a.value.layers }, { train: true });
  return { ok: true };
}
