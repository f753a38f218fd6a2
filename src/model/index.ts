/**
 * The engine: a llama-architecture model in TypeScript (no runtime dependencies).
 */
export { type ModelConfig, type ModelDims, type ConfigError, headDim, modelDims, validateConfig, referenceConfig } from "./config.js";
export {
  type ParamSpec, type ParamViews, type LayerParams, parameterTable, totalParameters, viewParameters, decayMask, numel,
} from "./parameters.js";
export { Llama, type DType, type ForwardResult } from "./model.js";
export { type TrainBatch, type InputEmbeds, defaultPositions, checkBatch, BatchError } from "./forward.js";
export * as ops from "./ops/index.js";
export { CharTokenizer, SPECIAL_TOKENS, charAlphabet, type SpecialToken, type EncodeOptions, type Tokenizer } from "./tokenizer.js";
export { BpeTokenizer, BYTE_OFFSET, pairKey } from "./bpe-tokenizer.js";
export { bytesToUnicode, unicodeToBytes, byteLevelText, preTokenize, GPT2_PATTERN } from "./byte-level.js";
export { KvCache } from "./kvcache.js";
export { inferForward, type Segment, type InferOptions } from "./infer.js";
export { logSoftmax, logProbAt, argmax, sampleToken, topIndices, rankFrom, type SamplingOptions } from "./sampling.js";
export {
  generateTokens, decodeSteps, scoreContinuations, nextTokenLogprobs,
  type GenerateOptions, type GeneratedSequence, type FinishReason, type ContinuationScore,
} from "./generate.js";
export { maskLogits } from "./generate.js";
export {
  LORA_MODULES, type LoraModule, type LoraConfig, type LoraPair, type LoraAdapter, loraScale, loraModuleShape, checkLoraConfig, checkLoraAdapter, createLoraAdapter,
} from "./lora.js";
export { AttachedLora, loraSize, viewLora, type LoraAttachOptions, type LoraViews } from "./lora-runtime.js";
