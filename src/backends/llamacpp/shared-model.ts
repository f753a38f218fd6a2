/**
 * One loaded GGUF model for every `gguf:` arm over the same file: `--base gguf:B.gguf
 * --tuned gguf:B.gguf+lora:A1.gguf --tuned gguf:B.gguf+lora:A2.gguf …` loads B once
 * (one node-llama-cpp `LlamaModel`), and each arm creates its own contexts over it with its
 * adapter (node-llama-cpp 3.21.1 takes adapters at context creation, `lora.adapters`, and
 * loads each adapter file once per model). Reference-counted: the model is disposed when
 * the last arm over it closes. Keyed by the binding, the resolved path, and the file's size
 * and mtime (a rewritten file is loaded again).
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Llama as LlamaCpp, LlamaModel } from "node-llama-cpp";
import { SharedLoads } from "./shared-loads.js";

/** Per binding, the models loaded by file; and each model's binding and key, for release. */
const byBinding = new Map<LlamaCpp, SharedLoads<string, LlamaModel>>();
const owners = new Map<LlamaModel, { llama: LlamaCpp; key: string }>();
let loads = 0;

/** GGUF loads so far in this process, and models held now: the observable of tests. */
export function sharedGgufStats(): { loads: number; held: number } {
  return { loads, held: owners.size };
}

const stamp = (p: string) => stat(p).then((s) => `${resolve(p)}\0${s.size}\0${s.mtimeMs}`, () => resolve(p));

/** The model in `path`: the one loaded already when an arm over it is open, else `load()`'s. */
export async function acquireGgufModel(llama: LlamaCpp, path: string, load: () => Promise<LlamaModel>): Promise<LlamaModel> {
  const key = await stamp(path);
  let models = byBinding.get(llama);
  if (!models) byBinding.set(llama, (models = new SharedLoads((m) => m.dispose())));
  return models.acquire(key, async () => {
    const m = await load();
    loads++;
    owners.set(m, { llama, key });
    return m;
  });
}

/** One arm is done with `model`; the last one disposes it. */
export async function releaseGgufModel(model: LlamaModel): Promise<void> {
  const o = owners.get(model);
  const models = o && byBinding.get(o.llama);
  if (!o || !models) {
    await model.dispose(); // not one of ours: the caller's alone
    return;
  }
  if ((await models.release(o.key)) !== "disposed") return;
  owners.delete(model);
  if (models.size === 0) byBinding.delete(o.llama);
}
