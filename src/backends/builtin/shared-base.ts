/**
 * One loaded base for every builtin model over it: `--base builtin:B --tuned
 * builtin:B+lora:A1 --tuned builtin:B+lora:A2 …` reads B's weights and tokenizer once, and
 * every arm's `Llama` runs on the same parameter buffer (LoRA is applied without merging,
 * Hu et al. 2021, so the base weights are never written: each arm keeps only its adapter
 * factors and activations of its own). vLLM's multi-LoRA serving does the same
 * (one base, adapters by name; Sheng et al. 2023, "S-LoRA").
 *
 * Scope: one process. A base is shared while some model over it is alive and dropped with
 * the last one: entries are held weakly (WeakRef), because a builtin model needs no
 * close() to free its memory and many callers never call it. A base folder whose files
 * changed (size or mtime) since it was loaded is loaded again.
 */
import { createHash, type Hash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { formatFormatError, loadModelConfig, loadWeights } from "../../formats/index.js";
import { Llama, totalParameters, type ModelConfig } from "../../model/index.js";
import type { Kernels } from "../../tensor/index.js";
import { loadFolderTokenizer, type FolderTokenizer } from "./hf-tokenizer.js";

/** A base as loaded once: config, parameters in the kernels' memory, tokenizer. */
export interface SharedBase {
  readonly dir: string;
  readonly config: ModelConfig;
  readonly kernels: Kernels;
  /** The parameters (read only: inference never writes them). */
  readonly params: Float32Array;
  /** The gradient buffer a Llama must have; inference never touches it, so one serves every arm. */
  readonly grads: Float32Array;
  readonly tok: FolderTokenizer;
  /** A sha256 that has taken the parameters' bytes (hashed once per base): update it with the rest of an id. */
  paramsHash(): Hash;
}

const live = new Map<string, WeakRef<SharedBase>>();
const loading = new Map<string, Promise<SharedBase>>();
const gone = new FinalizationRegistry<string>((key) => {
  if (live.get(key)?.deref() === undefined) live.delete(key);
});
const kernelIds = new WeakMap<Kernels, number>();
let kernelCount = 0;
let loads = 0;
/** Each Llama over a base keeps it alive (the WeakRef above then still finds it). */
const holders = new WeakMap<Llama<Float32Array>, SharedBase>();

/** Loads so far in this process, and bases held now: the observable of tests (one base, one load). */
export function sharedBaseStats(): { loads: number; held: number } {
  let held = 0;
  for (const r of live.values()) if (r.deref()) held++;
  return { loads, held };
}

/** The folder's identity: its path and every file's size and mtime (a rewritten checkpoint is a new base). */
async function folderKey(dir: string, kernels: Kernels): Promise<string> {
  const abs = resolve(dir);
  const names = (await readdir(abs).catch(() => [] as string[])).sort();
  const stamps = await Promise.all(names.map((n) => stat(join(abs, n)).then((s) => `${n}:${s.size}:${s.mtimeMs}`, () => n)));
  if (!kernelIds.has(kernels)) kernelIds.set(kernels, ++kernelCount); // buffers live in one kernel set's memory
  return `${kernelIds.get(kernels)}\0${abs}\0${stamps.join("\0")}`;
}

async function load(dir: string, kernels: Kernels): Promise<SharedBase> {
  const config = await loadModelConfig(dir);
  if (!config.ok) throw new Error(formatFormatError(config.error));
  // read straight into the kernels' memory: one copy of the weights, not a load buffer and a copy
  const n = totalParameters(config.value);
  const params = kernels.alloc(n);
  const weights = await loadWeights(dir, config.value, { into: params });
  if (!weights.ok) throw new Error(formatFormatError(weights.error));
  const tok = await loadFolderTokenizer(dir);
  loads++;
  let hashed: Hash | undefined;
  const paramsHash = () => (hashed ??= createHash("sha256").update(new Uint8Array(params.buffer, params.byteOffset, params.byteLength))).copy();
  return { dir, config: config.value, kernels, params, grads: kernels.alloc(n), tok, paramsHash };
}

/** The base in `dir` for these kernels: the one already loaded when a model over it is alive, else a fresh load. */
export async function acquireBase(dir: string, kernels: Kernels): Promise<SharedBase> {
  const key = await folderKey(dir, kernels);
  const held = live.get(key)?.deref();
  if (held) return held;
  let pending = loading.get(key);
  if (!pending) {
    pending = load(dir, kernels).then((b) => {
      live.set(key, new WeakRef(b));
      gone.register(b, key);
      return b;
    });
    loading.set(key, pending);
    void pending.then(() => loading.delete(key), () => loading.delete(key));
  }
  return pending;
}

/**
 * A Llama over the shared base: its parameter (and gradient) buffer is the base's, not a
 * copy. The Llama constructor allocates parameters, then gradients; this hands it the
 * base's two buffers for those, and fresh memory for everything after (adapter, activations).
 */
export function llamaOver(base: SharedBase): Llama<Float32Array> {
  const mine = [base.params, base.grads];
  const model = new Llama<Float32Array>(base.config, base.kernels, (n) => (mine.length > 0 && mine[0].length === n ? mine.shift()! : base.kernels.alloc(n)));
  if (model.params.flat !== base.params || model.grads.flat !== base.grads) {
    throw new Error(`${base.dir}: internal error: the model did not take the shared base's buffers (Llama's allocation order changed; see src/backends/builtin/shared-base.ts)`);
  }
  holders.set(model, base);
  return model;
}
