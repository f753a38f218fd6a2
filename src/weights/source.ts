/**
 * The models `diff`, `merge` and `sweep` read: an HF-layout folder (config.json + one
 * safetensors file or a sharded index, f32 / f16 / bf16), a lab run folder (its newest
 * checkpoint), or `zoo/NAME`; a `builtin:` prefix is accepted so model specs can be pasted.
 * Tensors are read one at a time (`TensorSource`), never the whole model.
 */
import { realpath } from "node:fs/promises";
import { findCheckpointDir, openSafetensorsModel, type TensorSource } from "../formats/index.js";
import { wfail, type WeightsError, type WeightsResult } from "./errors.js";

export interface ModelWeights {
  /** What the user gave (for messages and tables). */
  readonly label: string;
  /** The checkpoint folder (config.json, tokenizer files, weights). */
  readonly dir: string;
  readonly source: TensorSource;
}

/** `builtin:PATH` → PATH; other backends' specs cannot be read tensor by tensor. */
function pathOf(given: string): WeightsResult<string> {
  if (given.startsWith("builtin:")) return { ok: true, value: given.slice("builtin:".length) };
  const scheme = /^([a-z]+):/.exec(given)?.[1];
  if (scheme && scheme.length > 1) {
    return wfail({ code: "no_model", given, path: given, why: `${scheme}: models cannot be read tensor by tensor` });
  }
  return { ok: true, value: given };
}

export async function openModelWeights(given: string): Promise<WeightsResult<ModelWeights>> {
  const path = pathOf(given);
  if (!path.ok) return path;
  const found = await findCheckpointDir(path.value);
  if (!found.ok) {
    const why = found.why === "no-folder" ? "no such folder" : "the folder has no config.json and no checkpoints/step-N inside";
    return wfail({ code: "no_model", given, path: found.path, why });
  }
  const opened = await openSafetensorsModel(found.dir);
  if (!opened.ok) return wfail({ code: "format", error: opened.error });
  const dir = await realpath(found.dir).catch(() => found.dir);
  return { ok: true, value: { label: given, dir, source: opened.value } };
}

/** Open several models; on any failure the ones already open are closed. */
export async function openAllWeights(given: readonly string[]): Promise<WeightsResult<ModelWeights[]>> {
  const out: ModelWeights[] = [];
  for (const g of given) {
    const r = await openModelWeights(g);
    if (!r.ok) {
      await closeAll(out);
      return r;
    }
    out.push(r.value);
  }
  return { ok: true, value: out };
}

export async function closeAll(models: readonly ModelWeights[]): Promise<void> {
  await Promise.all(models.map((m) => m.source.close()));
}

/**
 * The tensors every model shares, in the reference model's order, after checking that all
 * models have the same names and shapes (the first difference is the error).
 */
export function sharedTensors(ref: ModelWeights, others: readonly ModelWeights[]): WeightsResult<string[]> {
  const names = ref.source.names();
  for (const m of others) {
    for (const name of names) {
      const a = ref.source.info(name)!;
      const b = m.source.info(name);
      if (!b) return wfail({ code: "tensor_missing", tensor: name, in: ref.label, missingFrom: m.label });
      if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
        return wfail({ code: "shape_differs", tensor: name, a: { model: ref.label, shape: a.shape }, b: { model: m.label, shape: b.shape } });
      }
    }
    const extra = m.source.names().find((n) => !ref.source.info(n));
    if (extra !== undefined) return wfail({ code: "tensor_missing", tensor: extra, in: m.label, missingFrom: ref.label });
  }
  return { ok: true, value: names };
}

export type { WeightsError };

/** One buffer reused for tensors of any size (grown to the largest): no allocation or page faults per tensor. */
export class Scratch {
  private buf = new Float32Array(0);
  get(n: number): Float32Array {
    if (this.buf.length < n) this.buf = new Float32Array(n);
    return this.buf.subarray(0, n);
  }
}

