/**
 * Model specs on the command line, one per backend:
 *   builtin:PATH        the engine on an HF-layout folder (or a lab run folder's newest checkpoint)
 *   gguf:PATH           llama.cpp through node-llama-cpp
 *   openai:URL[,URL]#M  any OpenAI-compatible server (several URLs = replicas)
 * and a LoRA adapter on a builtin or gguf base (lora-spec.ts): `builtin:BASE+lora:DIR@s`,
 * `gguf:BASE.gguf+lora:ADAPTER.gguf@s`; `builtin:RUN` of a LoRA run is its base + newest adapter.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { ADAPTER_CONFIG_FILE, findAdapterBase, findCheckpointDir, formatFormatError, resolveAdapterDir, RUN_ADAPTER_DIR } from "../formats/index.js";
import { LORA_SPEC_FORMS, splitLoraSpec } from "./lora-spec.js";
import { loadKernels, type Kernels } from "../tensor/index.js";
import { openBuiltinModel } from "./builtin/index.js";
import type { LanguageModel } from "./language-model.js";
import { openGgufModel, type GgufGpu } from "./llamacpp/index.js";
import { createOpenAIModel, formatOpenAIError, type OpenAIConnection, parseOpenAISpec } from "./openai/index.js";

export const SPEC_FORMS = `builtin:PATH (HF-layout folder or lab run), gguf:FILE.gguf, openai:http://HOST:PORT/v1#MODEL, ${LORA_SPEC_FORMS}`;

/** A bad spec: the message says which form was expected. */
export class SpecError extends Error {}

const isFile = (p: string) => stat(p).then((s) => s.isFile(), () => false);

/**
 * The checkpoint folder a builtin spec names: the folder itself, or a run's newest checkpoint;
 * a LoRA run's checkpoint (an adapter, no config.json) gives its base and the adapter.
 */
async function builtinFolder(path: string): Promise<{ dir: string; adapter: string | null }> {
  const isLoraCheckpoint = async (d: string) => !(await isFile(join(d, "config.json"))) && (await isFile(join(d, RUN_ADAPTER_DIR, ADAPTER_CONFIG_FILE)));
  // a run folder (its newest checkpoint), or one checkpoint folder of a LoRA run
  const found = await findCheckpointDir(path);
  const r = !found.ok && (await isLoraCheckpoint(path)) ? { ok: true as const, dir: path } : found;
  if (r.ok && (await isLoraCheckpoint(r.dir))) {
    const adapter = join(r.dir, RUN_ADAPTER_DIR);
    const base = await findAdapterBase(adapter);
    if (!base.ok) throw new SpecError(`builtin:${path}: a LoRA run whose base cannot be opened: ${formatFormatError(base.error)}`);
    return { dir: base.value.dir, adapter };
  }
  if (r.ok) return { dir: r.dir, adapter: null };
  if (r.why === "no-folder") throw new SpecError(`builtin:${r.path}: no such folder; give an HF-layout model folder or a lab run folder.`);
  throw new SpecError(`builtin:${r.path}: the folder has no config.json and no checkpoints/; give an HF-layout model folder or a lab run folder.`);
}

/** How to open models: the kernels for builtin:, the device for gguf:, how to talk to the servers of openai: specs. */
export interface OpenModelOptions {
  kernels?: Kernels;
  openai?: OpenAIConnection;
  /** gguf: specs' device (llamacpp/gpu.ts): off (the CPU, the default), auto, cuda, vulkan. Other specs ignore it. */
  gpu?: GgufGpu;
}

/** `model` with the device it runs on (LanguageModel.device), for backends that do not say it themselves. */
function withDevice<T extends LanguageModel>(model: T, device: string): T {
  Object.defineProperty(model, "device", { value: device, enumerable: true });
  return model;
}

export async function openModel(spec: string, opts: OpenModelOptions = {}): Promise<LanguageModel> {
  const colon = spec.indexOf(":");
  const kind = colon > 0 ? spec.slice(0, colon) : "";
  const rest = spec.slice(colon + 1);
  switch (kind) {
    case "builtin": {
      const parts = splitLoraSpec(kind, rest);
      if ("error" in parts) throw new SpecError(parts.error);
      const found = await builtinFolder(parts.base);
      if (parts.lora && found.adapter) throw new SpecError(`builtin:${parts.base} is a LoRA run, which already applies its adapter; give its base folder with +lora: instead`);
      const lora = parts.lora ? { dir: await resolveAdapterDir(parts.lora.path), scale: parts.lora.scale } : found.adapter ? { dir: found.adapter, scale: 1 } : null;
      // the kernels openBuiltinModel would pick (loadKernels caches them), named for the device
      const kernels = opts.kernels ?? (await loadKernels()).kernels;
      return withDevice(await openBuiltinModel(found.dir, { kernels, ...(lora ? { lora } : {}) }), `cpu (${kernels.name} kernels)`);
    }
    case "gguf": {
      const parts = splitLoraSpec(kind, rest);
      if ("error" in parts) throw new SpecError(parts.error);
      return openGgufModel(parts.base, { ...(parts.lora ? { lora: { file: parts.lora.path, scale: parts.lora.scale } } : {}), ...(opts.gpu ? { gpu: opts.gpu } : {}) });
    }
    case "openai": {
      const parsed = parseOpenAISpec(spec);
      if (!parsed.ok) throw new SpecError(formatOpenAIError(parsed.error));
      const n = parsed.value.endpoints.length;
      return withDevice(await createOpenAIModel({ ...parsed.value, ...opts.openai }), `remote (${n === 1 ? "1 endpoint" : `${n} endpoints`})`);
    }
    default:
      throw new SpecError(`"${spec}" is not a model spec; use one of: ${SPEC_FORMS}`);
  }
}
