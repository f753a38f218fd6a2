/**
 * Model specs on the command line, one per backend:
 *   builtin:PATH        the engine on an HF-layout folder (or a lab run folder's newest checkpoint)
 *   gguf:PATH           llama.cpp through node-llama-cpp
 *   openai:URL[,URL]#M  any OpenAI-compatible server (several URLs = replicas)
 */
import { findCheckpointDir } from "../formats/index.js";
import type { Kernels } from "../tensor/index.js";
import { openBuiltinModel } from "./builtin/index.js";
import type { LanguageModel } from "./language-model.js";
import { openGgufModel } from "./llamacpp/index.js";
import { createOpenAIModel, formatOpenAIError, type OpenAIConnection, parseOpenAISpec } from "./openai/index.js";

export const SPEC_FORMS = "builtin:PATH (HF-layout folder or lab run), gguf:FILE.gguf, openai:http://HOST:PORT/v1#MODEL";

/** A bad spec: the message says which form was expected. */
export class SpecError extends Error {}

/** The checkpoint folder a builtin spec names: the folder itself, or a run's newest checkpoint. */
async function builtinFolder(path: string): Promise<string> {
  const r = await findCheckpointDir(path);
  if (r.ok) return r.dir;
  if (r.why === "no-folder") throw new SpecError(`builtin:${r.path}: no such folder; give an HF-layout model folder or a lab run folder.`);
  throw new SpecError(`builtin:${r.path}: the folder has no config.json and no checkpoints/; give an HF-layout model folder or a lab run folder.`);
}

/** How to open models: the kernels for builtin:, how to talk to the servers of openai: specs. */
export interface OpenModelOptions {
  kernels?: Kernels;
  openai?: OpenAIConnection;
}

export async function openModel(spec: string, opts: OpenModelOptions = {}): Promise<LanguageModel> {
  const colon = spec.indexOf(":");
  const kind = colon > 0 ? spec.slice(0, colon) : "";
  const rest = spec.slice(colon + 1);
  switch (kind) {
    case "builtin":
      return openBuiltinModel(await builtinFolder(rest), opts.kernels ? { kernels: opts.kernels } : {});
    case "gguf":
      return openGgufModel(rest);
    case "openai": {
      const parsed = parseOpenAISpec(spec);
      if (!parsed.ok) throw new SpecError(formatOpenAIError(parsed.error));
      return createOpenAIModel({ ...parsed.value, ...opts.openai });
    }
    default:
      throw new SpecError(`"${spec}" is not a model spec; use one of: ${SPEC_FORMS}`);
  }
}
