/** A small engine model exported to GGUF (f32), shared by the llamacpp backend tests. */
import { join } from "node:path";
import { createRng } from "../../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../../src/model/index.js";
import { createTsKernels } from "../../../src/tensor/index.js";
import { exportGguf, saveCheckpoint } from "../../../src/formats/index.js";
import { unwrap } from "../../formats/helpers.js";

export const tok = new CharTokenizer();

export const config: ModelConfig = {
  vocabSize: 128, dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 128, contextLength: 256, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};

/** An engine model with weights large enough that next-token distributions are peaked (std 0.3). */
export function engineModel(seed: number, cfg: ModelConfig = config): Llama<Float32Array> {
  const model = Llama.f32(cfg, createTsKernels());
  model.initialize(createRng(seed), 0.3);
  return model;
}

/** Save `model` as a checkpoint in `dir` and export it as `dir/<name>.gguf` (f32). */
export async function exportModel(model: Llama<Float32Array>, dir: string, name: string): Promise<string> {
  const ckpt = join(dir, `${name}-ckpt`);
  unwrap(await saveCheckpoint(ckpt, { config: model.config, params: model.params.flat, tokenizer: tok }));
  const out = join(dir, `${name}.gguf`);
  unwrap(await exportGguf(ckpt, out, { dtype: "f32" }));
  return out;
}
