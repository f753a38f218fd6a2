/**
 * Engine checkpoints as Hugging Face `LlamaForCausalLM` folders, loadable by
 * transformers (`AutoModelForCausalLM.from_pretrained(dir)`) and convertible by
 * llama.cpp's convert_hf_to_gguf.py:
 *
 *   config.json             ./hf/config.ts
 *   model.safetensors       parameterTable(config) names and order, float32
 *                           (or model-0000i-of-0000n.safetensors + model.safetensors.index.json)
 *   tokenizer.json          ./hf/tokenizer.ts
 *   tokenizer_config.json   special tokens and chat template
 *   generation_config.json
 *
 * Saving is atomic for the whole folder (built in `dir.tmp-<pid>`, then renamed).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { numel, parameterTable, totalParameters, type Tokenizer, type ModelConfig } from "../model/index.js";
import { readModelConfig, toHfConfig } from "./hf/config.js";
import { readTokenizerJson, toGenerationConfig, toTokenizerConfig, toTokenizerJson } from "./hf/tokenizer.js";
import { ioError, readJsonFile, replaceDirAtomic, writeTextAtomic } from "./io.js";
import { fail, ok, type Result } from "./result.js";
import { openSafetensorsModel } from "./safetensors/sharded.js";
import { writeSafetensorsModel, type TensorToWrite } from "./safetensors/writer.js";

export interface Checkpoint {
  config: ModelConfig;
  /** Flat parameters in parameterTable(config) order. */
  params: Float32Array;
  tokenizer: Tokenizer;
  /** safetensors `__metadata__` (always includes format: "pt", which transformers requires). */
  metadata: Record<string, string>;
}

