/** Tiny llama folders for the weights tests: a seeded base and copies with chosen changes. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CharTokenizer, numel, parameterTable, totalParameters, type ModelConfig } from "../../src/model/index.js";
import { formatFormatError, saveCheckpoint, writeSafetensorsModel, type FloatDType } from "../../src/formats/index.js";
import { createRng } from "../../src/random/index.js";

export const TINY: ModelConfig = {
  vocabSize: 112, dim: 16, nLayers: 2, nHeads: 2, nKvHeads: 1, ffnDim: 24, contextLength: 32, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};

export const tempDir = (name: string) => mkdtemp(join(tmpdir(), `ftledger-weights-${name}-`));

/** Parameters drawn N(0, 0.1²) from `seed`, in parameterTable order. */
export function seededParams(config: ModelConfig, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: totalParameters(config) }, () => 0.1 * rng.normal());
}

/** The flat offset and length of a named tensor. */
export function slot(config: ModelConfig, name: string): { offset: number; length: number; shape: number[] } {
  let off = 0;
  for (const p of parameterTable(config)) {
    if (p.name === name) return { offset: off, length: numel(p.shape), shape: p.shape };
    off += numel(p.shape);
  }
  throw new Error(`no tensor ${name}`);
}

/** Save a checkpoint folder; with `dtype` or `maxShardBytes` the weights are rewritten in that layout. */
export async function saveModel(dir: string, params: Float32Array, o: { config?: ModelConfig; dtype?: FloatDType; maxShardBytes?: number } = {}): Promise<string> {
  const config = o.config ?? TINY;
  const saved = await saveCheckpoint(dir, { config, params, tokenizer: new CharTokenizer() });
  if (!saved.ok) throw new Error(formatFormatError(saved.error));
  if (o.dtype || o.maxShardBytes) {
    for (const f of saved.value.files.filter((f) => f.includes("safetensors"))) await rm(join(dir, f));
    let off = 0;
    const tensors = parameterTable(config).map((p) => {
      const n = numel(p.shape);
      const t = { name: p.name, shape: p.shape, data: params.subarray(off, off + n), dtype: o.dtype ?? "F32" };
      off += n;
      return t;
    });
    await writeSafetensorsModel(dir, tensors, { metadata: { format: "pt" }, ...(o.maxShardBytes ? { maxShardBytes: o.maxShardBytes } : {}) });
  }
  return dir;
}

export async function writeText(path: string, text: string): Promise<string> {
  await writeFile(path, text);
  return path;
}
