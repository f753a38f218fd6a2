/**
 * Model files in and out of the engine. Depends only on src/model (config, parameter
 * table, tokenizer). Loaders return `Result` values; `formatFormatError` renders errors.
 *
 *   safetensors      streaming reader (one tensor in memory at a time), sharded view, writer
 *   checkpoint       Hugging Face LlamaForCausalLM folders (config.json, model.safetensors,
 *                    tokenizer.json, tokenizer_config.json, generation_config.json)
 *   gguf             reader, writer, and the llama.cpp export of engine checkpoints
 */

// files: atomic writes (temporary file, then rename)
export { writeBytesAtomic, writeTextAtomic, replaceDirAtomic } from "./io.js";
export { removeStaleTemps, processGone } from "./stale-temps.js";

// results and errors
export { type Result, ok, fail } from "./result.js";
export { type FormatError, type FormatErrorCode, formatFormatError } from "./errors.js";
export { type FloatDType, f32ToF16Bits, f16BitsToF32, f32ToBf16Bits } from "./dtype.js";

// strict text input: every user file read as text (JSONL, settings, a model's JSON) goes through here
export { type TextResult, type TextLimit, type ReadTextOptions, type ReadLinesOptions, type TextLine, TEXT_LIMITS, readTextFile, readJsonText, parseJsonText, readTextLines } from "./text.js";
export { type TextError, type TextErrorCode, type TextRole, formatTextError, textErrorDetail, shellWord } from "./text-errors.js";
export { type YamlResult, parseYamlText } from "./yaml.js";
export { type OtherEncoding, firstInvalidUtf8, sniffOtherEncoding, loneSurrogateField } from "./utf8.js";

// safetensors
export { type TensorInfo, DTYPE_SIZES, READABLE_DTYPES } from "./safetensors/header.js";
export { type TensorSource, openSafetensors } from "./safetensors/reader.js";
export { openSafetensorsModel, openShardedSafetensors } from "./safetensors/sharded.js";
export { type TensorToWrite, type TensorPlan, writeSafetensors, writeSafetensorsStream, writeSafetensorsModel, writeSafetensorsModelStream, INDEX_FILE, SINGLE_FILE } from "./safetensors/writer.js";

// Hugging Face checkpoint folders
export { readModelConfig, toHfConfig, HF_CONFIG_FIELDS } from "./hf/config.js";
export { CHAT_TEMPLATE, readTokenizerJson, toTokenizerJson, toTokenizerConfig, toGenerationConfig } from "./hf/tokenizer.js";
export { type Checkpoint, type SaveOptions, saveCheckpoint, loadCheckpoint, loadCheckpointMeta, loadModelConfig, loadWeights } from "./checkpoint.js";
export { loadTokenizerFile, saveTokenizerFile } from "./checkpoint.js";
export { toBpeTokenizerJson, readBpeTokenizerJson } from "./hf/tokenizer-bpe.js";

// GGUF
export { type GgufValue, type GgufValueType, type GgufScalar, GGML_TYPES, GGUF_VERSION } from "./gguf/types.js";
export { type GgufTensorToWrite, writeGguf } from "./gguf/writer.js";
export { type GgufFile, type GgufTensorInfo, openGguf } from "./gguf/reader.js";
export { type GgufDType, GGUF_DTYPES, exportGguf, llamaGgufContent, llamaCppTensorName, permuteQK, unpermuteQK } from "./gguf/llama.js";
export { bytesToUnicode, byteLevelText, ggufVocab, TOKEN_TYPE } from "./gguf/vocab.js";
export { ZOO_DIR, ZOO_MODELS, resolveZooPath, type ZooModel } from "./zoo.js";

// the lab's run folders: run.json, checkpoints/step-N
export {
  RUN_MANIFEST_FILE, METRICS_FILE, runManifestSchema, type RunManifest, type JsonRead, stepName, stepDir, checkpointsDir, isStepDir,
  listCheckpoints, latestCheckpoint, findCheckpointDir, resolveCheckpointDir, readRunJson, readRunManifest,
} from "./run-folder.js";

// LoRA adapters as PEFT folders (adapter_config.json + adapter_model.safetensors)
export {
  ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, baseWeightName, peftTensorName, moduleShape, factorShapes,
  type PeftConfig, readPeftConfig, type WritePeftOptions, writePeftAdapter, peftTensors, readPeftAdapter, readPeftAdapterConfig, findAdapterBase, resolveAdapterDir, RUN_ADAPTER_DIR,
} from "./peft/index.js";
export { loraGgufContent, exportGgufLora } from "./gguf/lora.js";
