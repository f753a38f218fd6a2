/**
 * safetensors writer (spec in ./header.ts): tensors in the given order, contiguous,
 * header padded to 8 bytes, optional `__metadata__`. Atomic: the file appears complete
 * or not at all. Sharded writing follows the Hugging Face layout:
 * `model-00001-of-00003.safetensors` + `model.safetensors.index.json`.
 */
import { join } from "node:path";
import { encodeFloats, type FloatDType } from "../dtype.js";
import { writeAll, writeBytesAtomic, writeTextAtomic } from "../io.js";
import { encodeHeader } from "./header.js";

export interface TensorToWrite {
  name: string;
  /** Row-major shape. */
  shape: readonly number[];
  data: Float32Array;
  /** Stored dtype (default F32); values are rounded to nearest even when narrowed. */
  dtype?: FloatDType;
}

const bytesPer = (d: FloatDType): number => (d === "F32" ? 4 : 2);

function checkTensors(tensors: readonly TensorToWrite[]): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`tensor "${t.name}": ${t.data.length} values for shape [${t.shape.join(", ")}]`);
    if (t.name === "__metadata__" || seen.has(t.name)) throw new Error(`tensor name "${t.name}" is reserved or repeated`);
    seen.add(t.name);
  }
}

/** Write one safetensors file at `path` (atomically). */
export async function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  checkTensors(tensors);
  await writeSafetensorsStream(path, tensors.map(({ name, shape, dtype }) => ({ name, shape, ...(dtype ? { dtype } : {}) })), async (i) => tensors[i].data, metadata);
}

/** A tensor whose values are produced while the file is written (streaming). */
export interface TensorPlan {
  name: string;
  shape: readonly number[];
  dtype?: FloatDType;
}

/**
 * Write one safetensors file whose tensors are produced one at a time by `produce(i)`:
 * the header is known from the plan, so memory stays at one tensor whatever the file size
 * (merges and sweeps of multi-GB models). Atomic: a crash or an error thrown by `produce`
 * leaves no file at `path`.
 */
export async function writeSafetensorsStream(
  path: string,
  plan: readonly TensorPlan[],
  produce: (index: number) => Promise<Float32Array>,
  metadata?: Record<string, string>,
): Promise<void> {
  const seen = new Set<string>();
  for (const t of plan) {
    if (t.name === "__metadata__" || seen.has(t.name)) throw new Error(`tensor name "${t.name}" is reserved or repeated`);
    seen.add(t.name);
  }
  const entries = plan.map((t) => {
    const dtype = t.dtype ?? "F32";
    return { name: t.name, dtype, shape: t.shape, bytes: numelOf(t.shape) * bytesPer(dtype) };
  });
  const { json } = encodeHeader(entries, metadata);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.byteLength));
  await writeBytesAtomic(path, async (fh) => {
    await writeAll(fh, prefix);
    await writeAll(fh, json);
    // one tensor converted at a time keeps the extra memory to the largest tensor
    for (let i = 0; i < plan.length; i++) {
      const data = await produce(i);
      if (data.length !== numelOf(plan[i].shape)) throw new Error(`tensor "${plan[i].name}": ${data.length} values for shape [${plan[i].shape.join(", ")}]`);
      await writeAll(fh, encodeFloats(data, plan[i].dtype ?? "F32"));
    }
  });
}

const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export const INDEX_FILE = "model.safetensors.index.json";
export const SINGLE_FILE = "model.safetensors";

/**
 * Write `tensors` into `dir` as `model.safetensors`, or, when they exceed
 * `maxShardBytes`, as numbered shards plus `model.safetensors.index.json`
 * (`{ metadata: { total_size }, weight_map: { tensor: shard } }`). Returns the files written.
 */
export async function writeSafetensorsModel(
  dir: string,
  tensors: readonly TensorToWrite[],
  opts: { metadata?: Record<string, string>; maxShardBytes?: number } = {},
): Promise<string[]> {
  checkTensors(tensors);
  const plan = tensors.map(({ name, shape, dtype }) => ({ name, shape, ...(dtype ? { dtype } : {}) }));
  return writeSafetensorsModelStream(dir, plan, async (i) => tensors[i].data, opts);
}

/** As `writeSafetensorsModel`, with each tensor produced while it is written (`produce(i)` in plan order). */
export async function writeSafetensorsModelStream(
  dir: string,
  plan: readonly TensorPlan[],
  produce: (index: number) => Promise<Float32Array>,
  opts: { metadata?: Record<string, string>; maxShardBytes?: number } = {},
): Promise<string[]> {
  const max = opts.maxShardBytes ?? Infinity;
  const shards: number[][] = [[]]; // plan indices per shard
  let used = 0;
  let total = 0;
  plan.forEach((t, i) => {
    const bytes = numelOf(t.shape) * bytesPer(t.dtype ?? "F32");
    total += bytes;
    if (used > 0 && used + bytes > max) {
      shards.push([]);
      used = 0;
    }
    shards[shards.length - 1].push(i);
    used += bytes;
  });
  if (shards.length === 1) {
    await writeSafetensorsStream(join(dir, SINGLE_FILE), plan, produce, opts.metadata);
    return [SINGLE_FILE];
  }
  const pad = (i: number) => String(i).padStart(5, "0");
  const names = shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards.length; s++) {
    const idx = shards[s];
    await writeSafetensorsStream(join(dir, names[s]), idx.map((i) => plan[i]), (j) => produce(idx[j]), opts.metadata);
    for (const i of idx) weightMap[plan[i].name] = names[s];
  }
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  await writeTextAtomic(join(dir, INDEX_FILE), JSON.stringify(index, null, 2) + "\n");
  return [...names, INDEX_FILE];
}