export interface SaveOptions {
  /** Split the weights into shards of at most this many bytes (default: one file). */
  maxShardBytes?: number;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

export async function saveCheckpoint(
  dir: string,
  ckpt: { config: ModelConfig; params: Float32Array; tokenizer: Tokenizer; metadata?: Record<string, string> },
  opts: SaveOptions = {},
): Promise<Result<{ dir: string; files: string[] }>> {
  const { config, params, tokenizer } = ckpt;
  if (params.length !== totalParameters(config)) throw new Error(`saveCheckpoint: ${params.length} parameters, the config needs ${totalParameters(config)}`);
  if (config.vocabSize < tokenizer.size) throw new Error(`saveCheckpoint: vocabSize ${config.vocabSize} is smaller than the tokenizer (${tokenizer.size})`);
  const tensors: TensorToWrite[] = [];
  let off = 0;
  for (const spec of parameterTable(config)) {
    const n = numel(spec.shape);
    tensors.push({ name: spec.name, shape: spec.shape, data: params.subarray(off, off + n) });
    off += n;
  }
  const files = ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"];
  try {
    await replaceDirAtomic(dir, async (tmp) => {
      await mkdir(tmp, { recursive: true });
      const metadata = { ...ckpt.metadata, format: "pt" };
      files.push(...(await writeSafetensorsModel(tmp, tensors, { metadata, maxShardBytes: opts.maxShardBytes })));
      await writeTextAtomic(join(tmp, "config.json"), json(toHfConfig(config, tokenizer)));
      await writeTextAtomic(join(tmp, "tokenizer.json"), json(toTokenizerJson(tokenizer)));
      await writeTextAtomic(join(tmp, "tokenizer_config.json"), json(toTokenizerConfig(tokenizer, config)));
      await writeTextAtomic(join(tmp, "generation_config.json"), json(toGenerationConfig(tokenizer)));
    });
  } catch (e) {
    return fail(ioError(dir, e));
  }
  return ok({ dir, files });
}

/** config.json of a model folder as a ModelConfig (any HF llama folder, not only ours). */
export async function loadModelConfig(dir: string): Promise<Result<ModelConfig>> {
  const configFile = join(dir, "config.json");
  const rawConfig = await readJsonFile(configFile, "model config of the checkpoint");
  if (!rawConfig.ok) return rawConfig;
  return readModelConfig(rawConfig.value, configFile);
}

/** A tokenizer.json file (the lab's character tokenizer or byte-level BPE; hf/tokenizer.ts). */
export async function loadTokenizerFile(file: string): Promise<Result<Tokenizer>> {
  const raw = await readJsonFile(file, "tokenizer");
  if (!raw.ok) return raw;
  return readTokenizerJson(raw.value, file);
}

/** The tokenizer as tokenizer.json text (what saveCheckpoint writes), for `ftledger lab tokenizer`. */
export async function saveTokenizerFile(file: string, tokenizer: Tokenizer): Promise<Result<{ file: string }>> {
  try {
    await writeTextAtomic(file, json(toTokenizerJson(tokenizer)));
  } catch (e) {
    return fail(ioError(file, e));
  }
  return ok({ file });
}

/** config.json + tokenizer.json of a checkpoint folder, without the weights. */
export async function loadCheckpointMeta(dir: string): Promise<Result<{ config: ModelConfig; tokenizer: Tokenizer }>> {
  const config = await loadModelConfig(dir);
  if (!config.ok) return config;
  const configFile = join(dir, "config.json");
  const tokFile = join(dir, "tokenizer.json");
  const rawTok = await readJsonFile(tokFile, "tokenizer of the checkpoint");
  if (!rawTok.ok) return rawTok;
  const tokenizer = readTokenizerJson(rawTok.value, tokFile);
  if (!tokenizer.ok) return tokenizer;
  if (config.value.vocabSize < tokenizer.value.size) {
    return fail({ code: "bad_config", file: configFile, field: "vocab_size", message: `${config.value.vocabSize} is smaller than the tokenizer's ${tokenizer.value.size} tokens` });
  }
  return ok({ config: config.value, tokenizer: tokenizer.value });
}

/**
 * Load a checkpoint folder into a flat parameter buffer, checking every tensor against
 * config.json: all present, none extra, every shape as the config implies.
 */
export async function loadCheckpoint(dir: string): Promise<Result<Checkpoint>> {
  const meta = await loadCheckpointMeta(dir);
  if (!meta.ok) return meta;
  const { config, tokenizer } = meta.value;
  const weights = await loadWeights(dir, config);
  if (!weights.ok) return weights;
  return ok({ config, tokenizer, ...weights.value });
}

/**
 * Non-parameter buffers some exporters store next to the weights (recomputed from the
 * config, so they are skipped rather than rejected).
 */
const IGNORED_TENSORS = /(^|\.)rotary_emb\.inv_freq$/;

/**
 * The weights of a llama folder (one safetensors file or a sharded index) as one flat
 * buffer in parameterTable(config) order; F16 / BF16 are upcast to F32. `into` (of
 * totalParameters(config) elements) receives them in place of a fresh buffer: a caller
 * with its own memory for them (the builtin backend's kernels) then holds one copy, not two.
 */
export async function loadWeights(dir: string, config: ModelConfig, opts: { into?: Float32Array } = {}): Promise<Result<{ params: Float32Array; metadata: Record<string, string> }>> {
  const opened = await openSafetensorsModel(dir);
  if (!opened.ok) return opened;
  const src = opened.value;
  try {
    // num_hidden_layers is config.json's claim, and the table below has 9 entries per layer:
    // more layers than the weights have tensors is a wrong count, refused before the table
    // is built (a corrupt 2^53 would never finish); a smaller gap lists the missing tensors
    const names = src.names();
    if (config.nLayers > names.length) {
      const layers = new Set(names.map((n) => /^model\.layers\.(\d+)\./.exec(n)?.[1]).filter((l) => l !== undefined)).size;
      return fail({ code: "bad_config", file: join(dir, "config.json"), field: "num_hidden_layers", message: `${config.nLayers} layers, but the weights (${src.path}) hold ${names.length} tensors, of ${layers} layers` });
    }
    const table = parameterTable(config);
    const expected = new Set(table.map((s) => s.name));
    const missing = table.map((s) => s.name).filter((n) => !src.info(n));
    if (missing.length) return fail({ code: "missing_tensors", file: src.path, tensors: missing });
    const extra = src.names().filter((n) => !expected.has(n) && !IGNORED_TENSORS.test(n));
    if (extra.length) return fail({ code: "unexpected_tensors", file: src.path, tensors: extra });
    for (const spec of table) {
      const got = src.info(spec.name)!.shape;
      if (got.length !== spec.shape.length || got.some((d, i) => d !== spec.shape[i])) {
        return fail({ code: "shape_mismatch", file: src.fileOf(spec.name)!, tensor: spec.name, expected: spec.shape, got });
      }
    }
    const n = totalParameters(config);
    if (opts.into && opts.into.length !== n) throw new Error(`loadWeights: "into" has ${opts.into.length} elements, the config needs ${n}`);
    const params = opts.into ?? new Float32Array(n);
    let off = 0;
    for (const spec of table) {
      const n = numel(spec.shape);
      const r = await src.readTensor(spec.name, params.subarray(off, off + n));
      if (!r.ok) return r;
      off += n;
    }
    return ok({ params, metadata: { ...src.metadata } });
  } finally {
    await src.close();
  }
}
