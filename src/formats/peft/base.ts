/**
 * The base model of a PEFT adapter folder: the folder given, else the adapter's
 * `base_model_name_or_path` (a model folder, a lab run folder or `zoo/NAME`; a relative
 * path is tried from the working directory, then from the adapter folder). Only its
 * config.json is read here: the shapes and head counts the adapter must fit.
 */
import { stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { ModelConfig } from "../../model/index.js";
import { loadModelConfig } from "../checkpoint.js";
import { fail, ok, type Result } from "../result.js";
import { findCheckpointDir, latestCheckpoint } from "../run-folder.js";
import { ADAPTER_CONFIG_FILE } from "./layout.js";
import { readPeftAdapterConfig } from "./read.js";

/** The adapter folder inside a lab LoRA run's checkpoint (src/train/lora/run-adapter.ts). */
export const RUN_ADAPTER_DIR = "adapter";

export async function findAdapterBase(adapterDir: string, given?: string): Promise<Result<{ dir: string; config: ModelConfig }>> {
  let wanted = given;
  if (wanted === undefined) {
    const c = await readPeftAdapterConfig(adapterDir);
    if (!c.ok) return c;
    if (c.value.baseModel === null) {
      return fail({ code: "bad_adapter", file: join(adapterDir, ADAPTER_CONFIG_FILE), message: "base_model_name_or_path is missing, so the base model is unknown", fix: "Name the base model folder explicitly (--base DIR)" });
    }
    wanted = c.value.baseModel;
  }
  const tries = given !== undefined || isAbsolute(wanted) ? [wanted] : [wanted, join(adapterDir, wanted)];
  for (const t of tries) {
    const found = await findCheckpointDir(t);
    if (!found.ok) continue;
    const config = await loadModelConfig(found.dir);
    if (!config.ok) return config;
    return ok({ dir: found.dir, config: config.value });
  }
  const file = given !== undefined ? wanted : join(adapterDir, ADAPTER_CONFIG_FILE);
  return fail({
    code: "bad_adapter", file, message: `the base model "${wanted}" is not a model folder here (looked in ${tries.join(" and ")})`,
    fix: given !== undefined ? "Give the folder of the base model the adapter was trained on" : "Name the base model folder explicitly (--base DIR), or fix base_model_name_or_path",
  });
}

/**
 * The PEFT folder a path names: the folder itself (adapter_config.json inside), a checkpoint
 * folder's `adapter/`, or a lab LoRA run's newest checkpoint's `adapter/`; the path unchanged
 * when none of these holds an adapter (the reader then says what is missing).
 */
export async function resolveAdapterDir(given: string): Promise<string> {
  const has = (d: string) => stat(join(d, ADAPTER_CONFIG_FILE)).then((s) => s.isFile(), () => false);
  if (await has(given)) return given;
  if (await has(join(given, RUN_ADAPTER_DIR))) return join(given, RUN_ADAPTER_DIR);
  const latest = await latestCheckpoint(given);
  if (latest && (await has(join(latest, RUN_ADAPTER_DIR)))) return join(latest, RUN_ADAPTER_DIR);
  return given;
}
