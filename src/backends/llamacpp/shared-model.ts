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

interface Entry {
  model: Promise<LlamaModel>;
  users: number;
}

const entries = new Map<LlamaCpp, Map<string, Entry>>();
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
  let byPath = entries.get(llama);
  if (!byPath) entries.set(llama, (byPath = new Map()));
  let e = byPath.get(key);
  if (!e) {
    const model = load();
    e = { model, users: 0 };
    byPath.set(key, e);
    const mine = e;
    model.then(
      (m) => {
        loads++;
        owners.set(m, { llama, key });
      },
      () => {
        if (byPath.get(key) === mine) byPath.delete(key);
      },
    );
  }
  e.users++;
  try {
    return await e.model;
  } catch (err) {
    e.users--;
    throw err;
  }
}

/** One arm is done with `model`; the last one disposes it. */
export async function releaseGgufModel(model: LlamaModel): Promise<void> {
  const o = owners.get(model);
  const byPath = o && entries.get(o.llama);
  const e = o && byPath?.get(o.key);
  if (!o || !byPath || !e) {
    await model.dispose(); // not one of ours: the caller's alone
    return;
  }
  if (--e.users > 0) return;
  byPath.delete(o.key);
  if (byPath.size === 0) entries.delete(o.llama);
  owners.delete(model);
  await model.dispose();
}
